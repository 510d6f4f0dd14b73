//! Reading UnixFS: resolving paths, streaming files, listing directories (export to disk is in
//! [`crate::export`]).

use std::io::Write;

use cid::Cid;
use rust_unixfs::dir::{MaybeResolved, NodeDescription, ResolveError, describe, resolve};
use rust_unixfs::walk::{ContinuedWalk, Walker};

use crate::block::{DAG_PB, RAW};
use crate::limits::MAX_PATH_SEGMENTS;
use crate::{BlockSource, CasError};

/// What a CID points at, as far as UnixFS is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A file of this many bytes (raw leaves are files too).
    File {
        /// Content size.
        size: u64,
    },
    /// A directory (flat or HAMT-sharded).
    Directory,
    /// A symbolic link.
    Symlink,
    /// Anything else (dag-cbor, dag-json, non-UnixFS dag-pb).
    Other,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name.
    pub name: String,
    /// Its CID.
    pub cid: Cid,
    /// Cumulative DAG size recorded on the link.
    pub size: u64,
}

/// The result of resolving a path under a root CID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The CID the path ends at.
    pub cid: Cid,
    /// Every block read on the way, root first, excluding `cid` itself (a trustless CAR for the
    /// path carries these before the terminal entity).
    pub path_blocks: Vec<Cid>,
}

/// Classifies the block at `cid`.
pub fn kind(source: &impl BlockSource, cid: &Cid) -> Result<EntryKind, CasError> {
    if cid.codec() == RAW {
        let data = source.require_block(cid)?;
        return Ok(EntryKind::File {
            size: data.len() as u64,
        });
    }
    if cid.codec() != DAG_PB {
        return Ok(EntryKind::Other);
    }
    let data = source.require_block(cid)?;
    Ok(match describe(&data) {
        NodeDescription::File { size } => EntryKind::File { size },
        NodeDescription::Directory { .. } | NodeDescription::HamtShard { .. } => {
            EntryKind::Directory
        }
        NodeDescription::Symlink => EntryKind::Symlink,
        NodeDescription::Other => EntryKind::Other,
    })
}

/// Resolves `segments` (already percent-decoded, no empty segments) below `root`.
pub fn resolve_path(
    source: &impl BlockSource,
    root: &Cid,
    segments: &[String],
) -> Result<Resolved, CasError> {
    if segments.len() > MAX_PATH_SEGMENTS {
        return Err(CasError::Limit(format!(
            "path longer than {MAX_PATH_SEGMENTS} segments"
        )));
    }
    let mut current = *root;
    let mut path_blocks = Vec::new();
    let mut cache = None;
    for segment in segments {
        if current.codec() != DAG_PB {
            return Err(CasError::NotADirectory {
                segment: segment.clone(),
                reason: format!("codec 0x{:x} is not a UnixFS directory", current.codec()),
            });
        }
        let block = source.require_block(&current)?;
        path_blocks.push(current);
        let not_dir = |e: ResolveError| CasError::Resolve {
            segment: segment.clone(),
            source: Box::new(e),
        };
        let mut step = resolve(&block, segment, &mut cache).map_err(not_dir)?;
        current = loop {
            match step {
                MaybeResolved::Found(cid) => break cid,
                MaybeResolved::NotFound => {
                    return Err(CasError::PathNotFound(segments.join("/")));
                }
                MaybeResolved::NeedToLoadMore(lookup) => {
                    let next = *lookup.pending_links().0;
                    let bucket = source.require_block(&next)?;
                    path_blocks.push(next);
                    step = lookup
                        .continue_walk(&bucket, &mut cache)
                        .map_err(|e| not_dir(e.into_resolve_error()))?;
                }
            }
        };
    }
    Ok(Resolved {
        cid: current,
        path_blocks,
    })
}

/// Lists a directory's entries (flat or sharded), in stored order.
pub fn list_dir(source: &impl BlockSource, cid: &Cid) -> Result<Vec<DirEntry>, CasError> {
    list_dir_at_most(source, cid, MAX_LISTED_ENTRIES)
}

/// Most entries [`list_dir`] returns (a HAMT can name more than it holds: buckets can be shared).
pub const MAX_LISTED_ENTRIES: usize = crate::limits::MAX_LINKS_PER_BLOCK * 64;

/// Lists a directory's entries (flat or sharded), in stored order, failing with
/// [`CasError::Limit`] once it has more than `max` (before holding more than that in memory).
pub fn list_dir_at_most(
    source: &impl BlockSource,
    cid: &Cid,
    max: usize,
) -> Result<Vec<DirEntry>, CasError> {
    let too_many = || CasError::Limit(format!("directory of more than {max} entries"));
    let data = source.require_block(cid)?;
    match describe(&data) {
        NodeDescription::Directory { links } => {
            if links.len() > max {
                return Err(too_many());
            }
            Ok(links
                .into_iter()
                .map(|l| DirEntry {
                    name: l.name,
                    cid: l.target,
                    size: l.tsize,
                })
                .collect())
        }
        NodeDescription::HamtShard { .. } => {
            let mut entries = Vec::new();
            // Buckets still to read, by CID (read one at a time).
            let mut stack = vec![*cid];
            while let Some(bucket) = stack.pop() {
                let data = source.require_block(&bucket)?;
                let NodeDescription::HamtShard { links } = describe(&data) else {
                    return Err(CasError::UnixFs("HAMT bucket is not a shard".into()));
                };
                for link in links {
                    if link.name.len() == 2 {
                        stack.push(link.target);
                    } else if link.name.len() > 2 {
                        entries.push(DirEntry {
                            name: link.name[2..].to_string(),
                            cid: link.target,
                            size: link.tsize,
                        });
                    }
                    if entries.len() > max || stack.len() > max {
                        return Err(too_many());
                    }
                }
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(entries)
        }
        _ => Err(CasError::NotADirectory {
            segment: cid.to_string(),
            reason: "not a directory".into(),
        }),
    }
}

/// Streams a file's bytes to `out`; returns the number of bytes written.
pub fn cat(source: &impl BlockSource, cid: &Cid, out: &mut impl Write) -> Result<u64, CasError> {
    let mut written = 0u64;
    let mut walker = Walker::new(*cid, String::new());
    let mut cache = None;
    while walker.should_continue() {
        let next = *walker.pending_links().0;
        let data = source.require_block(&next)?;
        match walker.next(&data, &mut cache)? {
            ContinuedWalk::File(segment, ..) => {
                out.write_all(segment.as_bytes())?;
                written += segment.as_bytes().len() as u64;
            }
            ContinuedWalk::Symlink(..) => {
                return Err(CasError::UnixFs(format!("{cid} is a symlink, not a file")));
            }
            ContinuedWalk::RootDirectory(..)
            | ContinuedWalk::Directory(..)
            | ContinuedWalk::Bucket(..) => {
                return Err(CasError::UnixFs(format!(
                    "{cid} is a directory, not a file"
                )));
            }
        }
    }
    Ok(written)
}
