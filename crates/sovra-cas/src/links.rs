//! The links out of a block, for every codec the node traverses.

use cid::Cid;
use ipld_core::codec::Links;

use crate::CasError;
use crate::block::{CBOR, DAG_CBOR, DAG_JSON, DAG_PB, JSON, RAW};
use crate::limits::MAX_LINKS_PER_BLOCK;

/// Whether blocks of this codec can be traversed (and so stored and replicated as DAGs).
pub fn codec_supported(codec: u64) -> bool {
    matches!(codec, RAW | CBOR | JSON | DAG_PB | DAG_CBOR | DAG_JSON)
}

/// The CIDs a block links to, in the order they appear, bounded by [`MAX_LINKS_PER_BLOCK`].
pub fn links(cid: &Cid, data: &[u8]) -> Result<Vec<Cid>, CasError> {
    let malformed = |source: Box<dyn std::error::Error + Send + Sync>| CasError::Malformed {
        cid: *cid,
        source,
    };
    let out: Vec<Cid> = match cid.codec() {
        // Plain CBOR and JSON cannot hold links.
        RAW | CBOR | JSON => Vec::new(),
        DAG_PB => bounded(ipld_dagpb::DagPbCodec::links(data).map_err(|e| malformed(e.into()))?)?,
        DAG_CBOR => bounded(
            serde_ipld_dagcbor::codec::DagCborCodec::links(data)
                .map_err(|e| malformed(e.into()))?,
        )?,
        DAG_JSON => bounded(
            serde_ipld_dagjson::codec::DagJsonCodec::links(data)
                .map_err(|e| malformed(e.into()))?,
        )?,
        other => return Err(CasError::UnsupportedCodec(other)),
    };
    Ok(out)
}

fn bounded(iter: impl Iterator<Item = Cid>) -> Result<Vec<Cid>, CasError> {
    let mut out = Vec::new();
    for cid in iter {
        if out.len() == MAX_LINKS_PER_BLOCK {
            return Err(CasError::Limit(format!(
                "more than {MAX_LINKS_PER_BLOCK} links in one block"
            )));
        }
        out.push(cid);
    }
    Ok(out)
}
