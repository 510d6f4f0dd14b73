//! `sovra transfer`: native tokens to another identity.

use anyhow::{Result, bail};
use clap::Args;
use sovra_client::Client;
use sovra_types::{AccountsAction, Action, Did, DidMethod};

use super::tx::tx_text;
use crate::keystore::load_key;
use crate::output::OutputArgs;
use crate::signer::{self, SignerArgs};

/// `sovra transfer` options.
#[derive(Args, Debug)]
pub(crate) struct TransferArgs {
    /// Recipient identity.
    #[arg(long)]
    pub(crate) to: String,
    /// Amount in the smallest unit (at least 1).
    #[arg(long)]
    pub(crate) amount: u64,
    /// Return once the node accepted the transaction, without waiting for it to be final.
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Signer (`--key NAME`, `--as DID`, `--nonce`, `--fee`; `--from` is an old name of `--key`).
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Output options.
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// `sovra transfer`.
pub(crate) fn run(args: TransferArgs) -> Result<()> {
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
    let key = load_key(&args.signer.key, &args.signer.keystore)?;
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
