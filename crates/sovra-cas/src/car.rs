//! CAR v1 files: export of a DAG (or the part of it a scope selects) and verified import.

use std::io::{Read, Write};

use cid::Cid;
use fvm_ipld_car::{CarHeader, CarReader, CarWriter};

use crate::dag::{Scope, WalkStats, walk};
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
pub fn import(
    input: impl Read,
    max_bytes: u64,
    sink: &mut impl BlockSink,
) -> Result<CarImport, CasError> {
    let mut limited = LimitedReader {
        inner: input,
        remaining: max_bytes,
        limit: max_bytes,
    };
    let reader = CarReader::new_unchecked(&mut limited).map_err(car_err)?;
    let roots = reader.header.roots.clone();
    let mut result = CarImport {
        roots,
        blocks: 0,
        bytes: 0,
    };
    for block in reader {
        let block = block.map_err(car_err)?;
        verify_block(&block.cid, &block.data)?;
        result.blocks += 1;
        result.bytes += block.data.len() as u64;
        sink.put_block(block.cid, block.data)?;
    }
    Ok(result)
}

fn car_err(e: fvm_ipld_car::Error) -> CasError {
    CasError::Car(e.to_string())
}

/// A reader that fails once more than its budget has been read.
struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.remaining == 0 {
            // Probe one byte: if the stream continues, the CAR is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "CAR exceeds the size limit of {} bytes",
                    self.limit
                ))),
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
