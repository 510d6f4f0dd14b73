//! `sovra bench transfers|content|identity|vault`: the benchmarks of crate `sovra-bench`, each
//! beside a baseline measured in the same run.

use anyhow::Result;
use clap::{Args, Subcommand};

/// `sovra bench` options.
#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Benchmark to run.
    #[command(subcommand)]
    command: BenchCommand,
}

/// Bench commands.
#[derive(Subcommand, Debug)]
pub(crate) enum BenchCommand {
    /// Pre-signed transfers in batches against a 1-validator and a 4-validator network.
    Transfers(sovra_bench::transfers::BenchArgs),
    /// UnixFS import beside sha256sum, upload and gateway throughput, small-file latency.
    Content(sovra_bench::content::ContentBenchArgs),
    /// Credential proof verification (both suites, beside raw Ed25519), VC-API verification and
    /// DID resolution over HTTP, with latency percentiles.
    Identity(sovra_bench::identity::IdentityBenchArgs),
    /// Vault encryption and decryption beside raw XChaCha20-Poly1305, large-record put/get
    /// throughput and small-record latency against a node.
    Vault(sovra_bench::vault::VaultBenchArgs),
}

/// Runs a benchmark.
pub(crate) fn run(BenchArgs { command }: BenchArgs) -> Result<()> {
    match command {
        BenchCommand::Transfers(args) => sovra_bench::transfers::run(args)?,
        BenchCommand::Content(args) => sovra_bench::content::run(args)?,
        BenchCommand::Identity(args) => sovra_bench::identity::run(args)?,
        BenchCommand::Vault(args) => sovra_bench::vault::run(args)?,
    }
    Ok(())
}
