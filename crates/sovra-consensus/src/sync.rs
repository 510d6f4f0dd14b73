//! Whether this node is behind the network, so it does not admit transactions against stale
//! state.
//!
//! Two signs say a node is behind:
//! - **lag**: marshal reports the newest finalization it has stored (a finalized block with the
//!   network's certificate, learned from simplex or fetched from peers) before the ledger has
//!   committed the blocks below it; the difference to the committed height is the lag;
//! - **age**: the committed tip is old. A live network finalizes a block at least every
//!   [`crate::application::EMPTY_BLOCK_INTERVAL_MS`] or so (empty blocks are paced, never
//!   skipped), so a tip older than a few seconds means this node has not heard of the newer
//!   blocks yet (right after a restart or a pause, before any certificate arrived) or the
//!   network has no quorum. Either way, what it would admit against is not the chain's state.
//!
//! A node is *syncing* while either exceeds its bound; it then refuses submissions (the API
//! answers `503` with code `syncing`) and says so, with the lag, on `/v1/status`.

/// When a node counts as behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncBounds {
    /// Most finalized blocks the committed state may be behind the newest known finalization.
    pub max_lag: u64,
    /// Oldest the committed tip's timestamp may be, in milliseconds.
    pub max_tip_age_ms: u64,
}

impl Default for SyncBounds {
    fn default() -> Self {
        Self {
            max_lag: 8,
            max_tip_age_ms: 15_000,
        }
    }
}

/// How far behind the network this node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncStatus {
    /// Height of the newest block committed here.
    pub committed_height: u64,
    /// Newest finalized height this node has seen certified by the network (at least the
    /// committed height).
    pub network_height: u64,
    /// `network_height - committed_height`.
    pub lag: u64,
    /// How old the committed tip is (local clock minus the block's timestamp), in milliseconds.
    pub tip_age_ms: u64,
    /// Whether the lag or the age is beyond its bound.
    pub syncing: bool,
}

impl SyncStatus {
    /// The status of a node that committed `committed_height` (with timestamp
    /// `tip_timestamp_ms`), has seen `network_height` finalized, at local time `now_ms`.
    pub fn new(
        committed_height: u64,
        tip_timestamp_ms: u64,
        network_height: u64,
        now_ms: u64,
        bounds: SyncBounds,
    ) -> Self {
        let network_height = network_height.max(committed_height);
        let lag = network_height - committed_height;
        let tip_age_ms = now_ms.saturating_sub(tip_timestamp_ms);
        Self {
            committed_height,
            network_height,
            lag,
            tip_age_ms,
            syncing: lag > bounds.max_lag || tip_age_ms > bounds.max_tip_age_ms,
        }
    }

    /// Why the node is syncing, for people.
    pub fn reason(&self) -> String {
        format!(
            "this node is catching up with the network: it has committed height {} of {} known \
             finalized ({} behind), and its newest block is {} s old; retry shortly or use another node",
            self.committed_height,
            self.network_height,
            self.lag,
            self.tip_age_ms / 1000
        )
    }
}

/// Submissions refused because this node is behind the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.reason())]
pub struct Syncing(pub SyncStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_syncing_when_it_lags_or_its_tip_is_old() {
        let b = SyncBounds::default();
        let fresh = SyncStatus::new(100, 10_000, 102, 10_500, b);
        assert!(!fresh.syncing);
        assert_eq!(fresh.lag, 2);
        let behind = SyncStatus::new(100, 10_000, 100 + b.max_lag + 1, 10_500, b);
        assert!(behind.syncing);
        let stale = SyncStatus::new(100, 10_000, 100, 10_000 + b.max_tip_age_ms + 1, b);
        assert!(stale.syncing);
        assert_eq!(stale.lag, 0);
        // A tip from a proposer whose clock runs ahead is not old.
        assert_eq!(SyncStatus::new(5, 20_000, 0, 10_000, b).tip_age_ms, 0);
        // Known finalizations below the committed height do not make a negative lag.
        assert_eq!(SyncStatus::new(5, 0, 3, 0, b).network_height, 5);
    }
}
