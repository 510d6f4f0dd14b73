//! The Sovra state machine.
//!
//! Deterministic and free of I/O: it reads state through [`StateReader`] and
//! returns the changes a block makes as a [`BlockOutput`]; the caller (the
//! node's store) commits them and computes the state root. The same parent
//! state and the same transactions give the same output on every machine.
//!
//! A transaction is either *rejected* (it may not be in a block at all: bad
//! signature, wrong chain, expired, wrong nonce, fee below the minimum or
//! above the balance) or *included*. An included transaction always uses its
//! nonce and pays its fee; its actions then apply all together or not at all,
//! and its receipt says `completed` or `failed` with a reason.
//!
//! Every execution module implements one interface, [`ExecutionModule`] ([`module`]), and
//! is registered once, in [`modules`]; what a completed transaction tells the node's index is
//! a typed [`IndexEvent`] ([`events`]).

pub mod events;
pub mod executor;
pub mod module;
pub mod modules;
pub mod overlay;

pub use events::IndexEvent;
pub use executor::{BlockOutput, Executor, TxOutcome, genesis_changes, genesis_events};
pub use module::{
    ActionFailure, ActionResult, ApplyContext, BlockContext, ChainParams, ExecutionModule, KeySet,
    Parties, TxContext, fail,
};
pub use modules::identity::check_signer_key;

/// Where in the chain a block executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    /// Height of the block.
    pub height: u64,
    /// The block's timestamp (ms since the Unix epoch), from its header.
    pub timestamp_ms: u64,
}
pub use overlay::{Changes, MemoryState, Overlay, StateReader};

/// Why a transaction may not be included in a block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The signature does not verify or the key does not match the signer.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The transaction is for another chain.
    #[error("wrong chain id {got:?}, this chain is {expected:?}")]
    WrongChain {
        /// Chain id in the transaction.
        got: String,
        /// This chain's id.
        expected: String,
    },
    /// The expiry height has passed.
    #[error("expired at height {expiry}, block height is {height}")]
    Expired {
        /// Transaction's expiry height.
        expiry: u64,
        /// Height of the block.
        height: u64,
    },
    /// The nonce is not the account's next nonce.
    #[error("nonce {got} does not match the account's next nonce {expected}")]
    BadNonce {
        /// Nonce in the transaction.
        got: u64,
        /// The account's next nonce.
        expected: u64,
    },
    /// The fee is below the chain's minimum.
    #[error("fee {fee} is below the minimum {min}")]
    FeeTooLow {
        /// Offered fee.
        fee: u64,
        /// Minimum fee.
        min: u64,
    },
    /// A `did:sovra` signer that does not exist on the ledger.
    #[error("signer {0} is not a registered did:sovra")]
    UnknownSigner(String),
    /// A `did:sovra` signer that was deactivated.
    #[error("signer {0} is deactivated")]
    SignerDeactivated(String),
    /// The signer cannot pay the fee.
    #[error("balance {balance} cannot pay fee {fee}")]
    CannotPayFee {
        /// Signer's balance.
        balance: u64,
        /// Offered fee.
        fee: u64,
    },
}

impl Rejection {
    /// A stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::BadSignature(_) => "bad_signature",
            Rejection::WrongChain { .. } => "wrong_chain",
            Rejection::Expired { .. } => "expired",
            Rejection::BadNonce { .. } => "bad_nonce",
            Rejection::FeeTooLow { .. } => "fee_too_low",
            Rejection::CannotPayFee { .. } => "insufficient_fee_balance",
            Rejection::UnknownSigner(_) => "unknown_signer",
            Rejection::SignerDeactivated(_) => "signer_deactivated",
        }
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A transaction in a block may not be included.
    #[error("transaction {index} rejected: {rejection}")]
    Rejected {
        /// Position in the block.
        index: usize,
        /// Why.
        rejection: Rejection,
    },
    /// The state backend failed.
    #[error("reading state: {0}")]
    Read(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A block holds more transactions than the parameters in force allow.
    #[error("the block holds {count} transactions, more than the {max} allowed")]
    TooManyTxs {
        /// Transactions in the block.
        count: usize,
        /// The parameters' `max_block_txs`.
        max: u32,
    },
    /// A stored value does not decode: the state is corrupt.
    #[error("the stored value of {key} does not decode: {source}")]
    Corrupt {
        /// The key whose value is corrupt.
        key: Box<sovra_types::StateKey>,
        /// Why it does not decode.
        #[source]
        source: sovra_types::TypesError,
    },
    /// A rule the executor checked before no longer holds (a bug, never bad input).
    #[error("execution invariant broken: {0}")]
    Invariant(&'static str),
}
