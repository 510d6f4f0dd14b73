//! sovra-store
