//! Replication and erasure of pinned public content on a deterministic simulation: four nodes,
//! each with its own content store, resolver engine, replicator and garbage collector (the
//! node's own types, as `sovra node` wires them), linked through commonware's simulated p2p
//! network on one seeded runtime. A file pinned at replication 2 reaches both assigned holders,
//! one of which crashes mid-replication and restarts (from its store on disk) only after the
//! uploader is down: it completes from the other holder. Unpinned, the file is erased by every
//! node, the restarted ones included. The same seed replays the same run (the runtime's audit
//! of every task, timer, message and random draw is equal).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use commonware_cryptography::{Signer as _, ed25519::PublicKey};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_runtime::{
    Clock, Handle, Quota, Runner as _, Spawner, Supervisor as _, deterministic,
};
use commonware_utils::{NZDuration, NZU32, NZUsize};
use sovra_cas::{Adder, BlockSink, BlockSource, Cid, MemoryBlocks, Profile, car, dag::Scope};
use sovra_crypto::SigningKey;
use sovra_node::housekeeping::clock_ms;
use sovra_node::replication::{BlockFetcher, BlockProducer, Replicator, RootsFn, assigned_holders};
use sovra_store::ContentStore;

/// Nodes in the simulated network.
const NODES: usize = 4;

/// The p2p channel of content blocks (as in `sovra node`).
const CONTENT_CHANNEL: u64 = 6;

/// Every link of the simulated network.
const LINK: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: commonware_utils::probability!(1.0),
};

/// How long an upload is kept without a pin.
const GRACE: Duration = Duration::from_secs(30);

/// The pins every node reads (a finalized index in `sovra node`): root and replication.
type Pins = Arc<Mutex<Vec<(Cid, u8)>>>;

/// A running node: its task (aborting it stops everything the node runs) and its store.
struct SimNode {
    task: Handle<()>,
    content: Arc<ContentStore>,
}

fn keys() -> Vec<PublicKey> {
    (0..NODES as u64)
        .map(|i| SigningKey::from_test_seed(i).as_commonware().public_key())
        .collect()
}

/// Pseudo-random bytes from `seed`.
fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect()
}

/// Collects the CIDs of the blocks it is given.
struct Cids(Vec<Cid>);

impl BlockSink for Cids {
    fn put_block(&mut self, cid: Cid, _data: Vec<u8>) -> Result<(), sovra_cas::CasError> {
        self.0.push(cid);
        Ok(())
    }
}

/// The CAR of a file of `data`, its root and the CIDs of its blocks.
fn file_car(data: &[u8]) -> (Cid, Vec<u8>, Vec<Cid>) {
    let mut blocks = MemoryBlocks::new();
    let root = Adder::new(Profile::Legacy)
        .add_reader(data, &mut blocks)
        .unwrap()
        .cid;
    let mut bytes = Vec::new();
    car::export(&blocks, &root, &[], &root, Scope::All, &mut bytes).unwrap();
    let mut cids = Cids(Vec::new());
    car::import(bytes.as_slice(), 1 << 30, &mut cids).unwrap();
    (root, bytes, cids.0)
}

/// Starts node `i` on `oracle`, its store in `dir`: a resolver on the content channel, a
/// replicator of `pins` and a garbage collector, all under one task.
async fn start_node(
    context: &deterministic::Context,
    oracle: &Oracle<PublicKey, deterministic::Context>,
    keys: &[PublicKey],
    dir: &Path,
    i: usize,
    pins: &Pins,
) -> SimNode {
    let me = keys[i].clone();
    let content = Arc::new(open_store(context, dir, i).await);
    let channel = oracle
        .control(me.clone())
        .register(
            CONTENT_CHANNEL,
            Quota::per_second(NZU32!(sovra_consensus::engine::CHANNEL_MESSAGES_PER_SEC)),
        )
        .await
        .unwrap();
    let (manager, blocker) = (oracle.manager(), oracle.control(me.clone()));
    let (store, validators) = (content.clone(), keys.to_vec());
    let roots = || -> RootsFn {
        let pins = pins.clone();
        Box::new(move || Ok(pins.lock().unwrap().clone()))
    };
    let (replicated, collected) = (roots(), roots());
    let task = context
        .child("node")
        .with_attribute("n", i)
        .spawn(move |context| async move {
            let (consumer, waiters) = BlockFetcher::consumer(store.clone());
            let (resolver, mailbox) = commonware_resolver::p2p::Engine::new(
                context.child("resolver"),
                commonware_resolver::p2p::Config {
                    peer_provider: manager,
                    blocker,
                    consumer,
                    producer: BlockProducer::new(store.clone()),
                    mailbox_size: NZUsize!(1024),
                    me: Some(me.clone()),
                    fetch_timeout: NZDuration!(Duration::from_secs(2)),
                    fetch_retry_delay: Duration::from_millis(200),
                    priority_requests: false,
                    priority_responses: false,
                },
            );
            resolver.start(channel);
            Replicator {
                label: "content",
                content: store.clone(),
                roots: replicated,
                fetcher: BlockFetcher::new(mailbox, waiters),
                me,
                validators,
                interval: Duration::from_secs(1),
                scrub_interval: Duration::from_secs(60),
            }
            .spawn(context.child("replication"));
            sovra_node::content::spawn_garbage_collector(
                context.child("gc"),
                store,
                collected,
                Duration::from_secs(1),
            );
            futures::future::pending::<()>().await
        });
    SimNode { task, content }
}

/// Opens node `i`'s store, waiting (in simulated time) for a crashed node's tasks to have
/// let go of it.
async fn open_store(context: &deterministic::Context, dir: &Path, i: usize) -> ContentStore {
    let path = dir.join(format!("node{i}.redb"));
    for _ in 0..100 {
        match ContentStore::open(&path) {
            Ok(store) => return store,
            Err(_) => context.sleep(Duration::from_millis(10)).await,
        }
    }
    panic!("node {i}'s store stayed open after its crash");
}

/// Stops a node as a crash would: its tasks end where they are; only what its store committed
/// remains.
async fn crash(context: &deterministic::Context, node: SimNode) {
    node.task.abort();
    drop(node.content);
    // Let the runtime drop the aborted tasks (and their handles on the store).
    context.sleep(Duration::from_millis(1)).await;
}

/// Whether `store` holds every block of the DAG under `root`.
fn complete(store: &ContentStore, root: &Cid) -> bool {
    sovra_cas::dag::missing_blocks(store, root, 1).is_ok_and(|m| m.is_empty())
}

/// Waits (in simulated time, up to `limit`) until `f` holds.
async fn wait_for(context: &deterministic::Context, limit: Duration, f: impl Fn() -> bool) -> bool {
    let start = context.current();
    while !f() {
        if context.current().duration_since(start).unwrap_or_default() > limit {
            return false;
        }
        context.sleep(Duration::from_millis(100)).await;
    }
    true
}

/// What one run observed, to compare runs of one seed.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// The runtime auditor's digest at the end.
    auditor: String,
    /// Simulated milliseconds at which each phase ended.
    phases: Vec<u64>,
    /// Blocks the crashing holder had when it crashed.
    held_at_crash: usize,
}

fn run(seed: u64, dir: &Path) -> Outcome {
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    let dir = dir.to_path_buf();
    runner.start(|context| async move {
        let keys = keys();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: 4 << 20,
                max_peers_per_set: NZUsize!(NODES),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.clone(),
        )
        .await;
        network.start();
        for a in &keys {
            for b in &keys {
                if a != b {
                    oracle.add_link(a.clone(), b.clone(), LINK).await.unwrap();
                }
            }
        }
        let started = clock_ms(&context);
        let mut phases = Vec::new();

        // A 3 MiB file (12 leaves and a root) whose two assigned holders exclude node 0.
        let index_of: HashMap<PublicKey, usize> = keys
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, k)| (k, i))
            .collect();
        let (root, car_bytes, blocks, holders) = (1u32..)
            .map(|seed| {
                let (root, car_bytes, blocks) = file_car(&data(3 << 20, seed));
                let holders: Vec<usize> = assigned_holders(&root, 2, &keys)
                    .iter()
                    .map(|k| index_of[k])
                    .collect();
                (root, car_bytes, blocks, holders)
            })
            .find(|(_, _, _, holders)| !holders.contains(&0))
            .unwrap();
        assert!(blocks.len() > 10, "{} blocks", blocks.len());
        let (crashing, steady) = (holders[0], holders[1]);
        let bystander = (1..NODES).find(|i| !holders.contains(i)).unwrap();

        let pins: Pins = Arc::default();
        let mut nodes: Vec<Option<SimNode>> = Vec::new();
        for i in 0..NODES {
            nodes.push(Some(
                start_node(&context, &oracle, &keys, &dir, i, &pins).await,
            ));
        }
        // Node 0 has the upload; then the pin is finalized.
        let kept_until = clock_ms(&context) + GRACE.as_millis() as u64;
        nodes[0]
            .as_ref()
            .unwrap()
            .content
            .import_car(car_bytes.as_slice(), 1 << 30, kept_until)
            .unwrap();
        pins.lock().unwrap().push((root, 2));

        // One holder crashes mid-replication: it has the root, not yet every leaf.
        let crashing_store = nodes[crashing].as_ref().unwrap().content.clone();
        let held = || {
            blocks
                .iter()
                .filter(|c| crashing_store.contains(c).unwrap())
                .count()
        };
        assert!(
            wait_for(&context, Duration::from_secs(10), || held() > 0).await,
            "seed {seed}: replication never started"
        );
        let held_at_crash = held();
        assert!(
            held_at_crash < blocks.len(),
            "seed {seed}: the holder completed before it crashed"
        );
        drop(crashing_store);
        crash(&context, nodes[crashing].take().unwrap()).await;
        let steady_store = nodes[steady].as_ref().unwrap().content.clone();
        assert!(
            wait_for(&context, Duration::from_secs(60), || complete(
                &steady_store,
                &root
            ))
            .await,
            "seed {seed}: the steady holder never completed"
        );
        phases.push(clock_ms(&context) - started);

        // The uploader goes down; the crashed holder restarts from what it had stored and
        // completes from the other holder.
        crash(&context, nodes[0].take().unwrap()).await;
        nodes[crashing] = Some(start_node(&context, &oracle, &keys, &dir, crashing, &pins).await);
        let restarted = nodes[crashing].as_ref().unwrap().content.clone();
        assert!(
            wait_for(&context, Duration::from_secs(60), || complete(
                &restarted, &root
            ))
            .await,
            "seed {seed}: the restarted holder never completed"
        );
        phases.push(clock_ms(&context) - started);
        // Every block it holds verifies; the bystander, not assigned, holds the DAG only if
        // something asked it to (nothing did).
        for cid in &blocks {
            assert!(restarted.get_block(cid).unwrap().is_some());
        }
        let bystander_store = nodes[bystander].as_ref().unwrap().content.clone();
        assert!(!complete(&bystander_store, &root), "seed {seed}");

        // Unpinned: once the upload's grace period has passed, every node erases it, the
        // uploader included once it is back.
        pins.lock().unwrap().clear();
        nodes[0] = Some(start_node(&context, &oracle, &keys, &dir, 0, &pins).await);
        let stores: Vec<Arc<ContentStore>> = nodes
            .iter()
            .map(|n| n.as_ref().unwrap().content.clone())
            .collect();
        let erased = || {
            stores
                .iter()
                .all(|s| blocks.iter().all(|c| !s.contains(c).unwrap()))
        };
        assert!(
            wait_for(&context, GRACE * 3, erased).await,
            "seed {seed}: unpinned blocks outlived the grace period"
        );
        phases.push(clock_ms(&context) - started);
        assert!(
            clock_ms(&context) >= kept_until,
            "seed {seed}: erased within the grace period"
        );
        Outcome {
            auditor: context.auditor().state(),
            phases,
            held_at_crash,
        }
    })
}

#[test]
fn a_crashed_holder_completes_from_its_peer_and_unpinned_content_is_erased_everywhere() {
    for seed in 0..2u64 {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = run(seed, a.path());
        let second = run(seed, b.path());
        assert_eq!(
            first, second,
            "seed {seed}: the same seed replayed differently"
        );
    }
}
