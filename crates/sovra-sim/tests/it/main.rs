//! The integration tests of `sovra-sim`, in one binary: the campaign's slice of seeds, and a
//! wiped validator rejoining.

mod campaign;
mod wipe;
