//! `sovra issuer serve`: an issuance service for one verifier (W3C VC-API issuer endpoints),
//! and the issuer options that `sovra vc` shares.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use sovra_client::Client;
use sovra_types::Did;

use crate::args::NodeArgs;
use crate::issuer::Issuer;
use crate::issuer::service::{IssuerService, ServiceState, router};
use crate::keystore::{KeystoreArgs, load_key};

/// Where issuers keep their status-list state (default `~/.sovra/issuer`).
#[derive(Args, Debug, Clone)]
pub(crate) struct IssuerArgs {
    /// Keystore name of the issuer's assertion key.
    #[arg(long)]
    pub(crate) key: String,
    /// The issuer's DID (a registered verifier).
    #[arg(long)]
    pub(crate) issuer: String,
    /// Directory of the issuer's status-list state.
    #[arg(long, env = "SOVRA_ISSUER_DIR")]
    pub(crate) issuer_dir: Option<PathBuf>,
    /// Fee of the status-list transactions.
    #[arg(long, default_value_t = 1)]
    pub(crate) fee: u64,
    /// Keystore options.
    #[command(flatten)]
    pub(crate) keystore: KeystoreArgs,
    /// Node options.
    #[command(flatten)]
    pub(crate) node: NodeArgs,
}

/// `sovra issuer` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum IssuerCommand {
    /// Run an issuance service (W3C VC-API `POST /credentials/issue`, `POST /credentials/status`)
    /// for one verifier, holding its key.
    Serve {
        /// Address to listen on (the service holds the issuer's key: keep it on loopback or
        /// behind `--api-token`).
        #[arg(long, default_value = "127.0.0.1:8600")]
        listen: std::net::SocketAddr,
        /// Require `Authorization: Bearer <token>` on every request.
        #[arg(long, env = "SOVRA_ISSUER_TOKEN", hide_env_values = true)]
        api_token: Option<String>,
        /// Issuer options.
        #[command(flatten)]
        issuer: IssuerArgs,
    },
}

fn issuer_dir(args: &IssuerArgs) -> PathBuf {
    args.issuer_dir.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".sovra")
            .join("issuer")
    })
}

/// The issuer `args` name, with a client of its node.
pub(crate) fn open_issuer(args: &IssuerArgs) -> Result<(Client, Issuer)> {
    let client = Client::new(&args.node.node);
    let key = load_key(&args.key, &args.keystore)?;
    let issuer = Issuer::open(&client, &issuer_dir(args), Did::parse(&args.issuer)?, key)?;
    Ok((client, issuer))
}

/// Runs a `sovra issuer` command.
pub(crate) fn run(command: IssuerCommand) -> Result<()> {
    let IssuerCommand::Serve {
        listen,
        api_token,
        issuer,
    } = command;
    let (client, state) = open_issuer(&issuer)?;
    let shared = Arc::new(ServiceState {
        service: Arc::new(IssuerService {
            client,
            issuer: Mutex::new(state),
            fee: issuer.fee,
        }),
        token: api_token,
    });
    println!(
        "Issuing as {} at http://{listen}/credentials/issue",
        issuer.issuer
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        axum::serve(listener, router(shared)).await?;
        Ok(())
    })
}
