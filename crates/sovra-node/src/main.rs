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
mod lock;
mod logging;
mod netinit;
mod node;
mod output;
mod replication;
mod shutdown;
mod signer;
mod vault;
mod vault_cli;
mod vc_cli;

use anyhow::{Context as _, Result, bail};
use clap::Parser;
use cli::{Cli, Command, KeyCommand, KeystoreArgs, NodeArgs, TestnetCommand, TxCommand};
use output::OutputArgs;
use sovra_api_types::{AccountView, StatusView, TxStatusView};
use sovra_client::Client;
use sovra_crypto::{SigningKey, keystore::Keystore};
use sovra_types::{AccountsAction, Action, Did, DidMethod};
use std::path::PathBuf;

pub(crate) fn keystore_dir(args: &KeystoreArgs) -> PathBuf {
    args.keystore.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".sovra").join("keys")
    })
}

/// The keystore passphrase: `--passphrase`, `SOVRA_PASSPHRASE`, or asked for on the terminal
/// (twice with `confirm`).
pub(crate) fn passphrase(args: &KeystoreArgs, confirm: bool) -> Result<String> {
    if let Some(p) = &args.passphrase {
        return Ok(p.clone());
    }
    let p = prompt("Keystore passphrase: ")?;
    if confirm {
        let again = prompt("Repeat passphrase: ")?;
        if again != p {
            bail!("passphrases do not match");
        }
    }
    Ok(p)
}

/// Asks for a secret on the terminal; without one, says how to give it instead.
fn prompt(question: &str) -> Result<String> {
    rpassword::prompt_password(question).map_err(|e| {
        anyhow::anyhow!(
            "cannot ask for the keystore passphrase: no terminal ({e}); set SOVRA_PASSPHRASE (or pass --passphrase)"
        )
    })
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    output::print_json(v)
}

/// Commands that run servers keep ignoring SIGPIPE (a peer closing a socket must not kill a
/// node); every other command dies quietly on it, as Unix tools do, so `sovra status | head -1`
/// prints no panic.
fn restore_sigpipe(command: &Command) {
    let server = matches!(
        command,
        Command::Node { .. } | Command::Devnet(_) | Command::Issuer { .. } | Command::Bench { .. }
    );
    if !server {
        // SAFETY: setting a signal's disposition to the default is async-signal-safe and done
        // before any other thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

fn main() {
    let cli = Cli::parse();
    restore_sigpipe(&cli.command);
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        let code = e
            .downcast_ref::<signer::TxOutcome>()
            .map_or(1, signer::TxOutcome::exit_code);
        std::process::exit(code);
    }
}

/// Runs a node from its config, holding the lock of its data directory.
fn run_node(cfg: config::NodeConfig, lock: lock::DataDirLock) -> Result<()> {
    logging::init(&cfg.log);
    let result = node::run(cfg);
    drop(lock);
    result
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Node { config } => {
            let cfg = config::NodeConfig::load(&config)?;
            let lock = lock::lock_data_dir(&cfg.data_dir)?;
            run_node(cfg, lock)
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
        Command::Key {
            command,
            keystore,
            node,
        } => key_command(command, &keystore, &node),
        Command::Transfer(args) => transfer(args),
        Command::Tx {
            command: TxCommand::Status { id, output },
            node,
        } => match Client::new(&node.node).tx(&id)? {
            Some(s) => output.emit(&s, tx_text),
            None => bail!("transaction {id} is not known to {}", node.node),
        },
        Command::Account {
            did,
            receipts,
            verify,
            output,
            node,
        } => account(&did, receipts, verify, &output, &node),
        Command::Status { output, node } => {
            output.emit(&Client::new(&node.node).status()?, status_text)
        }
        Command::Add(args) => content_cli::add(args),
        Command::Cat { path, node } => content_cli::cat(&path, &node),
        Command::Get {
            path,
            output,
            limits,
            node,
        } => content_cli::get(&path, &output, limits, &node),
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

/// `sovra transfer`.
fn transfer(args: cli::TransferArgs) -> Result<()> {
    if args.amount == 0 {
        bail!("the amount must be at least 1: a transfer of nothing would only cost the fee");
    }
    let to = Did::parse(&args.to)?;
    let client = Client::new(&args.signer.node.node);
    if to.method() == DidMethod::Sovra {
        // Funds sent to a did:sovra that does not exist or is deactivated could never be spent:
        // check with a state proof before paying for the transaction.
        let record = client
            .resolve_verified(&to, sovra_client::DidVersionSelector::Latest)?
            .map_err(|absent| {
                anyhow::anyhow!(
                    "refusing to transfer to {to}: {} (proven by the node)",
                    absent.what
                )
            })?
            .record;
        if record.is_some_and(|r| r.deactivated) {
            bail!(
                "refusing to transfer to {to}: it is deactivated, so nobody could spend the funds"
            );
        }
    }
    let key = signer::load_key(&args.signer.key, &args.signer.keystore)?;
    let from = signer::signer_did(&args.signer, &key)?;
    let tx = signer::build(
        &client,
        &key,
        &from,
        vec![Action::Accounts(AccountsAction::Transfer {
            to,
            amount: args.amount,
        })],
        &args.signer,
    )?;
    if args.no_wait {
        let id = client.send_signed(&tx)?;
        let pending = signer::unincluded(&tx, &id, "pending");
        return args.output.emit(&pending, |s| s.id.clone());
    }
    // The outcome goes to stdout whatever it is; the exit status says whether it completed.
    let wait = std::time::Duration::from_secs(args.signer.wait_secs);
    let (status, outcome) = signer::submit_final(&client, &tx, wait)?;
    args.output.emit(&status, tx_text)?;
    Ok(outcome?)
}

/// `sovra account`.
fn account(
    did: &str,
    receipts: bool,
    verify: bool,
    out: &OutputArgs,
    node: &NodeArgs,
) -> Result<()> {
    let did = Did::parse(did)?;
    let client = Client::new(&node.node);
    let account = client.account(&did)?;
    let mut view = serde_json::to_value(&account)?;
    let mut text = account_text(&account);
    if verify {
        let v = client.verified_account(&did)?;
        let a = v.value.unwrap_or_default();
        let verified = serde_json::json!({
            "balance": a.balance,
            "nonce": a.nonce,
            "receipt_head": sovra_types::digest_hex(&a.receipt_head),
            "receipt_count": a.receipt_count,
            "height": v.header.height,
            "state_root": sovra_types::digest_hex(&v.header.state_root),
            "block_time": output::time(v.header.timestamp_ms),
        });
        text.push_str(&format!(
            "verified: balance {} nonce {} receipt head {} at height {} ({}, state root {})\n",
            a.balance,
            a.nonce,
            sovra_types::digest_hex(&a.receipt_head),
            v.header.height,
            output::time(v.header.timestamp_ms),
            sovra_types::digest_hex(&v.header.state_root)
        ));
        view["verified"] = verified;
    }
    if receipts {
        let from = account.receipt_count.saturating_sub(20);
        let page = client.receipts(&did, from, 20)?;
        for r in &page.entries {
            text.push_str(&format!(
                "receipt {:>4}  {}  height {:>6}  {}{}\n",
                r.index,
                r.tx_id,
                r.height,
                r.status,
                r.error
                    .as_ref()
                    .map(|e| format!(": {}: {}", e.code, e.message))
                    .unwrap_or_default()
            ));
        }
        view["receipts"] = serde_json::to_value(&page.entries)?;
    }
    out.emit(&view, |_| text)
}

fn account_text(a: &AccountView) -> String {
    format!(
        "{}\nbalance {}  nonce {} (next {})  receipts {}  at height {}\nreceipt head {}\n",
        a.did,
        a.balance,
        a.nonce,
        a.nonce.max(a.next_nonce),
        a.receipt_count,
        a.height,
        a.receipt_head
    )
}

fn status_text(s: &StatusView) -> String {
    format!(
        "chain {} ({})\nfinalized height {}  block {}\nstate root {}\nvalidators {}  peers {}  mempool {} transactions\nnode key {}\n",
        s.chain_id,
        s.token_symbol,
        s.finalized_height,
        s.finalized_id,
        s.state_root,
        s.validators.len(),
        s.peers,
        s.mempool_txs,
        s.node_key
    )
}

/// A transaction's status in one or two lines.
fn tx_text(s: &TxStatusView) -> String {
    let mut t = format!("{}  {}", s.id, s.status);
    if let Some(h) = s.height {
        t.push_str(&format!(" at height {h}"));
        if let Some(i) = s.index {
            t.push_str(&format!(" (position {i})"));
        }
    }
    if let Some(fee) = s.fee {
        t.push_str(&format!(", fee {fee}"));
    }
    if s.status == "expired"
        && let Some(h) = s.expiry_height
    {
        t.push_str(&format!(" (expiry height {h})"));
    }
    if let Some(by) = &s.replaced_by {
        t.push_str(&format!(" by {by}"));
    }
    if let Some(e) = &s.error {
        t.push_str(&format!("\n{}: {}", e.code, e.message));
    }
    t
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

/// The chain id of a new devnet: `devnet-` and 8 random hex digits, so a transaction signed for
/// one devnet is never valid on another.
fn new_devnet_chain_id() -> Result<String> {
    Ok(format!(
        "devnet-{}",
        hex::encode(sovra_crypto::random_bytes::<4>()?)
    ))
}

fn devnet(args: cli::DevnetArgs) -> Result<()> {
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

/// Whether the node at `node` runs a development network (its chain id starts with `devnet-`);
/// an error saying why not otherwise.
fn require_devnet(node: &str) -> Result<()> {
    match Client::new(node).status() {
        Ok(s) if s.chain_id.starts_with("devnet-") => Ok(()),
        Ok(s) => bail!(
            "an empty passphrase is accepted only for development networks, and {node} runs chain {:?}: choose a passphrase (SOVRA_PASSPHRASE or --passphrase)",
            s.chain_id
        ),
        Err(e) => bail!(
            "an empty passphrase is accepted only for development networks, and {node} cannot tell ({e}): choose a passphrase (SOVRA_PASSPHRASE or --passphrase)"
        ),
    }
}

/// The keystore, and the passphrase that new keys are stored under (empty only for a devnet).
fn keystore_for_new_key(args: &KeystoreArgs, node: &NodeArgs) -> Result<(Keystore, String)> {
    let ks = Keystore::open(keystore_dir(args))?;
    let passphrase = passphrase(args, true)?;
    if passphrase.is_empty() {
        require_devnet(&node.node)?;
        return Ok((ks.allow_empty_passphrase(true), passphrase));
    }
    Ok((ks, passphrase))
}

fn key_text(k: &KeyView) -> String {
    format!("{}  {}", k.name, k.did)
}

/// A key as the key commands print it.
#[derive(serde::Serialize)]
struct KeyView {
    name: String,
    did: String,
}

impl From<sovra_crypto::keystore::KeyInfo> for KeyView {
    fn from(k: sovra_crypto::keystore::KeyInfo) -> Self {
        Self {
            name: k.name,
            did: k.did,
        }
    }
}

fn key_command(command: KeyCommand, args: &KeystoreArgs, node: &NodeArgs) -> Result<()> {
    match command {
        KeyCommand::New { name, output } => {
            let key = SigningKey::generate()?;
            let (ks, passphrase) = keystore_for_new_key(args, node)?;
            let info = ks.insert(&name, &key, &passphrase)?;
            output.emit(&KeyView::from(info), key_text)
        }
        KeyCommand::Import {
            name,
            seed,
            file,
            file_passphrase,
            output,
        } => {
            let (ks, passphrase) = keystore_for_new_key(args, node)?;
            let info = match (seed, file) {
                (Some(seed), _) => {
                    let bytes = zeroize::Zeroizing::new(
                        hex::decode(seed.trim()).context("seed is not hex")?,
                    );
                    let seed: [u8; 32] = bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| anyhow::anyhow!("a seed is 32 bytes (64 hex characters)"))?;
                    ks.insert(&name, &SigningKey::from_seed(&seed)?, &passphrase)?
                }
                (None, Some(file)) => {
                    let bytes = read_bounded(&file, sovra_crypto::keystore::MAX_KEY_FILE_BYTES)?;
                    let file_passphrase = file_passphrase.unwrap_or_else(|| passphrase.clone());
                    ks.import_file(&name, &bytes, &file_passphrase, &passphrase)
                        .with_context(|| format!("importing {}", file.display()))?
                }
                (None, None) => bail!("give --seed or --file"),
            };
            output.emit(&KeyView::from(info), key_text)
        }
        KeyCommand::Export { name, seed, file } => {
            let ks = Keystore::open(keystore_dir(args))?;
            let passphrase = passphrase(args, false)?;
            match file {
                Some(path) if !seed => {
                    let bytes = ks.export_file(&name, &passphrase)?;
                    config::write_private_file(&path, &bytes)?;
                    eprintln!(
                        "wrote the key file of {name:?} ({}) to {}, encrypted under this keystore's passphrase; on the other device: sovra key import {name} --file {}",
                        ks.show(&name)?.did,
                        path.display(),
                        path.display()
                    );
                    Ok(())
                }
                _ => {
                    let key = ks.load(&name, &passphrase)?;
                    eprintln!(
                        "the secret seed of {name:?} ({}): anyone who has it controls this identity; import it with `sovra key import {name} --seed <seed>`",
                        Did::from_public_key(&key.public_key())
                    );
                    output::out(&hex::encode(key.seed().as_ref()))
                }
            }
        }
        KeyCommand::List { output } => {
            let ks = Keystore::open(keystore_dir(args))?;
            let keys: Vec<KeyView> = ks.list()?.into_iter().map(KeyView::from).collect();
            output.emit(&keys, |keys| {
                keys.iter().map(key_text).collect::<Vec<_>>().join("\n")
            })
        }
        KeyCommand::Show { name, output } => {
            let ks = Keystore::open(keystore_dir(args))?;
            output.emit(&KeyView::from(ks.show(&name)?), key_text)
        }
    }
}

/// Reads a file of at most `max` bytes.
fn read_bounded(path: &std::path::Path, max: usize) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > max {
        bail!("{} is larger than {max} bytes", path.display());
    }
    Ok(bytes)
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
