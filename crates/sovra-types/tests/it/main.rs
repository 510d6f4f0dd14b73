//! The integration tests of `sovra-types`, in one binary (the dependencies are linked once):
//! the canonical encodings: codec properties and golden vectors.

mod codec;
mod examples;
mod vectors;
