//! Verification of state proofs: that a key holds a value (inclusion) or
//! holds nothing (exclusion) under a state root taken from a finalized
//! block header. Proofs are produced by the node's qmdb state store; the
//! verification is pure and needs no node.

use crate::{Digest, StateKey, codec::decode_exact};
use commonware_codec::RangeCfg;
use commonware_cryptography::Sha256;
use commonware_storage::{
    merkle::mmr,
    qmdb::{
        any::value::VariableEncoding,
        current::ordered::proof::constant::{ExclusionProof, KeyValueProof},
    },
};

/// Largest value a state key may hold (matches the store's limit).
pub const MAX_STATE_VALUE_BYTES: usize = 64 * 1024;
/// Most digests accepted in one proof.
const MAX_PROOF_DIGESTS: usize = 4096;

type Family = mmr::Family;
type Value = VariableEncoding<Vec<u8>>;

/// Checks a proof for `key` against `root`: with `value` `Some`, that the
/// key holds exactly that value; with `None`, that the key is absent.
/// Malformed proofs are simply invalid.
pub fn verify_state_proof(
    key: &StateKey,
    value: Option<&[u8]>,
    proof: &[u8],
    root: &Digest,
) -> bool {
    let key_hash = key.hash();
    match value {
        Some(v) => {
            let Ok(p) = decode_exact::<KeyValueProof<Family, Digest, Digest, 32>>(
                proof,
                &(MAX_PROOF_DIGESTS, ()),
            ) else {
                return false;
            };
            p.verify::<Sha256, Value>(key_hash, v.to_vec(), root)
        }
        None => {
            let value_cfg = (RangeCfg::from(0..=MAX_STATE_VALUE_BYTES), ());
            let cfg = (MAX_PROOF_DIGESTS, ((), value_cfg), value_cfg);
            let Ok(p) =
                decode_exact::<ExclusionProof<Family, Digest, Value, Digest, 32>>(proof, &cfg)
            else {
                return false;
            };
            p.verify::<Sha256>(&key_hash, root)
        }
    }
}
