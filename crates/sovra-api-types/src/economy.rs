//! The staking and governance areas: chain parameters, validator candidates, delegations and
//! unbonding, proposals with their tallies, votes, and the chain-wide counters (stake, deposits,
//! community treasury). Amounts of the native token are JSON numbers (they are 64-bit).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sovra_types::{
    Delegation, Did, Params, ParamsRecord, Proposal, ProposalContent, ProposalId, RegistryAction,
    Unbonding, ValidatorRecord, VoteRecord,
    staking::{CandidateList, Member, ValidatorSets},
};

/// Parameter changes waiting for their height.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ScheduledChangeView {
    /// The first height at which they are in force.
    pub height: u64,
    /// The changes, as `name=value`.
    pub changes: Vec<String>,
}

/// The parameters in force for the next block, what is scheduled, and the chain-wide counters.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ParamsView {
    /// The newest finalized height.
    pub height: u64,
    /// The epoch of the next block.
    pub epoch: u64,
    /// The parameters in force for the next block (fields as in the genesis file: `min_fee`,
    /// `max_block_txs`, `epoch_length`, `unbonding_period`, `max_validators`, `voting_period`,
    /// `min_deposit`, `quorum_bps`, `threshold_bps`, `veto_bps`, `timelock`,
    /// `registry_authority`, `issuance_per_block`, `slash_fraction_bps`).
    #[schema(value_type = Object)]
    pub params: Params,
    /// Changes passed proposals scheduled for later heights.
    pub scheduled: Vec<ScheduledChangeView>,
    /// Native tokens bonded or unbonding.
    pub staked: u64,
    /// Native tokens held as proposal deposits.
    pub deposits: u64,
    /// Native tokens in the community treasury.
    pub treasury: u64,
    /// Staking rewards distributed and not yet claimed.
    pub rewards: u64,
}

/// The chain-wide counters of native tokens outside balances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EconomyCounters {
    /// Bonded or unbonding.
    pub staked: u64,
    /// Held as proposal deposits.
    pub deposits: u64,
    /// In the community treasury.
    pub treasury: u64,
    /// Staking rewards not yet claimed.
    pub rewards: u64,
}

impl ParamsView {
    /// The view at finalized `height` of `record` and the counters.
    pub fn new(height: u64, record: &ParamsRecord, counters: EconomyCounters) -> Self {
        let params = record.effective_at(height + 1);
        Self {
            height,
            epoch: params.epoch_of(height + 1),
            params,
            scheduled: record
                .scheduled
                .iter()
                .filter(|s| s.height > height + 1)
                .map(|s| ScheduledChangeView {
                    height: s.height,
                    changes: s.changes.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
            staked: counters.staked,
            deposits: counters.deposits,
            treasury: counters.treasury,
            rewards: counters.rewards,
        }
    }
}

/// A validator candidate.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ValidatorView {
    /// Its DID.
    pub did: String,
    /// Its Ed25519 consensus key (hex).
    pub consensus_key: String,
    /// Address other validators dial.
    pub p2p_address: String,
    /// Commission, basis points.
    pub commission_bps: u16,
    /// Stake delegated to it (its own included) in force in the current epoch.
    pub stake: u64,
    /// Stake delegated to it from the next epoch boundary on.
    pub next_stake: u64,
    /// Its slash for equivocation, if it was slashed (it is then tombstoned: out of the
    /// candidates for good).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slash: Option<SlashView>,
}

/// How a validator was slashed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SlashView {
    /// Height of the block that slashed it.
    pub height: u64,
    /// Epoch of the offence.
    pub offence_epoch: u64,
    /// Share of its stake (and its delegators') cut, basis points.
    pub fraction_bps: u16,
}

/// Evidence of equivocation a node's consensus engines saw, ready to submit in a
/// `report_equivocation` action.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct EvidenceView {
    /// `conflicting_notarize`, `conflicting_finalize` or `nullify_finalize`.
    pub kind: String,
    /// Epoch of the votes.
    pub epoch: u64,
    /// View of the votes.
    pub view: u64,
    /// The validator that signed both, if its epoch's set is still kept (only then can the
    /// evidence be submitted).
    pub validator: Option<String>,
    /// The evidence, commonware-codec encoded (hex).
    pub evidence: String,
}

/// The evidence a node holds.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct EvidenceListView {
    /// Oldest first.
    pub evidence: Vec<EvidenceView>,
}

impl ValidatorView {
    /// The view of candidate `did` in `epoch`.
    pub fn new(did: &Did, record: &ValidatorRecord, epoch: u64) -> Self {
        Self {
            did: did.to_string(),
            consensus_key: hex::encode(record.consensus_key),
            p2p_address: record.p2p_address.clone(),
            commission_bps: record.commission_bps,
            stake: record.power.at(epoch).copied().unwrap_or(0),
            next_stake: record.power.latest().copied().unwrap_or(0),
            slash: record.slash.as_ref().map(|s| SlashView {
                height: s.height,
                offence_epoch: s.offence_epoch,
                fraction_bps: s.fraction_bps,
            }),
        }
    }
}

/// Validator candidates.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ValidatorListView {
    /// The current epoch.
    pub epoch: u64,
    /// The candidates, in DID order.
    pub validators: Vec<ValidatorView>,
}

/// A member of a validator set, or a listed candidate.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MemberView {
    /// The candidate's DID.
    pub did: String,
    /// Its Ed25519 consensus key (hex).
    pub consensus_key: String,
    /// Its power: at the start of the set's epoch (in a set), latest (in the candidate list).
    pub power: u64,
}

impl MemberView {
    fn new(m: &Member) -> Self {
        Self {
            did: m.validator.to_string(),
            consensus_key: hex::encode(m.consensus_key),
            power: m.power,
        }
    }
}

/// One epoch's validator set.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ValidatorSetView {
    /// The epoch.
    pub epoch: u64,
    /// The members, strongest first.
    pub members: Vec<MemberView>,
}

/// The validator sets chosen by stake for the current and the next epoch, and the candidates
/// they are chosen from.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ValidatorSetsView {
    /// The epoch of the next block.
    pub epoch: u64,
    /// The sets chosen at the last epoch boundaries (at most two, oldest first; none before
    /// any candidate had stake, when the genesis validators go on).
    pub sets: Vec<ValidatorSetView>,
    /// The candidates with stake, in DID order, with their latest power.
    pub candidates: Vec<MemberView>,
}

impl ValidatorSetsView {
    /// The view of `sets` and `candidates` in `epoch`.
    pub fn new(epoch: u64, sets: &ValidatorSets, candidates: &CandidateList) -> Self {
        Self {
            epoch,
            sets: sets
                .sets
                .iter()
                .map(|s| ValidatorSetView {
                    epoch: s.epoch,
                    members: s.members.iter().map(MemberView::new).collect(),
                })
                .collect(),
            candidates: candidates.entries.iter().map(MemberView::new).collect(),
        }
    }
}

/// Stake on its way out.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct UnbondingView {
    /// The validator it was delegated to.
    pub validator: String,
    /// Amount.
    pub amount: u64,
    /// First height at which it can be withdrawn.
    pub release_height: u64,
}

/// An identity's stake.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct StakeView {
    /// The identity.
    pub did: String,
    /// The current epoch.
    pub epoch: u64,
    /// The validator it delegates to (from the next epoch boundary on), if any.
    pub validator: Option<String>,
    /// Amount delegated in force in the current epoch.
    pub stake: u64,
    /// Amount delegated from the next epoch boundary on.
    pub next_stake: u64,
    /// Unbonding entries.
    pub unbonding: Vec<UnbondingView>,
    /// Staking rewards (and, for a validator, commission) `claim_rewards` would pay now.
    pub rewards: u64,
}

impl StakeView {
    /// The view of `did`'s delegation, unbonding and claimable `rewards` in `epoch`.
    pub fn new(
        did: &Did,
        delegation: &Delegation,
        unbonding: &Unbonding,
        epoch: u64,
        rewards: u64,
    ) -> Self {
        let next = delegation.current();
        Self {
            did: did.to_string(),
            epoch,
            validator: next
                .filter(|s| s.amount > 0)
                .map(|s| s.validator.to_string()),
            stake: delegation.at(epoch).map_or(0, |s| s.amount),
            next_stake: next.map_or(0, |s| s.amount),
            unbonding: unbonding
                .entries
                .iter()
                .map(|e| UnbondingView {
                    validator: e.validator.to_string(),
                    amount: e.amount,
                    release_height: e.release_height,
                })
                .collect(),
            rewards,
        }
    }
}

/// Stake counted per option.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct TallyView {
    /// Yes.
    pub yes: u64,
    /// No.
    pub no: u64,
    /// Abstain.
    pub abstain: u64,
    /// Veto.
    pub veto: u64,
}

/// A governance proposal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ProposalView {
    /// Its id (32 hex characters).
    pub id: String,
    /// Who submitted it.
    pub proposer: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `text`, `change-params`, `treasury-spend` or `registry`.
    pub kind: String,
    /// For `change-params`: the changes, as `name=value`.
    pub changes: Vec<String>,
    /// For `treasury-spend`: the recipient.
    pub spend_to: Option<String>,
    /// For `treasury-spend`: the amount.
    pub spend_amount: Option<u64>,
    /// For `registry`: `register` or `remove`.
    pub registry_change: Option<String>,
    /// For `registry`: the verifier it registers or removes.
    pub verifier: Option<String>,
    /// For `registry` registrations: the verifier's name.
    pub verifier_name: Option<String>,
    /// For `registry` registrations: the credential types it may issue.
    pub credential_types: Vec<String>,
    /// Deposit.
    pub deposit: u64,
    /// `held`, `refundable`, `refunded` or `forfeited`.
    pub deposit_status: String,
    /// Height of the block that submitted it.
    pub submitted_height: u64,
    /// Votes are weighted by stake at the start of this epoch.
    pub snapshot_epoch: u64,
    /// Total stake at the snapshot.
    pub total_stake: u64,
    /// Last height at which votes count.
    pub voting_end: u64,
    /// First height at which it takes effect if it passes.
    pub execution_height: u64,
    /// Quorum, basis points of the total stake.
    pub quorum_bps: u16,
    /// Pass threshold, basis points of yes + no + veto.
    pub threshold_bps: u16,
    /// Veto share, basis points of all votes.
    pub veto_bps: u16,
    /// Stake counted per option so far.
    pub tally: TallyView,
    /// `voting`, `passed`, `rejected`, `vetoed`, `no-quorum`, `executed` or `failed`.
    pub status: String,
}

impl ProposalView {
    /// The view of proposal `id`.
    pub fn new(id: ProposalId, p: &Proposal) -> Self {
        let (changes, spend_to, spend_amount) = match &p.content {
            ProposalContent::ChangeParams(c) => {
                (c.iter().map(|c| c.to_string()).collect(), None, None)
            }
            ProposalContent::TreasurySpend { to, amount } => {
                (vec![], Some(to.to_string()), Some(*amount))
            }
            ProposalContent::Text | ProposalContent::Registry(_) => (vec![], None, None),
        };
        let (registry_change, verifier_name, credential_types) = match &p.content {
            ProposalContent::Registry(RegistryAction::RegisterVerifier {
                name,
                credential_types,
                ..
            }) => (
                Some("register".to_string()),
                Some(name.clone()),
                credential_types.clone(),
            ),
            ProposalContent::Registry(_) => (Some("remove".to_string()), None, vec![]),
            _ => (None, None, vec![]),
        };
        Self {
            id: id.to_string(),
            proposer: p.proposer.to_string(),
            title: p.title.clone(),
            description: p.description.clone(),
            kind: p.content.kind().into(),
            changes,
            spend_to,
            spend_amount,
            registry_change,
            verifier: p.content.registry_verifier().map(|d| d.to_string()),
            verifier_name,
            credential_types,
            deposit: p.deposit,
            deposit_status: p.deposit_status.as_str().into(),
            submitted_height: p.submitted_height,
            snapshot_epoch: p.snapshot_epoch,
            total_stake: p.total_stake,
            voting_end: p.voting_end,
            execution_height: p.execution_height,
            quorum_bps: p.rules.quorum_bps,
            threshold_bps: p.rules.threshold_bps,
            veto_bps: p.rules.veto_bps,
            tally: TallyView {
                yes: p.tally.yes,
                no: p.tally.no,
                abstain: p.tally.abstain,
                veto: p.tally.veto,
            },
            status: p.status.as_str().into(),
        }
    }
}

/// Proposals, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ProposalListView {
    /// The proposals.
    pub proposals: Vec<ProposalView>,
}

/// One identity's part in a proposal's vote, and how it may vote.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct VoteView {
    /// The proposal.
    pub proposal: String,
    /// The identity.
    pub voter: String,
    /// Its vote (`yes`, `no`, `abstain`, `veto`), if it voted.
    pub option: Option<String>,
    /// `validator` (votes the stake delegated to it, less delegators who vote themselves),
    /// `delegator` (votes its own stake through `delegated_to`) or `none` (no stake at the
    /// snapshot).
    pub role: String,
    /// The stake its vote counts (now).
    pub weight: u64,
    /// For a validator: stake of its delegators who voted themselves.
    pub overridden: u64,
    /// For a delegator: the validator it delegated to at the snapshot (what a vote names).
    pub delegated_to: Option<String>,
}

impl VoteView {
    /// The view of `voter`'s part in proposal `id`: `power` is its validator stake at the
    /// snapshot (0 if none), `delegation` its delegation then.
    pub fn new(
        id: ProposalId,
        voter: &Did,
        record: &VoteRecord,
        power: u64,
        delegation: Option<&sovra_types::Stake>,
    ) -> Self {
        let (role, weight, delegated_to) = if power > 0 {
            ("validator", power.saturating_sub(record.overridden), None)
        } else if let Some(s) = delegation {
            ("delegator", s.amount, Some(s.validator.to_string()))
        } else {
            ("none", 0, None)
        };
        Self {
            proposal: id.to_string(),
            voter: voter.to_string(),
            option: record.option.map(|o| o.as_str().to_string()),
            role: role.into(),
            weight,
            overridden: record.overridden,
            delegated_to,
        }
    }
}
