//! `sovra testnet init`: keys, genesis and one config per validator of a loopback network.

use anyhow::Result;
use clap::{Args, Subcommand};
use sovra_crypto::SigningKey;
use sovra_node::netinit;
use sovra_types::Did;
use std::path::PathBuf;

/// `sovra testnet` options.
#[derive(Args, Debug)]
pub(crate) struct TestnetArgs {
    /// Testnet command.
    #[command(subcommand)]
    command: TestnetCommand,
}

/// Testnet commands.
#[derive(Subcommand, Debug)]
pub(crate) enum TestnetCommand {
    /// Write keys, genesis and one config per validator for a loopback network.
    Init {
        /// Number of validators.
        #[arg(long, default_value_t = 4)]
        validators: u32,
        /// Output directory.
        #[arg(long)]
        dir: PathBuf,
        /// First API port; validator i uses base + i.
        #[arg(long, default_value_t = 18545)]
        api_base_port: u16,
        /// First p2p port; validator i uses base + i.
        #[arg(long, default_value_t = 19545)]
        p2p_base_port: u16,
        /// Number of funded development keys.
        #[arg(long, default_value_t = 4)]
        dev_keys: u32,
        /// Chain id.
        #[arg(long, default_value = "sovra-testnet")]
        chain_id: String,
    },
}

/// Runs a `sovra testnet` command.
pub(crate) fn run(TestnetArgs { command }: TestnetArgs) -> Result<()> {
    let TestnetCommand::Init {
        validators,
        dir,
        api_base_port,
        p2p_base_port,
        dev_keys,
        chain_id,
    } = command;
    let n = validators as u16;
    let api: Vec<_> = (0..n)
        .map(|i| std::net::SocketAddr::from(([127, 0, 0, 1], api_base_port + i)))
        .collect();
    let p2p: Vec<_> = (0..n)
        .map(|i| std::net::SocketAddr::from(([127, 0, 0, 1], p2p_base_port + i)))
        .collect();
    let layout = netinit::init_network(&dir, &chain_id, validators, &api, &p2p, dev_keys)?;
    println!(
        "Testnet {chain_id:?} with {validators} validators in {}",
        dir.display()
    );
    for (cfg, api) in &layout.nodes {
        println!(
            "  sovra node --config {}    # API http://{api}",
            cfg.display()
        );
    }
    print_dev_keys(&layout.dev_keys);
    Ok(())
}

/// Prints the funded development keys of a new network, with their seeds.
pub(crate) fn print_dev_keys(keys: &[SigningKey]) {
    if keys.is_empty() {
        return;
    }
    println!("Funded development keys (never use outside development networks):");
    for (i, k) in keys.iter().enumerate() {
        println!(
            "  dev{i}: {}  seed {}",
            Did::from_public_key(&k.public_key()),
            hex::encode(k.seed().as_ref())
        );
    }
    println!("Import one with: sovra key import dev0 --seed <seed>");
}
