//! Graceful shutdown of `sovra node` and `sovra devnet`: on SIGINT (Ctrl-C) or SIGTERM the node
//! says so, asks every runtime task to stop (consensus, p2p, storage) and waits briefly for
//! them, then exits with status 0. Everything the node writes is crash-safe, so this is about
//! stopping cleanly and saying so, not about what survives; the ledger's state is synced first
//! so that the next start has nothing to replay.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::error::{NodeError, Result};
use commonware_runtime::{Spawner as _, tokio as cw_tokio};
use sovra_consensus::Ledger;

/// The ledger to sync before stopping, set once it is open.
pub type LedgerSlot = Arc<OnceLock<Ledger<cw_tokio::Context>>>;

/// How long stopping tasks get before the process exits anyway.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts a task that, on the first SIGINT or SIGTERM, syncs the ledger's state (once `ledger`
/// is set), stops the runtime's tasks and exits.
pub fn spawn_on_signal(context: cw_tokio::Context, ledger: LedgerSlot) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(NodeError::io("installing the SIGINT handler"))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(NodeError::io("installing the SIGTERM handler"))?;
    context.spawn(move |context| async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!("received {name}: shutting down");
        if let Some(ledger) = ledger.get() {
            match tokio::time::timeout(STOP_TIMEOUT, ledger.sync_state()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("syncing the state: {e}"),
                Err(_) => tracing::warn!("syncing the state took over {STOP_TIMEOUT:?}"),
            }
        }
        if let Err(e) = context.stop(0, Some(STOP_TIMEOUT)).await {
            tracing::warn!("tasks did not stop within {STOP_TIMEOUT:?} ({e})");
        }
        tracing::info!("node stopped");
        std::process::exit(0);
    });
    Ok(())
}
