//! The UnixFS import profiles: how files are chunked and how wide their trees are.

use std::fmt;
use std::str::FromStr;

use crate::CasError;

/// The directory size above which a directory becomes a HAMT shard, in both profiles.
pub const SHARD_SPLIT_THRESHOLD_BYTES: u64 = 256 * 1024;

/// When a directory is written as a HAMT shard instead of one flat node (the reference
/// importer's `shardSplitStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSplit {
    /// `links-bytes`: when the sum of its entries' name and binary CID lengths is above the
    /// threshold (go-ipfs and `unixfs-v0-2015`).
    LinksBytes(u64),
    /// `block-bytes`: when its flat dag-pb block would be larger than the threshold
    /// (`unixfs-v1-2025`).
    BlockBytes(u64),
}

/// A UnixFS import profile, named as IPFS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// `unixfs-v0-2015` with CIDv1 and raw leaves: what `ipfs add --cid-version=1` produces.
    /// 256 KiB fixed chunks, balanced DAG of 174 links per node.
    #[default]
    Legacy,
    /// `unixfs-v1-2025`: 1 MiB chunks, 1024 links per node, raw leaves, CIDv1; directories are
    /// sharded by the size of their encoded block.
    V1_2025,
}

impl Profile {
    /// Bytes per leaf chunk.
    pub fn chunk_size(self) -> usize {
        match self {
            Profile::Legacy => 256 * 1024,
            Profile::V1_2025 => 1024 * 1024,
        }
    }

    /// Links per internal node of a file's balanced DAG.
    pub fn max_links(self) -> usize {
        match self {
            Profile::Legacy => 174,
            Profile::V1_2025 => 1024,
        }
    }

    /// How the profile decides that a directory is written as a HAMT shard.
    pub fn shard_split(self) -> ShardSplit {
        match self {
            Profile::Legacy => ShardSplit::LinksBytes(SHARD_SPLIT_THRESHOLD_BYTES),
            Profile::V1_2025 => ShardSplit::BlockBytes(SHARD_SPLIT_THRESHOLD_BYTES),
        }
    }

    /// The profile's IPFS name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Legacy => "unixfs-v0-2015",
            Profile::V1_2025 => "unixfs-v1-2025",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = CasError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "unixfs-v0-2015" | "legacy" | "default" => Ok(Profile::Legacy),
            "unixfs-v1-2025" | "v1-2025" => Ok(Profile::V1_2025),
            other => Err(CasError::UnixFs(format!(
                "unknown profile {other:?}: expected unixfs-v0-2015 or unixfs-v1-2025"
            ))),
        }
    }
}
