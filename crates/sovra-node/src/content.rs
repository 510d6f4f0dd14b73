//! Background housekeeping of the node's content store: garbage collection of blocks that no
//! finalized pin reaches and whose upload grace period has ended.

use std::sync::Arc;
use std::time::Duration;

use commonware_runtime::{Clock, Handle, Spawner};
use sovra_store::ContentStore;

use crate::housekeeping::clock_ms;
use crate::replication::RootsFn;

/// Milliseconds since the unix epoch on the system clock (for the API's answers; housekeeping
/// reads the runtime's clock).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One garbage-collection pass at `now_ms`: keeps what `roots` (the finalized pins) reach,
/// deletes the rest once its grace period has ended.
pub fn collect_garbage(
    content: &ContentStore,
    roots: &RootsFn,
    now_ms: u64,
) -> crate::error::Result<sovra_store::GcStats> {
    let roots: Vec<sovra_cas::Cid> = roots()?.into_iter().map(|(cid, _)| cid).collect();
    Ok(content.collect_garbage(&roots, now_ms)?)
}

/// Runs [`collect_garbage`] every `interval` on a dedicated task of `context`, the first pass
/// one interval after the start.
pub fn spawn_garbage_collector<C: Spawner + Clock>(
    context: C,
    content: Arc<ContentStore>,
    roots: RootsFn,
    interval: Duration,
) -> Handle<()> {
    context.dedicated().spawn(move |context| async move {
        loop {
            context.sleep(interval).await;
            match collect_garbage(&content, &roots, clock_ms(&context)) {
                Ok(stats) if stats.deleted > 0 => tracing::info!(
                    deleted = stats.deleted,
                    bytes = stats.deleted_bytes,
                    kept = stats.kept,
                    "garbage-collected unpinned content"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("content garbage collection failed: {e}"),
            }
        }
    })
}
