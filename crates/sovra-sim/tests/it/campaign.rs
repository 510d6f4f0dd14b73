//! A slice of the simulation campaign in the test suite: a run of consecutive seeds and every
//! seed of the regression list keep every invariant; the slice injects every kind of fault; and
//! one seed replayed gives the same report, down to the runtime's audit digest.

use std::collections::BTreeMap;
use std::time::Duration;

use sovra_sim::plan::FaultKind;
use sovra_sim::run::run_seed;

/// Seeds of the slice the suite runs (`sovra-sim --seeds` runs as many as asked). A seed costs
/// about 4 s in the suite's unoptimized build, so the slice is 20 seeds; the campaign itself runs
/// in release.
const SLICE: std::ops::Range<u64> = 0..20;

/// Simulated seconds of workload and faults per seed in the slice.
const DURATION: Duration = Duration::from_secs(4);

/// Seeds that once failed, kept so the suite always runs them (each with the duration it
/// failed at). Add a seed here when a campaign finds it, with the fix.
const REGRESSIONS: &[(u64, u64)] = &[];

#[test]
fn a_slice_of_seeds_keeps_every_invariant_and_injects_every_fault() {
    let mut injected: BTreeMap<FaultKind, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for seed in SLICE {
        match run_seed(seed, DURATION) {
            Ok(report) => {
                for (kind, n) in report.injected {
                    *injected.entry(kind).or_default() += n;
                }
                assert!(report.final_height > 0, "seed {seed}: nothing finalized");
            }
            Err(failure) => failures.push(format!("seed {seed}: {failure}")),
        }
    }
    for &(seed, secs) in REGRESSIONS {
        if let Err(failure) = run_seed(seed, Duration::from_secs(secs)) {
            failures.push(format!("regression seed {seed} ({secs} s): {failure}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    for kind in FaultKind::ALL {
        assert!(
            injected.get(&kind).copied().unwrap_or(0) > 0,
            "the slice never injected {}: {injected:?}",
            kind.name()
        );
    }
}

#[test]
fn a_seed_replays_exactly() {
    let first = run_seed(3, DURATION).expect("seed 3 passes");
    let second = run_seed(3, DURATION).expect("seed 3 passes again");
    assert_eq!(first, second);
    let other = run_seed(4, DURATION).expect("seed 4 passes");
    assert_ne!(
        first.auditor, other.auditor,
        "another seed runs differently"
    );
}
