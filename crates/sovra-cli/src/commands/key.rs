//! `sovra key new|import|export|list|show`: identity keys in the encrypted keystore.

use anyhow::{Context as _, Result, bail};
use clap::{ArgGroup, Args, Subcommand};
use sovra_client::Client;
use sovra_crypto::{SigningKey, keystore::Keystore};
use sovra_types::Did;
use std::path::PathBuf;

use crate::args::NodeArgs;
use crate::keystore::{KeystoreArgs, keystore_dir, passphrase};
use crate::output::OutputArgs;

/// `sovra key` options.
#[derive(Args, Debug)]
pub(crate) struct KeyArgs {
    /// Key command.
    #[command(subcommand)]
    command: KeyCommand,
    /// Keystore options.
    #[command(flatten)]
    keystore: KeystoreArgs,
    /// Node options (an empty passphrase is accepted only when this node runs a devnet).
    #[command(flatten)]
    node: NodeArgs,
}

/// Key commands.
#[derive(Subcommand, Debug)]
pub(crate) enum KeyCommand {
    /// Create a new Ed25519 identity key; prints its name and DID.
    New {
        /// Name of the key.
        name: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Import a key: from its 32-byte seed (hex), e.g. a devnet development key, or from a key
    /// file written by `sovra key export --file`.
    #[command(group(ArgGroup::new("source").required(true).args(["seed", "file"])))]
    Import {
        /// Name of the key.
        name: String,
        /// Seed, 64 hex characters.
        #[arg(long)]
        seed: Option<String>,
        /// A key file from `sovra key export NAME --file FILE`, encrypted under the passphrase
        /// it was exported with (give it with --file-passphrase or SOVRA_FILE_PASSPHRASE;
        /// default: the keystore passphrase).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Passphrase of the key file.
        #[arg(long, env = "SOVRA_FILE_PASSPHRASE", hide_env_values = true)]
        file_passphrase: Option<String>,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Export a key to move it to another device: `--seed` prints its secret seed (hex: anyone
    /// who has it controls the identity); `--file FILE` writes its key file, still encrypted
    /// under this keystore's passphrase, for `sovra key import NAME --file FILE`.
    #[command(group(ArgGroup::new("what").required(true).args(["seed", "file"])))]
    Export {
        /// Name of the key.
        name: String,
        /// Print the secret seed (64 hex characters) on stdout.
        #[arg(long)]
        seed: bool,
        /// Write the encrypted key file here (created 0600; must not exist).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// List keys.
    List {
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Show a key's DID.
    Show {
        /// Name of the key.
        name: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
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

/// Runs a `sovra key` command.
pub(crate) fn run(
    KeyArgs {
        command,
        keystore,
        node,
    }: KeyArgs,
) -> Result<()> {
    let (args, node) = (&keystore, &node);
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
                    sovra_node::config::write_private_file(&path, &bytes)?;
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
                    crate::output::out(&hex::encode(key.seed().as_ref()))
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
