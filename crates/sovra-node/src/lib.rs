//! sovra-node
