//! Replication of private vault blocks between nodes, always within one owner's namespace.
//!
//! Vault blocks travel on their own p2p channel (7) with `commonware-resolver`, keyed by their
//! namespaced storage key ([`vault_block_key`]: SHA-256 over the owner DID and the block's
//! multihash). A node that wants a block of `owner`'s record asks for that key, with the owner
//! and CID as the fetch's subscriber; a peer answers only from that owner's namespace, and the
//! answer is stored in that namespace only if it hashes to the CID. So replication, like
//! uploads and reads, never moves a block from one owner's namespace to another's:
//!
//! - [`VaultReplicator`]: every live record's roots are assigned to `replication` validators by
//!   rendezvous hashing over the namespaced root key; each assigned node fetches what it lacks
//!   of the DAG and re-verifies complete DAGs periodically;
//! - [`NetworkVaultBlocks`]: one owner's blocks here, and at peers fetched on demand (what the
//!   API releases to the owner and grantees);
//! - [`VaultProducer`] answers peers' requests from the local store (verifying as it reads).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use commonware_cryptography::{ed25519::PublicKey, sha256::Digest as Sha256Digest};
use commonware_resolver::{Consumer, Delivery, Fetch, Resolver as _, p2p};
use commonware_runtime::{Clock, Handle, Spawner};
use commonware_utils::channel::oneshot;
use sovra_cas::{BlockSource, CasError, Cid};
use sovra_store::{VaultStore, vault_block_key};
use sovra_types::Did;

use crate::housekeeping::{since, spawn_passes};
use crate::replication::{BlockKey, Waiters, assigned_holders_of, next_fetch_id, wake};

/// What a vault fetch is for: the block `cid` in `owner`'s namespace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct VaultWant {
    /// The namespace.
    pub owner: Did,
    /// The block.
    pub cid: Cid,
}

/// The resolver's mailbox for vault blocks.
pub type VaultMailbox = p2p::Mailbox<BlockKey, PublicKey, VaultWant>;

/// The fetch key of `cid` in `owner`'s namespace.
pub fn fetch_key(owner: &Did, cid: &Cid) -> BlockKey {
    Sha256Digest(vault_block_key(owner, cid))
}

/// Serves peers' requests for namespaced vault blocks from the local store.
#[derive(Clone)]
pub struct VaultProducer {
    store: Arc<VaultStore>,
}

impl VaultProducer {
    /// A producer over `store`.
    pub fn new(store: Arc<VaultStore>) -> Self {
        Self { store }
    }
}

impl p2p::Producer for VaultProducer {
    type Key = BlockKey;

    fn produce(&mut self, key: BlockKey) -> oneshot::Receiver<Bytes> {
        let (tx, rx) = oneshot::channel();
        if let Ok(Some(data)) = self.store.get_by_key(&key.0) {
            let _ = tx.send(Bytes::from(data));
        }
        // Dropping `tx` without sending tells the requester this node lacks the block.
        rx
    }
}

/// Stores fetched blocks in the namespace they were asked for (if they match their CID) and
/// wakes on-demand waiters.
#[derive(Clone)]
pub struct VaultConsumer {
    store: Arc<VaultStore>,
    waiters: Waiters,
}

impl Consumer for VaultConsumer {
    type Key = BlockKey;
    type Value = Bytes;
    type Subscriber = VaultWant;
    type Outcome = bool;

    fn deliver(
        &mut self,
        delivery: Delivery<BlockKey, VaultWant>,
        value: Bytes,
    ) -> oneshot::Receiver<bool> {
        let (tx, rx) = oneshot::channel();
        // Every subscriber of one key wants the same namespace and multihash.
        // Only data that does not match what was asked is the peer's fault (the resolver blocks
        // the peer for it); a local store failure is logged and the block fetched again later.
        let valid = delivery.subscribers.iter().any(|(want, _)| {
            fetch_key(&want.owner, &want.cid) == delivery.key
                && sovra_cas::verify_block(&want.cid, &value).is_ok()
                && match self.store.put(&want.owner, &want.cid, &value) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!(cid = %want.cid, "storing a replicated vault block failed: {e}");
                        true
                    }
                }
        });
        if valid {
            wake(&self.waiters, &delivery.key);
        }
        let _ = tx.send(valid);
        rx
    }
}

/// Fetches vault blocks from peers, on demand or in bulk.
#[derive(Clone)]
pub struct VaultFetcher {
    mailbox: VaultMailbox,
    waiters: Waiters,
}

impl VaultFetcher {
    /// The consumer the resolver engine delivers to, and the waiters a fetcher shares with it.
    pub fn consumer(store: Arc<VaultStore>) -> (VaultConsumer, Waiters) {
        let waiters: Waiters = Arc::default();
        (
            VaultConsumer {
                store,
                waiters: waiters.clone(),
            },
            waiters,
        )
    }

    /// A fetcher over the resolver's mailbox and the consumer's waiters.
    pub fn new(mailbox: VaultMailbox, waiters: Waiters) -> Self {
        Self { mailbox, waiters }
    }

    fn fetch_of(owner: &Did, cid: &Cid) -> Fetch<BlockKey, VaultWant> {
        Fetch {
            key: fetch_key(owner, cid),
            subscriber: VaultWant {
                owner: owner.clone(),
                cid: *cid,
            },
            span: tracing::Span::none(),
        }
    }

    /// Asks peers for blocks of `owner`'s namespace without waiting.
    pub fn request(&self, owner: &Did, cids: &[Cid]) {
        let fetches: Vec<_> = cids.iter().map(|c| Self::fetch_of(owner, c)).collect();
        if !fetches.is_empty() {
            let _ = self.mailbox.clone().fetch_all(fetches);
        }
    }

    /// Fetches one block of `owner`'s namespace and waits for it, up to `timeout`; a fetch
    /// that times out is cancelled (the replicator asks again for what a live record needs).
    /// Call from a blocking thread.
    pub fn fetch_blocking(&self, owner: &Did, cid: &Cid, timeout: Duration) -> bool {
        let key = fetch_key(owner, cid);
        let id = next_fetch_id();
        let (tx, rx) = std::sync::mpsc::channel();
        match self.waiters.lock() {
            Ok(mut w) => w.entry(key).or_default().push((id, tx)),
            Err(_) => return false,
        }
        let _ = self.mailbox.clone().fetch(Self::fetch_of(owner, cid));
        let found = rx.recv_timeout(timeout).is_ok();
        if !found {
            // Remove this fetch's waiter; cancel the fetch only if nobody else waits for it.
            let unwanted = match self.waiters.lock() {
                Ok(mut w) => match w.get_mut(&key) {
                    Some(list) => {
                        list.retain(|(waiter, _)| *waiter != id);
                        let empty = list.is_empty();
                        if empty {
                            w.remove(&key);
                        }
                        empty
                    }
                    None => true,
                },
                Err(_) => false,
            };
            if unwanted {
                let _ = self.mailbox.clone().retain(move |k, _| *k != key);
            }
        }
        found
    }
}

/// One owner's vault blocks: here, or fetched from peers on demand (each verified before it
/// is stored, in that owner's namespace).
pub struct NetworkVaultBlocks {
    /// Local blocks.
    pub store: Arc<VaultStore>,
    /// Whose namespace.
    pub owner: Did,
    /// Peer fetches; `None` on a single-node network.
    pub fetcher: Option<VaultFetcher>,
    /// How long a read waits for a peer.
    pub timeout: Duration,
}

impl BlockSource for NetworkVaultBlocks {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        if let Some(data) = self.store.get(&self.owner, cid)? {
            return Ok(Some(data));
        }
        match &self.fetcher {
            Some(f) if f.fetch_blocking(&self.owner, cid, self.timeout) => {
                self.store.get(&self.owner, cid)
            }
            _ => Ok(None),
        }
    }
}

/// The vault roots a node must hold: each root with its owner (namespace) and replication.
pub type VaultRootsFn = Box<dyn Fn() -> crate::error::Result<Vec<(Did, Cid, u8)>> + Send>;

/// Background replication of the vault roots assigned to this node.
pub struct VaultReplicator {
    /// Local blocks.
    pub store: Arc<VaultStore>,
    /// The roots to hold.
    pub roots: VaultRootsFn,
    /// Peer fetches.
    pub fetcher: VaultFetcher,
    /// This node's key.
    pub me: PublicKey,
    /// All validators.
    pub validators: Vec<PublicKey>,
    /// Pause between passes.
    pub interval: Duration,
    /// How often complete DAGs are re-read and verified.
    pub scrub_interval: Duration,
}

impl VaultReplicator {
    /// Runs passes forever on a dedicated task of `context` (see
    /// [`crate::housekeeping::spawn_passes`]).
    pub fn spawn<C: Spawner + Clock>(self, context: C) -> Handle<()> {
        let mut complete = HashMap::new();
        let interval = self.interval;
        spawn_passes(context, "vault replication", interval, move |now| {
            self.pass(now, &mut complete)
        })
    }

    /// One pass at `now`: requests the missing blocks of every assigned root, in its owner's
    /// namespace; returns how many were requested.
    pub fn pass(
        &self,
        now: SystemTime,
        complete: &mut HashMap<BlockKey, SystemTime>,
    ) -> crate::error::Result<usize> {
        let roots = (self.roots)()?;
        let live: std::collections::HashSet<BlockKey> = roots
            .iter()
            .map(|(owner, root, _)| fetch_key(owner, root))
            .collect();
        complete.retain(|k, _| live.contains(k));
        let mut requested = 0;
        for (owner, root, replication) in roots {
            let key = fetch_key(&owner, &root);
            if !assigned_holders_of(&key.0, replication, &self.validators).contains(&self.me) {
                continue;
            }
            if complete
                .get(&key)
                .is_some_and(|at| since(now, *at) < self.scrub_interval)
            {
                continue;
            }
            let missing = sovra_cas::dag::missing_blocks(&self.store.view(&owner), &root, 1024)?;
            if missing.is_empty() {
                if complete.insert(key, now).is_none() {
                    tracing::info!(%root, %owner, "vault root complete on this node");
                }
            } else {
                complete.remove(&key);
                requested += missing.len();
                self.fetcher.request(&owner, &missing);
            }
        }
        Ok(requested)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_resolver::p2p::Producer as _;
    use sovra_cas::raw_cid;

    fn did(n: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(n).public_key())
    }

    fn delivery(owner: &Did, cid: &Cid, key: BlockKey) -> Delivery<BlockKey, VaultWant> {
        Delivery {
            key,
            subscribers: commonware_utils::vec::NonEmptyVec::new((
                VaultWant {
                    owner: owner.clone(),
                    cid: *cid,
                },
                tracing::Span::none(),
            )),
        }
    }

    #[test]
    fn deliveries_land_in_the_namespace_asked_for_and_only_if_they_match() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(VaultStore::open(&dir.path().join("v.redb")).unwrap());
        let (mut consumer, _) = VaultFetcher::consumer(store.clone());
        let (a, b) = (did(1), did(2));
        let cid = raw_cid(b"block");
        let mut deliver = |d, bytes: &'static [u8]| {
            consumer
                .deliver(d, Bytes::from_static(bytes))
                .try_recv()
                .unwrap()
        };
        // Wrong bytes: refused.
        assert!(!deliver(delivery(&a, &cid, fetch_key(&a, &cid)), b"other"));
        assert!(!store.contains(&a, &cid).unwrap());
        // A key that is not the subscriber's namespace: refused.
        assert!(!deliver(delivery(&a, &cid, fetch_key(&b, &cid)), b"block"));
        assert!(!store.contains(&a, &cid).unwrap() && !store.contains(&b, &cid).unwrap());
        assert!(deliver(delivery(&a, &cid, fetch_key(&a, &cid)), b"block"));
        assert!(store.contains(&a, &cid).unwrap());
        assert!(!store.contains(&b, &cid).unwrap());
        // A peer asking for B's copy gets nothing; for A's, the block.
        let mut producer = VaultProducer::new(store);
        let mut none = producer.produce(fetch_key(&b, &cid));
        assert!(none.try_recv().is_err());
        let mut some = producer.produce(fetch_key(&a, &cid));
        assert_eq!(some.try_recv().unwrap(), Bytes::from_static(b"block"));
    }
}
