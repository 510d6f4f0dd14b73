//! UnixFS import: files and directories become blocks with the CIDs IPFS gives them.
//!
//! Import streams: a file is read one chunk at a time and each finished block is handed to the
//! [`BlockSink`] at once, so memory stays at a chunk plus one branch of the tree whatever the
//! file's size. Directories follow `ipfs add -r`: entries sorted by name, hidden entries (names
//! starting with `.`) skipped unless asked for, symlinks stored as UnixFS symlinks, directories
//! larger than 256 KiB written as HAMT shards (measured as each profile measures it, see
//! [`Profile::shard_split`]).

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use cid::Cid;
use rust_unixfs::dir::builder::{BufferingTreeBuilder, TreeOptions};
use rust_unixfs::file::adder::{BalancedCollector, Chunker, FileAdder};

use crate::profile::ShardSplit;
use crate::{BlockSink, CasError, Profile};

/// What an import produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedEntry {
    /// The root CID.
    pub cid: Cid,
    /// Bytes of file content (for a directory, the sum over its files).
    pub content_bytes: u64,
    /// Cumulative size of every block of the DAG (the dag-pb `Tsize`).
    pub dag_bytes: u64,
    /// Number of blocks written (including repeated ones).
    pub blocks: u64,
}

/// Imports files and directories with one profile.
pub struct Adder<'p> {
    profile: Profile,
    include_hidden: bool,
    progress: Option<&'p mut dyn FnMut(u64)>,
}

impl<'p> Adder<'p> {
    /// An importer for `profile` that skips hidden entries and reports no progress.
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            include_hidden: false,
            progress: None,
        }
    }

    /// Include entries whose names start with `.` (like `ipfs add --hidden`).
    pub fn include_hidden(mut self, include: bool) -> Self {
        self.include_hidden = include;
        self
    }

    /// Call `progress` with the number of content bytes consumed so far, after every chunk.
    pub fn with_progress(mut self, progress: &'p mut dyn FnMut(u64)) -> Self {
        self.progress = Some(progress);
        self
    }

    fn file_adder(&self) -> FileAdder {
        FileAdder::builder()
            .with_chunker(Chunker::Size(self.profile.chunk_size()))
            .with_collector(BalancedCollector::with_branching_factor(
                self.profile.max_links(),
            ))
            .with_raw_leaves(true)
            .build()
    }

    /// Imports one file's bytes from a stream.
    pub fn add_reader(
        &mut self,
        reader: impl Read,
        sink: &mut impl BlockSink,
    ) -> Result<AddedEntry, CasError> {
        self.add_reader_from(reader, sink, 0)
    }

    fn add_reader_from(
        &mut self,
        reader: impl Read,
        sink: &mut impl BlockSink,
        progress_base: u64,
    ) -> Result<AddedEntry, CasError> {
        let mut adder = self.file_adder();
        let mut reader = BufReader::with_capacity(self.profile.chunk_size(), reader);
        let mut totals = Totals::default();
        let mut content_bytes = 0u64;
        loop {
            let buffer = reader.fill_buf()?;
            if buffer.is_empty() {
                break;
            }
            let mut consumed = 0;
            while consumed < buffer.len() {
                let (blocks, used) = adder.push(&buffer[consumed..]);
                for (cid, data) in blocks {
                    totals.put(sink, cid, data)?;
                }
                consumed += used;
            }
            let len = buffer.len();
            reader.consume(len);
            content_bytes += len as u64;
            if let Some(progress) = self.progress.as_mut() {
                progress(progress_base + content_bytes);
            }
        }
        for (cid, data) in adder.finish() {
            totals.put(sink, cid, data)?;
        }
        let cid = totals
            .last
            .ok_or_else(|| CasError::UnixFs("importer produced no block".into()))?;
        Ok(AddedEntry {
            cid,
            content_bytes,
            dag_bytes: totals.bytes,
            blocks: totals.blocks,
        })
    }

    /// Imports a file or, recursively, a directory.
    pub fn add_path(
        &mut self,
        path: &Path,
        sink: &mut impl BlockSink,
    ) -> Result<AddedEntry, CasError> {
        let meta = fs::symlink_metadata(path)?;
        if meta.is_file() {
            return self.add_reader(fs::File::open(path)?, sink);
        }
        if !meta.is_dir() {
            return Err(CasError::UnixFs(format!(
                "{} is neither a file nor a directory",
                path.display()
            )));
        }
        let mut totals = Totals::default();
        let mut content_bytes = 0u64;
        let (cid, dag_bytes) = self.add_dir(path, 0, sink, &mut totals, &mut content_bytes)?;
        Ok(AddedEntry {
            cid,
            content_bytes,
            dag_bytes,
            blocks: totals.blocks,
        })
    }

    /// Imports one directory (its entries first, depth first) and writes its own node: flat, or a
    /// HAMT shard when the profile says it is too large. Returns its CID and cumulative size.
    fn add_dir(
        &mut self,
        dir: &Path,
        depth: usize,
        sink: &mut impl BlockSink,
        totals: &mut Totals,
        content_bytes: &mut u64,
    ) -> Result<(Cid, u64), CasError> {
        if depth >= crate::limits::MAX_DAG_DEPTH {
            return Err(CasError::Limit(format!(
                "directory nesting deeper than {}",
                crate::limits::MAX_DAG_DEPTH
            )));
        }
        let mut entries = fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        let mut links = Vec::with_capacity(entries.len());
        for entry in entries {
            let name = entry
                .file_name()
                .into_string()
                .map_err(|n| CasError::UnixFs(format!("file name {n:?} is not UTF-8")))?;
            if name.starts_with('.') && !self.include_hidden {
                continue;
            }
            let kind = entry.file_type()?;
            let (cid, size) = if kind.is_dir() {
                self.add_dir(&entry.path(), depth + 1, sink, totals, content_bytes)?
            } else if kind.is_symlink() {
                let target = fs::read_link(entry.path())?;
                let target = target.to_str().ok_or_else(|| {
                    CasError::UnixFs(format!(
                        "symlink target of {} is not UTF-8",
                        entry.path().display()
                    ))
                })?;
                let mut block = Vec::new();
                rust_unixfs::symlink::serialize_symlink_block(target, &mut block);
                let cid = Cid::new_v1(
                    crate::block::DAG_PB,
                    multihash_codetable::MultihashDigest::digest(
                        &multihash_codetable::Code::Sha2_256,
                        &block,
                    ),
                );
                let size = block.len() as u64;
                totals.put(sink, cid, block)?;
                (cid, size)
            } else if kind.is_file() {
                let base = *content_bytes;
                let added = self.add_reader_from(fs::File::open(entry.path())?, sink, base)?;
                *content_bytes += added.content_bytes;
                totals.blocks += added.blocks;
                (added.cid, added.dag_bytes)
            } else {
                continue;
            };
            links.push((name, cid, size));
        }
        let nodes = match self.profile.shard_split() {
            // The legacy profile (and go-ipfs' `ipfs add`) estimates a directory's size by the
            // bytes of its names and CIDs: the builder's own threshold does exactly that.
            ShardSplit::LinksBytes(threshold) => directory_nodes(&links, Some(threshold))?,
            // `unixfs-v1-2025` shards when the encoded flat directory block would be larger than
            // the threshold (as the reference importer's `block-bytes` strategy does).
            ShardSplit::BlockBytes(threshold) => {
                let flat = directory_nodes(&links, None)?;
                let too_large = flat
                    .last()
                    .is_some_and(|n| n.block.len() as u64 > threshold);
                if too_large {
                    // A threshold of 0 shards any directory with at least one entry.
                    directory_nodes(&links, Some(0))?
                } else {
                    flat
                }
            }
        };
        let mut root = None;
        for node in nodes {
            totals.put(sink, node.cid, node.block.into_vec())?;
            root = Some((node.cid, node.total_size));
        }
        root.ok_or_else(|| CasError::UnixFs("directory produced no node".into()))
    }
}

/// The nodes of one directory holding `links` (name, CID, cumulative size), the directory's own
/// node last: one flat node, or a HAMT shard and its interior buckets. `shard_threshold` is the
/// builder's name-and-CID-bytes threshold (`None`: never shard).
fn directory_nodes(
    links: &[(String, Cid, u64)],
    shard_threshold: Option<u64>,
) -> Result<Vec<rust_unixfs::dir::builder::OwnedTreeNode>, CasError> {
    const ROOT: &str = "d";
    let mut options = TreeOptions::default();
    options.shard_threshold(shard_threshold);
    // Flat directories of any size are rendered (and measured) here; blocks larger than the
    // block limit only come out when sharding is off, and are then refused below.
    options.block_size_limit(None);
    let mut tree = BufferingTreeBuilder::new(options);
    tree.set_metadata(ROOT, Default::default())?;
    for (name, cid, size) in links {
        tree.put_link(&format!("{ROOT}/{name}"), *cid, *size)?;
    }
    let nodes = tree.build().collect::<Result<Vec<_>, _>>()?;
    if let Some(node) = nodes.last()
        && shard_threshold.is_some()
        && node.block.len() > crate::limits::MAX_BLOCK_BYTES
    {
        return Err(CasError::BlockTooLarge {
            size: node.block.len(),
            limit: crate::limits::MAX_BLOCK_BYTES,
        });
    }
    Ok(nodes)
}

#[derive(Default)]
struct Totals {
    bytes: u64,
    blocks: u64,
    last: Option<Cid>,
}

impl Totals {
    fn put(&mut self, sink: &mut impl BlockSink, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        self.bytes += data.len() as u64;
        self.blocks += 1;
        self.last = Some(cid);
        sink.put_block(cid, data)
    }
}
