//! A validator that loses its disk (consensus journal included) comes back on a blank one,
//! fetches the chain from the others and votes again without equivocating: no peer blocks it,
//! and the network keeps every invariant. Without the rejoin guard of `sovra_consensus::rejoin`
//! the wiped validator re-proposed a view it had led, every peer blocked it, and it never
//! caught up.

use std::time::Duration;

use sovra_sim::net::Roles;
use sovra_sim::plan::{Fault, FaultKind, Plan};
use sovra_sim::run::run;

/// `n` validators; validator `v` is wiped at `wipe_ms` and restarts at `restart_ms`.
fn wipe_plan(seed: u64, n: usize, v: usize, wipe_ms: u64, restart_ms: u64) -> Plan {
    Plan {
        seed,
        validators: n,
        max_faulty: (n - 1) / 3,
        roles: Roles::honest(n),
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(16),
        drop_percent: 21,
        submit_every: Duration::from_millis(100),
        duration: Duration::from_secs(6),
        torn_writes: None,
        join_at: None,
        faults: vec![
            Fault {
                at: Duration::from_millis(wipe_ms),
                kind: FaultKind::Wipe,
                targets: vec![v],
            },
            Fault {
                at: Duration::from_millis(restart_ms),
                kind: FaultKind::Restart,
                targets: vec![v],
            },
        ],
    }
}

#[test]
fn a_wiped_validator_catches_up_and_votes_again_without_equivocating() {
    // Each validator in turn (so the wiped one has led views before), restarted soon after
    // (its old views still within the peers' memory) or later.
    let mut failures = Vec::new();
    for (seed, n, v, wipe_ms, restart_ms) in [
        (9, 6, 0, 1_900, 3_850),
        (1, 4, 0, 1_000, 1_500),
        (2, 4, 1, 1_500, 2_000),
        (3, 5, 2, 2_000, 3_000),
        (4, 4, 3, 1_200, 1_400),
        (5, 7, 1, 800, 2_500),
    ] {
        let dir = tempfile::tempdir().unwrap();
        match run(&wipe_plan(seed, n, v, wipe_ms, restart_ms), dir.path()) {
            Ok(report) => {
                assert_eq!(report.injected[&FaultKind::Wipe], 1);
                assert!(report.final_height > 5, "seed {seed}: {report:?}");
            }
            Err(f) => failures.push(format!("seed {seed}, {n} validators, {v} wiped: {f}")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
