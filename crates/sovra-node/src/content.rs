//! Background housekeeping of the node's content store: garbage collection of blocks that no
//! finalized pin reaches and whose upload grace period has ended.

use std::sync::Arc;
use std::time::Duration;

use sovra_store::{ContentStore, Index};

/// Milliseconds since the unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One garbage-collection pass: keeps what finalized pins reach, deletes the rest once its
/// grace period has ended.
pub fn collect_garbage(
    content: &ContentStore,
    index: &Index,
) -> crate::error::Result<sovra_store::GcStats> {
    let roots: Vec<sovra_cas::Cid> = index
        .pinned_roots()?
        .into_iter()
        .map(|(cid, _)| *cid.cid())
        .collect();
    Ok(content.collect_garbage(&roots, now_ms())?)
}

/// Runs [`collect_garbage`] every `interval` on its own thread.
pub fn spawn_garbage_collector(
    content: Arc<ContentStore>,
    index: Arc<Index>,
    interval: Duration,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("content-gc".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                match collect_garbage(&content, &index) {
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
        })?;
    Ok(())
}
