//! A Byzantine validator on the network: one of four validators is replaced by actors from
//! commonware's simplex mocks that hold its key and sign what an honest validator never would.
//! The three honest validators keep finalizing while they execute a workload of every kind of
//! transaction, agree on every block and state root, finalize one chain only (nothing
//! conflicting), and each of them detects the faults and blocks the Byzantine validator (and
//! no one else). The simulated network keeps a blocked peer connected, so the attack goes on for
//! the whole run.

use crate::common::{
    CHAIN, Net, Validator, assert_agree, assert_one_chain, link_keys, runner, wait_for,
    wait_height,
    workload::{self, Results},
};
use commonware_runtime::{Quota, Runner as _, deterministic};
use commonware_utils::NZU32;
use sovra_consensus::{
    byzantine::{self, Attack},
    engine::EngineConfig,
};
use std::time::Duration;

/// Every honest validator finalizes at least this height.
const HEIGHT: u64 = 16;

/// Starts the actors of `attack` in the place of validator `i`, on its vote and certificate
/// channels (its other channels are registered and left silent).
pub(crate) async fn start_byzantine(
    context: &deterministic::Context,
    net: &Net,
    i: usize,
    attack: Attack,
) {
    let channels = net.channels(i).await;
    let (_, spare) = net
        .oracle
        .control(net.pks[i].clone())
        .register(99, Quota::per_second(NZU32!(1)))
        .await
        .unwrap();
    byzantine::start(
        context,
        attack,
        &EngineConfig::new(CHAIN, "byzantine").namespace,
        &net.pks,
        net.keys[i].as_commonware().clone(),
        channels.votes,
        channels.certificates,
        spare,
    );
}

/// Validator 0 runs `attack`; validators 1-3 are honest and run the workload.
fn honest_three_against(seed: u64, attack: Attack) {
    let dir = tempfile::tempdir().unwrap();
    runner(seed).start(|context| async move {
        let net = Net::start(&context, 4, false).await;
        start_byzantine(&context, &net, 0, attack).await;
        let mut honest = Vec::new();
        for i in 1..4 {
            honest.push(net.start_validator(&context, dir.path(), i).await);
        }
        link_keys(&net.oracle, &net.pks).await;
        let hs: Vec<&Validator> = honest.iter().collect();
        let limit = Duration::from_secs(180);

        let mut ids = Vec::new();
        for phase in 0..2 {
            let h = hs[0].ledger.finalized().header.height;
            assert!(
                wait_height(&context, &hs, h.max(1) + 1, limit).await,
                "seed {seed}, {attack:?}: no progress"
            );
            let phase_ids = workload::submit(&hs, workload::phase(phase)).await;
            wait_for(&context, "the workload", limit, || {
                workload::all_included(&hs, &phase_ids)
            })
            .await;
            ids.extend(phase_ids);
        }
        assert!(
            wait_height(&context, &hs, HEIGHT, limit).await,
            "seed {seed}, {attack:?}: no progress"
        );

        // One chain, the same at every honest validator, and the state it leads to.
        let top = hs
            .iter()
            .map(|v| v.ledger.finalized().header.height)
            .max()
            .unwrap();
        assert_agree(&hs, top);
        assert_one_chain(&hs, HEIGHT).await;
        let mut results: Vec<Results> = Vec::new();
        for v in &hs {
            let r = workload::results(v, &ids).await;
            workload::assert_applied(&r);
            results.push(r);
        }
        assert!(results.iter().all(|r| r == &results[0]));

        // The faults were seen: every honest validator blocked the Byzantine one, and nobody
        // blocked an honest validator.
        let byzantine = &net.pks[0];
        let blocked = net.oracle.blocked().await.unwrap();
        for v in &hs {
            assert!(
                blocked.contains(&(v.key.clone(), byzantine.clone())),
                "seed {seed}, {attack:?}: the Byzantine validator was not blocked: {blocked:?}"
            );
        }
        assert!(
            blocked.iter().all(|(_, b)| b == byzantine),
            "seed {seed}, {attack:?}: an honest validator was blocked: {blocked:?}"
        );
    });
}

#[test]
fn equivocating_votes_and_conflicting_proposals_do_not_split_the_honest_three() {
    for seed in 0..2 {
        honest_three_against(seed, Attack::Equivocate);
    }
}

#[test]
fn nullify_and_finalize_in_one_view_does_not_split_the_honest_three() {
    honest_three_against(5, Attack::NullifyAndFinalize);
}
