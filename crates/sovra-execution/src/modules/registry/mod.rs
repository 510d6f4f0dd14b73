//! The trust registry (`RegisterVerifier`, `RemoveVerifier`: which verifier
//! identities may issue which credential types, managed by the registry
//! authority named in genesis) and status-list anchors
//! (`AnchorStatusList`: the CID of the current version of an issuer's
//! Bitstring Status List credential).

use crate::modules::accounts::{ActionFailure, fail};
use crate::{BlockEnv, ExecError, Overlay, StateReader};
use commonware_codec::Encode;
use sovra_types::{
    ContentId, Did, StateKey, StatusListAnchor, VerifierRecord,
    limits::MAX_CREDENTIAL_TYPES,
    registry::{validate_credential_type, validate_status_list_id, validate_verifier_name},
};

/// CID codec of raw bytes: a status list credential is anchored as one raw block.
const RAW_CODEC: u64 = 0x55;

/// The state keys a registry action reads or writes (besides the signer's).
pub fn keys(signer: &Did, action: &sovra_types::Action) -> Vec<StateKey> {
    use sovra_types::Action;
    match action {
        Action::RegisterVerifier { verifier, .. } | Action::RemoveVerifier { verifier } => vec![
            StateKey::Verifier(verifier.clone()),
            StateKey::Account(verifier.clone()),
        ],
        Action::AnchorStatusList { list_id, .. } => vec![StateKey::StatusList {
            issuer: signer.clone(),
            list_id: list_id.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Reads a verifier's registration.
pub fn verifier<R: StateReader>(
    state: &Overlay<R>,
    did: &Did,
) -> Result<Option<VerifierRecord>, ExecError> {
    match state.get(&StateKey::Verifier(did.clone()))? {
        Some(b) => VerifierRecord::decode(&b)
            .map(Some)
            .map_err(|e| ExecError::State(e.to_string())),
        None => Ok(None),
    }
}

fn check_authority(authority: Option<&Did>, signer: &Did) -> Result<(), ActionFailure> {
    match authority {
        Some(a) if a == signer => Ok(()),
        Some(a) => Err(ActionFailure {
            code: "not_registry_authority",
            message: format!("only the registry authority {a} may change the trust registry"),
        }),
        None => Err(ActionFailure {
            code: "not_registry_authority",
            message: "this chain's genesis names no registry authority".into(),
        }),
    }
}

/// Registers (or re-registers, replacing the types) `verifier`.
pub fn register<R: StateReader>(
    state: &mut Overlay<R>,
    authority: Option<&Did>,
    signer: &Did,
    verifier: &Did,
    name: &str,
    credential_types: &[String],
    env: BlockEnv,
) -> Result<Result<(), ActionFailure>, ExecError> {
    if let Err(f) = check_authority(authority, signer) {
        return Ok(Err(f));
    }
    if let Err(e) = validate_verifier_name(name) {
        return fail("invalid_verifier", e.to_string());
    }
    if credential_types.is_empty() || credential_types.len() > MAX_CREDENTIAL_TYPES {
        return fail(
            "invalid_verifier",
            format!("a verifier is registered for 1 to {MAX_CREDENTIAL_TYPES} credential types"),
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in credential_types {
        if let Err(e) = validate_credential_type(t) {
            return fail("invalid_verifier", e.to_string());
        }
        if !seen.insert(t) {
            return fail(
                "invalid_verifier",
                format!("credential type {t} listed twice"),
            );
        }
    }
    let record = VerifierRecord {
        name: name.to_string(),
        credential_types: credential_types.to_vec(),
        registered_height: env.height,
        registered_ms: env.timestamp_ms,
    };
    state.set(
        StateKey::Verifier(verifier.clone()),
        record.encode().to_vec(),
    );
    Ok(Ok(()))
}

/// Removes `verifier` from the registry.
pub fn remove<R: StateReader>(
    state: &mut Overlay<R>,
    authority: Option<&Did>,
    signer: &Did,
    verifier: &Did,
) -> Result<Result<(), ActionFailure>, ExecError> {
    if let Err(f) = check_authority(authority, signer) {
        return Ok(Err(f));
    }
    if self::verifier(state, verifier)?.is_none() {
        return fail(
            "verifier_not_found",
            format!("{verifier} is not a registered verifier"),
        );
    }
    state.delete(StateKey::Verifier(verifier.clone()));
    Ok(Ok(()))
}

/// Anchors `cid` as the current version of `issuer`'s status list `list_id`.
pub fn anchor_status_list<R: StateReader>(
    state: &mut Overlay<R>,
    issuer: &Did,
    list_id: &str,
    cid: &ContentId,
    env: BlockEnv,
) -> Result<Result<(), ActionFailure>, ExecError> {
    if let Err(e) = validate_status_list_id(list_id) {
        return fail("invalid_status_list", e.to_string());
    }
    if !cid.is_sha256() || cid.cid().codec() != RAW_CODEC {
        return fail(
            "invalid_status_list",
            format!(
                "{cid}: a status list is anchored by the CID of its raw bytes (raw codec, sha2-256)"
            ),
        );
    }
    let key = StateKey::StatusList {
        issuer: issuer.clone(),
        list_id: list_id.to_string(),
    };
    let version = match state.get(&key)? {
        Some(b) => StatusListAnchor::decode(&b)
            .map_err(|e| ExecError::State(e.to_string()))?
            .version
            .saturating_add(1),
        None => 1,
    };
    let anchor = StatusListAnchor {
        cid: cid.clone(),
        version,
        height: env.height,
        updated_ms: env.timestamp_ms,
    };
    state.set(key, anchor.encode().to_vec());
    Ok(Ok(()))
}
