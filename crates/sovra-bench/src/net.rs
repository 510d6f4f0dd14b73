//! The nodes a benchmark measures: real `sovra node` processes on loopback, started from the
//! running executable (the benchmarks run inside the `sovra` binary, `sovra bench ...`).

use crate::error::{BenchError, Result, bail};
use sovra_client::Client;
use sovra_node::netinit;
use std::{
    process::{Child, Command},
    time::{Duration, Instant},
};

/// Node processes, killed and reaped when dropped.
pub(crate) struct Nodes(pub(crate) Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `sovra node --config CFG` from `exe`, logging at `log_filter` to `node.log` beside the
/// config.
pub(crate) fn spawn_node(
    exe: &std::path::Path,
    cfg: &std::path::Path,
    log_filter: &str,
) -> Result<Child> {
    let log = std::fs::File::create(cfg.with_file_name("node.log"))?;
    Command::new(exe)
        .args(["node", "--config"])
        .arg(cfg)
        .env("RUST_LOG", log_filter)
        // The node logs to stdout; errors before logging starts go to stderr.
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| BenchError::step("starting a node")(e.into()))
}

/// A single-validator network for a benchmark, running on loopback until dropped.
pub(crate) struct BenchNode {
    /// The node process.
    pub(crate) _nodes: Nodes,
    /// A client of its API.
    pub(crate) client: Client,
    /// Its API address.
    pub(crate) api: std::net::SocketAddr,
    /// Keys, genesis and config it was written with (one funded development key).
    pub(crate) layout: netinit::NetworkLayout,
    /// Where it lives.
    pub(crate) _dir: tempfile::TempDir,
}

/// Writes a one-validator network in a temporary directory, starts it, and waits until it has
/// finalized a block.
pub(crate) fn start_bench_node(api_port: u16, p2p_port: u16) -> Result<BenchNode> {
    let dir = tempfile::tempdir()?;
    let api = std::net::SocketAddr::from(([127, 0, 0, 1], api_port));
    let p2p = std::net::SocketAddr::from(([127, 0, 0, 1], p2p_port));
    let layout =
        netinit::init_network(&dir.path().join("net"), "sovra-bench", 1, &[api], &[p2p], 1)?;
    let exe = std::env::current_exe()?;
    let nodes = Nodes(vec![spawn_node(&exe, &layout.nodes[0].0, "warn")?]);
    let client = Client::new(&format!("http://{api}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client.status().is_ok_and(|s| s.finalized_height > 0) {
        if Instant::now() > deadline {
            bail!(
                "the benchmark node did not start (see {})",
                layout.nodes[0].0.with_file_name("node.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(BenchNode {
        _nodes: nodes,
        client,
        api,
        layout,
        _dir: dir,
    })
}
