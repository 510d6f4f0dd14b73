//! Applies blocks: checks every transaction, charges fees, applies actions
//! all-or-nothing and extends the receipt chain of every touched identity.

use crate::{
    ActionFailure, ApplyContext, BlockContext, BlockEnv, ChainParams, Changes, ExecError,
    IndexEvent, KeySet, MemoryState, Overlay, Parties, Rejection, StateReader, TxContext,
    module::Effects,
    modules::{self, accounts, identity, receipts},
};
use commonware_codec::Encode;
use sovra_crypto::BatchItem;
use sovra_types::{
    Account, Did, DidRecord, Genesis, Params, ReceiptEntry, ReceiptStatus, SignedTransaction,
    StateKey, TxId, state::MetaKey, tx::TX_NAMESPACE,
};

/// What happened to one included transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// The transaction id.
    pub tx_id: TxId,
    /// Position in the block.
    pub index: u32,
    /// Completed or failed (with reason).
    pub status: ReceiptStatus,
    /// Fee charged.
    pub fee: u64,
    /// The receipt-chain entries appended, per touched identity.
    pub entries: Vec<(Did, ReceiptEntry)>,
    /// What the transaction tells the node's index (nothing when it failed).
    pub events: Vec<IndexEvent>,
}

/// The effect of a block on state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockOutput {
    /// State writes and deletes.
    pub changes: Changes,
    /// One outcome per transaction, in block order.
    pub outcomes: Vec<TxOutcome>,
}

impl BlockOutput {
    /// The index events of the block's transactions, in block order.
    pub fn events(&self) -> impl Iterator<Item = &IndexEvent> {
        self.outcomes.iter().flat_map(|o| o.events.iter())
    }
}

/// The state machine of one chain: its id and genesis parameters (blocks execute under the
/// parameters in their parent's state, [`Executor::params_at`]).
#[derive(Clone, Debug)]
pub struct Executor {
    chain_id: String,
    genesis_params: Params,
}

/// The state a genesis document creates: every module's genesis section.
pub fn genesis_changes(genesis: &Genesis) -> Changes {
    let mut changes = Changes::new();
    modules::genesis(genesis, &mut changes);
    changes
}

/// The index events of the genesis state (the bonded genesis validators' registrations).
pub fn genesis_events(genesis: &Genesis) -> Vec<crate::IndexEvent> {
    modules::staking::genesis_events(genesis)
        .into_iter()
        .map(Into::into)
        .collect()
}

impl Executor {
    /// Builds an executor for a genesis.
    pub fn from_genesis(genesis: &Genesis) -> Self {
        Self {
            chain_id: genesis.chain_id.clone(),
            genesis_params: genesis.params(),
        }
    }

    /// The chain's id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The parameters in force at `height` in `state` (a state holding at least
    /// [`StateKey::Params`]; the genesis parameters if it has none).
    pub fn params_at<R: StateReader>(&self, state: R, height: u64) -> Result<Params, ExecError> {
        let state = Overlay::new(state);
        Ok(modules::governance::load_params(&state)?
            .map_or_else(|| self.genesis_params.clone(), |r| r.effective_at(height)))
    }

    /// The chain parameters a block at `height` executes under.
    fn chain_params<R: StateReader>(
        &self,
        state: &Overlay<R>,
        height: u64,
    ) -> Result<ChainParams, ExecError> {
        let params = modules::governance::load_params(state)?
            .map_or_else(|| self.genesis_params.clone(), |r| r.effective_at(height));
        Ok(ChainParams {
            chain_id: self.chain_id.clone(),
            params,
        })
    }

    /// What the action at `index` of `t` sees of its transaction.
    fn tx_context<'a>(
        params: &'a ChainParams,
        t: &'a SignedTransaction,
        index: usize,
    ) -> TxContext<'a> {
        TxContext {
            params,
            tx: t,
            index,
        }
    }

    /// Every state key executing `txs` may read or write. Execution against a
    /// state that holds exactly these keys gives the same result as against the
    /// full state, so callers prefetch them.
    pub fn touched_keys(&self, txs: &[SignedTransaction]) -> Vec<StateKey> {
        let mut keys = KeySet::new();
        keys.insert(StateKey::Meta(MetaKey::Supply));
        keys.insert(StateKey::Meta(MetaKey::Burned));
        keys.insert(StateKey::Params);
        modules::end_block_keys(&mut keys);
        // Key sets do not depend on the parameters' values.
        let params = ChainParams {
            chain_id: self.chain_id.clone(),
            params: self.genesis_params.clone(),
        };
        for t in txs {
            keys.extend(Self::sender_keys(&t.tx.signer));
            for (i, action) in t.tx.actions.iter().enumerate() {
                modules::keys(&Self::tx_context(&params, t, i), action, &mut keys);
            }
            // Every party's account holds the head of its receipt chain, which the transaction
            // extends: a module names its parties once, in `parties`.
            for party in Self::parties(&params, t) {
                keys.insert(StateKey::Account(party));
            }
        }
        keys.into_iter().collect()
    }

    /// The state keys the checks of a transaction by `signer` read: its account and, for a
    /// `did:sovra`, its DID record.
    pub fn sender_keys(signer: &Did) -> Vec<StateKey> {
        let mut keys = vec![StateKey::Account(signer.clone())];
        if signer.method() == sovra_types::DidMethod::Sovra {
            keys.push(StateKey::Did(signer.clone()));
        }
        keys
    }

    /// What the checks of a transaction by `signer` read, from a state holding at least
    /// [`Self::sender_keys`]: its account and, for a `did:sovra`, its current DID record.
    pub fn read_sender(
        state: &MemoryState,
        signer: &Did,
    ) -> Result<(Account, Option<DidRecord>), ExecError> {
        let state = Overlay::new(state);
        let account = accounts::load(&state, signer)?;
        let record = match signer.method() {
            sovra_types::DidMethod::Sovra => identity::load(&state, signer)?,
            sovra_types::DidMethod::Key => None,
        };
        Ok((account, record))
    }

    /// Refuses, before admission to the mempool, a transaction with an action that would
    /// certainly fail; returns the position of the first such action and why.
    pub fn check_admission(&self, t: &SignedTransaction) -> Result<(), (usize, ActionFailure)> {
        for (i, action) in t.tx.actions.iter().enumerate() {
            modules::check_admission(action).map_err(|f| (i, f))?;
        }
        Ok(())
    }

    /// The identities a transaction touches, signer first: each gets a
    /// receipt-chain entry.
    fn parties(params: &ChainParams, t: &SignedTransaction) -> Vec<Did> {
        let mut parties = Parties::new(&t.tx.signer);
        for (i, action) in t.tx.actions.iter().enumerate() {
            modules::parties(&Self::tx_context(params, t, i), action, &mut parties);
        }
        parties.into_vec()
    }

    /// Checks all signatures with one batch verification; on failure finds
    /// the first bad one. Returns the index of the first invalid transaction.
    pub fn verify_signatures(&self, txs: &[&SignedTransaction]) -> Result<(), (usize, Rejection)> {
        for (i, t) in txs.iter().enumerate() {
            t.check_key_binding()
                .map_err(|e| (i, Rejection::BadSignature(e.to_string())))?;
        }
        let messages: Vec<_> = txs.iter().map(|t| t.tx.encode()).collect();
        let items: Vec<_> = txs
            .iter()
            .zip(&messages)
            .map(|(t, m)| BatchItem {
                public_key: &t.public_key,
                namespace: TX_NAMESPACE,
                message: m,
                signature: &t.signature,
            })
            .collect();
        if sovra_crypto::batch_verify(&items).unwrap_or(false) {
            return Ok(());
        }
        for (i, item) in items.iter().enumerate() {
            if !sovra_crypto::verify(
                item.public_key,
                item.namespace,
                item.message,
                item.signature,
            ) {
                return Err((
                    i,
                    Rejection::BadSignature("signature does not verify".into()),
                ));
            }
        }
        Ok(())
    }

    /// Checks that need no state besides the minimum fee in force (`min_fee`).
    pub fn check_stateless(
        &self,
        t: &SignedTransaction,
        height: u64,
        min_fee: u64,
    ) -> Result<(), Rejection> {
        if t.tx.chain_id != self.chain_id {
            return Err(Rejection::WrongChain {
                got: t.tx.chain_id.clone(),
                expected: self.chain_id.clone(),
            });
        }
        if height > t.tx.expiry_height {
            return Err(Rejection::Expired {
                expiry: t.tx.expiry_height,
                height,
            });
        }
        if t.tx.fee < min_fee {
            return Err(Rejection::FeeTooLow {
                fee: t.tx.fee,
                min: min_fee,
            });
        }
        Ok(())
    }

    /// Checks the signer's key (for `did:sovra`), nonce and fee balance against state.
    pub fn check_stateful<R: StateReader>(
        &self,
        state: &Overlay<R>,
        t: &SignedTransaction,
    ) -> Result<Result<(), Rejection>, ExecError> {
        if t.tx.signer.method() == sovra_types::DidMethod::Sovra {
            let record = identity::load(state, &t.tx.signer)?;
            if let Err(r) = identity::check_signer_key(t, record.as_ref()) {
                return Ok(Err(r));
            }
        }
        let account = accounts::load(state, &t.tx.signer)?;
        if t.tx.nonce != account.nonce {
            return Ok(Err(Rejection::BadNonce {
                got: t.tx.nonce,
                expected: account.nonce,
            }));
        }
        if account.balance < t.tx.fee {
            return Ok(Err(Rejection::CannotPayFee {
                balance: account.balance,
                fee: t.tx.fee,
            }));
        }
        Ok(Ok(()))
    }

    /// Applies one transaction whose signature was already checked.
    /// On rejection nothing in `state` changes.
    fn apply<R: StateReader>(
        &self,
        state: &mut Overlay<R>,
        params: &ChainParams,
        t: &SignedTransaction,
        env: BlockEnv,
        index: u32,
    ) -> Result<Result<TxOutcome, Rejection>, ExecError> {
        let height = env.height;
        if let Err(r) = self.check_stateless(t, height, params.params.min_fee) {
            return Ok(Err(r));
        }
        if let Err(r) = self.check_stateful(state, t)? {
            return Ok(Err(r));
        }
        let signer = &t.tx.signer;
        accounts::charge_fee_and_nonce(state, signer, t.tx.fee)?;
        state.checkpoint();

        let tx_id = t.id();
        let mut status = ReceiptStatus::Completed;
        let mut effects = Effects::default();
        for (i, action) in t.tx.actions.iter().enumerate() {
            let mut ctx = ApplyContext::new(
                Self::tx_context(params, t, i),
                tx_id,
                env,
                state,
                &mut effects,
            );
            if let Err(failure) = modules::apply(&mut ctx, action)? {
                status = ReceiptStatus::Failed {
                    code: failure.code.to_string(),
                    message: failure.message,
                };
                break;
            }
        }
        if status == ReceiptStatus::Completed {
            state.checkpoint();
        } else {
            state.rollback();
            effects = Effects::default();
        }

        let parties = Self::parties(params, t);
        let mut entries = Vec::with_capacity(parties.len() + effects.receipts.len());
        for did in parties {
            let entry = receipts::append(state, &did, tx_id, height, status.clone())?;
            entries.push((did, entry));
        }
        for (did, extra) in effects.receipts {
            let entry = receipts::append(state, &did, tx_id, height, extra)?;
            entries.push((did, entry));
        }
        state.checkpoint();
        Ok(Ok(TxOutcome {
            tx_id,
            index,
            status,
            fee: t.tx.fee,
            entries,
            events: effects.events,
        }))
    }

    /// Executes a proposed block's transactions against `base` (the parent's
    /// state). Any transaction that may not be included makes the whole
    /// block invalid.
    pub fn execute_block<R: StateReader>(
        &self,
        base: R,
        env: BlockEnv,
        txs: &[SignedTransaction],
    ) -> Result<BlockOutput, ExecError> {
        self.execute_block_with(base, env, txs, |_| false)
    }

    /// Like [`Self::execute_block`], but skips the signature check of the
    /// transactions for which `already_verified(index)` is true (their exact
    /// signed bytes were verified before, e.g. at mempool admission). The
    /// result is the same; only work is saved.
    pub fn execute_block_with<R: StateReader>(
        &self,
        base: R,
        env: BlockEnv,
        txs: &[SignedTransaction],
        already_verified: impl Fn(usize) -> bool,
    ) -> Result<BlockOutput, ExecError> {
        let unverified: Vec<usize> = (0..txs.len()).filter(|&i| !already_verified(i)).collect();
        let to_check: Vec<&SignedTransaction> = unverified.iter().map(|&i| &txs[i]).collect();
        if let Err((index, rejection)) = self.verify_signatures(&to_check) {
            return Err(ExecError::Rejected {
                index: unverified[index],
                rejection,
            });
        }
        let mut state = Overlay::new(base);
        let params = self.chain_params(&state, env.height)?;
        if txs.len() > params.params.max_block_txs as usize {
            return Err(ExecError::TooManyTxs {
                count: txs.len(),
                max: params.params.max_block_txs,
            });
        }
        let mut outcomes = Vec::with_capacity(txs.len());
        for (i, t) in txs.iter().enumerate() {
            match self.apply(&mut state, &params, t, env, i as u32)? {
                Ok(o) => outcomes.push(o),
                Err(rejection) => {
                    return Err(ExecError::Rejected {
                        index: i,
                        rejection,
                    });
                }
            }
        }
        Self::end_block(&mut state, &params, &outcomes, env)?;
        Ok(BlockOutput {
            changes: state.into_changes(),
            outcomes,
        })
    }

    /// What every block does after its transactions: each module's end-of-block work (the
    /// staking module distributes the block's fees and issuance and, at an epoch's end, chooses
    /// the next validator set).
    fn end_block<R: StateReader>(
        state: &mut Overlay<R>,
        params: &ChainParams,
        outcomes: &[TxOutcome],
        env: BlockEnv,
    ) -> Result<(), ExecError> {
        // Each fee was paid from a balance, so their sum is within the supply (a u64).
        let fees = outcomes
            .iter()
            .fold(0u64, |sum, o| sum.saturating_add(o.fee));
        modules::end_block(&mut BlockContext {
            params,
            env,
            fees,
            state,
        })?;
        state.checkpoint();
        Ok(())
    }

    /// Builds a block from candidates (already signature-checked, e.g. by the
    /// mempool): keeps those that may be included, in order, up to the parameters'
    /// `max_block_txs`.
    pub fn build_block<R: StateReader>(
        &self,
        base: R,
        env: BlockEnv,
        candidates: impl IntoIterator<Item = SignedTransaction>,
    ) -> Result<(Vec<SignedTransaction>, BlockOutput), ExecError> {
        let mut state = Overlay::new(base);
        let params = self.chain_params(&state, env.height)?;
        let max_txs = params.params.max_block_txs as usize;
        let mut included = Vec::new();
        let mut outcomes = Vec::new();
        for t in candidates {
            if included.len() >= max_txs {
                break;
            }
            if let Ok(o) = self.apply(&mut state, &params, &t, env, included.len() as u32)? {
                outcomes.push(o);
                included.push(t);
            }
        }
        Self::end_block(&mut state, &params, &outcomes, env)?;
        Ok((
            included,
            BlockOutput {
                changes: state.into_changes(),
                outcomes,
            },
        ))
    }
}
