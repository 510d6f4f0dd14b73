//! Bounded depth-first traversal of a DAG.
//!
//! Blocks are visited in the order a CAR export writes them (depth first, each block before its
//! children, children in link order) and each distinct block once. Every block read is verified
//! against its CID by the [`BlockSource`]; the traversal stops at [`MAX_DAG_DEPTH`].

use std::collections::HashSet;

use cid::Cid;
use rust_unixfs::dir::{NodeDescription, describe};

use crate::block::{DAG_PB, block_key};
use crate::limits::MAX_DAG_DEPTH;
use crate::links::links;
use crate::{BlockSource, CasError};

/// How much of a DAG below a root a traversal covers (the trustless gateway's `dag-scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Every block reachable from the root.
    #[default]
    All,
    /// The blocks needed to read the root entity: a whole file, a directory's own blocks
    /// (including HAMT shards) without its children, or just the block for other codecs.
    Entity,
    /// The root block only.
    Block,
}

impl std::str::FromStr for Scope {
    type Err = CasError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Scope::All),
            "entity" => Ok(Scope::Entity),
            "block" => Ok(Scope::Block),
            other => Err(CasError::Limit(format!(
                "unknown dag-scope {other:?}: expected all, entity or block"
            ))),
        }
    }
}

/// Counts from a traversal.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WalkStats {
    /// Distinct blocks visited.
    pub blocks: u64,
    /// Bytes of those blocks.
    pub bytes: u64,
}

/// Visits the blocks under `root` within `scope`, in CAR order. Fails on the first block that is
/// missing, corrupt or malformed.
pub fn walk(
    source: &impl BlockSource,
    root: &Cid,
    scope: Scope,
    mut visit: impl FnMut(&Cid, &[u8]) -> Result<(), CasError>,
) -> Result<WalkStats, CasError> {
    let mut seen = HashSet::new();
    let mut stats = WalkStats::default();
    // Stack of (cid, depth, whether its children belong to the scope).
    let mut stack = vec![(*root, 0usize, scope != Scope::Block)];
    while let Some((cid, depth, expand)) = stack.pop() {
        if !seen.insert(block_key(&cid)) {
            continue;
        }
        if depth > MAX_DAG_DEPTH {
            return Err(CasError::Limit(format!("DAG deeper than {MAX_DAG_DEPTH}")));
        }
        let data = source.require_block(&cid)?;
        visit(&cid, &data)?;
        stats.blocks += 1;
        stats.bytes += data.len() as u64;
        if !expand {
            continue;
        }
        let children = match scope {
            Scope::All => links(&cid, &data)?,
            Scope::Entity => entity_children(&cid, &data)?,
            Scope::Block => Vec::new(),
        };
        for child in children.into_iter().rev() {
            stack.push((child, depth + 1, true));
        }
    }
    Ok(stats)
}

/// The children that belong to the same entity as this block.
fn entity_children(cid: &Cid, data: &[u8]) -> Result<Vec<Cid>, CasError> {
    if cid.codec() != DAG_PB {
        return Ok(Vec::new());
    }
    Ok(match describe(data) {
        NodeDescription::File { .. } => links(cid, data)?,
        NodeDescription::HamtShard { links } => links
            .into_iter()
            .filter(|l| l.name.len() == 2)
            .map(|l| l.target)
            .collect(),
        NodeDescription::Directory { .. } | NodeDescription::Symlink | NodeDescription::Other => {
            Vec::new()
        }
    })
}

/// Walks everything reachable from `root` that is present and returns the CIDs that are
/// referenced but missing (up to `limit` of them). An empty answer means the DAG is complete.
/// Every block present is read and verified (a corrupt one counts as missing), so this also
/// finds blocks that rotted on disk.
pub fn missing_blocks(
    source: &impl BlockSource,
    root: &Cid,
    limit: usize,
) -> Result<Vec<Cid>, CasError> {
    find_missing(source, root, limit, false)
}

/// Like [`missing_blocks`], but cheap for content that is held: blocks without links (raw
/// leaves) are only looked up with [`BlockSource::has_block`], not read, so a large file costs
/// one read per internal node. Used to check that an answer can be served whole before it
/// starts; unlike [`missing_blocks`] it does not re-verify leaves.
pub fn absent_blocks(
    source: &impl BlockSource,
    root: &Cid,
    limit: usize,
) -> Result<Vec<Cid>, CasError> {
    find_missing(source, root, limit, true)
}

fn find_missing(
    source: &impl BlockSource,
    root: &Cid,
    limit: usize,
    leaves_by_presence: bool,
) -> Result<Vec<Cid>, CasError> {
    let mut seen = HashSet::new();
    let mut missing = Vec::new();
    let mut stack = vec![(*root, 0usize)];
    while let Some((cid, depth)) = stack.pop() {
        if missing.len() >= limit {
            break;
        }
        if !seen.insert(block_key(&cid)) {
            continue;
        }
        if depth > MAX_DAG_DEPTH {
            return Err(CasError::Limit(format!("DAG deeper than {MAX_DAG_DEPTH}")));
        }
        if leaves_by_presence && cid.codec() == crate::block::RAW {
            if !source.has_block(&cid)? {
                missing.push(cid);
            }
            continue;
        }
        let data = match source.get_block(&cid) {
            Ok(Some(data)) => data,
            Ok(None) if cid.hash().code() == crate::block::IDENTITY => cid.hash().digest().to_vec(),
            // A corrupt block counts as missing: the caller refetches it.
            Ok(None) | Err(CasError::HashMismatch(_)) => {
                missing.push(cid);
                continue;
            }
            Err(e) => return Err(e),
        };
        for child in links(&cid, &data)?.into_iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    Ok(missing)
}
