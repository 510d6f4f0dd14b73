//! Validator sets by epoch: which consensus keys run consensus in each epoch, and the peers a
//! node connects to.
//!
//! Epochs are [`Params::epoch_length`](sovra_types::Params::epoch_length) blocks long (fixed at
//! genesis; commonware's `FixedEpocher`). Epoch 0, and every epoch before stake has chosen a
//! set, is run by the genesis validators. Afterwards epoch `e` is run by the set the staking
//! module chose at the end of the last block of epoch `e - 1` (state key `validator-sets`), read
//! from the committed state right after that block is committed ([`Ledger::validator_set`]), so
//! every node derives the same set from the same chain.
//!
//! [`EpochSchemes`] holds the signing (or, for an epoch this node is not in, verifying) scheme of
//! each recent epoch: marshal verifies finalizations with it and each epoch's simplex engine
//! signs with it. [`PeerSets`] is how the node tells p2p whom to connect to.

use crate::{ConsensusError, ledger::Ledger};
use commonware_consensus::types::Epoch;
use commonware_cryptography::{
    certificate::{Provider, Scoped},
    ed25519::{PrivateKey, PublicKey},
};
use sovra_types::{
    StateKey, ValidatorRecord,
    staking::{CandidateList, ValidatorSets},
};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use crate::engine::{Scheme, scheme};

/// Epochs whose schemes are kept (older ones are forgotten: nothing verifies their
/// certificates any more once the chain is past them).
pub const KEPT_EPOCHS: usize = 8;

/// The consensus scheme of each recent epoch; marshal's certificate provider.
#[derive(Clone)]
pub struct EpochSchemes {
    namespace: Vec<u8>,
    key: PrivateKey,
    schemes: Arc<Mutex<BTreeMap<u64, Arc<Scheme>>>>,
}

impl EpochSchemes {
    /// No epoch known yet; schemes sign with `key` in the epochs whose set holds it.
    pub fn new(namespace: &[u8], key: PrivateKey) -> Self {
        Self {
            namespace: namespace.to_vec(),
            key,
            schemes: Arc::default(),
        }
    }

    /// Records the validators of `epoch` (forgetting the oldest beyond [`KEPT_EPOCHS`]).
    pub fn register(&self, epoch: u64, validators: &[PublicKey]) -> Arc<Scheme> {
        let scheme = Arc::new(scheme(&self.namespace, validators, Some(self.key.clone())));
        let mut schemes = self.schemes.lock().expect("schemes lock");
        schemes.insert(epoch, scheme.clone());
        while schemes.len() > KEPT_EPOCHS {
            schemes.pop_first();
        }
        scheme
    }

    /// The scheme of `epoch`, if known.
    pub fn get(&self, epoch: u64) -> Option<Arc<Scheme>> {
        self.schemes
            .lock()
            .expect("schemes lock")
            .get(&epoch)
            .cloned()
    }
}

impl Provider for EpochSchemes {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, epoch: Epoch) -> Option<Scoped<Scheme>> {
        self.get(epoch.get()).map(Scoped::scheme)
    }
}

/// A peer to connect to: its key and the address it listens on (`host:port`, as registered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Consensus (and p2p) public key.
    pub key: PublicKey,
    /// Address it listens on.
    pub address: String,
}

/// Tells the p2p network which peers to connect to (the node's authenticated network, the
/// simulator's network).
pub trait PeerSets: Send + 'static {
    /// Connect to `peers` (replacing the previous set); `id` increases with every call.
    fn track(&mut self, id: u64, peers: Vec<Peer>);
}

/// For networks whose peers never change (simulated ones, where every validator is always
/// connected): tracks nothing.
pub struct FixedPeers;

impl PeerSets for FixedPeers {
    fn track(&mut self, _: u64, _: Vec<Peer>) {}
}

/// The newest set in `sets` chosen for `epoch` or before (the one in force in `epoch`).
fn set_in_force(sets: &ValidatorSets, epoch: u64) -> Option<Vec<[u8; 32]>> {
    sets.sets
        .iter()
        .rev()
        .find(|s| s.epoch <= epoch)
        .map(|s| s.members.iter().map(|m| m.consensus_key).collect())
}

fn public_key(bytes: &[u8]) -> Option<PublicKey> {
    sovra_crypto::keys::public_key_from_bytes(bytes).ok()
}

impl<E> Ledger<E>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    /// The genesis validators' keys and addresses.
    pub fn genesis_peers(&self) -> Vec<Peer> {
        self.genesis()
            .validators
            .iter()
            .filter_map(|v| {
                Some(Peer {
                    key: public_key(&v.key_bytes()?)?,
                    address: v.p2p_address.clone(),
                })
            })
            .collect()
    }

    /// The validators of `epoch` as the committed state says: the newest set stake chose for
    /// `epoch` or before, else the genesis validators. Exact when the committed height is in
    /// `epoch - 1`'s last block or later and before `epoch + 1`'s first block (the state keeps
    /// the last two sets).
    pub async fn validator_set(&self, epoch: u64) -> Result<Vec<PublicKey>, ConsensusError> {
        let sets = self.validator_sets().await?;
        Ok(match sets.as_ref().and_then(|s| set_in_force(s, epoch)) {
            Some(keys) => keys.iter().filter_map(|k| public_key(k)).collect(),
            None => self.genesis_peers().into_iter().map(|p| p.key).collect(),
        })
    }

    async fn validator_sets(&self) -> Result<Option<ValidatorSets>, ConsensusError> {
        let Some(bytes) = self.state_value(&StateKey::ValidatorSets).await? else {
            return Ok(None);
        };
        ValidatorSets::decode(&bytes)
            .map(Some)
            .map_err(|e| ConsensusError::CorruptState(format!("validator-sets: {e}")))
    }

    /// Whom to connect to while `epoch` runs, at most `max` peers: the epoch's validators, the
    /// candidates stake would choose now for the next epoch (so they catch up before it
    /// begins), then the genesis validators. Addresses come from the candidates' records (the
    /// genesis file for genesis validators that never registered).
    pub async fn consensus_peers(
        &self,
        epoch: u64,
        max: usize,
    ) -> Result<Vec<Peer>, ConsensusError> {
        let genesis = self.genesis_peers();
        let mut keys: Vec<[u8; 32]> = Vec::new();
        let mut owners: BTreeMap<[u8; 32], sovra_types::Did> = BTreeMap::new();
        // The kept sets: the one in force and the next (or the previous) one.
        if let Some(sets) = self.validator_sets().await? {
            for m in sets.sets.iter().rev().flat_map(|s| &s.members) {
                keys.push(m.consensus_key);
                owners.insert(m.consensus_key, m.validator.clone());
            }
        }
        if let Some(bytes) = self.state_value(&StateKey::Candidates).await? {
            let candidates = CandidateList::decode(&bytes)
                .map_err(|e| ConsensusError::CorruptState(format!("candidates: {e}")))?;
            let max_validators = self.genesis().params().max_validators as usize;
            for m in candidates.choose(epoch + 1, max_validators).members {
                keys.push(m.consensus_key);
                owners.insert(m.consensus_key, m.validator.clone());
            }
        }
        let mut peers: Vec<Peer> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for key in keys {
            if peers.len() >= max || !seen.insert(key) {
                continue;
            }
            let Some(pk) = public_key(&key) else { continue };
            let address = match owners.get(&key) {
                Some(owner) => self
                    .state_value(&StateKey::Validator(owner.clone()))
                    .await?
                    .and_then(|b| ValidatorRecord::decode(&b).ok())
                    .map(|r| r.p2p_address),
                None => None,
            };
            let address = address.or_else(|| {
                genesis
                    .iter()
                    .find(|g| g.key == pk)
                    .map(|g| g.address.clone())
            });
            if let Some(address) = address {
                peers.push(Peer { key: pk, address });
            }
        }
        for g in genesis {
            let bytes: [u8; 32] = g.key.as_ref().try_into().unwrap_or([0; 32]);
            if peers.len() < max && seen.insert(bytes) {
                peers.push(g);
            }
        }
        Ok(peers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_types::{
        Did,
        staking::{Member, ValidatorSet},
    };

    fn set(epoch: u64, keys: &[u8]) -> ValidatorSet {
        ValidatorSet {
            epoch,
            members: keys
                .iter()
                .map(|k| Member {
                    validator: Did::from_public_key(
                        &sovra_crypto::SigningKey::from_test_seed(*k as u64).public_key(),
                    ),
                    consensus_key: [*k; 32],
                    power: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn the_set_in_force_is_the_newest_chosen_at_or_before_the_epoch() {
        let mut sets = ValidatorSets::default();
        assert_eq!(
            set_in_force(&sets, 3),
            None,
            "no set: the genesis validators"
        );
        sets.push(set(2, &[1]));
        sets.push(set(5, &[2]));
        assert_eq!(set_in_force(&sets, 1), None);
        assert_eq!(set_in_force(&sets, 2), Some(vec![[1; 32]]));
        assert_eq!(set_in_force(&sets, 4), Some(vec![[1; 32]]));
        assert_eq!(set_in_force(&sets, 5), Some(vec![[2; 32]]));
        assert_eq!(set_in_force(&sets, 9), Some(vec![[2; 32]]));
    }
}
