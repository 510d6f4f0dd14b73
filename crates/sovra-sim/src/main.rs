//! `sovra-sim`: runs the seeded simulation campaign. `--seeds N` runs seeds `first..first + N`
//! on `--jobs` threads (each seed is a run of its own, deterministic whichever thread runs it)
//! and prints each failing seed; `--seed S` replays one seed and prints its plan and report.
//! Exits 1 if any seed failed. A replay logs what `RUST_LOG` selects (for example
//! `RUST_LOG=warn`) to stderr.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use sovra_sim::plan::{FaultKind, Plan};
use sovra_sim::run::{Failure, Report, run_seed};
use sovra_sim::workload::TxKind;

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
    /// Seeds run at once, each on a thread of its own (default: one per CPU).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print every seed's result, not only failures.
    #[arg(long)]
    verbose: bool,
}

fn main() {
    let args = Args::parse();
    let duration = Duration::from_secs(args.duration_secs);
    if let Some(seed) = args.seed {
        // A replay logs what `RUST_LOG` asks for (tracing's filter syntax) to stderr.
        if std::env::var_os("RUST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_writer(std::io::stderr)
                .init();
        }
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
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let end = args.first_seed.saturating_add(args.seeds);
    let next = AtomicU64::new(args.first_seed);
    let (results, finished) = mpsc::channel::<(u64, Result<Report, Failure>, Duration)>();
    let mut failures: Vec<(u64, Failure)> = Vec::new();
    let mut injected: BTreeMap<FaultKind, u64> = BTreeMap::new();
    let mut admitted: BTreeMap<TxKind, u64> = BTreeMap::new();
    let mut completed: BTreeMap<TxKind, u64> = BTreeMap::new();
    let (mut txs, mut blocks) = (0u64, 0u64);
    let (mut replicas, mut lost, mut erased) = (0u64, 0u64, 0u64);
    let (mut joiners, mut joined) = (0u64, 0u64);
    let (mut equivocators, mut slashed) = (0u64, 0u64);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (next, results) = (&next, results.clone());
            scope.spawn(move || {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let run_started = Instant::now();
                    let result = run_seed(seed, duration);
                    if results.send((seed, result, run_started.elapsed())).is_err() {
                        break;
                    }
                }
            });
        }
        drop(results);
        let mut done = 0u64;
        for (seed, result, took) in finished {
            done += 1;
            if done.is_multiple_of(100) && !args.verbose {
                println!(
                    "{done} of {} seeds done in {:.0} s",
                    args.seeds,
                    started.elapsed().as_secs_f64()
                );
            }
            match result {
                Ok(report) => {
                    for (kind, n) in &report.injected {
                        *injected.entry(*kind).or_default() += n;
                    }
                    for (kind, n) in &report.admitted_by_kind {
                        *admitted.entry(*kind).or_default() += n;
                    }
                    for (kind, n) in &report.completed_by_kind {
                        *completed.entry(*kind).or_default() += n;
                    }
                    txs += report.finalized_txs;
                    blocks += report.final_height;
                    replicas += report.replicas;
                    lost += report.lost_roots;
                    erased += report.erased_blocks;
                    joiners += u64::from(report.plan.roles.joiner);
                    joined += u64::from(report.joined_epoch.is_some());
                    equivocators += report.equivocators.0;
                    slashed += report.equivocators.1;
                    if args.verbose {
                        println!(
                            "seed {seed}: ok ({} validators, height {}, {} txs, {} faults, {} ms)",
                            report.plan.validators,
                            report.final_height,
                            report.finalized_txs,
                            report.injected.values().sum::<u64>(),
                            took.as_millis()
                        );
                    }
                }
                Err(failure) => {
                    println!("seed {seed}: FAILED: {failure} (replay: sovra-sim --seed {seed})");
                    failures.push((seed, failure));
                }
            }
        }
    });
    let elapsed = started.elapsed();
    println!(
        "{} seeds on {jobs} threads in {:.1} s ({:.1} s per 1,000 seeds): {} failed; {blocks} \
         blocks and {txs} transactions finalized",
        args.seeds,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1_000.0 / args.seeds.max(1) as f64,
        failures.len()
    );
    println!(
        "data outside the ledger: {replicas} replicas on their holders, {lost} roots lost before \
         replication, {erased} erased blocks confirmed absent"
    );
    println!(
        "validators joining by stake: {joined} of {joiners} were in a validator set by the end"
    );
    println!(
        "equivocating Byzantine validators: {slashed} of {equivocators} slashed by the end on \
         reported evidence"
    );
    println!("faults injected (roles: validators with them):");
    for kind in FaultKind::ALL {
        println!(
            "  {:<16} {}",
            kind.name(),
            injected.get(&kind).copied().unwrap_or(0)
        );
    }
    println!("transactions admitted (of them completed):");
    for kind in TxKind::all() {
        println!(
            "  {:<16} {} ({})",
            kind.name(),
            admitted.get(&kind).copied().unwrap_or(0),
            completed.get(&kind).copied().unwrap_or(0)
        );
    }
    if !failures.is_empty() {
        failures.sort_by_key(|(s, _)| *s);
        println!(
            "failing seeds: {:?}",
            failures.iter().map(|(s, _)| s).collect::<Vec<_>>()
        );
        std::process::exit(1);
    }
}
