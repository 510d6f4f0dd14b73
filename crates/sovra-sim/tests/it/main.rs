//! The integration tests of `sovra-sim`, in one binary: the campaign's slice of seeds.

mod campaign;
