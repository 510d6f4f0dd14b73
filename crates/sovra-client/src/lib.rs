//! sovra-client
