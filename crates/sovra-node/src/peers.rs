//! The node's p2p peer sets: consensus tells p2p whom to connect to at every epoch and stake
//! change ([`sovra_consensus::epochs::PeerSets`]); this passes it on to commonware's
//! authenticated `lookup` network and keeps the pause watchdog's copy current.

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{Address, AddressableManager};
use commonware_utils::ordered::Map;
use sovra_consensus::epochs::{Peer, PeerSets};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

/// Forwards peer sets to an addressable p2p manager.
pub struct LookupPeers<M> {
    manager: M,
    current: Arc<Mutex<Map<PublicKey, Address>>>,
}

impl<M> LookupPeers<M> {
    /// Forwards to `manager`; `current` is the set last tracked (shared with the watchdog).
    pub fn new(manager: M, current: Arc<Mutex<Map<PublicKey, Address>>>) -> Self {
        Self { manager, current }
    }
}

/// The peers whose addresses are socket addresses (others are left out, with a warning: the
/// node dials IP addresses only).
pub fn addressable(peers: Vec<Peer>) -> Option<Map<PublicKey, Address>> {
    let mut entries = Vec::new();
    for peer in peers {
        match peer.address.parse::<SocketAddr>() {
            Ok(addr) => entries.push((peer.key, Address::from(addr))),
            Err(_) => tracing::warn!(
                address = peer.address,
                "a validator's address is not ip:port; it cannot be dialed"
            ),
        }
    }
    entries.try_into().ok()
}

impl<M> PeerSets for LookupPeers<M>
where
    M: AddressableManager<PublicKey = PublicKey>,
{
    fn track(&mut self, id: u64, peers: Vec<Peer>) {
        let Some(map) = addressable(peers) else {
            tracing::warn!(id, "the peer set names a key twice; not tracked");
            return;
        };
        *self.current.lock().expect("peers lock") = map.clone();
        let _ = self.manager.track(id, map);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_crypto::SigningKey;

    #[test]
    fn only_socket_addresses_are_tracked() {
        let key = |i| {
            SigningKey::from_test_seed(i)
                .as_commonware()
                .clone()
                .public_key()
        };
        use commonware_cryptography::Signer as _;
        let map = addressable(vec![
            Peer {
                key: key(1),
                address: "127.0.0.1:9000".into(),
            },
            Peer {
                key: key(2),
                address: "validator-2.example:9000".into(),
            },
        ])
        .expect("distinct keys");
        assert_eq!(map.len(), 1);
        assert!(map.get_value(&key(1)).is_some());
    }
}
