//! Integration tests of the `sovra` binary: real `sovra node` processes on loopback driven
//! through the CLI, the HTTP API and the client SDK. One test binary (reth's `tests/it`
//! layout); each module is one area.

mod cli;
mod common;
mod content_replication;
mod content_retrieval;
mod credentials;
mod did_resolution;
mod epochs;
mod http_hardening;
mod lifecycle;
mod loopback;
mod pause;
mod readme;
mod vault;
