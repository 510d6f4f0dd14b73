//! Command-line interface of the `sovra` binary.

use clap::{ArgGroup, Args, Parser, Subcommand};
use std::path::PathBuf;

pub use crate::output::OutputArgs;

/// Sovra: a self-sovereign identity and data network.
#[derive(Parser, Debug)]
#[command(name = "sovra", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options for commands that talk to a node.
#[derive(Args, Debug, Clone)]
pub struct NodeArgs {
    /// Base URL of the node's HTTP API.
    #[arg(
        long,
        env = "SOVRA_NODE",
        default_value = "http://127.0.0.1:8545",
        global = true
    )]
    pub node: String,
}

/// Options for commands that use the keystore.
#[derive(Args, Debug, Clone)]
pub struct KeystoreArgs {
    /// Keystore directory (default: ~/.sovra/keys).
    #[arg(long, env = "SOVRA_KEYSTORE", global = true)]
    pub keystore: Option<PathBuf>,
    /// Passphrase (otherwise read from SOVRA_PASSPHRASE or asked for).
    #[arg(long, env = "SOVRA_PASSPHRASE", hide_env_values = true, global = true)]
    pub passphrase: Option<String>,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a single-validator development network on this machine.
    Devnet(DevnetArgs),
    /// Set up and manage a multi-validator test network.
    Testnet {
        /// Testnet command.
        #[command(subcommand)]
        command: TestnetCommand,
    },
    /// Run a node from a config file.
    Node {
        /// Path of the node's TOML config.
        #[arg(long)]
        config: PathBuf,
    },
    /// Manage identity keys in the encrypted keystore.
    Key {
        /// Key command.
        #[command(subcommand)]
        command: KeyCommand,
        /// Keystore options.
        #[command(flatten)]
        keystore: KeystoreArgs,
        /// Node options (an empty passphrase is accepted only when this node runs a devnet).
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Transfer native tokens to another identity (exit 1 if it fails, 3 if not final in time).
    #[command(mut_arg("key", |a| a.alias("from")))]
    Transfer(TransferArgs),
    /// Inspect transactions.
    Tx {
        /// Tx command.
        #[command(subcommand)]
        command: TxCommand,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show an identity's account: balance, nonce, receipt chain.
    Account {
        /// The identity (did:key:... or did:sovra:...).
        did: String,
        /// Also list the newest receipt-chain entries.
        #[arg(long)]
        receipts: bool,
        /// Verify the balance with a state proof against the finalized header.
        #[arg(long)]
        verify: bool,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show the node's and chain's status.
    Status {
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Benchmarks.
    Bench {
        /// Benchmark to run.
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Add a file or directory to public content storage; prints its CID (as `ipfs add --cid-version=1`).
    Add(AddArgs),
    /// Print a file from public content storage (every block verified).
    Cat {
        /// `CID` or `CID/path/inside`.
        path: String,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Save a file or directory from public content storage (every block verified).
    Get {
        /// `CID` or `CID/path/inside`.
        path: String,
        /// Where to write it (must not exist).
        #[arg(short, long)]
        output: PathBuf,
        /// Bounds on what is written.
        #[command(flatten)]
        limits: GetLimitArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Export or import CAR files.
    Car {
        /// CAR command.
        #[command(subcommand)]
        command: CarCommand,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Ask the network to keep content (a `PinContent` transaction).
    Pin(PinArgs),
    /// Release your pin of content (an `UnpinContent` transaction).
    Unpin(SignedContentArgs),
    /// Point one of your public documents (`profile`, `app-config`, ...) at a CID.
    Publish(PublishArgs),
    /// Create, change, resolve and deactivate did:sovra identities.
    Did {
        /// DID command.
        #[command(subcommand)]
        command: crate::identity_cli::DidCommand,
    },
    /// The trust registry: which verifiers may issue which credential types.
    Verifier {
        /// Verifier command.
        #[command(subcommand)]
        command: crate::identity_cli::VerifierCommand,
    },
    /// Issue, verify, show, revoke and present verifiable credentials.
    Vc {
        /// Credential command.
        #[command(subcommand)]
        command: crate::vc_cli::VcCommand,
    },
    /// Run an issuance service for a verifier.
    Issuer {
        /// Issuer command.
        #[command(subcommand)]
        command: crate::vc_cli::IssuerCommand,
    },
    /// The private vault: records encrypted on this device, shared, revoked, erased, restored.
    Vault {
        /// Vault command.
        #[command(subcommand)]
        command: crate::vault_cli::VaultCommand,
    },
    /// Guardian recovery of an identity's keys and vault secret.
    Recovery {
        /// Recovery command.
        #[command(subcommand)]
        command: crate::vault_cli::RecoveryCommand,
    },
}

/// `sovra add` options.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// File or directory to add.
    pub path: PathBuf,
    /// Import profile: `unixfs-v0-2015` (256 KiB chunks, 174 links; the default) or `unixfs-v1-2025` (1 MiB, 1024).
    #[arg(long, default_value = "unixfs-v0-2015")]
    pub profile: String,
    /// Include files whose names start with `.`.
    #[arg(long)]
    pub hidden: bool,
    /// Compute the CID only; upload nothing.
    #[arg(long)]
    pub only_hash: bool,
    /// Pin the content after uploading, signed with this keystore key.
    #[arg(long, value_name = "KEY")]
    pub pin: Option<String>,
    /// Keystore key of the identity that uploads (default: the `--pin` key). Uploads need a
    /// DID-authenticated identity and count against its quota.
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Upload as this identity (a did:sovra listing the key under authentication); default:
    /// the key's own did:key.
    #[arg(long = "as", value_name = "DID")]
    pub as_did: Option<String>,
    /// Replication factor of the pin.
    #[arg(long, default_value_t = sovra_types::limits::DEFAULT_REPLICATION)]
    pub replication: u8,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Keystore options.
    #[command(flatten)]
    pub keystore: KeystoreArgs,
    /// Node options.
    #[command(flatten)]
    pub node: NodeArgs,
}

/// `sovra car` commands.
#[derive(Subcommand, Debug)]
pub enum CarCommand {
    /// Write the CAR of a DAG (every block checked) to a file.
    Export {
        /// `CID` or `CID/path/inside`.
        path: String,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// `all`, `entity` or `block`.
        #[arg(long, default_value = "all")]
        dag_scope: String,
        /// Most bytes of CAR written.
        #[arg(long, default_value_t = sovra_cas::export::DEFAULT_MAX_BYTES)]
        max_bytes: u64,
    },
    /// Verify every block of a CAR file and upload it to the node.
    Import {
        /// The CAR file.
        file: PathBuf,
        /// Keystore key of the identity that uploads (uploads count against its quota).
        #[arg(long)]
        key: String,
        /// Upload as this identity (a did:sovra listing the key under authentication).
        #[arg(long = "as", value_name = "DID")]
        as_did: Option<String>,
        /// Keystore options.
        #[command(flatten)]
        keystore: KeystoreArgs,
    },
}

/// Bounds of `sovra get`: a DAG can name far more than it holds (shared blocks).
#[derive(Args, Debug, Clone, Copy)]
pub struct GetLimitArgs {
    /// Most entries (files, directories, links) written.
    #[arg(long, default_value_t = sovra_cas::export::DEFAULT_MAX_ENTRIES)]
    pub max_files: u64,
    /// Most bytes of file content written.
    #[arg(long, default_value_t = sovra_cas::export::DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
}

/// Who signs a transaction, and where it goes: the options of every command that signs one.
#[derive(Args, Debug, Clone)]
pub struct SignerArgs {
    /// Name of the signing key in the keystore.
    #[arg(long, value_name = "NAME")]
    pub key: String,
    /// Sign as this identity (a did:sovra that lists the key under
    /// capabilityInvocation); default: the key's own did:key.
    #[arg(long = "as", value_name = "DID")]
    pub as_did: Option<String>,
    /// Nonce of the (first) transaction; default: the next one the node expects, counting the
    /// signer's transactions waiting in its mempool.
    #[arg(long)]
    pub nonce: Option<u64>,
    /// Fee.
    #[arg(long, default_value_t = 1)]
    pub fee: u64,
    /// How long to wait for the transaction to be final, in seconds (then exit 3: it may still
    /// complete).
    #[arg(long, value_name = "SECS", default_value_t = crate::signer::FINALITY_WAIT.as_secs())]
    pub wait_secs: u64,
    /// Keystore options.
    #[command(flatten)]
    pub keystore: KeystoreArgs,
    /// Node options.
    #[command(flatten)]
    pub node: NodeArgs,
}

impl SignerArgs {
    /// The options of a signer named by a key alone: its did:key, the next nonce, fee 1.
    pub fn for_key(key: String, keystore: KeystoreArgs, node: NodeArgs) -> Self {
        Self {
            key,
            as_did: None,
            nonce: None,
            fee: 1,
            wait_secs: crate::signer::FINALITY_WAIT.as_secs(),
            keystore,
            node,
        }
    }
}

/// Options of commands that sign a content transaction.
#[derive(Args, Debug)]
pub struct SignedContentArgs {
    /// The content root.
    pub cid: String,
    /// Signer.
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// `sovra pin` options.
#[derive(Args, Debug)]
pub struct PinArgs {
    /// What to pin and who signs.
    #[command(flatten)]
    pub target: SignedContentArgs,
    /// Replication factor.
    #[arg(long, default_value_t = sovra_types::limits::DEFAULT_REPLICATION)]
    pub replication: u8,
}

/// `sovra publish` options.
#[derive(Args, Debug)]
pub struct PublishArgs {
    /// Document name (`profile`, `app-config`, ...).
    pub name: String,
    /// The CID it points to (omit with --remove).
    pub cid: Option<String>,
    /// Remove the document instead.
    #[arg(long)]
    pub remove: bool,
    /// Signer.
    #[command(flatten)]
    pub signer: SignerArgs,
}

/// `sovra devnet` options.
#[derive(Args, Debug)]
pub struct DevnetArgs {
    /// Data directory.
    #[arg(long, default_value = ".sovra-devnet")]
    pub dir: PathBuf,
    /// HTTP API listen address.
    #[arg(long, default_value = "127.0.0.1:8545")]
    pub api: std::net::SocketAddr,
    /// Consensus p2p listen address.
    #[arg(long, default_value = "127.0.0.1:9545")]
    pub p2p: std::net::SocketAddr,
    /// Number of funded development keys.
    #[arg(long, default_value_t = 4)]
    pub dev_keys: u32,
    /// Delete the data directory and start a new chain.
    #[arg(long)]
    pub reset: bool,
}

/// Testnet commands.
#[derive(Subcommand, Debug)]
pub enum TestnetCommand {
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

/// Key commands.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
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

/// `sovra transfer` options.
#[derive(Args, Debug)]
pub struct TransferArgs {
    /// Recipient identity.
    #[arg(long)]
    pub to: String,
    /// Amount in the smallest unit (at least 1).
    #[arg(long)]
    pub amount: u64,
    /// Return once the node accepted the transaction, without waiting for it to be final.
    #[arg(long)]
    pub no_wait: bool,
    /// Signer (`--key NAME`, `--as DID`, `--nonce`, `--fee`; `--from` is an old name of `--key`).
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Tx commands.
#[derive(Subcommand, Debug)]
pub enum TxCommand {
    /// Show a transaction's status and receipt.
    Status {
        /// Transaction id (hex).
        id: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Bench commands.
#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Pre-signed transfers in batches against a 1-validator and a 4-validator network.
    Transfers(crate::bench::BenchArgs),
    /// UnixFS import beside sha256sum, upload and gateway throughput, small-file latency.
    Content(crate::bench_content::ContentBenchArgs),
    /// Credential proof verification (both suites, beside raw Ed25519), VC-API verification and
    /// DID resolution over HTTP, with latency percentiles.
    Identity(crate::bench_identity::IdentityBenchArgs),
    /// Vault encryption and decryption beside raw XChaCha20-Poly1305, large-record put/get
    /// throughput and small-record latency against a node.
    Vault(crate::bench_vault::VaultBenchArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// clap's own consistency checks over every command (unique names, valid defaults, ...).
    #[test]
    fn command_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
