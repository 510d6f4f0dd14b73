//! Helpers shared by the tests that run real `sovra node` processes on loopback.

#![allow(dead_code)]

use sovra_client::Client;
use sovra_crypto::{MultikeyType, SigningKey};
use sovra_types::{
    Action, Did, DidDocument, Relationship, Relationships, Service, VerificationMethod,
};
use std::{
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

/// The `sovra` binary built for these tests.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_sovra");

/// The development keys `sovra testnet init` funds (see netinit.rs).
pub(crate) fn dev_key(i: u32) -> SigningKey {
    SigningKey::from_test_seed(0x5eed_0000 + i as u64)
}

/// Deterministic test content (the generator of the UnixFS vectors, from `seed`).
pub(crate) fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

/// The actions of a transfer of `amount` to `to`.
pub(crate) fn pay(to: &sovra_types::Did, amount: u64) -> Vec<sovra_types::Action> {
    vec![sovra_types::Action::Accounts(
        sovra_types::AccountsAction::Transfer {
            to: to.clone(),
            amount,
        },
    )]
}

/// A node process, killed with SIGKILL and reaped when dropped.
pub(crate) struct Node(pub Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts node `i` of the testnet in `dir`, logging to `dir/node{i}.log` (at `warn`, or the
/// filter in `SOVRA_TEST_LOG`).
pub(crate) fn start(dir: &Path, i: usize) -> Node {
    start_limited(dir, i, None)
}

/// [`start`], with the open-file limit (soft and hard) set to `nofile` if given.
pub(crate) fn start_limited(dir: &Path, i: usize, nofile: Option<u32>) -> Node {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("node{i}.log")))
        .unwrap();
    let config = dir.join(format!("node{i}/config.toml"));
    let mut command = match nofile {
        Some(n) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" node --config \"$1\""))
                .arg(BIN)
                .arg(&config);
            c
        }
        None => {
            let mut c = Command::new(BIN);
            c.args(["node", "--config"]).arg(&config);
            c
        }
    };
    Node(
        command
            .env(
                "RUST_LOG",
                std::env::var("SOVRA_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    )
}

/// Runs `sovra testnet init` for `validators` nodes in `dir` with API ports from `base` and p2p
/// ports from `base + PORT_STRIDE`.
pub(crate) fn init_testnet(dir: &Path, validators: usize, dev_keys: usize, base: u16) {
    init_testnet_ports(dir, validators, dev_keys, base, base + PORT_STRIDE)
}

/// Runs `sovra testnet init` for `validators` nodes in `dir` with API ports from `api` and p2p
/// ports from `p2p`.
pub(crate) fn init_testnet_ports(
    dir: &Path,
    validators: usize,
    dev_keys: usize,
    api: u16,
    p2p: u16,
) {
    let out = Command::new(BIN)
        .args(["testnet", "init", "--validators"])
        .arg(validators.to_string())
        .arg("--dev-keys")
        .arg(dev_keys.to_string())
        .arg("--dir")
        .arg(dir)
        .args([
            "--api-base-port",
            &api.to_string(),
            "--p2p-base-port",
            &p2p.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Initializes a testnet of `validators` in `dir` (API ports from `base`), starts every node and
/// waits until each has finalized `min_height`; returns the nodes and a client for each.
pub(crate) fn start_testnet(
    dir: &Path,
    validators: usize,
    base: u16,
    min_height: u64,
) -> (Vec<Node>, Vec<sovra_client::Client>) {
    init_testnet(dir, validators, 2, base);
    let nodes: Vec<Node> = (0..validators).map(|i| start(dir, i)).collect();
    let clients: Vec<sovra_client::Client> = (0..validators)
        .map(|i| sovra_client::Client::new(&format!("http://127.0.0.1:{}", base + i as u16)))
        .collect();
    wait_until(
        "all nodes to finalize blocks",
        Duration::from_secs(60),
        || {
            clients
                .iter()
                .all(|c| c.status().is_ok_and(|s| s.finalized_height >= min_height))
        },
    );
    (nodes, clients)
}

/// Transfers `amount` from `from`'s did:key to `to` (fee 1) and waits for it to complete.
pub(crate) fn transfer_completes(client: &Client, from: &SigningKey, to: &Did, amount: u64) {
    let id = client.transfer(from, to, amount, 1).unwrap();
    assert_eq!(
        client
            .wait_final(&id, Duration::from_secs(30))
            .unwrap()
            .status,
        "completed"
    );
}

/// Polls `f` every 200 ms until it holds, failing the test after `limit`.
pub(crate) fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until every one of `clients` has finalized `height` (a transaction that completed on one
/// node is visible on another only once that node has finalized its block).
pub(crate) fn wait_for_height(clients: &[sovra_client::Client], height: u64, limit: Duration) {
    wait_until(
        &format!("every node to finalize height {height}"),
        limit,
        || {
            clients
                .iter()
                .all(|c| c.status().is_ok_and(|s| s.finalized_height >= height))
        },
    );
}

/// A test network's directory: removed when dropped, unless `SOVRA_KEEP_TEST_DIR` is set (then
/// kept, and its path printed, for the nodes' logs and data). When dropped during a panic (a
/// failing test), it prints the end of every log in it first, so the failure shows what the
/// nodes said.
pub(crate) struct TestDir {
    dir: Option<tempfile::TempDir>,
    path: std::path::PathBuf,
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_log_tails(&self.path, 60);
        }
    }
}

/// Prints the last `lines` lines of every `*.log` file in `dir` (not recursive) to stderr.
pub(crate) fn print_log_tails(dir: &Path, lines: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut logs: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        eprintln!(
            "---- last {} lines of {} ----\n{}",
            lines.min(all.len()),
            log.display(),
            all[all.len().saturating_sub(lines)..].join("\n")
        );
    }
}

/// A fresh directory for a test network (see [`TestDir`]) and its path.
pub(crate) fn test_dir() -> (TestDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().to_path_buf();
    let dir = if std::env::var_os("SOVRA_KEEP_TEST_DIR").is_some() {
        eprintln!("test directory: {}", tmp.keep().display());
        None
    } else {
        Some(tmp)
    };
    (
        TestDir {
            dir,
            path: path.clone(),
        },
        path,
    )
}

/// The distance between the port blocks of [`port_base`]: API ports are `base..base + 100`, p2p
/// ports `base + PORT_STRIDE..`, a third block (issuers, services) `base + 2 * PORT_STRIDE..`.
pub(crate) const PORT_STRIDE: u16 = 1_000;

/// A base port whose three blocks of 100 (`base`, `base + PORT_STRIDE`, `base + 2 *
/// PORT_STRIDE`) are all free on loopback now. The bases lie in 20000-28900, below Linux's
/// ephemeral range (32768-60999), so outgoing connections of tests running beside these never
/// take them; node tests run one at a time (`.config/nextest.toml`), so none of ours does either.
pub(crate) fn port_base() -> u16 {
    let seed = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64;
    (0..90u64)
        .map(|i| 20_000 + ((seed + i * 37) % 90) as u16 * 100)
        .find(|&base| {
            (0..3).all(|block| {
                (0..100).all(|i| {
                    std::net::TcpListener::bind(("127.0.0.1", base + block * PORT_STRIDE + i))
                        .is_ok()
                })
            })
        })
        .expect("a free block of ports below 29000")
}

/// Signs `actions` as `signer` with `key` (fee 1), submits, waits; returns the final status.
pub(crate) fn run_tx(
    client: &Client,
    key: &SigningKey,
    signer: &Did,
    actions: Vec<Action>,
) -> String {
    let tx = client.build_tx(key, signer, actions, 1).unwrap();
    let id = client.send_signed(&tx).unwrap();
    client
        .wait_final(&id, Duration::from_secs(30))
        .unwrap()
        .status
}

/// A DID document with `k` as `#key-1` (authentication, assertion, capability invocation)
/// and a `LinkedDomains` service per name in `services`.
pub(crate) fn did_doc(k: &SigningKey, services: &[&str]) -> DidDocument {
    DidDocument {
        methods: vec![VerificationMethod {
            id: "key-1".into(),
            key_type: MultikeyType::Ed25519,
            public_key: k.public_key().as_ref().try_into().unwrap(),
            relationships: Relationships::of(&[
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityInvocation,
            ]),
        }],
        services: services
            .iter()
            .map(|s| Service {
                id: s.to_string(),
                service_type: "LinkedDomains".into(),
                endpoint: format!("https://{s}.example/"),
            })
            .collect(),
        ..Default::default()
    }
}
