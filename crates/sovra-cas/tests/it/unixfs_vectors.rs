//! UnixFS import against the CIDs the reference IPFS importer produced
//! (`vectors/unixfs/cids.md`), for both profiles and every size listed there.

use std::io::Read;

use sovra_cas::{Adder, MemoryBlocks, Profile, unixfs};

/// The generator of `cids.md`: x = 12345; x = (x * 1103515245 + 12345) mod 2^32; byte = (x >> 16) & 0xff.
struct VectorBytes {
    state: u32,
    remaining: usize,
}

impl VectorBytes {
    fn new(len: usize) -> Self {
        Self {
            state: 12345,
            remaining: len,
        }
    }
}

impl Read for VectorBytes {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.remaining);
        for byte in &mut buf[..n] {
            self.state = self.state.wrapping_mul(1103515245).wrapping_add(12345);
            *byte = (self.state >> 16) as u8;
        }
        self.remaining -= n;
        Ok(n)
    }
}

/// (size, legacy CID, v1-2025 CID), parsed from the vector file so the test follows it.
fn vectors() -> Vec<(usize, String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/unixfs/cids.md");
    let text = std::fs::read_to_string(path).expect("unixfs vectors present");
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() == 5
            && let Ok(size) = cells[1].parse::<usize>()
        {
            out.push((size, cells[2].to_string(), cells[3].to_string()));
        }
    }
    assert!(out.len() >= 6, "expected the six sizes of cids.md");
    out
}

#[test]
fn file_cids_match_the_reference_importer() {
    for (size, legacy, v1) in vectors() {
        for (profile, expected) in [(Profile::Legacy, &legacy), (Profile::V1_2025, &v1)] {
            // Count blocks without keeping them: large vectors are 50 MB.
            let mut sink = CountingSink::default();
            let added = Adder::new(profile)
                .add_reader(VectorBytes::new(size), &mut sink)
                .unwrap();
            assert_eq!(
                added.cid.to_string(),
                *expected,
                "{size} bytes with profile {profile}"
            );
            assert_eq!(added.content_bytes, size as u64);
            assert!(sink.blocks > 0);
        }
    }
}

#[test]
fn imported_file_reads_back_byte_for_byte() {
    let size = 5_000_000;
    let mut blocks = MemoryBlocks::new();
    let added = Adder::new(Profile::Legacy)
        .add_reader(VectorBytes::new(size), &mut blocks)
        .unwrap();
    let mut expected = Vec::new();
    VectorBytes::new(size).read_to_end(&mut expected).unwrap();
    let mut out = Vec::new();
    let written = unixfs::cat(&blocks, &added.cid, &mut out).unwrap();
    assert_eq!(written, size as u64);
    assert_eq!(out, expected);
    assert_eq!(
        unixfs::kind(&blocks, &added.cid).unwrap(),
        unixfs::EntryKind::File { size: size as u64 }
    );
}

#[test]
fn missing_and_corrupt_blocks_are_reported() {
    let mut blocks = MemoryBlocks::new();
    let added = Adder::new(Profile::Legacy)
        .add_reader(VectorBytes::new(1_048_576), &mut blocks)
        .unwrap();
    assert!(
        sovra_cas::dag::missing_blocks(&blocks, &added.cid, 100)
            .unwrap()
            .is_empty()
    );
    let leaves = sovra_cas::links::links(
        &added.cid,
        &sovra_cas::BlockSource::require_block(&blocks, &added.cid).unwrap(),
    )
    .unwrap();
    assert_eq!(leaves.len(), 4);
    blocks.remove(&leaves[1]);
    blocks.overwrite_unchecked(&leaves[2], vec![0u8; 10]);
    let missing = sovra_cas::dag::missing_blocks(&blocks, &added.cid, 100).unwrap();
    assert_eq!(missing, vec![leaves[1], leaves[2]]);
    assert!(unixfs::cat(&blocks, &added.cid, &mut Vec::new()).is_err());
}

#[derive(Default)]
struct CountingSink {
    blocks: u64,
}

impl sovra_cas::BlockSink for CountingSink {
    fn put_block(&mut self, cid: sovra_cas::Cid, data: Vec<u8>) -> Result<(), sovra_cas::CasError> {
        sovra_cas::verify_block(&cid, &data)?;
        self.blocks += 1;
        Ok(())
    }
}
