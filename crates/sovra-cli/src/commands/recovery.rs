//! `sovra recovery …`: guardian recovery of an identity's keys and vault secret. The owner splits
//! the vault secret among guardians; a new device asks, guardians approve, and after the time
//! lock the new device rebuilds the vault secret and takes over the identity.

use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use sovra_api_types::RecoveryView;
use sovra_client::Client;
use sovra_types::{Action, Did, RecoveryAction};

use crate::args::NodeArgs;
use crate::output::{OutputArgs, print_with_times};
use crate::session::{send, session};
use crate::signer::SignerArgs;
use crate::time::{format_duration, format_time, now_ms, parse_duration};
use crate::vault_secret::{VaultArgs, load_vault, save_vault};

/// `sovra recovery` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum RecoveryCommand {
    /// Split the vault secret among guardians and anchor the commitments.
    Setup {
        /// Guardians, comma-separated DIDs.
        #[arg(long, value_delimiter = ',', required = true)]
        guardians: Vec<String>,
        /// Guardians needed to recover.
        #[arg(long)]
        threshold: u8,
        /// How long a recovery waits, during which the current keys can cancel it (e.g. 7d, 12h, 90s).
        #[arg(long, default_value = "7d")]
        time_lock: String,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// Show an identity's guardians and pending recovery.
    Status {
        /// The identity.
        did: String,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// From a new device: start recovering an identity to the signing key (its did:key).
    Request {
        /// The identity to recover.
        #[arg(long)]
        did: String,
        /// Signer: the new device's key.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// As a guardian: check your share and hand it to the requesting device.
    Approve {
        /// The identity being recovered.
        #[arg(long)]
        did: String,
        /// Signer: the guardian.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// With the identity's current keys: cancel a pending recovery.
    Cancel {
        /// The identity.
        #[arg(long)]
        did: String,
        /// Signer: the identity (`--as DID`).
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// From the new device, after the time lock: rebuild the vault secret and take over the identity.
    Complete {
        /// The identity being recovered.
        #[arg(long)]
        did: String,
        /// Vault options (the signer is the new device's key; the rebuilt vault is stored under --vault).
        #[command(flatten)]
        args: VaultArgs,
    },
}

/// Runs a `sovra recovery` command.
pub(crate) fn run(command: RecoveryCommand) -> Result<()> {
    match command {
        RecoveryCommand::Setup {
            guardians,
            threshold,
            time_lock,
            args,
        } => {
            let s = session(&args.signer)?;
            let vault = load_vault(&args, &s.did)?;
            let guardians: Vec<Did> = guardians
                .iter()
                .map(|g| Did::parse(g.trim()))
                .collect::<Result<_, _>>()?;
            let action = s.client.recovery_setup_action(
                &s.token,
                &s.did,
                &vault,
                &guardians,
                threshold,
                parse_duration(&time_lock)?,
            )?;
            send(&s, &args.signer, vec![action])
        }
        RecoveryCommand::Status { did, node, output } => print_with_times(
            &Client::new(&node.node).recovery(&Did::parse(&did)?)?,
            &output,
        ),
        RecoveryCommand::Request { did, signer } => {
            let s = session(&signer)?;
            let action = Action::Recovery(RecoveryAction::Request {
                did: Did::parse(&did)?,
            });
            send(&s, &signer, vec![action])
        }
        RecoveryCommand::Approve { did, signer } => {
            let s = session(&signer)?;
            let action =
                s.client
                    .recovery_approve_action(&s.token, &Did::parse(&did)?, &s.did, &s.key)?;
            send(&s, &signer, vec![action])
        }
        RecoveryCommand::Cancel { did, signer } => {
            let s = session(&signer)?;
            let action = Action::Recovery(RecoveryAction::Cancel {
                did: Did::parse(&did)?,
            });
            send(&s, &signer, vec![action])
        }
        RecoveryCommand::Complete { did, args } => {
            let s = session(&args.signer)?;
            let owner = Did::parse(&did)?;
            // Refuse here what the ledger would refuse, instead of paying for a failing
            // transaction.
            let view = s.client.recovery(&owner)?;
            let finalized_ms = s.client.block(None)?.header.timestamp_ms;
            ready_to_complete(&owner, &view, &s.did, now_ms().max(finalized_ms))?;
            let vault = s
                .client
                .recovery_rebuild(&s.token, &owner, &s.did, &s.key)?;
            let previous_version = s
                .client
                .resolve_verified(&owner, sovra_client::DidVersionSelector::Latest)?
                .map_err(|_| anyhow!("{owner} does not exist"))?
                .record
                .ok_or_else(|| anyhow!("{owner} has no ledger record"))?
                .version;
            send(
                &s,
                &args.signer,
                vec![Action::Recovery(RecoveryAction::Complete {
                    did: owner.clone(),
                    previous_version,
                })],
            )?;
            save_vault(&args, &owner, vault.secret())?;
            eprintln!("{owner} now signs with this device's key; use `--as {owner}`");
            Ok(())
        }
    }
}

/// Why the signer cannot complete `owner`'s recovery now, if it cannot: no pending recovery,
/// a recovery for another device, too few approvals, or the time lock not over at `now_ms`.
fn ready_to_complete(owner: &Did, view: &RecoveryView, me: &Did, now_ms: u64) -> Result<()> {
    let Some(pending) = &view.pending else {
        bail!("{owner} has no pending recovery: ask for one with `sovra recovery request`");
    };
    if pending.new_controller != me.as_str() {
        bail!(
            "the pending recovery of {owner} is for {}, not for this key ({me})",
            pending.new_controller
        );
    }
    if pending.approvals.len() < usize::from(view.threshold) {
        bail!(
            "{} of the {} guardian approvals needed so far",
            pending.approvals.len(),
            view.threshold
        );
    }
    if now_ms < pending.unlock_ms {
        bail!(
            "the time lock of {owner}'s recovery ends at {} (in {}); nothing was sent: run \
             `sovra recovery complete` again then",
            format_time(pending.unlock_ms),
            format_duration(pending.unlock_ms - now_ms)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_crypto::SigningKey;

    #[test]
    fn recovery_completion_is_refused_locally_before_it_can_succeed() {
        let owner = Did::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").unwrap();
        let me = Did::from_public_key(&SigningKey::from_test_seed(9).public_key());
        let mut view = RecoveryView {
            did: owner.to_string(),
            guardians: vec!["g1".into(), "g2".into()],
            threshold: 2,
            commitments: String::new(),
            shares: String::new(),
            time_lock_ms: 60_000,
            pending: None,
        };
        assert!(ready_to_complete(&owner, &view, &me, 0).is_err());
        let approval = |g: &str| sovra_api_types::ApprovalView {
            guardian: g.into(),
            share: String::new(),
        };
        view.pending = Some(sovra_api_types::PendingRecoveryView {
            new_controller: me.to_string(),
            requested_ms: 1_000,
            unlock_ms: 61_000,
            approvals: vec![approval("g1")],
        });
        let few = ready_to_complete(&owner, &view, &me, 100_000).unwrap_err();
        assert!(few.to_string().contains("1 of the 2"), "{few}");
        view.pending
            .as_mut()
            .unwrap()
            .approvals
            .push(approval("g2"));
        let early = ready_to_complete(&owner, &view, &me, 1_000).unwrap_err();
        assert!(
            early.to_string().contains("1970-01-01T00:01:01Z"),
            "{early}"
        );
        assert!(early.to_string().contains("in 1m"), "{early}");
        let stranger = Did::from_public_key(&SigningKey::from_test_seed(10).public_key());
        assert!(ready_to_complete(&owner, &view, &stranger, 61_000).is_err());
        ready_to_complete(&owner, &view, &me, 61_000).unwrap();
    }
}
