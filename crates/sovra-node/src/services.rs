//! The storage services a node runs beside consensus, wired in one place: a block resolver per
//! store, each on its own p2p channel (public content and private vault blocks never mix), the
//! replicators that fetch what this node is assigned, the content garbage collector and the
//! vault keeper. `sovra node` starts them over the authenticated network
//! ([`crate::node::run`]); the simulation campaign (`sovra-sim`) starts the same services over
//! commonware's simulated network, so what it checks is what a node runs.

use std::sync::Arc;
use std::time::Duration;

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Supervisor};
use commonware_utils::{NZDuration, NZUsize};
use sovra_consensus::Ledger;
use sovra_store::{ContentStore, Index, VaultLog, VaultStore};

use crate::replication::{BlockFetcher, BlockProducer, Replicator, pinned_roots};
use crate::vault::net::{VaultFetcher, VaultProducer, VaultReplicator};
use crate::vault::{VaultKeeper, replication_roots};

/// A node's stores of data outside the ledger.
#[derive(Clone)]
pub struct Stores {
    /// Public content blocks.
    pub content: Arc<ContentStore>,
    /// Private vault blocks, per owner namespace.
    pub vault: Arc<VaultStore>,
    /// The vault's access log.
    pub vault_log: Arc<VaultLog>,
}

/// How often the services run, and how long a fetch may take.
#[derive(Clone, Copy, Debug)]
pub struct ServiceTimings {
    /// Pause between replication passes (content and vault) and vault keeper passes.
    pub replication_interval: Duration,
    /// How often complete DAGs are re-read and verified.
    pub scrub_interval: Duration,
    /// How often unpinned content and unanchored vault uploads past their grace are collected.
    pub gc_interval: Duration,
    /// Least time between two rewrites of the vault store after erasures.
    pub vault_rewrite_interval: Duration,
    /// How long one block fetch from peers may take before it is retried.
    pub fetch_timeout: Duration,
}

/// The fetchers of a node's two resolvers, for the services and the API.
#[derive(Clone)]
pub struct Fetchers {
    /// Public content blocks.
    pub content: BlockFetcher,
    /// Private vault blocks.
    pub vault: VaultFetcher,
}

/// The p2p channels of a node's two resolvers: a sender and a receiver each.
pub struct StoreChannels<S, R> {
    /// Public content blocks.
    pub content: (S, R),
    /// Private vault blocks.
    pub vault: (S, R),
}

/// Starts the content and vault resolvers of node `me` on their channels: each serves its
/// store to peers and stores what it fetches (vault blocks per owner namespace).
pub fn start_resolvers<E, P, B, S, R>(
    context: &E,
    peer_provider: P,
    blocker: B,
    me: PublicKey,
    stores: &Stores,
    channels: StoreChannels<S, R>,
    fetch_timeout: Duration,
) -> Fetchers
where
    E: Clock + Spawner + Metrics + rand_core::Rng,
    P: Provider<PublicKey = PublicKey>,
    B: Blocker<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    macro_rules! resolver_config {
        ($consumer:expr, $producer:expr) => {
            commonware_resolver::p2p::Config {
                peer_provider: peer_provider.clone(),
                blocker: blocker.clone(),
                consumer: $consumer,
                producer: $producer,
                mailbox_size: NZUsize!(4096),
                me: Some(me.clone()),
                fetch_timeout: NZDuration!(fetch_timeout),
                fetch_retry_delay: Duration::from_millis(200),
                priority_requests: false,
                priority_responses: false,
            }
        };
    }
    let content = {
        let (consumer, waiters) = BlockFetcher::consumer(stores.content.clone());
        let (resolver, mailbox) = commonware_resolver::p2p::Engine::new(
            context.child("content_resolver"),
            resolver_config!(consumer, BlockProducer::new(stores.content.clone())),
        );
        resolver.start(channels.content);
        BlockFetcher::new(mailbox, waiters)
    };
    let vault = {
        let (consumer, waiters) = VaultFetcher::consumer(stores.vault.clone());
        let (resolver, mailbox) = commonware_resolver::p2p::Engine::new(
            context.child("vault_resolver"),
            resolver_config!(consumer, VaultProducer::new(stores.vault.clone())),
        );
        resolver.start(channels.vault);
        VaultFetcher::new(mailbox, waiters)
    };
    Fetchers { content, vault }
}

/// The housekeeping tasks of a node, each on a dedicated task of the runtime: content garbage
/// collection and replication of the finalized pins, vault replication of the live records and
/// the vault keeper, all judged from `ledger`'s finalized index (and, for the vault, the time of
/// its newest finalized block). Aborting a returned handle stops its service.
pub fn spawn_housekeeping<E, L>(
    context: &E,
    stores: &Stores,
    ledger: &Ledger<L>,
    fetchers: &Fetchers,
    me: PublicKey,
    validators: Vec<PublicKey>,
    timings: ServiceTimings,
) -> Vec<Handle<()>>
where
    E: Spawner + Clock + Supervisor,
    L: commonware_storage::Context + Spawner,
{
    let index: Arc<Index> = ledger.index().clone();
    let finalized_ms: Arc<dyn Fn() -> u64 + Send + Sync> = {
        let ledger = ledger.clone();
        Arc::new(move || ledger.finalized().header.timestamp_ms)
    };
    let gc = crate::content::spawn_garbage_collector(
        context.child("content_gc"),
        stores.content.clone(),
        pinned_roots(index.clone()),
        timings.gc_interval,
    );
    let content = Replicator {
        label: "content",
        content: stores.content.clone(),
        roots: pinned_roots(index.clone()),
        fetcher: fetchers.content.clone(),
        me: me.clone(),
        validators: validators.clone(),
        interval: timings.replication_interval,
        scrub_interval: timings.scrub_interval,
    }
    .spawn(context.child("content_replication"));
    let vault = VaultReplicator {
        store: stores.vault.clone(),
        roots: replication_roots(index.clone(), finalized_ms.clone()),
        fetcher: fetchers.vault.clone(),
        me,
        validators,
        interval: timings.replication_interval,
        scrub_interval: timings.scrub_interval,
    }
    .spawn(context.child("vault_replication"));
    let keeper = VaultKeeper {
        store: stores.vault.clone(),
        index,
        log: stores.vault_log.clone(),
        finalized_ms,
        interval: timings.replication_interval,
        gc_interval: timings.gc_interval,
        rewrite_interval: timings.vault_rewrite_interval,
    }
    .spawn(context.child("vault_keeper"));
    vec![gc, content, vault, keeper]
}
