//! The consensus application: builds and verifies blocks for simplex (via
//! marshal's inline-verification wrapper) and commits the finalized blocks
//! marshal delivers.

use crate::{block::ChainBlock, ledger::Ledger, rejoin::RejoinGuard};
use commonware_consensus::{
    Reporter,
    marshal::{Update, ancestry::Ancestry},
    simplex::{scheme::ed25519::Scheme, types::Context},
};
use commonware_cryptography::{Digested, ed25519::PublicKey};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::{Acknowledgement, acknowledgement::Exact};
use futures::{StreamExt, channel::mpsc};
use sovra_types::{Block, Digest};
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

/// Least time between two empty blocks.
pub const EMPTY_BLOCK_INTERVAL_MS: u64 = 500;

/// Milliseconds since the Unix epoch on the runtime's clock.
pub fn now_ms(clock: &impl Clock) -> u64 {
    clock
        .current()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Builds and verifies blocks.
pub struct App<E: commonware_storage::Context + Spawner> {
    ledger: Ledger<E>,
    clock_skew_ms: i64,
    /// The rejoin guard: no proposal or verdict in views whose votes it holds back.
    guard: RejoinGuard,
}

impl<E: commonware_storage::Context + Spawner> Clone for App<E> {
    fn clone(&self) -> Self {
        Self {
            guard: self.guard.clone(),
            ledger: self.ledger.clone(),
            clock_skew_ms: self.clock_skew_ms,
        }
    }
}

impl<E: commonware_storage::Context + Spawner + Clock> App<E> {
    /// An application over a ledger, whose block times are the runtime's clock plus
    /// `clock_skew_ms` ([`EngineConfig::clock_skew_ms`](crate::engine::EngineConfig)).
    pub fn new(ledger: Ledger<E>, clock_skew_ms: i64, guard: RejoinGuard) -> Self {
        Self {
            ledger,
            clock_skew_ms,
            guard,
        }
    }

    /// This validator's time in milliseconds since the Unix epoch.
    fn now_ms(&self, runtime: &E) -> u64 {
        now_ms(runtime).saturating_add_signed(self.clock_skew_ms)
    }
}

fn blocks<A: Ancestry<ChainBlock>>(ancestry: A) -> impl futures::Stream<Item = Block> + Unpin {
    ancestry.map(|d: Digested<ChainBlock>| d.inner().0.clone())
}

impl<E> commonware_consensus::Application<E> for App<E>
where
    E: commonware_storage::Context + Spawner + Clock,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, PublicKey>;
    type Block = ChainBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, ctx): (E, Self::Context),
        ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        if !self.guard.votes_go_out(ctx.round.view().get()) {
            return None;
        }
        let mut ancestors = blocks(ancestry);
        let parent = ancestors.next().await?;
        // With nothing to include, pace empty blocks instead of producing them as fast as
        // consensus allows; a transaction arriving ends the wait.
        let earliest = parent.header.timestamp_ms + EMPTY_BLOCK_INTERVAL_MS;
        while self.now_ms(&runtime) < earliest && self.ledger.mempool_len() == 0 {
            runtime.sleep(std::time::Duration::from_millis(10)).await;
        }
        match self
            .ledger
            .propose(&parent, &mut ancestors, self.now_ms(&runtime))
            .await
        {
            Ok(Some(block)) => {
                let id = block.id();
                Some(Digested::precomputed(ChainBlock(block), id))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "proposal failed");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (runtime, ctx): (E, Self::Context),
        ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        if !self.guard.votes_go_out(ctx.round.view().get()) {
            // A notarize vote of this view would be held back (see `RejoinGuard::votes_go_out`):
            // decline, so the engine nullifies, which goes out.
            return false;
        }
        let mut ancestors = blocks(ancestry);
        let (Some(block), Some(parent)) = (ancestors.next().await, ancestors.next().await) else {
            // Without the blocks no verdict is possible: abstain.
            return futures::future::pending().await;
        };
        match self
            .ledger
            .verify(&block, &parent, &mut ancestors, self.now_ms(&runtime))
            .await
        {
            Ok(valid) => valid,
            Err(e) => {
                // A local failure says nothing about the block: abstain.
                tracing::error!(error = %e, "verification failed locally");
                futures::future::pending().await
            }
        }
    }
}

/// Receives finalized blocks from marshal (at least once, in height order).
///
/// The channel is unbounded, but marshal never has more than its
/// `max_pending_acks` blocks unacknowledged, which bounds it.
#[derive(Clone)]
pub struct Finalizer {
    sender: mpsc::UnboundedSender<(Block, Exact)>,
    /// Where the network's finalized height is recorded (the ledger's).
    network_height: Arc<AtomicU64>,
}

impl Reporter for Finalizer {
    type Activity = Update<ChainBlock>;

    fn report(&mut self, activity: Self::Activity) -> commonware_actor::Feedback {
        match activity {
            Update::Block(block, ack) => {
                if self
                    .sender
                    .unbounded_send((block.inner().0.clone(), ack))
                    .is_err()
                {
                    return commonware_actor::Feedback::Closed;
                }
            }
            // The newest finalization marshal stored: how far the network has finalized, even
            // while the blocks below it are still being fetched and committed.
            Update::Tip(_, height, _) => {
                self.network_height
                    .fetch_max(height.get(), Ordering::Relaxed);
            }
        }
        commonware_actor::Feedback::Ok
    }
}

impl Finalizer {
    /// Starts the task that commits finalized blocks; returns the reporter to give marshal.
    pub fn start<E>(runtime: E, ledger: Ledger<E>) -> Self
    where
        E: commonware_storage::Context + Spawner + Clock,
    {
        let (sender, mut receiver) = mpsc::unbounded::<(Block, Exact)>();
        let ledger_height = ledger.network_height();
        runtime.spawn(move |_| async move {
            while let Some((block, ack)) = receiver.next().await {
                let height = block.height();
                match ledger.finalize(&block).await {
                    Ok(()) => ack.acknowledge(),
                    Err(e) => {
                        // Never acknowledge what was not committed: marshal stops
                        // here and redelivers after a restart.
                        tracing::error!(height, error = %e, "cannot commit finalized block; halting commits");
                        return;
                    }
                }
            }
        });
        Self {
            sender,
            network_height: ledger_height,
        }
    }
}
