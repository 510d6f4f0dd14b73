//! The ledger: executes proposed blocks speculatively on top of their parent
//! (so a block's state root is known before it is final), keeps those
//! speculative states until their fate is decided, and commits finalized
//! blocks to the authenticated state and the indexes, in order, exactly once.

use crate::{
    ConsensusError,
    mempool::{AdmitAt, Mempool, PoolStatus, SenderState},
    sync::{SyncBounds, SyncStatus},
};
use commonware_runtime::{
    Clock, Spawner,
    telemetry::metrics::{
        Histogram, MetricsExt, Registered,
        histogram::HistogramExt,
        raw::{Counter, Gauge},
    },
};
use sovra_execution::{
    BlockEnv, BlockOutput, Executor, MemoryState, genesis_changes, genesis_events,
};
use sovra_store::{Index, IndexedBlock, SpeculativeState, StateProof, StateStore, TxLocation};
use sovra_types::{
    Account, Block, BlockHeader, Did, Digest, Genesis, SignedTransaction, StateKey, block::tx_root,
};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

/// Most speculative (not yet finalized) block states kept.
const MAX_PENDING_STATES: usize = 1024;
/// How far back a proposal or verification walks to find a known ancestor state.
pub const MAX_REEXECUTE_DEPTH: usize = 256;
/// How far ahead of the local clock a block's timestamp may be.
pub const MAX_FUTURE_DRIFT_MS: u64 = 10_000;

/// A block executed but not (yet) finalized.
pub struct Executed<E: commonware_storage::Context + Spawner> {
    /// The block's header.
    pub header: BlockHeader,
    /// State after the block.
    pub state: SpeculativeState<E>,
    /// What the block did.
    pub output: Arc<BlockOutput>,
    /// Each signer of the block's transactions and its next nonce after the block.
    pub next_nonces: Arc<HashMap<Did, u64>>,
}

impl<E: commonware_storage::Context + Spawner> Clone for Executed<E> {
    fn clone(&self) -> Self {
        Self {
            header: self.header.clone(),
            state: self.state.clone(),
            output: self.output.clone(),
            next_nonces: self.next_nonces.clone(),
        }
    }
}

/// Each signer of `txs` and its next nonce after them (every transaction in a block uses its
/// nonce, whether its actions succeed or fail).
fn next_nonces(txs: &[SignedTransaction]) -> Arc<HashMap<Did, u64>> {
    let mut next = HashMap::new();
    for t in txs {
        let n = next.entry(t.tx.signer.clone()).or_insert(0);
        *n = (*n).max(t.tx.nonce.saturating_add(1));
    }
    Arc::new(next)
}

/// The newest finalized block.
#[derive(Clone, Debug)]
pub struct Finalized {
    /// Its header.
    pub header: BlockHeader,
    /// Its id.
    pub id: Digest,
}

/// Bucket bounds, in seconds, of the block-processing duration histograms.
const BLOCK_SECONDS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Metrics the ledger exports (Prometheus, at `/metrics`).
#[derive(Clone)]
pub struct LedgerMetrics {
    finalized_height: Registered<Gauge>,
    mempool_txs: Registered<Gauge>,
    txs_finalized: Registered<Counter>,
    txs_failed: Registered<Counter>,
    propose_seconds: Histogram,
    verify_seconds: Histogram,
    finalize_seconds: Histogram,
    admit_seconds: Histogram,
    state_lock_wait_seconds: Histogram,
    index_seconds: Histogram,
    apply_seconds: Histogram,
}

impl LedgerMetrics {
    fn register(context: &impl commonware_runtime::Metrics) -> Self {
        Self {
            finalized_height: context.register(
                "finalized_height",
                "Height of the newest finalized block",
                Gauge::default(),
            ),
            mempool_txs: context.register(
                "mempool_txs",
                "Transactions waiting in the mempool",
                Gauge::default(),
            ),
            txs_finalized: context.register(
                "txs_finalized",
                "Transactions in finalized blocks",
                Counter::default(),
            ),
            txs_failed: context.register(
                "txs_failed",
                "Finalized transactions whose actions failed",
                Counter::default(),
            ),
            propose_seconds: context.histogram(
                "propose_seconds",
                "Time to build and execute a proposed block, lock wait included",
                BLOCK_SECONDS,
            ),
            verify_seconds: context.histogram(
                "verify_seconds",
                "Time to verify (re-execute) a proposed block, lock wait included",
                BLOCK_SECONDS,
            ),
            finalize_seconds: context.histogram(
                "finalize_seconds",
                "Time to commit a finalized block to the state and the indexes, lock wait included",
                BLOCK_SECONDS,
            ),
            admit_seconds: context.histogram(
                "admit_seconds",
                "Time to admit one submitted or gossiped batch of transactions to the mempool",
                BLOCK_SECONDS,
            ),
            index_seconds: context.histogram(
                "index_seconds",
                "Time to write a finalized block to the node's indexes (blocks, transactions, receipts)",
                BLOCK_SECONDS,
            ),
            apply_seconds: context.histogram(
                "apply_seconds",
                "Time to apply a finalized block's changes to the authenticated state durably",
                BLOCK_SECONDS,
            ),
            state_lock_wait_seconds: context.histogram(
                "state_lock_wait_seconds",
                "Time spent waiting for the ledger state lock (proposals, verification, commits and admission share it)",
                BLOCK_SECONDS,
            ),
        }
    }
}

/// The mutable core, behind an async lock.
struct LedgerState<E: commonware_storage::Context + Spawner> {
    /// Authenticated state.
    store: StateStore<E>,
    pending: HashMap<Digest, Executed<E>>,
    finalized: Finalized,
}

/// Where a transaction is, as far as this node knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// In the mempool, waiting or dropped without being included.
    Pool(PoolStatus),
    /// In a finalized block.
    Final(TxLocation),
}

/// Submissions refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// This node is behind the network.
    #[error(transparent)]
    Syncing(#[from] crate::sync::Syncing),
    /// The committed state the checks read could not be read.
    #[error("reading the committed state: {0}")]
    State(#[from] ConsensusError),
}

impl Refusal {
    /// A stable machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Syncing(_) => "syncing",
            Refusal::State(_) => "unavailable",
        }
    }
}

/// Shared handle to the ledger.
pub struct Ledger<E: commonware_storage::Context + Spawner> {
    /// The state machine.
    executor: Executor,
    /// Genesis parameters.
    genesis: Arc<Genesis>,
    /// The genesis block (height 0).
    genesis_block: Block,
    /// Node-local indexes.
    index: Arc<Index>,
    /// Waiting transactions.
    mempool: Arc<Mutex<Mempool>>,
    /// Core state.
    ///
    /// A fair (first come, first served) lock: commits must not starve behind a stream of
    /// proposals and admissions.
    state: Arc<tokio::sync::Mutex<LedgerState<E>>>,
    /// Newest finalized block, readable without the async lock.
    tip: Arc<Mutex<Finalized>>,
    /// Exported metrics.
    metrics: LedgerMetrics,
    /// Where admitted API transactions are queued for gossip to peers.
    gossip: Arc<Mutex<Option<futures::channel::mpsc::Sender<Vec<SignedTransaction>>>>>,
    /// The runtime's clock, for the duration metrics and the tip's age (never for state).
    clock: Arc<E>,
    /// Newest finalized height seen certified by the network (reported by marshal).
    network_height: Arc<AtomicU64>,
    /// Evidence of equivocation the consensus engines saw.
    evidence: crate::evidence::EvidencePool,
}

impl<E: commonware_storage::Context + Spawner> Clone for Ledger<E> {
    fn clone(&self) -> Self {
        Self {
            executor: self.executor.clone(),
            genesis: self.genesis.clone(),
            genesis_block: self.genesis_block.clone(),
            index: self.index.clone(),
            mempool: self.mempool.clone(),
            state: self.state.clone(),
            tip: self.tip.clone(),
            gossip: self.gossip.clone(),
            metrics: self.metrics.clone(),
            clock: self.clock.clone(),
            network_height: self.network_height.clone(),
            evidence: self.evidence.clone(),
        }
    }
}

impl<E: commonware_storage::Context + Spawner + Clock> Ledger<E> {
    /// Opens the ledger: the state store (initializing it from genesis on
    /// first start) and the index. Returns the ledger ready to run.
    pub async fn open(
        context: E,
        prefix: &str,
        genesis: Genesis,
        index: Index,
        mempool: Mempool,
    ) -> Result<Self, ConsensusError> {
        let metrics = LedgerMetrics::register(&context);
        let clock = Arc::new(context.child("clock"));
        let mut store = StateStore::open(context, prefix).await?;
        let executor = Executor::from_genesis(&genesis);
        // The genesis block (height 0): its state root is the root after the
        // genesis state. Computed once, on first start; afterwards it is read
        // back from the index, since the store has moved on.
        let genesis_block = if store.committed_height().await?.is_none() {
            let base = store.committed().await?;
            let genesis_state = store
                .speculate(&base, &genesis_changes(&genesis), 0)
                .await?;
            let genesis_header = BlockHeader {
                parent: genesis.hash(),
                height: 0,
                timestamp_ms: genesis.genesis_time_ms,
                tx_root: tx_root(&[]),
                tx_count: 0,
                state_root: genesis_state.root,
            };
            let block = Block::new(genesis_header, vec![]);
            let events = genesis_events(&genesis);
            index.insert(&IndexedBlock {
                block: &block,
                txs: vec![],
                receipts: vec![],
                events: events.iter().collect(),
            })?;
            store.apply(&genesis_state).await?;
            block
        } else {
            let block = index.block(0)?.ok_or(ConsensusError::MissingBlock(0))?;
            if block.header.parent != genesis.hash() {
                return Err(ConsensusError::GenesisMismatch);
            }
            block
        };
        let height = store.committed_height().await?.unwrap_or(0);
        let block = index
            .block(height)?
            .ok_or(ConsensusError::MissingBlock(height))?;
        if block.header.state_root != store.root() {
            return Err(ConsensusError::StateRootMismatch(height));
        }
        let finalized = Finalized {
            id: block.id(),
            header: block.header.clone(),
        };
        Ok(Self {
            executor,
            genesis: Arc::new(genesis),
            genesis_block,
            index: Arc::new(index),
            mempool: Arc::new(Mutex::new(mempool)),
            tip: Arc::new(Mutex::new(finalized.clone())),
            gossip: Arc::new(Mutex::new(None)),
            metrics,
            clock,
            network_height: Arc::new(AtomicU64::new(finalized.header.height)),
            evidence: Default::default(),
            state: Arc::new(tokio::sync::Mutex::new(LedgerState {
                store,
                pending: HashMap::new(),
                finalized,
            })),
        })
    }

    /// The newest finalized block.
    pub fn finalized(&self) -> Finalized {
        self.tip.lock().expect("tip lock").clone()
    }

    /// The state machine.
    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The genesis block (height 0).
    pub fn genesis_block(&self) -> &Block {
        &self.genesis_block
    }

    /// The node-local indexes of finalized blocks.
    pub fn index(&self) -> &Arc<Index> {
        &self.index
    }

    /// How many transactions wait in the mempool.
    pub fn mempool_len(&self) -> usize {
        self.mempool.lock().expect("mempool lock").len()
    }

    /// Whether transaction `id` waits in the mempool.
    pub fn in_mempool(&self, id: &Digest) -> bool {
        self.mempool.lock().expect("mempool lock").contains(id)
    }

    /// Where transaction `id` is: in the mempool (waiting, or dropped and why), in a finalized
    /// block, or unknown to this node.
    pub fn tx_status(&self, id: &Digest) -> Result<Option<TxStatus>, ConsensusError> {
        // The mempool first: a commit indexes a block before it prunes the mempool, so a
        // transaction gone from the mempool and not recorded as dropped is in the index.
        if let Some(status) = self.pool_status(id) {
            return Ok(Some(TxStatus::Pool(status)));
        }
        Ok(self.index.tx(id)?.map(TxStatus::Final))
    }

    /// Records that the network finalized `height` (marshal's tip, or a peer's certificate).
    pub fn observe_network_height(&self, height: u64) {
        self.network_height.fetch_max(height, Ordering::Relaxed);
    }

    /// Evidence of equivocation this node's consensus engines saw (kept in memory, at most
    /// [`crate::evidence::MAX_EVIDENCE`]).
    pub fn evidence(&self) -> &crate::evidence::EvidencePool {
        &self.evidence
    }

    /// The shared newest finalized height seen from the network (for the reporter).
    pub(crate) fn network_height(&self) -> Arc<AtomicU64> {
        self.network_height.clone()
    }

    /// How far behind the network this node is, and whether that counts as syncing.
    pub fn sync_status(&self) -> SyncStatus {
        let tip = self.finalized();
        SyncStatus::new(
            tip.header.height,
            tip.header.timestamp_ms,
            self.network_height.load(Ordering::Relaxed),
            crate::application::now_ms(&*self.clock),
            SyncBounds::default(),
        )
    }

    /// What the mempool knows about a transaction: waiting, or dropped and why.
    pub fn pool_status(&self, id: &Digest) -> Option<PoolStatus> {
        self.mempool.lock().expect("mempool lock").status(id)
    }

    /// A committed account, the nonce its signer's next new transaction should use (the
    /// committed nonce plus its contiguous waiting transactions), and the committed height; all
    /// read together, so a commit cannot fall between them.
    pub async fn account_with_next_nonce(
        &self,
        did: &Did,
    ) -> Result<(Account, u64, u64), ConsensusError> {
        let st = self.lock_state().await;
        let account = decode_account(did, st.store.get(&StateKey::Account(did.clone())).await?)?;
        let next = self
            .mempool
            .lock()
            .expect("mempool lock")
            .next_nonce(did, account.nonce);
        Ok((account, next, st.finalized.header.height))
    }

    /// Takes the state lock, recording how long that took.
    async fn lock_state(&self) -> tokio::sync::MutexGuard<'_, LedgerState<E>> {
        let start = self.clock.current();
        let guard = self.state.lock().await;
        self.metrics
            .state_lock_wait_seconds
            .observe_between(start, self.clock.current());
        guard
    }

    /// Records the time since `start` in `histogram`; returns it in milliseconds (for logs).
    fn observe_since(&self, histogram: &Histogram, start: std::time::SystemTime) -> u64 {
        histogram.observe_between(start, self.clock.current());
        self.elapsed_ms(start)
    }

    /// Milliseconds since `start` on the runtime's clock (for logs).
    fn elapsed_ms(&self, start: std::time::SystemTime) -> u64 {
        self.clock
            .current()
            .duration_since(start)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    /// Syncs the committed state to disk (its Merkle structure too), waiting for any commit in
    /// progress: a graceful stop calls it so the next start replays nothing.
    pub async fn sync_state(&self) -> Result<(), ConsensusError> {
        Ok(self.lock_state().await.store.sync().await?)
    }

    /// The committed height and the root of the committed state, read together under the state
    /// lock (under which a commit moves both).
    pub async fn committed_root(&self) -> (u64, Digest) {
        let st = self.lock_state().await;
        (self.finalized().header.height, st.store.root())
    }

    /// Reads a committed state value.
    pub async fn state_value(&self, key: &StateKey) -> Result<Option<Vec<u8>>, ConsensusError> {
        let st = self.lock_state().await;
        Ok(st.store.get(key).await?)
    }

    /// Reads a committed account.
    pub async fn account(&self, did: &Did) -> Result<Account, ConsensusError> {
        decode_account(
            did,
            self.state_value(&StateKey::Account(did.clone())).await?,
        )
    }

    /// Proofs of `keys` against the committed state, with the header of the newest finalized
    /// block; read together under the state lock. A proof's root differs from the header's
    /// state root only while a commit is between its steps.
    pub async fn prove(
        &self,
        keys: &[StateKey],
    ) -> Result<(Vec<StateProof>, BlockHeader), ConsensusError> {
        let st = self.lock_state().await;
        let mut proofs = Vec::with_capacity(keys.len());
        for key in keys {
            proofs.push(st.store.prove(key).await?);
        }
        Ok((proofs, self.finalized().header))
    }

    /// The state after `parent` (a block id): speculative if known, committed
    /// if it is the finalized tip; `None` if unknown.
    async fn state_after(
        st: &LedgerState<E>,
        parent: &Digest,
    ) -> Result<Option<SpeculativeState<E>>, ConsensusError> {
        if let Some(e) = st.pending.get(parent) {
            return Ok(Some(e.state.clone()));
        }
        if *parent == st.finalized.id {
            return Ok(Some(st.store.committed().await?));
        }
        Ok(None)
    }

    /// Executes `block` on `parent_state` and checks its header; records it.
    async fn execute_known(
        &self,
        st: &mut LedgerState<E>,
        parent_state: &SpeculativeState<E>,
        block: &Block,
    ) -> Result<Option<Executed<E>>, ConsensusError> {
        if !block.tx_root_matches() || block.txs.len() > sovra_types::limits::MAX_BLOCK_TXS {
            return Ok(None);
        }
        let reads = st
            .store
            .read(parent_state, &self.executor.touched_keys(&block.txs))
            .await?;
        // Transactions waiting in our mempool had these exact bytes (the id
        // hashes the signed encoding) verified at admission.
        let verified: Vec<bool> = {
            let mempool = self.mempool.lock().expect("mempool lock");
            block
                .txs
                .iter()
                .map(|t| mempool.contains(&t.id()))
                .collect()
        };
        let env = BlockEnv {
            height: block.height(),
            timestamp_ms: block.header.timestamp_ms,
        };
        let output = match self
            .executor
            .execute_block_with(&reads, env, &block.txs, |i| verified[i])
        {
            Ok(o) => o,
            Err(sovra_execution::ExecError::Rejected { index, rejection }) => {
                tracing::warn!(height = block.height(), index, %rejection, "block has an invalid transaction");
                return Ok(None);
            }
            Err(e @ sovra_execution::ExecError::TooManyTxs { .. }) => {
                tracing::warn!(height = block.height(), %e, "block is too large");
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let state = st
            .store
            .speculate(parent_state, &output.changes, block.height())
            .await?;
        if state.root != block.header.state_root {
            tracing::warn!(
                height = block.height(),
                "block state root does not match re-execution"
            );
            return Ok(None);
        }
        let executed = Executed {
            header: block.header.clone(),
            state,
            output: Arc::new(output),
            next_nonces: next_nonces(&block.txs),
        };
        Self::remember(st, block.id(), executed.clone());
        Ok(Some(executed))
    }

    /// Next nonce of each signer after the speculative (executed, not finalized) chain ending
    /// at `tip`; signers the chain does not touch are absent.
    fn pending_nonces(st: &LedgerState<E>, tip: &Digest) -> HashMap<Did, u64> {
        let mut next: HashMap<Did, u64> = HashMap::new();
        let mut at = *tip;
        // Newest first; a chain of pending states never outgrows MAX_PENDING_STATES.
        while let Some(e) = st.pending.get(&at) {
            if e.header.height <= st.finalized.header.height {
                break;
            }
            for (signer, n) in e.next_nonces.iter() {
                next.entry(signer.clone()).or_insert(*n);
            }
            at = e.header.parent;
        }
        next
    }

    fn remember(st: &mut LedgerState<E>, id: Digest, executed: Executed<E>) {
        if st.pending.len() >= MAX_PENDING_STATES {
            // Drop the oldest speculative states; they can be re-executed if needed.
            let mut heights: Vec<(u64, Digest)> = st
                .pending
                .iter()
                .map(|(d, e)| (e.header.height, *d))
                .collect();
            heights.sort();
            for (_, d) in heights.iter().take(MAX_PENDING_STATES / 4) {
                st.pending.remove(d);
            }
        }
        st.pending.insert(id, executed);
    }

    /// Takes the state lock together with the state after `parent`, re-executing the
    /// ancestors it has not seen from `ancestors` (newest first; marshal fetches them from
    /// peers). The lock is released while waiting for an ancestor: a fetch can wait for as long
    /// as the node is cut off, and every reader of the state (account queries, admission,
    /// finalization) would wait with it. `None` when the state cannot be known: the parent is
    /// on a dead fork, the ancestry is deeper than [`MAX_REEXECUTE_DEPTH`], or it ends early or
    /// does not link up.
    async fn lock_with_parent_state(
        &self,
        parent: &Block,
        ancestors: &mut (impl futures::Stream<Item = Block> + Unpin),
    ) -> Result<
        Option<(
            tokio::sync::MutexGuard<'_, LedgerState<E>>,
            SpeculativeState<E>,
        )>,
        ConsensusError,
    > {
        use futures::StreamExt;
        // The ancestors fetched so far, newest (the parent's parent) first.
        let mut fetched: Vec<Block> = Vec::new();
        loop {
            let mut st = self.lock_state().await;
            if let Some(s) = Self::state_after(&st, &parent.id()).await? {
                return Ok(Some((st, s)));
            }
            let finalized = st.finalized.header.height;
            if parent.height() <= finalized {
                // At or below the finalized tip but not the tip: a dead fork.
                return Ok(None);
            }
            // The newest ancestor whose state is known (it can have become known, or final,
            // while the lock was released): replay forward from it.
            let mut want = parent.header.parent;
            let mut known = None;
            for k in 0..=fetched.len() {
                if let Some(s) = Self::state_after(&st, &want).await? {
                    known = Some((k, s));
                    break;
                }
                if let Some(b) = fetched.get(k) {
                    if b.height() <= finalized {
                        return Ok(None);
                    }
                    want = b.header.parent;
                }
            }
            if let Some((k, mut state)) = known {
                for b in fetched[..k].iter().rev().chain(std::iter::once(parent)) {
                    match self.execute_known(&mut st, &state, b).await? {
                        Some(e) => state = e.state,
                        None => return Ok(None),
                    }
                }
                return Ok(Some((st, state)));
            }
            if fetched.len() + 1 >= MAX_REEXECUTE_DEPTH {
                return Ok(None);
            }
            drop(st);
            let Some(b) = ancestors.next().await else {
                return Ok(None);
            };
            if b.id() != want {
                return Ok(None);
            }
            fetched.push(b);
        }
    }

    /// Builds a block on `parent` from the mempool.
    pub async fn propose(
        &self,
        parent: &Block,
        ancestors: &mut (impl futures::Stream<Item = Block> + Unpin),
        now_ms: u64,
    ) -> Result<Option<Block>, ConsensusError> {
        let start = self.clock.current();
        let result = self.build_proposal(parent, ancestors, now_ms).await;
        let ms = self.observe_since(&self.metrics.propose_seconds, start);
        if let Ok(Some(block)) = &result {
            tracing::debug!(
                height = block.height(),
                txs = block.txs.len(),
                ms,
                "proposed"
            );
        }
        result
    }

    async fn build_proposal(
        &self,
        parent: &Block,
        ancestors: &mut (impl futures::Stream<Item = Block> + Unpin),
        now_ms: u64,
    ) -> Result<Option<Block>, ConsensusError> {
        let Some((mut st, parent_state)) = self.lock_with_parent_state(parent, ancestors).await?
        else {
            return Ok(None);
        };
        let height = parent.height() + 1;
        let timestamp_ms = now_ms.max(parent.header.timestamp_ms);
        // Skip what the not yet finalized ancestors already include: the mempool drops
        // transactions only when their block is final.
        let t = self.clock.current();
        let included = Self::pending_nonces(&st, &parent.id());
        let params = st.store.read(&parent_state, &[StateKey::Params]).await?;
        let max_block_txs = self.executor.params_at(&params, height)?.max_block_txs;
        let candidates = self
            .mempool
            .lock()
            .expect("mempool lock")
            .select(max_block_txs as usize * 2, |signer| {
                included.get(signer).copied().unwrap_or(0)
            });
        let select_ms = self.elapsed_ms(t);
        let t = self.clock.current();
        let reads = st
            .store
            .read(&parent_state, &self.executor.touched_keys(&candidates))
            .await?;
        let (txs, output) = self.executor.build_block(
            &reads,
            BlockEnv {
                height,
                timestamp_ms,
            },
            candidates,
        )?;
        let execute_ms = self.elapsed_ms(t);
        let t = self.clock.current();
        let state = st
            .store
            .speculate(&parent_state, &output.changes, height)
            .await?;
        let merkleize_ms = self.elapsed_ms(t);
        tracing::debug!(height, select_ms, execute_ms, merkleize_ms, "built");
        let header = BlockHeader {
            parent: parent.id(),
            height,
            timestamp_ms,
            tx_root: tx_root(&txs),
            tx_count: txs.len() as u32,
            state_root: state.root,
        };
        let nonces = next_nonces(&txs);
        let block = Block::new(header.clone(), txs);
        Self::remember(
            &mut st,
            block.id(),
            Executed {
                header,
                state,
                output: Arc::new(output),
                next_nonces: nonces,
            },
        );
        Ok(Some(block))
    }

    /// Verifies a proposed block on its parent: timestamps, transactions,
    /// and that re-execution gives the state root in its header.
    pub async fn verify(
        &self,
        block: &Block,
        parent: &Block,
        ancestors: &mut (impl futures::Stream<Item = Block> + Unpin),
        now_ms: u64,
    ) -> Result<bool, ConsensusError> {
        let start = self.clock.current();
        let result = self.check_proposal(block, parent, ancestors, now_ms).await;
        let ms = self.observe_since(&self.metrics.verify_seconds, start);
        tracing::debug!(height = block.height(), txs = block.txs.len(), ms, valid = ?result.as_ref().ok(), "verified");
        result
    }

    async fn check_proposal(
        &self,
        block: &Block,
        parent: &Block,
        ancestors: &mut (impl futures::Stream<Item = Block> + Unpin),
        now_ms: u64,
    ) -> Result<bool, ConsensusError> {
        if block.header.parent != parent.id()
            || block.height() != parent.height() + 1
            || block.header.timestamp_ms < parent.header.timestamp_ms
            || block.header.timestamp_ms > now_ms + MAX_FUTURE_DRIFT_MS
        {
            return Ok(false);
        }
        if self.lock_state().await.pending.contains_key(&block.id()) {
            return Ok(true);
        }
        let Some((mut st, parent_state)) = self.lock_with_parent_state(parent, ancestors).await?
        else {
            return Ok(false);
        };
        if st.pending.contains_key(&block.id()) {
            return Ok(true);
        }
        Ok(self
            .execute_known(&mut st, &parent_state, block)
            .await?
            .is_some())
    }

    /// Commits a finalized block (idempotent: blocks at or below the
    /// committed height are skipped). Blocks arrive in height order.
    pub async fn finalize(&self, block: &Block) -> Result<(), ConsensusError> {
        let start = self.clock.current();
        let result = self.commit(block).await;
        let ms = self.observe_since(&self.metrics.finalize_seconds, start);
        tracing::debug!(
            height = block.height(),
            txs = block.txs.len(),
            ms,
            "committed"
        );
        result
    }

    async fn commit(&self, block: &Block) -> Result<(), ConsensusError> {
        // Only the finalizer task commits, one block at a time, so the finalized tip cannot
        // move between the steps below; proposals, verification and admission may run between
        // them.
        let executed = {
            let mut st = self.lock_state().await;
            let committed = st.finalized.header.height;
            if block.height() <= committed {
                return Ok(());
            }
            if block.height() != committed + 1 || block.header.parent != st.finalized.id {
                return Err(ConsensusError::NotExtendingTip {
                    height: block.height(),
                    committed,
                });
            }
            match st.pending.get(&block.id()).cloned() {
                Some(e) => e,
                None => {
                    let base = st.store.committed().await?;
                    self.execute_known(&mut st, &base, block)
                        .await?
                        .ok_or(ConsensusError::Diverged(block.height()))?
                }
            }
        };
        // The index is node-local (not authenticated state): written without the state lock.
        // It is written first; on restart the state store's height decides what is committed.
        let outcomes = &executed.output.outcomes;
        let indexed = IndexedBlock {
            block,
            txs: outcomes
                .iter()
                .map(|o| (o.tx_id, o.status.clone(), o.fee))
                .collect(),
            receipts: outcomes
                .iter()
                .flat_map(|o| o.entries.iter().map(|(d, e)| (d, e)))
                .collect(),
            events: executed.output.events().collect(),
        };
        let start = self.clock.current();
        self.index.insert(&indexed)?;
        let index_ms = self.observe_since(&self.metrics.index_seconds, start);

        let mut st = self.lock_state().await;
        let start = self.clock.current();
        st.store.apply(&executed.state).await?;
        let apply_ms = self.observe_since(&self.metrics.apply_seconds, start);
        st.finalized = Finalized {
            id: block.id(),
            header: block.header.clone(),
        };
        let h = block.height();
        st.pending.retain(|_, e| e.header.height > h);
        *self.tip.lock().expect("tip lock") = st.finalized.clone();
        self.observe_network_height(h);

        // Drop included and now-invalid transactions from the mempool while the state lock is
        // still held, so admission (which reads state and inserts under the same lock) never
        // admits against the previous state what this block made invalid.
        let included: Vec<(Did, u64, Digest)> = block
            .txs
            .iter()
            .zip(outcomes)
            .map(|(t, o)| (t.tx.signer.clone(), t.tx.nonce, o.tx_id))
            .collect();
        let mut mempool = self.mempool.lock().expect("mempool lock");
        mempool.prune(h, &included);
        self.metrics.mempool_txs.set(mempool.len() as i64);
        drop(mempool);
        drop(st);
        tracing::debug!(height = h, index_ms, apply_ms, "stored");

        self.metrics.finalized_height.set(h as i64);
        self.metrics.txs_finalized.inc_by(outcomes.len() as u64);
        let failed = outcomes
            .iter()
            .filter(|o| matches!(o.status, sovra_types::ReceiptStatus::Failed { .. }))
            .count();
        self.metrics.txs_failed.inc_by(failed as u64);
        Ok(())
    }

    /// Connects the gossip queue.
    pub fn set_gossip(&self, queue: futures::channel::mpsc::Sender<Vec<SignedTransaction>>) {
        *self.gossip.lock().expect("gossip lock") = Some(queue);
    }

    /// Admits transactions submitted by a client and gossips the accepted ones; refuses them
    /// all while this node is behind the network (see [`crate::sync`]).
    pub async fn admit(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> Result<Vec<Result<Digest, crate::mempool::AdmissionError>>, Refusal> {
        let sync = self.sync_status();
        if sync.syncing {
            return Err(crate::sync::Syncing(sync).into());
        }
        let copies: Vec<SignedTransaction> = txs.iter().map(|(t, _)| t.clone()).collect();
        let results = self.admit_from_peer(txs).await?;
        let accepted: Vec<SignedTransaction> = copies
            .into_iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(t, _)| t)
            .collect();
        // A full queue drops gossip, never the transactions.
        if !accepted.is_empty()
            && let Some(q) = self.gossip.lock().expect("gossip lock").as_mut()
        {
            let _ = q.try_send(accepted);
        }
        Ok(results)
    }

    /// Admits transactions without gossiping them (from peers, or before gossip starts). Fails
    /// as a whole, admitting nothing, when the senders' committed state cannot be read.
    pub async fn admit_from_peer(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> Result<Vec<Result<Digest, crate::mempool::AdmissionError>>, ConsensusError> {
        let start = self.clock.current();
        let results = self.admit_checked(txs).await;
        self.observe_since(&self.metrics.admit_seconds, start);
        results
    }

    async fn admit_checked(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> Result<Vec<Result<Digest, crate::mempool::AdmissionError>>, ConsensusError> {
        // Signatures need no state: checked before any lock is taken.
        let signatures = Mempool::verify_signatures(&self.executor, &txs);
        let mut senders: Vec<Did> = txs.iter().map(|(t, _)| t.tx.signer.clone()).collect();
        senders.sort();
        senders.dedup();
        let mut accounts = HashMap::new();
        // The state is read and the transactions inserted under the state lock: a commit (which
        // prunes the mempool under the same lock) cannot fall between them, so nothing is
        // admitted against a state that a just-committed block made stale.
        let st = self.lock_state().await;
        for s in senders {
            let mut reads = MemoryState::default();
            for key in Executor::sender_keys(&s) {
                if let Some(value) = st.store.get(&key).await? {
                    reads.values.insert(key, value);
                }
            }
            let (account, did) = Executor::read_sender(&reads, &s)?;
            accounts.insert(s, SenderState { account, did });
        }
        let next_height = st.finalized.header.height + 1;
        let mut params = MemoryState::default();
        if let Some(value) = st.store.get(&StateKey::Params).await? {
            params.values.insert(StateKey::Params, value);
        }
        let at = AdmitAt {
            height: next_height,
            min_fee: self.executor.params_at(&params, next_height)?.min_fee,
        };
        let mut mempool = self.mempool.lock().expect("mempool lock");
        let results = mempool.admit_verified(&self.executor, txs, &signatures, at, |d| {
            accounts.get(d).cloned().unwrap_or_default()
        });
        self.metrics.mempool_txs.set(mempool.len() as i64);
        drop(mempool);
        drop(st);
        Ok(results)
    }
}

/// Decodes the committed account record of `did` (an absent one is empty).
fn decode_account(did: &Did, bytes: Option<Vec<u8>>) -> Result<Account, ConsensusError> {
    let mut reads = MemoryState::default();
    if let Some(bytes) = bytes {
        reads.values.insert(StateKey::Account(did.clone()), bytes);
    }
    Ok(Executor::read_sender(&reads, did)?.0)
}
