//! The interface every execution module implements, and what it works with.
//!
//! An execution module (accounts, content, identity, registry, vault, recovery) owns its
//! actions (its enum in `sovra_types::actions`), its state keys, its rules and its index
//! events. The executor, the node's index and the ledger know modules only through
//! [`ExecutionModule`], dispatched over [`Action`](sovra_types::Action) in one place
//! ([`crate::modules`]).

use crate::{BlockEnv, Changes, ExecError, IndexEvent, Overlay, StateReader};
use sovra_types::{Did, Genesis, Params, ReceiptStatus, SignedTransaction, StateKey, TxId};
use std::collections::BTreeSet;

/// The chain parameters a block executes under: the chain id (fixed by genesis) and the
/// parameters in force at the block's height (from state; governance changes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// This chain's id.
    pub chain_id: String,
    /// The parameters in force.
    pub params: Params,
}

/// Why an action failed (the transaction is still included and charged, its receipt says
/// failed with `code`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionFailure {
    /// Machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl ActionFailure {
    /// A failure with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// What applying an action gives: `Err` when the state cannot be read (the block cannot be
/// executed), `Ok(Err(failure))` when the action fails (the transaction is included, failed),
/// `Ok(Ok(value))` when it succeeds.
pub type ActionResult<T = ()> = Result<Result<T, ActionFailure>, ExecError>;

/// The result of an action that failed with `code`.
pub fn fail<T>(code: &'static str, message: impl Into<String>) -> ActionResult<T> {
    Ok(Err(ActionFailure::new(code, message)))
}

/// The transaction around the action a module handles.
#[derive(Clone, Copy, Debug)]
pub struct TxContext<'a> {
    /// The chain's parameters.
    pub params: &'a ChainParams,
    /// The signed transaction.
    pub tx: &'a SignedTransaction,
    /// Position of the action among the transaction's actions.
    pub index: usize,
}

impl<'a> TxContext<'a> {
    /// The identity that signed (and pays for) the transaction.
    pub fn signer(&self) -> &'a Did {
        &self.tx.tx.signer
    }
}

/// The state keys a block may read or write (prefetched before execution).
pub type KeySet = BTreeSet<StateKey>;

/// The identities whose receipt chains a transaction touches, in order, without repeats: the
/// signer first, then each party its actions name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parties(Vec<Did>);

impl Parties {
    /// The parties of a transaction signed by `signer`, before its actions add theirs.
    pub fn new(signer: &Did) -> Self {
        Self(vec![signer.clone()])
    }

    /// Adds `did` unless it is already a party.
    pub fn add(&mut self, did: &Did) {
        if !self.0.contains(did) {
            self.0.push(did.clone());
        }
    }

    /// The parties, in order.
    pub fn into_vec(self) -> Vec<Did> {
        self.0
    }
}

/// What a transaction's actions leave besides state writes, kept only if it completes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Index events, in order.
    pub events: Vec<IndexEvent>,
    /// Receipt-chain entries appended after the transaction's own ones.
    pub receipts: Vec<(Did, ReceiptStatus)>,
}

/// What [`ExecutionModule::apply`] works with: the transaction, the block, the state overlay
/// and where to leave index events and extra receipts.
pub struct ApplyContext<'a, R> {
    /// The transaction and the action's position in it.
    pub tx: TxContext<'a>,
    /// The transaction's id.
    pub tx_id: TxId,
    /// The block being executed.
    pub env: BlockEnv,
    /// The state, with the writes of the block so far.
    pub state: &'a mut Overlay<R>,
    effects: &'a mut Effects,
}

impl<'a, R: StateReader> ApplyContext<'a, R> {
    /// A context for the action at `tx.index`, leaving its effects in `effects`.
    pub(crate) fn new(
        tx: TxContext<'a>,
        tx_id: TxId,
        env: BlockEnv,
        state: &'a mut Overlay<R>,
        effects: &'a mut Effects,
    ) -> Self {
        Self {
            tx,
            tx_id,
            env,
            state,
            effects,
        }
    }

    /// The identity that signed the transaction.
    pub fn signer(&self) -> &'a Did {
        self.tx.signer()
    }

    /// Records an index event; it reaches the index only if the transaction completes.
    pub fn emit(&mut self, event: impl Into<IndexEvent>) {
        self.effects.events.push(event.into());
    }

    /// Appends an entry with `status` to `did`'s receipt chain after the transaction's own
    /// entries, if the transaction completes.
    pub fn add_receipt(&mut self, did: Did, status: ReceiptStatus) {
        self.effects.receipts.push((did, status));
    }
}

/// What [`ExecutionModule::end_block`] works with: the block, its parameters, the fees its
/// transactions paid, and the state with their writes.
pub struct BlockContext<'a, R> {
    /// The chain's parameters in force for the block.
    pub params: &'a ChainParams,
    /// The block.
    pub env: BlockEnv,
    /// The fees the block's transactions paid (already charged and burned).
    pub fees: u64,
    /// The state, with the writes of the block's transactions.
    pub state: &'a mut Overlay<R>,
}

/// One execution module. Implemented by a unit type per module and registered once, in
/// [`crate::modules`]; everything the executor, the index and the ledger need of a module
/// goes through here.
pub trait ExecutionModule {
    /// The module's actions (one variant of [`Action`](sovra_types::Action)).
    type Action;

    /// The state the module's section of the genesis creates.
    fn genesis(_genesis: &Genesis, _changes: &mut Changes) {}

    /// Refuses, at mempool admission and without state, an action that would certainly fail
    /// (the signer would pay a fee for nothing).
    fn check_admission(_action: &Self::Action) -> Result<(), ActionFailure> {
        Ok(())
    }

    /// Adds every state key applying `action` may read or write, besides the signer's account,
    /// (for a `did:sovra` signer) its DID record and the accounts of the action's
    /// [`parties`](Self::parties) (the executor adds those): execution against a state that holds
    /// exactly those keys gives the same result as against the full state.
    fn keys(ctx: &TxContext<'_>, action: &Self::Action, keys: &mut KeySet);

    /// Adds the identities besides the signer whose receipt chains `action` touches.
    fn parties(ctx: &TxContext<'_>, action: &Self::Action, parties: &mut Parties);

    /// Applies `action`. On failure the executor drops every write, event and receipt of the
    /// transaction's actions.
    fn apply<R: StateReader>(ctx: &mut ApplyContext<'_, R>, action: &Self::Action) -> ActionResult;

    /// Adds every state key [`Self::end_block`] may read or write. They are fixed (every block
    /// prefetches them), so per-block work reads only records under keys known in advance.
    fn end_block_keys(_keys: &mut KeySet) {}

    /// The module's work after every block's transactions (in module order); an error makes
    /// the block unexecutable, so it must come only from unreadable state.
    fn end_block<R: StateReader>(_ctx: &mut BlockContext<'_, R>) -> Result<(), ExecError> {
        Ok(())
    }
}
