//! sovra-api
