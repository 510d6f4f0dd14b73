//! Sovra's benchmarks: throughput and latency of transfers, public content, identity and
//! credentials, and the private vault, each beside a baseline measured in the same run (raw
//! Ed25519 batch verification, `sha256sum`, raw XChaCha20-Poly1305).
//!
//! They measure real nodes: separate `sovra node` processes on loopback, started from the
//! running executable, so they run inside the `sovra` binary (`sovra bench transfers|content|
//! identity|vault`, see docs/benchmarks.md). Each benchmark's options are a clap [`clap::Args`]
//! struct that the CLI embeds.

pub mod content;
pub mod epochs;
pub mod error;
pub mod identity;
mod net;
pub mod transfers;

pub use error::{BenchError, Result};
pub mod vault;

/// The value at fraction `p` (0 to 1) of `sorted`, NaN when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}
