//! Blocks: a header that commits to the parent, the transactions and the
//! state root after executing them, plus the transactions themselves.
//!
//! The block id is the SHA-256 of the header's encoding, so a light client
//! holding a finalized header can check state proofs against `state_root`.

use crate::{
    Digest, SignedTransaction,
    limits::{MAX_BLOCK_BYTES, MAX_BLOCK_TXS},
    sha256,
};
use commonware_codec::{Buf, Encode, EncodeSize, Error, FixedSize, RangeCfg, Read, ReadExt, Write};

/// Current version of the block encoding.
pub const BLOCK_VERSION: u8 = 1;

/// The part of a block that is hashed into its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Id of the parent block (all zeros for genesis).
    pub parent: Digest,
    /// Height; genesis is 0.
    pub height: u64,
    /// Proposer's clock, milliseconds since the Unix epoch; never below the parent's.
    pub timestamp_ms: u64,
    /// Commitment to the ordered transaction ids (see [`tx_root`]).
    pub tx_root: Digest,
    /// Number of transactions.
    pub tx_count: u32,
    /// Root of the authenticated state after executing this block.
    pub state_root: Digest,
}

impl BlockHeader {
    /// Size of the header's encoding.
    pub const SIZE: usize = 1 + 32 + 8 + 8 + 32 + 4 + 32;

    /// The block id.
    pub fn id(&self) -> Digest {
        sha256(&[&self.encode()])
    }
}

impl Write for BlockHeader {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        BLOCK_VERSION.write(buf);
        self.parent.write(buf);
        self.height.write(buf);
        self.timestamp_ms.write(buf);
        self.tx_root.write(buf);
        self.tx_count.write(buf);
        self.state_root.write(buf);
    }
}

impl FixedSize for BlockHeader {
    const SIZE: usize = BlockHeader::SIZE;
}

impl Read for BlockHeader {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != BLOCK_VERSION {
            return Err(Error::Invalid("BlockHeader", "unsupported version"));
        }
        Ok(Self {
            parent: Digest::read(buf)?,
            height: u64::read(buf)?,
            timestamp_ms: u64::read(buf)?,
            tx_root: Digest::read(buf)?,
            tx_count: u32::read(buf)?,
            state_root: Digest::read(buf)?,
        })
    }
}

/// Commitment to an ordered list of transaction ids: SHA-256 of their concatenation.
pub fn tx_root(txs: &[SignedTransaction]) -> Digest {
    let ids: Vec<u8> = txs.iter().flat_map(|t| t.id().0).collect();
    sha256(&[b"sovra/txroot", &ids])
}

/// A header and its transactions. The id is cached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, in execution order.
    pub txs: Vec<SignedTransaction>,
    id: Digest,
}

impl Block {
    /// Assembles a block; computes its id.
    pub fn new(header: BlockHeader, txs: Vec<SignedTransaction>) -> Self {
        let id = header.id();
        Self { header, txs, id }
    }

    /// The block id (hash of the header).
    pub fn id(&self) -> Digest {
        self.id
    }

    /// Height.
    pub fn height(&self) -> u64 {
        self.header.height
    }

    /// Whether the header's transaction commitment matches the transactions.
    pub fn tx_root_matches(&self) -> bool {
        self.header.tx_count as usize == self.txs.len() && self.header.tx_root == tx_root(&self.txs)
    }
}

impl Write for Block {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.header.write(buf);
        self.txs.write(buf);
    }
}

impl EncodeSize for Block {
    fn encode_size(&self) -> usize {
        BlockHeader::SIZE + self.txs.encode_size()
    }
}

impl Read for Block {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if buf.remaining() > MAX_BLOCK_BYTES {
            return Err(Error::Invalid("Block", "too large"));
        }
        let header = BlockHeader::read(buf)?;
        let txs =
            Vec::<SignedTransaction>::read_cfg(buf, &(RangeCfg::from(0..=MAX_BLOCK_TXS), ()))?;
        Ok(Block::new(header, txs))
    }
}
