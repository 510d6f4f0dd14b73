//! What must hold after every run, checked on every validator once the network is healed and
//! every validator has caught up to the same height:
//!
//! - agreement: no two validators hold different blocks at one height;
//! - one history: each validator's blocks form one chain from genesis, and its committed state is
//!   the one its tip's header names (so the state root at a height is the same everywhere);
//! - the same outcomes: every finalized transaction has the same position, outcome and fee on
//!   every validator;
//! - the same accounts: every identity the workload named (balance, nonce, receipt-chain head
//!   and length) is identical on every validator, and its receipt chain, read entry by entry,
//!   is hash-linked up to that head (so it is identical everywhere);
//! - conservation: the native supply plus the fees burned equals genesis plus the staking
//!   rewards issued (`meta:issued`), and the supply is what the identities the workload named
//!   hold (tokens only move where the workload sends them) plus what is staked
//!   (`meta:staked`), held in proposal deposits (`meta:deposits`), in the community treasury
//!   (`meta:treasury`) and owed as staking rewards (`meta:rewards`);
//! - stake: `meta:staked` is the stake total's latest checkpoint plus the named identities'
//!   unbonding entries; the stake total is the sum of the current delegations (each counted at
//!   what a slash of its validator left) and each candidate's latest power the sum of the
//!   current delegations to it, up to a unit of rounding per delegation to a slashed validator;
//!   the rewards the named identities can claim never exceed `meta:rewards`;
//! - validator sets: the candidate list holds exactly the candidates with stake not slashed,
//!   and the newest validator set is the next epoch's, the strongest candidates at its start
//!   (not slashed by then) chosen from scratch;
//! - proposals: the deposits held are those of the workload's proposals still voting or
//!   refundable; the treasury is their forfeited deposits less the spends paid; a finalized
//!   proposal's result and deposit are what its tally gives under its rules; and while its
//!   snapshot is retained (its epoch at most [`SNAPSHOT_EPOCHS`]` - 1` before the final one),
//!   its total stake is the sum of the delegations at the snapshot and its tally equals a count
//!   from scratch over the named identities' votes and stake at the snapshot;
//! - assets: every asset class's supply is what the named identities hold of it plus what its
//!   locks and the boxes' bundles still hold, and is the same on every validator.
//!
//! [`agreement`] is also checked while a run goes on, over the validators running then; and the
//! run checks that no honest validator was blocked by another (only Byzantine ones give cause).

use std::collections::{BTreeMap, BTreeSet};

use commonware_runtime::deterministic;
use sovra_consensus::Ledger;
use sovra_types::params::{BPS, SNAPSHOT_EPOCHS};
use sovra_types::staking::{CandidateList, ValidatorSets};
use sovra_types::state::{MetaKey, decode_u64};
use sovra_types::{
    AssetClass, Bundle, Delegation, DepositStatus, Did, HolderBalance, ParamsRecord, Proposal,
    ProposalContent, ProposalStatus, StakeTotal, StateKey, Tally, TokenLock, TokenRef, TypesError,
    Unbonding, ValidatorRecord, VoteRecord, receipt::verify_chain,
};

use crate::workload::Workload;

/// Most receipt-chain entries read per identity and check (runs are far shorter).
const MAX_RECEIPTS: usize = 100_000;

/// A broken invariant: which, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn violation(message: impl Into<String>) -> Violation {
    Violation(message.into())
}

/// Checks every invariant over `ledgers` (validator index and ledger), all at committed height
/// `height`, against what `workload` did.
pub async fn check(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    height: u64,
    workload: &Workload,
) -> Result<(), Violation> {
    let identities = &workload.identities();
    agreement(ledgers, 0, height)?;
    same_outcomes(ledgers, height)?;
    let mut supplies: Option<(usize, Vec<u128>)> = None;
    for (v, ledger) in ledgers {
        one_history(*v, ledger, height).await?;
        conservation(*v, ledger, identities).await?;
        let stakes = Stakes::read(*v, ledger, identities).await?;
        stake(*v, ledger, &stakes).await?;
        validator_sets(*v, ledger, height, &stakes).await?;
        proposals(*v, ledger, height, workload, &stakes).await?;
        receipt_chains(*v, ledger, identities).await?;
        let mine = asset_supplies(*v, ledger, workload).await?;
        match &supplies {
            Some((w, theirs)) if *theirs != mine => {
                return Err(violation(format!(
                    "asset supplies differ: validator {w} has {theirs:?}, validator {v} has {mine:?}"
                )));
            }
            Some(_) => {}
            None => supplies = Some((*v, mine)),
        }
    }
    same_accounts(ledgers, identities).await
}

/// On validator `v`, every class the workload may have created has a supply equal to what the
/// named identities hold of it plus what the workload's locks of it and the boxes' bundles
/// still hold; returns the supplies, class by class.
async fn asset_supplies(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    workload: &Workload,
) -> Result<Vec<u128>, Violation> {
    let read = |key: StateKey| async move {
        ledger
            .state_value(&key)
            .await
            .map_err(|e| violation(format!("validator {v}: reading {key}: {e}")))
    };
    let identities = workload.identities();
    let mut supplies = Vec::new();
    for class in workload.asset_classes() {
        let supply = match read(StateKey::AssetClass(class.clone())).await? {
            Some(b) => {
                AssetClass::decode(&b)
                    .map_err(|e| violation(format!("validator {v}: class {class}: {e}")))?
                    .supply
            }
            None => 0,
        };
        let mut held: u128 = 0;
        for holder in &identities {
            let key = StateKey::AssetBalance {
                class: class.clone(),
                token: 0,
                holder: holder.clone(),
            };
            if let Some(b) = read(key).await? {
                held += HolderBalance::decode(&b)
                    .map_err(|e| violation(format!("validator {v}: a balance of {class}: {e}")))?
                    .amount;
            }
        }
        for (c, holder, id) in workload.locks.iter().filter(|(c, ..)| *c == class) {
            let key = StateKey::AssetLock {
                class: c.clone(),
                holder: holder.clone(),
                id: *id,
            };
            if let Some(b) = read(key).await? {
                held += TokenLock::decode(&b)
                    .map_err(|e| violation(format!("validator {v}: a lock of {class}: {e}")))?
                    .remaining();
            }
        }
        for parent in workload.boxes() {
            let key = StateKey::AssetBundle {
                class: parent.class.clone(),
                token: parent.token,
            };
            if let Some(b) = read(key).await? {
                let bundle = Bundle::decode(&b).map_err(|e| {
                    violation(format!("validator {v}: the bundle of {parent}: {e}"))
                })?;
                held += bundle.amount(&TokenRef {
                    class: class.clone(),
                    token: 0,
                });
            }
        }
        if held != supply {
            return Err(violation(format!(
                "validator {v}: the supply of {class} is {supply}, its holders, locks and bundles hold {held}"
            )));
        }
        supplies.push(supply);
    }
    Ok(supplies)
}

/// No two validators hold different blocks at any height from `from` to `height`.
pub fn agreement(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    from: u64,
    height: u64,
) -> Result<(), Violation> {
    for h in from..=height {
        let mut first: Option<(usize, sovra_types::Digest)> = None;
        for (v, ledger) in ledgers {
            let block = ledger
                .index()
                .block(h)
                .map_err(|e| violation(format!("validator {v}: reading block {h}: {e}")))?
                .ok_or_else(|| violation(format!("validator {v} lacks finalized block {h}")))?;
            match &first {
                None => first = Some((*v, block.id())),
                Some((w, id)) if *id != block.id() => {
                    return Err(violation(format!(
                        "fork at height {h}: validators {w} and {v} finalized different blocks"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Validator `v`'s blocks up to `height` form one chain, and its committed state is its tip's.
async fn one_history(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    height: u64,
) -> Result<(), Violation> {
    let mut parent = None;
    for h in 0..=height {
        let block = ledger
            .index()
            .block(h)
            .map_err(|e| violation(format!("validator {v}: reading block {h}: {e}")))?
            .ok_or_else(|| violation(format!("validator {v} lacks block {h}")))?;
        if block.height() != h {
            return Err(violation(format!(
                "validator {v}: block at {h} says height {}",
                block.height()
            )));
        }
        if let Some(parent) = parent
            && block.header.parent != parent
        {
            return Err(violation(format!(
                "validator {v}: block {h} does not extend block {}",
                h - 1
            )));
        }
        parent = Some(block.id());
    }
    let (committed, root) = ledger.committed_root().await;
    let tip = ledger
        .index()
        .block(committed)
        .map_err(|e| violation(format!("validator {v}: reading its tip: {e}")))?
        .ok_or_else(|| violation(format!("validator {v}: its committed tip is not indexed")))?;
    if tip.header.state_root != root {
        return Err(violation(format!(
            "validator {v}: committed state at {committed} is not the one its block names"
        )));
    }
    Ok(())
}

/// Reads a chain-wide counter of validator `v`'s committed state.
async fn meta(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    key: MetaKey,
) -> Result<u64, Violation> {
    let bytes = ledger
        .state_value(&StateKey::Meta(key))
        .await
        .map_err(|e| violation(format!("validator {v}: reading {key:?}: {e}")))?;
    match bytes {
        None => Ok(0),
        Some(b) => decode_u64(&b).map_err(|e| violation(format!("validator {v}: {key:?}: {e}"))),
    }
}

/// Validator `v`'s supply plus burned fees equals genesis, and the supply is what `identities`
/// hold plus what is staked, held in deposits and in the treasury.
async fn conservation(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    identities: &BTreeSet<Did>,
) -> Result<(), Violation> {
    let issued = meta(v, ledger, MetaKey::Issued).await?;
    let genesis_total = ledger.genesis().total_supply().unwrap_or(u64::MAX);
    let supply = meta(v, ledger, MetaKey::Supply).await?;
    let burned = meta(v, ledger, MetaKey::Burned).await?;
    if supply as u128 + burned as u128 != genesis_total as u128 + issued as u128 {
        return Err(violation(format!(
            "validator {v}: supply {supply} + burned {burned} != genesis {genesis_total} + \
             issued {issued}"
        )));
    }
    let mut held = 0u64;
    for did in identities {
        held = held
            .checked_add(account(v, ledger, did).await?.balance)
            .ok_or_else(|| violation(format!("validator {v}: balances overflow")))?;
    }
    let staked = meta(v, ledger, MetaKey::Staked).await?;
    let deposits = meta(v, ledger, MetaKey::Deposits).await?;
    let treasury = meta(v, ledger, MetaKey::Treasury).await?;
    let rewards = meta(v, ledger, MetaKey::Rewards).await?;
    let accounted = [staked, deposits, treasury, rewards]
        .into_iter()
        .try_fold(held, u64::checked_add)
        .ok_or_else(|| violation(format!("validator {v}: the supply's parts overflow")))?;
    if accounted != supply {
        return Err(violation(format!(
            "validator {v}: the identities hold {held}, {staked} is staked, {deposits} held in \
             deposits, {treasury} in the treasury and {rewards} owed as rewards: {accounted} in \
             all, but the supply is {supply}"
        )));
    }
    Ok(())
}

/// Reads the record at `key` of validator `v`'s committed state with `decode` (`None` if
/// absent).
async fn decoded<T>(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    key: StateKey,
    decode: fn(&[u8]) -> Result<T, TypesError>,
) -> Result<Option<T>, Violation> {
    match ledger.state_value(&key).await {
        Ok(Some(bytes)) => decode(&bytes)
            .map(Some)
            .map_err(|e| violation(format!("validator {v}: decoding {key}: {e}"))),
        Ok(None) => Ok(None),
        Err(e) => Err(violation(format!("validator {v}: reading {key}: {e}"))),
    }
}

/// The stake records of the identities the workload named, on one validator.
struct Stakes {
    /// Each identity's delegation (empty if it never delegated).
    delegations: BTreeMap<Did, Delegation>,
    /// The identities that are validator candidates, with their records.
    candidates: BTreeMap<Did, ValidatorRecord>,
    /// The sum of the identities' unbonding entries.
    unbonding: u64,
}

impl Stakes {
    /// Reads the stake records of `identities` from validator `v`.
    async fn read(
        v: usize,
        ledger: &Ledger<deterministic::Context>,
        identities: &BTreeSet<Did>,
    ) -> Result<Self, Violation> {
        let mut stakes = Stakes {
            delegations: BTreeMap::new(),
            candidates: BTreeMap::new(),
            unbonding: 0,
        };
        let overflow = || violation(format!("validator {v}: unbonding entries overflow"));
        for did in identities {
            let delegation = decoded(
                v,
                ledger,
                StateKey::Delegation(did.clone()),
                Delegation::decode,
            )
            .await?
            .unwrap_or_default();
            stakes.delegations.insert(did.clone(), delegation);
            if let Some(record) = decoded(
                v,
                ledger,
                StateKey::Validator(did.clone()),
                ValidatorRecord::decode,
            )
            .await?
            {
                stakes.candidates.insert(did.clone(), record);
            }
            let unbonding = decoded(
                v,
                ledger,
                StateKey::Unbonding(did.clone()),
                Unbonding::decode,
            )
            .await?
            .unwrap_or_default();
            for entry in &unbonding.entries {
                stakes.unbonding = stakes
                    .unbonding
                    .checked_add(entry.amount)
                    .ok_or_else(overflow)?;
            }
        }
        Ok(stakes)
    }

    /// The slash of validator `did`, if it was slashed.
    fn slash_of(&self, did: &Did) -> Option<&sovra_types::staking::SlashRecord> {
        self.candidates.get(did).and_then(|r| r.slash.as_ref())
    }

    /// `did`'s delegation at the start of `epoch`, if positive, counting what a slash of its
    /// validator left of it (as governance counts it).
    fn delegation_at(&self, did: &Did, epoch: u64) -> Option<sovra_types::Stake> {
        let d = self.delegations.get(did)?;
        let validator = &d.at(epoch)?.validator;
        d.effective_at(epoch, self.slash_of(validator))
    }

    /// `did`'s current delegation, if positive, counting what a slash of its validator left,
    /// and whether that validator was slashed (its power may then keep a unit of rounding per
    /// delegation).
    fn current(&self, did: &Did) -> Option<(Did, u64, bool)> {
        let d = self.delegations.get(did)?;
        let stake = d.current().filter(|s| s.amount > 0)?;
        let slash = self.slash_of(&stake.validator);
        let amount = match slash {
            Some(s) if d.owes_slash(Some(s)) => s.keep(stake.amount),
            _ => stake.amount,
        };
        Some((stake.validator.clone(), amount, slash.is_some()))
    }

    /// `did`'s power as a validator at the start of `epoch` (0 if it was none).
    fn power_at(&self, did: &Did, epoch: u64) -> u64 {
        self.candidates
            .get(did)
            .and_then(|r| r.power.at(epoch).copied())
            .unwrap_or(0)
    }
}

/// On validator `v`, `meta:staked` is the current delegations plus the unbonding entries, the
/// stake total's latest checkpoint is the sum of the current delegations, and each candidate's
/// latest power is the sum of the current delegations to it.
async fn stake(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    stakes: &Stakes,
) -> Result<(), Violation> {
    let overflow = || violation(format!("validator {v}: delegations overflow"));
    let mut bonded = 0u64;
    // What each candidate's delegations bond, and how many of them a slash of it cut (each
    // may leave a unit of rounding in its power).
    let mut to_candidate: BTreeMap<Did, (u64, u64)> = BTreeMap::new();
    let mut rounding = 0u64;
    for did in stakes.delegations.keys() {
        let Some((validator, amount, slashed)) = stakes.current(did) else {
            continue;
        };
        bonded = bonded.checked_add(amount).ok_or_else(overflow)?;
        if !stakes.candidates.contains_key(&validator) {
            return Err(violation(format!(
                "validator {v}: {did} delegates to {validator}, which is not a candidate"
            )));
        }
        let (power, cut) = to_candidate.entry(validator).or_default();
        *power = power.checked_add(amount).ok_or_else(overflow)?;
        if slashed {
            *cut += 1;
            rounding += 1;
        }
    }
    let total = decoded(v, ledger, StateKey::StakeTotal, StakeTotal::decode)
        .await?
        .unwrap_or_default();
    let latest = total.total.latest().copied().unwrap_or(0);
    let staked = meta(v, ledger, MetaKey::Staked).await?;
    if latest.checked_add(stakes.unbonding) != Some(staked) {
        return Err(violation(format!(
            "validator {v}: meta:staked is {staked}, the stake total {latest} and {} is \
             unbonding",
            stakes.unbonding
        )));
    }
    if latest < bonded || latest - bonded > rounding {
        return Err(violation(format!(
            "validator {v}: the stake total is {latest}, the delegations bond {bonded} (and \
             slashes may round off at most {rounding})"
        )));
    }
    for (candidate, record) in &stakes.candidates {
        let power = record.power.latest().copied().unwrap_or(0);
        let (delegated, cut) = to_candidate.get(candidate).copied().unwrap_or((0, 0));
        if power < delegated || power - delegated > cut {
            return Err(violation(format!(
                "validator {v}: candidate {candidate} has power {power}, its delegations bond \
                 {delegated} (a slash may round off at most {cut})"
            )));
        }
    }
    let mut claimable = 0u128;
    let no_delegation = Delegation::default();
    let holders: BTreeSet<&Did> = stakes
        .delegations
        .keys()
        .chain(stakes.candidates.keys())
        .collect();
    for did in holders {
        let delegation = stakes.delegations.get(did).unwrap_or(&no_delegation);
        let delegated_to = delegation
            .current()
            .filter(|s| s.amount > 0)
            .and_then(|s| stakes.candidates.get(&s.validator));
        let due = sovra_types::staking::claimable(
            delegation,
            delegated_to,
            stakes.candidates.get(did),
            total.reward_index,
        )
        .ok_or_else(|| violation(format!("validator {v}: {did}'s rewards overflow")))?;
        claimable += due as u128;
    }
    let owed = meta(v, ledger, MetaKey::Rewards).await?;
    if claimable > owed as u128 {
        return Err(violation(format!(
            "validator {v}: the named identities can claim {claimable} in rewards, but only \
             {owed} is owed"
        )));
    }
    Ok(())
}

/// On validator `v` at committed `height`: the candidate list holds exactly the candidates
/// with latest power, with that power; once a validator set was chosen, the newest is that of
/// the epoch after `height`'s last boundary, and it is the `max_validators` strongest
/// candidates by their power at its epoch's start, chosen from scratch.
async fn validator_sets(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    height: u64,
    stakes: &Stakes,
) -> Result<(), Violation> {
    let params = decoded(v, ledger, StateKey::Params, ParamsRecord::decode)
        .await?
        .map_or_else(|| ledger.genesis().params(), |r| r.effective_at(height));
    let listed: Vec<(Did, u64)> = decoded(v, ledger, StateKey::Candidates, CandidateList::decode)
        .await?
        .unwrap_or_default()
        .entries
        .into_iter()
        .map(|m| (m.validator, m.power))
        .collect();
    let latest: Vec<(Did, u64)> = stakes
        .candidates
        .iter()
        .filter(|(_, r)| r.slash.is_none())
        .map(|(did, r)| (did.clone(), r.power.latest().copied().unwrap_or(0)))
        .filter(|(_, p)| *p > 0)
        .collect();
    if listed != latest {
        return Err(violation(format!(
            "validator {v}: the candidate list is {listed:?}, the candidates' power {latest:?}"
        )));
    }
    let sets = decoded(v, ledger, StateKey::ValidatorSets, ValidatorSets::decode)
        .await?
        .unwrap_or_default();
    let Some(newest) = sets.sets.last() else {
        return Ok(());
    };
    let expected_epoch = params.epoch_of(height + 1);
    if newest.epoch != expected_epoch {
        return Err(violation(format!(
            "validator {v}: the newest validator set is of epoch {}, at height {height} it \
             should be of epoch {expected_epoch}",
            newest.epoch
        )));
    }
    // Chosen at the end of the block before the epoch's first: validators slashed by then are
    // tombstoned, out of the choice.
    let chosen_at = (newest.epoch * params.epoch_length).saturating_sub(1);
    let mut from_scratch: Vec<(Did, u64)> = stakes
        .candidates
        .iter()
        .filter(|(_, r)| r.slash.as_ref().is_none_or(|s| s.height > chosen_at))
        .map(|(did, r)| (did.clone(), r.power.at(newest.epoch).copied().unwrap_or(0)))
        .filter(|(_, p)| *p > 0)
        .collect();
    from_scratch.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    from_scratch.truncate(params.max_validators as usize);
    let chosen: Vec<(Did, u64)> = newest
        .members
        .iter()
        .map(|m| (m.validator.clone(), m.power))
        .collect();
    if chosen != from_scratch {
        return Err(violation(format!(
            "validator {v}: the set of epoch {} is {chosen:?}, the strongest candidates are \
             {from_scratch:?}",
            newest.epoch
        )));
    }
    Ok(())
}

/// On validator `v` at committed `height`, over every proposal `workload` submitted: the
/// deposits held and the treasury are what the proposals' deposits and spends leave, each
/// finalized proposal's result is what its tally gives under its rules, and each proposal whose
/// snapshot is still retained has the total stake and the tally its snapshot gives.
async fn proposals(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    height: u64,
    workload: &Workload,
    stakes: &Stakes,
) -> Result<(), Violation> {
    let params = decoded(v, ledger, StateKey::Params, ParamsRecord::decode)
        .await?
        .map_or_else(|| ledger.genesis().params(), |r| r.effective_at(height));
    let final_epoch = params.epoch_of(height);
    let (mut held, mut treasury) = (0u128, 0i128);
    for id in &workload.proposals {
        // Absent: its transaction failed (or never made it into a block).
        let Some(p) = decoded(v, ledger, StateKey::Proposal(*id), Proposal::decode).await? else {
            continue;
        };
        match p.deposit_status {
            DepositStatus::Held | DepositStatus::Refundable => held += p.deposit as u128,
            DepositStatus::Forfeited => treasury += p.deposit as i128,
            DepositStatus::Refunded => {}
        }
        if let (ProposalStatus::Executed, ProposalContent::TreasurySpend { amount, .. }) =
            (p.status, &p.content)
        {
            treasury -= *amount as i128;
        }
        result_holds(&p).map_err(|e| violation(format!("validator {v}: proposal {id}: {e}")))?;
        if final_epoch.saturating_sub(p.snapshot_epoch) > SNAPSHOT_EPOCHS - 1 {
            // Its snapshot is no longer kept: stake at it cannot be read back exactly.
            continue;
        }
        let s = p.snapshot_epoch;
        let at_snapshot: Vec<sovra_types::Stake> = stakes
            .delegations
            .keys()
            .filter_map(|d| stakes.delegation_at(d, s))
            .collect();
        let total: u128 = at_snapshot.iter().map(|stake| stake.amount as u128).sum();
        // Delegations to a validator slashed before the snapshot may each have left a unit of
        // rounding in the total.
        let rounding = at_snapshot
            .iter()
            .filter(|stake| {
                stakes
                    .slash_of(&stake.validator)
                    .is_some_and(|sl| sl.epoch < s)
            })
            .count() as u128;
        let counted = p.total_stake as u128;
        if counted < total || counted - total > rounding {
            return Err(violation(format!(
                "validator {v}: proposal {id} counts a total stake of {} at epoch {s}, the \
                 delegations then bond {total} (slashes may round off at most {rounding})",
                p.total_stake
            )));
        }
        let mut votes = BTreeMap::new();
        for voter in stakes.delegations.keys() {
            let key = StateKey::Vote {
                proposal: *id,
                voter: voter.clone(),
            };
            if let Some(record) = decoded(v, ledger, key, VoteRecord::decode).await? {
                votes.insert(voter.clone(), record);
            }
        }
        let counted = tally_from_scratch(stakes, &votes, s)
            .map_err(|e| violation(format!("validator {v}: proposal {id}: {e}")))?;
        if counted != p.tally {
            return Err(violation(format!(
                "validator {v}: proposal {id} has tally {:?}, its votes and the stake at epoch \
                 {s} count {counted:?}",
                p.tally
            )));
        }
    }
    let deposits = meta(v, ledger, MetaKey::Deposits).await?;
    if deposits as u128 != held {
        return Err(violation(format!(
            "validator {v}: meta:deposits is {deposits}, the proposals voting or refundable hold \
             {held}"
        )));
    }
    let in_treasury = meta(v, ledger, MetaKey::Treasury).await?;
    if in_treasury as i128 != treasury {
        return Err(violation(format!(
            "validator {v}: meta:treasury is {in_treasury}, forfeited deposits less the spends \
             paid leave {treasury}"
        )));
    }
    Ok(())
}

/// A proposal's status and deposit agree with its tally under its rules (a proposal still
/// voting holds its deposit; a finalized one is what the tally gives: missed quorum and vetoes
/// forfeit the deposit, the rest leave it to its proposer; a passed one may have been paid, if
/// a spend, enacted, if a trust-registry change, or failed to schedule, if a parameter change).
fn result_holds(p: &Proposal) -> Result<(), String> {
    let forfeited = p.deposit_status == DepositStatus::Forfeited;
    let ok = match p.status {
        ProposalStatus::Voting => p.deposit_status == DepositStatus::Held,
        ProposalStatus::NoQuorum | ProposalStatus::Vetoed => {
            forfeited && expected_result(p) == p.status
        }
        ProposalStatus::Rejected | ProposalStatus::Passed => {
            !forfeited && p.deposit_status != DepositStatus::Held && expected_result(p) == p.status
        }
        ProposalStatus::Executed => {
            matches!(
                p.content,
                ProposalContent::TreasurySpend { .. } | ProposalContent::Registry(_)
            ) && !forfeited
                && p.deposit_status != DepositStatus::Held
                && expected_result(p) == ProposalStatus::Passed
        }
        ProposalStatus::Failed => {
            matches!(p.content, ProposalContent::ChangeParams(_))
                && !forfeited
                && p.deposit_status != DepositStatus::Held
                && expected_result(p) == ProposalStatus::Passed
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "status {} with deposit {} does not follow from tally {:?} (total stake {}, rules \
             {:?})",
            p.status.as_str(),
            p.deposit_status.as_str(),
            p.tally,
            p.total_stake,
            p.rules
        ))
    }
}

/// The result of a proposal's tally under its rules, counted anew: no quorum if the turnout is
/// below `quorum_bps` of the total stake, vetoed if vetoes are more than `veto_bps` of the
/// turnout, passed if yes is more than `threshold_bps` of yes, no and veto, else rejected.
fn expected_result(p: &Proposal) -> ProposalStatus {
    let bps = BPS as u128;
    let t = &p.tally;
    let turnout = t.yes as u128 + t.no as u128 + t.abstain as u128 + t.veto as u128;
    if turnout == 0 || turnout * bps < p.rules.quorum_bps as u128 * p.total_stake as u128 {
        ProposalStatus::NoQuorum
    } else if t.veto as u128 * bps > p.rules.veto_bps as u128 * turnout {
        ProposalStatus::Vetoed
    } else if t.yes as u128 * bps
        > p.rules.threshold_bps as u128 * (t.yes as u128 + t.no as u128 + t.veto as u128)
    {
        ProposalStatus::Passed
    } else {
        ProposalStatus::Rejected
    }
}

/// A proposal's tally counted from scratch from the `votes` of the named identities and their
/// stake at snapshot epoch `s`: each validator that voted counts its power then less the stake
/// of its delegators who voted themselves; each delegator that voted counts its stake then.
fn tally_from_scratch(
    stakes: &Stakes,
    votes: &BTreeMap<Did, VoteRecord>,
    s: u64,
) -> Result<Tally, String> {
    let mut tally = Tally::default();
    for (voter, record) in votes {
        let Some(option) = record.option else {
            continue;
        };
        let power = stakes.power_at(voter, s);
        let counted = if power > 0 {
            let overriding: u64 = votes
                .iter()
                .filter(|(d, r)| *d != voter && r.option.is_some())
                .filter_map(|(d, _)| stakes.delegation_at(d, s))
                .filter(|stake| stake.validator == *voter)
                .map(|stake| stake.amount)
                .sum();
            power.checked_sub(overriding).ok_or_else(|| {
                format!(
                    "validator {voter} had power {power} at epoch {s}, less than the {overriding} \
                     its delegators who voted delegated"
                )
            })?
        } else {
            stakes
                .delegation_at(voter, s)
                .map_or(0, |stake| stake.amount)
        };
        let count = tally.get_mut(option);
        *count = count
            .checked_add(counted)
            .ok_or_else(|| "the tally overflows".to_string())?;
    }
    Ok(tally)
}

async fn account(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    did: &Did,
) -> Result<sovra_types::Account, Violation> {
    ledger
        .account(did)
        .await
        .map_err(|e| violation(format!("validator {v}: reading account {did}: {e}")))
}

/// Every identity's account is identical on every validator.
async fn same_accounts(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    identities: &BTreeSet<Did>,
) -> Result<(), Violation> {
    for did in identities {
        let mut first: Option<(usize, sovra_types::Account)> = None;
        for (v, ledger) in ledgers {
            let a = account(*v, ledger, did).await?;
            match &first {
                None => first = Some((*v, a)),
                Some((w, b)) if *b != a => {
                    return Err(violation(format!(
                        "account {did} differs: validator {w} has {b:?}, validator {v} has {a:?}"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Every identity's receipt chain on validator `v`, read entry by entry, links up to the head
/// its account names.
async fn receipt_chains(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    identities: &BTreeSet<Did>,
) -> Result<(), Violation> {
    for did in identities {
        let a = account(v, ledger, did).await?;
        let entries = ledger
            .index()
            .receipts(did, 0, MAX_RECEIPTS)
            .map_err(|e| violation(format!("validator {v}: receipts of {did}: {e}")))?;
        if entries.len() as u64 != a.receipt_count || !verify_chain(&entries, &a.receipt_head) {
            return Err(violation(format!(
                "validator {v}: the receipt chain of {did} ({} entries read, {} counted) does not \
                 link up to its head",
                entries.len(),
                a.receipt_count
            )));
        }
    }
    Ok(())
}

/// Every transaction in the finalized blocks up to `height` has the same position, outcome and
/// fee on every validator.
fn same_outcomes(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    height: u64,
) -> Result<(), Violation> {
    let Some((first_v, first)) = ledgers.first() else {
        return Ok(());
    };
    for h in 1..=height {
        let block = first
            .index()
            .block(h)
            .map_err(|e| violation(format!("validator {first_v}: reading block {h}: {e}")))?
            .ok_or_else(|| violation(format!("validator {first_v} lacks block {h}")))?;
        for tx in &block.txs {
            let id = tx.id();
            let mut seen = None;
            for (v, ledger) in ledgers {
                let at = ledger
                    .index()
                    .tx(&id)
                    .map_err(|e| violation(format!("validator {v}: reading tx {id}: {e}")))?
                    .ok_or_else(|| {
                        violation(format!(
                            "validator {v} lacks finalized tx {id} of block {h}"
                        ))
                    })?;
                if at.height != h {
                    return Err(violation(format!(
                        "validator {v}: tx {id} of block {h} is indexed at height {}",
                        at.height
                    )));
                }
                match &seen {
                    None => seen = Some((*v, at)),
                    Some((w, other)) if *other != at => {
                        return Err(violation(format!(
                            "tx {id}: validator {w} has {other:?}, validator {v} has {at:?}"
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}
