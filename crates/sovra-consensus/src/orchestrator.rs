//! One simplex engine per epoch. The vote, certificate and resolver channels are multiplexed by
//! epoch (commonware's p2p `Muxer`, the subchannel is the epoch number): the engine of epoch
//! `e` signs with `e`'s validator set ([`crate::epochs`]) and sees only `e`'s messages.
//!
//! - **Entering an epoch.** When the last block of the running epoch commits, the finalizer has
//!   registered the next epoch's set and announces the boundary; the orchestrator stops the
//!   running engine and starts the next one, whose floor is that last block (commonware's
//!   inline wrapper re-proposes an epoch's last block until it is finalized, so no height is
//!   ever certified by two epochs). The p2p peer set is updated to the new set, the candidates
//!   stake would choose next and the genesis validators.
//! - **Catching up.** A node whose ledger is in an older epoch than its peers' receives their
//!   votes and certificates on subchannels it has not registered; they reach the muxers'
//!   backup queue, and the orchestrator asks marshal to fetch the finalization of its own
//!   epoch's last block from the sender. Marshal backfills the blocks below it, they commit,
//!   and the boundary moves the node one epoch on; it repeats until the node is current.
//! - **Journals.** Each epoch's engine keeps its votes in a partition of its own (epoch 0 in
//!   `<prefix>-simplex`, epoch `e` in `<prefix>-simplex-e<e>`); the partition of the epoch
//!   before the previous one is removed when an epoch starts.
//! - **Rejoining.** A validator that started with nothing committed (a wiped disk) may have
//!   voted in any epoch that had begun before it started: it enters its first epoch guarded
//!   ([`crate::rejoin`]), and every next one too unless it took part in the epoch before as it
//!   happened ([`RejoinGuard::live`]: then the next one began after it started and holds no
//!   vote it lost). Block times are not used: they are proposers'
//!   clocks. (Entering every epoch that began within some seconds of the process's start
//!   guarded, by block time, stalled the campaign's seeds 42 and 212: at every boundary of a
//!   new network all validators were guarded at once beside an equivocating one.)

use crate::ledger::Finalized;
use crate::{
    ChainBlock,
    application::App,
    engine::{EngineConfig, Scheme},
    epochs::{EpochSchemes, PeerSets},
    ledger::Ledger,
    rejoin::{GuardedSender, Kind, RejoinConfig, RejoinGuard, WatchingReceiver},
};
use commonware_consensus::{
    marshal::{core::Mailbox, standard::Inline, standard::Standard},
    simplex::{
        self,
        config::{ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
    },
    types::{Epoch, Epocher as _, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{Sha256, ed25519::PublicKey};
use commonware_p2p::{
    Blocker, Receiver, Sender,
    utils::mux::{Builder as _, MuxHandle, Muxer},
};
use commonware_parallel::Sequential;
use commonware_runtime::{Handle, Spawner, buffer::paged::CacheRef};
use commonware_utils::{NZDuration, NZUsize, vec::NonEmptyVec};
use futures::{FutureExt as _, StreamExt as _, channel::mpsc};
use sovra_types::Digest;
use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

/// Least time between two requests, to one peer, for the finalization of this node's epoch's
/// last block.
const HINT_INTERVAL: Duration = Duration::from_secs(1);

/// What the finalizer tells the orchestrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EpochEvent {
    /// The last block of `epoch - 1` committed; `epoch`'s set is registered.
    Boundary {
        /// The epoch that begins.
        epoch: u64,
        /// The last block of the previous epoch (the new engine's floor).
        block: Digest,
    },
    /// A block with staking actions committed: the candidates to connect to may have changed.
    StakeChanged,
}

/// What every epoch's engine shares.
pub struct Shared<E, B>
where
    E: commonware_storage::Context + Spawner,
{
    /// Timing and naming.
    pub cfg: EngineConfig,
    /// The ledger.
    pub ledger: Ledger<E>,
    /// Each epoch's scheme.
    pub schemes: EpochSchemes,
    /// Epoch boundaries.
    pub epocher: FixedEpocher,
    /// Marshal, which every engine reports to (through the inline wrapper).
    pub marshal: Mailbox<Scheme, Standard<ChainBlock>>,
    /// Blocks peers that misbehave.
    pub blocker: B,
    /// Page cache of the engines' journals.
    pub page_cache: CacheRef,
    /// Whether this process started with nothing committed (it may have lost a journal).
    pub started_empty: bool,
}

/// Runs the engine of each epoch in turn.
pub struct Orchestrator<E, B, T>
where
    E: commonware_storage::Context + Spawner,
{
    /// What the engines share.
    pub shared: Shared<E, B>,
    /// The p2p network's peer sets.
    pub peer_sets: T,
}

/// The running engine of one epoch.
struct Running {
    epoch: u64,
    engine: Handle<()>,
    guard: RejoinGuard,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.engine.abort();
    }
}

/// The muxed consensus channels.
struct Muxed<S: Sender> {
    votes: MuxHandle<S>,
    certificates: MuxHandle<S>,
    resolver: MuxHandle<S>,
}

impl<E, B, T> Orchestrator<E, B, T>
where
    E: crate::engine::Runtime,
    B: Blocker<PublicKey = PublicKey>,
    T: PeerSets,
{
    /// Starts the orchestrator in `epoch` (the epoch of the block after `committed`).
    #[allow(clippy::too_many_arguments)]
    pub fn start<S, R>(
        self,
        context: E,
        epoch: u64,
        committed: Finalized,
        events: mpsc::UnboundedReceiver<EpochEvent>,
        votes: (S, R),
        certificates: (S, R),
        resolver: (S, R),
    ) -> Handle<()>
    where
        S: Sender<PublicKey = PublicKey>,
        R: Receiver<PublicKey = PublicKey>,
    {
        context.spawn(move |context| async move {
            self.run(
                context,
                epoch,
                committed,
                events,
                votes,
                certificates,
                resolver,
            )
            .await
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run<S, R>(
        mut self,
        context: E,
        epoch: u64,
        committed: Finalized,
        mut events: mpsc::UnboundedReceiver<EpochEvent>,
        votes: (S, R),
        certificates: (S, R),
        resolver: (S, R),
    ) where
        S: Sender<PublicKey = PublicKey>,
        R: Receiver<PublicKey = PublicKey>,
    {
        let (votes, mut vote_backup) = mux_by_epoch(&context, "vote_mux", votes);
        let (certificates, mut certificate_backup) =
            mux_by_epoch(&context, "certificate_mux", certificates);
        let (mux, resolver) = Muxer::new(context.child("resolver_mux"), resolver.0, resolver.1);
        mux.start();
        let mut muxed = Muxed {
            votes,
            certificates,
            resolver,
        };

        // The floor of the first epoch: genesis, or the last block of the previous epoch (the
        // committed tip when the node stopped right at a boundary, else read from the index).
        let floor = if epoch == 0 {
            self.shared.ledger.genesis_block().id()
        } else {
            let last = epoch * self.shared.ledger.genesis().params().epoch_length - 1;
            match self.shared.ledger.index().block(last) {
                Ok(Some(block)) => block.id(),
                _ if committed.header.height == last => committed.id,
                other => {
                    tracing::error!(
                        epoch,
                        height = last,
                        ?other,
                        "cannot read the block the epoch starts from; consensus stops"
                    );
                    return;
                }
            }
        };
        let mut peer_set_id = 0u64;
        self.track_peers(epoch, &mut peer_set_id).await;
        let Some(mut running) = self
            .enter(
                &context,
                epoch,
                floor,
                self.shared.started_empty,
                &mut muxed,
            )
            .await
        else {
            return;
        };
        let mut hinted = BTreeMap::new();
        loop {
            futures::select! {
                event = events.next() => match event {
                    Some(EpochEvent::Boundary { epoch, block }) => {
                        if epoch <= running.epoch {
                            continue;
                        }
                        // Guarded unless this process took part in the epoch that ends as it
                        // happened: then the next one begins after it started.
                        let guarded = self.shared.started_empty && !running.guard.live();
                        // Stop the old engine before the new one opens its journal.
                        drop(running);
                        hinted.clear();
                        self.track_peers(epoch, &mut peer_set_id).await;
                        match self.enter(&context, epoch, block, guarded, &mut muxed).await {
                            Some(next) => running = next,
                            None => return,
                        }
                        if epoch >= 2 {
                            let old = partition(&self.shared.cfg.partition_prefix, epoch - 2);
                            if let Err(e) = context.remove(&old, None).await {
                                tracing::debug!(partition = old, error = %e, "old epoch journal not removed");
                            }
                        }
                    }
                    Some(EpochEvent::StakeChanged) => {
                        self.track_peers(running.epoch, &mut peer_set_id).await;
                    }
                    None => return,
                },
                message = vote_backup.recv().fuse() => match message {
                    Some((theirs, (from, _))) => {
                        self.behind(&mut hinted, context.current(), (running.epoch, theirs, from))
                    }
                    None => return,
                },
                message = certificate_backup.recv().fuse() => match message {
                    Some((theirs, (from, _))) => {
                        self.behind(&mut hinted, context.current(), (running.epoch, theirs, from))
                    }
                    None => return,
                },
            }
        }
    }

    /// A peer sent a message of epoch `theirs` on a subchannel nobody registered: if it is
    /// ahead, ask marshal for the finalization of this epoch's last block from it.
    ///
    /// At most one request per peer every [`HINT_INTERVAL`] (`hinted`, cleared at every epoch
    /// change, holds when each peer was last asked): a peer flooding later-epoch messages makes
    /// no more work than one that sends one.
    fn behind(
        &self,
        hinted: &mut BTreeMap<PublicKey, SystemTime>,
        now: SystemTime,
        (ours, theirs, from): (u64, u64, PublicKey),
    ) {
        if theirs <= ours {
            return;
        }
        if hinted
            .get(&from)
            .is_some_and(|t| now.duration_since(*t).unwrap_or_default() < HINT_INTERVAL)
        {
            return;
        }
        hinted.insert(from.clone(), now);
        let Some(last) = self.shared.epocher.last(Epoch::new(ours)) else {
            return;
        };
        tracing::debug!(
            ours,
            theirs,
            height = last.get(),
            "peers are in a later epoch; fetching the boundary"
        );
        self.shared
            .marshal
            .hint_finalized(last, NonEmptyVec::new(from));
    }

    /// Updates the p2p peer set for `epoch`.
    async fn track_peers(&mut self, epoch: u64, id: &mut u64) {
        let max = self.shared.cfg.max_peers;
        match self.shared.ledger.consensus_peers(epoch, max).await {
            Ok(peers) => {
                *id += 1;
                self.peer_sets.track(*id, peers);
            }
            Err(e) => tracing::error!(epoch, error = %e, "cannot read the peers of the epoch"),
        }
    }

    /// Starts the engine of `epoch` from `floor` (the block the epoch builds on).
    async fn enter<S: Sender<PublicKey = PublicKey>>(
        &mut self,
        context: &E,
        epoch: u64,
        floor: Digest,
        guarded: bool,
        muxed: &mut Muxed<S>,
    ) -> Option<Running> {
        let ledger = self.shared.ledger.clone();
        let scheme = match self.shared.schemes.get(epoch) {
            Some(s) => s,
            None => match ledger.validator_set(epoch).await {
                Ok(set) => self.shared.schemes.register(epoch, &set),
                Err(e) => {
                    tracing::error!(epoch, error = %e, "cannot read the epoch's validators; consensus stops");
                    return None;
                }
            },
        };
        let (Ok(votes), Ok(certificates), Ok(resolver)) = (
            muxed.votes.register(epoch).await,
            muxed.certificates.register(epoch).await,
            muxed.resolver.register(epoch).await,
        ) else {
            tracing::debug!(epoch, "consensus channels closed");
            return None;
        };
        let shared = &self.shared;
        let cfg = &shared.cfg;
        let guard = if guarded {
            let guard = if epoch == 0 {
                RejoinGuard::new(&scheme, context.current())
            } else {
                RejoinGuard::for_later_epoch(&scheme, context.current())
            };
            guard.start(
                context.child("rejoin").with_attribute("epoch", epoch),
                RejoinConfig {
                    settle: cfg.leader_timeout,
                    quiet: cfg.leader_timeout * 3 / 4,
                    patience: cfg.leader_timeout * 5,
                },
            );
            guard
        } else {
            RejoinGuard::open(&scheme)
        };
        let app = Inline::new(
            context.child("inline").with_attribute("epoch", epoch),
            App::new(shared.ledger.clone(), cfg.clock_skew_ms, guard.clone()),
            shared.marshal.clone(),
            shared.epocher.clone(),
        );
        let engine = simplex::Engine::new(
            context.child("simplex").with_attribute("epoch", epoch),
            simplex::config::Config {
                scheme: (*scheme).clone(),
                elector: RoundRobin::<Sha256>::default(),
                blocker: shared.blocker.clone(),
                automaton: app.clone(),
                relay: app.clone(),
                // The wrapper is the reporter too, as commonware's `Inline` asks: it forwards
                // every activity to marshal and first releases what it keeps per round
                // (certification gates, staged proposals, sent marks), which nothing else prunes.
                reporter: commonware_consensus::Reporters::from((
                    app,
                    crate::evidence::EvidenceReporter {
                        pool: shared.ledger.evidence().clone(),
                    },
                )),
                strategy: Sequential,
                partition: partition(&cfg.partition_prefix, epoch),
                mailbox_size: cfg.mailbox_size,
                epoch: Epoch::new(epoch),
                floor: simplex::config::Floor::Genesis(floor),
                replay_buffer: NZUsize!(1 << 20),
                write_buffer: NZUsize!(1 << 20),
                page_cache: shared.page_cache.clone(),
                leader_timeout: cfg.leader_timeout,
                certification_timeout: cfg.certification_timeout,
                timeout_retry: cfg.timeout_retry,
                view_retention: ViewDelta::new(10),
                skip: SkipPolicy::Enabled {
                    timeout: cfg.certification_timeout * 3,
                    budget: SkipBudget::Participants,
                },
                fetch_timeout: NZDuration!(Duration::from_secs(1)),
                fetch_retry_delay: Duration::from_millis(100),
                forward: ForwardPolicy::Disabled,
                track_historical_votes: false,
            },
        );
        let votes = (
            GuardedSender::new(votes.0, guard.clone(), Kind::Votes),
            WatchingReceiver::new(votes.1, guard.clone(), Kind::Votes),
        );
        let certificates = (
            GuardedSender::new(certificates.0, guard.clone(), Kind::Certificates),
            WatchingReceiver::new(certificates.1, guard.clone(), Kind::Certificates),
        );
        let handle = engine.start(votes, certificates, resolver);
        tracing::info!(
            epoch,
            validators = scheme_len(&scheme),
            // Whether this node's key is in the epoch's set (it votes) or not (it follows).
            signer = {
                use commonware_cryptography::certificate::Scheme as _;
                scheme.me().is_some()
            },
            guarded,
            "entered epoch"
        );
        Some(Running {
            epoch,
            engine: handle,
            guard,
        })
    }
}

fn scheme_len(scheme: &Scheme) -> usize {
    use commonware_cryptography::certificate::Scheme as _;
    scheme.participants().len()
}

/// The messages of an epoch nobody registered: the epoch and the message.
pub type Unregistered =
    commonware_utils::channel::mpsc::Receiver<(u64, commonware_p2p::Message<PublicKey>)>;

/// Multiplexes a vote or certificate channel by epoch (started under `context.child(name)`):
/// the handle registers an epoch's subchannel; messages of epochs not registered come out of
/// the second value.
pub fn mux_by_epoch<E, S, R>(
    context: &E,
    name: &'static str,
    channel: (S, R),
) -> (MuxHandle<S>, Unregistered)
where
    E: Spawner,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let (mux, handle, backup) = Muxer::builder(context.child(name), channel.0, channel.1)
        .with_backup()
        .build();
    mux.start();
    (handle, backup)
}

/// The journal partition of `epoch`'s engine.
pub fn partition(prefix: &str, epoch: u64) -> String {
    if epoch == 0 {
        format!("{prefix}-simplex")
    } else {
        format!("{prefix}-simplex-e{epoch}")
    }
}
