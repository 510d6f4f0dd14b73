//! The data model of the Sovra ledger and its canonical binary encoding.
//!
//! Every consensus-critical structure (transactions, blocks, receipt-chain
//! entries, state records) is encoded with `commonware-codec`: fixed-width
//! big-endian integers, length-prefixed byte strings, explicit version bytes
//! and enum tags. Decoding is bounded by [`limits`] and strict: trailing bytes,
//! unknown versions or tags, out-of-range lengths and non-canonical
//! identifiers are all rejected, so every value has exactly one encoding and
//! hashes of encodings are stable identifiers.

pub mod actions;
pub mod assets;
pub mod block;
pub mod codec;
pub mod content;
pub mod datetime;
pub mod did;
pub mod did_document;
pub mod evidence;
pub mod genesis;
pub mod governance;
pub mod identity;
pub mod limits;
pub mod params;
pub mod proof;
pub mod receipt;
pub mod recovery;
pub mod registry;
pub mod staking;
pub mod state;
pub mod tx;
pub mod vault;

pub use actions::{
    AccountsAction, Action, AssetsAction, ContentAction, GovernanceAction, IdentityAction,
    RecoveryAction, RegistryAction, StakingAction, VaultAction,
};
pub use assets::{
    AssetClass, AssetClassId, AssetKind, ClassFlags, ClassTerms, HolderBalance, LockSchedule,
    TokenLock, TokenRecord,
    bundle::{Bundle, TokenRef},
};
pub use block::{Block, BlockHeader};
pub use content::{ContentId, PinRecord};
pub use did::{Did, DidMethod};
pub use genesis::{Genesis, GenesisAccount, GenesisEconomy, GenesisValidator};
pub use governance::{
    DepositStatus, Proposal, ProposalContent, ProposalId, ProposalStatus, Tally, VoteOption,
    VoteRecord,
};
pub use identity::{
    DidDocument, DidRecord, Relationship, Relationships, Service, VerificationMethod,
};
pub use params::{ParamChange, Params, ParamsRecord};
pub use receipt::{ReceiptEntry, ReceiptStatus};
pub use recovery::RecoveryConfig;
pub use registry::{StatusListAnchor, VerifierRecord};
pub use staking::{Delegation, Stake, StakeTotal, Unbonding, UnbondingEntry, ValidatorRecord};
pub use state::{Account, StateKey};
pub use tx::{SignedTransaction, Transaction, TxId};
pub use vault::{RecordId, VaultRecord};

/// A SHA-256 digest: block ids, transaction ids, state roots, receipt hashes.
pub type Digest = commonware_cryptography::sha256::Digest;

/// The all-zero digest (no parent, empty chain).
pub const ZERO_DIGEST: Digest = commonware_cryptography::sha256::Digest([0u8; 32]);

/// Hashes the concatenation of `parts` with SHA-256.
pub fn sha256(parts: &[&[u8]]) -> Digest {
    use commonware_cryptography::Hasher;
    commonware_cryptography::Sha256::hash(parts)
}

/// Renders a digest as lowercase hex.
pub fn digest_hex(d: &Digest) -> String {
    hex::encode(d.as_ref())
}

/// Parses a digest from 64 hex characters.
pub fn parse_digest(s: &str) -> Result<Digest, TypesError> {
    let bytes = hex::decode(s.trim_start_matches("0x"))
        .map_err(|_| TypesError::Invalid(format!("not hex: {s:?}")))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| TypesError::Invalid(format!("a digest is 32 bytes: {s:?}")))?;
    Ok(commonware_cryptography::sha256::Digest(arr))
}

/// Errors produced by this crate.
#[derive(Debug, thiserror::Error)]
pub enum TypesError {
    /// Bytes are not the canonical encoding of the expected structure.
    #[error("malformed encoding: {0}")]
    Codec(#[from] commonware_codec::Error),
    /// A value is well-formed but not acceptable (bad DID, bad chain id, ...).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// A key or `did:key` is not valid.
    #[error("invalid value: {0}")]
    Key(#[from] sovra_crypto::CryptoError),
    /// A genesis file is not valid.
    #[error("invalid genesis: {0}")]
    Genesis(String),
    /// A genesis file is not the expected JSON.
    #[error("invalid genesis: {0}")]
    GenesisJson(#[source] serde_json::Error),
    /// A genesis file's chain id is not valid.
    #[error("invalid genesis: {0}")]
    GenesisChainId(#[source] Box<TypesError>),
}
