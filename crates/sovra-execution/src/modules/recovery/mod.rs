//! Guardian recovery of a `did:sovra` (`RecoveryAction`): setup, request
//! with a time lock, guardian approvals, cancellation by the current keys,
//! and completion, which replaces the identity's keys by the new device key
//! through the identity module.
//!
//! The ledger holds only public material: the guardian list, the threshold,
//! the Feldman commitments (checked to be well formed and to match the
//! threshold and guardian count) and CIDs of blocks of encrypted shares.

use crate::{
    ActionFailure, ActionResult, ApplyContext, BlockEnv, ExecError, ExecutionModule, KeySet,
    Overlay, Parties, StateReader, TxContext, fail, modules::identity,
};
use commonware_codec::Encode;
use sovra_crypto::shares::Commitments;
use sovra_types::{
    Did, DidMethod, RecoveryAction, RecoveryConfig, StateKey, TxId,
    recovery::{Approval, MAX_TIME_LOCK_MS, PendingRecovery},
};

/// The recovery module.
pub struct Recovery;

/// What the recovery module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecoveryEvent {
    /// The recovery setup of `did` was written; `config` is its new value.
    SetupWritten {
        /// The identity.
        did: Did,
        /// The setup as written.
        config: RecoveryConfig,
    },
}

impl ExecutionModule for Recovery {
    type Action = RecoveryAction;

    fn keys(ctx: &TxContext<'_>, action: &RecoveryAction, keys: &mut KeySet) {
        let subject = action.subject(ctx.signer());
        keys.insert(StateKey::Recovery(subject.clone()));
        keys.insert(StateKey::Account(subject.clone()));
        if let RecoveryAction::Complete {
            did,
            previous_version,
        } = action
        {
            keys.insert(StateKey::Did(did.clone()));
            keys.insert(StateKey::DidVersion {
                did: did.clone(),
                version: previous_version.saturating_add(1),
            });
        }
    }

    fn parties(ctx: &TxContext<'_>, action: &RecoveryAction, parties: &mut Parties) {
        parties.add(action.subject(ctx.signer()));
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &RecoveryAction,
    ) -> ActionResult {
        let signer = ctx.signer();
        let subject = action.subject(signer);
        let config = match apply_action(ctx.state, signer, action, ctx.env, ctx.tx_id)? {
            Ok(config) => config,
            Err(f) => return Ok(Err(f)),
        };
        store(ctx.state, subject, &config);
        ctx.emit(RecoveryEvent::SetupWritten {
            did: subject.clone(),
            config,
        });
        Ok(Ok(()))
    }
}

/// Reads an identity's recovery setup.
pub fn load<R: StateReader>(
    state: &Overlay<R>,
    did: &Did,
) -> Result<Option<RecoveryConfig>, ExecError> {
    state.get_decoded(&StateKey::Recovery(did.clone()), RecoveryConfig::decode)
}

fn store<R: StateReader>(state: &mut Overlay<R>, did: &Did, config: &RecoveryConfig) {
    state.set(StateKey::Recovery(did.clone()), config.encode().to_vec());
}

fn check_setup(
    signer: &Did,
    guardians: &[Did],
    threshold: u8,
    commitments: &[u8],
    time_lock_ms: u64,
) -> Result<(), ActionFailure> {
    let invalid = |message: String| ActionFailure {
        code: "invalid_recovery",
        message,
    };
    if signer.method() != DidMethod::Sovra {
        return Err(ActionFailure {
            code: "not_recoverable",
            message: "only a did:sovra has keys that recovery can replace".into(),
        });
    }
    let mut sorted = guardians.to_vec();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != guardians.len() || guardians.contains(signer) {
        return Err(invalid(
            "guardians must be distinct and other than the identity".into(),
        ));
    }
    let parsed = Commitments::from_bytes(commitments).map_err(|e| invalid(e.to_string()))?;
    if parsed.threshold() != threshold || usize::from(parsed.guardians()) != guardians.len() {
        return Err(invalid(format!(
            "commitments are for {}-of-{}, the setup says {threshold}-of-{}",
            parsed.threshold(),
            parsed.guardians(),
            guardians.len()
        )));
    }
    if time_lock_ms > MAX_TIME_LOCK_MS {
        return Err(invalid(format!(
            "the time lock is at most {MAX_TIME_LOCK_MS} ms"
        )));
    }
    Ok(())
}

/// Loads the setup of `did` with its pending recovery.
fn load_pending<R: StateReader>(
    state: &Overlay<R>,
    did: &Did,
) -> ActionResult<(RecoveryConfig, PendingRecovery)> {
    let Some(mut config) = load(state, did)? else {
        return fail("no_recovery_setup", format!("{did} has no recovery setup"));
    };
    match config.pending.take() {
        Some(p) => Ok(Ok((config, p))),
        None => fail(
            "no_pending_recovery",
            format!("{did} has no pending recovery"),
        ),
    }
}

/// Checks and applies one recovery action signed by `signer`; returns the setup of the
/// action's subject as the action leaves it (the caller stores it).
fn apply_action<R: StateReader>(
    state: &mut Overlay<R>,
    signer: &Did,
    action: &RecoveryAction,
    env: BlockEnv,
    tx_id: TxId,
) -> ActionResult<RecoveryConfig> {
    match action {
        RecoveryAction::Setup {
            guardians,
            threshold,
            commitments,
            shares,
            time_lock_ms,
        } => {
            if let Err(f) = check_setup(signer, guardians, *threshold, commitments, *time_lock_ms) {
                return Ok(Err(f));
            }
            if !shares.is_sha256() {
                return fail("unsupported_cid", "the shares block must be sha2-256");
            }
            if load(state, signer)?.is_some_and(|c| c.pending.is_some()) {
                return fail(
                    "recovery_pending",
                    "cancel the pending recovery before changing guardians",
                );
            }
            let config = RecoveryConfig {
                guardians: guardians.clone(),
                threshold: *threshold,
                commitments: commitments.clone(),
                shares: shares.clone(),
                time_lock_ms: *time_lock_ms,
                pending: None,
            };
            Ok(Ok(config))
        }
        RecoveryAction::Request { did } => {
            let Some(mut config) = load(state, did)? else {
                return fail("no_recovery_setup", format!("{did} has no recovery setup"));
            };
            if config.pending.is_some() {
                return fail(
                    "recovery_pending",
                    format!("{did} already has a pending recovery"),
                );
            }
            if signer.method() != DidMethod::Key {
                return fail(
                    "invalid_recovery",
                    "a recovery is requested by the new device's did:key",
                );
            }
            config.pending = Some(PendingRecovery {
                new_controller: signer.clone(),
                requested_ms: env.timestamp_ms,
                unlock_ms: env.timestamp_ms.saturating_add(config.time_lock_ms),
                approvals: Vec::new(),
            });
            Ok(Ok(config))
        }
        RecoveryAction::Approve { did, share } => {
            let (mut config, mut pending) = match load_pending(state, did)? {
                Ok(x) => x,
                Err(f) => return Ok(Err(f)),
            };
            if !config.guardians.contains(signer) {
                return fail(
                    "not_guardian",
                    format!("{signer} is not a guardian of {did}"),
                );
            }
            if pending.approvals.iter().any(|a| &a.guardian == signer) {
                return fail("already_approved", format!("{signer} already approved"));
            }
            if !share.is_sha256() {
                return fail("unsupported_cid", "the share block must be sha2-256");
            }
            pending.approvals.push(Approval {
                guardian: signer.clone(),
                share: share.clone(),
            });
            config.pending = Some(pending);
            Ok(Ok(config))
        }
        RecoveryAction::Cancel { did } => {
            let (config, _) = match load_pending(state, did)? {
                Ok(x) => x,
                Err(f) => return Ok(Err(f)),
            };
            // The identity's current keys cancel a recovery they did not ask for; a guardian
            // cancels one nobody should have asked for (a request by a stranger would
            // otherwise block recovery for an owner who has lost every key).
            if signer != did && !config.guardians.contains(signer) {
                return fail(
                    "not_owner",
                    format!("only {did} itself or one of its guardians can cancel its recovery"),
                );
            }
            Ok(Ok(config))
        }
        RecoveryAction::Complete {
            did,
            previous_version,
        } => {
            let (config, pending) = match load_pending(state, did)? {
                Ok(x) => x,
                Err(f) => return Ok(Err(f)),
            };
            if signer != &pending.new_controller {
                return fail(
                    "not_new_controller",
                    format!("only {} can complete this recovery", pending.new_controller),
                );
            }
            if pending.approvals.len() < usize::from(config.threshold) {
                return fail(
                    "not_enough_approvals",
                    format!(
                        "{} of {} guardian approvals",
                        pending.approvals.len(),
                        config.threshold
                    ),
                );
            }
            if env.timestamp_ms < pending.unlock_ms {
                return fail(
                    "time_locked",
                    format!(
                        "the time lock ends at {} ms, the block time is {} ms",
                        pending.unlock_ms, env.timestamp_ms
                    ),
                );
            }
            let Some(key) = signer.key() else {
                return fail("invalid_recovery", "the new controller is not a did:key");
            };
            let raw: [u8; 32] = match key.as_ref().try_into() {
                Ok(raw) => raw,
                Err(_) => return fail("invalid_recovery", "the new key is not 32 bytes"),
            };
            if let Err(f) = identity::replace_keys(state, did, *previous_version, &raw, env, tx_id)?
            {
                return Ok(Err(f));
            }
            Ok(Ok(config))
        }
    }
}
