//! `sovra verifier register|remove|list`: the trust registry, which verifiers may issue which
//! credential types.

use anyhow::Result;
use clap::Subcommand;
use sovra_client::Client;
use sovra_types::{Action, Did, RegistryAction};

use crate::args::NodeArgs;
use crate::output::OutputArgs;
use crate::signer::{SignerArgs, send_and_wait};

/// `sovra verifier` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum VerifierCommand {
    /// Allow a verifier to issue credential types (registry authority only).
    Register {
        /// The verifier's identity.
        did: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// A credential type it may issue (repeat for several).
        #[arg(long = "type", value_name = "TYPE", required = true)]
        types: Vec<String>,
        /// Signer: the registry authority.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// Remove a verifier from the registry (registry authority only).
    Remove {
        /// The verifier's identity.
        did: String,
        /// Signer: the registry authority.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// List registered verifiers.
    List {
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// Runs a `sovra verifier` command.
pub(crate) fn run(command: VerifierCommand) -> Result<()> {
    match command {
        VerifierCommand::Register {
            did,
            name,
            types,
            signer,
        } => {
            for t in &types {
                sovra_types::registry::validate_credential_type(t)?;
            }
            send_and_wait(
                &signer,
                Action::Registry(RegistryAction::RegisterVerifier {
                    verifier: Did::parse(&did)?,
                    name,
                    credential_types: types,
                }),
            )?;
            Ok(())
        }
        VerifierCommand::Remove { did, signer } => {
            send_and_wait(
                &signer,
                Action::Registry(RegistryAction::RemoveVerifier {
                    verifier: Did::parse(&did)?,
                }),
            )?;
            Ok(())
        }
        VerifierCommand::List { output, node } => {
            output.emit(&Client::new(&node.node).verifiers()?, |list| {
                list.iter()
                    .map(|v| {
                        format!(
                            "{}  {:?}  {}  (registered {} at height {})",
                            v.did,
                            v.name,
                            v.credential_types.join(","),
                            v.registered_at,
                            v.registered_height
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}
