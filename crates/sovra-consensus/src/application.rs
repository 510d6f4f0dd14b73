//! The consensus application: builds and verifies blocks for simplex (via
//! marshal's inline-verification wrapper) and commits the finalized blocks
//! marshal delivers.

use crate::{
    ConsensusError, block::ChainBlock, epochs::EpochSchemes, ledger::Ledger,
    orchestrator::EpochEvent, rejoin::RejoinGuard,
};
use commonware_consensus::{
    Reporter,
    marshal::{Update, ancestry::Ancestry},
    simplex::{scheme::ed25519::Scheme, types::Context},
};
use commonware_cryptography::{Digested, ed25519::PublicKey};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::{Acknowledgement, acknowledgement::Exact};
use futures::{StreamExt, channel::mpsc};
use sovra_types::{Action, Block, Digest};
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

/// What the finalizer tells the orchestrator about epochs.
pub struct EpochWatch {
    /// Blocks per epoch.
    pub epoch_length: u64,
    /// Where the next epoch's validator set is registered when an epoch's last block commits.
    pub schemes: EpochSchemes,
    /// Where epoch boundaries and stake changes are announced.
    pub boundaries: mpsc::UnboundedSender<EpochEvent>,
}

impl EpochWatch {
    /// After `block` committed: at an epoch's last block, registers the next epoch's set (read
    /// now, before any later block commits, so it is the one this block chose) and announces
    /// the boundary; after a block with staking actions, announces the stake change.
    async fn committed<E>(&self, ledger: &Ledger<E>, block: &Block) -> Result<(), ConsensusError>
    where
        E: commonware_storage::Context + Spawner,
    {
        let height = block.height();
        if (height + 1).is_multiple_of(self.epoch_length) {
            let epoch = (height + 1) / self.epoch_length;
            let set = ledger.validator_set(epoch).await?;
            self.schemes.register(epoch, &set);
            let _ = self.boundaries.unbounded_send(EpochEvent::Boundary {
                epoch,
                block: block.id(),
            });
        } else if block.txs.iter().any(|tx| {
            tx.tx
                .actions
                .iter()
                .any(|a| matches!(a, Action::Staking(_)))
        }) {
            let _ = self.boundaries.unbounded_send(EpochEvent::StakeChanged);
        }
        Ok(())
    }
}

impl Finalizer {
    /// Starts the task that commits finalized blocks; returns the reporter to give marshal.
    pub fn start<E>(runtime: E, ledger: Ledger<E>, epochs: EpochWatch) -> Self
    where
        E: commonware_storage::Context + Spawner + Clock,
    {
        let (sender, mut receiver) = mpsc::unbounded::<(Block, Exact)>();
        let ledger_height = ledger.network_height();
        runtime.spawn(move |_| async move {
            while let Some((block, ack)) = receiver.next().await {
                let height = block.height();
                let committed = match ledger.finalize(&block).await {
                    Ok(()) => epochs.committed(&ledger, &block).await,
                    Err(e) => Err(e),
                };
                match committed {
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
