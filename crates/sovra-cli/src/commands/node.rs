//! `sovra node --config FILE`: runs a node from its config, holding the lock of its data
//! directory.

use anyhow::Result;
use clap::Args;
use sovra_node::{config, lock};
use std::path::PathBuf;

/// `sovra node` options.
#[derive(Args, Debug)]
pub(crate) struct NodeCommandArgs {
    /// Path of the node's TOML config.
    #[arg(long)]
    config: PathBuf,
}

/// `sovra node`.
pub(crate) fn run(args: NodeCommandArgs) -> Result<()> {
    let cfg = config::NodeConfig::load(&args.config)?;
    let lock = lock::lock_data_dir(&cfg.data_dir)?;
    run_node(cfg, lock)
}

/// Runs a node from its config until it stops, holding the lock of its data directory.
pub(crate) fn run_node(cfg: config::NodeConfig, lock: lock::DataDirLock) -> Result<()> {
    crate::logging::init(&cfg.log);
    let result = sovra_node::node::run(cfg);
    drop(lock);
    Ok(result?)
}
