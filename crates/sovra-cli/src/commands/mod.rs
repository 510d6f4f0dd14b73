//! The commands of the `sovra` binary, one module each; every module owns its clap arguments
//! and a `run` function. This module only lists them ([`Command`]) and dispatches.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod account;
mod asset;
mod bench;
mod content;
mod devnet;
mod did;
mod gov;
mod issuer;
mod key;
mod node;
mod recovery;
pub(crate) mod stake;
mod status;
mod testnet;
mod transfer;
mod tx;
mod vault;
mod vc;
mod verifier;

/// Sovra: a self-sovereign identity and data network.
#[derive(Parser, Debug)]
#[command(name = "sovra", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Run a single-validator development network on this machine.
    Devnet(devnet::DevnetArgs),
    /// Set up and manage a multi-validator test network.
    Testnet(testnet::TestnetArgs),
    /// Run a node from a config file.
    Node(node::NodeCommandArgs),
    /// Manage identity keys in the encrypted keystore.
    Key(key::KeyArgs),
    /// Transfer native tokens to another identity (exit 1 if it fails, 3 if not final in time).
    #[command(mut_arg("key", |a| a.alias("from")))]
    Transfer(transfer::TransferArgs),
    /// Inspect transactions.
    Tx(tx::TxArgs),
    /// Show an identity's account: balance, nonce, receipt chain.
    Account(account::AccountArgs),
    /// Show the node's and chain's status.
    Status(status::StatusArgs),
    /// Benchmarks.
    Bench(bench::BenchArgs),
    /// Add a file or directory to public content storage; prints its CID (as `ipfs add --cid-version=1`).
    Add(content::AddArgs),
    /// Print a file from public content storage (every block verified).
    Cat(content::CatArgs),
    /// Save a file or directory from public content storage (every block verified).
    Get(content::GetArgs),
    /// Export or import CAR files.
    Car(content::CarArgs),
    /// Ask the network to keep content (a `PinContent` transaction).
    Pin(content::PinArgs),
    /// Release your pin of content (an `UnpinContent` transaction).
    Unpin(content::SignedContentArgs),
    /// Point one of your public documents (`profile`, `app-config`, ...) at a CID.
    Publish(content::PublishArgs),
    /// Create, change, resolve and deactivate did:sovra identities.
    Did {
        /// DID command.
        #[command(subcommand)]
        command: did::DidCommand,
    },
    /// The trust registry: which verifiers may issue which credential types.
    Verifier {
        /// Verifier command.
        #[command(subcommand)]
        command: verifier::VerifierCommand,
    },
    /// Issue, verify, show, revoke and present verifiable credentials.
    Vc {
        /// Credential command.
        #[command(subcommand)]
        command: vc::VcCommand,
    },
    /// Run an issuance service for a verifier.
    Issuer {
        /// Issuer command.
        #[command(subcommand)]
        command: issuer::IssuerCommand,
    },
    /// The private vault: records encrypted on this device, shared, revoked, erased, restored.
    Vault {
        /// Vault command.
        #[command(subcommand)]
        command: vault::VaultCommand,
    },
    /// Guardian recovery of an identity's keys and vault secret.
    Recovery {
        /// Recovery command.
        #[command(subcommand)]
        command: recovery::RecoveryCommand,
    },
    /// Native assets: create token classes, mint, send, approve, freeze, lock, burn, show
    /// (`sovra token` is the same command).
    #[command(alias = "token", after_help = ASSET_EXAMPLES)]
    Asset {
        /// Asset command.
        #[command(subcommand)]
        command: asset::AssetCommand,
    },
    /// Staking: become a validator candidate, delegate, undelegate, withdraw, list candidates.
    #[command(after_help = STAKE_EXAMPLES)]
    Stake {
        /// Staking command.
        #[command(subcommand)]
        command: stake::StakeCommand,
    },
    /// Governance: propose parameter changes and treasury spends, vote, finalize, claim, show.
    #[command(after_help = GOV_EXAMPLES)]
    Gov {
        /// Governance command.
        #[command(subcommand)]
        command: gov::GovCommand,
    },
}

/// Examples under `sovra stake --help`.
const STAKE_EXAMPLES: &str = "Examples:
  sovra stake register --validator-key testnet/node3/validator.key --address 127.0.0.1:19548 --key carol
  sovra stake register --validator-key carol.key --new --address 10.0.0.7:19545 --key carol
  sovra stake delegate did:key:z6Mk...carol --amount 5000 --key carol
  sovra stake delegate did:key:z6Mk...carol --amount 1000 --key dave
  sovra stake wait          # until the next epoch, when the stake counts
  sovra stake validators
  sovra stake undelegate --amount 500 --key dave
  sovra stake withdraw --key dave";

/// Examples under `sovra gov --help`.
const GOV_EXAMPLES: &str = "Examples:
  sovra gov params
  ID=$(sovra gov propose --title 'Raise the fee' --param min_fee=2 --key carol --print id)
  sovra gov vote $ID yes --key carol
  sovra gov show $ID
  sovra gov wait $ID        # until voting ends
  sovra gov finalize $ID --key dave
  sovra gov wait $ID        # until the change takes effect
  sovra gov claim $ID --key carol
  sovra gov propose --title 'Fund the docs' --spend-to did:key:z6Mk... --amount 500 --key carol
  sovra gov list";

/// Examples under `sovra asset --help`.
const ASSET_EXAMPLES: &str = "Examples:
  sovra asset create GOLD --kind fungible --symbol GLD --decimals 2 --max-supply 1000000 --transferable --key alice
  sovra asset mint did:key:z6Mk.../GOLD --to did:key:z6Mk... --amount 5000 --key alice
  sovra asset send did:key:z6Mk.../GOLD --to did:key:z6Mk... --amount 250 --key bob
  sovra asset lock did:key:z6Mk.../GOLD --to did:key:z6Mk... --amount 100 --end +30d --key bob
  sovra asset create RELICS --kind nft --symbol REL --transferable --key alice
  sovra asset nest did:key:z6Mk.../RELICS#1 did:key:z6Mk.../GOLD --amount 40 --key bob
  sovra asset token did:key:z6Mk.../RELICS 1
  sovra asset list did:key:z6Mk...";

impl Command {
    /// Whether the command runs a server (a node, a devnet, the issuer service, a benchmark's
    /// nodes) rather than answering once.
    pub(crate) fn is_server(&self) -> bool {
        matches!(
            self,
            Command::Node(_) | Command::Devnet(_) | Command::Issuer { .. } | Command::Bench(_)
        )
    }

    /// Runs the command.
    pub(crate) fn run(self) -> Result<()> {
        match self {
            Command::Node(args) => node::run(args),
            Command::Devnet(args) => devnet::run(args),
            Command::Testnet(args) => testnet::run(args),
            Command::Key(args) => key::run(args),
            Command::Transfer(args) => transfer::run(args),
            Command::Tx(args) => tx::run(args),
            Command::Account(args) => account::run(args),
            Command::Status(args) => status::run(args),
            Command::Add(args) => content::add(args),
            Command::Cat(args) => content::cat(args),
            Command::Get(args) => content::get(args),
            Command::Car(args) => content::car(args),
            Command::Pin(args) => content::pin(args),
            Command::Unpin(args) => content::unpin(args),
            Command::Publish(args) => content::publish(args),
            Command::Did { command } => did::run(command),
            Command::Verifier { command } => verifier::run(command),
            Command::Vc { command } => vc::run(command),
            Command::Issuer { command } => issuer::run(command),
            Command::Vault { command } => vault::run(command),
            Command::Recovery { command } => recovery::run(command),
            Command::Asset { command } => asset::run(command),
            Command::Stake { command } => stake::run(command),
            Command::Gov { command } => gov::run(command),
            Command::Bench(args) => bench::run(args),
        }
    }
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
