//! Consensus by epoch: validators bonded at genesis run the chain through epoch after epoch
//! (one simplex engine each), a validator cut off for epochs catches up across them, and a
//! candidate that stake puts into the set starts validating at its epoch. (Crashes, restarts
//! and wiped disks across epochs are the simulator's: its epochs are five blocks long.)

use crate::common::*;
use commonware_runtime::Runner as _;
use sovra_crypto::SigningKey;
use sovra_types::{
    Action, Did, Genesis, GenesisEconomy, StakingAction, StateKey,
    actions::staking::ValidatorRegistration,
    staking::{VALIDATOR_KEY_NAMESPACE, ValidatorSets, validator_key_message},
};
use std::time::Duration;

/// Blocks per epoch in these tests.
const EPOCH: u64 = 5;

/// The genesis of `genesis_validators` validators (keys `0..n`), each bonded by the `did:key`
/// of its consensus key, epochs of [`EPOCH`] blocks, at most `max_validators` in a set.
pub(crate) fn bonded_genesis(genesis_validators: usize, max_validators: u32) -> Genesis {
    let keys: Vec<SigningKey> = (0..genesis_validators as u64).map(validator_key).collect();
    let mut g = genesis(&keys);
    for (v, k) in g.validators.iter_mut().zip(&keys) {
        v.operator = Some(Did::from_public_key(&k.public_key()));
        v.stake = 1_000_000;
    }
    g.economy = Some(GenesisEconomy {
        epoch_length: EPOCH,
        max_validators,
        voting_period: 20,
        ..GenesisEconomy::default()
    });
    g.validate().expect("valid genesis");
    g
}

/// Starts validators `0..n` of `net`, all linked.
async fn start_all(
    context: &commonware_runtime::deterministic::Context,
    net: &Net,
    path: &std::path::Path,
    n: usize,
) -> Vec<Validator> {
    let mut vs = Vec::new();
    for i in 0..n {
        vs.push(net.start_validator(context, path, i).await);
    }
    let all: Vec<&Validator> = vs.iter().collect();
    link_all(&net.oracle, &all).await;
    vs
}

pub(crate) async fn validator_sets(v: &Validator) -> ValidatorSets {
    let bytes = v
        .ledger
        .state_value(&StateKey::ValidatorSets)
        .await
        .unwrap()
        .expect("bonded genesis writes the sets");
    ValidatorSets::decode(&bytes).unwrap()
}

#[test]
fn the_chain_runs_through_epochs_and_a_validator_cut_off_for_epochs_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    runner(71).start(|context| async move {
        let net = Net::start_with(&context, 4, bonded_genesis(4, 4), true).await;
        let vs = start_all(&context, &net, &path, 4).await;
        let all: Vec<&Validator> = vs.iter().collect();
        // Six epochs, each run by its own engine with the set chosen at the previous boundary.
        assert!(wait_height(&context, &all, 6 * EPOCH + 2, Duration::from_secs(240)).await);
        assert_one_chain(&all, 6 * EPOCH + 2).await;
        let sets = validator_sets(&vs[0]).await;
        let newest = sets.sets.last().unwrap();
        assert!(newest.epoch >= 6, "a set is chosen at every boundary");
        assert_eq!(newest.members.len(), 4);

        // Validator 3 is cut off for three epochs, then linked again.
        cut_off(&net, &vs, 3).await;
        let live: Vec<&Validator> = vs.iter().take(3).collect();
        let behind = vs[3].ledger.finalized().header.height;
        assert!(
            wait_height(
                &context,
                &live,
                behind + 3 * EPOCH,
                Duration::from_secs(240)
            )
            .await
        );
        link_all(&net.oracle, &all).await;
        let target = min_height(&live) + EPOCH;
        assert!(
            wait_height(&context, &all, target, Duration::from_secs(240)).await,
            "a validator three epochs behind catches up"
        );

        assert_one_chain(&all, target).await;
    });
}

#[test]
fn a_candidate_stake_puts_in_the_set_validates_from_its_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    runner(72).start(|context| async move {
        // Five identities on the network, four validators in genesis.
        let net = Net::start_with(&context, 5, bonded_genesis(4, 5), true).await;
        let vs = start_all(&context, &net, &path, 5).await;
        let all: Vec<&Validator> = vs.iter().collect();
        assert!(wait_height(&context, &all, 2, Duration::from_secs(120)).await);

        // Development key 0 registers validator key 4 as its candidate and bonds to it.
        let consensus = validator_key(4);
        let operator = dev_did(0);
        let registration = ValidatorRegistration {
            consensus_key: consensus.public_key(),
            p2p_address: "127.0.0.1:1".into(),
            commission_bps: 0,
            proof: consensus.sign(
                VALIDATOR_KEY_NAMESPACE,
                &validator_key_message(CHAIN, &operator),
            ),
        };
        let (tx, size) = signed(
            0,
            0,
            1_000,
            vec![
                Action::Staking(StakingAction::RegisterValidator(Box::new(registration))),
                Action::Staking(StakingAction::Delegate {
                    validator: operator.clone(),
                    amount: 500_000,
                }),
            ],
        );
        assert!(vs[0].ledger.admit(vec![(tx, size)]).await.unwrap()[0].is_ok());

        // The set of some epoch holds five members.
        let mut joined = None;
        for _ in 0..400 {
            let sets = validator_sets(&vs[0]).await;
            if let Some(set) = sets.sets.iter().find(|s| s.members.len() == 5) {
                joined = Some(set.epoch);
                break;
            }
            commonware_runtime::Clock::sleep(&context, Duration::from_millis(100)).await;
        }
        let epoch = joined.expect("the candidate enters a set");
        let start = epoch * EPOCH;
        assert!(wait_height(&context, &all, start + 2, Duration::from_secs(240)).await);

        // With five validators a quorum is four: without validator 0, the chain moves on only
        // if the new one votes.
        cut_off(&net, &vs, 0).await;
        let rest: Vec<&Validator> = vs.iter().skip(1).collect();
        let h = min_height(&rest);
        assert!(
            wait_height(&context, &rest, h + 2 * EPOCH, Duration::from_secs(240)).await,
            "four of five, the new validator among them, finalize"
        );
        assert_one_chain(&rest, h + 2 * EPOCH).await;
    });
}

/// Removes the links between validator `i` and every other of `vs`, both ways.
async fn cut_off(net: &Net, vs: &[Validator], i: usize) {
    for other in (0..vs.len()).filter(|o| *o != i) {
        let _ = net
            .oracle
            .remove_link(vs[i].key.clone(), vs[other].key.clone())
            .await;
        let _ = net
            .oracle
            .remove_link(vs[other].key.clone(), vs[i].key.clone())
            .await;
    }
}

#[test]
fn a_validator_that_unbonds_leaves_the_set_and_the_others_run_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    runner(74).start(|context| async move {
        let net = Net::start_with(&context, 5, bonded_genesis(5, 5), true).await;
        let vs = start_all(&context, &net, &path, 5).await;
        let all: Vec<&Validator> = vs.iter().collect();
        assert!(wait_height(&context, &all, 2, Duration::from_secs(120)).await);

        // Validator 4's operator (the did:key of its consensus key) gets fees from development
        // key 0, then unbonds everything.
        let key = validator_key(4);
        let operator = Did::from_public_key(&key.public_key());
        let (tx, size) = signed(
            0,
            0,
            10_000,
            vec![Action::Accounts(sovra_types::AccountsAction::Transfer {
                to: operator.clone(),
                amount: 100,
            })],
        );
        assert!(vs[0].ledger.admit(vec![(tx, size)]).await.unwrap()[0].is_ok());
        let mut funded = false;
        for _ in 0..400 {
            if vs[0].ledger.account(&operator).await.unwrap().balance >= 100 {
                funded = true;
                break;
            }
            commonware_runtime::Clock::sleep(&context, Duration::from_millis(100)).await;
        }
        assert!(funded, "the transfer is finalized");
        let unbond = sovra_types::Transaction {
            chain_id: CHAIN.into(),
            signer: operator.clone(),
            nonce: 0,
            fee: 1,
            expiry_height: 10_000,
            actions: vec![Action::Staking(StakingAction::Undelegate {
                validator: operator.clone(),
                amount: 1_000_000,
            })],
        }
        .sign(&key);
        assert!(vs[1].ledger.admit(vec![(unbond, 300)]).await.unwrap()[0].is_ok());

        // A set of four without it is chosen.
        let mut left = None;
        for _ in 0..400 {
            let sets = validator_sets(&vs[0]).await;
            if let Some(set) = sets
                .sets
                .iter()
                .find(|s| s.members.len() == 4 && s.members.iter().all(|m| m.validator != operator))
            {
                left = Some(set.epoch);
                break;
            }
            commonware_runtime::Clock::sleep(&context, Duration::from_millis(100)).await;
        }
        let epoch = left.expect("the unbonded validator leaves the set");
        assert!(wait_height(&context, &all, epoch * EPOCH + 2, Duration::from_secs(240)).await);

        // With five validators a quorum is four; with four, three. Validator 4 and validator 0
        // cut off: the other three finalize only if validator 4 no longer counts.
        cut_off(&net, &vs, 4).await;
        cut_off(&net, &vs, 0).await;
        let rest: Vec<&Validator> = vs[1..4].iter().collect();
        let h = min_height(&rest);
        assert!(
            wait_height(&context, &rest, h + 2 * EPOCH, Duration::from_secs(240)).await,
            "three of the four in the set finalize without the validator that left"
        );
        assert_one_chain(&rest, h + 2 * EPOCH).await;
    });
}
