//! The integration tests of `sovra-credentials`, in one binary (the dependencies are linked once):
//! verifiable credentials: behaviour, interoperability with the reference JavaScript libraries, round trips, safe mode and vectors.

mod behaviour;
mod common;
mod interop;
mod roundtrip;
mod safe_mode;
mod vectors;
