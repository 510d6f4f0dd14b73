//! `sovra bench content`: UnixFS import throughput beside `sha256sum` of the same file (the
//! hashing floor) measured in the same run, then upload and gateway retrieval throughput and
//! small-file latency against a real node process on loopback.

use crate::error::{Result, bail};
use crate::net::start_bench_node;
use crate::percentile;
use clap::Args;
use sovra_cas::{Adder, BlockSink, CasError, Cid, Profile, unixfs};
use sovra_client::RemoteBlocks;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Options of the content benchmark.
#[derive(Args, Debug)]
pub struct ContentBenchArgs {
    /// Size of the large file, in MiB.
    #[arg(long, default_value_t = 256)]
    pub size_mib: u64,
    /// Number of small (4 KiB) files for the latency figures.
    #[arg(long, default_value_t = 200)]
    pub small_files: usize,
    /// API port of the benchmark's node.
    #[arg(long, default_value_t = 28645)]
    pub api_port: u16,
    /// p2p port of the benchmark's node.
    #[arg(long, default_value_t = 29645)]
    pub p2p_port: u16,
}

const MIB: f64 = 1024.0 * 1024.0;

struct Discard;

impl BlockSink for Discard {
    fn put_block(&mut self, _: Cid, _: Vec<u8>) -> Result<(), CasError> {
        Ok(())
    }
}

fn write_test_file(path: &Path, bytes: u64) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x: u32 = 12345;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        for b in &mut chunk[..n] {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            *b = (x >> 16) as u8;
        }
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(())
}

fn rate(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB / elapsed.as_secs_f64()
}

/// Runs the benchmark and prints its figures.
pub fn run(args: ContentBenchArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("large.bin");
    let size = args.size_mib * 1024 * 1024;
    write_test_file(&file, size)?;
    // Warm the page cache so every measurement reads from memory.
    std::io::copy(&mut std::fs::File::open(&file)?, &mut std::io::sink())?;

    println!(
        "content benchmark: {} MiB file, {} small files",
        args.size_mib, args.small_files
    );
    let start = Instant::now();
    let out = Command::new("sha256sum")
        .arg(&file)
        .stdout(Stdio::null())
        .status();
    let floor = match out {
        Ok(s) if s.success() => {
            let r = rate(size, start.elapsed());
            println!("  sha256sum (hashing floor)           {r:9.1} MiB/s");
            r
        }
        _ => {
            use sha2::Digest as _;
            let start = Instant::now();
            let mut h = sha2::Sha256::new();
            let mut f = std::fs::File::open(&file)?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            let _ = h.finalize();
            let r = rate(size, start.elapsed());
            println!("  sha256 in-process (sha256sum missing) {r:9.1} MiB/s");
            r
        }
    };
    for profile in [Profile::Legacy, Profile::V1_2025] {
        let start = Instant::now();
        let added = Adder::new(profile).add_path(&file, &mut Discard)?;
        let r = rate(size, start.elapsed());
        println!(
            "  sovra add --only-hash ({profile:<14}) {r:9.1} MiB/s  ratio to sha256sum {:.2}  {}",
            r / floor,
            added.cid
        );
    }

    // A single-validator node for upload and retrieval.
    let node = start_bench_node(args.api_port, args.p2p_port)?;
    let client = &node.client;
    let api = node.api;
    // Uploads need a funded, authenticated identity: the network's development key.
    let uploader = sovra_node::netinit::dev_key(0);
    let token = client.login(
        &uploader,
        &sovra_types::Did::from_public_key(&uploader.public_key()),
    )?;
    let start = Instant::now();
    let (added, _) = client.add_path(&token, &file, Profile::Legacy, false, |_| {})?;
    let r = rate(size, start.elapsed());
    println!(
        "  sovra add (import + upload + store)  {r:9.1} MiB/s  ratio to sha256sum {:.2}",
        r / floor
    );

    let start = Instant::now();
    let mut resp = ureq::get(&format!("http://{api}/ipfs/{}", added.cid)).call()?;
    let got = std::io::copy(&mut resp.body_mut().as_reader(), &mut std::io::sink())?;
    if got != size {
        bail!("gateway returned {got} bytes, expected {size}");
    }
    let r = rate(size, start.elapsed());
    println!("  gateway GET /ipfs/<cid> (plain)      {r:9.1} MiB/s");

    let start = Instant::now();
    let mut car = Vec::new();
    let car_bytes = client.export_car(&added.cid.to_string(), "all", u64::MAX, &mut car)?;
    let r = rate(car_bytes, start.elapsed());
    println!("  gateway CAR export                   {r:9.1} MiB/s");

    let start = Instant::now();
    let n = unixfs::cat(&RemoteBlocks::new(client), &added.cid, &mut std::io::sink())?;
    let r = rate(n, start.elapsed());
    println!("  sovra cat (block by block, verified) {r:9.1} MiB/s");

    // Small files: add (import + upload) and verified read latency.
    let mut add_ms = Vec::new();
    let mut get_ms = Vec::new();
    for i in 0..args.small_files {
        let path = dir.path().join(format!("small-{i}"));
        let mut body = vec![0u8; 4096];
        body[..8].copy_from_slice(&(i as u64).to_be_bytes());
        std::fs::write(&path, &body)?;
        let start = Instant::now();
        let (small, _) = client.add_path(&token, &path, Profile::Legacy, false, |_| {})?;
        add_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        let start = Instant::now();
        let mut back = Vec::new();
        unixfs::cat(&RemoteBlocks::new(client), &small.cid, &mut back)?;
        get_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        if back != body {
            bail!("small file {i} came back different");
        }
    }
    add_ms.sort_by(f64::total_cmp);
    get_ms.sort_by(f64::total_cmp);
    println!(
        "  small file add: p50 {:.2} ms  p99 {:.2} ms;  verified get: p50 {:.2} ms  p99 {:.2} ms",
        percentile(&add_ms, 0.5),
        percentile(&add_ms, 0.99),
        percentile(&get_ms, 0.5),
        percentile(&get_ms, 0.99)
    );
    drop(node);
    Ok(())
}
