//! The plan of one run, drawn from its seed before the run starts: how many validators, how good
//! the links are, how fast the workload submits, and when which fault strikes. Drawing the plan
//! from its own generator (not the runtime's) keeps it the same however the run unfolds, so a
//! seed names one plan that can be printed and replayed.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

/// The kinds of fault a plan can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// A validator stops where it is (its tasks end; only what its stores hold remains).
    Crash,
    /// A crashed validator starts again from its stores.
    Restart,
    /// The validators split into two groups that cannot reach each other.
    Partition,
    /// Every link is restored.
    Heal,
    /// One validator's links lose messages (each with this plan's drop rate).
    LossyLinks,
    /// One validator's links slow down (hundreds of milliseconds, with jitter).
    SlowLinks,
}

impl FaultKind {
    /// Every kind, for coverage reports.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Crash,
        FaultKind::Restart,
        FaultKind::Partition,
        FaultKind::Heal,
        FaultKind::LossyLinks,
        FaultKind::SlowLinks,
    ];

    /// The kind's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Crash => "crash",
            FaultKind::Restart => "restart",
            FaultKind::Partition => "partition",
            FaultKind::Heal => "heal",
            FaultKind::LossyLinks => "lossy-links",
            FaultKind::SlowLinks => "slow-links",
        }
    }
}

/// One fault at a time into the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// When, from the start of the workload.
    pub at: Duration,
    /// What.
    pub kind: FaultKind,
    /// The validator it strikes (crash, restart, lossy and slow links); for a partition, the
    /// validators on the smaller side.
    pub targets: Vec<usize>,
}

/// What a seed runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The seed.
    pub seed: u64,
    /// Validators (4 to 7).
    pub validators: usize,
    /// Most validators down or cut off at once, so that a quorum always remains: f, where
    /// `validators >= 3f + 1`.
    pub max_faulty: usize,
    /// Mean latency of a healthy link.
    pub latency: Duration,
    /// Jitter of a healthy link.
    pub jitter: Duration,
    /// Share of messages a lossy link drops, in percent.
    pub drop_percent: u64,
    /// Pause between two submissions of the workload.
    pub submit_every: Duration,
    /// How long the workload and the faults go on.
    pub duration: Duration,
    /// The faults, in time order. Every fault that takes a validator away is undone within the
    /// plan or by the final healing.
    pub faults: Vec<Fault>,
}

impl Plan {
    /// The plan of `seed`, with the workload and faults lasting `duration`.
    pub fn of(seed: u64, duration: Duration) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let validators = rng.random_range(4..=7usize);
        let max_faulty = (validators - 1) / 3;
        let latency = Duration::from_millis(rng.random_range(5..=60));
        let jitter = Duration::from_millis(rng.random_range(0..=20));
        let drop_percent = rng.random_range(5..=30);
        let submit_every = Duration::from_millis(rng.random_range(50..=400));
        let mut faults = Vec::new();
        // Who is away (crashed, cut off or on bad links) and since when, so that at most
        // `max_faulty` are at once.
        let mut down: BTreeMap<usize, FaultKind> = BTreeMap::new();
        let mut at = Duration::from_millis(rng.random_range(500..=3_000));
        while at < duration {
            let healthy: Vec<usize> = (0..validators).filter(|v| !down.contains_key(v)).collect();
            let choice = rng.random_range(0..100u32);
            if !down.is_empty() && (choice < 35 || down.len() >= max_faulty) {
                // Undo the oldest fault still in force.
                let (&v, &kind) = down.iter().next().expect("not empty");
                let undo = match kind {
                    FaultKind::Crash => FaultKind::Restart,
                    _ => FaultKind::Heal,
                };
                if undo == FaultKind::Heal {
                    // Healing restores every link: everything but crashes is undone.
                    down.retain(|_, k| *k == FaultKind::Crash);
                } else {
                    down.remove(&v);
                }
                faults.push(Fault {
                    at,
                    kind: undo,
                    targets: vec![v],
                });
            } else if down.len() < max_faulty {
                let v = healthy[rng.random_range(0..healthy.len())];
                let kind = match choice % 4 {
                    0 => FaultKind::Crash,
                    1 => FaultKind::Partition,
                    2 => FaultKind::LossyLinks,
                    _ => FaultKind::SlowLinks,
                };
                down.insert(v, kind);
                faults.push(Fault {
                    at,
                    kind,
                    targets: vec![v],
                });
            }
            at += Duration::from_millis(rng.random_range(500..=4_000));
        }
        Self {
            seed,
            validators,
            max_faulty,
            latency,
            jitter,
            drop_percent,
            submit_every,
            duration,
            faults,
        }
    }

    /// How many faults of each kind the plan holds.
    pub fn counts(&self) -> BTreeMap<FaultKind, u64> {
        let mut counts: BTreeMap<FaultKind, u64> = FaultKind::ALL.iter().map(|k| (*k, 0)).collect();
        for f in &self.faults {
            *counts.entry(f.kind).or_default() += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_names_one_plan_and_plans_keep_a_quorum() {
        let d = Duration::from_secs(30);
        assert_eq!(Plan::of(7, d), Plan::of(7, d));
        assert_ne!(Plan::of(7, d), Plan::of(8, d));
        let mut kinds = BTreeMap::new();
        for seed in 0..200 {
            let plan = Plan::of(seed, d);
            assert!((4..=7).contains(&plan.validators));
            assert!(plan.validators > 3 * plan.max_faulty);
            // Replaying the plan never has more than f validators away at once, and restarts
            // only crashed ones.
            let mut away = BTreeMap::new();
            for f in &plan.faults {
                assert!(f.at < d);
                match f.kind {
                    FaultKind::Restart => {
                        assert_eq!(away.remove(&f.targets[0]), Some(FaultKind::Crash))
                    }
                    FaultKind::Heal => away.retain(|_, k| *k == FaultKind::Crash),
                    kind => assert!(away.insert(f.targets[0], kind).is_none()),
                }
                assert!(away.len() <= plan.max_faulty, "seed {seed}: {plan:?}");
                *kinds.entry(f.kind).or_insert(0) += 1;
            }
        }
        // Every kind is drawn somewhere in 200 seeds.
        assert_eq!(kinds.len(), FaultKind::ALL.len(), "{kinds:?}");
    }
}
