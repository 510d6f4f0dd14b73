//! Blocks: bytes addressed by a CID, hash verification, and the storage traits.

use std::collections::BTreeMap;

use cid::Cid;
use multihash_codetable::{Code, MultihashDigest};

use crate::CasError;
use crate::limits::{MAX_BLOCK_BYTES, MAX_CID_BYTES};

/// Multicodec of raw binary blocks.
pub const RAW: u64 = 0x55;
/// Multicodec of dag-pb blocks (UnixFS files and directories).
pub const DAG_PB: u64 = 0x70;
/// Multicodec of dag-cbor blocks.
pub const DAG_CBOR: u64 = 0x71;
/// Multicodec of plain CBOR blocks (no links).
pub const CBOR: u64 = 0x51;
/// Multicodec of plain JSON blocks (no links).
pub const JSON: u64 = 0x0200;
/// Multicodec of dag-json blocks.
pub const DAG_JSON: u64 = 0x0129;
/// Multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;
/// Multihash code of the identity "hash" (the data is inlined in the CID).
pub const IDENTITY: u64 = 0x00;

/// A content block: bytes and the CID that addresses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The block's address.
    pub cid: Cid,
    /// The block's bytes.
    pub data: Vec<u8>,
}

impl Block {
    /// Wraps bytes with their CID after checking that they match.
    pub fn verified(cid: Cid, data: Vec<u8>) -> Result<Self, CasError> {
        verify_block(&cid, &data)?;
        Ok(Self { cid, data })
    }

    /// A raw block (codec 0x55, sha2-256) of the given bytes.
    pub fn raw(data: Vec<u8>) -> Self {
        Self {
            cid: raw_cid(&data),
            data,
        }
    }
}

/// Parses a CID from its text form (any multibase, or a base58 CIDv0).
pub fn parse_cid(text: &str) -> Result<Cid, CasError> {
    if text.len() > 2 * MAX_CID_BYTES {
        return Err(CasError::InvalidCid("too long".into()));
    }
    Cid::try_from(text).map_err(|source| CasError::CidText {
        text: text.to_string(),
        source,
    })
}

/// Parses a CID from its binary form, rejecting trailing bytes.
pub fn cid_from_bytes(bytes: &[u8]) -> Result<Cid, CasError> {
    if bytes.len() > MAX_CID_BYTES {
        return Err(CasError::InvalidCid("too long".into()));
    }
    let cid = Cid::read_bytes(bytes).map_err(CasError::CidBytes)?;
    if cid.encoded_len() != bytes.len() {
        return Err(CasError::InvalidCid("trailing bytes".into()));
    }
    Ok(cid)
}

/// The CIDv1 (raw codec, sha2-256) of some bytes: what IPFS gives a single-chunk file with raw leaves.
pub fn raw_cid(data: &[u8]) -> Cid {
    Cid::new_v1(RAW, Code::Sha2_256.digest(data))
}

/// Checks that `data` hashes to `cid` and is within the block size limit.
pub fn verify_block(cid: &Cid, data: &[u8]) -> Result<(), CasError> {
    if data.len() > MAX_BLOCK_BYTES {
        return Err(CasError::BlockTooLarge {
            size: data.len(),
            limit: MAX_BLOCK_BYTES,
        });
    }
    let hash = cid.hash();
    let matches = match hash.code() {
        IDENTITY => hash.digest() == data,
        SHA2_256 => Code::Sha2_256.digest(data) == *hash,
        other => {
            let code = Code::try_from(other).map_err(|_| CasError::UnsupportedHash(other))?;
            code.digest(data) == *hash
        }
    };
    if matches {
        Ok(())
    } else {
        Err(CasError::HashMismatch(*cid))
    }
}

/// The storage key of a block: its multihash bytes. Like IPFS block stores, two CIDs that differ
/// only in codec (raw vs dag-pb over the same bytes) share one stored block.
pub fn block_key(cid: &Cid) -> Vec<u8> {
    cid.hash().to_bytes()
}

/// Somewhere blocks can be read from.
pub trait BlockSource {
    /// The block's bytes, or `None` when it is not held. Implementations verify the hash.
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError>;

    /// Whether the block is held. Stores that can answer without reading (and verifying) the
    /// bytes override this; the default reads the block.
    fn has_block(&self, cid: &Cid) -> Result<bool, CasError> {
        if cid.hash().code() == IDENTITY {
            return Ok(true);
        }
        Ok(self.get_block(cid)?.is_some())
    }

    /// The block's bytes, or [`CasError::NotFound`].
    fn require_block(&self, cid: &Cid) -> Result<Vec<u8>, CasError> {
        if cid.hash().code() == IDENTITY {
            return Ok(cid.hash().digest().to_vec());
        }
        self.get_block(cid)?.ok_or(CasError::NotFound(*cid))
    }
}

/// Somewhere blocks can be written to.
pub trait BlockSink {
    /// Stores a block whose CID has already been computed or verified by the caller.
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError>;
}

/// An in-memory block store, for clients and tests.
#[derive(Debug, Default, Clone)]
pub struct MemoryBlocks {
    blocks: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryBlocks {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether no block is held.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Removes a block; returns whether it was held.
    pub fn remove(&mut self, cid: &Cid) -> bool {
        self.blocks.remove(&block_key(cid)).is_some()
    }

    /// Replaces a block's bytes without verification (for corruption tests).
    pub fn overwrite_unchecked(&mut self, cid: &Cid, data: Vec<u8>) {
        self.blocks.insert(block_key(cid), data);
    }
}

impl BlockSource for MemoryBlocks {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        match self.blocks.get(&block_key(cid)) {
            None => Ok(None),
            Some(data) => {
                verify_block(cid, data)?;
                Ok(Some(data.clone()))
            }
        }
    }
}

impl BlockSink for MemoryBlocks {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        self.blocks.insert(block_key(&cid), data);
        Ok(())
    }
}

impl<T: BlockSource + ?Sized> BlockSource for &T {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        (**self).get_block(cid)
    }

    fn has_block(&self, cid: &Cid) -> Result<bool, CasError> {
        (**self).has_block(cid)
    }
}

impl<T: BlockSink + ?Sized> BlockSink for &mut T {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        (**self).put_block(cid, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_block_cids_match_ipfs() {
        // The two raw-block CIDs given in tests/vectors/unixfs/cids.md.
        assert_eq!(
            raw_cid(b"hello world").to_string(),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
        );
        assert_eq!(
            raw_cid(b"hello world\n").to_string(),
            "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
        );
    }

    #[test]
    fn verification_rejects_other_bytes() {
        let cid = raw_cid(b"hello");
        assert!(verify_block(&cid, b"hello").is_ok());
        assert!(matches!(
            verify_block(&cid, b"hellp"),
            Err(CasError::HashMismatch(_))
        ));
    }

    #[test]
    fn memory_store_detects_corruption() {
        let mut store = MemoryBlocks::new();
        let block = Block::raw(b"data".to_vec());
        store.put_block(block.cid, block.data.clone()).unwrap();
        assert_eq!(store.get_block(&block.cid).unwrap(), Some(block.data));
        store.overwrite_unchecked(&block.cid, b"dat4".to_vec());
        assert!(store.get_block(&block.cid).is_err());
    }

    #[test]
    fn cid_parsing_is_strict() {
        assert!(parse_cid("not-a-cid").is_err());
        let cid = raw_cid(b"x");
        let mut bytes = cid.to_bytes();
        assert_eq!(cid_from_bytes(&bytes).unwrap(), cid);
        bytes.push(0);
        assert!(cid_from_bytes(&bytes).is_err());
    }
}
