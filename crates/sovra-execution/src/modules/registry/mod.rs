//! The trust registry (`RegisterVerifier`, `RemoveVerifier`: which verifier
//! identities may issue which credential types, managed by the registry
//! authority named in genesis) and status-list anchors
//! (`AnchorStatusList`: the CID of the current version of an issuer's
//! Bitstring Status List credential).

use crate::{
    ActionFailure, ActionResult, ApplyContext, BlockEnv, ExecError, ExecutionModule, KeySet,
    Overlay, Parties, StateReader, TxContext, fail,
};
use commonware_codec::Encode;
use sovra_types::{
    ContentId, Did, RegistryAction, StateKey, StatusListAnchor, VerifierRecord,
    limits::MAX_CREDENTIAL_TYPES,
    registry::{validate_credential_type, validate_status_list_id, validate_verifier_name},
};

/// CID codec of raw bytes: a status list credential is anchored as one raw block.
const RAW_CODEC: u64 = 0x55;

/// The registry module.
pub struct Registry;

/// What the registry module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryEvent {
    /// `verifier` was registered (or re-registered).
    VerifierRegistered {
        /// The verifier.
        verifier: Did,
    },
    /// `verifier` was removed from the registry.
    VerifierRemoved {
        /// The verifier.
        verifier: Did,
    },
}

impl ExecutionModule for Registry {
    type Action = RegistryAction;

    fn keys(ctx: &TxContext<'_>, action: &RegistryAction, keys: &mut KeySet) {
        match action {
            RegistryAction::RegisterVerifier { verifier, .. }
            | RegistryAction::RemoveVerifier { verifier } => {
                keys.insert(StateKey::Verifier(verifier.clone()));
                keys.insert(StateKey::Account(verifier.clone()));
            }
            RegistryAction::AnchorStatusList { list_id, .. } => {
                keys.insert(StateKey::StatusList {
                    issuer: ctx.signer().clone(),
                    list_id: list_id.clone(),
                });
            }
        }
    }

    fn parties(_: &TxContext<'_>, action: &RegistryAction, parties: &mut Parties) {
        match action {
            RegistryAction::RegisterVerifier { verifier, .. }
            | RegistryAction::RemoveVerifier { verifier } => parties.add(verifier),
            RegistryAction::AnchorStatusList { .. } => {}
        }
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &RegistryAction,
    ) -> ActionResult {
        let signer = ctx.signer();
        let authority = ctx.tx.params.params.registry_authority.as_ref();
        change(ctx, action, check_authority(authority, signer))
    }
}

/// Applies `action`: a verifier change if `authorized` (the registry authority signed it, or
/// a passed governance proposal enacts it), a status-list anchor by the signer.
pub(crate) fn change<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    action: &RegistryAction,
    authorized: Result<(), ActionFailure>,
) -> ActionResult {
    match action {
        RegistryAction::RegisterVerifier {
            verifier,
            name,
            credential_types,
        } => {
            if let Err(f) = authorized.and(check_registration(name, credential_types)) {
                return Ok(Err(f));
            }
            register(ctx.state, verifier, name, credential_types, ctx.env);
            ctx.emit(RegistryEvent::VerifierRegistered {
                verifier: verifier.clone(),
            });
            Ok(Ok(()))
        }
        RegistryAction::RemoveVerifier { verifier } => {
            if let Err(f) = authorized {
                return Ok(Err(f));
            }
            if let Err(f) = remove(ctx.state, verifier)? {
                return Ok(Err(f));
            }
            ctx.emit(RegistryEvent::VerifierRemoved {
                verifier: verifier.clone(),
            });
            Ok(Ok(()))
        }
        RegistryAction::AnchorStatusList { list_id, cid } => {
            let signer = ctx.signer();
            anchor_status_list(ctx.state, signer, list_id, cid, ctx.env)
        }
    }
}

/// Reads a verifier's registration.
pub fn verifier<R: StateReader>(
    state: &Overlay<R>,
    did: &Did,
) -> Result<Option<VerifierRecord>, ExecError> {
    state.get_decoded(&StateKey::Verifier(did.clone()), VerifierRecord::decode)
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

/// Checks a verifier registration's name and credential types.
pub(crate) fn check_registration(
    name: &str,
    credential_types: &[String],
) -> Result<(), ActionFailure> {
    let invalid = |message: String| Err(ActionFailure::new("invalid_verifier", message));
    if let Err(e) = validate_verifier_name(name) {
        return invalid(e.to_string());
    }
    if credential_types.is_empty() || credential_types.len() > MAX_CREDENTIAL_TYPES {
        return invalid(format!(
            "a verifier is registered for 1 to {MAX_CREDENTIAL_TYPES} credential types"
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in credential_types {
        if let Err(e) = validate_credential_type(t) {
            return invalid(e.to_string());
        }
        if !seen.insert(t) {
            return invalid(format!("credential type {t} listed twice"));
        }
    }
    Ok(())
}

/// Registers (or re-registers, replacing the types) `verifier`, whose registration was checked.
fn register<R: StateReader>(
    state: &mut Overlay<R>,
    verifier: &Did,
    name: &str,
    credential_types: &[String],
    env: BlockEnv,
) {
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
}

/// Removes `verifier` from the registry.
fn remove<R: StateReader>(state: &mut Overlay<R>, verifier: &Did) -> ActionResult {
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
fn anchor_status_list<R: StateReader>(
    state: &mut Overlay<R>,
    issuer: &Did,
    list_id: &str,
    cid: &ContentId,
    env: BlockEnv,
) -> ActionResult {
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
    let version = match state.get_decoded(&key, StatusListAnchor::decode)? {
        Some(anchor) => anchor.version.saturating_add(1),
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
