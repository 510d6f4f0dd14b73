//! The plan of one run, drawn from its seed before the run starts: how many validators, how good
//! the links are, how fast the workload submits, and when which fault strikes. Drawing the plan
//! from its own generator (not the runtime's) keeps it the same however the run unfolds, so a
//! seed names one plan that can be printed and replayed.
//!
//! A plan also fixes each validator's role for the whole run: up to f of them may be Byzantine
//! (see [`Attack`]), and honest validators may run with their clocks off by up to
//! [`MAX_CLOCK_SKEW_MS`] either way. A Byzantine validator counts against f: at most
//! f minus the Byzantine ones are crashed, cut off or on bad links at once.

use std::collections::BTreeMap;
use std::time::Duration;

use commonware_runtime::deterministic::{FaultConfig, PartialWriteMode, WriteConfig};
use commonware_utils::Probability;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use sovra_consensus::ledger::MAX_FUTURE_DRIFT_MS;

use crate::net::{Attack, Roles};

/// Most a validator's clock is off, either way: two validators' clocks are then at most
/// `2 * MAX_CLOCK_SKEW_MS` apart, inside the drift a block's timestamp may have over its
/// verifier's clock ([`MAX_FUTURE_DRIFT_MS`]) with a second to spare for latency.
pub const MAX_CLOCK_SKEW_MS: i64 = (MAX_FUTURE_DRIFT_MS as i64 - 2_000) / 2;

/// Most validators a plan draws (at least 4).
pub const MAX_VALIDATORS: usize = 7;

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
    /// A validator crashes and loses its disk; it restarts (with the next restart) on a blank
    /// one and fetches the chain from the others.
    Wipe,
    /// A validator runs with its clock off (a role for the whole run; counted once per
    /// validator).
    ClockSkew,
    /// A validator is Byzantine (a role for the whole run; counted once per validator).
    Byzantine,
    /// Every validator loses power at once: the runtime's storage keeps what was synced (and,
    /// per the plan's [`TornWrites`], part of what was not), and everything restarts from it.
    PowerLoss,
}

impl FaultKind {
    /// Every kind, for coverage reports.
    pub const ALL: [FaultKind; 10] = [
        FaultKind::Crash,
        FaultKind::Restart,
        FaultKind::Partition,
        FaultKind::Heal,
        FaultKind::LossyLinks,
        FaultKind::SlowLinks,
        FaultKind::Wipe,
        FaultKind::ClockSkew,
        FaultKind::Byzantine,
        FaultKind::PowerLoss,
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
            FaultKind::Wipe => "wipe",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::Byzantine => "byzantine",
            FaultKind::PowerLoss => "power-loss",
        }
    }
}

/// What a power loss leaves of the writes that were not synced: each is kept in part, as a
/// torn write on a real disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TornWrites {
    /// Chance, in percent, that a byte of an unsynced write survives.
    pub kept_percent: u64,
    /// Whether what survives of a write is a prefix of it (`true`) or any of its bytes.
    pub prefix: bool,
}

impl TornWrites {
    /// The runtime's storage fault configuration for these torn writes (no write fails while
    /// the runtime lives; only a power loss tears).
    pub fn fault_config(&self) -> FaultConfig {
        FaultConfig {
            write_rate: Some(WriteConfig {
                failure_rate: Probability::new(0, 100).expect("a share of 100"),
                retention_rate: Probability::new(self.kept_percent.min(100), 100)
                    .expect("a share of 100"),
                mode: if self.prefix {
                    PartialWriteMode::Prefix
                } else {
                    PartialWriteMode::Subset
                },
            }),
            ..FaultConfig::default()
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
    /// Most validators faulty at once (Byzantine, down or cut off), so that a quorum of honest
    /// ones always remains: f, where `validators >= 3f + 1`.
    pub max_faulty: usize,
    /// Each validator's role: Byzantine or honest, and its clock skew.
    pub roles: Roles,
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
    /// What a power loss leaves of unsynced writes (`None`: all of them).
    pub torn_writes: Option<TornWrites>,
    /// With a joining validator ([`Roles::joiner`]): when its operator registers and bonds it.
    pub join_at: Option<Duration>,
}

impl Plan {
    /// The plan of `seed`, with the workload and faults lasting `duration`.
    pub fn of(seed: u64, duration: Duration) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let validators = rng.random_range(4..=MAX_VALIDATORS);
        let max_faulty = (validators - 1) / 3;
        let latency = Duration::from_millis(rng.random_range(5..=60));
        let jitter = Duration::from_millis(rng.random_range(0..=20));
        let drop_percent = rng.random_range(5..=30);
        let submit_every = Duration::from_millis(rng.random_range(50..=400));
        let mut roles = Roles::honest(validators);
        // A third of the plans have Byzantine validators (1 to f).
        if rng.random_range(0..3u32) == 0 {
            for _ in 0..rng.random_range(1..=max_faulty) {
                let v = rng.random_range(0..validators);
                roles.byzantine[v] = Some(Attack::ALL[rng.random_range(0..Attack::ALL.len())]);
            }
        }
        // Half of the plans have honest validators with clocks off.
        if rng.random_range(0..2u32) == 0 {
            for v in 0..validators {
                if roles.byzantine[v].is_none() && rng.random_range(0..2u32) == 0 {
                    roles.clock_skew_ms[v] =
                        rng.random_range(-MAX_CLOCK_SKEW_MS..=MAX_CLOCK_SKEW_MS);
                }
            }
        }
        let byzantine = roles.byzantine.iter().flatten().count();
        let max_away = max_faulty - byzantine;
        let mut faults = Vec::new();
        // Which honest validators are away (crashed, cut off or on bad links) and why, so that
        // at most `max_away` are at once.
        let mut down: BTreeMap<usize, FaultKind> = BTreeMap::new();
        let mut at = Duration::from_millis(rng.random_range(500..=3_000));
        while at < duration {
            let healthy: Vec<usize> = (0..validators)
                .filter(|v| !down.contains_key(v) && roles.byzantine[*v].is_none())
                .collect();
            let choice = rng.random_range(0..100u32);
            if down.is_empty() && choice >= 95 {
                // Everyone healthy: now and then every validator loses power at once.
                faults.push(Fault {
                    at,
                    kind: FaultKind::PowerLoss,
                    targets: (0..validators).collect(),
                });
            } else if !down.is_empty() && (choice < 35 || down.len() >= max_away) {
                // Undo the oldest fault still in force.
                let (&v, &kind) = down.iter().next().expect("not empty");
                let undo = match kind {
                    FaultKind::Crash | FaultKind::Wipe => FaultKind::Restart,
                    _ => FaultKind::Heal,
                };
                if undo == FaultKind::Heal {
                    // Healing restores every link: everything but crashes and wipes is undone.
                    down.retain(|_, k| matches!(k, FaultKind::Crash | FaultKind::Wipe));
                } else {
                    down.remove(&v);
                }
                faults.push(Fault {
                    at,
                    kind: undo,
                    targets: vec![v],
                });
            } else if down.len() < max_away {
                let v = healthy[rng.random_range(0..healthy.len())];
                let kind = match choice % 5 {
                    0 => FaultKind::Crash,
                    1 => FaultKind::Partition,
                    2 => FaultKind::LossyLinks,
                    3 => FaultKind::SlowLinks,
                    // One wipe in three crashes.
                    _ if choice % 3 == 0 => FaultKind::Wipe,
                    _ => FaultKind::Crash,
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
        let torn_writes = Some(TornWrites {
            kept_percent: rng.random_range(0..=100),
            prefix: rng.random_range(0..2u32) == 0,
        });
        // Half of the plans of 5 or 6 validators, all honest, have the last one join by stake
        // (drawn apart, so every other part of a seed's plan stays what it was): the set runs
        // with 4 or 5 before it joins, which still tolerates the plan's f = 1.
        let mut join_rng = StdRng::seed_from_u64(seed ^ 0x6a6f_696e);
        let join_at = ((5..=6).contains(&validators)
            && roles.byzantine.iter().all(Option::is_none)
            && join_rng.random_range(0..2u32) == 0)
            .then(|| duration / 4);
        roles.joiner = join_at.is_some();
        Self {
            seed,
            validators,
            max_faulty,
            roles,
            latency,
            jitter,
            drop_percent,
            submit_every,
            duration,
            faults,
            torn_writes,
            join_at,
        }
    }

    /// How many faults of each kind the plan holds (roles counted once per validator).
    pub fn counts(&self) -> BTreeMap<FaultKind, u64> {
        let mut counts = self.role_counts();
        for f in &self.faults {
            *counts.entry(f.kind).or_default() += 1;
        }
        counts
    }

    /// Every kind at zero, but Byzantine and skewed validators counted.
    pub fn role_counts(&self) -> BTreeMap<FaultKind, u64> {
        let mut counts: BTreeMap<FaultKind, u64> = FaultKind::ALL.iter().map(|k| (*k, 0)).collect();
        counts.insert(
            FaultKind::Byzantine,
            self.roles.byzantine.iter().flatten().count() as u64,
        );
        counts.insert(
            FaultKind::ClockSkew,
            self.roles.clock_skew_ms.iter().filter(|s| **s != 0).count() as u64,
        );
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
        let mut joiners = 0;
        for seed in 0..200 {
            let plan = Plan::of(seed, d);
            assert!((4..=7).contains(&plan.validators));
            assert!(plan.validators > 3 * plan.max_faulty);
            let byzantine = plan.roles.byzantine.iter().flatten().count();
            assert!(byzantine <= plan.max_faulty);
            // A joining validator only where the set without it still tolerates f, all honest.
            if plan.roles.joiner {
                assert!(plan.validators - 1 > 3 * plan.max_faulty);
                assert_eq!(byzantine, 0);
                assert!(plan.join_at.is_some_and(|at| at < d));
                joiners += 1;
            }
            for (v, skew) in plan.roles.clock_skew_ms.iter().enumerate() {
                assert!(skew.abs() <= MAX_CLOCK_SKEW_MS);
                assert!(*skew == 0 || plan.roles.byzantine[v].is_none());
            }
            // Replaying the plan never has more than f validators faulty at once (Byzantine
            // ones included), strikes only honest ones, and restarts only crashed or wiped ones.
            let mut away = BTreeMap::new();
            for f in &plan.faults {
                assert!(f.at < d);
                assert!(
                    f.kind == FaultKind::PowerLoss || plan.roles.byzantine[f.targets[0]].is_none()
                );
                match f.kind {
                    FaultKind::Restart => assert!(matches!(
                        away.remove(&f.targets[0]),
                        Some(FaultKind::Crash | FaultKind::Wipe)
                    )),
                    FaultKind::Heal => {
                        away.retain(|_, k| matches!(k, FaultKind::Crash | FaultKind::Wipe))
                    }
                    FaultKind::PowerLoss => assert!(away.is_empty(), "seed {seed}: {plan:?}"),
                    kind => assert!(away.insert(f.targets[0], kind).is_none()),
                }
                assert!(
                    away.len() + byzantine <= plan.max_faulty,
                    "seed {seed}: {plan:?}"
                );
            }
            for (kind, n) in plan.counts() {
                *kinds.entry(kind).or_insert(0) += n;
            }
        }
        kinds.retain(|_, n| *n > 0);
        // Every kind is drawn somewhere in 200 seeds.
        assert_eq!(kinds.len(), FaultKind::ALL.len(), "{kinds:?}");
        assert!(joiners > 0, "some plans have a validator joining by stake");
    }
}
