//! The integration tests of `sovra-cas`, in one binary (the dependencies are linked once):
//! content addressing: CAR limits, error causes, export confinement, gateway fixtures, reference directories and UnixFS vectors.

mod car_limits;
mod error_causes;
mod export_confinement;
mod gateway_fixtures;
mod reference_directories;
mod unixfs_vectors;
