//! sovra-consensus
