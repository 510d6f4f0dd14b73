//! `sovra account`: an identity's balance, nonce and receipt chain.

use anyhow::Result;
use clap::Args;
use sovra_api_types::AccountView;
use sovra_client::Client;
use sovra_types::Did;

use crate::args::NodeArgs;
use crate::output::OutputArgs;
use crate::time::time;

/// `sovra account` options.
#[derive(Args, Debug)]
pub(crate) struct AccountArgs {
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
}

/// `sovra account`.
pub(crate) fn run(args: AccountArgs) -> Result<()> {
    let AccountArgs {
        did,
        receipts,
        verify,
        output: out,
        node,
    } = args;
    let did = Did::parse(&did)?;
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
            "block_time": time(v.header.timestamp_ms),
        });
        text.push_str(&format!(
            "verified: balance {} nonce {} receipt head {} at height {} ({}, state root {})\n",
            a.balance,
            a.nonce,
            sovra_types::digest_hex(&a.receipt_head),
            v.header.height,
            time(v.header.timestamp_ms),
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
