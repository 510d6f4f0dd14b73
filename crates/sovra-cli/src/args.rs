//! Options shared by many commands: where the node is.

use clap::Args;

/// Options for commands that talk to a node.
#[derive(Args, Debug, Clone)]
pub(crate) struct NodeArgs {
    /// Base URL of the node's HTTP API.
    #[arg(
        long,
        env = "SOVRA_NODE",
        default_value = "http://127.0.0.1:8545",
        global = true
    )]
    pub(crate) node: String,
}
