//! Staking: validator candidates, delegation of the native token, unbonding and withdrawal.
//!
//! Rules (see `docs/economy.md`):
//! - a candidate registers a consensus key it proves it holds (the key signs the chain id and
//!   the candidate's DID), so nobody registers, or blocks, a key that is not theirs; one
//!   candidate per key;
//! - an identity delegates to one validator at a time (a validator only to itself); moving
//!   to another validator takes undelegating everything first;
//! - stake changes take effect at the next epoch boundary; every record keeps its history by
//!   epoch, which governance weighs votes by;
//! - undelegated stake waits the unbonding period (it stays slashable) before `withdraw`
//!   returns it to the balance; at most a bounded number of unbonding entries per identity;
//! - bonded and unbonding tokens stay part of the supply (counter `meta:staked`);
//! - rewards: at the end of every block its fees and the issuance (`issuance_per_block`) are
//!   spread over the bonded stake through one reward index ([`distribute`]); a delegation's
//!   rewards and a validator's commission are credited when they next change or claim, and
//!   `claim_rewards` pays them out (counter `meta:rewards` holds what is owed).
//!
//! - validator sets: the candidates with stake are kept in a bounded list; at the end of the
//!   last block of every epoch the next epoch's set is chosen from it, the `max_validators`
//!   strongest ([`choose_validator_set`]).
//!
//! - genesis: bonded genesis validators start as candidates with their stake from epoch 0 and
//!   form the recorded set of epoch 0.
//!
//! - slashing (submodule `slashing`): evidence of an equivocation cuts `slash_fraction_bps` of the
//!   validator's stake, its delegators' and what is unbonding from it, and tombstones it; stake
//!   undelegated from a tombstoned validator returns at once (it can never be slashed again).
//!
//! Consensus runs each epoch with the set chosen for it (`sovra-consensus`'s `epochs`). What is
//! not here yet: every candidate's stake earns, in the set or not; no jailing for missed votes.

mod slashing;
pub use slashing::load_slash_log;

use crate::{
    ActionFailure, ActionResult, ApplyContext, BlockContext, Changes, ExecError, ExecutionModule,
    KeySet, Overlay, Parties, StateReader, TxContext, fail,
    modules::accounts::{self, meta, set_meta},
};
use commonware_codec::Encode;
use sovra_types::{
    Delegation, Did, Genesis, Stake, StakeTotal, StakingAction, StateKey, Unbonding,
    UnbondingEntry, ValidatorRecord,
    actions::staking::ValidatorRegistration,
    params::BPS,
    staking::{CandidateList, Checkpoints, ValidatorSets},
    staking::{MAX_UNBONDING_ENTRIES, VALIDATOR_KEY_NAMESPACE, validator_key_message},
    state::MetaKey,
};

/// The staking module.
pub struct Staking;

/// What the staking module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StakingEvent {
    /// `validator` became a candidate.
    ValidatorRegistered {
        /// The candidate.
        validator: Did,
    },
}

impl ExecutionModule for Staking {
    type Action = StakingAction;

    /// Bonded genesis validators ([`Genesis::bonded`]) start as candidates with their
    /// operator's stake in force from epoch 0, and form the recorded set of epoch 0.
    fn genesis(genesis: &Genesis, changes: &mut Changes) {
        let bonded = genesis_candidates(genesis);
        if bonded.is_empty() {
            return;
        }
        let mut candidates = CandidateList::default();
        let mut staked: u64 = 0;
        for (operator, key, address, stake) in &bonded {
            let record = ValidatorRecord {
                consensus_key: *key,
                p2p_address: address.clone(),
                commission_bps: 0,
                power: Checkpoints::from_genesis(*stake),
                commission_index: 0,
                slash: None,
                latest_release: 0,
            };
            let delegation = Delegation {
                stake: Checkpoints::from_genesis(Stake::new(operator.clone(), *stake)),
                reward_index: 0,
                rewards: 0,
            };
            changes.insert(
                StateKey::Validator(operator.clone()),
                Some(record.encode().to_vec()),
            );
            changes.insert(
                StateKey::ConsensusKey(*key),
                Some(operator.encode().to_vec()),
            );
            changes.insert(
                StateKey::Delegation(operator.clone()),
                Some(delegation.encode().to_vec()),
            );
            candidates.update(operator, *key, *stake);
            // `Genesis::validate` checked the total supply does not overflow.
            staked = staked.saturating_add(*stake);
        }
        let total = StakeTotal {
            total: Checkpoints::from_genesis(staked),
            ..StakeTotal::default()
        };
        let mut sets = ValidatorSets::default();
        sets.push(candidates.choose(0, genesis.params().max_validators as usize));
        changes.insert(StateKey::StakeTotal, Some(total.encode().to_vec()));
        changes.insert(StateKey::Candidates, Some(candidates.encode().to_vec()));
        changes.insert(StateKey::ValidatorSets, Some(sets.encode().to_vec()));
        changes.insert(
            StateKey::Meta(MetaKey::Staked),
            Some(sovra_types::state::encode_u64(staked)),
        );
    }

    fn check_admission(action: &StakingAction) -> Result<(), ActionFailure> {
        match action {
            StakingAction::RegisterValidator(r) => {
                if r.commission_bps > BPS {
                    return Err(ActionFailure::new(
                        "invalid_commission",
                        format!("commission is at most {BPS} basis points"),
                    ));
                }
                check_address(&r.p2p_address)
            }
            StakingAction::Delegate { amount, .. } | StakingAction::Undelegate { amount, .. } => {
                if *amount == 0 {
                    return Err(ActionFailure::new(
                        "zero_amount",
                        "stake moves a positive amount",
                    ));
                }
                Ok(())
            }
            StakingAction::Withdraw
            | StakingAction::ClaimRewards { .. }
            | StakingAction::ReportEquivocation { .. } => Ok(()),
        }
    }

    fn keys(ctx: &TxContext<'_>, action: &StakingAction, keys: &mut KeySet) {
        let signer = ctx.signer();
        match action {
            StakingAction::RegisterValidator(r) => {
                keys.insert(StateKey::Validator(signer.clone()));
                keys.insert(StateKey::ConsensusKey(key_bytes(&r.consensus_key)));
                keys.insert(StateKey::Delegation(signer.clone()));
                keys.insert(StateKey::StakeTotal);
            }
            StakingAction::Delegate { validator, .. } => {
                keys.insert(StateKey::Validator(validator.clone()));
                keys.insert(StateKey::Validator(signer.clone()));
                keys.insert(StateKey::Delegation(signer.clone()));
                keys.insert(StateKey::Delegation(validator.clone()));
                keys.insert(StateKey::StakeTotal);
                keys.insert(StateKey::Candidates);
                keys.insert(StateKey::Meta(MetaKey::Staked));
            }
            StakingAction::Undelegate { validator, .. } => {
                keys.insert(StateKey::Validator(validator.clone()));
                keys.insert(StateKey::Delegation(signer.clone()));
                keys.insert(StateKey::Delegation(validator.clone()));
                keys.insert(StateKey::Unbonding(signer.clone()));
                keys.insert(StateKey::StakeTotal);
                keys.insert(StateKey::Candidates);
                keys.insert(StateKey::Meta(MetaKey::Staked));
            }
            StakingAction::Withdraw => {
                keys.insert(StateKey::Unbonding(signer.clone()));
                keys.insert(StateKey::Meta(MetaKey::Staked));
                keys.insert(StateKey::SlashLog);
            }
            StakingAction::ReportEquivocation { validator, .. } => {
                keys.insert(StateKey::Validator(validator.clone()));
                keys.insert(StateKey::Delegation(validator.clone()));
                keys.insert(StateKey::StakeTotal);
                keys.insert(StateKey::Candidates);
                keys.insert(StateKey::ValidatorSets);
                keys.insert(StateKey::SlashLog);
                keys.insert(StateKey::Meta(MetaKey::Staked));
            }
            StakingAction::ClaimRewards { validator } => {
                keys.insert(StateKey::Delegation(signer.clone()));
                keys.insert(StateKey::Validator(signer.clone()));
                if let Some(v) = validator {
                    // Its commission is credited to its own record on the way.
                    keys.insert(StateKey::Validator(v.clone()));
                    keys.insert(StateKey::Delegation(v.clone()));
                }
                keys.insert(StateKey::StakeTotal);
                keys.insert(StateKey::Meta(MetaKey::Rewards));
            }
        }
    }

    fn end_block_keys(keys: &mut KeySet) {
        keys.extend([
            StateKey::Candidates,
            StateKey::ValidatorSets,
            StateKey::StakeTotal,
            StateKey::Meta(MetaKey::Rewards),
            StateKey::Meta(MetaKey::Issued),
            StateKey::Meta(MetaKey::Supply),
            StateKey::Meta(MetaKey::Burned),
        ]);
    }

    /// Distributes the block's fees and issuance ([`distribute`]) and, after an epoch's last
    /// block, chooses the next validator set ([`choose_validator_set`]).
    fn end_block<R: StateReader>(ctx: &mut BlockContext<'_, R>) -> Result<(), ExecError> {
        distribute(ctx.state, &ctx.params.params, ctx.fees)?;
        choose_validator_set(ctx.state, &ctx.params.params, ctx.env.height)
    }

    fn parties(_: &TxContext<'_>, action: &StakingAction, parties: &mut Parties) {
        match action {
            StakingAction::Delegate { validator, .. }
            | StakingAction::Undelegate { validator, .. }
            | StakingAction::ReportEquivocation { validator, .. } => parties.add(validator),
            StakingAction::RegisterValidator(_)
            | StakingAction::Withdraw
            | StakingAction::ClaimRewards { .. } => {}
        }
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &StakingAction,
    ) -> ActionResult {
        // A block's transactions need not have passed this node's mempool.
        if let Err(f) = Self::check_admission(action) {
            return Ok(Err(f));
        }
        match action {
            StakingAction::RegisterValidator(r) => register(ctx, r),
            StakingAction::Delegate { validator, amount } => delegate(ctx, validator, *amount),
            StakingAction::Undelegate { validator, amount } => undelegate(ctx, validator, *amount),
            StakingAction::Withdraw => withdraw(ctx),
            StakingAction::ClaimRewards { validator } => claim(ctx, validator.as_ref()),
            StakingAction::ReportEquivocation {
                validator,
                evidence,
            } => slashing::report_equivocation(ctx, validator, evidence),
        }
    }
}

/// The bonded genesis validators: operator, consensus key, address, stake (none unless every
/// one is bonded; keys that do not decode are left out, which `Genesis::validate` refuses).
fn genesis_candidates(genesis: &Genesis) -> Vec<(Did, [u8; 32], String, u64)> {
    genesis
        .validators
        .iter()
        .filter_map(|v| {
            let operator = v.operator.clone()?;
            Some((operator, v.key_bytes()?, v.p2p_address.clone(), v.stake))
        })
        .collect()
}

/// The index events of the genesis: every bonded genesis validator became a candidate.
pub fn genesis_events(genesis: &Genesis) -> Vec<StakingEvent> {
    genesis_candidates(genesis)
        .into_iter()
        .map(|(validator, ..)| StakingEvent::ValidatorRegistered { validator })
        .collect()
}

fn key_bytes(key: &sovra_crypto::PublicKey) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(key.as_ref());
    bytes
}

/// A network address is `host:port` with a port number.
fn check_address(address: &str) -> Result<(), ActionFailure> {
    sovra_types::staking::check_p2p_address(address)
        .map_err(|e| ActionFailure::new("invalid_address", e))
}

/// Reads a validator candidate.
pub fn load_validator<R: StateReader>(
    state: &Overlay<R>,
    validator: &Did,
) -> Result<Option<ValidatorRecord>, ExecError> {
    state.get_decoded(
        &StateKey::Validator(validator.clone()),
        ValidatorRecord::decode,
    )
}

/// Reads an identity's delegation (empty if it never delegated).
pub fn load_delegation<R: StateReader>(
    state: &Overlay<R>,
    did: &Did,
) -> Result<Delegation, ExecError> {
    Ok(state
        .get_decoded(&StateKey::Delegation(did.clone()), Delegation::decode)?
        .unwrap_or_default())
}

/// Reads the stake total by epoch.
pub fn load_total<R: StateReader>(state: &Overlay<R>) -> Result<StakeTotal, ExecError> {
    Ok(state
        .get_decoded(&StateKey::StakeTotal, StakeTotal::decode)?
        .unwrap_or_default())
}

/// Reads the candidate list (empty before any stake).
pub fn load_candidates<R: StateReader>(state: &Overlay<R>) -> Result<CandidateList, ExecError> {
    Ok(state
        .get_decoded(&StateKey::Candidates, CandidateList::decode)?
        .unwrap_or_default())
}

/// Reads the validator sets chosen so far (none before the first boundary with stake).
pub fn load_validator_sets<R: StateReader>(state: &Overlay<R>) -> Result<ValidatorSets, ExecError> {
    Ok(state
        .get_decoded(&StateKey::ValidatorSets, ValidatorSets::decode)?
        .unwrap_or_default())
}

fn load_unbonding<R: StateReader>(state: &Overlay<R>, did: &Did) -> Result<Unbonding, ExecError> {
    Ok(state
        .get_decoded(&StateKey::Unbonding(did.clone()), Unbonding::decode)?
        .unwrap_or_default())
}

fn register<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    registration: &ValidatorRegistration,
) -> ActionResult {
    let ValidatorRegistration {
        consensus_key,
        p2p_address,
        commission_bps,
        proof,
    } = registration;
    let signer = ctx.signer();
    if load_validator(ctx.state, signer)?.is_some() {
        return fail(
            "already_validator",
            format!("{signer} is already a validator candidate"),
        );
    }
    let key = key_bytes(consensus_key);
    let decode_did = |bytes: &[u8]| -> Result<Did, sovra_types::TypesError> {
        Ok(sovra_types::codec::decode_exact(bytes, &())?)
    };
    if let Some(owner) = ctx
        .state
        .get_decoded(&StateKey::ConsensusKey(key), decode_did)?
    {
        return fail(
            "consensus_key_taken",
            format!("the consensus key is registered to {owner}"),
        );
    }
    if let Some(stake) = load_delegation(ctx.state, signer)?.current()
        && stake.amount > 0
        && stake.validator != *signer
    {
        return fail(
            "delegating_elsewhere",
            format!(
                "{signer} delegates to {}: undelegate first, a validator delegates only to itself",
                stake.validator
            ),
        );
    }
    let message = validator_key_message(&ctx.tx.params.chain_id, signer);
    if !sovra_crypto::verify(consensus_key, VALIDATOR_KEY_NAMESPACE, &message, proof) {
        return fail(
            "bad_key_proof",
            "the consensus key's signature over the chain id and the signer's DID does not verify",
        );
    }
    // Commission is earned from now on.
    let record = ValidatorRecord {
        consensus_key: key,
        p2p_address: p2p_address.clone(),
        commission_bps: *commission_bps,
        power: Default::default(),
        commission_index: load_total(ctx.state)?.reward_index,
        slash: None,
        latest_release: 0,
    };
    ctx.state.set(
        StateKey::Validator(signer.clone()),
        record.encode().to_vec(),
    );
    ctx.state
        .set(StateKey::ConsensusKey(key), signer.encode().to_vec());
    ctx.emit(StakingEvent::ValidatorRegistered {
        validator: signer.clone(),
    });
    Ok(Ok(()))
}

/// Adds `delta` (which may be negative) to the latest value of `points` from the next epoch
/// on; `None` if it would go below zero or overflow.
fn shift(
    points: &mut sovra_types::staking::Checkpoints<u64>,
    epoch: u64,
    delta: i128,
) -> Option<()> {
    let latest = *points.latest().unwrap_or(&0) as i128;
    let next = u64::try_from(latest.checked_add(delta)?).ok()?;
    points.set_next(epoch, next);
    Some(())
}

fn delegate<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    validator: &Did,
    amount: u64,
) -> ActionResult {
    let signer = ctx.signer();
    let epoch = ctx.tx.params.params.epoch_of(ctx.env.height);
    let Some(mut record) = load_validator(ctx.state, validator)? else {
        return fail(
            "unknown_validator",
            format!("{validator} is not a validator candidate"),
        );
    };
    if record.slash.is_some() {
        return fail(
            "validator_tombstoned",
            format!("{validator} was slashed for equivocation and takes no delegation"),
        );
    }
    if validator != signer && load_validator(ctx.state, signer)?.is_some() {
        return fail(
            "validator_delegates_elsewhere",
            "a validator candidate delegates only to itself",
        );
    }
    let mut delegation = load_delegation(ctx.state, signer)?;
    let current = delegation.current().map_or(0, |s| {
        if s.validator == *validator {
            s.amount
        } else {
            0
        }
    });
    if let Some(stake) = delegation.current()
        && stake.amount > 0
        && stake.validator != *validator
    {
        return fail(
            "delegated_elsewhere",
            format!(
                "{signer} delegates to {}: undelegate everything before delegating to another validator",
                stake.validator
            ),
        );
    }
    let mut account = accounts::load(ctx.state, signer)?;
    if account.balance < amount {
        return fail(
            "insufficient_balance",
            format!("balance {} is less than {amount}", account.balance),
        );
    }
    let Some(new_amount) = current.checked_add(amount) else {
        return fail("stake_overflow", "the delegation would overflow");
    };
    let mut total = settled_total(
        ctx.state,
        signer,
        &mut delegation,
        validator,
        &mut record,
        epoch,
    )?;
    let staked = meta(ctx.state, MetaKey::Staked)?;
    let (Some(()), Some(()), Some(new_staked)) = (
        shift(&mut record.power, epoch, amount as i128),
        shift(&mut total.total, epoch, amount as i128),
        staked.checked_add(amount),
    ) else {
        return fail("stake_overflow", "the stake total would overflow");
    };
    delegation
        .stake
        .set_next(epoch, Stake::new(validator.clone(), new_amount));
    account.balance -= amount;
    accounts::store(ctx.state, signer, &account);
    set_meta(ctx.state, MetaKey::Staked, new_staked);
    store_stake(ctx.state, signer, validator, &delegation, &record, &total)?;
    Ok(Ok(()))
}

fn store_stake<R: StateReader>(
    state: &mut Overlay<R>,
    delegator: &Did,
    validator: &Did,
    delegation: &Delegation,
    record: &ValidatorRecord,
    total: &StakeTotal,
) -> Result<(), ExecError> {
    let mut candidates = load_candidates(state)?;
    // A tombstoned validator is never a candidate again.
    let listed_power = match record.slash {
        Some(_) => 0,
        None => *record.power.latest().unwrap_or(&0),
    };
    candidates.update(validator, record.consensus_key, listed_power);
    state.set(StateKey::Candidates, candidates.encode().to_vec());
    state.set(
        StateKey::Delegation(delegator.clone()),
        delegation.encode().to_vec(),
    );
    state.set(
        StateKey::Validator(validator.clone()),
        record.encode().to_vec(),
    );
    state.set(StateKey::StakeTotal, total.encode().to_vec());
    Ok(())
}

fn undelegate<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    validator: &Did,
    amount: u64,
) -> ActionResult {
    let signer = ctx.signer();
    let params = &ctx.tx.params.params;
    let epoch = params.epoch_of(ctx.env.height);
    let mut delegation = load_delegation(ctx.state, signer)?;
    let Some(mut record) = load_validator(ctx.state, validator)? else {
        return fail(
            "unknown_validator",
            format!("{validator} is not a validator candidate"),
        );
    };
    // What a slash of the validator left is what there is to undelegate.
    if delegation
        .current()
        .is_some_and(|s| s.validator == *validator)
    {
        slashing::settle_slash(&mut delegation, &record, epoch)?;
    }
    let Some(stake) = delegation.current().filter(|s| s.amount > 0).cloned() else {
        return fail("no_stake", format!("{signer} has nothing delegated"));
    };
    if stake.validator != *validator {
        return fail(
            "wrong_validator",
            format!("{signer} delegates to {}, not {validator}", stake.validator),
        );
    }
    if stake.amount < amount {
        return fail(
            "insufficient_stake",
            format!("{signer} delegates {}, less than {amount}", stake.amount),
        );
    }
    let mut unbonding = load_unbonding(ctx.state, signer)?;
    let tombstoned = record.slash.is_some();
    if !tombstoned && unbonding.entries.len() >= MAX_UNBONDING_ENTRIES {
        return fail(
            "too_many_unbonding",
            format!(
                "{MAX_UNBONDING_ENTRIES} unbonding entries are waiting: withdraw released ones or wait"
            ),
        );
    }
    let mut total = settled_total(
        ctx.state,
        signer,
        &mut delegation,
        validator,
        &mut record,
        epoch,
    )?;
    if shift(&mut record.power, epoch, -(amount as i128)).is_none()
        || shift(&mut total.total, epoch, -(amount as i128)).is_none()
    {
        return Err(ExecError::Invariant(
            "validator power below its delegations",
        ));
    }
    delegation.stake.set_next(
        epoch,
        Stake {
            amount: stake.amount - amount,
            ..stake
        },
    );
    if tombstoned {
        // A tombstoned validator is never slashed again: its stake returns at once.
        if let Err(f) = pay_out(ctx.state, signer, amount, MetaKey::Staked)? {
            return Ok(Err(f));
        }
        store_stake(ctx.state, signer, validator, &delegation, &record, &total)?;
        return Ok(Ok(()));
    }
    // Entries are kept in release order; the period may have changed since earlier entries.
    let release_height = ctx.env.height.saturating_add(params.unbonding_period);
    record.latest_release = record.latest_release.max(release_height);
    let at = unbonding
        .entries
        .partition_point(|e| e.release_height <= release_height);
    unbonding.entries.insert(
        at,
        UnbondingEntry {
            validator: validator.clone(),
            amount,
            release_height,
        },
    );
    ctx.state.set(
        StateKey::Unbonding(signer.clone()),
        unbonding.encode().to_vec(),
    );
    store_stake(ctx.state, signer, validator, &delegation, &record, &total)?;
    Ok(Ok(()))
}

fn withdraw<R: StateReader>(ctx: &mut ApplyContext<'_, R>) -> ActionResult {
    let signer = ctx.signer();
    let height = ctx.env.height;
    let mut unbonding = load_unbonding(ctx.state, signer)?;
    let released: u64 = unbonding
        .entries
        .iter()
        .filter(|e| e.release_height <= height)
        .map(|e| e.amount)
        .fold(0u64, |a, b| a.saturating_add(b));
    // What slashes of their validators cut from entries still unbonding when they came.
    let log = load_slash_log(ctx.state)?;
    let cut: u64 = unbonding
        .entries
        .iter()
        .filter(|e| e.release_height <= height)
        .map(|e| log.cut(e))
        .fold(0u64, |a, b| a.saturating_add(b));
    if released == 0 {
        let next = unbonding.entries.first().map(|e| e.release_height);
        return fail(
            "nothing_to_withdraw",
            match next {
                Some(h) => format!("nothing is released yet; the next release is at height {h}"),
                None => "nothing is unbonding".to_string(),
            },
        );
    }
    unbonding.entries.retain(|e| e.release_height > height);
    let mut account = accounts::load(ctx.state, signer)?;
    let Some(balance) = account.balance.checked_add(released - cut) else {
        return fail("balance_overflow", "the balance would overflow");
    };
    let staked = meta(ctx.state, MetaKey::Staked)?;
    let staked = staked
        .checked_sub(released)
        .ok_or(ExecError::Invariant("unbonding stake above meta:staked"))?;
    if cut > 0 {
        let supply = meta(ctx.state, MetaKey::Supply)?
            .checked_sub(cut)
            .ok_or(ExecError::Invariant("a slash above the supply"))?;
        let burned = meta(ctx.state, MetaKey::Burned)?
            .checked_add(cut)
            .ok_or(ExecError::Invariant("burned tokens overflow"))?;
        set_meta(ctx.state, MetaKey::Supply, supply);
        set_meta(ctx.state, MetaKey::Burned, burned);
    }
    account.balance = balance;
    accounts::store(ctx.state, signer, &account);
    set_meta(ctx.state, MetaKey::Staked, staked);
    let key = StateKey::Unbonding(signer.clone());
    if unbonding.entries.is_empty() {
        ctx.state.delete(key);
    } else {
        ctx.state.set(key, unbonding.encode().to_vec());
    }
    Ok(Ok(()))
}

/// Credits, up to the reward index `index`, the rewards of `delegator`'s delegation (to
/// `validator`, whose record is `record`) and `validator`'s commission (to its own delegation
/// record, which is `delegation` itself when the two are the same identity). Called before
/// either's stake changes, so each earned on a constant stake since it last settled.
fn settle<R: StateReader>(
    state: &mut Overlay<R>,
    delegator: &Did,
    delegation: &mut Delegation,
    validator: &Did,
    record: &mut ValidatorRecord,
    index: u128,
    epoch: u64,
) -> Result<(), ExecError> {
    slashing::settle_slash(delegation, record, epoch)?;
    delegation
        .settle(record.commission_bps, index)
        .ok_or(ExecError::Invariant("delegation rewards above the pool"))?;
    let commission = record
        .settle_commission(index)
        .ok_or(ExecError::Invariant("commission above the pool"))?;
    credit(state, delegator, delegation, validator, commission)
}

/// Reads the stake total and settles `delegator`'s rewards and `validator`'s commission up to
/// its reward index ([`settle`]): what every change of a delegation does first.
fn settled_total<R: StateReader>(
    state: &mut Overlay<R>,
    delegator: &Did,
    delegation: &mut Delegation,
    validator: &Did,
    record: &mut ValidatorRecord,
    epoch: u64,
) -> Result<StakeTotal, ExecError> {
    let total = load_total(state)?;
    settle(
        state,
        delegator,
        delegation,
        validator,
        record,
        total.reward_index,
        epoch,
    )?;
    Ok(total)
}

/// Adds `amount` to `to`'s credited rewards, where `delegation` is `delegator`'s record (held
/// by the caller, who stores it).
fn credit<R: StateReader>(
    state: &mut Overlay<R>,
    delegator: &Did,
    delegation: &mut Delegation,
    to: &Did,
    amount: u64,
) -> Result<(), ExecError> {
    if amount == 0 {
        return Ok(());
    }
    let overflow = ExecError::Invariant("credited rewards above the pool");
    if to == delegator {
        delegation.rewards = delegation.rewards.checked_add(amount).ok_or(overflow)?;
        return Ok(());
    }
    let mut other = load_delegation(state, to)?;
    other.rewards = other.rewards.checked_add(amount).ok_or(overflow)?;
    state.set(StateKey::Delegation(to.clone()), other.encode().to_vec());
    Ok(())
}

/// Moves `amount` held under the counter `from` (stake or rewards owed) to `to`'s balance.
fn pay_out<R: StateReader>(
    state: &mut Overlay<R>,
    to: &Did,
    amount: u64,
    from: MetaKey,
) -> ActionResult {
    let mut account = accounts::load(state, to)?;
    let Some(balance) = account.balance.checked_add(amount) else {
        return fail("balance_overflow", "the balance would overflow");
    };
    let held = meta(state, from)?
        .checked_sub(amount)
        .ok_or(ExecError::Invariant("paid out more than its counter holds"))?;
    account.balance = balance;
    accounts::store(state, to, &account);
    set_meta(state, from, held);
    Ok(Ok(()))
}

/// Pays the signer's credited rewards (after settling them, and its commission if it is a
/// validator) into its balance.
fn claim<R: StateReader>(ctx: &mut ApplyContext<'_, R>, named: Option<&Did>) -> ActionResult {
    let signer = ctx.signer();
    let index = load_total(ctx.state)?.reward_index;
    let mut delegation = load_delegation(ctx.state, signer)?;
    let staked_to = delegation
        .current()
        .filter(|s| s.amount > 0)
        .map(|s| s.validator.clone());
    if let Some(v) = &staked_to {
        if named != Some(v) {
            return fail(
                "wrong_validator",
                format!("{signer} delegates to {v}: name it as the validator"),
            );
        }
        let Some(mut record) = load_validator(ctx.state, v)? else {
            return Err(ExecError::Invariant(
                "a delegation names a missing validator",
            ));
        };
        let epoch = ctx.tx.params.params.epoch_of(ctx.env.height);
        settle(
            ctx.state,
            signer,
            &mut delegation,
            v,
            &mut record,
            index,
            epoch,
        )?;
        ctx.state
            .set(StateKey::Validator(v.clone()), record.encode().to_vec());
    } else {
        delegation
            .settle(0, index)
            .ok_or(ExecError::Invariant("delegation rewards above the pool"))?;
    }
    // A validator's commission, when it does not delegate to itself (or has undelegated).
    if staked_to.as_ref() != Some(signer)
        && let Some(mut own) = load_validator(ctx.state, signer)?
    {
        let commission = own
            .settle_commission(index)
            .ok_or(ExecError::Invariant("commission above the pool"))?;
        credit(ctx.state, signer, &mut delegation, signer, commission)?;
        ctx.state
            .set(StateKey::Validator(signer.clone()), own.encode().to_vec());
    }
    let amount = delegation.rewards;
    if amount == 0 {
        return fail("no_rewards", format!("{signer} has no rewards to claim"));
    }
    if let Err(f) = pay_out(ctx.state, signer, amount, MetaKey::Rewards)? {
        return Ok(Err(f));
    }
    delegation.rewards = 0;
    ctx.state.set(
        StateKey::Delegation(signer.clone()),
        delegation.encode().to_vec(),
    );
    Ok(Ok(()))
}

/// Ends a block: its `fees` (already burned by the fee charge) and the issuance in force go to
/// the bonded stake through the reward index. Nothing happens while nothing is bonded (the
/// fees stay burned, nothing is issued); if the index or the supply would overflow, the
/// block's rewards are not distributed either (the fees stay burned) rather than wrap.
pub fn distribute<R: StateReader>(
    state: &mut Overlay<R>,
    params: &sovra_types::Params,
    fees: u64,
) -> Result<(), ExecError> {
    let mut total = load_total(state)?;
    let bonded = total.bonded();
    let amount = fees.checked_add(params.issuance_per_block);
    let (true, Some(amount)) = (bonded > 0, amount) else {
        return Ok(());
    };
    if amount == 0 {
        return Ok(());
    }
    let supply = meta(state, MetaKey::Supply)?;
    let burned = meta(state, MetaKey::Burned)?;
    let owed = meta(state, MetaKey::Rewards)?;
    let issued = meta(state, MetaKey::Issued)?;
    let scaled =
        amount as u128 * sovra_types::staking::REWARD_INDEX_SCALE + total.reward_carry as u128;
    let (Some(index), Some(supply), Some(owed), Some(burned), Some(issued)) = (
        total.reward_index.checked_add(scaled / bonded as u128),
        supply.checked_add(amount),
        owed.checked_add(amount),
        burned.checked_sub(fees),
        issued.checked_add(params.issuance_per_block),
    ) else {
        return Ok(());
    };
    total.reward_index = index;
    // Below `bonded`, a u64.
    total.reward_carry = (scaled % bonded as u128) as u64;
    state.set(StateKey::StakeTotal, total.encode().to_vec());
    set_meta(state, MetaKey::Supply, supply);
    set_meta(state, MetaKey::Burned, burned);
    set_meta(state, MetaKey::Rewards, owed);
    if params.issuance_per_block > 0 {
        set_meta(state, MetaKey::Issued, issued);
    }
    Ok(())
}

/// Ends the last block of an epoch (`height`, whose next height is in the next epoch): chooses
/// the next epoch's validator set from the candidate list, the `max_validators` strongest by
/// their latest power (their power at the start of that epoch), and keeps it with the current
/// epoch's. Nothing is written before any candidate has had stake.
pub fn choose_validator_set<R: StateReader>(
    state: &mut Overlay<R>,
    params: &sovra_types::Params,
    height: u64,
) -> Result<(), ExecError> {
    let next = params.epoch_of(height.saturating_add(1));
    if next == params.epoch_of(height) {
        return Ok(());
    }
    let candidates = load_candidates(state)?;
    let mut sets = load_validator_sets(state)?;
    // With no candidate the set in force goes on (an empty set could not run consensus).
    if candidates.entries.is_empty() {
        return Ok(());
    }
    sets.push(candidates.choose(next, params.max_validators as usize));
    state.set(StateKey::ValidatorSets, sets.encode().to_vec());
    Ok(())
}
