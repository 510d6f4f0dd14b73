//! `sovra status`: the node's and the chain's status.

use anyhow::Result;
use clap::Args;
use sovra_api_types::StatusView;
use sovra_client::Client;

use crate::args::NodeArgs;
use crate::output::OutputArgs;

/// `sovra status` options.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    /// Output options.
    #[command(flatten)]
    output: OutputArgs,
    /// Node options.
    #[command(flatten)]
    node: NodeArgs,
}

/// `sovra status`.
pub(crate) fn run(StatusArgs { output, node }: StatusArgs) -> Result<()> {
    output.emit(&Client::new(&node.node).status()?, status_text)
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
