//! Recovery from a pause of the whole process (SIGSTOP, a frozen VM, a suspended machine).
//!
//! While a validator is stopped, its peers keep writing to its p2p connections: the kernel
//! buffers every vote, certificate, block and keepalive ping of the pause. When the process
//! resumes it reads that backlog in order, and commonware's p2p throttles inbound pings to one
//! per half ping interval by *waiting*, which holds up the whole connection. Each ping queued
//! during the pause beyond the first costs half a ping interval, so a connection lags about half
//! the length of the pause behind the network, and the node replays stale consensus traffic
//! instead of the current round (measured: a 30 s pause took 12-25 s to catch up, a restart
//! after the same outage 0.5-1.3 s).
//!
//! A restarted node has none of this: it dials fresh connections and backfills what it missed.
//! So the watchdog here notices a pause (a tick of its monotonic clock that took much longer
//! than asked) and does what a restart does for the network: it drops every p2p connection,
//! discarding the backlog, and lets the dialers reconnect at once. Consensus and marshal then
//! catch up from the current round, as after a restart.
//!
//! Connections are dropped through [`AddressableManager::overwrite`], which severs a peer's
//! connection when its address changes: each reset alternates every peer between two equal
//! forms of the same address (`Symmetric(addr)` and `Asymmetric { ingress: addr, egress: addr }`),
//! so dialing and the listener's IP filter never see a different address.

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Address, AddressableManager, Ingress};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::ordered::Map;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the watchdog ticks.
pub const TICK: Duration = Duration::from_secs(1);
/// A tick this much later than asked counts as a pause of the process.
pub const PAUSE_THRESHOLD: Duration = Duration::from_secs(5);

/// The other of the two equal forms of `address` (see the module documentation).
pub fn flip(address: &Address) -> Address {
    match address {
        Address::Symmetric(addr) => Address::Asymmetric {
            ingress: Ingress::Socket(*addr),
            egress: *addr,
        },
        Address::Asymmetric { egress, .. } => Address::Symmetric(*egress),
    }
}

/// Whether a tick asked to last [`TICK`] that took `elapsed` means the process was paused.
pub fn is_pause(elapsed: Duration) -> bool {
    elapsed > TICK + PAUSE_THRESHOLD
}

/// Starts the watchdog: after every detected pause, every connection to `peers` (the tracked
/// validators and their addresses, this node's own entry included or not) is dropped and
/// re-dialed.
pub fn spawn_watchdog<E, M>(context: E, mut manager: M, peers: Arc<Mutex<Map<PublicKey, Address>>>)
where
    E: Spawner + Clock,
    M: AddressableManager<PublicKey = PublicKey>,
{
    context.spawn(move |context| async move {
        loop {
            let start = Instant::now();
            context.sleep(TICK).await;
            let elapsed = start.elapsed();
            if !is_pause(elapsed) {
                continue;
            }
            tracing::warn!(
                paused_ms = elapsed.as_millis() as u64,
                "the process was paused; reconnecting to every peer to drop the backlog of the pause"
            );
            let flipped = {
                let mut peers = peers.lock().expect("peers lock");
                *peers = peers.map_values(|_, a| flip(a));
                peers.clone()
            };
            let _ = manager.overwrite(flipped);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipping_keeps_the_address_and_changes_its_form() {
        let addr: std::net::SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let a = Address::Symmetric(addr);
        let b = flip(&a);
        assert_ne!(a, b, "the tracker must see a change");
        assert_eq!(a.ingress(), b.ingress());
        assert_eq!(a.egress(), b.egress());
        assert_eq!(flip(&b), a);
    }

    #[test]
    fn only_long_stalls_count_as_pauses() {
        assert!(!is_pause(TICK));
        assert!(!is_pause(TICK + Duration::from_secs(2)));
        assert!(is_pause(TICK + Duration::from_secs(30)));
    }
}
