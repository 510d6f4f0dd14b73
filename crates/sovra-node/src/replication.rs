//! Replication of pinned public content between nodes (private vault blocks, which live in
//! per-owner namespaces, have their own resolver types in `crate::vault::net`, built on the
//! helpers here: [`Waiters`], [`wake`] and [`assigned_holders_of`]).
//!
//! Blocks travel over their own p2p channel with `commonware-resolver`: a node asks its peers for
//! a block by the SHA-256 digest in its CID, and the answer is stored only if it hashes to that
//! digest (a peer that sends anything else is blocked by the resolver). Three things use it:
//!
//! - the [`Replicator`] task: every finalized pin is assigned to `replication` validators by
//!   rendezvous hashing; each assigned node walks the pinned DAG and fetches what it lacks,
//!   level by level, until the DAG is complete, and re-verifies complete DAGs periodically so a
//!   block corrupted on disk is discarded and fetched again;
//! - [`NetworkBlocks`], the gateway's block source: a block missing locally is fetched from a
//!   peer on demand, so any node serves any pinned content. The peers assigned to hold the
//!   request's root are asked first and, if they do not answer within [`TARGETED_WINDOW`], every
//!   peer; a peer that is down costs one window, not a timeout per request. Before the gateway
//!   answers a file or CAR it makes the whole DAG present ([`NetworkBlocks::ensure_complete`]),
//!   so it never starts a 200 it cannot finish;
//! - [`BlockProducer`], which answers peers' requests from the local store (verifying as it reads).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use commonware_cryptography::{ed25519::PublicKey, sha256::Digest as Sha256Digest};
use commonware_resolver::{Consumer, Delivery, Resolver as _, TargetedResolver as _, p2p};
use commonware_runtime::{Clock, Handle, Spawner};
use commonware_utils::channel::oneshot;
use commonware_utils::vec::NonEmptyVec;
use sovra_cas::{BlockSource, CasError, Cid, block::RAW};
use sovra_store::{ContentStore, Index};

use crate::housekeeping::{since, spawn_passes};

/// The key blocks are fetched by: the SHA-256 digest inside their CID.
pub type BlockKey = Sha256Digest;

/// The resolver's mailbox for content blocks.
pub type BlockMailbox = p2p::Mailbox<BlockKey, PublicKey>;

/// The fetch key of a CID, if its hash is SHA-256 (the only hash replicated).
pub fn key_of(cid: &Cid) -> Option<BlockKey> {
    let hash = cid.hash();
    if hash.code() != sovra_cas::block::SHA2_256 {
        return None;
    }
    let bytes: [u8; 32] = hash.digest().try_into().ok()?;
    Some(Sha256Digest(bytes))
}

/// A CID that addresses the bytes with this digest (the store keys blocks by multihash, so the
/// codec does not matter for lookups).
fn cid_of(key: &BlockKey) -> Option<Cid> {
    let hash = cid::multihash::Multihash::<64>::wrap(sovra_cas::block::SHA2_256, &key.0).ok()?;
    Some(Cid::new_v1(RAW, hash))
}

/// Waiters for blocks being fetched on demand, each with the id of the fetch that waits.
pub type Waiters = Arc<Mutex<HashMap<BlockKey, Vec<(u64, std::sync::mpsc::Sender<()>)>>>>;

/// Ids of on-demand fetches (to remove their waiters when they give up).
static NEXT_FETCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A fresh id for an on-demand fetch's waiters.
pub fn next_fetch_id() -> u64 {
    NEXT_FETCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Wakes everyone waiting for `key`.
pub fn wake(waiters: &Waiters, key: &BlockKey) {
    let waiting = waiters
        .lock()
        .map(|mut w| w.remove(key).unwrap_or_default())
        .unwrap_or_default();
    for (_, waiter) in waiting {
        let _ = waiter.send(());
    }
}

/// Serves peers' block requests from the local store.
#[derive(Clone)]
pub struct BlockProducer {
    content: Arc<ContentStore>,
}

impl BlockProducer {
    /// A producer over `content`.
    pub fn new(content: Arc<ContentStore>) -> Self {
        Self { content }
    }
}

impl p2p::Producer for BlockProducer {
    type Key = BlockKey;

    fn produce(&mut self, key: BlockKey) -> oneshot::Receiver<Bytes> {
        let (tx, rx) = oneshot::channel();
        if let Some(cid) = cid_of(&key)
            && let Ok(Some(data)) = self.content.get_block(&cid)
        {
            let _ = tx.send(Bytes::from(data));
        }
        // Dropping `tx` without sending tells the requester this node lacks the block.
        rx
    }
}

/// Receives fetched blocks: stores those that match their key and wakes on-demand waiters.
#[derive(Clone)]
pub struct BlockConsumer {
    content: Arc<ContentStore>,
    waiters: Waiters,
}

impl Consumer for BlockConsumer {
    type Key = BlockKey;
    type Value = Bytes;
    type Subscriber = ();
    type Outcome = bool;

    fn deliver(
        &mut self,
        delivery: Delivery<BlockKey, ()>,
        value: Bytes,
    ) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        // Only data that does not match its key is the peer's fault (the resolver blocks the
        // peer for it); a local store failure is logged and the block fetched again later.
        let valid = match cid_of(&delivery.key) {
            Some(cid) if sovra_cas::verify_block(&cid, &value).is_ok() => {
                if let Err(e) = self.content.put(&cid, &value) {
                    tracing::warn!(%cid, "storing a replicated block failed: {e}");
                }
                true
            }
            _ => false,
        };
        if valid {
            wake(&self.waiters, &delivery.key);
        }
        let _ = tx.send(valid);
        rx
    }
}

/// Fetches blocks from peers, on demand or in bulk.
#[derive(Clone)]
pub struct BlockFetcher {
    mailbox: BlockMailbox,
    waiters: Waiters,
}

impl BlockFetcher {
    /// Creates the consumer the resolver engine delivers to, and a fetcher once the engine's
    /// mailbox exists (see [`BlockFetcher::new`]).
    pub fn consumer(content: Arc<ContentStore>) -> (BlockConsumer, Waiters) {
        let waiters: Waiters = Arc::default();
        (
            BlockConsumer {
                content,
                waiters: waiters.clone(),
            },
            waiters,
        )
    }

    /// A fetcher over the resolver's mailbox and the consumer's waiters.
    pub fn new(mailbox: BlockMailbox, waiters: Waiters) -> Self {
        Self { mailbox, waiters }
    }

    /// Asks peers for blocks without waiting.
    pub fn request(&self, cids: &[Cid]) {
        let keys: Vec<BlockKey> = cids.iter().filter_map(key_of).collect();
        if !keys.is_empty() {
            let _ = self.mailbox.clone().fetch_all(keys);
        }
    }

    /// Asks for `keys`: only from `targets` (the peers that must hold them) when there are
    /// any, otherwise from any peer (which also clears earlier targets of those keys).
    fn ask(&self, keys: &[BlockKey], targets: &[PublicKey]) {
        let mut mailbox = self.mailbox.clone();
        match NonEmptyVec::try_from(targets.to_vec()) {
            Ok(targets) => {
                let _ = mailbox
                    .fetch_all_targeted(keys.iter().map(|k| (*k, targets.clone())).collect());
            }
            Err(_) => {
                let _ = mailbox.fetch_all(keys.to_vec());
            }
        }
    }

    /// Fetches blocks and waits until every one of them has arrived or `window` passes without
    /// progress. Peers in `targets` are asked first; if they do not deliver within
    /// [`TARGETED_WINDOW`] the fetch is widened to every peer, so a holder that is down costs
    /// one window, not a timeout per attempt. Returns how many arrived. Call from a blocking
    /// thread.
    pub fn fetch_many_blocking(
        &self,
        cids: &[Cid],
        targets: &[PublicKey],
        window: Duration,
    ) -> usize {
        let keys: Vec<BlockKey> = cids.iter().filter_map(key_of).collect();
        if keys.is_empty() {
            return 0;
        }
        let id = next_fetch_id();
        let (tx, rx) = std::sync::mpsc::channel();
        match self.waiters.lock() {
            Ok(mut w) => {
                for key in &keys {
                    w.entry(*key).or_default().push((id, tx.clone()));
                }
            }
            Err(_) => return 0,
        }
        drop(tx);
        self.ask(&keys, targets);
        let mut arrived = 0;
        let mut widened = targets.is_empty();
        let mut last_progress = Instant::now();
        while arrived < keys.len() {
            let limit = if widened {
                window
            } else {
                TARGETED_WINDOW.min(window)
            };
            match rx.recv_timeout(limit.saturating_sub(last_progress.elapsed())) {
                Ok(()) => {
                    arrived += 1;
                    last_progress = Instant::now();
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !widened => {
                    widened = true;
                    last_progress = Instant::now();
                    self.ask(&keys, &[]);
                }
                Err(_) => break,
            }
        }
        if arrived < keys.len() {
            self.give_up(id, &keys);
        }
        arrived
    }

    /// Removes fetch `id`'s waiters and cancels the keys nobody else waits for, so a request
    /// for blocks no peer has leaves no fetch running (the replicator asks again for what it
    /// still needs on its next pass).
    fn give_up(&self, id: u64, keys: &[BlockKey]) {
        let mut unwanted = HashSet::new();
        if let Ok(mut w) = self.waiters.lock() {
            for key in keys {
                if let Some(list) = w.get_mut(key) {
                    list.retain(|(waiter, _)| *waiter != id);
                    if list.is_empty() {
                        w.remove(key);
                        unwanted.insert(*key);
                    }
                }
            }
        }
        if !unwanted.is_empty() {
            let _ = self
                .mailbox
                .clone()
                .retain(move |key, _| !unwanted.contains(key));
        }
    }

    /// Fetches one block and waits for it, up to `timeout`. Call from a blocking thread.
    pub fn fetch_blocking(&self, cid: &Cid, targets: &[PublicKey], timeout: Duration) -> bool {
        self.fetch_many_blocking(std::slice::from_ref(cid), targets, timeout) == 1
    }
}

/// How long an on-demand fetch asks only the peers that must hold a block before asking all.
pub const TARGETED_WINDOW: Duration = Duration::from_secs(2);

/// The validators other than this node that must hold a pinned root (empty when not pinned).
pub type HoldersFn = Arc<dyn Fn(&Cid) -> Vec<PublicKey> + Send + Sync>;

/// The holders of finalized pins of public content, by rendezvous hashing over `validators`,
/// without `me`.
pub fn pin_holders(index: Arc<Index>, validators: Vec<PublicKey>, me: PublicKey) -> HoldersFn {
    Arc::new(move |root: &Cid| {
        let replication = index
            .pin_owners(&sovra_types::ContentId::new(*root))
            .map(|owners| owners.iter().map(|(_, r)| *r).max().unwrap_or(0))
            .unwrap_or(0);
        assigned_holders(root, replication, &validators)
            .into_iter()
            .filter(|v| *v != me)
            .collect()
    })
}

/// The gateway's block source: local blocks, and peers' blocks fetched on demand (each verified
/// by the consumer before it is stored), asking first the peers that hold the request's root.
#[derive(Clone)]
pub struct NetworkBlocks {
    /// Local blocks.
    pub content: Arc<ContentStore>,
    /// Peer fetches; `None` on a single-node network.
    pub fetcher: Option<BlockFetcher>,
    /// How long a read waits for peers without any progress.
    pub timeout: Duration,
    /// Who holds a pinned root (`None`: ask any peer).
    pub holders: Option<HoldersFn>,
    /// The peers to ask first for this source's blocks.
    pub targets: Vec<PublicKey>,
}

impl NetworkBlocks {
    /// The same source, asking first the peers that hold `root` when it is pinned.
    pub fn for_root(&self, root: &Cid) -> Self {
        let mut scoped = self.clone();
        scoped.targets = self.holders.as_ref().map(|h| h(root)).unwrap_or_default();
        scoped
    }

    /// Makes every block of the DAG under `cid` present here, fetching what is missing from
    /// peers (the targets first). Fails with [`CasError::NotFound`] naming a block no peer
    /// delivered within the timeout.
    pub fn ensure_complete(&self, cid: &Cid) -> Result<(), CasError> {
        loop {
            let missing = sovra_cas::dag::absent_blocks(&*self.content, cid, 1024)?;
            let Some(first) = missing.first().copied() else {
                return Ok(());
            };
            let arrived = match &self.fetcher {
                Some(fetcher) => fetcher.fetch_many_blocking(&missing, &self.targets, self.timeout),
                None => 0,
            };
            if arrived == 0 {
                return Err(CasError::NotFound(first));
            }
        }
    }
}

impl BlockSource for NetworkBlocks {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        if let Some(data) = self.content.get_block(cid)? {
            return Ok(Some(data));
        }
        match &self.fetcher {
            Some(fetcher) if fetcher.fetch_blocking(cid, &self.targets, self.timeout) => {
                self.content.get_block(cid)
            }
            _ => Ok(None),
        }
    }

    fn has_block(&self, cid: &Cid) -> Result<bool, CasError> {
        self.content.has_block(cid)
    }
}

/// The validators that must hold `root` when it is pinned with `replication`: the
/// `replication` validators with the highest rendezvous score SHA-256(root || key).
pub fn assigned_holders(root: &Cid, replication: u8, validators: &[PublicKey]) -> Vec<PublicKey> {
    assigned_holders_of(&root.to_bytes(), replication, validators)
}

/// The `replication` validators with the highest rendezvous score SHA-256(seed || key).
pub fn assigned_holders_of(
    root_bytes: &[u8],
    replication: u8,
    validators: &[PublicKey],
) -> Vec<PublicKey> {
    let mut scored: Vec<(sovra_types::Digest, &PublicKey)> = validators
        .iter()
        .map(|v| (sovra_types::sha256(&[root_bytes, v.as_ref()]), v))
        .collect();
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    scored
        .into_iter()
        .take(replication as usize)
        .map(|(_, v)| v.clone())
        .collect()
}

/// The roots a store must hold, each with its replication factor.
pub type RootsFn = Box<dyn Fn() -> crate::error::Result<Vec<(Cid, u8)>> + Send>;

/// The finalized pins of public content, as replication roots.
pub fn pinned_roots(index: Arc<Index>) -> RootsFn {
    Box::new(move || {
        Ok(index
            .pinned_roots()?
            .into_iter()
            .map(|(c, r)| (*c.cid(), r))
            .collect())
    })
}

/// Background replication of the roots assigned to this node.
pub struct Replicator {
    /// What is replicated (for logs): `content` or `vault`.
    pub label: &'static str,
    /// Local blocks.
    pub content: Arc<ContentStore>,
    /// The roots to hold.
    pub roots: RootsFn,
    /// Peer fetches.
    pub fetcher: BlockFetcher,
    /// This node's key.
    pub me: PublicKey,
    /// All validators.
    pub validators: Vec<PublicKey>,
    /// Pause between passes.
    pub interval: Duration,
    /// How often complete DAGs are re-read and verified.
    pub scrub_interval: Duration,
}

impl Replicator {
    /// Runs passes forever on a dedicated task of `context` (see
    /// [`crate::housekeeping::spawn_passes`]).
    pub fn spawn<C: Spawner + Clock>(self, context: C) -> Handle<()> {
        // Roots verified complete, and when.
        let mut complete: HashMap<Vec<u8>, SystemTime> = HashMap::new();
        let (label, interval) = (self.label, self.interval);
        spawn_passes(context, label, interval, move |now| {
            self.pass(now, &mut complete)
        })
    }

    /// One pass at `now`: requests missing blocks of every assigned pin; returns how many were
    /// requested.
    pub fn pass(
        &self,
        now: SystemTime,
        complete: &mut HashMap<Vec<u8>, SystemTime>,
    ) -> crate::error::Result<usize> {
        let pins = (self.roots)()?;
        let live: HashSet<Vec<u8>> = pins.iter().map(|(c, _)| c.to_bytes()).collect();
        complete.retain(|k, _| live.contains(k));
        let mut requested = 0;
        for (root, replication) in pins {
            if !assigned_holders(&root, replication, &self.validators).contains(&self.me) {
                continue;
            }
            let key = root.to_bytes();
            if complete
                .get(&key)
                .is_some_and(|at| since(now, *at) < self.scrub_interval)
            {
                continue;
            }
            let missing = sovra_cas::dag::missing_blocks(&*self.content, &root, 1024)?;
            if missing.is_empty() {
                if complete.insert(key, now).is_none() {
                    tracing::info!(%root, label = self.label, "replicated root complete on this node");
                }
            } else {
                complete.remove(&key);
                requested += missing.len();
                self.fetcher.request(&missing);
            }
        }
        Ok(requested)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::Signer as _;
    use sovra_crypto::SigningKey;

    fn validators(n: u64) -> Vec<PublicKey> {
        (0..n)
            .map(|i| SigningKey::from_test_seed(i).as_commonware().public_key())
            .collect()
    }

    #[test]
    fn assignment_is_deterministic_sized_and_spread() {
        let vs = validators(5);
        let mut counts = std::collections::HashMap::new();
        for i in 0..200u32 {
            let root = sovra_cas::raw_cid(&i.to_be_bytes());
            let holders = assigned_holders(&root, 3, &vs);
            assert_eq!(holders.len(), 3);
            assert_eq!(holders, assigned_holders(&root, 3, &vs), "deterministic");
            let unique: HashSet<_> = holders.iter().collect();
            assert_eq!(unique.len(), 3, "distinct holders");
            for h in holders {
                *counts.entry(h).or_insert(0u32) += 1;
            }
        }
        // Every validator holds a fair share (600 assignments over 5 validators).
        assert_eq!(counts.len(), 5);
        assert!(
            counts.values().all(|c| (60..=180).contains(c)),
            "{counts:?}"
        );
        // Asking for more holders than validators gives all of them.
        assert_eq!(
            assigned_holders(&sovra_cas::raw_cid(b"x"), 16, &vs).len(),
            5
        );
    }

    #[test]
    fn keys_round_trip_through_cids() {
        let cid = sovra_cas::raw_cid(b"block");
        let key = key_of(&cid).unwrap();
        assert_eq!(cid_of(&key).unwrap().hash(), cid.hash());
    }
}
