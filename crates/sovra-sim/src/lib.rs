//! Sovra's seeded simulation campaign (VOPR-style): for each seed, a network of 4 to 7
//! validators runs the real ledger and consensus engine on commonware's deterministic runtime and
//! simulated p2p network, under a random workload of every kind of transaction and a random
//! schedule of faults (crashes and restarts, wiped disks, partitions and healing, message drops
//! and delays, clock skew, Byzantine validators from commonware's mocks), and the invariants of
//! the chain are checked as it goes and when it ends. A seed fully determines a run: the plan is drawn from it before the
//! run starts, and the runtime replays every task, timer and message from it, so a failing seed
//! replays exactly.
//!
//! - [`plan`]: the network size, link quality, workload rate and fault schedule of a seed;
//! - [`net`]: the simulated validators, started, crashed, wiped, restarted and linked, and the
//!   Byzantine ones;
//! - [`workload`]: the transactions a run submits;
//! - [`invariants`]: what must hold of the chain after every run;
//! - [`replicas`]: what must hold of the content and vault stores after every run;
//! - [`run`]: one seed from start to verdict, and the coverage of what it injected.

pub mod invariants;
pub mod net;
pub mod plan;
pub mod replicas;
pub mod run;
pub mod workload;

/// Errors of the simulator: a run that could not be carried out (not an invariant violation,
/// which is a [`run::Failure`]).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A validator's ledger or engine failed to start.
    #[error("validator {validator}: {source}")]
    Consensus {
        /// The validator.
        validator: usize,
        /// Why.
        #[source]
        source: sovra_consensus::ConsensusError,
    },
    /// A validator's index failed.
    #[error("validator {validator}: index: {source}")]
    Store {
        /// The validator.
        validator: usize,
        /// Why.
        #[source]
        source: sovra_store::StoreError,
    },
    /// The simulated network refused a registration or link.
    #[error("simulated network: {0}")]
    Network(#[from] commonware_p2p::simulated::Error),
    /// A temporary directory for the validators' indexes could not be made.
    #[error("temporary directory: {0}")]
    TempDir(#[source] std::io::Error),
}
