//! Governance: the chain parameters in state, proposals with deposits, stake-weighted votes,
//! results, and the community treasury.
//!
//! Rules (see `docs/governance.md`):
//! - a proposal's id is derived from the transaction that submitted it (nobody picks or takes
//!   another's id); it needs a deposit of at least `min_deposit`, held in escrow
//!   (`meta:deposits`);
//! - votes are weighted by stake at the start of the epoch the proposal was submitted in (its
//!   snapshot), so stake bonded after a proposal appears does not sway it and no stake counts
//!   twice; a validator's vote counts the stake delegated to it except that of delegators who
//!   voted themselves; voting again replaces a vote;
//! - after the voting period anyone finalizes: no quorum or a veto share above `veto_bps`
//!   forfeits the deposit to the community treasury (`meta:treasury`); otherwise the deposit is
//!   refundable and the proposal passes if yes is more than `threshold_bps` of yes + no + veto;
//! - a passed parameter change is scheduled in the parameters record for the proposal's
//!   execution height (end of voting plus the timelock) and is in force from that block on,
//!   on every node, with no further transaction; a passed treasury spend is paid when its
//!   recipient claims it, from the execution height on, once; a passed trust-registry change
//!   (register or remove a verifier) is applied by anyone's `enact` from the execution height
//!   on, once, with governance as the registry's authority.

use crate::{
    ActionFailure, ActionResult, ApplyContext, Changes, ExecError, ExecutionModule, KeySet,
    Overlay, Parties, StateReader, TxContext, fail,
    modules::{
        accounts::{self, check_recipient, meta, set_meta},
        registry,
        staking::{load_delegation, load_total, load_validator},
    },
};
use commonware_codec::Encode;
use sovra_types::{
    DidMethod, Genesis, GovernanceAction, ParamsRecord, Proposal, ProposalContent, ProposalId,
    ProposalStatus, StateKey, VoteOption, VoteRecord,
    governance::{DepositStatus, VotingRules},
    params::{BPS, SNAPSHOT_EPOCHS},
    state::MetaKey,
};

/// The governance module.
pub struct Governance;

/// What the governance module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GovernanceEvent {
    /// A proposal was submitted.
    Submitted {
        /// Its id.
        proposal: ProposalId,
    },
}

impl ExecutionModule for Governance {
    type Action = GovernanceAction;

    fn genesis(genesis: &Genesis, changes: &mut Changes) {
        changes.insert(
            StateKey::Params,
            Some(ParamsRecord::new(genesis.params()).encode().to_vec()),
        );
    }

    fn check_admission(action: &GovernanceAction) -> Result<(), ActionFailure> {
        match action {
            GovernanceAction::Propose {
                content: ProposalContent::TreasurySpend { amount: 0, .. },
                ..
            } => Err(ActionFailure::new(
                "zero_amount",
                "a treasury spend pays a positive amount",
            )),
            _ => Ok(()),
        }
    }

    fn keys(ctx: &TxContext<'_>, action: &GovernanceAction, keys: &mut KeySet) {
        let signer = ctx.signer();
        match action {
            GovernanceAction::Propose { content, .. } => {
                keys.insert(StateKey::Proposal(proposal_id(ctx)));
                keys.insert(StateKey::StakeTotal);
                keys.insert(StateKey::Meta(MetaKey::Deposits));
                if let ProposalContent::TreasurySpend { to, .. } = content
                    && to.method() == DidMethod::Sovra
                {
                    keys.insert(StateKey::Did(to.clone()));
                }
            }
            GovernanceAction::Vote {
                proposal,
                delegated_to,
                ..
            } => {
                keys.insert(StateKey::Proposal(*proposal));
                keys.insert(StateKey::Validator(signer.clone()));
                keys.insert(StateKey::Delegation(signer.clone()));
                keys.insert(vote_key(*proposal, signer));
                if let Some(v) = delegated_to {
                    keys.insert(vote_key(*proposal, v));
                    // Its slash, if any, cuts the delegation's weight.
                    keys.insert(StateKey::Validator(v.clone()));
                }
            }
            GovernanceAction::Finalize { proposal } => {
                keys.insert(StateKey::Proposal(*proposal));
                keys.insert(StateKey::Meta(MetaKey::Deposits));
                keys.insert(StateKey::Meta(MetaKey::Treasury));
            }
            GovernanceAction::Claim { proposal } => {
                keys.insert(StateKey::Proposal(*proposal));
                keys.insert(StateKey::Meta(MetaKey::Deposits));
                keys.insert(StateKey::Meta(MetaKey::Treasury));
            }
            GovernanceAction::Enact { proposal, verifier } => {
                keys.insert(StateKey::Proposal(*proposal));
                keys.insert(StateKey::Verifier(verifier.clone()));
            }
        }
    }

    fn parties(_: &TxContext<'_>, action: &GovernanceAction, parties: &mut Parties) {
        // The verifier a registry proposal changes sees it on its receipt chain, as when the
        // registry authority changes it.
        if let GovernanceAction::Enact { verifier, .. } = action {
            parties.add(verifier);
        }
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &GovernanceAction,
    ) -> ActionResult {
        // A block's transactions need not have passed this node's mempool.
        if let Err(f) = Self::check_admission(action) {
            return Ok(Err(f));
        }
        match action {
            GovernanceAction::Propose {
                title,
                description,
                content,
                deposit,
            } => propose(ctx, title, description, content, *deposit),
            GovernanceAction::Vote {
                proposal,
                option,
                delegated_to,
            } => vote(ctx, *proposal, *option, delegated_to.as_ref()),
            GovernanceAction::Finalize { proposal } => finalize(ctx, *proposal),
            GovernanceAction::Claim { proposal } => claim(ctx, *proposal),
            GovernanceAction::Enact { proposal, verifier } => enact(ctx, *proposal, verifier),
        }
    }
}

/// The id of the proposal the action at `ctx` submits.
pub fn proposal_id(ctx: &TxContext<'_>) -> ProposalId {
    ProposalId::derive(&ctx.tx.id(), ctx.index)
}

fn vote_key(proposal: ProposalId, voter: &sovra_types::Did) -> StateKey {
    StateKey::Vote {
        proposal,
        voter: voter.clone(),
    }
}

/// Reads the parameters record (`None` on a chain whose genesis predates it).
pub fn load_params<R: StateReader>(state: &Overlay<R>) -> Result<Option<ParamsRecord>, ExecError> {
    state.get_decoded(&StateKey::Params, ParamsRecord::decode)
}

/// Reads a proposal.
pub fn load_proposal<R: StateReader>(
    state: &Overlay<R>,
    id: ProposalId,
) -> Result<Option<Proposal>, ExecError> {
    state.get_decoded(&StateKey::Proposal(id), Proposal::decode)
}

fn store_proposal<R: StateReader>(state: &mut Overlay<R>, id: ProposalId, p: &Proposal) {
    state.set(StateKey::Proposal(id), p.encode().to_vec());
}

fn load_vote<R: StateReader>(
    state: &Overlay<R>,
    id: ProposalId,
    voter: &sovra_types::Did,
) -> Result<VoteRecord, ExecError> {
    Ok(state
        .get_decoded(&vote_key(id, voter), VoteRecord::decode)?
        .unwrap_or_default())
}

fn propose<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    title: &str,
    description: &str,
    content: &ProposalContent,
    deposit: u64,
) -> ActionResult {
    let signer = ctx.signer();
    let params = ctx.tx.params.params.clone();
    let height = ctx.env.height;
    if deposit < params.min_deposit {
        return fail(
            "deposit_too_low",
            format!(
                "a proposal needs a deposit of at least {}",
                params.min_deposit
            ),
        );
    }
    match content {
        ProposalContent::ChangeParams(changes) => {
            let mut next = params.clone();
            for c in changes {
                next.apply(c);
            }
            if let Err(e) = next.validate() {
                return fail("invalid_params", e.to_string());
            }
        }
        ProposalContent::TreasurySpend { to, .. } => {
            if let Err(f) = check_recipient(ctx.state, to)? {
                return Ok(Err(f));
            }
        }
        ProposalContent::Registry(action) => {
            if let sovra_types::RegistryAction::RegisterVerifier {
                name,
                credential_types,
                ..
            } = action
                && let Err(f) = registry::check_registration(name, credential_types)
            {
                return Ok(Err(f));
            }
        }
        ProposalContent::Text => {}
    }
    let snapshot_epoch = params.epoch_of(height);
    let total_stake = *load_total(ctx.state)?
        .total
        .at(snapshot_epoch)
        .unwrap_or(&0);
    if total_stake == 0 {
        return fail(
            "no_stake",
            format!(
                "nothing is staked at the start of epoch {snapshot_epoch}: no vote could count"
            ),
        );
    }
    let mut account = accounts::load(ctx.state, signer)?;
    if account.balance < deposit {
        return fail(
            "insufficient_balance",
            format!(
                "balance {} is less than the deposit {deposit}",
                account.balance
            ),
        );
    }
    let deposits = meta(ctx.state, MetaKey::Deposits)?;
    let Some(deposits) = deposits.checked_add(deposit) else {
        return fail("deposit_overflow", "the deposits held would overflow");
    };
    let id = proposal_id(&ctx.tx);
    if load_proposal(ctx.state, id)?.is_some() {
        return Err(ExecError::Invariant("a derived proposal id already exists"));
    }
    let voting_end = height.saturating_add(params.voting_period);
    let proposal = Proposal {
        proposer: signer.clone(),
        title: title.to_string(),
        description: description.to_string(),
        content: content.clone(),
        deposit,
        deposit_status: DepositStatus::Held,
        submitted_height: height,
        snapshot_epoch,
        total_stake,
        voting_end,
        execution_height: voting_end.saturating_add(1).saturating_add(params.timelock),
        rules: VotingRules {
            quorum_bps: params.quorum_bps,
            threshold_bps: params.threshold_bps,
            veto_bps: params.veto_bps,
        },
        tally: Default::default(),
        status: ProposalStatus::Voting,
    };
    account.balance -= deposit;
    accounts::store(ctx.state, signer, &account);
    set_meta(ctx.state, MetaKey::Deposits, deposits);
    store_proposal(ctx.state, id, &proposal);
    ctx.emit(GovernanceEvent::Submitted { proposal: id });
    Ok(Ok(()))
}

/// Moves `weight` of a proposal's tally from `from` (if any) to `to` (if any).
fn move_votes(
    p: &mut Proposal,
    weight: u64,
    from: Option<VoteOption>,
    to: Option<VoteOption>,
) -> Result<(), ExecError> {
    if let Some(o) = from {
        let count = p.tally.get_mut(o);
        *count = count
            .checked_sub(weight)
            .ok_or(ExecError::Invariant("a tally would go below zero"))?;
    }
    if let Some(o) = to {
        let count = p.tally.get_mut(o);
        // Counts are stake at one snapshot, so they never exceed the total supply.
        *count = count
            .checked_add(weight)
            .ok_or(ExecError::Invariant("a tally would overflow"))?;
    }
    Ok(())
}

fn vote<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    id: ProposalId,
    option: VoteOption,
    delegated_to: Option<&sovra_types::Did>,
) -> ActionResult {
    let signer = ctx.signer();
    let height = ctx.env.height;
    let Some(mut p) = load_proposal(ctx.state, id)? else {
        return fail("unknown_proposal", format!("no proposal {id}"));
    };
    if p.status != ProposalStatus::Voting || height > p.voting_end {
        return fail(
            "voting_closed",
            format!("voting on {id} ended at height {}", p.voting_end),
        );
    }
    let epoch = ctx.tx.params.params.epoch_of(height);
    if epoch.saturating_sub(p.snapshot_epoch) >= SNAPSHOT_EPOCHS - 1 {
        return fail(
            "snapshot_expired",
            "the stake snapshot of this proposal is no longer kept",
        );
    }
    let s = p.snapshot_epoch;
    let own_power = load_validator(ctx.state, signer)?
        .and_then(|v| v.power.at(s).copied())
        .unwrap_or(0);
    let mut record = load_vote(ctx.state, id, signer)?;
    if own_power > 0 {
        // A validator: its vote counts its stake less its delegators who voted themselves.
        if let Some(v) = delegated_to {
            return fail(
                "wrong_delegation",
                format!("{signer} is a validator and votes its own stake, not through {v}"),
            );
        }
        let weight = own_power
            .checked_sub(record.overridden)
            .ok_or(ExecError::Invariant(
                "overridden stake above validator power",
            ))?;
        move_votes(&mut p, weight, record.option, Some(option))?;
        record.option = Some(option);
    } else {
        let slash = match delegated_to {
            Some(v) => load_validator(ctx.state, v)?.and_then(|r| r.slash),
            None => None,
        };
        let delegation = load_delegation(ctx.state, signer)?;
        let Some(stake) = delegation.effective_at(s, slash.as_ref()) else {
            return fail(
                "no_stake",
                format!(
                    "{signer} had no stake at the start of epoch {s}, this proposal's snapshot"
                ),
            );
        };
        if delegated_to != Some(&stake.validator) {
            return fail(
                "wrong_delegation",
                format!(
                    "at this proposal's snapshot {signer} delegated to {}: name it as the validator",
                    stake.validator
                ),
            );
        }
        if record.option.is_none() {
            // First vote: this stake leaves the validator's vote.
            let mut validator = load_vote(ctx.state, id, &stake.validator)?;
            validator.overridden = validator
                .overridden
                .checked_add(stake.amount)
                .ok_or(ExecError::Invariant("overridden stake overflows"))?;
            move_votes(&mut p, stake.amount, validator.option, None)?;
            ctx.state
                .set(vote_key(id, &stake.validator), validator.encode().to_vec());
        }
        move_votes(&mut p, record.weight, record.option, None)?;
        move_votes(&mut p, stake.amount, None, Some(option))?;
        record.option = Some(option);
        record.weight = stake.amount;
    }
    ctx.state
        .set(vote_key(id, signer), record.encode().to_vec());
    store_proposal(ctx.state, id, &p);
    Ok(Ok(()))
}

/// The status a proposal's tally gives under its rules.
pub fn result(p: &Proposal) -> ProposalStatus {
    let t = &p.tally;
    let bps = BPS as u128;
    let turnout = t.turnout();
    if turnout == 0 || turnout * bps < p.rules.quorum_bps as u128 * p.total_stake as u128 {
        return ProposalStatus::NoQuorum;
    }
    if t.veto as u128 * bps > p.rules.veto_bps as u128 * turnout {
        return ProposalStatus::Vetoed;
    }
    let deciding = t.yes as u128 + t.no as u128 + t.veto as u128;
    if t.yes as u128 * bps > p.rules.threshold_bps as u128 * deciding {
        ProposalStatus::Passed
    } else {
        ProposalStatus::Rejected
    }
}

fn finalize<R: StateReader>(ctx: &mut ApplyContext<'_, R>, id: ProposalId) -> ActionResult {
    let height = ctx.env.height;
    let Some(mut p) = load_proposal(ctx.state, id)? else {
        return fail("unknown_proposal", format!("no proposal {id}"));
    };
    if p.status != ProposalStatus::Voting {
        return fail(
            "already_finalized",
            format!("{id} was finalized: {}", p.status.as_str()),
        );
    }
    if height <= p.voting_end {
        return fail(
            "voting_open",
            format!("voting on {id} is open until height {}", p.voting_end),
        );
    }
    p.status = result(&p);
    match p.status {
        ProposalStatus::NoQuorum | ProposalStatus::Vetoed => {
            release_deposit(ctx.state, p.deposit)?;
            let treasury = meta(ctx.state, MetaKey::Treasury)?;
            set_meta(
                ctx.state,
                MetaKey::Treasury,
                treasury.saturating_add(p.deposit),
            );
            p.deposit_status = DepositStatus::Forfeited;
        }
        // Stays in meta:deposits until the proposer claims it.
        _ => p.deposit_status = DepositStatus::Refundable,
    }
    if p.status == ProposalStatus::Passed
        && let ProposalContent::ChangeParams(changes) = &p.content
    {
        let mut record = load_params(ctx.state)?
            .unwrap_or_else(|| ParamsRecord::new(ctx.tx.params.params.clone()));
        record.settle(height);
        let at = p.execution_height.max(height.saturating_add(1));
        match record.schedule(at, changes.clone()) {
            Ok(()) => ctx.state.set(StateKey::Params, record.encode().to_vec()),
            // Parameters changed since it was proposed (or the schedule is full): recorded as
            // failed, the deposit stays refundable.
            Err(_) => p.status = ProposalStatus::Failed,
        }
    }
    store_proposal(ctx.state, id, &p);
    Ok(Ok(()))
}

/// Takes `deposit` out of the deposits held (to the treasury or back to its proposer).
fn release_deposit<R: StateReader>(state: &mut Overlay<R>, deposit: u64) -> Result<(), ExecError> {
    let deposits = meta(state, MetaKey::Deposits)?;
    let left = deposits
        .checked_sub(deposit)
        .ok_or(ExecError::Invariant("deposit above meta:deposits"))?;
    set_meta(state, MetaKey::Deposits, left);
    Ok(())
}

fn claim<R: StateReader>(ctx: &mut ApplyContext<'_, R>, id: ProposalId) -> ActionResult {
    let signer = ctx.signer();
    let height = ctx.env.height;
    let Some(mut p) = load_proposal(ctx.state, id)? else {
        return fail("unknown_proposal", format!("no proposal {id}"));
    };
    let mut paid: u64 = 0;
    if p.proposer == *signer && p.deposit_status == DepositStatus::Refundable {
        release_deposit(ctx.state, p.deposit)?;
        p.deposit_status = DepositStatus::Refunded;
        paid = p.deposit;
    }
    if let ProposalContent::TreasurySpend { to, amount } = &p.content
        && to == signer
        && p.status == ProposalStatus::Passed
    {
        // A refund claimed with it still goes through; the payment waits.
        let treasury = meta(ctx.state, MetaKey::Treasury)?;
        match treasury.checked_sub(*amount) {
            _ if height < p.execution_height => {
                if paid == 0 {
                    return fail(
                        "timelocked",
                        format!("{id} can be claimed from height {}", p.execution_height),
                    );
                }
            }
            None => {
                if paid == 0 {
                    return fail(
                        "treasury_insufficient",
                        format!("the treasury holds {treasury}, less than {amount}"),
                    );
                }
            }
            Some(left) => {
                set_meta(ctx.state, MetaKey::Treasury, left);
                p.status = ProposalStatus::Executed;
                paid = paid
                    .checked_add(*amount)
                    .ok_or(ExecError::Invariant("claim overflows"))?;
            }
        }
    }
    if paid == 0 {
        return fail(
            "nothing_to_claim",
            format!("{id} owes {signer} nothing (now)"),
        );
    }
    let mut account = accounts::load(ctx.state, signer)?;
    let Some(balance) = account.balance.checked_add(paid) else {
        return fail("balance_overflow", "the balance would overflow");
    };
    account.balance = balance;
    accounts::store(ctx.state, signer, &account);
    store_proposal(ctx.state, id, &p);
    Ok(Ok(()))
}

/// Applies a passed trust-registry proposal whose timelock is over, once, with governance as
/// the authority; a change the registry refuses now (removing a verifier that is not
/// registered) fails and leaves the proposal passed, to be enacted when it applies.
fn enact<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    id: ProposalId,
    named: &sovra_types::Did,
) -> ActionResult {
    let Some(mut p) = load_proposal(ctx.state, id)? else {
        return fail("unknown_proposal", format!("no proposal {id}"));
    };
    let ProposalContent::Registry(action) = p.content.clone() else {
        return fail(
            "nothing_to_enact",
            format!("{id} is not a trust-registry proposal"),
        );
    };
    match p.status {
        ProposalStatus::Passed => {}
        ProposalStatus::Executed => {
            return fail("already_enacted", format!("{id} was enacted"));
        }
        other => {
            return fail(
                "not_passed",
                format!("{id} is {}, not passed", other.as_str()),
            );
        }
    }
    if ctx.env.height < p.execution_height {
        return fail(
            "timelocked",
            format!("{id} can be enacted from height {}", p.execution_height),
        );
    }
    if p.content.registry_verifier() != Some(named) {
        return fail("wrong_verifier", format!("{id} does not change {named}"));
    }
    if let Err(f) = registry::change(ctx, &action, Ok(()))? {
        return Ok(Err(f));
    }
    p.status = ProposalStatus::Executed;
    store_proposal(ctx.state, id, &p);
    Ok(Ok(()))
}
