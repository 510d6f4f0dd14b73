//! `sovra tx status`: a transaction's status and receipt.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use sovra_api_types::TxStatusView;
use sovra_client::Client;

use crate::args::NodeArgs;
use crate::output::OutputArgs;

/// `sovra tx` options.
#[derive(Args, Debug)]
pub(crate) struct TxArgs {
    /// Tx command.
    #[command(subcommand)]
    command: TxCommand,
    /// Node options.
    #[command(flatten)]
    node: NodeArgs,
}

/// Tx commands.
#[derive(Subcommand, Debug)]
pub(crate) enum TxCommand {
    /// Show a transaction's status and receipt.
    Status {
        /// Transaction id (hex).
        id: String,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Runs a `sovra tx` command.
pub(crate) fn run(TxArgs { command, node }: TxArgs) -> Result<()> {
    let TxCommand::Status { id, output } = command;
    match Client::new(&node.node).tx(&id)? {
        Some(s) => output.emit(&s, tx_text),
        None => bail!("transaction {id} is not known to {}", node.node),
    }
}

/// A transaction's status in one or two lines.
pub(crate) fn tx_text(s: &TxStatusView) -> String {
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
