//! The ledger block as commonware consensus sees it: a thin wrapper that
//! gives [`sovra_types::Block`] the consensus traits (height, digest, parent,
//! bounded decoding).

use commonware_codec::{Buf, EncodeSize, Error, Read, Write};
use commonware_consensus::{BoundedBlock, Heightable, types::Height};
use commonware_cryptography::Digestible;
use sovra_types::{Block, Digest, limits::MAX_BLOCK_BYTES};

/// A ledger block carried by consensus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock(pub Block);

impl Write for ChainBlock {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.0.write(buf);
    }
}

impl EncodeSize for ChainBlock {
    fn encode_size(&self) -> usize {
        self.0.encode_size()
    }
}

impl Read for ChainBlock {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, cfg: &()) -> Result<Self, Error> {
        Block::read_cfg(buf, cfg).map(ChainBlock)
    }
}

impl Digestible for ChainBlock {
    type Digest = Digest;
    fn digest(&self) -> Digest {
        self.0.id()
    }
}

impl Heightable for ChainBlock {
    fn height(&self) -> Height {
        Height::new(self.0.height())
    }
}

impl commonware_consensus::Block for ChainBlock {
    fn parent(&self) -> Digest {
        self.0.header.parent
    }
}

impl BoundedBlock for ChainBlock {
    fn max_encode_size(_: &()) -> usize {
        MAX_BLOCK_BYTES
    }
}
