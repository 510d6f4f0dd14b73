//! Staking rewards: every block's fees and issuance spread over the bonded stake by one reward
//! index, split between delegators and their validator's commission, credited when stake
//! changes and paid by `claim_rewards`; nothing issued and fees burned while nothing is bonded;
//! and, under random stake moves, claims and blocks, a supply that stays accounted for and
//! claimable rewards that never exceed what was distributed (and lose at most rounding dust).

use crate::common::{Chain, did};
use crate::economy::{economy, registration};
use proptest::prelude::*;
use sovra_crypto::SigningKey;
use sovra_types::{
    Did, GenesisEconomy, ReceiptStatus, StakeTotal, StakingAction, StateKey, ValidatorRecord,
    staking::claimable, state::MetaKey,
};

/// Tokens issued per block in these tests.
const ISSUANCE: u64 = 1_000;

fn with_issuance() -> GenesisEconomy {
    GenesisEconomy {
        issuance_per_block: ISSUANCE,
        ..economy()
    }
}

impl Chain {
    /// What `claim_rewards` by `d` would pay now.
    fn claimable(&self, d: &Did) -> u64 {
        let delegation = self.delegation(d);
        let record = |v: &Did| self.decode(StateKey::Validator(v.clone()), ValidatorRecord::decode);
        let delegated_to = delegation
            .current()
            .filter(|s| s.amount > 0)
            .and_then(|s| record(&s.validator));
        let index = self
            .decode(StateKey::StakeTotal, StakeTotal::decode)
            .unwrap_or_default()
            .reward_index;
        claimable(
            &delegation,
            delegated_to.as_ref(),
            record(d).as_ref(),
            index,
        )
        .unwrap()
    }

    /// Claims as `key`, naming `validator`: "completed" or the failure code.
    fn claim(&mut self, key: &SigningKey, validator: Option<&Did>) -> String {
        let status = self.act(
            key,
            StakingAction::ClaimRewards {
                validator: validator.cloned(),
            },
        );
        match status {
            ReceiptStatus::Completed => "completed".into(),
            failed => crate::common::code(failed),
        }
    }

    fn native_balance(&self, d: &Did) -> u64 {
        crate::common::account(&self.state, d).balance
    }
}

/// Candidate A (key 0, 5% commission) bonds 600 to itself and key 1 delegates 400 to it: a
/// bonded total of 1,000.
fn bonded() -> (Vec<SigningKey>, Chain, Did) {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 4], with_issuance());
    let a = did(&ks[0]);
    chain.ok(&ks[0], registration(&ks[0], 100));
    chain.delegate(&ks[0], &a, 600);
    chain.delegate(&ks[1], &a, 400);
    (ks, chain, a)
}

#[test]
fn block_rewards_split_by_stake_less_commission() {
    let (ks, mut chain, a) = bonded();
    let d = did(&ks[1]);
    let (a0, d0, owed0) = (
        chain.claimable(&a),
        chain.claimable(&d),
        chain.meta(MetaKey::Rewards),
    );
    // Ten empty blocks issue 10,000: 10 tokens per bonded unit.
    let supply = chain.meta(MetaKey::Supply);
    chain.empty_blocks(10);
    assert_eq!(chain.meta(MetaKey::Supply), supply + 10 * ISSUANCE);
    assert_eq!(chain.meta(MetaKey::Rewards), owed0 + 10 * ISSUANCE);
    // The delegator: 400 x 10, less 5%. A: 600 x 10 less 5%, plus 5% of all 1,000 x 10.
    assert_eq!(chain.claimable(&d) - d0, 3_800);
    assert_eq!(chain.claimable(&a) - a0, 5_700 + 500);
    chain.check_supply();

    // A block with a fee gives the fee too: one transfer's fee of 1 goes to the stake.
    let owed = chain.meta(MetaKey::Rewards);
    let burned = chain.meta(MetaKey::Burned);
    chain.fund(&ks[2], &did(&ks[3]), 5);
    assert_eq!(chain.meta(MetaKey::Rewards), owed + ISSUANCE + 1);
    assert_eq!(chain.meta(MetaKey::Burned), burned);
    chain.check_supply();

    // A claim pays what was owed before its block into the balance, once.
    let (balance, owed, due) = (
        chain.native_balance(&d),
        chain.meta(MetaKey::Rewards),
        chain.claimable(&d),
    );
    assert_eq!(chain.claim(&ks[1], Some(&a)), "completed");
    assert_eq!(chain.native_balance(&d), balance - chain.fee + due);
    // The claim's block distributed its fee and the issuance after the claim.
    assert_eq!(
        chain.meta(MetaKey::Rewards),
        owed - due + ISSUANCE + chain.fee
    );
    assert!(chain.claimable(&d) < due);
    chain.check_supply();
}

#[test]
fn nothing_bonded_burns_fees_and_issues_nothing() {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 2], with_issuance());
    let supply = chain.meta(MetaKey::Supply);
    chain.fund(&ks[0], &did(&ks[1]), 10);
    chain.empty_blocks(5);
    assert_eq!(chain.meta(MetaKey::Supply), supply - 1);
    assert_eq!(chain.meta(MetaKey::Burned), 1);
    assert_eq!(chain.meta(MetaKey::Rewards), 0);
    // A registered candidate without stake earns nothing either.
    chain.ok(&ks[0], registration(&ks[0], 100));
    chain.empty_blocks(5);
    assert_eq!(chain.meta(MetaKey::Rewards), 0);
    assert_eq!(chain.claim(&ks[0], None), "no_rewards");
    chain.check_supply();
}

#[test]
fn claims_name_the_validator_and_undelegated_stake_stops_earning() {
    let (ks, mut chain, a) = bonded();
    let d = did(&ks[1]);
    chain.empty_blocks(3);
    // The claim must name the validator the signer delegates to.
    assert_eq!(chain.claim(&ks[1], None), "wrong_validator");
    assert_eq!(chain.claim(&ks[1], Some(&did(&ks[2]))), "wrong_validator");
    // Nothing staked, nothing credited: nothing to claim (and the claim changes nothing).
    let owed = chain.meta(MetaKey::Rewards);
    assert_eq!(chain.claim(&ks[3], None), "no_rewards");
    assert_eq!(chain.meta(MetaKey::Rewards), owed + ISSUANCE + chain.fee);

    // Undelegating everything credits what the stake earned; afterwards it earns nothing.
    let due = chain.claimable(&d);
    chain.ok(
        &ks[1],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 400,
        },
    );
    let credited = chain.delegation(&d).rewards;
    assert!(credited >= due, "{credited} < {due}");
    chain.empty_blocks(5);
    assert_eq!(chain.claimable(&d), credited);
    let balance = chain.native_balance(&d);
    assert_eq!(chain.claim(&ks[1], None), "completed");
    assert_eq!(chain.native_balance(&d), balance - chain.fee + credited);
    assert_eq!(chain.claim(&ks[1], None), "no_rewards");
    // All of the bonded stake is A's now: A earns every block's rewards.
    let before = chain.claimable(&a);
    chain.empty_blocks(2);
    assert_eq!(chain.claimable(&a) - before, 2 * ISSUANCE);
    // A delegates to itself, so its claim names itself.
    assert_eq!(chain.claim(&ks[0], Some(&a)), "completed");
    chain.check_supply();
}

/// One step of the random reward workload.
#[derive(Clone, Debug)]
enum Step {
    Delegate {
        who: usize,
        to_b: bool,
        amount: u64,
    },
    Undelegate {
        who: usize,
        amount: u64,
    },
    Claim {
        who: usize,
    },
    Blocks(u64),
    /// Evidence that candidate A (or B) equivocated in the current epoch, reported by key 5.
    Slash {
        b: bool,
    },
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..6, any::<bool>(), 1u64..500)
            .prop_map(|(who, to_b, amount)| Step::Delegate { who, to_b, amount }),
        2 => (0usize..6, 1u64..500).prop_map(|(who, amount)| Step::Undelegate { who, amount }),
        3 => (0usize..6).prop_map(|who| Step::Claim { who }),
        2 => (1u64..4).prop_map(Step::Blocks),
        1 => any::<bool>().prop_map(|b| Step::Slash { b }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Under any sequence of stake moves, claims and blocks, the supply stays accounted for,
    /// the rewards everyone can claim never exceed the unclaimed rewards distributed, and
    /// rounding keeps at most a few units per transaction.
    #[test]
    fn claimable_rewards_never_exceed_what_was_distributed(
        steps in prop::collection::vec(arb_step(), 1..40),
        commission in 0u16..=10_000,
    ) {
        let (ks, mut chain) = Chain::with_economy(&[1_000_000; 6], with_issuance());
        let (a, b) = (did(&ks[0]), did(&ks[1]));
        chain.ok(&ks[0], registration(&ks[0], 100));
        let mut reg = registration(&ks[1], 101);
        if let StakingAction::RegisterValidator(r) = &mut reg {
            r.commission_bps = commission;
        }
        chain.ok(&ks[1], reg);
        let mut txs = 2u64;
        let mut paid = 0u64;
        let mut slashes = 0u64;
        for step in steps {
            match step {
                Step::Delegate { who, to_b, amount } => {
                    let validator = if who < 2 { did(&ks[who]) } else if to_b { b.clone() } else { a.clone() };
                    chain.act(&ks[who], StakingAction::Delegate { validator, amount });
                    txs += 1;
                }
                Step::Undelegate { who, amount } => {
                    let validator = chain
                        .delegation(&did(&ks[who]))
                        .current()
                        .map_or_else(|| a.clone(), |s| s.validator.clone());
                    chain.act(&ks[who], StakingAction::Undelegate { validator, amount });
                    txs += 1;
                }
                Step::Claim { who } => {
                    let me = did(&ks[who]);
                    let validator = chain
                        .delegation(&me)
                        .current()
                        .filter(|s| s.amount > 0)
                        .map(|s| s.validator.clone());
                    let (due, balance) = (chain.claimable(&me), chain.native_balance(&me));
                    let code = chain.claim(&ks[who], validator.as_ref());
                    if due > 0 {
                        prop_assert_eq!(code, "completed");
                        prop_assert_eq!(chain.native_balance(&me), balance - chain.fee + due);
                        paid += due;
                    } else {
                        prop_assert_eq!(code, "no_rewards");
                    }
                    txs += 1;
                }
                Step::Blocks(n) => chain.empty_blocks(n),
                Step::Slash { b: slash_b } => {
                    // Signed in the set of the epoch the report runs in, if one is kept.
                    let epoch = (chain.height + 1) / economy().epoch_length;
                    let sets = chain
                        .decode(StateKey::ValidatorSets, sovra_types::staking::ValidatorSets::decode)
                        .unwrap_or_default();
                    if let Some(set) = sets.of(epoch) {
                        let keys: Vec<_> = set
                            .members
                            .iter()
                            .filter_map(|m| sovra_crypto::keys::public_key_from_bytes(&m.consensus_key).ok())
                            .collect();
                        let (signer, validator) = if slash_b { (101, &b) } else { (100, &a) };
                        if let Some(evidence) = sovra_types::evidence::Equivocation::conflicting_notarize(
                            &sovra_types::evidence::consensus_namespace(crate::common::CHAIN),
                            &keys,
                            SigningKey::from_test_seed(signer).as_commonware().clone(),
                            epoch,
                            3,
                        ) {
                            let status = chain.act(
                                &ks[5],
                                StakingAction::ReportEquivocation {
                                    validator: validator.clone(),
                                    evidence: Box::new(evidence),
                                },
                            );
                            let slashed_before = status != ReceiptStatus::Completed;
                            prop_assert!(chain.validator(validator).slash.is_some());
                            slashes += u64::from(!slashed_before);
                            txs += 1;
                        }
                    }
                }
            }
            chain.check_supply();
            let owed = chain.meta(MetaKey::Rewards);
            let due: u64 = ks.iter().map(|k| chain.claimable(&did(k))).sum();
            prop_assert!(due <= owed, "claimable {} above unclaimed {}", due, owed);
            // Each transaction settles at most a delegation and a commission (two roundings
            // each); the claimable amounts of 6 identities round once more each. (After a
            // slash, what rounding left in the slashed validator's power earns rewards nobody
            // can claim: only the bound above holds then.)
            if slashes == 0 {
                prop_assert!(owed - due <= 4 * txs + 12, "dust {} after {} txs", owed - due, txs);
            }
        }
        // Everything paid came out of the distributed rewards.
        prop_assert!(paid <= chain.meta(MetaKey::Supply));
    }
}
