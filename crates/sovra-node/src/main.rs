//! The `sovra` binary: runs nodes and devnets, and is the command-line client.

mod backend;
mod bench;
mod bench_content;
mod bench_identity;
mod bench_vault;
mod cli;
mod config;
mod content;
mod content_cli;
mod fdlimit;
mod identity_cli;
mod issuer;
mod issuer_service;
mod netinit;
mod node;
mod replication;
mod signer;
mod vault;
mod vault_cli;
mod vc_cli;

use anyhow::{Context as _, Result, bail};
use clap::Parser;
use cli::{Cli, Command, KeyCommand, KeystoreArgs, TestnetCommand, TxCommand};
use sovra_client::Client;
use sovra_crypto::{SigningKey, keystore::Keystore};
use sovra_types::Did;
use std::{path::PathBuf, time::Duration};

fn init_logging(filter: &str) {
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(env)
        .with_target(false)
        .try_init();
}

pub(crate) fn keystore_dir(args: &KeystoreArgs) -> PathBuf {
    args.keystore.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".sovra").join("keys")
    })
}

pub(crate) fn passphrase(args: &KeystoreArgs, confirm: bool) -> Result<String> {
    if let Some(p) = &args.passphrase {
        return Ok(p.clone());
    }
    let p = rpassword::prompt_password("Keystore passphrase: ").context("reading passphrase")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat passphrase: ")?;
        if again != p {
            bail!("passphrases do not match");
        }
    }
    Ok(p)
}

pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Node { config } => {
            let cfg = config::NodeConfig::load(&config)?;
            init_logging(&cfg.log);
            node::run(cfg)
        }
        Command::Devnet(args) => devnet(args),
        Command::Testnet {
            command:
                TestnetCommand::Init {
                    validators,
                    dir,
                    api_base_port,
                    p2p_base_port,
                    dev_keys,
                    chain_id,
                },
        } => {
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
        Command::Key { command, keystore } => key_command(command, &keystore),
        Command::Transfer(args) => {
            let ks = Keystore::open(keystore_dir(&args.keystore))?;
            let key = ks.load(&args.from, &passphrase(&args.keystore, false)?)?;
            let to = Did::parse(&args.to)?;
            let client = Client::new(&args.node.node);
            let id = client.transfer(&key, &to, args.amount, args.fee)?;
            println!("submitted {id}");
            if !args.no_wait {
                let status = client.wait_final(&id, Duration::from_secs(60))?;
                print_json(&status)?;
            }
            Ok(())
        }
        Command::Tx {
            command: TxCommand::Status { id },
            node,
        } => match Client::new(&node.node).tx(&id)? {
            Some(s) => print_json(&s),
            None => bail!("transaction {id} is not known to {}", node.node),
        },
        Command::Account {
            did,
            receipts,
            verify,
            node,
        } => {
            let did = Did::parse(&did)?;
            let client = Client::new(&node.node);
            print_json(&client.account(&did)?)?;
            if verify {
                let v = client.verified_account(&did)?;
                let a = v.value.unwrap_or_default();
                println!(
                    "verified: balance {} nonce {} receipt head {} at height {} (state root {})",
                    a.balance,
                    a.nonce,
                    sovra_types::digest_hex(&a.receipt_head),
                    v.header.height,
                    sovra_types::digest_hex(&v.header.state_root)
                );
            }
            if receipts {
                let acct = client.account(&did)?;
                let from = acct.receipt_count.saturating_sub(20);
                print_json(&client.receipts(&did, from, 20)?)?;
            }
            Ok(())
        }
        Command::Status { node } => print_json(&Client::new(&node.node).status()?),
        Command::Add(args) => content_cli::add(args),
        Command::Cat { path, node } => content_cli::cat(&path, &node),
        Command::Get { path, output, node } => content_cli::get(&path, &output, &node),
        Command::Car { command, node } => content_cli::car(command, &node),
        Command::Pin(args) => content_cli::pin(args),
        Command::Unpin(args) => content_cli::unpin(args),
        Command::Publish(args) => content_cli::publish(args),
        Command::Did { command } => identity_cli::did(command),
        Command::Verifier { command } => identity_cli::verifier(command),
        Command::Vc { command } => vc_cli::vc(command),
        Command::Issuer { command } => vc_cli::issuer(command),
        Command::Vault { command } => vault_cli::vault(command),
        Command::Recovery { command } => vault_cli::recovery(command),
        Command::Bench {
            command: cli::BenchCommand::Transfers(args),
        } => bench::transfers(args),
        Command::Bench {
            command: cli::BenchCommand::Content(args),
        } => bench_content::content(args),
        Command::Bench {
            command: cli::BenchCommand::Identity(args),
        } => bench_identity::identity(args),
        Command::Bench {
            command: cli::BenchCommand::Vault(args),
        } => bench_vault::vault(args),
    }
}

fn print_dev_keys(keys: &[SigningKey]) {
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

fn devnet(args: cli::DevnetArgs) -> Result<()> {
    if args.reset && args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)
            .with_context(|| format!("removing {}", args.dir.display()))?;
        println!("Removed {}", args.dir.display());
    }
    let config = args.dir.join("node0").join("config.toml");
    if !config.exists() {
        let layout = netinit::init_network(
            &args.dir,
            "sovra-devnet",
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
    println!(
        "API: http://{}  (docs at http://{}/docs)",
        cfg.api_listen, cfg.api_listen
    );
    init_logging(&cfg.log);
    node::run(cfg)
}

fn key_command(command: KeyCommand, args: &KeystoreArgs) -> Result<()> {
    let ks = Keystore::open(keystore_dir(args))?;
    match command {
        KeyCommand::New { name } => {
            let key = SigningKey::generate()?;
            let info = ks.insert(&name, &key, &passphrase(args, true)?)?;
            println!("{}  {}", info.name, info.did);
        }
        KeyCommand::Import { name, seed } => {
            let bytes = hex::decode(seed.trim()).context("seed is not hex")?;
            let seed: [u8; 32] = bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("a seed is 32 bytes (64 hex characters)"))?;
            let key = SigningKey::from_seed(&seed)?;
            let info = ks.insert(&name, &key, &passphrase(args, true)?)?;
            println!("{}  {}", info.name, info.did);
        }
        KeyCommand::List => {
            for k in ks.list()? {
                println!("{}  {}", k.name, k.did);
            }
        }
        KeyCommand::Show { name } => {
            let k = ks.show(&name)?;
            println!("{}  {}", k.name, k.did);
        }
    }
    Ok(())
}
