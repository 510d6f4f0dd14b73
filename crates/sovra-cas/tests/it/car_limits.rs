//! CAR import from untrusted input: every length prefix is checked before anything is read or
//! allocated, and a header must only name roots the CAR holds.

use std::io::Read;

use sovra_cas::limits::{MAX_BLOCK_BYTES, MAX_CAR_HEADER_BYTES};
use sovra_cas::{CasError, MemoryBlocks, car, dag::Scope};

/// A reader that counts what was taken from it and fails the test if more than `budget` bytes
/// are asked for: an importer that believed a length prefix would read (and buffer) the frame.
struct Counting<'a> {
    data: &'a [u8],
    read: usize,
    budget: usize,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.data.len() - self.read);
        self.data[self.read..self.read + n]
            .iter()
            .zip(buf.iter_mut())
            .for_each(|(s, d)| *d = *s);
        self.read += n;
        assert!(self.read <= self.budget, "read past the length prefix");
        Ok(n)
    }
}

fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A valid one-block CAR of `data` and the bytes of its header frame.
fn one_block_car(data: &[u8]) -> (Vec<u8>, usize) {
    let block = sovra_cas::Block::raw(data.to_vec());
    let mut blocks = MemoryBlocks::new();
    sovra_cas::BlockSink::put_block(&mut blocks, block.cid, block.data).unwrap();
    let mut bytes = Vec::new();
    car::export(&blocks, &block.cid, &[], &block.cid, Scope::All, &mut bytes).unwrap();
    let header_len = bytes[0] as usize + 1;
    (bytes, header_len)
}

#[test]
fn an_oversized_block_frame_is_refused_before_it_is_read() {
    let (car_bytes, header_len) = one_block_car(b"hello");
    // The header, then a frame that claims 1 GiB, followed by 64 KiB of filler.
    let mut evil = car_bytes[..header_len].to_vec();
    let prefix = varint(1 << 30);
    evil.extend_from_slice(&prefix);
    evil.extend(std::iter::repeat_n(0u8, 64 * 1024));
    let mut reader = Counting {
        data: &evil,
        read: 0,
        budget: header_len + prefix.len(),
    };
    let err = car::import(&mut reader, u64::MAX, &mut MemoryBlocks::new()).unwrap_err();
    assert!(
        matches!(err, CasError::BlockTooLarge { limit, .. } if limit == MAX_BLOCK_BYTES),
        "{err:?}"
    );
    // Just over the limit is refused too; the largest block is accepted.
    let mut just_over = car_bytes[..header_len].to_vec();
    just_over.extend(varint((MAX_BLOCK_BYTES + 129) as u64));
    assert!(matches!(
        car::import(just_over.as_slice(), u64::MAX, &mut MemoryBlocks::new()),
        Err(CasError::BlockTooLarge { .. })
    ));
    let (largest, _) = one_block_car(&vec![1u8; MAX_BLOCK_BYTES]);
    car::import(largest.as_slice(), u64::MAX, &mut MemoryBlocks::new()).unwrap();
}

#[test]
fn an_oversized_header_is_refused_before_it_is_read() {
    let prefix = varint(1 << 40);
    let mut evil = prefix.clone();
    evil.extend(std::iter::repeat_n(0xa2u8, 1024));
    let mut reader = Counting {
        data: &evil,
        read: 0,
        budget: prefix.len(),
    };
    let err = car::import(&mut reader, u64::MAX, &mut MemoryBlocks::new()).unwrap_err();
    assert!(err.to_string().contains("header of"), "{err}");
    let mut over = varint(MAX_CAR_HEADER_BYTES as u64 + 1);
    over.push(0);
    assert!(car::import(over.as_slice(), u64::MAX, &mut MemoryBlocks::new()).is_err());
}

#[test]
fn a_car_whose_header_names_a_missing_root_is_refused() {
    let (car_bytes, header_len) = one_block_car(b"present");
    let (other, other_header_len) = one_block_car(b"absent root");
    // The header of `other` (naming its root), then the block of the first CAR.
    let mut mixed = other[..other_header_len].to_vec();
    mixed.extend_from_slice(&car_bytes[header_len..]);
    let mut sink = MemoryBlocks::new();
    let err = car::import(mixed.as_slice(), u64::MAX, &mut sink).unwrap_err();
    assert!(
        err.to_string().contains("not among the CAR's blocks"),
        "{err}"
    );
    // A header alone is refused for the same reason.
    let err = car::import(
        &other[..other_header_len],
        u64::MAX,
        &mut MemoryBlocks::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not among"), "{err}");
    // The CAR as written imports.
    car::import(car_bytes.as_slice(), u64::MAX, &mut MemoryBlocks::new()).unwrap();
}

#[test]
fn truncated_and_garbage_cars_are_refused() {
    let (car_bytes, _) = one_block_car(b"some block");
    for cut in 1..car_bytes.len() {
        assert!(
            car::import(&car_bytes[..cut], u64::MAX, &mut MemoryBlocks::new()).is_err(),
            "cut at {cut}"
        );
    }
    assert!(car::import(&[][..], u64::MAX, &mut MemoryBlocks::new()).is_err());
    assert!(car::import(&[0u8][..], u64::MAX, &mut MemoryBlocks::new()).is_err());
    assert!(car::import(&[0xffu8; 12][..], u64::MAX, &mut MemoryBlocks::new()).is_err());
}
