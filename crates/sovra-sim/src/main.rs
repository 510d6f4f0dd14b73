//! `sovra-sim`: runs the seeded simulation campaign. `--seeds N` runs seeds `first..first + N`
//! and prints each failing seed; `--seed S` replays one seed and prints its plan and report.
//! Exits 1 if any seed failed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Parser;
use sovra_sim::plan::{FaultKind, Plan};
use sovra_sim::run::{Failure, run_seed};

/// Sovra's seeded simulation campaign: validators on a deterministic runtime and simulated
/// network under random faults; every failure is replayable from its seed.
#[derive(Parser, Debug)]
#[command(name = "sovra-sim", version)]
struct Args {
    /// Run this many seeds, from `--first-seed`.
    #[arg(long, default_value_t = 100, conflicts_with = "seed")]
    seeds: u64,
    /// The first seed of `--seeds`.
    #[arg(long, default_value_t = 0)]
    first_seed: u64,
    /// Replay one seed, printing its plan and report.
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated seconds of workload and faults per seed (then healing and checks).
    #[arg(long, default_value_t = 20)]
    duration_secs: u64,
    /// Print every seed's result, not only failures.
    #[arg(long)]
    verbose: bool,
}

fn main() {
    let args = Args::parse();
    let duration = Duration::from_secs(args.duration_secs);
    if let Some(seed) = args.seed {
        println!("{:#?}", Plan::of(seed, duration));
        match run_seed(seed, duration) {
            Ok(report) => println!("seed {seed}: ok\n{report:#?}"),
            Err(failure) => {
                println!("seed {seed}: FAILED: {failure}");
                std::process::exit(1);
            }
        }
        return;
    }
    let started = Instant::now();
    let mut failures: Vec<(u64, Failure)> = Vec::new();
    let mut injected: BTreeMap<FaultKind, u64> = BTreeMap::new();
    let (mut txs, mut blocks) = (0u64, 0u64);
    for seed in args.first_seed..args.first_seed + args.seeds {
        let run_started = Instant::now();
        match run_seed(seed, duration) {
            Ok(report) => {
                for (kind, n) in &report.injected {
                    *injected.entry(*kind).or_default() += n;
                }
                txs += report.finalized_txs;
                blocks += report.final_height;
                if args.verbose {
                    println!(
                        "seed {seed}: ok ({} validators, height {}, {} txs, {:?} faults, {} ms)",
                        report.plan.validators,
                        report.final_height,
                        report.finalized_txs,
                        report.injected.values().sum::<u64>(),
                        run_started.elapsed().as_millis()
                    );
                }
            }
            Err(failure) => {
                println!("seed {seed}: FAILED: {failure} (replay: sovra-sim --seed {seed})");
                failures.push((seed, failure));
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{} seeds in {:.1} s ({:.1} s per 1,000 seeds): {} failed; {blocks} blocks and {txs} \
         transactions finalized",
        args.seeds,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1_000.0 / args.seeds.max(1) as f64,
        failures.len()
    );
    println!("faults injected:");
    for kind in FaultKind::ALL {
        println!(
            "  {:<12} {}",
            kind.name(),
            injected.get(&kind).copied().unwrap_or(0)
        );
    }
    if !failures.is_empty() {
        println!(
            "failing seeds: {:?}",
            failures.iter().map(|(s, _)| s).collect::<Vec<_>>()
        );
        std::process::exit(1);
    }
}
