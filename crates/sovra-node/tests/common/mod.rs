//! Helpers shared by the tests that run real `sovra node` processes on loopback.

#![allow(dead_code)]

use sovra_crypto::SigningKey;
use std::{
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

/// The `sovra` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_sovra");

/// The development keys `sovra testnet init` funds (see netinit.rs).
pub fn dev_key(i: u32) -> SigningKey {
    SigningKey::from_test_seed(0x5eed_0000 + i as u64)
}

/// Deterministic test content (the generator of the UnixFS vectors, from `seed`).
pub fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect()
}

/// The actions of a transfer of `amount` to `to`.
pub fn pay(to: &sovra_types::Did, amount: u64) -> Vec<sovra_types::Action> {
    vec![sovra_types::Action::Transfer {
        to: to.clone(),
        amount,
    }]
}

/// A node process, killed with SIGKILL and reaped when dropped.
pub struct Node(pub Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts node `i` of the testnet in `dir`, logging to `dir/node{i}.log` (at `warn`, or the
/// filter in `SOVRA_TEST_LOG`).
pub fn start(dir: &Path, i: usize) -> Node {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("node{i}.log")))
        .unwrap();
    Node(
        Command::new(BIN)
            .args(["node", "--config"])
            .arg(dir.join(format!("node{i}/config.toml")))
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
/// ports from `base + 1000`.
pub fn init_testnet(dir: &Path, validators: usize, dev_keys: usize, base: u16) {
    let out = Command::new(BIN)
        .args(["testnet", "init", "--validators"])
        .arg(validators.to_string())
        .arg("--dev-keys")
        .arg(dev_keys.to_string())
        .arg("--dir")
        .arg(dir)
        .args([
            "--api-base-port",
            &base.to_string(),
            "--p2p-base-port",
            &(base + 1000).to_string(),
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
pub fn start_testnet(
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

/// Polls `f` every 200 ms until it holds, failing the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A fresh directory for a test network: removed when the guard drops, unless
/// `SOVRA_KEEP_TEST_DIR` is set (then kept, and its path printed, for the nodes' logs and data).
pub fn test_dir() -> (Option<tempfile::TempDir>, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    if std::env::var_os("SOVRA_KEEP_TEST_DIR").is_some() {
        eprintln!("test directory: {}", tmp.keep().display());
        (None, root)
    } else {
        (Some(tmp), root)
    }
}
