//! The integration tests of `sovra-store`, in one binary (the dependencies are linked once):
//! the stores: content and state.

mod content;
mod state;
