//! The simulated network shared by the consensus integration tests: validators with their own
//! storage on one deterministic runtime, linked through commonware's simulated p2p network, and
//! helpers to wait for heights and to compare what the validators finalized.
#![allow(dead_code)]

pub(crate) mod workload;

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{Clock, Quota, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, probability};
use sovra_consensus::{
    Ledger,
    engine::{self, CHANNEL_MESSAGES_PER_SEC, Channels, EngineConfig},
    epochs::FixedPeers,
    mempool::{Mempool, MempoolConfig},
};
use sovra_crypto::SigningKey;
use sovra_store::Index;
use sovra_types::{
    AccountsAction, Action, Block, Did, Digest, Genesis, GenesisAccount, GenesisValidator,
    SignedTransaction, Transaction, limits::MAX_BLOCK_BYTES,
};
use std::{path::Path, time::Duration};

/// Chain id of the simulated network.
pub(crate) const CHAIN: &str = "sim";

/// Every link of the simulated network.
pub(crate) const LINK: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: probability!(1.0),
};

/// The simulated network's oracle (links, blocks, peer registrations).
pub(crate) type SimOracle = Oracle<PublicKey, deterministic::Context>;

/// The p2p channels of one validator on the simulated network.
pub(crate) type SimChannels =
    Channels<simulated::Sender<PublicKey, deterministic::Context>, simulated::Receiver<PublicKey>>;

/// One honest validator: its p2p identity and its ledger.
pub(crate) struct Validator {
    pub key: PublicKey,
    pub ledger: Ledger<deterministic::Context>,
}

/// Funded development key `i` (genesis gives keys 0..4 1,000,000 each).
pub(crate) fn dev(i: u64) -> SigningKey {
    SigningKey::from_test_seed(1000 + i)
}

/// The did:key of development key `i`.
pub(crate) fn dev_did(i: u64) -> Did {
    Did::from_public_key(&dev(i).public_key())
}

/// Validator key `i`.
pub(crate) fn validator_key(i: u64) -> SigningKey {
    SigningKey::from_test_seed(i)
}

/// The genesis of the simulated chain with these validators.
pub(crate) fn genesis(validators: &[SigningKey]) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: validators
            .iter()
            .map(|k| GenesisValidator {
                public_key: hex::encode(k.public_key().as_ref()),
                p2p_address: "127.0.0.1:1".into(),
                operator: None,
                stake: 0,
            })
            .collect(),
        accounts: (0..4)
            .map(|i| GenesisAccount {
                did: dev_did(i),
                balance: 1_000_000,
            })
            .collect(),
        min_fee: 1,
        max_block_txs: 100,
        registry_authority: None,
        economy: None,
    }
}

/// A transaction of dev key `from` with `nonce` and `actions`, valid up to `expiry_height`,
/// with the size the mempool accounts for it.
pub(crate) fn signed(
    from: u64,
    nonce: u64,
    expiry_height: u64,
    actions: Vec<Action>,
) -> (SignedTransaction, usize) {
    let tx = Transaction {
        chain_id: CHAIN.into(),
        signer: dev_did(from),
        nonce,
        fee: 1,
        expiry_height,
        actions,
    }
    .sign(&dev(from));
    (tx, 200)
}

/// A transfer of `amount` from dev key `from` to dev key `to`.
pub(crate) fn transfer(from: u64, to: u64, nonce: u64, amount: u64) -> (SignedTransaction, usize) {
    signed(
        from,
        nonce,
        1_000_000,
        vec![Action::Accounts(AccountsAction::Transfer {
            to: dev_did(to),
            amount,
        })],
    )
}

/// A transfer of `amount` from dev key `from` with `nonce` to the next dev key, valid up to
/// `expiry_height`.
pub(crate) fn transfer_until(
    from: u64,
    nonce: u64,
    amount: u64,
    expiry_height: u64,
) -> (SignedTransaction, usize) {
    signed(
        from,
        nonce,
        expiry_height,
        vec![Action::Accounts(AccountsAction::Transfer {
            to: dev_did((from + 1) % 4),
            amount,
        })],
    )
}

/// A seeded deterministic runtime that gives up after 10 simulated minutes.
pub(crate) fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    )
}

/// A started simulated network of `n` validator identities (validator keys `0..n`), with no
/// links yet and no validator running.
pub(crate) struct Net {
    pub oracle: SimOracle,
    pub keys: Vec<SigningKey>,
    pub pks: Vec<PublicKey>,
    pub genesis: Genesis,
}

impl Net {
    /// Starts the network. `disconnect_on_block`: whether a peer blocked by another (for a
    /// protocol fault) is cut off from it, or keeps sending (to keep a Byzantine actor at work).
    pub(crate) async fn start(
        context: &deterministic::Context,
        n: usize,
        disconnect_on_block: bool,
    ) -> Self {
        let keys: Vec<SigningKey> = (0..n as u64).map(validator_key).collect();
        Self::start_with(context, n, genesis(&keys), disconnect_on_block).await
    }

    /// Starts a network of `n` identities (validator keys `0..n`, all connected peers) for a
    /// chain of `genesis` (whose validators may be fewer).
    pub(crate) async fn start_with(
        context: &deterministic::Context,
        n: usize,
        genesis: Genesis,
        disconnect_on_block: bool,
    ) -> Self {
        let keys: Vec<SigningKey> = (0..n as u64).map(validator_key).collect();
        let pks: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: (MAX_BLOCK_BYTES + 65_536) as u32,
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block,
                tracked_peer_sets: NZUsize!(1),
            },
            pks.clone(),
        )
        .await;
        network.start();
        Self {
            oracle,
            keys,
            pks,
            genesis,
        }
    }

    /// Registers the six channels of validator `i`.
    pub(crate) async fn channels(&self, i: usize) -> SimChannels {
        let control = self.oracle.control(self.pks[i].clone());
        let quota = Quota::per_second(NZU32!(CHANNEL_MESSAGES_PER_SEC));
        let mut reg = Vec::new();
        for ch in 0..6u64 {
            reg.push(control.register(ch, quota).await.unwrap());
        }
        let mut reg = reg.into_iter();
        Channels {
            votes: reg.next().unwrap(),
            certificates: reg.next().unwrap(),
            resolver: reg.next().unwrap(),
            broadcast: reg.next().unwrap(),
            backfill: reg.next().unwrap(),
            txs: reg.next().unwrap(),
        }
    }

    /// Opens validator `i`'s ledger (index under `dir`, state in the runtime's storage) and
    /// starts its consensus engine.
    pub(crate) async fn start_validator(
        &self,
        context: &deterministic::Context,
        dir: &Path,
        i: usize,
    ) -> Validator {
        let channels = self.channels(i).await;
        let index = Index::open(&dir.join(format!("v{i}.redb"))).unwrap();
        let ledger = Ledger::open(
            context.child("ledger").with_attribute("v", i),
            &format!("v{i}"),
            self.genesis.clone(),
            index,
            Mempool::new(MempoolConfig::default()),
        )
        .await
        .unwrap();
        let pk = self.pks[i].clone();
        engine::start(
            context.child("engine").with_attribute("v", i),
            EngineConfig::new(CHAIN, &format!("v{i}")),
            ledger.clone(),
            self.keys[i].as_commonware().clone(),
            self.oracle.manager(),
            self.oracle.control(pk.clone()),
            FixedPeers,
            channels,
        )
        .await
        .unwrap();
        Validator { key: pk, ledger }
    }
}

/// Starts `n` honest validators on a new network (not linked yet).
pub(crate) async fn start_network(
    context: &deterministic::Context,
    dir: &Path,
    n: usize,
) -> (SimOracle, Vec<Validator>) {
    let net = Net::start(context, n, true).await;
    let mut validators = Vec::new();
    for i in 0..n {
        validators.push(net.start_validator(context, dir, i).await);
    }
    (net.oracle, validators)
}

/// Links every two of `group` both ways.
pub(crate) async fn link_all(oracle: &SimOracle, group: &[&Validator]) {
    let keys: Vec<PublicKey> = group.iter().map(|v| v.key.clone()).collect();
    link_keys(oracle, &keys).await;
}

/// Links every two of `keys` both ways (an existing link is kept).
pub(crate) async fn link_keys(oracle: &SimOracle, keys: &[PublicKey]) {
    for a in keys {
        for b in keys {
            if a != b {
                let _ = oracle.add_link(a.clone(), b.clone(), LINK.clone()).await;
            }
        }
    }
}

/// Waits until every validator of `vs` has finalized height `h`; false after `limit`.
pub(crate) async fn wait_height(
    context: &deterministic::Context,
    vs: &[&Validator],
    h: u64,
    limit: Duration,
) -> bool {
    let start = context.current();
    loop {
        if vs.iter().all(|v| v.ledger.finalized().header.height >= h) {
            return true;
        }
        if context.current().duration_since(start).unwrap_or_default() > limit {
            return false;
        }
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Checks `done` every 50 ms until it holds; panics, naming `what`, after `limit`.
pub(crate) async fn wait_for(
    context: &deterministic::Context,
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) {
    let start = context.current();
    while !done() {
        let waited = context.current().duration_since(start).unwrap_or_default();
        assert!(waited <= limit, "timed out waiting for {what}");
        context.sleep(Duration::from_millis(50)).await;
    }
}

/// Four validators, all linked, once each has finalized `h`.
pub(crate) async fn start_linked(
    context: &deterministic::Context,
    dir: &Path,
    h: u64,
) -> (SimOracle, Vec<Validator>) {
    let (oracle, vs) = start_network(context, dir, 4).await;
    let all: Vec<&Validator> = vs.iter().collect();
    link_all(&oracle, &all).await;
    assert!(wait_height(context, &all, h, Duration::from_secs(120)).await);
    (oracle, vs)
}

/// Four validators of which the first three are linked and have finalized 10 blocks; the fourth
/// is cut off (still at genesis).
pub(crate) async fn start_cut_off(
    context: &deterministic::Context,
    dir: &Path,
) -> (SimOracle, Vec<Validator>) {
    let (oracle, vs) = start_network(context, dir, 4).await;
    let live: Vec<&Validator> = vs.iter().take(3).collect();
    link_all(&oracle, &live).await;
    assert!(
        wait_height(context, &live, 10, Duration::from_secs(180)).await,
        "3 of 4 must make progress"
    );
    assert_eq!(vs[3].ledger.finalized().header.height, 0);
    (oracle, vs)
}

/// The finalized block of `v` at height `h`, if it has it.
pub(crate) fn block_at(v: &Validator, h: u64) -> Option<Block> {
    v.ledger.index().block(h).unwrap()
}

/// The lowest finalized height among `vs`.
pub(crate) fn min_height(vs: &[&Validator]) -> u64 {
    vs.iter()
        .map(|v| v.ledger.finalized().header.height)
        .min()
        .unwrap()
}

/// Every validator that has block `h` has the same block (and so the same state root).
pub(crate) fn assert_agree(vs: &[&Validator], upto: u64) {
    for h in 0..=upto {
        let blocks: Vec<_> = vs.iter().filter_map(|v| block_at(v, h)).collect();
        assert!(!blocks.is_empty(), "no validator has block {h}");
        for b in &blocks {
            assert_eq!(b.id(), blocks[0].id(), "validators disagree at height {h}");
        }
    }
}

/// The committed height of `v` and the root of its committed state, read together (under the
/// ledger's state lock, under which commits move both).
pub(crate) async fn committed_root(v: &Validator) -> (u64, Digest) {
    v.ledger.committed_root().await
}

/// Each validator's finalized blocks `0..=upto` form one chain (each block's parent is the
/// block below it, heights in order), and the root of its committed state is the one its tip's
/// header names: what it finalized is one history, and its state is that history's.
pub(crate) async fn assert_one_chain(vs: &[&Validator], upto: u64) {
    for v in vs {
        let mut parent: Option<Block> = None;
        for h in 0..=upto {
            let b = block_at(v, h).unwrap_or_else(|| panic!("no block {h}"));
            assert_eq!(b.height(), h);
            if let Some(p) = &parent {
                assert_eq!(
                    b.header.parent,
                    p.id(),
                    "block {h} does not extend block {}",
                    h - 1
                );
            }
            parent = Some(b);
        }
        let (height, root) = committed_root(v).await;
        let tip = block_at(v, height).expect("the committed tip is indexed");
        assert_eq!(
            root, tip.header.state_root,
            "committed state is not the chain's"
        );
    }
}
