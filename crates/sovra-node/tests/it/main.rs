//! The integration tests of `sovra-node`, in one binary: the replication simulation.

mod replication_sim;
