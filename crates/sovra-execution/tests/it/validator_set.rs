//! Validator sets chosen by stake: the candidate list follows every stake change, and the last
//! block of each epoch chooses the next epoch's set, the `max_validators` strongest by their
//! power at its start; under random stake moves and blocks, every set chosen equals a choice
//! from scratch over the candidates' records.

use crate::common::{Chain, did};
use crate::economy::{economy, registration};
use proptest::prelude::*;
use sovra_crypto::SigningKey;
use sovra_types::{
    Did, GenesisEconomy, StakingAction, StateKey, ValidatorRecord,
    staking::{CandidateList, ValidatorSets},
};

/// Epochs of 10 blocks, at most two validators.
fn two_validators() -> GenesisEconomy {
    GenesisEconomy {
        max_validators: 2,
        ..economy()
    }
}

impl Chain {
    fn validator_sets(&self) -> ValidatorSets {
        self.decode(StateKey::ValidatorSets, ValidatorSets::decode)
            .unwrap_or_default()
    }

    fn candidates(&self) -> CandidateList {
        self.decode(StateKey::Candidates, CandidateList::decode)
            .unwrap_or_default()
    }

    /// The members of the set chosen for `epoch`, strongest first, with their power.
    fn set_of(&self, epoch: u64) -> Option<Vec<(Did, u64)>> {
        self.validator_sets().of(epoch).map(|s| {
            s.members
                .iter()
                .map(|m| (m.validator.clone(), m.power))
                .collect()
        })
    }

    /// Runs empty blocks up to and including `height`.
    pub(crate) fn blocks_to(&mut self, height: u64) {
        let n = height - self.height;
        self.empty_blocks(n);
    }
}

/// Candidates A, B and C (keys 0-2) registered.
fn three_candidates() -> (Vec<SigningKey>, Chain, [Did; 3]) {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 4], two_validators());
    for (i, k) in ks.iter().take(3).enumerate() {
        chain.ok(k, registration(k, 100 + i as u64));
    }
    let dids = [did(&ks[0]), did(&ks[1]), did(&ks[2])];
    (ks, chain, dids)
}

#[test]
fn the_strongest_candidates_become_the_next_epochs_set() {
    let (ks, mut chain, [a, b, c]) = three_candidates();
    // Nothing bonded: the boundary chooses nothing (the genesis validators go on).
    chain.blocks_to(9);
    assert!(chain.validator_sets().sets.is_empty());
    chain.delegate(&ks[0], &a, 300);
    chain.delegate(&ks[1], &b, 500);
    chain.delegate(&ks[2], &c, 400);
    assert_eq!(chain.candidates().entries.len(), 3);
    // The last block of epoch 1 (height 19) chooses epoch 2's set: B and C, strongest first.
    chain.blocks_to(18);
    assert_eq!(chain.set_of(2), None);
    chain.blocks_to(19);
    assert_eq!(
        chain.set_of(2),
        Some(vec![(b.clone(), 500), (c.clone(), 400)])
    );
    // In epoch 2 a delegator makes A the strongest, and C leaves: epoch 3 is A and B.
    chain.delegate(&ks[3], &a, 350);
    chain.ok(
        &ks[2],
        StakingAction::Undelegate {
            validator: c.clone(),
            amount: 400,
        },
    );
    assert!(
        chain.candidates().entries.iter().all(|m| m.validator != c),
        "a candidate without stake leaves the list"
    );
    chain.blocks_to(29);
    assert_eq!(
        chain.set_of(3),
        Some(vec![(a.clone(), 650), (b.clone(), 500)])
    );
    // The current and the next epoch's sets are kept, no more.
    assert_eq!(
        chain
            .validator_sets()
            .sets
            .iter()
            .map(|s| s.epoch)
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    // Equal power: the smaller DID first.
    chain.delegate(&ks[1], &b, 150);
    chain.blocks_to(39);
    let set = chain.set_of(4).unwrap();
    let mut tied = [a.clone(), b.clone()];
    tied.sort();
    assert_eq!(set, vec![(tied[0].clone(), 650), (tied[1].clone(), 650)]);
    chain.check_supply();
}

/// One step of the random validator-set workload.
#[derive(Clone, Debug)]
enum Step {
    Delegate { who: usize, to: usize, amount: u64 },
    Undelegate { who: usize, amount: u64 },
    Blocks(u64),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..6, 0usize..4, 1u64..300)
            .prop_map(|(who, to, amount)| Step::Delegate { who, to, amount }),
        2 => (0usize..6, 1u64..300).prop_map(|(who, amount)| Step::Undelegate { who, amount }),
        2 => (1u64..8).prop_map(Step::Blocks),
    ]
}

/// The set of `epoch` chosen from scratch: the candidates' power at its start, the strongest
/// `max` with power, by power then DID.
fn choose_from_scratch(
    chain: &Chain,
    candidates: &[Did],
    epoch: u64,
    max: usize,
) -> Vec<(Did, u64)> {
    let mut powers: Vec<(Did, u64)> = candidates
        .iter()
        .map(|v| {
            let record = chain
                .decode(StateKey::Validator(v.clone()), ValidatorRecord::decode)
                .unwrap();
            (v.clone(), record.power.at(epoch).copied().unwrap_or(0))
        })
        .filter(|(_, p)| *p > 0)
        .collect();
    powers.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    powers.truncate(max);
    powers
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Under any sequence of stake moves and blocks, each set chosen at a boundary is the
    /// choice from scratch over the candidates' power at the start of its epoch.
    #[test]
    fn every_chosen_set_is_the_strongest_at_its_epoch(
        steps in prop::collection::vec(arb_step(), 1..50),
    ) {
        let (ks, mut chain) = Chain::with_economy(&[1_000_000; 6], two_validators());
        let candidates: Vec<Did> = ks.iter().take(4).map(did).collect();
        for (i, k) in ks.iter().take(4).enumerate() {
            chain.ok(k, registration(k, 100 + i as u64));
        }
        for step in steps {
            match step {
                Step::Delegate { who, to, amount } => {
                    // A candidate bonds only to itself.
                    let to = if who < 4 { who } else { to };
                    let validator = candidates[to].clone();
                    chain.act(&ks[who], StakingAction::Delegate { validator, amount });
                }
                Step::Undelegate { who, amount } => {
                    let validator = chain
                        .delegation(&did(&ks[who]))
                        .current()
                        .map_or_else(|| candidates[0].clone(), |s| s.validator.clone());
                    chain.act(&ks[who], StakingAction::Undelegate { validator, amount });
                }
                Step::Blocks(n) => chain.empty_blocks(n),
            }
            // Once a set was chosen, every boundary chooses the next: the newest is the next
            // block's epoch's, and it is the choice from scratch (the power at its start stays
            // exact whatever moves later).
            if let Some(newest) = chain.validator_sets().sets.last() {
                prop_assert_eq!(newest.epoch, (chain.height + 1) / 10);
                let chosen: Vec<(Did, u64)> = newest
                    .members
                    .iter()
                    .map(|m| (m.validator.clone(), m.power))
                    .collect();
                prop_assert_eq!(
                    chosen,
                    choose_from_scratch(&chain, &candidates, newest.epoch, 2)
                );
            }
            // The list holds exactly the candidates with latest power, with that power.
            let listed: Vec<(Did, u64)> = chain
                .candidates()
                .entries
                .iter()
                .map(|m| (m.validator.clone(), m.power))
                .collect();
            let mut expected: Vec<(Did, u64)> = candidates
                .iter()
                .map(|v| {
                    let r = chain.decode(StateKey::Validator(v.clone()), ValidatorRecord::decode).unwrap();
                    (v.clone(), r.power.latest().copied().unwrap_or(0))
                })
                .filter(|(_, p)| *p > 0)
                .collect();
            expected.sort();
            prop_assert_eq!(listed, expected);
        }
    }
}

/// A genesis whose two validators are bonded by test keys 0 (700) and 1 (300), each account
/// holding 1,000, with [`two_validators`]' parameters and 10 tokens issued per block.
fn bonded_genesis() -> (Vec<SigningKey>, sovra_types::Genesis) {
    let ks = crate::common::keys(3);
    let validator = |i: u64, operator: &SigningKey, stake: u64| sovra_types::GenesisValidator {
        public_key: hex::encode(SigningKey::from_test_seed(900 + i).public_key().as_ref()),
        p2p_address: format!("10.0.0.{i}:9000"),
        operator: Some(did(operator)),
        stake,
    };
    let genesis = sovra_types::Genesis {
        chain_id: crate::common::CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: vec![validator(0, &ks[0], 700), validator(1, &ks[1], 300)],
        accounts: ks
            .iter()
            .map(|k| sovra_types::GenesisAccount {
                did: did(k),
                balance: 1_000,
            })
            .collect(),
        min_fee: 1,
        max_block_txs: 1000,
        registry_authority: None,
        economy: Some(GenesisEconomy {
            issuance_per_block: 10,
            ..two_validators()
        }),
    };
    (ks, genesis)
}

#[test]
fn bonded_genesis_validators_are_candidates_from_epoch_0_and_its_set() {
    use sovra_types::state::MetaKey;
    let (ks, genesis) = bonded_genesis();
    let mut chain = Chain::from_genesis(&genesis);
    let (a, b) = (did(&ks[0]), did(&ks[1]));
    // Epoch 0's set is the bonded genesis validators, strongest first.
    assert_eq!(
        chain.set_of(0),
        Some(vec![(a.clone(), 700), (b.clone(), 300)])
    );
    assert_eq!(chain.candidates().entries.len(), 2);
    assert_eq!(chain.validator(&a).power.at(0), Some(&700));
    assert_eq!(chain.validator(&a).p2p_address, "10.0.0.0:9000");
    let stake = chain.delegation(&b).stake.at(0).cloned().unwrap();
    assert_eq!((stake.validator, stake.amount), (b.clone(), 300));
    // The stake is created besides the balances: the supply is both.
    assert_eq!(chain.meta(MetaKey::Staked), 1_000);
    assert_eq!(chain.meta(MetaKey::Supply), 3_000 + 1_000);
    assert_eq!(genesis.total_supply(), Some(4_000));

    // Genesis stake earns from the first block, and behaves like any other stake: the operator
    // of the second validator unbonds everything and it leaves the next epoch's set.
    chain.ok(
        &ks[1],
        StakingAction::Undelegate {
            validator: b.clone(),
            amount: 300,
        },
    );
    chain.empty_blocks(10);
    assert_eq!(chain.set_of(1), Some(vec![(a.clone(), 700)]));
    assert!(
        chain.meta(MetaKey::Rewards) > 0,
        "bonded genesis stake earns"
    );
    // Even with no candidate left, the last set goes on (an empty one could not run consensus).
    chain.ok(
        &ks[0],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 700,
        },
    );
    chain.empty_blocks(20);
    assert!(chain.candidates().entries.is_empty());
    let newest = chain.validator_sets().sets.last().cloned().unwrap();
    assert!(!newest.members.is_empty(), "an empty set was chosen");
    assert_eq!(newest.members[0].validator, a);
}
