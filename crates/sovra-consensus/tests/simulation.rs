//! Multi-validator simulations on the deterministic runtime and simulated
//! p2p network: 4 validators agree on the same blocks and state roots while
//! executing transfers; progress continues with one validator cut off; a
//! partition of 2 of 4 halts finality, which resumes after healing. Several
//! seeds each.

use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{Clock, Quota, Runner as _, Supervisor as _, deterministic};
use commonware_utils::{NZU32, NZUsize, probability};
use sovra_consensus::{
    Ledger,
    engine::{self, Channels, EngineConfig},
    mempool::{Mempool, MempoolConfig},
};
use sovra_crypto::SigningKey;
use sovra_store::Index;
use sovra_types::{
    Action, Did, Genesis, GenesisAccount, GenesisValidator, SignedTransaction, Transaction,
    limits::MAX_BLOCK_BYTES,
};
use std::time::Duration;

const CHAIN: &str = "sim";
const LINK: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: probability!(1.0),
};

struct Validator {
    key: PublicKey,
    ledger: Ledger<deterministic::Context>,
}

fn dev(i: u64) -> SigningKey {
    SigningKey::from_test_seed(1000 + i)
}

fn genesis(validators: &[SigningKey]) -> Genesis {
    Genesis {
        chain_id: CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: validators
            .iter()
            .map(|k| GenesisValidator {
                public_key: hex::encode(k.public_key().as_ref()),
                p2p_address: "127.0.0.1:1".into(),
            })
            .collect(),
        accounts: (0..4)
            .map(|i| GenesisAccount {
                did: Did::from_public_key(&dev(i).public_key()),
                balance: 1_000_000,
            })
            .collect(),
        min_fee: 1,
        max_block_txs: 100,
        registry_authority: None,
    }
}

fn transfer(from: u64, to: u64, nonce: u64, amount: u64) -> (SignedTransaction, usize) {
    let tx = Transaction {
        chain_id: CHAIN.into(),
        signer: Did::from_public_key(&dev(from).public_key()),
        nonce,
        fee: 1,
        expiry_height: 1_000_000,
        actions: vec![Action::Transfer {
            to: Did::from_public_key(&dev(to).public_key()),
            amount,
        }],
    }
    .sign(&dev(from));
    (tx, 200)
}

async fn start_network(
    context: &deterministic::Context,
    dir: &std::path::Path,
    n: usize,
) -> (Oracle<PublicKey, deterministic::Context>, Vec<Validator>) {
    let keys: Vec<SigningKey> = (0..n as u64).map(SigningKey::from_test_seed).collect();
    let pks: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let genesis = genesis(&keys);
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: (MAX_BLOCK_BYTES + 65_536) as u32,
            max_peers_per_set: NZUsize!(n),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        pks.clone(),
    )
    .await;
    network.start();
    let quota = Quota::per_second(NZU32!(100_000));
    let mut validators = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let pk = key.public_key();
        let control = oracle.control(pk.clone());
        let mut reg = Vec::new();
        for ch in 0..6u64 {
            reg.push(control.register(ch, quota).await.unwrap());
        }
        let mut reg = reg.into_iter();
        let channels = Channels {
            votes: reg.next().unwrap(),
            certificates: reg.next().unwrap(),
            resolver: reg.next().unwrap(),
            broadcast: reg.next().unwrap(),
            backfill: reg.next().unwrap(),
            txs: reg.next().unwrap(),
        };
        let index = Index::open(&dir.join(format!("v{i}.redb"))).unwrap();
        let ledger = Ledger::open(
            context.child("ledger").with_attribute("v", i),
            &format!("v{i}"),
            genesis.clone(),
            index,
            Mempool::new(MempoolConfig::default()),
        )
        .await
        .unwrap();
        engine::start(
            context.child("engine").with_attribute("v", i),
            EngineConfig::new(CHAIN, &format!("v{i}")),
            ledger.clone(),
            key.as_commonware().clone(),
            &pks,
            oracle.manager(),
            oracle.control(pk.clone()),
            channels,
        )
        .await
        .unwrap();
        validators.push(Validator { key: pk, ledger });
    }
    (oracle, validators)
}

/// A seeded deterministic runtime that gives up after 10 simulated minutes.
fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    )
}

async fn link_all(oracle: &Oracle<PublicKey, deterministic::Context>, group: &[&Validator]) {
    for a in group {
        for b in group {
            if a.key != b.key {
                let _ = oracle
                    .add_link(a.key.clone(), b.key.clone(), LINK.clone())
                    .await;
            }
        }
    }
}

async fn wait_height(
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

/// Every validator that has block `h` has the same block (and so the same state root).
fn assert_agree(vs: &[&Validator], upto: u64) {
    for h in 0..=upto {
        let blocks: Vec<_> = vs
            .iter()
            .filter_map(|v| v.ledger.index.block(h).unwrap())
            .collect();
        assert!(!blocks.is_empty(), "no validator has block {h}");
        for b in &blocks {
            assert_eq!(b.id(), blocks[0].id(), "validators disagree at height {h}");
        }
    }
}

#[test]
fn four_validators_agree_and_execute_transfers() {
    for seed in 0..3u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_network(&context, dir.path(), 4).await;
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            // Transfers submitted to different validators' mempools; some fail.
            for n in 0..10 {
                let target = &vs[n as usize % 4].ledger;
                let r = target.admit(vec![transfer(0, 1, n, 100)]).await.unwrap();
                assert!(r[0].is_ok(), "{:?}", r[0]);
            }
            let r = vs[1]
                .ledger
                .admit(vec![transfer(2, 3, 0, 5_000_000)])
                .await
                .unwrap();
            assert!(r[0].is_ok());
            assert!(
                wait_height(&context, &all, 15, Duration::from_secs(120)).await,
                "seed {seed}: no progress"
            );
            let h = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .min()
                .unwrap();
            assert_agree(&all, h);
            for v in &vs {
                let a = v
                    .ledger
                    .account(&Did::from_public_key(&dev(1).public_key()))
                    .await
                    .unwrap();
                let b = v
                    .ledger
                    .account(&Did::from_public_key(&dev(2).public_key()))
                    .await
                    .unwrap();
                assert_eq!(a.balance, 1_000_000 + 1000, "seed {seed}");
                // The failed transfer used its nonce and paid its fee.
                assert_eq!((b.balance, b.nonce), (1_000_000 - 1, 1), "seed {seed}");
            }
        });
    }
}

#[test]
fn progress_with_one_validator_cut_off() {
    for seed in 10..12u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_network(&context, dir.path(), 4).await;
            let live: Vec<&Validator> = vs.iter().take(3).collect();
            link_all(&oracle, &live).await;
            assert!(
                wait_height(&context, &live, 10, Duration::from_secs(180)).await,
                "seed {seed}: 3 of 4 must make progress"
            );
            assert_eq!(vs[3].ledger.finalized().header.height, 0);
            // Reconnect the fourth: it catches up through backfill.
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            let target = live[0].ledger.finalized().header.height;
            assert!(
                wait_height(&context, &[&vs[3]], target, Duration::from_secs(180)).await,
                "seed {seed}: no catch-up"
            );
            assert_agree(&all, target);
        });
    }
}

#[test]
fn partition_of_two_halts_finality_until_healed() {
    for seed in 20..22u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_network(&context, dir.path(), 4).await;
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            assert!(wait_height(&context, &all, 5, Duration::from_secs(120)).await);
            // Split into {0,1} and {2,3}.
            for a in 0..4 {
                for b in 0..4 {
                    if (a < 2) != (b < 2) {
                        oracle
                            .remove_link(vs[a].key.clone(), vs[b].key.clone())
                            .await
                            .unwrap();
                    }
                }
            }
            context.sleep(Duration::from_secs(3)).await;
            let stalled = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .max()
                .unwrap();
            context.sleep(Duration::from_secs(20)).await;
            let later = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .max()
                .unwrap();
            assert_eq!(
                stalled, later,
                "seed {seed}: finality must halt without a quorum"
            );
            // Heal.
            link_all(&oracle, &all).await;
            assert!(
                wait_height(&context, &all, later + 5, Duration::from_secs(180)).await,
                "seed {seed}: no recovery"
            );
            let h = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .min()
                .unwrap();
            assert_agree(&all, h);
        });
    }
}

/// The whole network stops uncleanly (a runtime checkpoint keeps only what
/// reached storage) while validator 3 is cut off and behind; after restart
/// every validator resumes from its own storage, validator 3 catches up, and
/// all agree on blocks and state roots.
#[test]
fn validators_restart_from_storage_and_catch_up() {
    for seed in 30..32u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let (before, checkpoint) = runner(seed).start_and_recover(|context| {
            let path = path.clone();
            async move {
                let (oracle, vs) = start_network(&context, &path, 4).await;
                let all: Vec<&Validator> = vs.iter().collect();
                link_all(&oracle, &all).await;
                assert!(wait_height(&context, &all, 3, Duration::from_secs(120)).await);
                for other in 0..3 {
                    oracle
                        .remove_link(vs[3].key.clone(), vs[other].key.clone())
                        .await
                        .unwrap();
                    oracle
                        .remove_link(vs[other].key.clone(), vs[3].key.clone())
                        .await
                        .unwrap();
                }
                for n in 0..5 {
                    assert!(
                        vs[0]
                            .ledger
                            .admit(vec![transfer(0, 1, n, 7)])
                            .await
                            .unwrap()[0]
                            .is_ok()
                    );
                }
                let live: Vec<&Validator> = vs.iter().take(3).collect();
                assert!(wait_height(&context, &live, 12, Duration::from_secs(120)).await);
                vs.iter()
                    .map(|v| v.ledger.finalized().header.height)
                    .collect::<Vec<_>>()
            }
        });
        assert!(
            before[3] < before[0],
            "seed {seed}: validator 3 should be behind"
        );
        deterministic::Runner::from(checkpoint).start(|context| {
            let path = path.clone();
            async move {
                let (oracle, vs) = start_network(&context, &path, 4).await;
                // Every validator reopened at (at least) the height it had committed.
                for (v, h) in vs.iter().zip(&before) {
                    assert!(
                        v.ledger.finalized().header.height >= *h,
                        "seed {seed}: lost finalized blocks"
                    );
                }
                let all: Vec<&Validator> = vs.iter().collect();
                link_all(&oracle, &all).await;
                let target = before[0] + 5;
                assert!(
                    wait_height(&context, &all, target, Duration::from_secs(180)).await,
                    "seed {seed}: no recovery"
                );
                assert_agree(&all, target);
                for v in &vs {
                    let a = v
                        .ledger
                        .account(&Did::from_public_key(&dev(1).public_key()))
                        .await
                        .unwrap();
                    assert_eq!(a.balance, 1_000_000 + 35, "seed {seed}");
                }
            }
        });
    }
}
