//! The Sovra node as a library: everything a validator runs, wired together.
//!
//! - [`node::run`] starts one node from its [`config::NodeConfig`]: the commonware tokio
//!   runtime, authenticated p2p to the validators named in genesis, the ledger and consensus
//!   engine (`sovra-consensus`), the HTTP API (`sovra-api`, served over [`backend::NodeBackend`]),
//!   and the background services;
//! - background services, each on a thread of its own, wired in [`services`]: replication of
//!   pinned public content ([`replication`]) and of private vault blocks ([`vault::net`]), the
//!   vault keeper that erases deleted and expired records ([`vault`]), and content garbage
//!   collection ([`content`]);
//! - the process around it: the data-directory lock ([`lock`]), graceful shutdown
//!   ([`shutdown`]), the open-file limit ([`fdlimit`]);
//! - the p2p peer sets consensus asks for at every epoch ([`peers`]);
//! - network set-up: keys, genesis and one config per validator for devnets and testnets
//!   ([`netinit`]).
//!
//! The `sovra` binary (crate `sovra-cli`) calls this crate; so do the benchmarks
//! (`sovra-bench`). Failures are [`NodeError`]s, with their causes as sources.

pub mod backend;
pub mod config;
pub mod content;
pub mod error;
pub mod fdlimit;
pub mod housekeeping;
pub mod lock;
pub mod netinit;
pub mod node;
pub mod peers;
pub mod replication;
pub mod services;
pub mod shutdown;
pub mod vault;

pub use error::{NodeError, Result};
