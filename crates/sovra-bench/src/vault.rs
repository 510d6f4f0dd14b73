//! `sovra bench vault`: record encryption and decryption throughput beside raw
//! XChaCha20-Poly1305 over the same data in the same run (the floor), then
//! put and get of records against a real node process on loopback: large-record
//! throughput end to end, and latency percentiles for small records.

use crate::error::{BenchError, Result, bail};
use crate::net::start_bench_node;
use crate::percentile;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce, aead::AeadInPlace};
use clap::Args;
use sovra_client::{RecordMeta, VaultKeys};
use sovra_crypto::record::{DEFAULT_CHUNK, open_stream, seal_stream};
use sovra_node::netinit;
use sovra_types::{Did, RecordId};
use std::time::{Duration, Instant};

/// Options of the vault benchmark.
#[derive(Args, Debug)]
pub struct VaultBenchArgs {
    /// Size of the large record, in MiB.
    #[arg(long, default_value_t = 256)]
    pub size_mib: u64,
    /// Number of small records for the latency figures.
    #[arg(long, default_value_t = 200)]
    pub small_records: usize,
    /// Size of a small record, in bytes.
    #[arg(long, default_value_t = 4096)]
    pub small_bytes: usize,
    /// API port of the benchmark's node.
    #[arg(long, default_value_t = 28845)]
    pub api_port: u16,
    /// p2p port of the benchmark's node.
    #[arg(long, default_value_t = 29845)]
    pub p2p_port: u16,
}

const MIB: f64 = 1024.0 * 1024.0;

fn rate(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB / elapsed.as_secs_f64()
}

fn test_data(bytes: usize) -> Vec<u8> {
    let mut x: u32 = 4242;
    (0..bytes)
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

/// Raw XChaCha20-Poly1305 over `data` in chunks of the vault's chunk size, in place; returns
/// (encrypt, decrypt) durations.
fn raw_aead(data: &[u8]) -> Result<(Duration, Duration)> {
    let cipher = XChaCha20Poly1305::new(&[7u8; 32].into());
    let chunk = DEFAULT_CHUNK as usize;
    let mut buf = data.to_vec();
    let mut tags = Vec::with_capacity(buf.len() / chunk + 1);
    let start = Instant::now();
    for (i, piece) in buf.chunks_mut(chunk).enumerate() {
        let mut nonce = [0u8; 24];
        nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let tag = cipher
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), b"", piece)
            .map_err(|_| BenchError::Failed("encryption failed".to_string()))?;
        tags.push(tag);
    }
    let encrypt = start.elapsed();
    let start = Instant::now();
    for (i, piece) in buf.chunks_mut(chunk).enumerate() {
        let mut nonce = [0u8; 24];
        nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
        cipher
            .decrypt_in_place_detached(XNonce::from_slice(&nonce), b"", piece, &tags[i])
            .map_err(|_| BenchError::Failed("decryption failed".to_string()))?;
    }
    let decrypt = start.elapsed();
    if buf != data {
        bail!("raw AEAD round trip differs");
    }
    Ok((encrypt, decrypt))
}

fn meta(size: usize) -> RecordMeta {
    RecordMeta {
        name: "bench.bin".into(),
        media_type: "application/octet-stream".into(),
        labels: Vec::new(),
        size: size as u64,
        created_ms: 0,
        padded: true,
    }
}

/// Runs the benchmark and prints its figures.
pub fn run(args: VaultBenchArgs) -> Result<()> {
    let size = (args.size_mib * 1024 * 1024) as usize;
    let data = test_data(size);
    println!(
        "vault benchmark: {} MiB record, {} small records of {} bytes",
        args.size_mib, args.small_records, args.small_bytes
    );

    // In memory: raw AEAD (floor) and the vault's chunked stream, same data, same chunk size.
    let (raw_enc, raw_dec) = raw_aead(&data)?;
    let (raw_enc, raw_dec) = (rate(size as u64, raw_enc), rate(size as u64, raw_dec));
    println!("  raw XChaCha20-Poly1305 encrypt (floor) {raw_enc:9.1} MiB/s");
    println!("  raw XChaCha20-Poly1305 decrypt (floor) {raw_dec:9.1} MiB/s");
    let key = sovra_crypto::record::new_record_key()?;
    // Output buffers are written once beforehand so that no page fault is timed (the raw
    // baseline encrypts in place in memory that is already mapped).
    let sealed_len = size + size.div_ceil(DEFAULT_CHUNK as usize) * 16 + 64;
    let mut sealed = vec![1u8; sealed_len];
    let start = Instant::now();
    let mut cursor = std::io::Cursor::new(&mut sealed[..]);
    seal_stream(&key, DEFAULT_CHUNK, data.as_slice(), &mut cursor)?;
    let written = cursor.position() as usize;
    let r = rate(size as u64, start.elapsed());
    println!(
        "  vault seal (STREAM, 64 KiB chunks)      {r:9.1} MiB/s  ratio to raw {:.2}",
        r / raw_enc
    );
    let mut opened = vec![1u8; size];
    let start = Instant::now();
    let n = open_stream(
        &key,
        &sealed[..written],
        std::io::Cursor::new(&mut opened[..]),
    )?;
    let r = rate(size as u64, start.elapsed());
    println!(
        "  vault open                              {r:9.1} MiB/s  ratio to raw {:.2}",
        r / raw_dec
    );
    if n as usize != size || opened != data {
        bail!("vault round trip differs");
    }
    drop((sealed, opened));

    // A single-validator node for put and get.
    let node = start_bench_node(args.api_port, args.p2p_port)?;
    let client = &node.client;
    let owner_key = netinit::dev_key(0);
    let owner = Did::from_public_key(&owner_key.public_key());
    let token = client
        .authenticate(&owner_key, &owner, None)?
        .token
        .ok_or_else(|| BenchError::Failed("no token".to_string()))?;
    let vault = VaultKeys::generate()?;

    // Large record: encrypt + import + upload + store, anchor, then authenticated read + decrypt.
    let put = |id: RecordId, body: Vec<u8>| -> Result<(Duration, Duration)> {
        let start = Instant::now();
        let len = body.len();
        let (sealed, _) = client.vault_seal_upload(
            &token,
            &vault,
            &owner,
            id,
            1,
            std::io::Cursor::new(body),
            &meta(len),
            |_| {},
        )?;
        let uploaded = start.elapsed();
        let tx = client.send(&owner_key, vec![sealed.put_action(3, None)], 1)?;
        let status = client.wait_final(&tx, Duration::from_secs(60))?;
        if status.status != "completed" {
            bail!("put of {id} {}", status.status);
        }
        Ok((uploaded, start.elapsed()))
    };
    let get = |id: RecordId| -> Result<(u64, Vec<u8>)> {
        let opened = client.vault_open_as_owner(&token, &vault, &id)?;
        let mut out = Vec::new();
        let n = client.vault_read(&token, &opened, &mut out)?;
        Ok((n, out))
    };
    let large = RecordId([0xee; 16]);
    let (uploaded, anchored) = put(large, data.clone())?;
    println!(
        "  put (seal + import + upload + store)    {:9.1} MiB/s;  with anchoring {:.1} MiB/s",
        rate(size as u64, uploaded),
        rate(size as u64, anchored)
    );
    let start = Instant::now();
    let (n, back) = get(large)?;
    let r = rate(n, start.elapsed());
    println!("  get (authenticated read + open)         {r:9.1} MiB/s");
    if back != data {
        bail!("the large record came back different");
    }
    drop((data, back));

    // Small records: put (to stored), put anchored (to finalized), get.
    let mut stored_ms = Vec::new();
    let mut final_ms = Vec::new();
    let mut get_ms = Vec::new();
    for i in 0..args.small_records {
        let mut body = test_data(args.small_bytes);
        body[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let (stored, anchored) = put(RecordId(id), body.clone())?;
        stored_ms.push(stored.as_secs_f64() * 1000.0);
        final_ms.push(anchored.as_secs_f64() * 1000.0);
        let start = Instant::now();
        let (_, back) = get(RecordId(id))?;
        get_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        if back != body {
            bail!("small record {i} came back different");
        }
    }
    for v in [&mut stored_ms, &mut final_ms, &mut get_ms] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "  small put, stored on the node: p50 {:.2} ms  p99 {:.2} ms",
        percentile(&stored_ms, 0.5),
        percentile(&stored_ms, 0.99)
    );
    println!(
        "  small put, anchored and final: p50 {:.2} ms  p99 {:.2} ms",
        percentile(&final_ms, 0.5),
        percentile(&final_ms, 0.99)
    );
    println!(
        "  small get (keys + content, decrypted): p50 {:.2} ms  p99 {:.2} ms",
        percentile(&get_ms, 0.5),
        percentile(&get_ms, 0.99)
    );
    drop(node);
    Ok(())
}
