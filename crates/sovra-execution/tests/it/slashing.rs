//! Slashing for equivocation: evidence verified against the set of its epoch, the validator's
//! power, its delegators' stake and what is unbonding from it cut by the slash fraction, the
//! validator tombstoned; the supply accounted for at every step.

use crate::common::{CHAIN, Chain, did};
use crate::economy::{economy, registration};
use sovra_crypto::SigningKey;
use sovra_types::{
    Did, GenesisEconomy, StakingAction, StateKey, Unbonding,
    evidence::{Equivocation, consensus_namespace},
    staking::{CandidateList, ValidatorSets, claimable},
    state::MetaKey,
};

/// Evidence that consensus key `signer` (a test seed) voted twice in `view` of `epoch`, in a
/// set of the consensus keys `set`, on chain `chain`.
fn evidence(chain: &str, set: &[u64], signer: u64, epoch: u64, view: u64) -> Box<Equivocation> {
    let keys: Vec<_> = set
        .iter()
        .map(|s| SigningKey::from_test_seed(*s).public_key())
        .collect();
    Box::new(
        Equivocation::conflicting_notarize(
            &consensus_namespace(chain),
            &keys,
            SigningKey::from_test_seed(signer).as_commonware().clone(),
            epoch,
            view,
        )
        .unwrap(),
    )
}

fn report(validator: &Did, evidence: Box<Equivocation>) -> StakingAction {
    StakingAction::ReportEquivocation {
        validator: validator.clone(),
        evidence,
    }
}

/// Keys 0 and 1 are candidates A (consensus key 100) and B (101), bonded 400 and 300 to
/// themselves; key 2 delegates 200 to A; slashes cut 10%; 100 tokens issued per block. At
/// height 10, epoch 1's set is A and B.
fn staked_with_rewards() -> (Vec<SigningKey>, Chain, Did, Did) {
    crate::economy::staked_with(GenesisEconomy {
        issuance_per_block: 100,
        ..economy()
    })
}

/// The native balance of `who`.
fn balance(chain: &Chain, who: &Did) -> u64 {
    crate::common::account(&chain.state, who).balance
}

/// What `who` (delegating to `to`) could claim now.
fn claimable_of(chain: &Chain, who: &Did, to: &Did) -> u64 {
    let total = chain
        .decode(StateKey::StakeTotal, sovra_types::StakeTotal::decode)
        .unwrap();
    let own = chain.decode(
        StateKey::Validator(who.clone()),
        sovra_types::ValidatorRecord::decode,
    );
    claimable(
        &chain.delegation(who),
        Some(&chain.validator(to)),
        own.as_ref(),
        total.reward_index,
    )
    .unwrap()
}

#[test]
fn an_equivocating_validator_is_slashed_with_its_delegators_and_tombstoned() {
    let (ks, mut chain, a, b) = staked_with_rewards();
    let sets = chain
        .decode(StateKey::ValidatorSets, ValidatorSets::decode)
        .unwrap();
    assert!(sets.of(1).is_some(), "epoch 1 has a set chosen by stake");
    // Key 2 starts unbonding 50 before the slash; it is still unbonding when it comes.
    chain.ok(
        &ks[2],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 50,
        },
    );
    chain.check_supply();

    // Evidence that does not hold changes nothing.
    let reporter = &ks[5];
    assert_eq!(
        chain.fails(
            reporter,
            report(&b, evidence(CHAIN, &[100, 101], 100, 1, 3))
        ),
        "wrong_validator"
    );
    assert_eq!(
        chain.fails(
            reporter,
            report(&a, evidence(CHAIN, &[100, 101], 100, 9, 3))
        ),
        "unknown_epoch"
    );
    assert_eq!(
        chain.fails(
            reporter,
            report(&a, evidence("other", &[100, 101], 100, 1, 3))
        ),
        "invalid_evidence"
    );
    // Signed in a set A and B were not (another key beside A's): its signer index means
    // another key in the real set.
    assert_eq!(
        chain.fails(
            reporter,
            report(&a, evidence(CHAIN, &[100, 999], 999, 1, 3))
        ),
        "invalid_evidence"
    );
    assert!(chain.validator(&a).slash.is_none());

    // The claim A's delegator could make just before the slash.
    let supply = chain.meta(MetaKey::Supply);
    let burned = chain.meta(MetaKey::Burned);
    let power = *chain.validator(&a).power.latest().unwrap();
    assert_eq!(power, 550);
    chain.ok(
        reporter,
        report(&a, evidence(CHAIN, &[100, 101], 100, 1, 3)),
    );
    let record = chain.validator(&a);
    let slash = record.slash.clone().expect("slashed");
    assert_eq!((slash.offence_epoch, slash.fraction_bps), (1, 1_000));
    // 10% of 550 cut from A's power (from the next epoch), the total and the supply, burned.
    assert_eq!(*record.power.latest().unwrap(), 495);
    assert_eq!(
        record.power.at(1),
        Some(&600),
        "this epoch's power is history"
    );
    let issued = 100; // the report's block
    assert_eq!(chain.meta(MetaKey::Supply), supply - 55 + issued);
    assert_eq!(chain.meta(MetaKey::Burned), burned + 55);
    let candidates = chain
        .decode(StateKey::Candidates, CandidateList::decode)
        .unwrap();
    assert!(candidates.entries.iter().all(|m| m.validator != a));
    chain.check_supply();

    // The next epoch's set (chosen at height 19) is B alone.
    assert!(chain.height < 19);
    chain.blocks_to(19);
    let sets = chain
        .decode(StateKey::ValidatorSets, ValidatorSets::decode)
        .unwrap();
    let next: Vec<_> = sets
        .of(2)
        .unwrap()
        .members
        .iter()
        .map(|m| m.validator.clone())
        .collect();
    assert_eq!(next, vec![b.clone()]);

    // Tombstoned: no second slash, no new delegation, no new registration.
    assert_eq!(
        chain.fails(
            reporter,
            report(&a, evidence(CHAIN, &[100, 101], 100, 1, 4))
        ),
        "already_slashed"
    );
    assert_eq!(
        chain.fails(
            &ks[3],
            StakingAction::Delegate {
                validator: a.clone(),
                amount: 10,
            }
        ),
        "validator_tombstoned"
    );
    assert_eq!(
        chain.fails(&ks[0], registration(&ks[0], 102)),
        "already_validator"
    );

    // Key 2's delegation (150) settles against the slash when it next moves: 135 is left, and
    // leaves at once (a tombstoned validator is never slashed again). Its rewards up to the
    // slash were earned on 150, after it on 135: the claim pays what `claimable` says.
    let owed = claimable_of(&chain, &did(&ks[2]), &a);
    assert!(owed > 0);
    let before_undelegate = balance(&chain, &did(&ks[2]));
    assert_eq!(
        chain.fails(
            &ks[2],
            StakingAction::Undelegate {
                validator: a.clone(),
                amount: 150,
            }
        ),
        "insufficient_stake"
    );
    chain.ok(
        &ks[2],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 135,
        },
    );
    assert_eq!(
        balance(&chain, &did(&ks[2])),
        before_undelegate + 135 - 2 * chain.fee
    );
    chain.check_supply();
    let before = balance(&chain, &did(&ks[2]));
    let owed_now = claimable_of(&chain, &did(&ks[2]), &a);
    assert!(owed_now >= owed);
    chain.ok(
        &ks[2],
        StakingAction::ClaimRewards {
            validator: Some(a.clone()),
        },
    );
    assert_eq!(balance(&chain, &did(&ks[2])), before + owed_now - chain.fee);

    // The 50 unbonding at the slash comes back cut by 10%; the cut is burned then.
    let release = chain
        .decode(StateKey::Unbonding(did(&ks[2])), Unbonding::decode)
        .unwrap()
        .entries[0]
        .release_height;
    chain.blocks_to(release);
    let before = balance(&chain, &did(&ks[2]));
    let burned = chain.meta(MetaKey::Burned);
    chain.ok(&ks[2], StakingAction::Withdraw);
    assert_eq!(balance(&chain, &did(&ks[2])), before + 45 - chain.fee);
    // (The fee is burned and then paid to the stake at the end of the block.)
    assert_eq!(chain.meta(MetaKey::Burned), burned + 5);
    chain.check_supply();

    // A's own stake, too, settles to 90% of 400 at its next claim, which pays exactly what
    // `claimable` said (earned on 400 up to the slash, on 360 after), then when A leaves.
    chain.empty_blocks(3);
    let owed = claimable_of(&chain, &a, &a);
    let before = balance(&chain, &a);
    chain.ok(
        &ks[0],
        StakingAction::ClaimRewards {
            validator: Some(a.clone()),
        },
    );
    assert_eq!(balance(&chain, &a), before + owed - chain.fee);
    assert_eq!(chain.delegation(&a).current().unwrap().amount, 360);
    chain.check_supply();
    let before = balance(&chain, &a);
    chain.ok(
        &ks[0],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 360,
        },
    );
    assert_eq!(balance(&chain, &a), before + 360 - chain.fee);
    chain.check_supply();
    // What rounding left in A's power is at most a unit per delegation.
    assert!(*chain.validator(&a).power.latest().unwrap() <= 2);
}
