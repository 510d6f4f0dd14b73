//! `sovra bench transfers`: throughput and finality latency of pre-signed
//! transfers on real nodes (separate processes on loopback), beside the
//! machine's raw Ed25519 batch-verification rate measured in the same run.
//! Each network carries two loads one after the other: native transfers, then
//! transfers of a fungible asset class (the assets module), so their rates
//! compare in one run on the same nodes.

use crate::error::{BenchError, Result, bail};
use crate::net::{Nodes, spawn_node};
use crate::percentile;
use clap::Args;
use commonware_codec::Encode;
use sovra_client::Client;
use sovra_crypto::{BatchItem, SigningKey, batch_verify};
use sovra_node::netinit;
use sovra_types::{
    AccountsAction, Action, AssetClassId, AssetKind, AssetsAction, ClassFlags, ClassTerms, Did,
    SignedTransaction, Transaction, digest_hex, limits::MAX_ACTIONS_PER_TX,
};
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

/// Options of the transfer benchmark.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Transfers per network.
    #[arg(long, default_value_t = 20_000)]
    pub txs: usize,
    /// Transfers per HTTP submission.
    #[arg(long, default_value_t = 1_000)]
    pub batch: usize,
    /// Network sizes to run, comma-separated.
    #[arg(long, default_value = "1,4")]
    pub validators: String,
    /// Distinct sending identities.
    #[arg(long, default_value_t = 64)]
    pub senders: u32,
    /// First API port used by the benchmark's nodes.
    #[arg(long, default_value_t = 28545)]
    pub api_base_port: u16,
    /// First p2p port used by the benchmark's nodes.
    #[arg(long, default_value_t = 29545)]
    pub p2p_base_port: u16,
    /// Offered load in transfers per second (batches paced evenly); 0 submits as fast as possible.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Give up on a network after this many seconds.
    #[arg(long, default_value_t = 180)]
    pub timeout_secs: u64,
    /// Concurrent submitting clients (each sends every n-th batch).
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Most transactions per block (genesis `max_block_txs`; default: as `testnet init` writes).
    #[arg(long)]
    pub max_block_txs: Option<u32>,
    /// Blocks per epoch (genesis `epoch_length`, at least 2; default: as `testnet init` writes,
    /// 20): shorter epochs measure more epoch changes (a new consensus engine each).
    #[arg(long)]
    pub epoch_length: Option<u64>,
    /// Consensus leader timeout of every node, in milliseconds (default: as `testnet init` writes).
    #[arg(long)]
    pub leader_timeout_ms: Option<u64>,
    /// Log filter of the nodes (`RUST_LOG` syntax); each node logs to `node.log` beside its config.
    #[arg(long, default_value = "warn")]
    pub node_log: String,
    /// Keep each network's directory (keys, configs, data, logs) and print where it is.
    #[arg(long)]
    pub keep_dir: bool,
    /// Loads to run on each network, in order: `native` (native token transfers), `asset`
    /// (transfers of a fungible asset class, created and minted to every sender first).
    #[arg(long, value_delimiter = ',', default_value = "native,asset")]
    pub loads: Vec<Load>,
}

/// What a load transfers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Load {
    /// Native token transfers (`accounts` module).
    Native,
    /// Transfers of one unit of a fungible asset class (`assets` module).
    Asset,
}

impl Load {
    fn name(self) -> &'static str {
        match self {
            Load::Native => "native",
            Load::Asset => "asset",
        }
    }
}

/// Applies the benchmark's overrides of genesis and node configs to a freshly written network.
fn apply_overrides(
    args: &BenchArgs,
    dir: &std::path::Path,
    layout: &netinit::NetworkLayout,
) -> Result<()> {
    if args.max_block_txs.is_some() || args.epoch_length.is_some() {
        let path = dir.join("genesis.json");
        let mut genesis = sovra_types::Genesis::from_json(&std::fs::read(&path)?)?;
        if let Some(max) = args.max_block_txs {
            genesis.max_block_txs = max;
        }
        if let (Some(length), Some(economy)) = (args.epoch_length, genesis.economy.as_mut()) {
            economy.epoch_length = length;
            // Voting must end within the stake history kept (14 epochs).
            economy.voting_period = economy.voting_period.min(length * 14);
        }
        genesis.validate()?;
        std::fs::write(&path, serde_json::to_vec_pretty(&genesis)?)?;
    }
    if let Some(ms) = args.leader_timeout_ms {
        for (cfg, _) in &layout.nodes {
            let mut config = sovra_node::config::NodeConfig::load(cfg)?;
            config.consensus.leader_timeout_ms = ms;
            // Simplex requires the notarization timeout to be at least the leader timeout.
            config.consensus.notarization_timeout_ms =
                config.consensus.notarization_timeout_ms.max(2 * ms);
            config.save(cfg)?;
        }
    }
    Ok(())
}

/// Raw Ed25519 batch verification rate (signatures per second), batches of 1,000.
fn baseline_verify_rate() -> Result<f64> {
    let keys: Vec<SigningKey> = (0..64).map(SigningKey::from_test_seed).collect();
    let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let msgs: Vec<Vec<u8>> = (0..20_000u32).map(|i| i.to_be_bytes().repeat(64)).collect();
    let sigs: Vec<_> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| keys[i % 64].sign(b"bench", m))
        .collect();
    let start = Instant::now();
    for chunk in (0..msgs.len()).collect::<Vec<_>>().chunks(1000) {
        let items: Vec<BatchItem<'_>> = chunk
            .iter()
            .map(|&i| BatchItem {
                public_key: &pks[i % 64],
                namespace: b"bench",
                message: &msgs[i],
                signature: &sigs[i],
            })
            .collect();
        if !batch_verify(&items)? {
            bail!("baseline batch failed to verify");
        }
    }
    Ok(msgs.len() as f64 / start.elapsed().as_secs_f64())
}

/// Finalized height every node must reach before the load starts.
const LIVE_HEIGHT: u64 = 3;

struct Outcome {
    validators: u32,
    load: Load,
    finalized: usize,
    tps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Starts a network of `n` validators and runs every load of `args.loads` on it in turn.
fn run_network(args: &BenchArgs, n: u32) -> Result<(Vec<Outcome>, String)> {
    let dir = tempfile::tempdir()?;
    if args.keep_dir {
        eprintln!("  network directory (kept): {}", dir.path().display());
    }
    let api: Vec<_> = (0..n as u16)
        .map(|i| std::net::SocketAddr::from(([127, 0, 0, 1], args.api_base_port + i)))
        .collect();
    let p2p: Vec<_> = (0..n as u16)
        .map(|i| std::net::SocketAddr::from(([127, 0, 0, 1], args.p2p_base_port + i)))
        .collect();
    let layout = netinit::init_network(dir.path(), "sovra-bench", n, &api, &p2p, args.senders)?;
    apply_overrides(args, dir.path(), &layout)?;
    let exe = std::env::current_exe()?;
    let mut nodes = Nodes(Vec::new());
    for (cfg, _) in &layout.nodes {
        nodes.0.push(spawn_node(&exe, cfg, &args.node_log)?);
    }
    let clients: Vec<Client> = api
        .iter()
        .map(|a| Client::new(&format!("http://{a}")))
        .collect();
    let ready = Instant::now();
    while clients.iter().any(|c| c.status().is_err()) {
        if ready.elapsed() > Duration::from_secs(30) {
            bail!("nodes did not start; see logs in {}", dir.path().display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Measure the network once consensus runs, not while its first views time out waiting for
    // peers to connect: wait until every node has finalized a few blocks.
    while !clients
        .iter()
        .all(|c| c.status().is_ok_and(|s| s.finalized_height >= LIVE_HEIGHT))
    {
        if ready.elapsed() > Duration::from_secs(60) {
            bail!(
                "the network did not start finalizing; see logs in {}",
                dir.path().display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "  network finalizing {:.1}s after its nodes started",
        ready.elapsed().as_secs_f64()
    );
    let chain_id = clients[0].status()?.chain_id;
    let dids: Vec<Did> = layout
        .dev_keys
        .iter()
        .map(|k| Did::from_public_key(&k.public_key()))
        .collect();
    let class = AssetClassId {
        issuer: dids[0].clone(),
        name: "BENCH".into(),
    };
    let mut outcomes = Vec::new();
    for &load in &args.loads {
        if load == Load::Asset {
            create_and_mint(
                &clients[0],
                &chain_id,
                &layout.dev_keys,
                &dids,
                &class,
                args.txs,
            )?;
        }
        // Pre-sign every transfer, from the senders' nonces now.
        let mut nonces = dids
            .iter()
            .map(|d| Ok(clients[0].account(d)?.next_nonce))
            .collect::<Result<Vec<u64>>>()?;
        let txs: Vec<(String, String)> = (0..args.txs)
            .map(|i| {
                let s = i % dids.len();
                let to = dids[(s + 1) % dids.len()].clone();
                let action = match load {
                    Load::Native => Action::Accounts(AccountsAction::Transfer { to, amount: 1 }),
                    Load::Asset => Action::Assets(AssetsAction::Transfer {
                        class: class.clone(),
                        token: 0,
                        to,
                        amount: 1,
                    }),
                };
                let tx = sign(
                    &chain_id,
                    &layout.dev_keys[s],
                    &dids[s],
                    nonces[s],
                    vec![action],
                );
                nonces[s] += 1;
                (digest_hex(&tx.id()), hex::encode(tx.encode()))
            })
            .collect();
        outcomes.push(measure(args, n, load, &clients, &api[0], &txs)?);
    }
    // How the epoch changes during the loads compare with the blocks within epochs.
    let epoch_length = clients[0].params()?.params.epoch_length;
    let changes = crate::epochs::EpochChanges::read(&clients[0], epoch_length, 5_000)?;
    if args.keep_dir {
        let _ = dir.keep();
    }
    Ok((
        outcomes,
        format!(
            "{n} validator(s), epochs of {epoch_length} blocks: {}",
            changes.summary()
        ),
    ))
}

/// A transaction of `actions` signed by `key` (the identity `did`).
fn sign(
    chain_id: &str,
    key: &SigningKey,
    did: &Did,
    nonce: u64,
    actions: Vec<Action>,
) -> SignedTransaction {
    Transaction {
        chain_id: chain_id.to_string(),
        signer: did.clone(),
        nonce,
        fee: 1,
        expiry_height: u64::MAX,
        actions,
    }
    .sign(key)
}

/// Creates the fungible class `class` as its issuer (sender 0) and mints every sender enough
/// for a load of `txs` transfers, then waits until all of it is final and completed.
fn create_and_mint(
    client: &Client,
    chain_id: &str,
    keys: &[SigningKey],
    dids: &[Did],
    class: &AssetClassId,
    txs: usize,
) -> Result<()> {
    let mut actions = vec![Action::Assets(AssetsAction::Create {
        name: class.name.clone(),
        terms: ClassTerms {
            kind: AssetKind::Fungible,
            symbol: "BNCH".into(),
            title: "Benchmark token".into(),
            decimals: 0,
            max_supply: None,
            flags: ClassFlags(ClassFlags::TRANSFERABLE),
            metadata: None,
        },
    })];
    for did in dids {
        actions.push(Action::Assets(AssetsAction::Mint {
            class: class.clone(),
            token: 0,
            to: did.clone(),
            amount: txs as u128,
            metadata: None,
        }));
    }
    let mut nonce = client.account(&dids[0])?.next_nonce;
    let setup: Vec<SignedTransaction> = actions
        .chunks(MAX_ACTIONS_PER_TX)
        .map(|chunk| {
            let tx = sign(chain_id, &keys[0], &dids[0], nonce, chunk.to_vec());
            nonce += 1;
            tx
        })
        .collect();
    submit_when_synced(
        client,
        setup.iter().map(|t| hex::encode(t.encode())).collect(),
    )?;
    for tx in &setup {
        let status = client.wait_final(&digest_hex(&tx.id()), Duration::from_secs(60))?;
        if status.status != "completed" {
            bail!("creating and minting the benchmark class: {status:?}");
        }
    }
    Ok(())
}

/// Submits pre-signed `txs` (id, hex) to the network and times each from acceptance to
/// finality.
fn measure(
    args: &BenchArgs,
    n: u32,
    load: Load,
    clients: &[Client],
    api0: &std::net::SocketAddr,
    txs: &[(String, String)],
) -> Result<Outcome> {
    // A follower sees finalized blocks while the batches are being submitted, so a block is
    // timed when it finalizes, not when submission is over.
    let start_height = clients[0].status()?.finalized_height;
    let counters_before = consensus_counters(api0);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let client = clients[0].clone();
        let stop = stop.clone();
        let expected = txs.len();
        std::thread::spawn(move || {
            let mut seen: HashMap<String, Instant> = HashMap::with_capacity(expected);
            let mut height = start_height + 1;
            while seen.len() < expected && !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match client.block(Some(height)) {
                    Ok(block) => {
                        let now = Instant::now();
                        for id in block.txs {
                            seen.insert(id, now);
                        }
                        height += 1;
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
            seen
        })
    };
    // Submit batches round-robin across nodes (paced if --rate) from `--clients` threads, each
    // taking every n-th batch; note when each transaction was accepted. (A sender's batches may
    // arrive slightly out of nonce order; the mempool holds nonces ahead of the next one.)
    let t0 = Instant::now();
    let workers = args.clients.max(1);
    let batches: Vec<&[(String, String)]> = txs.chunks(args.batch).collect();
    let submitted: HashMap<String, Instant> = std::thread::scope(|scope| -> Result<_> {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let batches = &batches;
                let clients = &clients;
                scope.spawn(move || -> Result<Vec<(String, Instant)>> {
                    let mut accepted = Vec::new();
                    for b in (w..batches.len()).step_by(workers) {
                        if args.rate > 0 {
                            let due = t0
                                + Duration::from_secs_f64(
                                    (b * args.batch) as f64 / args.rate as f64,
                                );
                            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                std::thread::sleep(wait);
                            }
                        }
                        let chunk = batches[b];
                        let client = &clients[b % clients.len()];
                        let resp = submit_when_synced(
                            client,
                            chunk.iter().map(|(_, h)| h.clone()).collect(),
                        )?;
                        let now = Instant::now();
                        for ((id, _), r) in chunk.iter().zip(resp.results) {
                            if r.accepted {
                                accepted.push((id.clone(), now));
                            }
                        }
                    }
                    Ok(accepted)
                })
            })
            .collect();
        let mut all = HashMap::with_capacity(txs.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| BenchError::Failed("a submitting thread panicked".to_string()))??;
            all.extend(part);
        }
        Ok(all)
    })?;
    let submit_secs = t0.elapsed().as_secs_f64();
    // Wait for the follower to see every accepted transaction final (or give up).
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    while !follower.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = follower
        .join()
        .map_err(|_| BenchError::Failed("the block follower panicked".to_string()))?;
    let mut latencies = Vec::with_capacity(submitted.len());
    let mut last_final = t0;
    for (id, sent) in &submitted {
        if let Some(done) = seen.get(id) {
            latencies.push(done.saturating_duration_since(*sent).as_secs_f64() * 1000.0);
            last_final = last_final.max(*done);
        }
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let elapsed = last_final.duration_since(t0).as_secs_f64().max(1e-9);
    eprintln!(
        "  {n} validator(s), {} transfers: submitted {} of {} in {submit_secs:.2}s, {} final, {}",
        load.name(),
        submitted.len(),
        txs.len(),
        latencies.len(),
        counted_during_load(counters_before, consensus_counters(api0))
    );
    Ok(Outcome {
        validators: n,
        load,
        finalized: latencies.len(),
        tps: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    })
}

/// Timed-out views and nullifications a node has counted (from its `/metrics`), to tell slow
/// rounds from queueing; `None` if its metrics cannot be read.
fn consensus_counters(api: &std::net::SocketAddr) -> Option<(f64, f64)> {
    let mut resp = ureq::get(&format!("http://{api}/metrics")).call().ok()?;
    let text = resp.body_mut().read_to_string().ok()?;
    let sum = |name: &str| -> f64 {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| {
                l.split(['{', ' '])
                    .next()
                    .is_some_and(|m| m.ends_with(name))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    Some((sum("timeouts_total"), sum("nullifications_total")))
}

/// What node 0 counted between two readings of [`consensus_counters`].
fn counted_during_load(before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> String {
    match (before, after) {
        (Some((t0, n0)), Some((t1, n1))) => format!(
            "during the load node 0 counted {} timed-out views and {} nullifications",
            t1 - t0,
            n1 - n0
        ),
        _ => "no consensus metrics".into(),
    }
}

/// Runs the benchmark and prints a table.
pub fn run(args: BenchArgs) -> Result<()> {
    let sizes: Vec<u32> = args
        .validators
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<u32>()
                .map_err(|e| BenchError::step("--validators takes numbers like 1,4")(e.into()))
        })
        .collect::<Result<_>>()?;
    eprintln!("measuring raw Ed25519 batch verification...");
    let verify_rate = baseline_verify_rate()?;
    let mut outcomes = Vec::new();
    let mut epoch_changes = Vec::new();
    for n in sizes {
        eprintln!(
            "running {} transfers of each load on {n} validator(s)...",
            args.txs
        );
        let (measured, changes) = run_network(&args, n)?;
        outcomes.extend(measured);
        epoch_changes.push(changes);
    }
    println!("baseline: raw Ed25519 batch verification {verify_rate:.0} sig/s (1 core)");
    println!("validators  load     finalized  tx/s       p50 ms   p99 ms   tx/s / verify rate");
    for o in &outcomes {
        println!(
            "{:<11} {:<8} {:<10} {:<10.0} {:<8.1} {:<8.1} {:.3}",
            o.validators,
            o.load.name(),
            o.finalized,
            o.tps,
            o.p50_ms,
            o.p99_ms,
            o.tps / verify_rate
        );
    }
    for o in outcomes.iter().filter(|o| o.load == Load::Asset) {
        if let Some(native) = outcomes
            .iter()
            .find(|n| n.load == Load::Native && n.validators == o.validators)
        {
            println!(
                "{} validator(s): asset transfers at {:.0}% of the native rate",
                o.validators,
                100.0 * o.tps / native.tps
            );
        }
    }
    for line in epoch_changes {
        println!("{line}");
    }
    Ok(())
}

/// Submits a batch; while the node says it is behind the network (`503 syncing`), waits and
/// retries (for up to 30 s), as its `Retry-After` asks.
fn submit_when_synced(
    client: &Client,
    batch: Vec<String>,
) -> Result<sovra_api_types::SubmitResponse> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.submit_encoded(batch.clone()) {
            Err(sovra_client::ClientError::Api { status: 503, .. })
                if Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return Ok(other?),
        }
    }
}
