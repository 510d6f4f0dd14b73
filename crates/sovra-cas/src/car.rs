//! CAR v1 files: export of a DAG (or the part of it a scope selects) and verified import.

use std::io::{Read, Write};

use cid::Cid;
use fvm_ipld_car::{CarHeader, CarWriter};

use crate::dag::{Scope, WalkStats, walk};
use crate::limits::{MAX_BLOCK_BYTES, MAX_CAR_HEADER_BYTES, MAX_CAR_ROOTS, MAX_CID_BYTES};
use crate::{BlockSink, BlockSource, CasError, verify_block};

/// The media type of a CAR response, as the trustless gateway specification writes it.
pub const CAR_MEDIA_TYPE: &str = "application/vnd.ipld.car; version=1; order=dfs; dups=n";

/// What an import read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarImport {
    /// The roots named in the header.
    pub roots: Vec<Cid>,
    /// Blocks read (each verified).
    pub blocks: u64,
    /// Bytes of block data read.
    pub bytes: u64,
}

/// Writes a CAR whose header names `root`: first the blocks in `path_blocks` (those needed to
/// resolve a path from `root`), then the blocks under `terminal` selected by `scope`, each once.
pub fn export(
    source: &impl BlockSource,
    root: &Cid,
    path_blocks: &[Cid],
    terminal: &Cid,
    scope: Scope,
    out: impl Write,
) -> Result<WalkStats, CasError> {
    let mut writer = CarWriter::new(CarHeader::from(vec![*root]), out).map_err(car_err)?;
    let mut stats = WalkStats::default();
    let mut written = std::collections::HashSet::new();
    for cid in path_blocks {
        let data = source.require_block(cid)?;
        if written.insert(crate::block::block_key(cid)) {
            stats.blocks += 1;
            stats.bytes += data.len() as u64;
            writer
                .write(fvm_ipld_car::Block { cid: *cid, data })
                .map_err(car_err)?;
        }
    }
    let inner = walk(source, terminal, scope, |cid, data| {
        if !written.contains(&crate::block::block_key(cid)) {
            writer
                .write(fvm_ipld_car::Block {
                    cid: *cid,
                    data: data.to_vec(),
                })
                .map_err(car_err)?;
        }
        Ok(())
    })?;
    writer.flush().map_err(car_err)?;
    stats.blocks += inner.blocks;
    stats.bytes += inner.bytes;
    Ok(stats)
}

/// Reads a CAR of at most `max_bytes`, verifying every block against its CID before handing it
/// to `sink`. On any error the caller must discard what the sink received (the node's sink is a
/// write transaction that is only committed on success).
///
/// Every length prefix is checked before anything is allocated or read: the header against
/// [`MAX_CAR_HEADER_BYTES`], each block frame against a CID plus [`MAX_BLOCK_BYTES`]. A CAR whose
/// header names a root that is not among its blocks is refused.
pub fn import(
    input: impl Read,
    max_bytes: u64,
    sink: &mut impl BlockSink,
) -> Result<CarImport, CasError> {
    let mut reader = LimitedReader {
        inner: input,
        remaining: max_bytes,
        limit: max_bytes,
        exceeded: false,
    };
    read_car(&mut reader, sink).map_err(|e| {
        if reader.exceeded {
            CasError::CarTooLarge { max_bytes }
        } else {
            e
        }
    })
}

fn read_car(reader: &mut impl Read, sink: &mut impl BlockSink) -> Result<CarImport, CasError> {
    let header_len = read_frame_len(reader)?
        .ok_or_else(|| CasError::Car("empty input: no CAR header".into()))?;
    if header_len == 0 || header_len > MAX_CAR_HEADER_BYTES as u64 {
        return Err(CasError::Car(format!(
            "header of {header_len} bytes (the limit is {MAX_CAR_HEADER_BYTES})"
        )));
    }
    let header_bytes = read_exact_vec(reader, header_len as usize)?;
    let header: CarHeader =
        serde_ipld_dagcbor::from_slice(&header_bytes).map_err(CasError::CarHeader)?;
    if header.version != 1 {
        return Err(CasError::Car(format!(
            "version {} (only CAR v1 is read)",
            header.version
        )));
    }
    if header.roots.is_empty() || header.roots.len() > MAX_CAR_ROOTS {
        return Err(CasError::Car(format!(
            "{} roots (1 to {MAX_CAR_ROOTS} expected)",
            header.roots.len()
        )));
    }
    // Roots not yet seen among the blocks (identity CIDs carry their own bytes).
    let mut unseen: Vec<Vec<u8>> = header
        .roots
        .iter()
        .filter(|r| r.hash().code() != crate::block::IDENTITY)
        .map(crate::block::block_key)
        .collect();
    let mut result = CarImport {
        roots: header.roots,
        blocks: 0,
        bytes: 0,
    };
    let max_frame = (MAX_CID_BYTES + MAX_BLOCK_BYTES) as u64;
    while let Some(len) = read_frame_len(reader)? {
        if len > max_frame {
            return Err(CasError::BlockTooLarge {
                size: usize::try_from(len).unwrap_or(usize::MAX),
                limit: MAX_BLOCK_BYTES,
            });
        }
        let frame = read_exact_vec(reader, len as usize)?;
        let mut cursor = std::io::Cursor::new(frame.as_slice());
        let cid = Cid::read_bytes(&mut cursor).map_err(|source| CasError::CarBlockCid {
            block: result.blocks,
            source,
        })?;
        let data = frame[cursor.position() as usize..].to_vec();
        verify_block(&cid, &data)?;
        let key = crate::block::block_key(&cid);
        unseen.retain(|r| *r != key);
        result.blocks += 1;
        result.bytes += data.len() as u64;
        sink.put_block(cid, data)?;
    }
    if let Some(missing) = result
        .roots
        .iter()
        .find(|r| unseen.contains(&crate::block::block_key(r)))
    {
        return Err(CasError::Car(format!(
            "the header names root {missing}, which is not among the CAR's blocks"
        )));
    }
    Ok(result)
}

/// The next frame's length prefix, or `None` at a clean end of input.
fn read_frame_len(reader: &mut impl Read) -> Result<Option<u64>, CasError> {
    // A clean end is an end before the first byte of a varint.
    let mut first = [0u8; 1];
    loop {
        match reader.read(&mut first) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CasError::CarRead(e)),
        }
    }
    let mut chained = std::io::Read::chain(&first[..], reader);
    unsigned_varint::io::read_u64(&mut chained)
        .map(Some)
        .map_err(CasError::CarFrameLength)
}

/// Reads exactly `len` bytes (already checked against a limit).
fn read_exact_vec(reader: &mut impl Read, len: usize) -> Result<Vec<u8>, CasError> {
    let mut buf = vec![0u8; len];
    reader.read_exact(&mut buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => CasError::Car("truncated CAR".into()),
        _ => CasError::CarRead(e),
    })?;
    Ok(buf)
}

fn car_err(e: fvm_ipld_car::Error) -> CasError {
    CasError::CarWrite(e)
}

/// A reader that fails once more than its budget has been read.
struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
    exceeded: bool,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 {
            // Probe one byte: if the stream continues, the CAR is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.exceeded = true;
                    Err(std::io::Error::other(CasError::CarTooLarge {
                        max_bytes: self.limit,
                    }))
                }
            };
        }
        let max = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}
