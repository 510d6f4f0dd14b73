//! `did:sovra` identities: `Create`, `Update`, `Deactivate`, and
//! the rule that a `did:sovra` signer signs with one of its current
//! capabilityInvocation keys.
//!
//! Every version of a document is kept under its own key
//! ([`StateKey::DidVersion`]) beside the current one ([`StateKey::Did`]),
//! so a resolver can return the document as it was at any version or time,
//! with a state proof.

use crate::{
    ActionFailure, ActionResult, ApplyContext, BlockEnv, ExecError, ExecutionModule, KeySet,
    Overlay, Parties, Rejection, StateReader, TxContext, fail,
};
use commonware_codec::Encode;
use sovra_types::{
    Did, DidDocument, DidMethod, DidRecord, IdentityAction, Relationship, SignedTransaction,
    StateKey, TxId, identity::derive_sovra_did,
};

/// The identity module.
pub struct Identity;

impl ExecutionModule for Identity {
    type Action = IdentityAction;

    fn keys(ctx: &TxContext<'_>, action: &IdentityAction, keys: &mut KeySet) {
        let (did, version) = match action {
            IdentityAction::Create { .. } => (created(ctx), 1),
            IdentityAction::Update {
                did,
                previous_version,
                ..
            }
            | IdentityAction::Deactivate {
                did,
                previous_version,
            } => (did.clone(), previous_version.saturating_add(1)),
        };
        keys.insert(StateKey::Did(did.clone()));
        keys.insert(StateKey::DidVersion {
            did: did.clone(),
            version,
        });
        keys.insert(StateKey::Account(did));
    }

    fn parties(ctx: &TxContext<'_>, action: &IdentityAction, parties: &mut Parties) {
        match action {
            IdentityAction::Create { .. } => parties.add(&created(ctx)),
            IdentityAction::Update { did, .. } | IdentityAction::Deactivate { did, .. } => {
                parties.add(did)
            }
        }
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &IdentityAction,
    ) -> ActionResult {
        let signer = ctx.signer();
        match action {
            IdentityAction::Create { document } => {
                let did = created(&ctx.tx);
                create(ctx.state, ctx.tx.tx, &did, document, ctx.env, ctx.tx_id)
            }
            IdentityAction::Update {
                did,
                previous_version,
                document,
            } => update(
                ctx.state,
                signer,
                did,
                *previous_version,
                document,
                ctx.env,
                ctx.tx_id,
            ),
            IdentityAction::Deactivate {
                did,
                previous_version,
            } => deactivate(
                ctx.state,
                signer,
                did,
                *previous_version,
                ctx.env,
                ctx.tx_id,
            ),
        }
    }
}

/// The DID the `Create` action at `ctx.index` creates.
fn created(ctx: &TxContext<'_>) -> Did {
    created_did(
        &ctx.params.chain_id,
        ctx.signer(),
        ctx.tx.tx.nonce,
        ctx.index,
    )
}

/// Reads the current record of a `did:sovra`.
pub fn load<R: StateReader>(state: &Overlay<R>, did: &Did) -> Result<Option<DidRecord>, ExecError> {
    state.get_decoded(&StateKey::Did(did.clone()), DidRecord::decode)
}

fn store<R: StateReader>(state: &mut Overlay<R>, did: &Did, record: &DidRecord) {
    let bytes = record.encode().to_vec();
    state.set(
        StateKey::DidVersion {
            did: did.clone(),
            version: record.version,
        },
        bytes.clone(),
    );
    state.set(StateKey::Did(did.clone()), bytes);
}

/// Checks that `t`'s signing key may sign for its signer: for `did:key` the
/// key is the DID (checked without state); for `did:sovra` it must be a
/// capabilityInvocation key of the signer's current, active document
/// (`record`).
pub fn check_signer_key(
    t: &SignedTransaction,
    record: Option<&DidRecord>,
) -> Result<(), Rejection> {
    if t.tx.signer.method() == DidMethod::Key {
        return t
            .check_key_binding()
            .map_err(|e| Rejection::BadSignature(e.to_string()));
    }
    let record = record.ok_or_else(|| Rejection::UnknownSigner(t.tx.signer.to_string()))?;
    if record.deactivated {
        return Err(Rejection::SignerDeactivated(t.tx.signer.to_string()));
    }
    if !record
        .document
        .has_key(Relationship::CapabilityInvocation, t.public_key.as_ref())
    {
        return Err(Rejection::BadSignature(format!(
            "the signing key is not a capabilityInvocation key of {}",
            t.tx.signer
        )));
    }
    Ok(())
}

/// The DID created by the `Create` action at position `index` of the actions of
/// a transaction by `signer` with `nonce`.
pub fn created_did(chain_id: &str, signer: &Did, nonce: u64, index: usize) -> Did {
    derive_sovra_did(chain_id, signer, nonce, index as u32)
}

fn check_document(did: &Did, doc: &DidDocument) -> Result<(), ActionFailure> {
    doc.validate().map_err(|e| ActionFailure {
        code: "invalid_document",
        message: e.to_string(),
    })?;
    if doc.controllers.contains(did) {
        return Err(ActionFailure {
            code: "invalid_document",
            message: format!("{did} cannot be its own controller"),
        });
    }
    Ok(())
}

/// Creates `did` (derived by the caller from the transaction) with `document`.
/// The signer must control the new DID: its signing key is one of the
/// document's capabilityInvocation keys, or the signer is a controller.
fn create<R: StateReader>(
    state: &mut Overlay<R>,
    t: &SignedTransaction,
    did: &Did,
    document: &DidDocument,
    env: BlockEnv,
    tx_id: TxId,
) -> ActionResult {
    if let Err(f) = check_document(did, document) {
        return Ok(Err(f));
    }
    let signer = &t.tx.signer;
    if !document.controllers.contains(signer)
        && !document.has_key(Relationship::CapabilityInvocation, t.public_key.as_ref())
    {
        return fail(
            "not_controller",
            "the new document must list the signing key under capabilityInvocation or the signer as a controller",
        );
    }
    if load(state, did)?.is_some() {
        return fail("did_exists", format!("{did} already exists"));
    }
    let record = DidRecord {
        version: 1,
        created_ms: env.timestamp_ms,
        updated_ms: env.timestamp_ms,
        created_height: env.height,
        updated_height: env.height,
        tx_id,
        deactivated: false,
        document: document.clone(),
    };
    store(state, did, &record);
    Ok(Ok(()))
}

/// Loads `did` for a change by `signer` at `previous_version`, checking that
/// it exists, is active, is at that version and that `signer` controls it.
fn load_for_change<R: StateReader>(
    state: &Overlay<R>,
    signer: &Did,
    did: &Did,
    previous_version: u64,
) -> ActionResult<DidRecord> {
    let failure = |code, message: String| Ok(Err(ActionFailure { code, message }));
    let Some(record) = load(state, did)? else {
        return failure("did_not_found", format!("{did} does not exist"));
    };
    if record.deactivated {
        return failure("did_deactivated", format!("{did} is deactivated"));
    }
    if record.version != previous_version {
        return failure(
            "version_conflict",
            format!(
                "{did} is at version {}, the update replaces version {previous_version}",
                record.version
            ),
        );
    }
    if signer != did && !record.document.controllers.contains(signer) {
        return failure(
            "not_controller",
            format!("{signer} is neither {did} nor one of its controllers"),
        );
    }
    Ok(Ok(record))
}

/// Applies `edit` to the next version of `did`, after the checks of
/// [`load_for_change`]; stores it as the current record and as its own version.
fn change<R: StateReader>(
    state: &mut Overlay<R>,
    signer: &Did,
    did: &Did,
    previous_version: u64,
    env: BlockEnv,
    tx_id: TxId,
    edit: impl FnOnce(&mut DidRecord) -> Result<(), ActionFailure>,
) -> ActionResult {
    let mut record = match load_for_change(state, signer, did, previous_version)? {
        Ok(r) => r,
        Err(f) => return Ok(Err(f)),
    };
    if let Err(f) = edit(&mut record) {
        return Ok(Err(f));
    }
    record.version += 1;
    record.updated_ms = env.timestamp_ms;
    record.updated_height = env.height;
    record.tx_id = tx_id;
    store(state, did, &record);
    Ok(Ok(()))
}

/// A verification method id keeps its key from one version to the next: a
/// new key takes a new id. Otherwise a verifier that resolves the current
/// document would call a credential signed by the replaced key "invalid"
/// rather than "signed by a key that is no longer the DID's".
fn check_ids_keep_keys(previous: &DidDocument, next: &DidDocument) -> Result<(), ActionFailure> {
    for method in &next.methods {
        if let Some(old) = previous.methods.iter().find(|m| m.id == method.id)
            && (old.key_type != method.key_type || old.public_key != method.public_key)
        {
            return Err(ActionFailure {
                code: "key_id_reused",
                message: format!(
                    "#{} names another key in the current version; give the new key a new id",
                    method.id
                ),
            });
        }
    }
    Ok(())
}

/// Replaces the document of `did` with `document`.
fn update<R: StateReader>(
    state: &mut Overlay<R>,
    signer: &Did,
    did: &Did,
    previous_version: u64,
    document: &DidDocument,
    env: BlockEnv,
    tx_id: TxId,
) -> ActionResult {
    change(state, signer, did, previous_version, env, tx_id, |record| {
        check_document(did, document)?;
        check_ids_keep_keys(&record.document, document)?;
        record.document = document.clone();
        Ok(())
    })
}

/// Deactivates `did` for good.
fn deactivate<R: StateReader>(
    state: &mut Overlay<R>,
    signer: &Did,
    did: &Did,
    previous_version: u64,
    env: BlockEnv,
    tx_id: TxId,
) -> ActionResult {
    change(state, signer, did, previous_version, env, tx_id, |record| {
        record.deactivated = true;
        Ok(())
    })
}

/// Replaces every key of `did` by `new_key` (an Ed25519 key, with its derived
/// X25519 key for keyAgreement) and removes every controller (a lost key may
/// be one of them), keeping services and alsoKnownAs. The new methods are
/// `key-N` and `agreement-N`, N being the version this change creates or,
/// if larger, one more than any number of the current document's ids: the
/// CLI numbers keys so (one number per rotation, see `next_key_number`), so
/// the new ids are ones no earlier version used, without reading every
/// earlier version. Used by guardian recovery, which has authorized the
/// change itself; `previous_version` guards against racing updates as in
/// `Update`.
pub fn replace_keys<R: StateReader>(
    state: &mut Overlay<R>,
    did: &Did,
    previous_version: u64,
    new_key: &[u8; 32],
    env: BlockEnv,
    tx_id: TxId,
) -> ActionResult {
    change(state, did, did, previous_version, env, tx_id, |record| {
        let ids = record
            .document
            .methods
            .iter()
            .map(|m| m.id.as_str())
            .chain(record.document.services.iter().map(|s| s.id.as_str()));
        let next_version = usize::try_from(record.version.saturating_add(1)).unwrap_or(usize::MAX);
        let number = sovra_types::identity::next_key_number(ids).max(next_version);
        let methods =
            sovra_types::identity::methods_for_key(new_key, number).map_err(|e| ActionFailure {
                code: "invalid_key",
                message: e.to_string(),
            })?;
        let mut document = record.document.clone();
        document.methods = methods;
        document.controllers.clear();
        check_document(did, &document)?;
        record.document = document;
        Ok(())
    })
}
