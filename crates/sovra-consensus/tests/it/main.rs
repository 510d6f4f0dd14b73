//! The integration tests of `sovra-consensus`, in one binary (the dependencies are linked once):
//! the consensus engine and ledger on simulated networks: simulations, determinism, Byzantine actors.

mod byzantine;
mod byzantine_network;
mod common;
mod determinism;
mod epochs;
mod simulation;
mod slashing;
