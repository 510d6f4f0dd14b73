//! Private vault records: the anchors of client-side encrypted records and
//! the grants to read them (`VaultAction`).
//!
//! The ledger checks ownership, version order, grant bounds and retention
//! dates; it never sees a key or plaintext. Nodes read the finalized anchors
//! to decide which ciphertext blocks to keep, whom to release them to, and
//! what to erase.

use crate::{
    ActionFailure, ActionResult, ApplyContext, BlockEnv, ExecError, ExecutionModule, KeySet,
    Overlay, Parties, StateReader, TxContext, fail,
};
use commonware_codec::Encode;
use sovra_types::{
    ContentId, Did, ReceiptStatus, RecordId, StateKey, VaultAction, VaultRecord,
    limits::{MAX_PIN_BYTES, MAX_REPLICATION},
    vault::{Grant, MAX_GRANTS_PER_RECORD, MIN_VAULT_REPLICATION},
};

/// The vault module.
pub struct Vault;

/// What the vault module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultEvent {
    /// The anchor of record `id` was written; `record` is its new value.
    RecordWritten {
        /// The record.
        id: RecordId,
        /// The anchor as written.
        record: VaultRecord,
    },
}

impl ExecutionModule for Vault {
    type Action = VaultAction;

    fn keys(_: &TxContext<'_>, action: &VaultAction, keys: &mut KeySet) {
        keys.insert(StateKey::VaultRecord(action.record()));
        match action {
            VaultAction::Grant { grantee, .. } => {
                keys.insert(StateKey::Account(grantee.clone()));
            }
            VaultAction::Put { .. } | VaultAction::Revoke { .. } | VaultAction::Delete { .. } => {}
        }
    }

    fn parties(_: &TxContext<'_>, action: &VaultAction, parties: &mut Parties) {
        match action {
            VaultAction::Grant { grantee, .. } => parties.add(grantee),
            VaultAction::Put { .. } | VaultAction::Revoke { .. } | VaultAction::Delete { .. } => {}
        }
    }

    fn apply<R: StateReader>(ctx: &mut ApplyContext<'_, R>, action: &VaultAction) -> ActionResult {
        let signer = ctx.signer();
        let written = match apply_action(ctx.state, signer, action, ctx.env)? {
            Ok(record) => record,
            Err(f) => return Ok(Err(f)),
        };
        store(ctx.state, &action.record(), &written);
        ctx.emit(VaultEvent::RecordWritten {
            id: action.record(),
            record: written,
        });
        if let VaultAction::Delete { record } = action {
            // Each erased record adds an erasure entry to its owner's receipt chain.
            ctx.add_receipt(signer.clone(), ReceiptStatus::Erased { record: *record });
        }
        Ok(Ok(()))
    }
}

/// Reads a record's anchor.
pub fn load<R: StateReader>(
    state: &Overlay<R>,
    id: &RecordId,
) -> Result<Option<VaultRecord>, ExecError> {
    state.get_decoded(&StateKey::VaultRecord(*id), VaultRecord::decode)
}

fn store<R: StateReader>(state: &mut Overlay<R>, id: &RecordId, record: &VaultRecord) {
    state.set(StateKey::VaultRecord(*id), record.encode().to_vec());
}

fn check_cid(what: &str, cid: &ContentId) -> Result<(), ActionFailure> {
    if cid.is_sha256() {
        Ok(())
    } else {
        Err(ActionFailure {
            code: "unsupported_cid",
            message: format!("{what} {cid}: only sha2-256 blocks are replicated"),
        })
    }
}

/// Loads `id` for a change by `signer`: it must exist, belong to the signer
/// and not be erased or past its retention date.
fn load_owned<R: StateReader>(
    state: &Overlay<R>,
    signer: &Did,
    id: &RecordId,
    env: BlockEnv,
) -> ActionResult<VaultRecord> {
    let failure = |code, message: String| Ok(Err(ActionFailure { code, message }));
    let Some(record) = load(state, id)? else {
        return failure(
            "record_not_found",
            format!("vault record {id} does not exist"),
        );
    };
    if &record.owner != signer {
        return failure(
            "not_owner",
            format!("vault record {id} belongs to {}", record.owner),
        );
    }
    if record.erased_height.is_some() {
        return failure("record_erased", format!("vault record {id} was erased"));
    }
    if record.is_expired(env.timestamp_ms) {
        return failure(
            "record_expired",
            format!("vault record {id} is past its retention date"),
        );
    }
    Ok(Ok(record))
}

/// Checks one vault action signed by `signer` and returns the record's anchor as the action
/// leaves it (the caller stores it).
fn apply_action<R: StateReader>(
    state: &Overlay<R>,
    signer: &Did,
    action: &VaultAction,
    env: BlockEnv,
) -> ActionResult<VaultRecord> {
    match action {
        VaultAction::Put {
            record,
            version,
            content,
            size,
            keys,
            replication,
            retain_until_ms,
        } => {
            for (what, cid) in [("content", content), ("keys", keys)] {
                if let Err(f) = check_cid(what, cid) {
                    return Ok(Err(f));
                }
            }
            if *size > MAX_PIN_BYTES {
                return fail(
                    "too_large",
                    format!("a record is at most {MAX_PIN_BYTES} bytes"),
                );
            }
            if *replication < MIN_VAULT_REPLICATION || *replication > MAX_REPLICATION {
                return fail(
                    "invalid_replication",
                    format!(
                        "replication must be {MIN_VAULT_REPLICATION} to {MAX_REPLICATION}, not {replication}"
                    ),
                );
            }
            if retain_until_ms.is_some_and(|t| t <= env.timestamp_ms) {
                return fail(
                    "retention_passed",
                    "the retention date must be after the block time",
                );
            }
            let next = match load(state, record)? {
                None if *version == 1 => VaultRecord {
                    owner: signer.clone(),
                    version: 1,
                    content: content.clone(),
                    size: *size,
                    keys: keys.clone(),
                    replication: *replication,
                    retain_until_ms: *retain_until_ms,
                    created_height: env.height,
                    updated_height: env.height,
                    updated_ms: env.timestamp_ms,
                    erased_height: None,
                    grants: Vec::new(),
                },
                None => {
                    return fail(
                        "version_conflict",
                        format!("vault record {record} does not exist; a new record is version 1"),
                    );
                }
                Some(_) => {
                    let mut current = match load_owned(state, signer, record, env)? {
                        Ok(r) => r,
                        Err(f) => return Ok(Err(f)),
                    };
                    if *version != current.version + 1 {
                        return fail(
                            "version_conflict",
                            format!(
                                "vault record {record} is at version {}; the next is {}",
                                current.version,
                                current.version + 1
                            ),
                        );
                    }
                    current.version = *version;
                    current.content = content.clone();
                    current.size = *size;
                    current.keys = keys.clone();
                    current.replication = *replication;
                    current.retain_until_ms = *retain_until_ms;
                    current.updated_height = env.height;
                    current.updated_ms = env.timestamp_ms;
                    // Grants wrap the old version's key: they end with it, and nodes erase
                    // their wraps. The owner re-grants in the same transaction.
                    current.grants.clear();
                    current
                }
            };
            Ok(Ok(next))
        }
        VaultAction::Grant {
            record,
            grantee,
            until_ms,
            wrap,
        } => {
            let mut current = match load_owned(state, signer, record, env)? {
                Ok(r) => r,
                Err(f) => return Ok(Err(f)),
            };
            if let Err(f) = check_cid("wrap", wrap) {
                return Ok(Err(f));
            }
            if grantee == signer {
                return fail("invalid_grant", "the owner needs no grant");
            }
            if until_ms.is_some_and(|t| t <= env.timestamp_ms) {
                return fail("invalid_grant", "the grant would end before the block time");
            }
            let grant = Grant {
                grantee: grantee.clone(),
                version: current.version,
                until_ms: *until_ms,
                wrap: wrap.clone(),
            };
            let full = current.grants.len() >= MAX_GRANTS_PER_RECORD;
            match current.grants.iter_mut().find(|g| &g.grantee == grantee) {
                Some(existing) => *existing = grant,
                None if full => {
                    return fail(
                        "too_many_grants",
                        format!("a record has at most {MAX_GRANTS_PER_RECORD} grants"),
                    );
                }
                None => current.grants.push(grant),
            }
            current.updated_height = env.height;
            current.updated_ms = env.timestamp_ms;
            Ok(Ok(current))
        }
        VaultAction::Revoke { record, grantee } => {
            let mut current = match load_owned(state, signer, record, env)? {
                Ok(r) => r,
                Err(f) => return Ok(Err(f)),
            };
            let before = current.grants.len();
            current.grants.retain(|g| &g.grantee != grantee);
            if current.grants.len() == before {
                return fail(
                    "no_grant",
                    format!("{grantee} has no grant on vault record {record}"),
                );
            }
            current.updated_height = env.height;
            current.updated_ms = env.timestamp_ms;
            Ok(Ok(current))
        }
        VaultAction::Delete { record } => {
            let Some(mut current) = load(state, record)? else {
                return fail(
                    "record_not_found",
                    format!("vault record {record} does not exist"),
                );
            };
            if &current.owner != signer {
                return fail(
                    "not_owner",
                    format!("vault record {record} belongs to {}", current.owner),
                );
            }
            if current.erased_height.is_some() {
                return fail("record_erased", format!("vault record {record} was erased"));
            }
            // A record past its retention date is already being erased by the
            // nodes; deleting it explicitly is still allowed (and recorded).
            current.erased_height = Some(env.height);
            current.updated_height = env.height;
            current.updated_ms = env.timestamp_ms;
            Ok(Ok(current))
        }
    }
}
