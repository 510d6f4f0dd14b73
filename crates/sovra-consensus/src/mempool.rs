//! The mempool: transactions waiting for a block.
//!
//! Bounded in count, bytes and per-sender entries. Admission batch-verifies
//! signatures and checks chain, expiry, fee, nonce, fee balance and (for a
//! `did:sovra` signer) the signing key against the latest committed state;
//! nothing about a rejected transaction is kept.
//! Selection orders senders by fee (highest first) and each sender's
//! transactions by nonce, so a block never skips a sender's nonce.

use sovra_execution::{Executor, Rejection};
use sovra_types::{Account, Did, DidRecord, SignedTransaction, TxId};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// What admission reads about a sender from committed state.
#[derive(Clone, Debug, Default)]
pub struct SenderState {
    /// The sender's account.
    pub account: Account,
    /// For a `did:sovra` sender, its current DID record.
    pub did: Option<DidRecord>,
}

/// Mempool limits.
#[derive(Clone, Debug)]
pub struct MempoolConfig {
    /// Most transactions held.
    pub max_txs: usize,
    /// Most encoded bytes held.
    pub max_bytes: usize,
    /// Most transactions held per sender (also how far ahead of its nonce a sender may go).
    pub max_per_sender: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 200_000,
            max_bytes: 128 * 1024 * 1024,
            max_per_sender: 4096,
        }
    }
}

/// Why a submission was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    /// The transaction may never be included.
    #[error("{0}")]
    Rejected(Rejection),
    /// The nonce is already used in the ledger.
    #[error("nonce {got} already used (next is {next})")]
    NonceUsed {
        /// Offered nonce.
        got: u64,
        /// The account's next nonce.
        next: u64,
    },
    /// The nonce is too far ahead of the account's next nonce.
    #[error("nonce {got} is too far ahead of the next nonce {next}")]
    NonceTooFar {
        /// Offered nonce.
        got: u64,
        /// The account's next nonce.
        next: u64,
    },
    /// This exact transaction is already waiting.
    #[error("transaction already in the mempool")]
    AlreadyKnown,
    /// Another transaction with this sender and nonce is already waiting.
    #[error("another transaction with nonce {0} is already waiting")]
    NonceTaken(u64),
    /// The sender has too many waiting transactions.
    #[error("sender has {0} transactions waiting, the limit")]
    SenderFull(usize),
    /// The mempool is full.
    #[error("mempool is full")]
    Full,
}

impl AdmissionError {
    /// A stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AdmissionError::Rejected(r) => r.code(),
            AdmissionError::NonceUsed { .. } => "nonce_used",
            AdmissionError::NonceTooFar { .. } => "nonce_too_far",
            AdmissionError::AlreadyKnown => "already_known",
            AdmissionError::NonceTaken(_) => "nonce_taken",
            AdmissionError::SenderFull(_) => "sender_limit",
            AdmissionError::Full => "mempool_full",
        }
    }
}

struct Entry {
    tx: SignedTransaction,
    /// The transaction id, computed once at admission.
    id: TxId,
    size: usize,
}

/// Waiting transactions.
pub struct Mempool {
    config: MempoolConfig,
    by_id: HashMap<TxId, Entry>,
    by_sender: HashMap<Did, BTreeMap<u64, TxId>>,
    bytes: usize,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            by_id: HashMap::new(),
            by_sender: HashMap::new(),
            bytes: 0,
        }
    }

    /// Number of waiting transactions.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Encoded bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether a transaction is waiting.
    pub fn contains(&self, id: &TxId) -> bool {
        self.by_id.contains_key(id)
    }

    /// Admits a batch of transactions (`(tx, encoded size)`), checking all
    /// signatures in one batch. `sender` reads the committed state of a
    /// sender; `height` is the next block height. Returns one result per input.
    pub fn admit(
        &mut self,
        executor: &Executor,
        txs: Vec<(SignedTransaction, usize)>,
        height: u64,
        sender: impl Fn(&Did) -> SenderState,
    ) -> Vec<Result<TxId, AdmissionError>> {
        let sig_ok: Vec<bool> = {
            let refs: Vec<&SignedTransaction> = txs.iter().map(|(t, _)| t).collect();
            match executor.verify_signatures(&refs) {
                Ok(()) => vec![true; txs.len()],
                Err(_) => refs
                    .iter()
                    .map(|t| executor.verify_signatures(&[*t]).is_ok())
                    .collect(),
            }
        };
        txs.into_iter()
            .zip(sig_ok)
            .map(|((tx, size), ok)| {
                if !ok {
                    return Err(AdmissionError::Rejected(Rejection::BadSignature(
                        "signature does not verify or key does not match signer".into(),
                    )));
                }
                self.admit_checked(executor, tx, size, height, &sender)
            })
            .collect()
    }

    fn admit_checked(
        &mut self,
        executor: &Executor,
        tx: SignedTransaction,
        size: usize,
        height: u64,
        sender: &impl Fn(&Did) -> SenderState,
    ) -> Result<TxId, AdmissionError> {
        executor
            .check_stateless(&tx, height)
            .map_err(AdmissionError::Rejected)?;
        let id = tx.id();
        if self.by_id.contains_key(&id) {
            return Err(AdmissionError::AlreadyKnown);
        }
        let SenderState { account: acct, did } = sender(&tx.tx.signer);
        sovra_execution::modules::identity::check_signer_key(&tx, did.as_ref())
            .map_err(AdmissionError::Rejected)?;
        if tx.tx.nonce < acct.nonce {
            return Err(AdmissionError::NonceUsed {
                got: tx.tx.nonce,
                next: acct.nonce,
            });
        }
        if tx.tx.nonce - acct.nonce >= self.config.max_per_sender as u64 {
            return Err(AdmissionError::NonceTooFar {
                got: tx.tx.nonce,
                next: acct.nonce,
            });
        }
        if acct.balance < tx.tx.fee {
            return Err(AdmissionError::Rejected(Rejection::CannotPayFee {
                balance: acct.balance,
                fee: tx.tx.fee,
            }));
        }
        let queue_len = self.by_sender.get(&tx.tx.signer).map_or(0, |q| q.len());
        if let Some(q) = self.by_sender.get(&tx.tx.signer)
            && q.contains_key(&tx.tx.nonce)
        {
            return Err(AdmissionError::NonceTaken(tx.tx.nonce));
        }
        if queue_len >= self.config.max_per_sender {
            return Err(AdmissionError::SenderFull(queue_len));
        }
        if self.by_id.len() >= self.config.max_txs || self.bytes + size > self.config.max_bytes {
            return Err(AdmissionError::Full);
        }
        self.by_sender
            .entry(tx.tx.signer.clone())
            .or_default()
            .insert(tx.tx.nonce, id);
        self.bytes += size;
        self.by_id.insert(id, Entry { tx, id, size });
        Ok(id)
    }

    /// Up to `max` transactions in proposal order: each sender's in nonce
    /// order, senders interleaved by the fee of their next transaction.
    pub fn select(&self, max: usize) -> Vec<SignedTransaction> {
        // Heap of (fee, tie-break id, sender, position) for each sender's next transaction.
        let queues: Vec<Vec<&Entry>> = self
            .by_sender
            .values()
            .map(|q| q.values().filter_map(|id| self.by_id.get(id)).collect())
            .collect();
        let mut heap = BinaryHeap::new();
        for (s, q) in queues.iter().enumerate() {
            if let Some(e) = q.first() {
                heap.push((e.tx.tx.fee, std::cmp::Reverse(e.id), s, 0usize));
            }
        }
        let mut out = Vec::with_capacity(max.min(self.by_id.len()));
        while out.len() < max {
            let Some((_, _, s, pos)) = heap.pop() else {
                break;
            };
            out.push(queues[s][pos].tx.clone());
            if let Some(next) = queues[s].get(pos + 1) {
                heap.push((next.tx.tx.fee, std::cmp::Reverse(next.id), s, pos + 1));
            }
        }
        out
    }

    /// Removes included transactions, and every waiting transaction whose
    /// nonce is now used or which expired before `next_height`.
    pub fn prune(
        &mut self,
        included: &[TxId],
        next_height: u64,
        account: impl Fn(&Did) -> Account,
    ) {
        let mut touched = Vec::new();
        for id in included {
            if let Some(e) = self.remove(id) {
                touched.push(e.tx.tx.signer);
            }
        }
        touched.sort();
        touched.dedup();
        for sender in touched {
            let next = account(&sender).nonce;
            let stale: Vec<TxId> = self
                .by_sender
                .get(&sender)
                .map(|q| q.range(..next).map(|(_, id)| *id).collect())
                .unwrap_or_default();
            for id in stale {
                self.remove(&id);
            }
        }
        let expired: Vec<TxId> = self
            .by_id
            .iter()
            .filter(|(_, e)| e.tx.tx.expiry_height < next_height)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }

    fn remove(&mut self, id: &TxId) -> Option<Entry> {
        let e = self.by_id.remove(id)?;
        self.bytes -= e.size;
        if let Some(q) = self.by_sender.get_mut(&e.tx.tx.signer) {
            q.remove(&e.tx.tx.nonce);
            if q.is_empty() {
                self.by_sender.remove(&e.tx.tx.signer);
            }
        }
        Some(e)
    }
}
