//! The simulated validators: each runs Sovra's ledger and consensus engine (as `sovra node`
//! does) under a task of its own on the deterministic runtime, its state in the runtime's
//! storage and its index in a directory of the run, linked to the others through commonware's
//! simulated p2p network. A crash aborts the validator's task (and with it every task it
//! started); a restart opens its stores again and registers its channels anew.

use std::path::{Path, PathBuf};
use std::time::Duration;

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{Clock, Handle, Quota, Spawner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, Probability};
use futures::channel::oneshot;
use sovra_consensus::{
    Ledger,
    engine::{self, Channels, EngineConfig},
    mempool::{Mempool, MempoolConfig},
};
use sovra_crypto::SigningKey;
use sovra_store::Index;
use sovra_types::{Did, Genesis, GenesisAccount, GenesisValidator, limits::MAX_BLOCK_BYTES};

use crate::SimError;

/// Chain id of the simulated network.
pub const CHAIN: &str = "sim";

/// Funded development accounts in genesis.
pub const DEV_ACCOUNTS: u64 = 4;

/// Balance of each development account in genesis.
pub const DEV_BALANCE: u64 = 1_000_000;

/// The simulated network's oracle (links, registrations).
pub type SimOracle = Oracle<PublicKey, deterministic::Context>;

/// Validator key `i`.
pub fn validator_key(i: usize) -> SigningKey {
    SigningKey::from_test_seed(i as u64)
}

/// Development key `i` (funded in genesis for `i < DEV_ACCOUNTS`).
pub fn dev_key(i: u64) -> SigningKey {
    SigningKey::from_test_seed(1_000 + i)
}

/// The did:key of development key `i`.
pub fn dev_did(i: u64) -> Did {
    Did::from_public_key(&dev_key(i).public_key())
}

/// The genesis of a simulated chain of `validators`.
pub fn genesis(validators: usize) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: (0..validators)
            .map(|i| GenesisValidator {
                public_key: hex::encode(validator_key(i).public_key().as_ref()),
                p2p_address: "127.0.0.1:1".into(),
            })
            .collect(),
        accounts: (0..DEV_ACCOUNTS)
            .map(|i| GenesisAccount {
                did: dev_did(i),
                balance: DEV_BALANCE,
            })
            .collect(),
        min_fee: 1,
        max_block_txs: 100,
        registry_authority: None,
    }
}

/// A running validator: its task and its ledger.
pub struct Running {
    task: Handle<()>,
    /// The validator's ledger.
    pub ledger: Ledger<deterministic::Context>,
}

/// The network of a run: every validator, running or crashed.
pub struct SimNet {
    context: deterministic::Context,
    /// The oracle of the simulated network.
    pub oracle: SimOracle,
    /// The validators' p2p keys.
    pub keys: Vec<PublicKey>,
    genesis: Genesis,
    dir: PathBuf,
    /// Each validator, `None` while crashed.
    pub validators: Vec<Option<Running>>,
    /// A healthy link.
    pub healthy: Link,
}

/// Most simulated time a restarted validator waits for its crashed tasks to let go of its index.
const REOPEN_WAIT: Duration = Duration::from_secs(1);

impl SimNet {
    /// Starts the network and `n` validators (indexes under `dir`), linked by `healthy` links.
    pub async fn start(
        context: &deterministic::Context,
        dir: &Path,
        n: usize,
        healthy: Link,
    ) -> Result<Self, SimError> {
        let keys: Vec<PublicKey> = (0..n).map(|i| validator_key(i).public_key()).collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: (MAX_BLOCK_BYTES + 65_536) as u32,
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.clone(),
        )
        .await;
        network.start();
        let mut net = Self {
            context: context.child("net"),
            oracle,
            keys,
            genesis: genesis(n),
            dir: dir.to_path_buf(),
            validators: (0..n).map(|_| None).collect(),
            healthy,
        };
        for i in 0..n {
            net.restart(i).await?;
        }
        net.heal().await?;
        Ok(net)
    }

    /// Starts validator `i` (again): opens its stores, registers its channels, starts its
    /// engine. A running validator is left as it is.
    pub async fn restart(&mut self, i: usize) -> Result<(), SimError> {
        if self.validators[i].is_some() {
            return Ok(());
        }
        let control = self.oracle.control(self.keys[i].clone());
        let quota = Quota::per_second(NZU32!(100_000));
        let mut registered = Vec::new();
        for channel in 0..6u64 {
            registered.push(control.register(channel, quota).await?);
        }
        let mut registered = registered.into_iter();
        let mut next = || registered.next().expect("six channels");
        let channels = Channels {
            votes: next(),
            certificates: next(),
            resolver: next(),
            broadcast: next(),
            backfill: next(),
            txs: next(),
        };
        let index = self.open_index(i).await?;
        let (ready, started) = oneshot::channel();
        let (genesis, keys, oracle) =
            (self.genesis.clone(), self.keys.clone(), self.oracle.clone());
        let task = self
            .context
            .child("validator")
            .with_attribute("v", i)
            .spawn(move |context| async move {
                let result = async {
                    let ledger = Ledger::open(
                        context.child("ledger"),
                        &format!("v{i}"),
                        genesis,
                        index,
                        Mempool::new(MempoolConfig::default()),
                    )
                    .await?;
                    engine::start(
                        context.child("engine"),
                        EngineConfig::new(CHAIN, &format!("v{i}")),
                        ledger.clone(),
                        validator_key(i).as_commonware().clone(),
                        &keys,
                        oracle.manager(),
                        oracle.control(keys[i].clone()),
                        channels,
                    )
                    .await?;
                    Ok::<_, sovra_consensus::ConsensusError>(ledger)
                }
                .await;
                let _ = ready.send(result);
                futures::future::pending::<()>().await
            });
        let ledger = started
            .await
            .expect("a validator task reports its start")
            .map_err(|source| SimError::Consensus {
                validator: i,
                source,
            })?;
        self.validators[i] = Some(Running { task, ledger });
        Ok(())
    }

    /// Opens validator `i`'s index, waiting (in simulated time) for a crashed run of it to let
    /// go of the file.
    async fn open_index(&self, i: usize) -> Result<Index, SimError> {
        let path = self.dir.join(format!("v{i}.redb"));
        let started = self.context.current();
        loop {
            match Index::open(&path) {
                Ok(index) => return Ok(index),
                Err(source) => {
                    let waited = self
                        .context
                        .current()
                        .duration_since(started)
                        .unwrap_or_default();
                    if waited > REOPEN_WAIT {
                        return Err(SimError::Store {
                            validator: i,
                            source,
                        });
                    }
                    self.context.sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }

    /// Crashes validator `i`: its tasks end where they are.
    pub async fn crash(&mut self, i: usize) {
        if let Some(running) = self.validators[i].take() {
            running.task.abort();
            drop(running.ledger);
            // Let the runtime drop the aborted tasks.
            self.context.sleep(Duration::from_millis(1)).await;
        }
    }

    /// Sets every link from and to validator `i` (to every other validator) to `link`, or
    /// removes them (`None`).
    pub async fn set_links(&self, i: usize, link: Option<Link>) -> Result<(), SimError> {
        for j in 0..self.keys.len() {
            if i == j {
                continue;
            }
            for (a, b) in [(i, j), (j, i)] {
                let (a, b) = (self.keys[a].clone(), self.keys[b].clone());
                match self.oracle.remove_link(a.clone(), b.clone()).await {
                    Ok(()) | Err(simulated::Error::LinkMissing) => {}
                    Err(e) => return Err(e.into()),
                }
                if let Some(link) = &link {
                    self.oracle.add_link(a, b, link.clone()).await?;
                }
            }
        }
        Ok(())
    }

    /// Restores every link between the validators to a healthy one.
    pub async fn heal(&self) -> Result<(), SimError> {
        for i in 0..self.keys.len() {
            self.set_links(i, Some(self.healthy.clone())).await?;
        }
        Ok(())
    }

    /// The running validators' ledgers, with their indexes.
    pub fn running(&self) -> Vec<(usize, &Ledger<deterministic::Context>)> {
        self.validators
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|r| (i, &r.ledger)))
            .collect()
    }
}

/// A link of `latency` and `jitter` that delivers `percent` of its messages.
pub fn link(latency: Duration, jitter: Duration, percent: u64) -> Link {
    Link {
        latency,
        jitter,
        success_rate: Probability::new(percent.min(100), 100).expect("a share of 100"),
    }
}
