//! The mempool: transactions waiting for a block.
//!
//! Bounded in count, bytes and per-sender entries. Admission batch-verifies
//! signatures and checks chain, expiry, fee, nonce, fee balance and (for a
//! `did:sovra` signer) the signing key against the latest committed state;
//! nothing about a rejected transaction is kept.
//! Selection orders senders by fee (highest first) and each sender's
//! transactions by nonce, so a block never skips a sender's nonce.
//!
//! A transaction leaves the pool in a finalized block, or when it can no longer be included
//! (its nonce used by another transaction, its expiry height passed); the latter are remembered,
//! bounded, in a [`DroppedLog`] so the API can say what became of them.

use crate::dropped::{Dropped, DroppedLog};
use sovra_execution::{ActionFailure, Executor, Rejection};
use sovra_types::{Account, Did, DidRecord, SignedTransaction, TxId};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

/// Where admission checks a transaction against: the next block height and the minimum fee in
/// force (from the committed parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmitAt {
    /// The next block's height.
    pub height: u64,
    /// The minimum fee in force.
    pub min_fee: u64,
}

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
    /// Most dropped (replaced or expired) transactions remembered, for their status.
    pub max_dropped: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 200_000,
            max_bytes: 128 * 1024 * 1024,
            max_per_sender: 4096,
            max_dropped: 65_536,
        }
    }
}

/// What the pool knows about a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolStatus {
    /// Waiting for a block.
    Waiting {
        /// Its expiry height.
        expiry_height: u64,
    },
    /// Dropped without being included.
    Dropped(Dropped),
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
    /// An action would certainly fail (e.g. a transfer of nothing), costing the signer a fee
    /// for nothing.
    #[error("action {index} would fail: {}", failure.message)]
    WouldFail {
        /// Position of the action in the transaction.
        index: usize,
        /// Why it would fail.
        failure: ActionFailure,
    },
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
            AdmissionError::WouldFail { failure, .. } => failure.code,
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
    /// (expiry height, id) of every waiting transaction, so pruning expired ones never scans
    /// the whole pool.
    by_expiry: BTreeSet<(u64, TxId)>,
    bytes: usize,
    /// Transactions dropped without being included, and why.
    dropped: DroppedLog,
}

impl Mempool {
    /// An empty mempool.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            by_id: HashMap::new(),
            by_sender: HashMap::new(),
            by_expiry: BTreeSet::new(),
            bytes: 0,
            dropped: DroppedLog::new(config.max_dropped),
            config,
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

    /// Whether a transaction is waiting or was dropped (and why).
    pub fn status(&self, id: &TxId) -> Option<PoolStatus> {
        if let Some(e) = self.by_id.get(id) {
            return Some(PoolStatus::Waiting {
                expiry_height: e.tx.tx.expiry_height,
            });
        }
        self.dropped.get(id).map(PoolStatus::Dropped)
    }

    /// The nonce the next new transaction of `signer` should use: `committed` (the account's
    /// nonce in committed state) plus the transactions of `signer` waiting here with the nonces
    /// that follow it, without a gap.
    pub fn next_nonce(&self, signer: &Did, committed: u64) -> u64 {
        let mut next = committed;
        if let Some(queue) = self.by_sender.get(signer) {
            for nonce in queue.range(committed..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Admits a batch of transactions (`(tx, encoded size)`), checking all
    /// signatures in one batch. `sender` reads the committed state of a
    /// sender; `at` is the next block height and the minimum fee in force. Returns one result
    /// per input.
    pub fn admit(
        &mut self,
        executor: &Executor,
        txs: Vec<(SignedTransaction, usize)>,
        at: AdmitAt,
        sender: impl Fn(&Did) -> SenderState,
    ) -> Vec<Result<TxId, AdmissionError>> {
        let signatures = Self::verify_signatures(executor, &txs);
        self.admit_verified(executor, txs, &signatures, at, sender)
    }

    /// Batch-verifies the signatures of `txs` (falling back to one by one when the batch
    /// fails, to tell which); one verdict per transaction. Needs no access to the pool, so
    /// callers run it before taking the pool's lock.
    pub fn verify_signatures(executor: &Executor, txs: &[(SignedTransaction, usize)]) -> Vec<bool> {
        let refs: Vec<&SignedTransaction> = txs.iter().map(|(t, _)| t).collect();
        match executor.verify_signatures(&refs) {
            Ok(()) => vec![true; txs.len()],
            Err(_) => refs
                .iter()
                .map(|t| executor.verify_signatures(&[*t]).is_ok())
                .collect(),
        }
    }

    /// [`Mempool::admit`] with the signature verdicts of [`Mempool::verify_signatures`]
    /// (`signatures[i]` for `txs[i]`; a missing verdict counts as a bad signature).
    pub fn admit_verified(
        &mut self,
        executor: &Executor,
        txs: Vec<(SignedTransaction, usize)>,
        signatures: &[bool],
        at: AdmitAt,
        sender: impl Fn(&Did) -> SenderState,
    ) -> Vec<Result<TxId, AdmissionError>> {
        txs.into_iter()
            .enumerate()
            .map(|(i, (tx, size))| {
                if !signatures.get(i).copied().unwrap_or(false) {
                    return Err(AdmissionError::Rejected(Rejection::BadSignature(
                        "signature does not verify or key does not match signer".into(),
                    )));
                }
                self.admit_checked(executor, tx, size, at, &sender)
            })
            .collect()
    }

    fn admit_checked(
        &mut self,
        executor: &Executor,
        tx: SignedTransaction,
        size: usize,
        at: AdmitAt,
        sender: &impl Fn(&Did) -> SenderState,
    ) -> Result<TxId, AdmissionError> {
        executor
            .check_stateless(&tx, at.height, at.min_fee)
            .map_err(AdmissionError::Rejected)?;
        // Would fail in execution, costing the signer a fee for nothing.
        executor
            .check_admission(&tx)
            .map_err(|(index, failure)| AdmissionError::WouldFail { index, failure })?;
        let id = tx.id();
        if self.by_id.contains_key(&id) {
            return Err(AdmissionError::AlreadyKnown);
        }
        let SenderState { account: acct, did } = sender(&tx.tx.signer);
        sovra_execution::check_signer_key(&tx, did.as_ref()).map_err(AdmissionError::Rejected)?;
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
        self.by_expiry.insert((tx.tx.expiry_height, id));
        self.by_id.insert(id, Entry { tx, id, size });
        Ok(id)
    }

    /// Up to `max` transactions in proposal order: each sender's in nonce
    /// order from `from_nonce(sender)` on (lower nonces are already used by the chain being
    /// extended), senders interleaved by the fee of their next transaction.
    ///
    /// Walks only as far into each sender's queue as it takes from it, so the cost grows with
    /// `max` and the number of senders, not with the size of the pool.
    pub fn select(&self, max: usize, from_nonce: impl Fn(&Did) -> u64) -> Vec<SignedTransaction> {
        let mut queues: Vec<_> = self
            .by_sender
            .iter()
            .map(|(sender, q)| q.range(from_nonce(sender)..).map(|(_, id)| id))
            .collect();
        // Heap of (fee, tie-break id, sender) for each sender's next transaction.
        let mut heap = BinaryHeap::with_capacity(queues.len());
        for (s, q) in queues.iter_mut().enumerate() {
            if let Some(e) = next_entry(&self.by_id, q) {
                heap.push((e.tx.tx.fee, std::cmp::Reverse(e.id), s));
            }
        }
        let mut out = Vec::with_capacity(max.min(self.by_id.len()));
        while out.len() < max {
            let Some((_, std::cmp::Reverse(id), s)) = heap.pop() else {
                break;
            };
            if let Some(e) = self.by_id.get(&id) {
                out.push(e.tx.clone());
            }
            if let Some(next) = next_entry(&self.by_id, &mut queues[s]) {
                heap.push((next.tx.tx.fee, std::cmp::Reverse(next.id), s));
            }
        }
        out
    }

    /// Drops what a block finalized at `height` settles: its transactions (`included`: signer,
    /// nonce and id of each), every waiting transaction of its signers whose nonce is now used
    /// (another transaction with that nonce was included: recorded as replaced by it), and every
    /// transaction whose expiry height is below the next height (recorded as expired).
    pub fn prune(&mut self, height: u64, included: &[(Did, u64, TxId)]) {
        let mut used: HashMap<&Did, u64> = HashMap::new();
        let mut by_nonce: HashMap<(&Did, u64), TxId> = HashMap::with_capacity(included.len());
        for (signer, nonce, id) in included {
            self.remove(id);
            let next = used.entry(signer).or_insert(0);
            *next = (*next).max(nonce.saturating_add(1));
            by_nonce.insert((signer, *nonce), *id);
        }
        for (sender, next) in used {
            let stale: Vec<(u64, TxId)> = self
                .by_sender
                .get(sender)
                .map(|q| q.range(..next).map(|(n, id)| (*n, *id)).collect())
                .unwrap_or_default();
            for (nonce, id) in stale {
                self.remove(&id);
                let by = by_nonce.get(&(sender, nonce)).copied();
                self.dropped.record(id, Dropped::Replaced { by, height });
            }
        }
        let next_height = height.saturating_add(1);
        let expired: Vec<(u64, TxId)> = self
            .by_expiry
            .iter()
            .take_while(|(expiry, _)| *expiry < next_height)
            .copied()
            .collect();
        for (expiry_height, id) in expired {
            self.remove(&id);
            self.dropped.record(
                id,
                Dropped::Expired {
                    expiry_height,
                    height,
                },
            );
        }
    }

    fn remove(&mut self, id: &TxId) -> Option<Entry> {
        let e = self.by_id.remove(id)?;
        self.bytes -= e.size;
        self.by_expiry.remove(&(e.tx.tx.expiry_height, *id));
        if let Some(q) = self.by_sender.get_mut(&e.tx.tx.signer) {
            q.remove(&e.tx.tx.nonce);
            if q.is_empty() {
                self.by_sender.remove(&e.tx.tx.signer);
            }
        }
        Some(e)
    }
}

/// The next waiting entry of a sender's queue.
fn next_entry<'a>(
    by_id: &'a HashMap<TxId, Entry>,
    queue: &mut impl Iterator<Item = &'a TxId>,
) -> Option<&'a Entry> {
    queue.find_map(|id| by_id.get(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::EncodeSize;
    use proptest::prelude::*;
    use sovra_crypto::SigningKey;
    use sovra_types::{
        AccountsAction, Action, Genesis, GenesisAccount, GenesisValidator, Transaction,
    };

    const CHAIN: &str = "mempool-test";

    fn key(i: u64) -> SigningKey {
        SigningKey::from_test_seed(i)
    }

    fn did(i: u64) -> Did {
        Did::from_public_key(&key(i).public_key())
    }

    /// Admission at height 1 under the test genesis's minimum fee.
    const AT: AdmitAt = AdmitAt {
        height: 1,
        min_fee: 1,
    };

    fn executor() -> Executor {
        Executor::from_genesis(&Genesis {
            chain_id: CHAIN.into(),
            token_symbol: "SOV".into(),
            genesis_time_ms: 0,
            validators: vec![GenesisValidator {
                public_key: hex::encode(key(999).public_key().as_ref()),
                p2p_address: "127.0.0.1:1".into(),
                operator: None,
                stake: 0,
            }],
            accounts: (0..4)
                .map(|i| GenesisAccount {
                    did: did(i),
                    balance: 1_000_000,
                })
                .collect(),
            min_fee: 1,
            max_block_txs: 100,
            registry_authority: None,
            economy: None,
        })
    }

    fn tx(from: u64, nonce: u64, fee: u64, expiry_height: u64) -> (SignedTransaction, usize) {
        let tx = Transaction {
            chain_id: CHAIN.into(),
            signer: did(from),
            nonce,
            fee,
            expiry_height,
            actions: vec![Action::Accounts(AccountsAction::Transfer {
                to: did((from + 1) % 4),
                amount: 1,
            })],
        }
        .sign(&key(from));
        let size = tx.encode_size();
        (tx, size)
    }

    fn funded(_: &Did) -> SenderState {
        SenderState {
            account: Account {
                balance: 1_000_000,
                ..Account::default()
            },
            did: None,
        }
    }

    fn pool() -> Mempool {
        Mempool::new(MempoolConfig {
            max_txs: 64,
            max_bytes: 1 << 20,
            max_per_sender: 16,
            max_dropped: 1024,
        })
    }

    /// A transaction id that is not in the pool (another node's transaction).
    fn foreign(i: u8) -> TxId {
        commonware_cryptography::sha256::Digest([i; 32])
    }

    /// Every index agrees with the others and with the byte count.
    fn assert_consistent(m: &Mempool) {
        let queued: usize = m.by_sender.values().map(|q| q.len()).sum();
        assert_eq!(queued, m.by_id.len());
        assert_eq!(m.by_expiry.len(), m.by_id.len());
        assert_eq!(m.bytes, m.by_id.values().map(|e| e.size).sum::<usize>());
        for (expiry, id) in &m.by_expiry {
            assert_eq!(m.by_id[id].tx.tx.expiry_height, *expiry);
        }
    }

    #[test]
    fn select_keeps_each_senders_nonce_order_and_prefers_higher_fees() {
        let ex = executor();
        let mut m = pool();
        // Sender 0 pays 1, sender 1 pays 5, sender 2 pays 3; nonces admitted out of order.
        let batch = vec![
            tx(0, 1, 1, 100),
            tx(1, 1, 5, 100),
            tx(2, 0, 3, 100),
            tx(0, 0, 1, 100),
            tx(1, 0, 5, 100),
        ];
        assert!(m.admit(&ex, batch, AT, funded).iter().all(|r| r.is_ok()));
        let order: Vec<(Did, u64)> = m
            .select(10, |_| 0)
            .iter()
            .map(|t| (t.tx.signer.clone(), t.tx.nonce))
            .collect();
        assert_eq!(
            order,
            vec![
                (did(1), 0),
                (did(1), 1),
                (did(2), 0),
                (did(0), 0),
                (did(0), 1)
            ]
        );
        assert_eq!(m.select(2, |_| 0).len(), 2);
        // Nonces the chain being extended already used are skipped.
        let after: Vec<(Did, u64)> = m
            .select(10, |d| if *d == did(1) { 1 } else { 0 })
            .iter()
            .map(|t| (t.tx.signer.clone(), t.tx.nonce))
            .collect();
        assert_eq!(
            after,
            vec![(did(1), 1), (did(2), 0), (did(0), 0), (did(0), 1)]
        );
        assert_consistent(&m);
    }

    #[test]
    fn prune_drops_included_used_and_expired_transactions_and_says_why() {
        let ex = executor();
        let mut m = pool();
        let batch = vec![
            tx(0, 0, 1, 100),
            tx(0, 1, 1, 100),
            tx(1, 0, 1, 5),
            tx(2, 0, 1, 100),
        ];
        let ids: Vec<TxId> = m
            .admit(&ex, batch, AT, funded)
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        // The block at height 5 carries sender 0's nonce 0 and another transaction of sender 2
        // with nonce 0; sender 1's transaction expires before height 6.
        let other = foreign(0xee);
        m.prune(5, &[(did(0), 0, ids[0]), (did(2), 0, other)]);
        assert_eq!(m.len(), 1);
        assert!(m.contains(&ids[1]));
        assert_eq!(
            m.status(&ids[1]),
            Some(PoolStatus::Waiting { expiry_height: 100 })
        );
        // Included: not dropped, not remembered here (the index has it).
        assert_eq!(m.status(&ids[0]), None);
        assert_eq!(
            m.status(&ids[3]),
            Some(PoolStatus::Dropped(Dropped::Replaced {
                by: Some(other),
                height: 5
            }))
        );
        assert_eq!(
            m.status(&ids[2]),
            Some(PoolStatus::Dropped(Dropped::Expired {
                expiry_height: 5,
                height: 5
            }))
        );
        assert_consistent(&m);
        m.prune(6, &[(did(0), 1, ids[1])]);
        assert!(m.is_empty());
        assert_eq!(m.bytes(), 0);
        assert_consistent(&m);
    }

    #[test]
    fn next_nonce_counts_the_senders_contiguous_waiting_transactions() {
        let ex = executor();
        let mut m = pool();
        assert_eq!(m.next_nonce(&did(0), 3), 3);
        // Nonces 3, 4 and 6 wait (5 is missing); nonce 2 was used already.
        let r = m.admit(
            &ex,
            vec![tx(0, 3, 1, 100), tx(0, 4, 1, 100), tx(0, 6, 1, 100)],
            AT,
            |_| SenderState {
                account: Account {
                    balance: 1_000_000,
                    nonce: 3,
                    ..Account::default()
                },
                did: None,
            },
        );
        assert!(r.iter().all(|r| r.is_ok()), "{r:?}");
        assert_eq!(m.next_nonce(&did(0), 3), 5);
        // Another sender's queue does not count.
        assert_eq!(m.next_nonce(&did(1), 0), 0);
        // Once 3 is final, the committed nonce is 4 and the answer is the same.
        m.prune(2, &[(did(0), 3, foreign(1))]);
        assert_eq!(m.next_nonce(&did(0), 4), 5);
    }

    #[test]
    fn zero_amount_transfers_are_refused_at_admission() {
        let ex = executor();
        let mut m = pool();
        let zero = Transaction {
            chain_id: CHAIN.into(),
            signer: did(0),
            nonce: 0,
            fee: 1,
            expiry_height: 100,
            actions: vec![
                Action::Accounts(AccountsAction::Transfer {
                    to: did(1),
                    amount: 5,
                }),
                Action::Accounts(AccountsAction::Transfer {
                    to: did(2),
                    amount: 0,
                }),
            ],
        }
        .sign(&key(0));
        let size = zero.encode_size();
        let r = m.admit(&ex, vec![(zero, size)], AT, funded);
        assert!(
            matches!(&r[0], Err(AdmissionError::WouldFail { index: 1, failure }) if failure.code == "zero_amount"),
            "{r:?}"
        );
        assert_eq!(r[0].as_ref().unwrap_err().code(), "zero_amount");
        assert!(m.is_empty());
    }

    #[test]
    fn rejected_submissions_leave_nothing_behind() {
        let ex = executor();
        let mut m = pool();
        let (mut forged, size) = tx(0, 0, 1, 100);
        forged.tx.nonce = 1; // the signature no longer matches
        let results = m.admit(&ex, vec![(forged, size), tx(1, 0, 1, 100)], AT, funded);
        assert!(matches!(
            results[0],
            Err(AdmissionError::Rejected(Rejection::BadSignature(_)))
        ));
        assert!(results[1].is_ok());
        assert_eq!(
            m.admit(&ex, vec![tx(1, 0, 1, 100)], AT, funded)[0],
            Err(AdmissionError::AlreadyKnown)
        );
        assert_eq!(m.len(), 1);
        assert_consistent(&m);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Any sequence of admissions and prunes keeps the indexes consistent and the limits,
        /// and selection returns each sender's transactions in nonce order.
        #[test]
        fn indexes_stay_consistent(
            ops in proptest::collection::vec(
                prop_oneof![
                    (0u64..4, 0u64..20, 1u64..4, 1u64..30).prop_map(|(s, n, f, e)| (0u8, s, n, f, e)),
                    (0u64..4, 0u64..20, 0u64..1, 1u64..30).prop_map(|(s, n, _, h)| (1u8, s, n, 0, h)),
                ],
                1..60,
            )
        ) {
            let ex = executor();
            let mut m = pool();
            for (op, sender, nonce, fee, height) in ops {
                if op == 0 {
                    let _ = m.admit(&ex, vec![tx(sender, nonce, fee, height)], AT, funded);
                } else {
                    // A block at `height - 1` carried another transaction of `sender` with nonce
                    // `nonce - 1`: its nonces below `nonce` are used.
                    let waiting: Vec<TxId> = m.by_id.keys().copied().collect();
                    let included: Vec<(Did, u64, TxId)> = if nonce > 0 {
                        vec![(did(sender), nonce - 1, foreign(0xee))]
                    } else {
                        Vec::new()
                    };
                    m.prune(height - 1, &included);
                    prop_assert!(m.by_expiry.iter().all(|(e, _)| *e >= height));
                    prop_assert!(m.by_sender.get(&did(sender)).is_none_or(|q| q.keys().all(|n| *n >= nonce)));
                    // Every transaction that left the pool says why.
                    for id in waiting.iter().filter(|id| !m.contains(id)) {
                        prop_assert!(matches!(m.status(id), Some(PoolStatus::Dropped(_))));
                    }
                }
                assert_consistent(&m);
                prop_assert!(m.len() <= 64);
                prop_assert!(m.by_sender.values().all(|q| q.len() <= 16));
                let selected = m.select(usize::MAX, |_| 0);
                prop_assert_eq!(selected.len(), m.len());
                let mut last: HashMap<Did, u64> = HashMap::new();
                for t in &selected {
                    if let Some(prev) = last.insert(t.tx.signer.clone(), t.tx.nonce) {
                        prop_assert!(prev < t.tx.nonce);
                    }
                }
            }
        }
    }
}
