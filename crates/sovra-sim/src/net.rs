//! The simulated validators: each runs Sovra's ledger and consensus engine and the node's
//! storage services (content and vault resolvers, replicators, content garbage collection and
//! the vault keeper, wired by `sovra_node::services` as `sovra node` wires them) under a task of
//! its own on the deterministic runtime, its chain state in the runtime's storage and its index
//! and content and vault stores in a directory of the run, linked to the others through
//! commonware's simulated p2p network. A crash aborts the validator's task (and with it every task it
//! started); a restart opens its stores again and registers its channels anew. A wiped
//! validator restarts on a blank disk (fresh storage partitions and index) and must fetch the
//! chain from the others. A validator may run with its clock off by a fixed skew, and a
//! Byzantine validator runs actors from commonware's simplex mocks in its place (see
//! [`Attack`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::simulated::{self, Link, Network, Oracle, Receiver, Sender};
use commonware_runtime::{Clock, Handle, Quota, Spawner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, Probability};
use futures::channel::oneshot;
pub use sovra_consensus::byzantine::Attack;
use sovra_consensus::{
    Ledger, byzantine,
    engine::{self, CHANNEL_MESSAGES_PER_SEC, Channels, EngineConfig},
    epochs::FixedPeers,
    mempool::{Mempool, MempoolConfig},
};
use sovra_crypto::SigningKey;
use sovra_node::services::{self, ServiceTimings, StoreChannels, Stores};
use sovra_store::{ContentStore, Index, StoreError, VaultLog, VaultStore};
use sovra_types::{
    Did, Genesis, GenesisAccount, GenesisEconomy, GenesisValidator, limits::MAX_BLOCK_BYTES,
};

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

/// The operator of validator `i`, which bonds it at genesis: the `did:key` of its consensus key.
pub fn operator_did(i: usize) -> Did {
    Did::from_public_key(&validator_key(i).public_key())
}

/// Stake each validator is bonded with at genesis (by the `did:key` of its consensus key): more
/// than all the development accounts hold, so no candidate of the workload outranks one and the
/// validator set stays the simulated validators (every epoch's set is chosen anew, with the
/// same members, and consensus moves to it).
pub const VALIDATOR_STAKE: u64 = DEV_ACCOUNTS * DEV_BALANCE + 1;

/// Blocks per epoch of the simulated chain: short, so that stake changes take effect, votes are
/// cast and counted and unbonded stake is released within a run (of some 100 blocks).
pub const EPOCH_LENGTH: u64 = 5;

/// The genesis of a simulated chain of `validators`: the funded accounts, a minimum fee of 1, and
/// short staking and governance periods (epochs of [`EPOCH_LENGTH`] blocks, 20 blocks of
/// unbonding and of voting, a timelock of 3 blocks, deposits from 10, a quorum of 0.01% (threshold
/// and veto at their defaults), 3,000 tokens issued per block).
///
/// With `joiner`, the last validator is not in genesis: its operator (the `did:key` of its
/// consensus key) holds [`JOINER_STAKE`] and a little for fees, to register and bond it during
/// the run ([`join_transaction`]).
///
/// `max_validators` is the number of genesis validators: the workload's candidates (whose
/// consensus keys no node runs) hold less than any of them and never enter a set, where they
/// would count against the quorum (found by the campaign: with one slot more than the genesis
/// validators, a workload candidate took it before the joiner bonded, and beside a wiped
/// validator still guarded, the set of five had three voters). The joiner bonds one more than
/// a genesis validator and takes the place of one (the greatest DID among equals).
pub fn genesis(validators: usize, joiner: bool) -> Genesis {
    let bonded = validators - usize::from(joiner);
    Genesis {
        chain_id: CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: (0..bonded)
            .map(|i| GenesisValidator {
                public_key: hex::encode(validator_key(i).public_key().as_ref()),
                p2p_address: "127.0.0.1:1".into(),
                operator: Some(operator_did(i)),
                stake: VALIDATOR_STAKE,
            })
            .collect(),
        accounts: (0..DEV_ACCOUNTS)
            .map(|i| GenesisAccount {
                did: dev_did(i),
                balance: DEV_BALANCE,
            })
            .chain(joiner.then(|| GenesisAccount {
                did: operator_did(validators - 1),
                balance: JOINER_STAKE + JOINER_FEES,
            }))
            .collect(),
        min_fee: 1,
        max_block_txs: 100,
        registry_authority: None,
        economy: Some(GenesisEconomy {
            epoch_length: EPOCH_LENGTH,
            unbonding_period: 20,
            voting_period: 20,
            timelock: 3,
            min_deposit: 10,
            // The validators' genesis stake is most of the stake: a quorum of 0.01% and enough
            // issuance that the development accounts' stake votes proposals through and earns
            // rewards worth claiming.
            issuance_per_block: 3_000,
            quorum_bps: 1,
            max_validators: bonded as u32,
            ..Default::default()
        }),
    }
}

/// What the joining validator bonds: one more than a genesis validator, so it takes one's place
/// in a set of `max_validators`.
pub const JOINER_STAKE: u64 = VALIDATOR_STAKE + 1;

/// What the joining validator's operator holds besides its stake, for fees.
const JOINER_FEES: u64 = 1_000;

/// The transaction by which the last of `validators` (the joiner) registers its consensus key
/// and bonds [`JOINER_STAKE`] to itself, signed by its operator (nonce 0).
pub fn join_transaction(validators: usize) -> sovra_types::SignedTransaction {
    let key = validator_key(validators - 1);
    let operator = operator_did(validators - 1);
    let registration = sovra_types::actions::staking::ValidatorRegistration {
        consensus_key: key.public_key(),
        p2p_address: "127.0.0.1:1".into(),
        commission_bps: 0,
        proof: key.sign(
            sovra_types::staking::VALIDATOR_KEY_NAMESPACE,
            &sovra_types::staking::validator_key_message(CHAIN, &operator),
        ),
    };
    sovra_types::Transaction {
        chain_id: CHAIN.into(),
        signer: operator.clone(),
        nonce: 0,
        fee: 1,
        expiry_height: 1_000_000,
        actions: vec![
            sovra_types::Action::Staking(sovra_types::StakingAction::RegisterValidator(Box::new(
                registration,
            ))),
            sovra_types::Action::Staking(sovra_types::StakingAction::Delegate {
                validator: operator,
                amount: JOINER_STAKE,
            }),
        ],
    }
    .sign(&key)
}

/// How each validator of a network behaves for the whole run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Per validator: `Some(attack)` for a Byzantine one.
    pub byzantine: Vec<Option<Attack>>,
    /// Per validator: milliseconds its clock is ahead (negative: behind).
    pub clock_skew_ms: Vec<i64>,
    /// Whether the last validator is not in genesis: it runs from the start as a follower and
    /// validates from the epoch stake puts it in the set, once its operator has registered and
    /// bonded it ([`join_transaction`]).
    pub joiner: bool,
}

impl Roles {
    /// `n` honest validators with exact clocks.
    pub fn honest(n: usize) -> Self {
        Self {
            byzantine: vec![None; n],
            clock_skew_ms: vec![0; n],
            joiner: false,
        }
    }
}

/// One channel of a validator on the simulated network.
type SimChannel = (
    Sender<PublicKey, deterministic::Context>,
    Receiver<PublicKey>,
);

/// A validator's six consensus channels on the simulated network.
type SimChannels = Channels<Sender<PublicKey, deterministic::Context>, Receiver<PublicKey>>;

/// The p2p channels of the content and vault resolvers (as in `sovra node`).
const STORE_CHANNELS: [u64; 2] = [6, 7];

/// How often the simulated validators' storage services run (a node's defaults are minutes:
/// runs are seconds long).
pub const SERVICE_TIMINGS: ServiceTimings = ServiceTimings {
    replication_interval: Duration::from_secs(1),
    scrub_interval: Duration::from_secs(30),
    gc_interval: Duration::from_secs(1),
    vault_rewrite_interval: Duration::from_secs(10),
    fetch_timeout: Duration::from_secs(2),
};

/// A running validator: its task, its ledger and its stores.
pub struct Running {
    task: Handle<()>,
    /// The validator's ledger.
    pub ledger: Ledger<deterministic::Context>,
    /// The validator's content and vault stores.
    pub stores: Stores,
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
    /// Each validator, `None` while crashed (and always for a Byzantine one).
    pub validators: Vec<Option<Running>>,
    /// A healthy link.
    pub healthy: Link,
    roles: Roles,
    /// Per validator: how many times its disk was wiped (its storage names carry the count).
    disks: Vec<u32>,
}

/// Initial entries of each finalized archive's table (a node starts with 65,536).
const ARCHIVE_TABLE_ENTRIES: u32 = 256;

/// Most simulated time a restarted validator waits for its crashed tasks to let go of its index.
const REOPEN_WAIT: Duration = Duration::from_secs(1);

impl SimNet {
    /// Starts the network and its validators in their `roles` (indexes under `dir`, each on its
    /// disk: `disks[i]` is how many times validator `i`'s was wiped), linked by `healthy` links.
    pub async fn start(
        context: &deterministic::Context,
        dir: &Path,
        roles: Roles,
        disks: Vec<u32>,
        healthy: Link,
    ) -> Result<Self, SimError> {
        let n = roles.byzantine.len();
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
            genesis: genesis(n, roles.joiner),
            dir: dir.to_path_buf(),
            validators: (0..n).map(|_| None).collect(),
            healthy,
            roles,
            disks,
        };
        for i in 0..n {
            match net.roles.byzantine[i] {
                Some(attack) => net.start_byzantine(i, attack).await?,
                None => net.restart(i).await?,
            }
        }
        net.heal().await?;
        Ok(net)
    }

    /// Whether validator `i` is honest (runs Sovra's engine).
    pub fn is_honest(&self, i: usize) -> bool {
        self.roles.byzantine[i].is_none()
    }

    /// Registers validator `i`'s six channels (anew: a registration replaces the last one).
    async fn register_channels(&self, i: usize) -> Result<SimChannels, SimError> {
        let control = self.oracle.control(self.keys[i].clone());
        let quota = Quota::per_second(NZU32!(CHANNEL_MESSAGES_PER_SEC));
        let mut registered = Vec::new();
        for channel in 0..6u64 {
            registered.push(control.register(channel, quota).await?);
        }
        let mut registered = registered.into_iter();
        let mut next = || registered.next().expect("six channels");
        Ok(Channels {
            votes: next(),
            certificates: next(),
            resolver: next(),
            broadcast: next(),
            backfill: next(),
            txs: next(),
        })
    }

    /// Registers validator `i`'s content and vault channels.
    async fn register_store_channels(&self, i: usize) -> Result<[SimChannel; 2], SimError> {
        let control = self.oracle.control(self.keys[i].clone());
        let quota = Quota::per_second(NZU32!(CHANNEL_MESSAGES_PER_SEC));
        Ok([
            control.register(STORE_CHANNELS[0], quota).await?,
            control.register(STORE_CHANNELS[1], quota).await?,
        ])
    }

    /// Starts `attack`'s actors in the place of validator `i`, with its key, on its vote and
    /// certificate channels (its other channels are registered and left silent).
    async fn start_byzantine(&mut self, i: usize, attack: Attack) -> Result<(), SimError> {
        let channels = self.register_channels(i).await?;
        let (_, spare) = self
            .oracle
            .control(self.keys[i].clone())
            .register(99, Quota::per_second(NZU32!(1)))
            .await?;
        byzantine::start(
            &self.context.child("validator").with_attribute("v", i),
            attack,
            &EngineConfig::new(CHAIN, "byzantine").namespace,
            &self.keys,
            validator_key(i).as_commonware().clone(),
            channels.votes,
            channels.certificates,
            spare,
        );
        Ok(())
    }

    /// Per validator: how many times its disk was wiped.
    pub fn disks(&self) -> &[u32] {
        &self.disks
    }

    /// Crashes validator `i` and gives it a blank disk: when it restarts, it has nothing but
    /// genesis and must fetch the chain from the others.
    pub async fn wipe(&mut self, i: usize) {
        self.crash(i).await;
        self.disks[i] += 1;
    }

    /// The prefix of validator `i`'s storage partitions and index file on its current disk.
    fn disk(&self, i: usize) -> String {
        match self.disks[i] {
            0 => format!("v{i}"),
            wiped => format!("v{i}w{wiped}"),
        }
    }

    /// Starts honest validator `i` (again): opens its stores, registers its channels, starts
    /// its engine. A running (or Byzantine) validator is left as it is.
    pub async fn restart(&mut self, i: usize) -> Result<(), SimError> {
        if self.validators[i].is_some() || !self.is_honest(i) {
            return Ok(());
        }
        let channels = self.register_channels(i).await?;
        let [content_channel, vault_channel] = self.register_store_channels(i).await?;
        let index = self.open_file(i, "index", Index::open).await?;
        let stores = Stores {
            content: Arc::new(self.open_file(i, "content", ContentStore::open).await?),
            vault: Arc::new(self.open_file(i, "vault", VaultStore::open).await?),
            vault_log: Arc::new(self.open_file(i, "vault-log", VaultLog::open).await?),
        };
        let (ready, started) = oneshot::channel();
        let (genesis, keys, oracle) =
            (self.genesis.clone(), self.keys.clone(), self.oracle.clone());
        let task_stores = stores.clone();
        let disk = self.disk(i);
        let mut engine_config = EngineConfig::new(CHAIN, &disk);
        engine_config.clock_skew_ms = self.roles.clock_skew_ms[i];
        // Runs are short, and the in-memory storage copies a whole file at each sync: the
        // archives start small (and so also exercise growing their tables).
        engine_config.archive_table_entries = ARCHIVE_TABLE_ENTRIES;
        let task = self
            .context
            .child("validator")
            .with_attribute("v", i)
            .spawn(move |context| async move {
                let result = async {
                    let ledger = Ledger::open(
                        context.child("ledger"),
                        &disk,
                        genesis,
                        index,
                        Mempool::new(MempoolConfig::default()),
                    )
                    .await?;
                    engine::start(
                        context.child("engine"),
                        engine_config,
                        ledger.clone(),
                        validator_key(i).as_commonware().clone(),
                        oracle.manager(),
                        oracle.control(keys[i].clone()),
                        FixedPeers,
                        channels,
                    )
                    .await?;
                    let fetchers = services::start_resolvers(
                        &context,
                        oracle.manager(),
                        oracle.control(keys[i].clone()),
                        keys[i].clone(),
                        &task_stores,
                        StoreChannels {
                            content: content_channel,
                            vault: vault_channel,
                        },
                        SERVICE_TIMINGS.fetch_timeout,
                    );
                    services::spawn_housekeeping(
                        &context,
                        &task_stores,
                        &ledger,
                        &fetchers,
                        keys[i].clone(),
                        keys.clone(),
                        SERVICE_TIMINGS,
                    );
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
        self.validators[i] = Some(Running {
            task,
            ledger,
            stores,
        });
        Ok(())
    }

    /// Opens validator `i`'s `name` file on its current disk with `open`, waiting (in simulated
    /// time) for a crashed run of it to let go of the file.
    async fn open_file<T>(
        &self,
        i: usize,
        name: &str,
        open: impl Fn(&Path) -> Result<T, StoreError>,
    ) -> Result<T, SimError> {
        let path = self.dir.join(format!("{}-{name}.redb", self.disk(i)));
        let started = self.context.current();
        loop {
            match open(&path) {
                Ok(file) => return Ok(file),
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
            drop(running.stores);
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

    /// Which validator blocked which (by index): a validator blocks a peer that sent it what
    /// an honest validator never sends.
    pub async fn blocked_pairs(&self) -> Result<Vec<(usize, usize)>, SimError> {
        let index = |k: &PublicKey| self.keys.iter().position(|x| x == k);
        Ok(self
            .oracle
            .blocked()
            .await?
            .iter()
            .filter_map(|(a, b)| Some((index(a)?, index(b)?)))
            .collect())
    }

    /// [`SimNet::blocked_pairs`] for failure reports.
    pub async fn blocked(&self) -> String {
        match self.blocked_pairs().await {
            Ok(pairs) => format!("{pairs:?}"),
            Err(e) => format!("unknown ({e})"),
        }
    }

    /// The running validators, with their indexes.
    pub fn running_nodes(&self) -> Vec<(usize, &Running)> {
        self.validators
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|r| (i, r)))
            .collect()
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
