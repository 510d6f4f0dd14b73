//! `sovra stake ...`: staking (docs/economy.md): register as a validator candidate with a
//! consensus key (its proof of possession signed here), delegate, undelegate, withdraw released
//! stake, claim rewards; list candidates and show an identity's stake and rewards.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::json;
use sovra_client::Client;
use sovra_types::{
    Action, Did, StakingAction,
    actions::staking::ValidatorRegistration,
    staking::{VALIDATOR_KEY_NAMESPACE, validator_key_message},
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::args::NodeArgs;
use crate::keystore::load_key;
use crate::output::OutputArgs;
use crate::signer::{self, SignerArgs, send_and_wait};

/// `sovra stake` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum StakeCommand {
    /// Become a validator candidate with the consensus key of a validator node (the key signs
    /// your DID and the chain id, proving you hold it).
    Register {
        /// The node's consensus key file (`validator.key` in a node's directory).
        #[arg(long, value_name = "FILE")]
        validator_key: PathBuf,
        /// Generate a new consensus key into FILE first (readable only by you; never
        /// overwrites), for a node you will run with it.
        #[arg(long)]
        new: bool,
        /// Address other validators dial for consensus (`host:port`).
        #[arg(long)]
        address: String,
        /// Share of delegators' rewards you keep, in basis points (500 = 5%).
        #[arg(long, default_value_t = 500)]
        commission_bps: u16,
        /// Signer: the candidate.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Bond native tokens to a validator candidate (in force from the next epoch).
    Delegate {
        /// The candidate (your own DID to bond to yourself as a candidate).
        validator: String,
        /// Amount.
        #[arg(long)]
        amount: u64,
        /// Signer: the delegator.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Start unbonding part of your delegation (withdraw it after the unbonding period).
    Undelegate {
        /// Amount.
        #[arg(long)]
        amount: u64,
        /// Signer: the delegator.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Return every released unbonding entry to your balance.
    Withdraw {
        /// Signer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Move your staking rewards (and, as a validator, your commission) to your balance.
    Claim {
        /// Signer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Report every equivocation the node saw (`GET /v1/staking/evidence`) whose validator is
    /// not yet slashed: each report, verified by every node, slashes the validator and its
    /// delegators by `slash_fraction_bps` and tombstones it. Fails if any report fails.
    ReportEvidence {
        /// Signer (pays the fees).
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Wait for the next epoch boundary (when stake changes take effect). Prints the new epoch.
    Wait {
        /// Give up after this many seconds (exit 1).
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// List validator candidates with their stake.
    Validators {
        /// Most candidates to list.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show the validator sets stake chose for the current and the next epoch, and the
    /// candidates with stake.
    Sets {
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show an identity's delegation, unbonding stake and claimable rewards.
    Show {
        /// The identity.
        did: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// Waits until a block at `height` or above is final; returns the finalized height. Fails when
/// it is not reached within `timeout`.
pub(crate) fn wait_for_height(client: &Client, height: u64, timeout: Duration) -> Result<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let reached = client.status()?.finalized_height;
        if reached >= height {
            return Ok(reached);
        }
        if Instant::now() >= deadline {
            bail!(
                "height {height} not reached within {} s (the node is at {reached})",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn send(signer: &SignerArgs, action: StakingAction) -> Result<()> {
    send_and_wait(signer, Action::Staking(action))?;
    Ok(())
}

fn positive(amount: u64) -> Result<u64> {
    if amount == 0 {
        bail!("the amount must be at least 1");
    }
    Ok(amount)
}

/// Runs a `sovra stake` command.
pub(crate) fn run(command: StakeCommand) -> Result<()> {
    match command {
        StakeCommand::Register {
            validator_key,
            new,
            address,
            commission_bps,
            signer,
        } => {
            if new {
                let key = sovra_crypto::SigningKey::generate()?;
                sovra_node::config::write_key_file(&validator_key, &key)
                    .with_context(|| format!("writing {}", validator_key.display()))?;
                eprintln!(
                    "wrote a new consensus key to {} (public key {})",
                    validator_key.display(),
                    hex::encode(key.public_key().as_ref())
                );
            }
            let consensus = sovra_node::config::read_key_file(&validator_key)
                .with_context(|| format!("reading {}", validator_key.display()))?;
            let client = Client::new(&signer.node.node);
            let chain_id = client.status()?.chain_id;
            let key = load_key(&signer.key, &signer.keystore)?;
            let me = signer::signer_did(&signer, &key)?;
            let proof = consensus.sign(
                VALIDATOR_KEY_NAMESPACE,
                &validator_key_message(&chain_id, &me),
            );
            send(
                &signer,
                StakingAction::RegisterValidator(Box::new(ValidatorRegistration {
                    consensus_key: consensus.public_key(),
                    p2p_address: address,
                    commission_bps,
                    proof,
                })),
            )
        }
        StakeCommand::Delegate {
            validator,
            amount,
            signer,
        } => send(
            &signer,
            StakingAction::Delegate {
                validator: Did::parse(&validator)?,
                amount: positive(amount)?,
            },
        ),
        StakeCommand::Undelegate { amount, signer } => {
            let client = Client::new(&signer.node.node);
            let me = signer::signer_did(&signer, &load_key(&signer.key, &signer.keystore)?)?;
            let Some(validator) = client.stake(&me)?.validator else {
                bail!("{me} delegates nothing");
            };
            send(
                &signer,
                StakingAction::Undelegate {
                    validator: Did::parse(&validator)?,
                    amount: positive(amount)?,
                },
            )
        }
        StakeCommand::Withdraw { signer } => send(&signer, StakingAction::Withdraw),
        StakeCommand::Claim { signer } => {
            let client = Client::new(&signer.node.node);
            let me = signer::signer_did(&signer, &load_key(&signer.key, &signer.keystore)?)?;
            let view = client.stake(&me)?;
            if view.rewards == 0 {
                bail!("{me} has no rewards to claim");
            }
            send(
                &signer,
                StakingAction::ClaimRewards {
                    validator: view.validator.as_deref().map(Did::parse).transpose()?,
                },
            )?;
            eprintln!(
                "claimed at least {} (rewards accrue until the block that includes the claim)",
                view.rewards
            );
            Ok(())
        }
        StakeCommand::ReportEvidence { signer } => {
            let client = Client::new(&signer.node.node);
            let mut reported = 0;
            for e in client.evidence()?.evidence {
                let Some(validator) = e.validator.as_deref().map(Did::parse).transpose()? else {
                    eprintln!(
                        "skipped {} of epoch {} view {}: its epoch's set is no longer kept",
                        e.kind, e.epoch, e.view
                    );
                    continue;
                };
                if client.validator(&validator)?.slash.is_some() {
                    eprintln!("skipped {validator}: already slashed");
                    continue;
                }
                let bytes = hex::decode(&e.evidence).context("evidence hex")?;
                let evidence: sovra_types::evidence::Equivocation =
                    sovra_types::codec::decode_exact(&bytes, &())
                        .context("evidence from the node does not decode")?;
                send(
                    &signer,
                    StakingAction::ReportEquivocation {
                        validator: validator.clone(),
                        evidence: Box::new(evidence),
                    },
                )
                .with_context(|| format!("reporting {validator}"))?;
                eprintln!(
                    "reported {validator}: {} in epoch {} view {}",
                    e.kind, e.epoch, e.view
                );
                reported += 1;
            }
            println!("{reported}");
            Ok(())
        }
        StakeCommand::Wait { timeout_secs, node } => {
            let client = Client::new(&node.node);
            let params = client.params()?;
            // The epoch of the next block is `params.epoch`; the next one starts at its end.
            let next = (params.epoch + 1) * params.params.epoch_length.max(1);
            wait_for_height(&client, next, Duration::from_secs(timeout_secs))?;
            eprintln!("epoch {} began at height {next}", params.epoch + 1);
            println!("{}", params.epoch + 1);
            Ok(())
        }
        StakeCommand::Validators {
            limit,
            output,
            node,
        } => {
            let list = Client::new(&node.node).validators(limit)?;
            output.emit(&json!(list), |_| {
                let mut text = format!("epoch {}\n", list.epoch);
                for v in &list.validators {
                    text.push_str(&format!(
                        "{}  stake {} (next epoch {})  commission {} bps  {}\n",
                        v.did, v.stake, v.next_stake, v.commission_bps, v.p2p_address
                    ));
                }
                if list.validators.is_empty() {
                    text.push_str("no validator candidates\n");
                }
                text
            })
        }
        StakeCommand::Sets { output, node } => {
            let v = Client::new(&node.node).validator_sets()?;
            output.emit(&json!(v), |_| {
                let mut text = String::new();
                if v.sets.is_empty() {
                    text.push_str(
                        "no validator set chosen by stake yet: the genesis validators go on\n",
                    );
                }
                for set in &v.sets {
                    text.push_str(&format!("epoch {}:\n", set.epoch));
                    for m in &set.members {
                        text.push_str(&format!("  {}  power {}\n", m.did, m.power));
                    }
                }
                text.push_str(&format!("{} candidates with stake\n", v.candidates.len()));
                text
            })
        }
        StakeCommand::Show { did, output, node } => {
            let did = Did::parse(&did)?;
            let v = Client::new(&node.node).stake(&did)?;
            output.emit(&json!(v), |_| {
                let mut text = match &v.validator {
                    Some(validator) => format!(
                        "delegates {} to {validator} in epoch {} ({} from the next epoch)\n",
                        v.stake, v.epoch, v.next_stake
                    ),
                    None => format!("delegates nothing (epoch {})\n", v.epoch),
                };
                for u in &v.unbonding {
                    text.push_str(&format!(
                        "unbonding {} from {}, withdrawable from height {}\n",
                        u.amount, u.validator, u.release_height
                    ));
                }
                text.push_str(&format!("rewards to claim {}\n", v.rewards));
                text
            })
        }
    }
}
