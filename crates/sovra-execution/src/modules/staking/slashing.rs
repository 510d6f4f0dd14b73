//! Slashing for equivocation: anyone reports two conflicting consensus votes of a validator;
//! the state machine verifies them against the validator set of their epoch and cuts
//! `slash_fraction_bps` of the validator's stake, its delegators' and what is unbonding from
//! it, and tombstones it (out of the candidates for good).
//!
//! The validator's power, the stake total and the supply are cut at once; each delegation is
//! cut when it is next settled ([`Delegation::settle_slash`], before any change or claim), and
//! each unbonding entry when it is withdrawn ([`SlashLog::cut`]), so a slash costs the same
//! whatever the number of delegators. Governance reads a delegation not yet settled through
//! [`Delegation::effective_at`].

use super::{credit, load_delegation, load_total, load_validator, load_validator_sets, shift};
use crate::{
    ActionResult, ApplyContext, ExecError, Overlay, StateReader, fail,
    modules::accounts::{meta, set_meta},
};
use commonware_codec::Encode;
use sovra_types::{
    Delegation, Did, StateKey, ValidatorRecord,
    evidence::Equivocation,
    staking::{SlashEvent, SlashLog, SlashRecord},
    state::MetaKey,
};

/// Reads the slash log (empty before any slash).
pub fn load_slash_log<R: StateReader>(state: &Overlay<R>) -> Result<SlashLog, ExecError> {
    Ok(state
        .get_decoded(&StateKey::SlashLog, SlashLog::decode)?
        .unwrap_or_default())
}

/// Verifies `evidence` against the set of its epoch and slashes `validator`, who must have
/// signed both votes.
pub(super) fn report_equivocation<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    validator: &Did,
    evidence: &Equivocation,
) -> ActionResult {
    let params = &ctx.tx.params.params;
    let height = ctx.env.height;
    let epoch = params.epoch_of(height);
    let offence_epoch = evidence.epoch();
    let sets = load_validator_sets(ctx.state)?;
    if sets.of(offence_epoch).is_none() {
        let kept: Vec<u64> = sets.sets.iter().map(|s| s.epoch).collect();
        return fail(
            "unknown_epoch",
            format!(
                "the validator set of epoch {offence_epoch} is not kept (kept: {kept:?}): \
                 evidence is accepted while its epoch's set is"
            ),
        );
    }
    let Some(signer) = evidence.signer_in(&ctx.tx.params.chain_id, &sets) else {
        return fail(
            "invalid_evidence",
            format!(
                "the two votes do not both verify against the validator set of epoch \
                 {offence_epoch}"
            ),
        );
    };
    if signer != *validator {
        return fail(
            "wrong_validator",
            format!("the votes were signed by {signer}, not {validator}"),
        );
    }
    let Some(mut record) = load_validator(ctx.state, validator)? else {
        return Err(ExecError::Invariant("a set member has no validator record"));
    };
    if record.slash.is_some() {
        return fail(
            "already_slashed",
            format!("{validator} was already slashed and tombstoned"),
        );
    }
    let mut total = load_total(ctx.state)?;
    // The commission up to now is earned on the whole power.
    let commission = record
        .settle_commission(total.reward_index)
        .ok_or(ExecError::Invariant("commission above the pool"))?;
    let mut own = load_delegation(ctx.state, validator)?;
    credit(ctx.state, validator, &mut own, validator, commission)?;
    ctx.state.set(
        StateKey::Delegation(validator.clone()),
        own.encode().to_vec(),
    );
    let slash = SlashRecord {
        height,
        epoch,
        offence_epoch,
        fraction_bps: params.slash_fraction_bps,
        reward_index: total.reward_index,
    };
    let power = *record.power.latest().unwrap_or(&0);
    let cut = power - slash.keep(power);
    let staked = meta(ctx.state, MetaKey::Staked)?;
    let supply = meta(ctx.state, MetaKey::Supply)?;
    let burned = meta(ctx.state, MetaKey::Burned)?;
    let (Some(()), Some(()), Some(staked), Some(supply), Some(burned)) = (
        shift(&mut record.power, epoch, -(cut as i128)),
        shift(&mut total.total, epoch, -(cut as i128)),
        staked.checked_sub(cut),
        supply.checked_sub(cut),
        burned.checked_add(cut),
    ) else {
        return Err(ExecError::Invariant("a slash above the stake it cuts"));
    };
    set_meta(ctx.state, MetaKey::Staked, staked);
    set_meta(ctx.state, MetaKey::Supply, supply);
    set_meta(ctx.state, MetaKey::Burned, burned);
    let mut log = load_slash_log(ctx.state)?;
    log.record(
        SlashEvent {
            validator: validator.clone(),
            height,
            fraction_bps: slash.fraction_bps,
            until: record.latest_release,
        },
        height,
    );
    ctx.state.set(StateKey::SlashLog, log.encode().to_vec());
    record.slash = Some(slash);
    let mut candidates = super::load_candidates(ctx.state)?;
    candidates.update(validator, record.consensus_key, 0);
    ctx.state
        .set(StateKey::Candidates, candidates.encode().to_vec());
    ctx.state.set(StateKey::StakeTotal, total.encode().to_vec());
    ctx.state.set(
        StateKey::Validator(validator.clone()),
        record.encode().to_vec(),
    );
    Ok(Ok(()))
}

/// Settles `delegation` (to the validator whose record is `record`) against that validator's
/// slash, if it was written before it ([`Delegation::settle_slash`]): what every settlement
/// does first.
pub(super) fn settle_slash(
    delegation: &mut Delegation,
    record: &ValidatorRecord,
    epoch: u64,
) -> Result<(), ExecError> {
    if let Some(slash) = &record.slash
        && delegation.owes_slash(Some(slash))
    {
        delegation
            .settle_slash(record.commission_bps, slash, epoch)
            .ok_or(ExecError::Invariant("delegation rewards above the pool"))?;
    }
    Ok(())
}
