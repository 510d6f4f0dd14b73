//! Checking the node's answers: a state value (or its absence) is accepted
//! only with a proof that verifies against the state root of the block
//! header it comes with.
//!
//! Limit: the header's finality is taken from the node; finality
//! certificates are not served yet.

use crate::{Client, ClientError};
use sovra_api_types::ProofView;
use sovra_types::{
    Account, BlockHeader, Did, StateKey, codec::decode_exact, digest_hex, proof::verify_state_proof,
};

/// A value read through a verified proof.
#[derive(Clone, Debug)]
pub struct Verified<T> {
    /// The value (`None`: the key is proven absent).
    pub value: Option<T>,
    /// The header whose state root the proof verified against.
    pub header: BlockHeader,
}

/// Checks a proof the node served for `key`: that it is about `key`, that
/// its header decodes to its id, and that the value (or absence) verifies
/// against the header's state root.
pub fn verify_proof_view(key: &StateKey, p: &ProofView) -> Result<Verified<Vec<u8>>, ClientError> {
    let bad = |m: &str| ClientError::BadResponse(format!("proof for {key}: {m}"));
    if p.key != key.to_string() {
        return Err(bad(&format!("the node proved {:?} instead", p.key)));
    }
    let header_bytes = hex::decode(&p.header.encoded).map_err(|_| bad("header is not hex"))?;
    let header: BlockHeader =
        decode_exact(&header_bytes, &()).map_err(|_| bad("header does not decode"))?;
    if digest_hex(&header.id()) != p.header.id {
        return Err(bad("header id does not match its encoding"));
    }
    let value = match &p.value {
        Some(v) => Some(hex::decode(v).map_err(|_| bad("value is not hex"))?),
        None => None,
    };
    let proof = hex::decode(&p.proof).map_err(|_| bad("proof is not hex"))?;
    if !verify_state_proof(key, value.as_deref(), &proof, &header.state_root) {
        return Err(bad("does not verify against the header's state root"));
    }
    Ok(Verified { value, header })
}

impl Client {
    /// Reads `key` with a proof and verifies it; errors if the proof fails.
    pub fn verified_state(&self, key: &StateKey) -> Result<Verified<Vec<u8>>, ClientError> {
        let p = self.proof(&key.to_string())?;
        verify_proof_view(key, &p)
    }

    /// Reads an account with a verified proof (an absent account is the empty account).
    pub fn verified_account(&self, did: &Did) -> Result<Verified<Account>, ClientError> {
        let v = self.verified_state(&StateKey::Account(did.clone()))?;
        let value = match v.value {
            Some(bytes) => Some(
                Account::decode(&bytes).map_err(|source| ClientError::Decode {
                    what: format!("account of {did}"),
                    source,
                })?,
            ),
            None => None,
        };
        Ok(Verified {
            value,
            header: v.header,
        })
    }
}
