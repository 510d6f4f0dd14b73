//! Bounds applied when decoding untrusted bytes. They are part of the
//! protocol: a block or transaction outside them is invalid.

/// Longest accepted DID, in bytes.
pub const MAX_DID_LEN: usize = 128;
/// Longest chain id, in bytes.
pub const MAX_CHAIN_ID_LEN: usize = 32;
/// Most actions in one transaction.
pub const MAX_ACTIONS_PER_TX: usize = 16;
/// Largest encoded signed transaction, in bytes.
pub const MAX_TX_BYTES: usize = 16 * 1024;
/// Most transactions in one block.
pub const MAX_BLOCK_TXS: usize = 10_000;
/// Largest encoded block, in bytes.
pub const MAX_BLOCK_BYTES: usize = 4 * 1024 * 1024;
/// Longest failure reason recorded in a receipt.
pub const MAX_REASON_LEN: usize = 256;
/// Largest CID in binary form, in bytes.
pub const MAX_CID_BYTES: usize = 128;
/// Longest public document name, in bytes.
pub const MAX_DOC_NAME_LEN: usize = 64;
/// Highest replication factor a pin may ask for.
pub const MAX_REPLICATION: u8 = 16;
/// Replication factor of a pin that does not say.
pub const DEFAULT_REPLICATION: u8 = 3;
/// Largest declared size of one pinned DAG (1 TiB).
pub const MAX_PIN_BYTES: u64 = 1 << 40;
/// Most verification methods in one DID document.
pub const MAX_VERIFICATION_METHODS: usize = 16;
/// Most services in one DID document.
pub const MAX_SERVICES: usize = 16;
/// Most controllers of one DID.
pub const MAX_CONTROLLERS: usize = 8;
/// Most `alsoKnownAs` entries of one DID.
pub const MAX_ALSO_KNOWN_AS: usize = 8;
/// Longest fragment naming a verification method or service.
pub const MAX_FRAGMENT_LEN: usize = 64;
/// Longest service type.
pub const MAX_SERVICE_TYPE_LEN: usize = 64;
/// Longest URI (service endpoint, alsoKnownAs).
pub const MAX_URI_LEN: usize = 256;
/// Longest verifier display name.
pub const MAX_VERIFIER_NAME_LEN: usize = 128;
/// Most credential types one verifier may be registered for.
pub const MAX_CREDENTIAL_TYPES: usize = 16;
/// Longest credential type name.
pub const MAX_CREDENTIAL_TYPE_LEN: usize = 64;
/// Longest status list id.
pub const MAX_STATUS_LIST_ID_LEN: usize = 64;
