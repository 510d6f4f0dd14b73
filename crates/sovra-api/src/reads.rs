//! Typed reads from the backend that several areas share: records at the newest finalized
//! state (DID records and their versions, verifiers, any record by its decoder) and blocks of
//! one owner's namespace of the vault store.

use crate::{ApiError, Backend, blocking::blocking, cas_error};
use sovra_cas::BlockSource;
use sovra_types::{
    ContentId, Did, DidRecord, StateKey, TypesError, VerifierRecord, identity::version_at_time,
};

/// The value of `key` at the newest finalized state, decoded with `decode` (a value that does
/// not decode is a 500: the state holds only what execution wrote).
pub(crate) async fn decoded<B: Backend, T>(
    b: &B,
    key: StateKey,
    decode: impl FnOnce(&[u8]) -> Result<T, TypesError>,
) -> Result<Option<T>, ApiError> {
    b.state_value(key)
        .await?
        .map(|bytes| decode(&bytes).map_err(ApiError::decode))
        .transpose()
}

/// A DID record (the current one, `StateKey::Did`, or one version, [`version_key`]) at the
/// newest finalized state.
pub(crate) async fn did_record<B: Backend>(
    b: &B,
    key: StateKey,
) -> Result<Option<DidRecord>, ApiError> {
    decoded(b, key, DidRecord::decode).await
}

/// The state key of version `version` (from 1) of `did`.
pub(crate) fn version_key(did: &Did, version: u64) -> StateKey {
    StateKey::DidVersion {
        did: did.clone(),
        version,
    }
}

/// The number of the version of `did` current at `t_ms` (`None` before it
/// existed), given its newest version number.
pub(crate) async fn version_number_at<B: Backend>(
    b: &B,
    did: &Did,
    latest: u64,
    t_ms: u64,
) -> Result<Option<u64>, ApiError> {
    version_at_time(latest, t_ms, |v| async move {
        match did_record(b, version_key(did, v)).await? {
            Some(r) => Ok(r.updated_ms),
            None => Err(ApiError::Internal(format!("{did} lacks version {v}"))),
        }
    })
    .await
}

/// A verifier's registration in the trust registry, at the newest finalized state.
pub(crate) async fn verifier<B: Backend>(
    b: &B,
    did: &Did,
) -> Result<Option<VerifierRecord>, ApiError> {
    decoded(b, StateKey::Verifier(did.clone()), VerifierRecord::decode).await
}

/// Reads one block of `owner`'s namespace of the vault store (here or at a peer); a block no
/// reachable node has is a 503.
pub(crate) async fn vault_block<B: Backend>(
    b: &B,
    owner: &Did,
    cid: &ContentId,
) -> Result<Vec<u8>, ApiError> {
    let blocks = b.vault_blocks(owner);
    let cid = *cid.cid();
    blocking(move || {
        blocks.get_block(&cid).map_err(cas_error)?.ok_or_else(|| {
            ApiError::Unavailable(format!(
                "block {cid} is not available on any reachable node"
            ))
        })
    })
    .await
}
