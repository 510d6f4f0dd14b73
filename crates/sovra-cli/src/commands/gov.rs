//! `sovra gov ...`: governance (docs/governance.md): propose a parameter change, a treasury
//! spend or a text, vote (a delegator's vote names its validator at the proposal's snapshot,
//! looked up here), finalize after the voting period, claim a refund or a payment; show the
//! parameters, proposals and votes.

use anyhow::{Result, bail};
use clap::Subcommand;
use serde_json::json;
use sovra_api_types::ProposalView;
use sovra_client::Client;
use sovra_types::{
    Action, Did, GovernanceAction, ParamChange, Proposal, ProposalContent, ProposalId,
    RegistryAction, StateKey, VoteOption,
};

use crate::args::NodeArgs;
use crate::keystore::load_key;
use crate::output::OutputArgs;
use crate::signer::{self, SignerArgs, send_and_wait};

/// What `sovra gov propose` takes.
#[derive(clap::Args, Debug)]
pub(crate) struct ProposeArgs {
    /// Title (1-140 bytes).
    #[arg(long)]
    title: String,
    /// Description (up to 2,048 bytes).
    #[arg(long, default_value = "")]
    description: String,
    /// A parameter change, `name=value` (min_fee, max_block_txs, unbonding_period,
    /// max_validators, voting_period, min_deposit, quorum_bps, threshold_bps, veto_bps,
    /// timelock, registry_authority, issuance_per_block, slash_fraction_bps).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Recipient of a treasury spend.
    #[arg(long, requires = "amount", conflicts_with = "params")]
    spend_to: Option<String>,
    /// Amount of a treasury spend.
    #[arg(long, requires = "spend_to")]
    amount: Option<u64>,
    /// A verifier to register in the trust registry (enacted with `sovra gov enact`).
    #[arg(long, requires_all = ["verifier_name", "credential_types"],
        conflicts_with_all = ["params", "spend_to", "remove_verifier"])]
    register_verifier: Option<String>,
    /// The registered verifier's display name.
    #[arg(long, requires = "register_verifier")]
    verifier_name: Option<String>,
    /// A credential type the registered verifier may issue (repeatable).
    #[arg(
        long = "credential-type",
        value_name = "TYPE",
        requires = "register_verifier"
    )]
    credential_types: Vec<String>,
    /// A verifier to remove from the trust registry (enacted with `sovra gov enact`).
    #[arg(long, conflicts_with_all = ["params", "spend_to"])]
    remove_verifier: Option<String>,
    /// Deposit (default: the minimum deposit in force).
    #[arg(long)]
    deposit: Option<u64>,
    /// Output options (`--print id` prints the proposal id alone).
    #[command(flatten)]
    output: OutputArgs,
    /// Signer: the proposer.
    #[command(flatten)]
    signer: SignerArgs,
}

/// `sovra gov` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum GovCommand {
    /// Submit a proposal with a deposit: parameter changes (`--param name=value`, repeatable),
    /// a treasury spend (`--spend-to DID --amount N`), a trust-registry change
    /// (`--register-verifier DID --verifier-name NAME --credential-type T...`, or
    /// `--remove-verifier DID`), or a text (none of these). Prints its id.
    Propose(Box<ProposeArgs>),
    /// Vote on an open proposal with your stake at its snapshot (again to change your vote).
    Vote {
        /// The proposal id.
        proposal: String,
        /// yes, no, abstain or veto.
        option: String,
        /// Signer: the voter.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Count a proposal whose voting period is over (anyone may).
    Finalize {
        /// The proposal id.
        proposal: String,
        /// Signer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Take what a finalized proposal owes you: your deposit back, or a treasury payment.
    Claim {
        /// The proposal id.
        proposal: String,
        /// Signer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Apply a passed trust-registry proposal whose timelock is over (anyone may; once).
    Enact {
        /// The proposal id.
        proposal: String,
        /// Signer.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Wait for a proposal's next step: the end of its voting period while it is open, its
    /// execution height once it passed. Prints the height reached.
    Wait {
        /// The proposal id.
        proposal: String,
        /// Give up after this many seconds (exit 1).
        #[arg(long, default_value_t = 600)]
        timeout_secs: u64,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show a proposal with its tally, verified with a state proof.
    Show {
        /// The proposal id.
        proposal: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// List proposals, newest first.
    List {
        /// Most proposals to list.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show the chain parameters in force, changes scheduled, and the treasury.
    Params {
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn send(signer: &SignerArgs, action: GovernanceAction) -> Result<()> {
    send_and_wait(signer, Action::Governance(action))?;
    Ok(())
}

/// A proposal's tally and status, one line each.
fn proposal_text(p: &ProposalView) -> String {
    let what = match p.kind.as_str() {
        "change-params" => p.changes.join(", "),
        "treasury-spend" => format!(
            "pay {} to {}",
            p.spend_amount.unwrap_or_default(),
            p.spend_to.as_deref().unwrap_or_default()
        ),
        "registry" => format!(
            "{} verifier {}{}",
            p.registry_change.as_deref().unwrap_or_default(),
            p.verifier.as_deref().unwrap_or_default(),
            if p.credential_types.is_empty() {
                String::new()
            } else {
                format!(" for {}", p.credential_types.join(", "))
            }
        ),
        _ => "text".to_string(),
    };
    format!(
        "{}  {}  [{}]\n  {what}\n  yes {}  no {}  abstain {}  veto {}  of {} staked (quorum {} bps)\n  voting until height {}, takes effect at height {}; deposit {} {}\n",
        p.id,
        p.title,
        p.status,
        p.tally.yes,
        p.tally.no,
        p.tally.abstain,
        p.tally.veto,
        p.total_stake,
        p.quorum_bps,
        p.voting_end,
        p.execution_height,
        p.deposit,
        p.deposit_status,
    )
}

/// Runs a `sovra gov` command.
pub(crate) fn run(command: GovCommand) -> Result<()> {
    match command {
        GovCommand::Propose(args) => {
            let ProposeArgs {
                title,
                description,
                params,
                spend_to,
                amount,
                register_verifier,
                verifier_name,
                credential_types,
                remove_verifier,
                deposit,
                output,
                signer,
            } = *args;
            let content = match (spend_to, amount) {
                (Some(to), Some(amount)) => ProposalContent::TreasurySpend {
                    to: Did::parse(&to)?,
                    amount,
                },
                _ if register_verifier.is_some() => {
                    ProposalContent::Registry(RegistryAction::RegisterVerifier {
                        verifier: Did::parse(register_verifier.as_deref().unwrap_or_default())?,
                        name: verifier_name.unwrap_or_default(),
                        credential_types,
                    })
                }
                _ if remove_verifier.is_some() => {
                    ProposalContent::Registry(RegistryAction::RemoveVerifier {
                        verifier: Did::parse(remove_verifier.as_deref().unwrap_or_default())?,
                    })
                }
                _ if !params.is_empty() => ProposalContent::ChangeParams(
                    params
                        .iter()
                        .map(|p| ParamChange::parse(p))
                        .collect::<Result<_, _>>()?,
                ),
                _ => ProposalContent::Text,
            };
            let client = Client::new(&signer.node.node);
            let deposit = match deposit {
                Some(d) => d,
                None => client.params()?.params.min_deposit,
            };
            let key = load_key(&signer.key, &signer.keystore)?;
            let me = signer::signer_did(&signer, &key)?;
            let action = GovernanceAction::Propose {
                title,
                description,
                content,
                deposit,
            };
            let tx = signer::build(
                &client,
                &key,
                &me,
                vec![Action::Governance(action)],
                &signer,
            )?;
            let id = ProposalId::derive(&tx.id(), 0);
            signer::submit(&client, &tx, &signer)?;
            output.emit(&json!({ "id": id.to_string() }), |_| format!("{id}\n"))
        }
        GovCommand::Vote {
            proposal,
            option,
            signer,
        } => {
            let id = ProposalId::parse(&proposal)?;
            let option = VoteOption::parse(&option)?;
            let client = Client::new(&signer.node.node);
            let me = signer::signer_did(&signer, &load_key(&signer.key, &signer.keystore)?)?;
            let part = client.vote_of(&id, &me)?;
            let delegated_to = match part.role.as_str() {
                "validator" => None,
                "delegator" => part.delegated_to.as_deref().map(Did::parse).transpose()?,
                _ => bail!(
                    "{me} had no stake at the start of this proposal's snapshot epoch: it cannot vote"
                ),
            };
            send(
                &signer,
                GovernanceAction::Vote {
                    proposal: id,
                    option,
                    delegated_to,
                },
            )
        }
        GovCommand::Finalize { proposal, signer } => send(
            &signer,
            GovernanceAction::Finalize {
                proposal: ProposalId::parse(&proposal)?,
            },
        ),
        GovCommand::Claim { proposal, signer } => send(
            &signer,
            GovernanceAction::Claim {
                proposal: ProposalId::parse(&proposal)?,
            },
        ),
        GovCommand::Enact { proposal, signer } => {
            let id = ProposalId::parse(&proposal)?;
            let p = Client::new(&signer.node.node).proposal(&id)?;
            let Some(verifier) = p.verifier else {
                bail!(
                    "{id} is a {} proposal: only trust-registry proposals are enacted",
                    p.kind
                );
            };
            send(
                &signer,
                GovernanceAction::Enact {
                    proposal: id,
                    verifier: Did::parse(&verifier)?,
                },
            )
        }
        GovCommand::Wait {
            proposal,
            timeout_secs,
            node,
        } => {
            let id = ProposalId::parse(&proposal)?;
            let client = Client::new(&node.node);
            let p = client.proposal(&id)?;
            let (target, what) = match p.status.as_str() {
                "voting" => (p.voting_end + 1, "the end of voting"),
                "passed" => (p.execution_height, "the execution height"),
                other => bail!("{id} is {other}: nothing to wait for"),
            };
            let reached = crate::commands::stake::wait_for_height(
                &client,
                target,
                std::time::Duration::from_secs(timeout_secs),
            )?;
            eprintln!("reached {what} (height {reached})");
            println!("{reached}");
            Ok(())
        }
        GovCommand::Show {
            proposal,
            output,
            node,
        } => {
            let id = ProposalId::parse(&proposal)?;
            let v = Client::new(&node.node).verified_state(&StateKey::Proposal(id))?;
            let Some(bytes) = v.value else {
                bail!(
                    "no proposal {id} (proven absent at height {})",
                    v.header.height
                );
            };
            let view = ProposalView::new(id, &Proposal::decode(&bytes)?);
            output.emit(&json!(view), |_| {
                format!(
                    "{}verified at height {}\n",
                    proposal_text(&view),
                    v.header.height
                )
            })
        }
        GovCommand::List {
            limit,
            output,
            node,
        } => {
            let list = Client::new(&node.node).proposals(limit)?;
            output.emit(&json!(list), |_| {
                if list.proposals.is_empty() {
                    return "no proposals\n".to_string();
                }
                list.proposals.iter().map(proposal_text).collect()
            })
        }
        GovCommand::Params { output, node } => {
            let v = Client::new(&node.node).params()?;
            output.emit(&json!(v), |_| {
                let p = &v.params;
                let mut text = format!(
                    "at height {} (epoch {}):\n  min_fee {}\n  max_block_txs {}\n  epoch_length {}\n  unbonding_period {}\n  max_validators {}\n  voting_period {}\n  min_deposit {}\n  quorum_bps {}\n  threshold_bps {}\n  veto_bps {}\n  timelock {}\n  registry_authority {}\n  issuance_per_block {}\n  slash_fraction_bps {}\n",
                    v.height,
                    v.epoch,
                    p.min_fee,
                    p.max_block_txs,
                    p.epoch_length,
                    p.unbonding_period,
                    p.max_validators,
                    p.voting_period,
                    p.min_deposit,
                    p.quorum_bps,
                    p.threshold_bps,
                    p.veto_bps,
                    p.timelock,
                    p.registry_authority.as_ref().map_or("none", |d| d.as_str()),
                    p.issuance_per_block,
                    p.slash_fraction_bps,
                );
                for s in &v.scheduled {
                    text.push_str(&format!(
                        "scheduled at height {}: {}\n",
                        s.height,
                        s.changes.join(", ")
                    ));
                }
                text.push_str(&format!(
                    "staked {}, deposits {}, treasury {}\n",
                    v.staked, v.deposits, v.treasury
                ));
                text
            })
        }
    }
}
