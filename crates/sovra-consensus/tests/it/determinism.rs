//! Same seed, same result: four validators on the deterministic runtime and simulated network
//! run a workload of every kind of transaction (transfers, a `did:sovra` created and paid, a pin
//! and a public document, a vault record and its next version, a failed transfer). Run twice
//! with one seed they finalize the same blocks (ids, so the same state roots, transactions and
//! timestamps), each height at the same simulated time, with the same results, and the
//! runtime's auditor (a digest of every task, timer, message and random draw) ends in the same
//! state: alto's `test_good_links` pattern. The same holds across an unclean stop of the whole
//! network and a restart from storage. Another seed times everything differently (the auditor
//! differs) but applies the workload the same way.

use crate::common::{
    Validator, assert_agree, assert_one_chain, block_at, link_all, runner, start_network,
    workload::{self, Results},
};
use commonware_runtime::{Clock, Runner as _, deterministic};
use sovra_types::{Digest, TxId};
use std::{collections::BTreeMap, path::Path, time::Duration};

/// Every validator has finalized at least this height before a run ends.
const HEIGHT: u64 = 16;

/// What one run produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Per validator, its finalized chain: block id and state root by height.
    chains: Vec<Vec<(Digest, Digest)>>,
    /// Per validator, the simulated time (ms) at which each height was first seen committed
    /// (sampled every 10 ms).
    timeline: Vec<BTreeMap<u64, u128>>,
    /// Per validator, what the workload left in its state.
    results: Vec<Results>,
    /// The runtime auditor's digest at the end of the run.
    auditor: String,
}

/// Samples the validators' finalized heights while waiting.
#[derive(Default)]
struct Timeline(Vec<BTreeMap<u64, u128>>);

impl Timeline {
    fn sample(&mut self, context: &deterministic::Context, vs: &[&Validator]) {
        let now = context
            .current()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        self.0.resize_with(vs.len(), BTreeMap::new);
        for (seen, v) in self.0.iter_mut().zip(vs) {
            seen.entry(v.ledger.finalized().header.height)
                .or_insert(now);
        }
    }

    /// Samples every 10 ms until `done`; panics after 3 simulated minutes.
    async fn until(
        &mut self,
        context: &deterministic::Context,
        vs: &[&Validator],
        what: &str,
        done: impl Fn(&[&Validator]) -> bool,
    ) {
        let start = context.current();
        loop {
            self.sample(context, vs);
            if done(vs) {
                return;
            }
            let waited = context.current().duration_since(start).unwrap();
            assert!(
                waited < Duration::from_secs(180),
                "timed out waiting for {what}"
            );
            context.sleep(Duration::from_millis(10)).await;
        }
    }
}

fn at_least(h: u64) -> impl Fn(&[&Validator]) -> bool {
    move |vs| vs.iter().all(|v| v.ledger.finalized().header.height >= h)
}

/// Submits one phase of the workload once every validator is past `h`, and waits until every
/// validator has finalized all of it.
async fn run_phase(
    context: &deterministic::Context,
    vs: &[&Validator],
    timeline: &mut Timeline,
    phase: usize,
    h: u64,
) -> Vec<TxId> {
    timeline.until(context, vs, "progress", at_least(h)).await;
    let ids = workload::submit(vs, workload::phase(phase)).await;
    timeline
        .until(context, vs, "the workload", |vs| {
            workload::all_included(vs, &ids)
        })
        .await;
    ids
}

/// Waits for [`HEIGHT`], checks the validators agree, and reads what the run produced.
async fn finish(
    context: &deterministic::Context,
    vs: &[&Validator],
    mut timeline: Timeline,
    ids: &[TxId],
) -> Outcome {
    timeline
        .until(context, vs, "the last height", at_least(HEIGHT))
        .await;
    let top = vs
        .iter()
        .map(|v| v.ledger.finalized().header.height)
        .max()
        .unwrap();
    assert_agree(vs, top);
    assert_one_chain(vs, HEIGHT).await;
    let mut chains = Vec::new();
    let mut results = Vec::new();
    for v in vs {
        let chain = (0..=v.ledger.finalized().header.height)
            .map(|h| {
                let b = block_at(v, h).unwrap();
                (b.id(), b.header.state_root)
            })
            .collect();
        chains.push(chain);
        let r = workload::results(v, ids).await;
        workload::assert_applied(&r);
        results.push(r);
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0], "validators' states differ");
    }
    Outcome {
        chains,
        timeline: timeline.0,
        results,
        auditor: context.auditor().state(),
    }
}

/// Four validators run the whole workload with `seed`.
fn run(seed: u64, dir: &Path) -> Outcome {
    let dir = dir.to_path_buf();
    runner(seed).start(|context| async move {
        let (oracle, vs) = start_network(&context, &dir, 4).await;
        let all: Vec<&Validator> = vs.iter().collect();
        link_all(&oracle, &all).await;
        let mut timeline = Timeline::default();
        let mut ids = run_phase(&context, &all, &mut timeline, 0, 2).await;
        let h = all[0].ledger.finalized().header.height;
        ids.extend(run_phase(&context, &all, &mut timeline, 1, h + 1).await);
        finish(&context, &all, timeline, &ids).await
    })
}

/// Like [`run`], but the whole network stops uncleanly (a runtime checkpoint keeps only what
/// reached storage) after the first phase, and restarts from storage for the second.
fn run_with_restart(seed: u64, dir: &Path) -> Outcome {
    let path = dir.to_path_buf();
    let ((first, timeline), checkpoint) = runner(seed).start_and_recover(|context| {
        let path = path.clone();
        async move {
            let (oracle, vs) = start_network(&context, &path, 4).await;
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            let mut timeline = Timeline::default();
            let ids = run_phase(&context, &all, &mut timeline, 0, 2).await;
            let h = all[0].ledger.finalized().header.height;
            timeline
                .until(&context, &all, "progress", at_least(h + 2))
                .await;
            (ids, timeline)
        }
    });
    deterministic::Runner::from(checkpoint).start(|context| async move {
        let (oracle, vs) = start_network(&context, &path, 4).await;
        let all: Vec<&Validator> = vs.iter().collect();
        link_all(&oracle, &all).await;
        let mut timeline = timeline;
        let h = all
            .iter()
            .map(|v| v.ledger.finalized().header.height)
            .max()
            .unwrap();
        let mut ids = first;
        ids.extend(run_phase(&context, &all, &mut timeline, 1, h + 2).await);
        finish(&context, &all, timeline, &ids).await
    })
}

/// Two runs with one seed are the same; on a difference, names the first one (the outcomes are
/// long).
fn assert_same(a: &Outcome, b: &Outcome, what: &str) {
    for (v, (x, y)) in a.chains.iter().zip(&b.chains).enumerate() {
        if let Some(h) = (0..x.len().max(y.len())).find(|&h| x.get(h) != y.get(h)) {
            panic!(
                "{what}: validator {v} finalized different blocks at height {h}: {:?} vs {:?}",
                x.get(h),
                y.get(h)
            );
        }
    }
    assert_eq!(a.chains.len(), b.chains.len(), "{what}: validators");
    assert_eq!(
        a.timeline, b.timeline,
        "{what}: heights finalized at other times"
    );
    assert_eq!(a.results, b.results, "{what}: other results");
    assert_eq!(a.auditor, b.auditor, "{what}: the runtime's audit differs");
    assert_eq!(a, b, "{what}");
}

#[test]
fn one_seed_gives_the_same_blocks_roots_timing_and_audit() {
    let mut outcomes = Vec::new();
    for seed in [1u64, 2] {
        let first = run(seed, tempfile::tempdir().unwrap().path());
        let second = run(seed, tempfile::tempdir().unwrap().path());
        assert_same(&first, &second, &format!("seed {seed}"));
        outcomes.push(first);
    }
    // Another seed: other timing, the same effects.
    assert_ne!(
        outcomes[0].auditor, outcomes[1].auditor,
        "the seed does not change the run: the audit is not looking"
    );
    assert_eq!(outcomes[0].results, outcomes[1].results);
}

#[test]
fn one_seed_gives_the_same_result_across_an_unclean_restart() {
    let seed = 7;
    let first = run_with_restart(seed, tempfile::tempdir().unwrap().path());
    let second = run_with_restart(seed, tempfile::tempdir().unwrap().path());
    assert_same(&first, &second, "with a restart");
    // The restart changes when things happen, not what the workload does.
    let straight = run(seed, tempfile::tempdir().unwrap().path());
    assert_eq!(first.results, straight.results);
}
