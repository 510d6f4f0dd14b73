//! Applies blocks: checks every transaction, charges fees, applies actions
//! all-or-nothing and extends the receipt chain of every touched identity.

use crate::{
    BlockEnv, Changes, ExecError, Overlay, Rejection, StateReader,
    modules::{accounts, content, identity, receipts, recovery, registry, vault},
};
use commonware_codec::Encode;
use sovra_crypto::BatchItem;
use sovra_types::{
    Action, Did, Genesis, ReceiptEntry, ReceiptStatus, SignedTransaction, StateKey, TxId,
    state::{MetaKey, encode_u64},
    tx::TX_NAMESPACE,
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
}

/// The effect of a block on state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockOutput {
    /// State writes and deletes.
    pub changes: Changes,
    /// One outcome per transaction, in block order.
    pub outcomes: Vec<TxOutcome>,
}

/// The state machine's parameters (from genesis).
#[derive(Clone, Debug)]
pub struct Executor {
    /// This chain's id.
    pub chain_id: String,
    /// Minimum fee per transaction.
    pub min_fee: u64,
    /// Who may change the trust registry.
    pub registry_authority: Option<Did>,
}

/// The state a genesis document creates.
pub fn genesis_changes(genesis: &Genesis) -> Changes {
    let mut changes = Changes::new();
    let mut supply: u64 = 0;
    for a in &genesis.accounts {
        let account = sovra_types::Account {
            balance: a.balance,
            ..Default::default()
        };
        supply = supply.saturating_add(a.balance);
        changes.insert(
            StateKey::Account(a.did.clone()),
            Some(account.encode().to_vec()),
        );
    }
    changes.insert(StateKey::Meta(MetaKey::Supply), Some(encode_u64(supply)));
    changes.insert(StateKey::Meta(MetaKey::Burned), Some(encode_u64(0)));
    changes
}

impl Executor {
    /// Builds an executor for a genesis.
    pub fn from_genesis(genesis: &Genesis) -> Self {
        Self {
            chain_id: genesis.chain_id.clone(),
            min_fee: genesis.min_fee,
            registry_authority: genesis.registry_authority.clone(),
        }
    }

    /// Every state key executing `txs` may read or write. Execution against a
    /// state that holds exactly these keys gives the same result as against the
    /// full state, so callers prefetch them.
    pub fn touched_keys(&self, txs: &[SignedTransaction]) -> Vec<StateKey> {
        let mut keys = std::collections::BTreeSet::new();
        keys.insert(StateKey::Meta(MetaKey::Supply));
        keys.insert(StateKey::Meta(MetaKey::Burned));
        for t in txs {
            let signer = &t.tx.signer;
            keys.insert(StateKey::Account(signer.clone()));
            if signer.method() == sovra_types::DidMethod::Sovra {
                keys.insert(StateKey::Did(signer.clone()));
            }
            for (i, action) in t.tx.actions.iter().enumerate() {
                match action {
                    Action::Transfer { to, .. } => {
                        keys.insert(StateKey::Account(to.clone()));
                        // A did:sovra recipient must exist and be active.
                        if to.method() == sovra_types::DidMethod::Sovra {
                            keys.insert(StateKey::Did(to.clone()));
                        }
                    }
                    Action::PinContent { .. }
                    | Action::UnpinContent { .. }
                    | Action::SetPublicDocument { .. } => {
                        keys.extend(content::keys(signer, action))
                    }
                    Action::CreateDid { .. } => {
                        let did = identity::created_did(&self.chain_id, signer, t.tx.nonce, i);
                        keys.extend(identity::keys(Some(&did), action))
                    }
                    Action::UpdateDid { .. } | Action::DeactivateDid { .. } => {
                        keys.extend(identity::keys(None, action))
                    }
                    Action::RegisterVerifier { .. }
                    | Action::RemoveVerifier { .. }
                    | Action::AnchorStatusList { .. } => {
                        keys.extend(registry::keys(signer, action))
                    }
                    Action::Vault(a) => keys.extend(vault::keys(a)),
                    Action::Recovery(a) => keys.extend(recovery::keys(signer, a)),
                }
            }
        }
        keys.into_iter().collect()
    }

    /// The identities a transaction touches, signer first: each gets a
    /// receipt-chain entry.
    fn parties(&self, t: &SignedTransaction) -> Vec<Did> {
        let signer = &t.tx.signer;
        let mut parties = vec![signer.clone()];
        for (i, action) in t.tx.actions.iter().enumerate() {
            let party = match action {
                Action::Transfer { to, .. } => Some(to.clone()),
                Action::CreateDid { .. } => {
                    Some(identity::created_did(&self.chain_id, signer, t.tx.nonce, i))
                }
                Action::UpdateDid { did, .. } | Action::DeactivateDid { did, .. } => {
                    Some(did.clone())
                }
                Action::RegisterVerifier { verifier, .. } | Action::RemoveVerifier { verifier } => {
                    Some(verifier.clone())
                }
                Action::PinContent { .. }
                | Action::UnpinContent { .. }
                | Action::SetPublicDocument { .. }
                | Action::AnchorStatusList { .. } => None,
                Action::Vault(a) => vault::party(a).cloned(),
                Action::Recovery(a) => Some(a.subject(signer).clone()),
            };
            if let Some(p) = party
                && !parties.contains(&p)
            {
                parties.push(p);
            }
        }
        parties
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

    /// Checks that need no state.
    pub fn check_stateless(&self, t: &SignedTransaction, height: u64) -> Result<(), Rejection> {
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
        if t.tx.fee < self.min_fee {
            return Err(Rejection::FeeTooLow {
                fee: t.tx.fee,
                min: self.min_fee,
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
        t: &SignedTransaction,
        env: BlockEnv,
        index: u32,
    ) -> Result<Result<TxOutcome, Rejection>, ExecError> {
        let height = env.height;
        if let Err(r) = self.check_stateless(t, height) {
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
        for (i, action) in t.tx.actions.iter().enumerate() {
            let result = match action {
                Action::Transfer { to, amount } => accounts::transfer(state, signer, to, *amount)?,
                Action::PinContent {
                    cid,
                    size,
                    replication,
                } => content::pin(state, signer, cid, *size, *replication, height)?,
                Action::UnpinContent { cid } => content::unpin(state, signer, cid)?,
                Action::SetPublicDocument { name, cid } => {
                    content::set_public_doc(state, signer, name, cid.as_ref())?
                }
                Action::CreateDid { document } => {
                    let did = identity::created_did(&self.chain_id, signer, t.tx.nonce, i);
                    identity::create(state, t, &did, document, env, tx_id)?
                }
                Action::UpdateDid {
                    did,
                    previous_version,
                    document,
                } => identity::update(state, signer, did, *previous_version, document, env, tx_id)?,
                Action::DeactivateDid {
                    did,
                    previous_version,
                } => identity::deactivate(state, signer, did, *previous_version, env, tx_id)?,
                Action::RegisterVerifier {
                    verifier,
                    name,
                    credential_types,
                } => registry::register(
                    state,
                    self.registry_authority.as_ref(),
                    signer,
                    verifier,
                    name,
                    credential_types,
                    env,
                )?,
                Action::RemoveVerifier { verifier } => {
                    registry::remove(state, self.registry_authority.as_ref(), signer, verifier)?
                }
                Action::AnchorStatusList { list_id, cid } => {
                    registry::anchor_status_list(state, signer, list_id, cid, env)?
                }
                Action::Vault(a) => vault::apply(state, signer, a, env)?,
                Action::Recovery(a) => recovery::apply(state, signer, a, env, tx_id)?,
            };
            if let Err(failure) = result {
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
        }

        let parties = self.parties(t);
        let mut entries = Vec::with_capacity(parties.len());
        for did in parties {
            let entry = receipts::append(state, &did, tx_id, height, status.clone())?;
            entries.push((did, entry));
        }
        if status == ReceiptStatus::Completed {
            // Each erased vault record adds an erasure entry to its owner's chain.
            for action in &t.tx.actions {
                if let Action::Vault(sovra_types::VaultAction::Delete { record }) = action {
                    let erased = ReceiptStatus::Erased { record: *record };
                    let entry = receipts::append(state, signer, tx_id, height, erased)?;
                    entries.push((signer.clone(), entry));
                }
            }
        }
        state.checkpoint();
        Ok(Ok(TxOutcome {
            tx_id,
            index,
            status,
            fee: t.tx.fee,
            entries,
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
        let mut outcomes = Vec::with_capacity(txs.len());
        for (i, t) in txs.iter().enumerate() {
            match self.apply(&mut state, t, env, i as u32)? {
                Ok(o) => outcomes.push(o),
                Err(rejection) => {
                    return Err(ExecError::Rejected {
                        index: i,
                        rejection,
                    });
                }
            }
        }
        Ok(BlockOutput {
            changes: state.into_changes(),
            outcomes,
        })
    }

    /// Builds a block from candidates (already signature-checked, e.g. by the
    /// mempool): keeps those that may be included, in order, up to `max_txs`.
    pub fn build_block<R: StateReader>(
        &self,
        base: R,
        env: BlockEnv,
        candidates: impl IntoIterator<Item = SignedTransaction>,
        max_txs: usize,
    ) -> Result<(Vec<SignedTransaction>, BlockOutput), ExecError> {
        let mut state = Overlay::new(base);
        let mut included = Vec::new();
        let mut outcomes = Vec::new();
        for t in candidates {
            if included.len() >= max_txs {
                break;
            }
            if let Ok(o) = self.apply(&mut state, &t, env, included.len() as u32)? {
                outcomes.push(o);
                included.push(t);
            }
        }
        Ok((
            included,
            BlockOutput {
                changes: state.into_changes(),
                outcomes,
            },
        ))
    }
}
