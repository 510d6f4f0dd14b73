//! Wiring of one validator: marshal (finalized-block archives, buffered
//! broadcast of proposals, p2p backfill resolver, certificates checked against each epoch's
//! validator set), and one simplex consensus engine per epoch (the orchestrator of
//! [`crate::orchestrator`]) over the inline-verification wrapper around [`App`](crate::application::App).
//!
//! Six p2p channels are used, one per purpose: votes, certificates,
//! simplex's resolver (these three multiplexed by epoch), block broadcast, marshal's backfill,
//! and transaction gossip.

use crate::{
    ChainBlock, ConsensusError,
    application::{EpochWatch, Finalizer},
    epochs::{EpochSchemes, PeerSets},
    ledger::Ledger,
    orchestrator::{Orchestrator, Shared},
};
use commonware_broadcast::buffered;
pub use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::{
    marshal::{Config as MarshalConfig, Start, core::Actor, resolver::p2p as marshal_resolver},
    types::{FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    Digested,
    ed25519::{PrivateKey, PublicKey},
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, buffer::paged::CacheRef};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, NZU16, NZU64, NZUsize, ordered::Set};
use std::{num::NonZeroUsize, time::Duration};

/// Messages per second (and burst) each peer may send on one p2p channel of a node (consensus,
/// gossip, replication). Consensus sends a few messages per view; transaction gossip batches up
/// to 4,096 transactions per message; content replication sends one request per block and the
/// resolver retries what a limit drops. Each channel's inbound mailbox holds `peers x burst`
/// messages, allocated up front, so the quota bounds memory as well as rate.
pub const CHANNEL_MESSAGES_PER_SEC: u32 = 2_000;

/// What a validator's runtime provides: storage, tasks, time, metrics and randomness (the
/// commonware tokio runtime in a node, the deterministic one in tests and the simulator).
pub trait Runtime:
    commonware_storage::Context
    + Spawner
    + Clock
    + Metrics
    + rand_core::CryptoRng
    + commonware_runtime::Storage
{
}

impl<E> Runtime for E where
    E: commonware_storage::Context
        + Spawner
        + Clock
        + Metrics
        + rand_core::CryptoRng
        + commonware_runtime::Storage
{
}

/// Consensus timing and naming.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Signing namespace (derived from the chain id): votes for one chain never count on another.
    pub namespace: Vec<u8>,
    /// Prefix of every storage partition of this validator.
    pub partition_prefix: String,
    /// How long to wait for a leader's proposal.
    pub leader_timeout: Duration,
    /// How long to wait for a proposal to certify.
    pub certification_timeout: Duration,
    /// How often to retry timeouts.
    pub timeout_retry: Duration,
    /// Actor mailbox sizes.
    pub mailbox_size: NonZeroUsize,
    /// Most finalized blocks delivered to the application and not yet committed.
    pub max_pending_acks: NonZeroUsize,
    /// Milliseconds added to the runtime's clock when this validator stamps and checks block
    /// times. 0 in a node (its clock is the system's); the simulator sets it to model a
    /// validator whose clock is off.
    pub clock_skew_ms: i64,
    /// Most peers the p2p network is told to connect to (the network must accept peer sets
    /// this large): the epoch's validators, the next likely ones, the genesis validators.
    pub max_peers: usize,
    /// Initial entries of the hash table of each finalized archive (blocks, finalizations): a
    /// power of two; the table grows as it fills. 65,536 (~3 MB per archive) in a node; the
    /// simulator starts small, because its in-memory storage copies a whole file at each sync.
    pub archive_table_entries: u32,
}

impl EngineConfig {
    /// Defaults for a chain id and partition prefix.
    pub fn new(chain_id: &str, partition_prefix: &str) -> Self {
        Self {
            namespace: format!("sovra/consensus/{chain_id}").into_bytes(),
            partition_prefix: partition_prefix.to_string(),
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            timeout_retry: Duration::from_secs(5),
            mailbox_size: NZUsize!(1024),
            max_pending_acks: NZUsize!(16),
            clock_skew_ms: 0,
            archive_table_entries: 65_536,
            max_peers: 64,
        }
    }
}

/// The five channels of one validator.
pub struct Channels<S, R> {
    /// Consensus votes.
    pub votes: (S, R),
    /// Consensus certificates.
    pub certificates: (S, R),
    /// Simplex's certificate resolver.
    pub resolver: (S, R),
    /// Block broadcast.
    pub broadcast: (S, R),
    /// Marshal backfill of missing blocks.
    pub backfill: (S, R),
    /// Transaction gossip.
    pub txs: (S, R),
}

/// Builds the ed25519 signing scheme of a validator set.
pub fn scheme(namespace: &[u8], validators: &[PublicKey], key: Option<PrivateKey>) -> Scheme {
    let participants: Set<PublicKey> = Set::from_iter_dedup(validators.iter().cloned());
    match key.and_then(|k| Scheme::signer(namespace, participants.clone(), k)) {
        Some(s) => s,
        None => Scheme::verifier(namespace, participants),
    }
}

fn archive_config<C: Clone>(
    prefix: &str,
    name: &str,
    codec_config: C,
    page_cache: CacheRef,
    table_entries: u32,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: table_entries,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 16_384,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: page_cache,
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 1 << 30,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: NZU64!(4096),
        codec_config,
        replay_buffer: NZUsize!(1 << 20),
        freezer_key_write_buffer: NZUsize!(1 << 20),
        freezer_value_write_buffer: NZUsize!(1 << 20),
        ordinal_write_buffer: NZUsize!(1 << 20),
    }
}

/// Starts a validator (or, in the epochs whose validator set does not hold its key, a
/// follower): marshal, the task committing finalized blocks, and the orchestrator that runs
/// one simplex engine per epoch with that epoch's validator set.
#[allow(clippy::too_many_arguments)]
pub async fn start<E, S, R, P, B, T>(
    context: E,
    cfg: EngineConfig,
    ledger: Ledger<E>,
    key: PrivateKey,
    peer_provider: P,
    blocker: B,
    peer_sets: T,
    channels: Channels<S, R>,
) -> Result<Handle<()>, ConsensusError>
where
    E: Runtime,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
    B: Blocker<PublicKey = PublicKey>,
    T: PeerSets,
{
    use commonware_cryptography::Signer as _;
    let me = key.public_key();
    let epoch_length = ledger.genesis().params().epoch_length;
    let Some(length) = std::num::NonZeroU64::new(epoch_length).filter(|l| l.get() >= 2) else {
        return Err(ConsensusError::EpochLength(epoch_length));
    };
    let epocher = FixedEpocher::new(length);
    // The epoch to run first: the one of the next block to commit. Its set (and the previous
    // epoch's, for certificates of its last blocks) from the committed state.
    let committed = ledger.finalized();
    let epoch = (committed.header.height + 1) / epoch_length;
    let schemes = EpochSchemes::new(&cfg.namespace, key.clone());
    if epoch > 0 {
        schemes.register(epoch - 1, &ledger.validator_set(epoch - 1).await?);
    }
    schemes.register(epoch, &ledger.validator_set(epoch).await?);
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(1024));
    let prefix = cfg.partition_prefix.clone();
    let genesis = Digested::precomputed(
        ChainBlock(ledger.genesis_block().clone()),
        ledger.genesis_block().id(),
    );

    let marshal_cfg = MarshalConfig {
        provider: schemes.clone(),
        epocher: epocher.clone(),
        start: Start::Genesis(genesis),
        mailbox_size: cfg.mailbox_size,
        view_retention: ViewDelta::new(10),
        max_repair: NZUsize!(64),
        max_pending_acks: cfg.max_pending_acks,
        block_codec_config: (),
        partition_prefix: format!("{prefix}-marshal"),
        prunable_items_per_section: NZU64!(4096),
        replay_buffer: NZUsize!(1 << 20),
        key_write_buffer: NZUsize!(1 << 20),
        value_write_buffer: NZUsize!(1 << 20),
        page_cache: page_cache.clone(),
        strategy: Sequential,
    };

    let resolver = marshal_resolver::init(
        context.child("marshal_resolver"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peer_provider.clone(),
            blocker: blocker.clone(),
            mailbox_size: cfg.mailbox_size,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );
    let (broadcast_engine, buffer) = buffered::Engine::new(
        context.child("broadcast"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: cfg.mailbox_size,
            deque_size: 64,
            priority: false,
            codec_config: (),
            peer_provider,
            strategy: Sequential,
        },
    );
    broadcast_engine.start(channels.broadcast);

    let finalizations = immutable::Archive::init(
        context.child("finalizations_by_height"),
        archive_config(
            &format!("{prefix}-marshal"),
            "finalizations",
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
            page_cache.clone(),
            cfg.archive_table_entries,
        ),
    )
    .await
    .map_err(|source| ConsensusError::Archive {
        what: "finalizations",
        source,
    })?;
    let finalized_blocks = immutable::Archive::init(
        context.child("finalized_blocks"),
        archive_config(
            &format!("{prefix}-marshal"),
            "blocks",
            (),
            page_cache.clone(),
            cfg.archive_table_entries,
        ),
    )
    .await
    .map_err(|source| ConsensusError::Archive {
        what: "blocks",
        source,
    })?;

    let (actor, mailbox, _floor) = Actor::init(
        context.child("marshal"),
        finalizations,
        finalized_blocks,
        marshal_cfg,
    )
    .await;
    crate::gossip::start(context.child("gossip"), ledger.clone(), channels.txs);
    let (boundaries, boundary_rx) = futures::channel::mpsc::unbounded();
    let finalizer = Finalizer::start(
        context.child("finalizer"),
        ledger.clone(),
        EpochWatch {
            epoch_length,
            schemes: schemes.clone(),
            boundaries,
        },
    );
    actor.start(finalizer, buffer, resolver);

    let orchestrator = Orchestrator {
        shared: Shared {
            cfg,
            ledger,
            schemes,
            epocher,
            marshal: mailbox,
            blocker,
            page_cache,
            started_empty: committed.header.height == 0,
        },
        peer_sets,
    };
    Ok(orchestrator.start(
        context.child("orchestrator"),
        epoch,
        committed,
        boundary_rx,
        channels.votes,
        channels.certificates,
        channels.resolver,
    ))
}
