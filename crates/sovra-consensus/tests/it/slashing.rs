//! Slashing end to end: a validator bonded at genesis equivocates (commonware's conflicter
//! signs two notarize votes for every vote it sees); the honest validators' engines report the
//! evidence, anyone submits it in a transaction, every node verifies it against epoch 0's set
//! and slashes and tombstones the validator, and the next epoch's set runs without it.

use crate::byzantine_network::start_byzantine;
use crate::common::*;
use crate::epochs::{bonded_genesis, validator_sets};
use commonware_runtime::{Clock, Runner as _};
use sovra_consensus::byzantine::Attack;
use sovra_types::{Action, Did, StakingAction, StateKey, ValidatorRecord};
use std::time::Duration;

/// Blocks per epoch here: epoch 0's set stays kept (four sets) long enough to submit.
const EPOCH: u64 = 20;

#[test]
fn an_equivocating_validator_is_reported_slashed_and_left_out_of_the_next_set() {
    let dir = tempfile::tempdir().unwrap();
    runner(73).start(|context| async move {
        let mut genesis = bonded_genesis(4, 4);
        genesis.economy.as_mut().unwrap().epoch_length = EPOCH;
        let net = Net::start_with(&context, 4, genesis, false).await;
        start_byzantine(&context, &net, 0, Attack::Equivocate).await;
        let mut honest = Vec::new();
        for i in 1..4 {
            honest.push(net.start_validator(&context, dir.path(), i).await);
        }
        link_keys(&net.oracle, &net.pks).await;
        let hs: Vec<&Validator> = honest.iter().collect();
        assert!(wait_height(&context, &hs, 2, Duration::from_secs(120)).await);

        // The honest engines saw the equivocation.
        let byzantine = Did::from_public_key(&net.pks[0]);
        let mut evidence = None;
        for _ in 0..600 {
            if let Some(e) = hs.iter().find_map(|v| v.ledger.evidence().list().pop()) {
                evidence = Some(e);
                break;
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        let evidence = evidence.expect("an honest engine reported the equivocation");
        assert_eq!(evidence.epoch(), 0);

        // A development account reports it.
        let (tx, size) = signed(
            1,
            0,
            10_000,
            vec![Action::Staking(StakingAction::ReportEquivocation {
                validator: byzantine.clone(),
                evidence: Box::new(evidence),
            })],
        );
        assert!(hs[0].ledger.admit(vec![(tx, size)]).await.unwrap()[0].is_ok());
        let slashed = |v: &Validator| {
            let v = v.ledger.clone();
            let who = byzantine.clone();
            async move {
                v.state_value(&StateKey::Validator(who))
                    .await
                    .unwrap()
                    .and_then(|b| ValidatorRecord::decode(&b).ok())
                    .is_some_and(|r| r.slash.is_some())
            }
        };
        let mut done = false;
        for _ in 0..600 {
            if slashed(hs[0]).await {
                done = true;
                break;
            }
            context.sleep(Duration::from_millis(100)).await;
        }
        assert!(done, "the report is finalized and slashes the validator");

        // The set chosen after the slash is the three honest validators, who run it alone.
        let h = hs[0].ledger.finalized().header.height;
        let next_epoch = h / EPOCH + 1;
        assert!(
            wait_height(
                &context,
                &hs,
                (next_epoch + 1) * EPOCH + 2,
                Duration::from_secs(300)
            )
            .await,
            "the chain goes on without the slashed validator"
        );
        let sets = validator_sets(hs[0]).await;
        let set = sets.of(next_epoch + 1).expect("a set was chosen");
        assert_eq!(set.members.len(), 3);
        assert!(set.members.iter().all(|m| m.validator != byzantine));
        for v in &hs {
            assert!(slashed(v).await, "every node applied the slash");
        }
        assert_one_chain(&hs, (next_epoch + 1) * EPOCH + 2).await;
    });
}
