//! `sovra devnet`: a single-validator development network on this machine, created on first
//! use and resumed afterwards.

use anyhow::{Context as _, Result};
use clap::Args;
use sovra_node::{config, lock, netinit};
use std::path::PathBuf;

use super::node::run_node;
use super::testnet::print_dev_keys;

/// `sovra devnet` options.
#[derive(Args, Debug)]
pub(crate) struct DevnetArgs {
    /// Data directory.
    #[arg(long, default_value = ".sovra-devnet")]
    pub(crate) dir: PathBuf,
    /// HTTP API listen address.
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub(crate) api: std::net::SocketAddr,
    /// Consensus p2p listen address.
    #[arg(long, default_value = "127.0.0.1:9545")]
    pub(crate) p2p: std::net::SocketAddr,
    /// Number of funded development keys.
    #[arg(long, default_value_t = 4)]
    pub(crate) dev_keys: u32,
    /// Delete the data directory and start a new chain.
    #[arg(long)]
    pub(crate) reset: bool,
}

/// The chain id of a new devnet: `devnet-` and 8 random hex digits, so a transaction signed for
/// one devnet is never valid on another.
fn new_devnet_chain_id() -> Result<String> {
    Ok(format!(
        "devnet-{}",
        hex::encode(sovra_crypto::random_bytes::<4>()?)
    ))
}

/// `sovra devnet`.
pub(crate) fn run(args: DevnetArgs) -> Result<()> {
    let config = args.dir.join("node0").join("config.toml");
    let data_dir = |config: &std::path::Path| -> Result<PathBuf> {
        Ok(config::NodeConfig::load(config)?.data_dir)
    };
    // Refuse a directory in use before changing or printing anything.
    let mut lock = match config.exists() {
        true => Some(lock::lock_data_dir(&data_dir(&config)?)?),
        false => None,
    };
    if args.reset && args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)
            .with_context(|| format!("removing {}", args.dir.display()))?;
        println!("Removed {}", args.dir.display());
        lock = None;
    }
    if !config.exists() {
        let layout = netinit::init_network(
            &args.dir,
            &new_devnet_chain_id()?,
            1,
            &[args.api],
            &[args.p2p],
            args.dev_keys,
        )?;
        println!("Created a new devnet in {}", args.dir.display());
        print_dev_keys(&layout.dev_keys);
    } else {
        println!(
            "Resuming the devnet in {} (use --reset to start over)",
            args.dir.display()
        );
        print_dev_keys(&(0..args.dev_keys).map(netinit::dev_key).collect::<Vec<_>>());
    }
    let cfg = config::NodeConfig::load(&config)?;
    let lock = match lock {
        Some(l) => l,
        None => lock::lock_data_dir(&cfg.data_dir)?,
    };
    let genesis = sovra_types::Genesis::from_json(
        &std::fs::read(&cfg.genesis)
            .with_context(|| format!("reading {}", cfg.genesis.display()))?,
    )?;
    println!(
        "Chain {}; API: http://{}  (docs at http://{}/docs)",
        genesis.chain_id, cfg.api_listen, cfg.api_listen
    );
    run_node(cfg, lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_devnet_gets_its_own_chain_id() {
        let a = new_devnet_chain_id().unwrap();
        let b = new_devnet_chain_id().unwrap();
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert!(id.starts_with("devnet-") && id.len() == 15, "{id}");
            assert!(id.len() <= sovra_types::limits::MAX_CHAIN_ID_LEN);
        }
    }
}
