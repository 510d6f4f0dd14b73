//! Staking and governance in the workload. A funded identity that is not yet a candidate (while
//! fewer than `MAX_CANDIDATES` are) registers as a validator candidate, with a consensus key
//! drawn from the run's generator and that key's proof over its DID, and then bonds to itself;
//! the other funded identities, and the `did:sovra` identities they control, delegate to a
//! candidate (one at a time: more to the one they delegate to, if any), undelegate part or all
//! of it, and withdraw what has unbonded. Once stake is in force, funded identities submit
//! proposals (texts, changes of harmless parameters within their bounds, small treasury
//! spends), which whoever had stake at their snapshot votes on (a delegator naming the validator
//! it delegated to then, as the CLI does), which are finalized once their voting has ended, and
//! whose refundable deposits and passed spends are claimed.
//!
//! Every action is drawn from what the validator the transaction goes to sees of the chain
//! (candidates, delegations, unbonding entries, proposals, the parameters in force), so most of
//! them make sense when they execute; the chain may have moved on by then, and those fail like
//! any other transaction. A kind that cannot be taken yet gives way to the step that leads to
//! it (a registration or bond before a proposal, a proposal before a vote, an undelegation
//! before a withdrawal, a finalization before a claim), so the economy gets going within a
//! run's few hundred turns.

use commonware_runtime::deterministic;
use rand::RngExt as _;
use sovra_consensus::Ledger;
use sovra_crypto::SigningKey;
use sovra_types::{
    Action, Delegation, DepositStatus, Did, GovernanceAction, ParamChange, Params, ParamsRecord,
    Proposal, ProposalContent, ProposalId, ProposalStatus, RegistryAction, StakeTotal,
    StakingAction, StateKey, TypesError, Unbonding, ValidatorRecord, VoteOption,
    actions::staking::ValidatorRegistration,
    params::SNAPSHOT_EPOCHS,
    staking::{MAX_UNBONDING_ENTRIES, VALIDATOR_KEY_NAMESPACE, claimable, validator_key_message},
    state::{MetaKey, decode_u64},
};

use super::{TxKind, Workload};
use crate::net::{CHAIN, DEV_ACCOUNTS, dev_did};

/// Most validator candidates among the funded identities (the others delegate to them).
const MAX_CANDIDATES: usize = 2;

/// Most proposals one run submits (the invariants recount every one's tally).
pub const MAX_PROPOSALS: usize = 32;

/// Largest amount one delegation bonds.
const MAX_BOND: u64 = 20_000;

/// What a `did:sovra` keeps of its balance, for the fees of its later transactions.
const FEE_RESERVE: u64 = 20;

/// Largest minimum deposit the workload's parameter changes set; every proposal deposits at
/// least this, so a change passed in the meantime never makes its deposit too low.
const MAX_MIN_DEPOSIT: u64 = 50;

/// Largest treasury spend proposed.
const MAX_SPEND: u64 = 50;

/// What one validator's committed state says, read as a client would read it (an absent or
/// unreadable record reads as none: the workload draws, the invariants judge).
struct ChainView<'a> {
    ledger: &'a Ledger<deterministic::Context>,
    /// The height the next block will have.
    next_height: u64,
    /// The parameters in force at that height.
    params: Params,
}

impl<'a> ChainView<'a> {
    /// What `ledger` sees now.
    async fn new(ledger: &'a Ledger<deterministic::Context>) -> Self {
        let next_height = ledger.finalized().header.height + 1;
        let params = match read(ledger, StateKey::Params, ParamsRecord::decode).await {
            Some(record) => record.effective_at(next_height),
            None => ledger.genesis().params(),
        };
        Self {
            ledger,
            next_height,
            params,
        }
    }

    /// The epoch of the next block.
    fn epoch(&self) -> u64 {
        self.params.epoch_of(self.next_height)
    }

    async fn balance(&self, did: &Did) -> u64 {
        self.ledger.account(did).await.map_or(0, |a| a.balance)
    }

    async fn candidate(&self, did: &Did) -> Option<ValidatorRecord> {
        read(
            self.ledger,
            StateKey::Validator(did.clone()),
            ValidatorRecord::decode,
        )
        .await
    }

    /// The funded identities that are candidates.
    async fn candidates(&self) -> Vec<Did> {
        let mut candidates = Vec::new();
        for did in (0..DEV_ACCOUNTS).map(dev_did) {
            if self.candidate(&did).await.is_some() {
                candidates.push(did);
            }
        }
        candidates
    }

    async fn delegation(&self, did: &Did) -> Delegation {
        read(
            self.ledger,
            StateKey::Delegation(did.clone()),
            Delegation::decode,
        )
        .await
        .unwrap_or_default()
    }

    async fn unbonding(&self, did: &Did) -> Unbonding {
        read(
            self.ledger,
            StateKey::Unbonding(did.clone()),
            Unbonding::decode,
        )
        .await
        .unwrap_or_default()
    }

    /// What `claim_rewards` by `did` would pay now.
    async fn claimable(&self, did: &Did) -> u64 {
        let delegation = self.delegation(did).await;
        let delegated_to = match delegation.current().filter(|s| s.amount > 0) {
            Some(s) => self.candidate(&s.validator).await,
            None => None,
        };
        let own = self.candidate(did).await;
        let index = read(self.ledger, StateKey::StakeTotal, StakeTotal::decode)
            .await
            .unwrap_or_default()
            .reward_index;
        claimable(&delegation, delegated_to.as_ref(), own.as_ref(), index).unwrap_or(0)
    }

    /// The stake in force at the start of the next block's epoch.
    async fn total_stake(&self) -> u64 {
        read(self.ledger, StateKey::StakeTotal, StakeTotal::decode)
            .await
            .and_then(|t| t.total.at(self.epoch()).copied())
            .unwrap_or(0)
    }

    async fn treasury(&self) -> u64 {
        read(self.ledger, StateKey::Meta(MetaKey::Treasury), decode_u64)
            .await
            .unwrap_or(0)
    }

    /// The proposals among `ids` that exist, with their ids.
    async fn proposals(&self, ids: &[ProposalId]) -> Vec<(ProposalId, Proposal)> {
        let mut found = Vec::new();
        for id in ids {
            if let Some(p) = read(self.ledger, StateKey::Proposal(*id), Proposal::decode).await {
                found.push((*id, p));
            }
        }
        found
    }
}

/// The record at `key` in `ledger`'s committed state, decoded; `None` if absent or unreadable.
pub(super) async fn read<T>(
    ledger: &Ledger<deterministic::Context>,
    key: StateKey,
    decode: fn(&[u8]) -> Result<T, TypesError>,
) -> Option<T> {
    match ledger.state_value(&key).await {
        Ok(Some(bytes)) => decode(&bytes).ok(),
        _ => None,
    }
}

impl Workload {
    /// The kind, signer and action of a `kind` staking or governance transaction of funded
    /// identity `owner`, or of the step that leads to one when it cannot be taken yet (a bond
    /// before a proposal, a proposal before a vote, a finalization before a claim, ...: see
    /// each kind), or `None` when there is nothing to do (or `kind` is not one of these).
    pub(super) async fn economy_action(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        kind: TxKind,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let view = ChainView::new(ledger).await;
        match kind {
            TxKind::StakeRegister => self.register(&view, owner).await,
            TxKind::StakeDelegate => self.delegate(&view, owner).await,
            TxKind::StakeUndelegate => self.undelegate(&view, owner).await,
            TxKind::StakeWithdraw => self.withdraw(&view, owner).await,
            TxKind::StakeClaim => self.claim_rewards(&view, owner).await,
            TxKind::StakeReport => self.report(&view, owner).await,
            TxKind::GovPropose => self.propose(&view, owner).await,
            TxKind::GovVote => self.vote(&view, owner).await,
            TxKind::GovFinalize => self.finalize(&view, owner).await,
            TxKind::GovEnact => self.enact(&view, owner).await,
            TxKind::GovClaim => self.claim(&view, owner).await,
            _ => None,
        }
    }

    /// The identities funded identity `owner` signs for: itself and the `did:sovra` it asked
    /// to create.
    fn controlled(&self, owner: u64) -> Vec<Did> {
        std::iter::once(dev_did(owner))
            .chain(
                self.created
                    .iter()
                    .filter(|(_, o)| **o == owner)
                    .map(|(did, _)| did.clone()),
            )
            .collect()
    }

    /// One of `items`, drawn; `None` if there are none.
    pub(super) fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        Some(items[self.rng.random_range(0..items.len())].clone())
    }

    /// `owner` registers as a candidate; already one, it bonds to itself; unable to (enough
    /// candidates, or it delegates), it delegates.
    async fn register(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let me = dev_did(owner);
        if view.candidate(&me).await.is_some() {
            return self.bond(view, me.clone(), me).await;
        }
        match self.new_candidate(view, owner).await {
            Some(step) => Some(step),
            None => self.delegate(view, owner).await,
        }
    }

    /// `owner`, not a candidate, registers as one if fewer than [`MAX_CANDIDATES`] are and it
    /// delegates nothing.
    async fn new_candidate(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let me = dev_did(owner);
        if view.candidates().await.len() >= MAX_CANDIDATES
            || view
                .delegation(&me)
                .await
                .current()
                .is_some_and(|s| s.amount > 0)
        {
            return None;
        }
        let seed: [u8; 32] = self.rng.random();
        let consensus = SigningKey::from_seed(&seed).ok()?;
        let proof = consensus.sign(VALIDATOR_KEY_NAMESPACE, &validator_key_message(CHAIN, &me));
        let registration = ValidatorRegistration {
            consensus_key: consensus.public_key(),
            p2p_address: format!("validator-{owner}.sim:9000"),
            commission_bps: self.rng.random_range(0..=2_000),
            proof,
        };
        let action = Action::Staking(StakingAction::RegisterValidator(Box::new(registration)));
        Some((TxKind::StakeRegister, me, action))
    }

    /// `owner`, or now and then one of its funded `did:sovra`, bonds more: a candidate to
    /// itself, a delegator to the candidate it delegates to, anyone else to a candidate drawn
    /// (with no candidate yet, `owner` registers as one).
    async fn delegate(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let me = dev_did(owner);
        let signer = match self.created_by(owner) {
            Some(did)
                if self.rng.random_range(0..3u32) == 0
                    && view.balance(&did).await > 2 * FEE_RESERVE =>
            {
                did
            }
            _ => me,
        };
        let validator = if view.candidate(&signer).await.is_some() {
            signer.clone()
        } else if let Some(stake) = view
            .delegation(&signer)
            .await
            .current()
            .filter(|s| s.amount > 0)
        {
            stake.validator.clone()
        } else {
            let candidates = view.candidates().await;
            match self.pick(&candidates) {
                Some(candidate) => candidate,
                None => return self.new_candidate(view, owner).await,
            }
        };
        self.bond(view, signer, validator).await
    }

    /// `signer` bonds a drawn amount of its balance (less what it keeps for fees) to
    /// `validator`.
    async fn bond(
        &mut self,
        view: &ChainView<'_>,
        signer: Did,
        validator: Did,
    ) -> Option<(TxKind, Did, Action)> {
        let available = view.balance(&signer).await.saturating_sub(FEE_RESERVE);
        let amount = self.rng.random_range(1..=MAX_BOND).min(available);
        if amount == 0 {
            return None;
        }
        let action = Action::Staking(StakingAction::Delegate { validator, amount });
        Some((TxKind::StakeDelegate, signer, action))
    }

    /// One of `owner`'s identities with stake bonded (and room for another unbonding entry)
    /// undelegates part or all of it.
    async fn undelegate(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let mut bonded = Vec::new();
        for did in self.controlled(owner) {
            let Some(stake) = view
                .delegation(&did)
                .await
                .current()
                .filter(|s| s.amount > 0)
                .cloned()
            else {
                continue;
            };
            if view.unbonding(&did).await.entries.len() < MAX_UNBONDING_ENTRIES {
                bonded.push((did, stake));
            }
        }
        let (signer, stake) = self.pick(&bonded)?;
        let amount = if self.rng.random_range(0..4u32) == 0 {
            stake.amount
        } else {
            self.rng.random_range(1..=stake.amount)
        };
        let action = Action::Staking(StakingAction::Undelegate {
            validator: stake.validator,
            amount,
        });
        Some((TxKind::StakeUndelegate, signer, action))
    }

    /// One of `owner`'s identities with unbonded stake released withdraws it (with none
    /// released, one undelegates: what a later withdrawal takes back).
    async fn withdraw(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let mut released = Vec::new();
        for did in self.controlled(owner) {
            let unbonding = view.unbonding(&did).await;
            if unbonding
                .entries
                .iter()
                .any(|e| e.release_height <= view.next_height)
            {
                released.push(did);
            }
        }
        let Some(signer) = self.pick(&released) else {
            return self.undelegate(view, owner).await;
        };
        Some((
            TxKind::StakeWithdraw,
            signer,
            Action::Staking(StakingAction::Withdraw),
        ))
    }

    /// One of `owner`'s identities with staking rewards to claim claims them, naming the
    /// validator it delegates to (with none to claim, one bonds: what earns rewards).
    async fn claim_rewards(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let mut owed = Vec::new();
        for did in self.controlled(owner) {
            if view.claimable(&did).await > 0 {
                let validator = view
                    .delegation(&did)
                    .await
                    .current()
                    .filter(|s| s.amount > 0)
                    .map(|s| s.validator.clone());
                owed.push((did, validator));
            }
        }
        let Some((signer, validator)) = self.pick(&owed) else {
            return self.delegate(view, owner).await;
        };
        Some((
            TxKind::StakeClaim,
            signer,
            Action::Staking(StakingAction::ClaimRewards { validator }),
        ))
    }

    /// `owner` reports the first piece of evidence the validator's engines saw whose signer, by
    /// its epoch's set, is not yet slashed (with none, it claims rewards instead).
    async fn report(&mut self, view: &ChainView<'_>, owner: u64) -> Option<(TxKind, Did, Action)> {
        let sets = read(
            view.ledger,
            StateKey::ValidatorSets,
            sovra_types::staking::ValidatorSets::decode,
        )
        .await
        .unwrap_or_default();
        for evidence in view.ledger.evidence().list() {
            let Some(validator) = evidence.signer_in(CHAIN, &sets) else {
                continue;
            };
            if view
                .candidate(&validator)
                .await
                .is_some_and(|r| r.slash.is_none())
            {
                return Some((
                    TxKind::StakeReport,
                    dev_did(owner),
                    Action::Staking(StakingAction::ReportEquivocation {
                        validator,
                        evidence: Box::new(evidence),
                    }),
                ));
            }
        }
        self.claim_rewards(view, owner).await
    }

    /// `owner` proposes a text, a change of harmless parameters, a small treasury spend to an
    /// identity of the run, or the registration or removal of an identity of the run as a
    /// verifier in the trust registry, once stake is in force (before, it bonds or registers: a
    /// proposal needs stake at its snapshot).
    async fn propose(&mut self, view: &ChainView<'_>, owner: u64) -> Option<(TxKind, Did, Action)> {
        if self.proposals.len() >= MAX_PROPOSALS {
            return None;
        }
        if view.total_stake().await == 0 {
            return self.register(view, owner).await;
        }
        let content = match self.rng.random_range(0..4u32) {
            0 => ProposalContent::Text,
            1 => {
                let changes = (0..self.rng.random_range(1..=2usize))
                    .map(|_| self.harmless_change())
                    .collect();
                ProposalContent::ChangeParams(changes)
            }
            2 => {
                let identities: Vec<Did> = self.identities().into_iter().collect();
                ProposalContent::TreasurySpend {
                    to: self.pick(&identities)?,
                    amount: self.rng.random_range(1..=MAX_SPEND),
                }
            }
            _ => {
                let verifier = dev_did(self.rng.random_range(0..DEV_ACCOUNTS));
                ProposalContent::Registry(if self.rng.random_bool(0.7) {
                    RegistryAction::RegisterVerifier {
                        verifier,
                        name: format!("Simulated verifier {owner}"),
                        credential_types: vec!["SimulatedCredential".into()],
                    }
                } else {
                    RegistryAction::RemoveVerifier { verifier }
                })
            }
        };
        let action = Action::Governance(GovernanceAction::Propose {
            title: format!("Proposal {} of identity {owner}", self.proposals.len()),
            description: format!("A {} proposal of the simulation", content.kind()),
            content,
            deposit: view.params.min_deposit.max(MAX_MIN_DEPOSIT) + self.rng.random_range(0..=20),
        });
        Some((TxKind::GovPropose, dev_did(owner), action))
    }

    /// A change of a parameter the workload does not depend on, within its valid bounds (never
    /// the minimum fee nor the block size, and a voting period well inside the snapshot
    /// window).
    fn harmless_change(&mut self) -> ParamChange {
        match self.rng.random_range(0..4u32) {
            0 => ParamChange::MinDeposit(self.rng.random_range(10..=MAX_MIN_DEPOSIT)),
            1 => ParamChange::Timelock(self.rng.random_range(1..=6)),
            2 => ParamChange::VotingPeriod(self.rng.random_range(10..=30)),
            _ => ParamChange::UnbondingPeriod(self.rng.random_range(10..=30)),
        }
    }

    /// One of `owner`'s identities with stake at an open proposal's snapshot votes on it: a
    /// validator with power then its own stake, a delegator through the validator it delegated
    /// to then (with no proposal open, `owner` proposes one).
    async fn vote(&mut self, view: &ChainView<'_>, owner: u64) -> Option<(TxKind, Did, Action)> {
        let epoch = view.epoch();
        let open: Vec<(ProposalId, Proposal)> = view
            .proposals(&self.proposals)
            .await
            .into_iter()
            .filter(|(_, p)| {
                p.status == ProposalStatus::Voting
                    && view.next_height <= p.voting_end
                    && epoch.saturating_sub(p.snapshot_epoch) < SNAPSHOT_EPOCHS - 1
            })
            .collect();
        if open.is_empty() {
            return self.propose(view, owner).await;
        }
        let mut records = Vec::new();
        for did in self.controlled(owner) {
            let candidate = view.candidate(&did).await;
            let delegation = view.delegation(&did).await;
            records.push((did, candidate, delegation));
        }
        // Every (proposal, voter, validator named) `owner` may vote with.
        let mut ballots = Vec::new();
        for (proposal, p) in &open {
            let s = p.snapshot_epoch;
            for (did, candidate, delegation) in &records {
                let power = candidate
                    .as_ref()
                    .and_then(|v| v.power.at(s).copied())
                    .unwrap_or(0);
                if power > 0 {
                    ballots.push((*proposal, did.clone(), None));
                } else if let Some(stake) = delegation.at(s) {
                    ballots.push((*proposal, did.clone(), Some(stake.validator.clone())));
                }
            }
        }
        let (proposal, voter, delegated_to) = self.pick(&ballots)?;
        let option = match self.rng.random_range(0..8u32) {
            0..4 => VoteOption::Yes,
            4..6 => VoteOption::No,
            6 => VoteOption::Abstain,
            _ => VoteOption::Veto,
        };
        let action = Action::Governance(GovernanceAction::Vote {
            proposal,
            option,
            delegated_to,
        });
        Some((TxKind::GovVote, voter, action))
    }

    /// `owner` finalizes a proposal whose voting has ended.
    async fn finalize(
        &mut self,
        view: &ChainView<'_>,
        owner: u64,
    ) -> Option<(TxKind, Did, Action)> {
        let ended: Vec<ProposalId> = view
            .proposals(&self.proposals)
            .await
            .into_iter()
            .filter(|(_, p)| p.status == ProposalStatus::Voting && view.next_height > p.voting_end)
            .map(|(id, _)| id)
            .collect();
        let proposal = self.pick(&ended)?;
        let action = Action::Governance(GovernanceAction::Finalize { proposal });
        Some((TxKind::GovFinalize, dev_did(owner), action))
    }

    /// `owner` enacts a passed trust-registry proposal whose timelock is over (with none,
    /// it finalizes a proposal whose voting has ended).
    async fn enact(&mut self, view: &ChainView<'_>, owner: u64) -> Option<(TxKind, Did, Action)> {
        let mut ready = Vec::new();
        for (id, p) in view.proposals(&self.proposals).await {
            if p.status == ProposalStatus::Passed
                && view.next_height >= p.execution_height
                && let Some(verifier) = p.content.registry_verifier()
            {
                ready.push((id, verifier.clone()));
            }
        }
        let Some((proposal, verifier)) = self.pick(&ready) else {
            return self.finalize(view, owner).await;
        };
        let action = Action::Governance(GovernanceAction::Enact { proposal, verifier });
        Some((TxKind::GovEnact, dev_did(owner), action))
    }

    /// One of `owner`'s identities claims what a finalized proposal owes it: its refundable
    /// deposit, or a passed spend to it whose timelock is over (while the treasury holds it);
    /// owed nothing, `owner` finalizes a proposal whose voting has ended.
    async fn claim(&mut self, view: &ChainView<'_>, owner: u64) -> Option<(TxKind, Did, Action)> {
        let mine = self.controlled(owner);
        let treasury = view.treasury().await;
        let mut owed = Vec::new();
        for (id, p) in view.proposals(&self.proposals).await {
            if p.deposit_status == DepositStatus::Refundable && mine.contains(&p.proposer) {
                owed.push((p.proposer.clone(), id));
            }
            if let ProposalContent::TreasurySpend { to, amount } = &p.content
                && p.status == ProposalStatus::Passed
                && view.next_height >= p.execution_height
                && *amount <= treasury
                && mine.contains(to)
            {
                owed.push((to.clone(), id));
            }
        }
        let Some((signer, proposal)) = self.pick(&owed) else {
            return self.finalize(view, owner).await;
        };
        let action = Action::Governance(GovernanceAction::Claim { proposal });
        Some((TxKind::GovClaim, signer, action))
    }
}
