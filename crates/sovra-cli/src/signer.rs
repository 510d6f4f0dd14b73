//! Signing transactions from the CLI: the signer options every such command takes
//! ([`SignerArgs`]), choosing the identity a key signs as and the nonce, submitting, and waiting
//! for the outcome.
//!
//! Every command that submits a transaction goes through [`submit`] (or [`submit_and_wait`]),
//! so every one of them exits non-zero unless its transaction completed: exit 1 when it is
//! refused, failed (the fee was charged), replaced (another transaction used its nonce) or
//! expired; exit 3 ([`EXIT_NOT_FINAL`]) when it is not final within the wait, since it may
//! still complete.

use std::time::Duration;

use anyhow::Result;
use clap::Args;
use sovra_api_types::TxStatusView;
use sovra_client::{Client, ClientError};
use sovra_crypto::SigningKey;
use sovra_types::{Action, Did, SignedTransaction, limits::MAX_ACTIONS_PER_TX};

use crate::args::NodeArgs;
use crate::keystore::{KeystoreArgs, load_key};

/// How long the CLI waits for a transaction to become final by default.
pub(crate) const FINALITY_WAIT: Duration = Duration::from_secs(60);

/// Exit code of a command whose transaction was not final within the wait (it may still
/// complete: check `sovra tx status` before sending it again).
pub(crate) const EXIT_NOT_FINAL: i32 = 3;

/// Who signs a transaction, and where it goes: the options of every command that signs one.
#[derive(Args, Debug, Clone)]
pub(crate) struct SignerArgs {
    /// Name of the signing key in the keystore.
    #[arg(long, value_name = "NAME")]
    pub(crate) key: String,
    /// Sign as this identity (a did:sovra that lists the key under
    /// capabilityInvocation); default: the key's own did:key.
    #[arg(long = "as", value_name = "DID")]
    pub(crate) as_did: Option<String>,
    /// Nonce of the (first) transaction; default: the next one the node expects, counting the
    /// signer's transactions waiting in its mempool.
    #[arg(long)]
    pub(crate) nonce: Option<u64>,
    /// Fee.
    #[arg(long, default_value_t = 1)]
    pub(crate) fee: u64,
    /// How long to wait for the transaction to be final, in seconds (then exit 3: it may still
    /// complete).
    #[arg(long, value_name = "SECS", default_value_t = FINALITY_WAIT.as_secs())]
    pub(crate) wait_secs: u64,
    /// Keystore options.
    #[command(flatten)]
    pub(crate) keystore: KeystoreArgs,
    /// Node options.
    #[command(flatten)]
    pub(crate) node: NodeArgs,
}

impl SignerArgs {
    /// The options of a signer named by a key alone: its did:key, the next nonce, fee 1.
    pub(crate) fn for_key(key: String, keystore: KeystoreArgs, node: NodeArgs) -> Self {
        Self {
            key,
            as_did: None,
            nonce: None,
            fee: 1,
            wait_secs: FINALITY_WAIT.as_secs(),
            keystore,
            node,
        }
    }
}

/// The identity a signer signs as: `--as`, or the key's own did:key.
pub(crate) fn signer_did(signer: &SignerArgs, key: &SigningKey) -> Result<Did> {
    match &signer.as_did {
        Some(d) => Ok(Did::parse(d)?),
        None => Ok(Did::from_public_key(&key.public_key())),
    }
}

/// Builds and signs a transaction of `actions` as `as_did` with the signer's fee and nonce
/// (`--nonce`, else the next one the node expects).
pub(crate) fn build(
    client: &Client,
    key: &SigningKey,
    as_did: &Did,
    actions: Vec<Action>,
    signer: &SignerArgs,
) -> Result<SignedTransaction> {
    Ok(client.build_tx_with_nonce(key, as_did, actions, signer.fee, signer.nonce)?)
}

/// Why a submitted transaction did not complete. Its `Display` is the message the CLI prints.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TxOutcome {
    /// Included, fee charged, actions not applied.
    #[error(
        "transaction {id} failed at height {height}: {code}: {message} (the fee of {fee} was charged; nothing else changed)"
    )]
    Failed {
        /// Transaction id.
        id: String,
        /// Block height.
        height: u64,
        /// Fee charged.
        fee: u64,
        /// Failure code.
        code: String,
        /// Failure message.
        message: String,
    },
    /// Another transaction of the signer with the same nonce was included instead.
    #[error(
        "transaction {id} was replaced: another transaction of {signer} with nonce {nonce} was included{by}; this one will never be included and cost nothing"
    )]
    Replaced {
        /// Transaction id.
        id: String,
        /// The signer.
        signer: String,
        /// The nonce both used.
        nonce: u64,
        /// ` (<id>)` when the node names the replacing transaction.
        by: String,
    },
    /// Not included by its expiry height.
    #[error(
        "transaction {id} expired: it was not included by its expiry height {expiry_height}; it cost nothing"
    )]
    Expired {
        /// Transaction id.
        id: String,
        /// Last height at which it could have been included.
        expiry_height: u64,
    },
    /// A status this CLI does not know.
    #[error("transaction {id} ended as {status:?}")]
    Other {
        /// Transaction id.
        id: String,
        /// The node's word for it.
        status: String,
    },
    /// Not final within the wait.
    #[error(
        "transaction {id} is not final after {secs} s ({last}); it may still complete: check `sovra tx status {id}` before sending it again"
    )]
    NotFinal {
        /// Transaction id.
        id: String,
        /// Seconds waited.
        secs: u64,
        /// What the node said last.
        last: &'static str,
    },
}

impl TxOutcome {
    /// The process exit code for this outcome.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            TxOutcome::NotFinal { .. } => EXIT_NOT_FINAL,
            _ => 1,
        }
    }
}

/// Fails unless `status` says the transaction completed.
pub(crate) fn check(tx: &SignedTransaction, status: &TxStatusView) -> Result<(), TxOutcome> {
    let id = status.id.clone();
    match status.status.as_str() {
        "completed" => Ok(()),
        "failed" => {
            let error = status.error.clone().unwrap_or(sovra_api_types::ErrorBody {
                code: "unknown".into(),
                message: String::new(),
            });
            Err(TxOutcome::Failed {
                id,
                height: status.height.unwrap_or_default(),
                fee: status.fee.unwrap_or(tx.tx.fee),
                code: error.code,
                message: error.message,
            })
        }
        "replaced" => Err(TxOutcome::Replaced {
            id,
            signer: tx.tx.signer.to_string(),
            nonce: tx.tx.nonce,
            by: status
                .replaced_by
                .as_ref()
                .map(|b| format!(" ({b})"))
                .unwrap_or_default(),
        }),
        "expired" => Err(TxOutcome::Expired {
            id,
            expiry_height: status.expiry_height.unwrap_or(tx.tx.expiry_height),
        }),
        other => Err(TxOutcome::Other {
            id,
            status: other.to_string(),
        }),
    }
}

/// Polls the node until `tx` (id `id`) is final or `wait` has passed
/// ([`Client::wait_final_tx`]: while the node does not know the transaction, its outcome is
/// derived from the ledger: `replaced` once the signer's nonce is used by another transaction,
/// `expired` once its expiry height is final). A status that is not final within `wait` is an
/// error.
pub(crate) fn wait_final(
    client: &Client,
    tx: &SignedTransaction,
    id: &str,
    wait: Duration,
) -> Result<TxStatusView> {
    match client.wait_final_tx(tx, wait) {
        Err(ClientError::Timeout(..)) => {
            let last = match client.tx(id)? {
                Some(_) => "pending in the node's mempool",
                None => "not known to the node",
            };
            Err(TxOutcome::NotFinal {
                id: id.to_string(),
                secs: wait.as_secs(),
                last,
            }
            .into())
        }
        other => Ok(other?),
    }
}

/// The status of `tx` (id `id`) while it is not in a block: `pending`, `replaced` or `expired`.
pub(crate) fn unincluded(tx: &SignedTransaction, id: &str, status: &str) -> TxStatusView {
    TxStatusView {
        id: id.to_string(),
        status: status.into(),
        height: None,
        index: None,
        fee: None,
        error: None,
        expiry_height: Some(tx.tx.expiry_height),
        replaced_by: None,
    }
}

/// Submits `tx` and waits up to `wait` for it to be final; returns its final status and whether
/// it completed (errors: refused, or not final in time). Says on stderr what happened.
pub(crate) fn submit_final(
    client: &Client,
    tx: &SignedTransaction,
    wait: Duration,
) -> Result<(TxStatusView, Result<(), TxOutcome>)> {
    let id = client.send_signed(tx)?;
    eprintln!("submitted {id}");
    let status = wait_final(client, tx, &id, wait)?;
    let outcome = check(tx, &status);
    if outcome.is_ok() {
        eprintln!(
            "transaction {id} completed at height {} (fee {})",
            status.height.unwrap_or_default(),
            status.fee.unwrap_or(tx.tx.fee)
        );
    }
    Ok((status, outcome))
}

/// Submits `tx`, waits up to `wait` for it to be final and fails unless it completed.
pub(crate) fn submit_for(
    client: &Client,
    tx: &SignedTransaction,
    wait: Duration,
) -> Result<TxStatusView> {
    let (status, outcome) = submit_final(client, tx, wait)?;
    outcome?;
    Ok(status)
}

/// [`submit_for`] with the default wait.
pub(crate) fn submit_and_wait(client: &Client, tx: &SignedTransaction) -> Result<TxStatusView> {
    submit_for(client, tx, FINALITY_WAIT)
}

/// [`submit_for`] with the signer's `--wait-secs`.
pub(crate) fn submit(
    client: &Client,
    tx: &SignedTransaction,
    signer: &SignerArgs,
) -> Result<TxStatusView> {
    submit_for(client, tx, Duration::from_secs(signer.wait_secs))
}

/// Sends `actions` as `did` in as few transactions as the action limit allows, one after the
/// other, each waited for; with `--nonce N` they use N, N+1, ...
pub(crate) fn send_all(
    client: &Client,
    key: &SigningKey,
    did: &Did,
    actions: Vec<Action>,
    signer: &SignerArgs,
) -> Result<Vec<TxStatusView>> {
    let mut out = Vec::new();
    for (i, chunk) in actions.chunks(MAX_ACTIONS_PER_TX).enumerate() {
        let mut this = signer.clone();
        this.nonce = signer.nonce.map(|n| n + i as u64);
        let tx = build(client, key, did, chunk.to_vec(), &this)?;
        out.push(submit(client, &tx, &this)?);
    }
    Ok(out)
}

/// Signs `action` as the signer, submits it and waits for its outcome.
pub(crate) fn send_and_wait(signer: &SignerArgs, action: Action) -> Result<TxStatusView> {
    let client = Client::new(&signer.node.node);
    let key = load_key(&signer.key, &signer.keystore)?;
    let as_did = signer_did(signer, &key)?;
    let tx = build(&client, &key, &as_did, vec![action], signer)?;
    submit(&client, &tx, signer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_types::Transaction;

    fn tx() -> SignedTransaction {
        let key = SigningKey::from_test_seed(1);
        Transaction {
            chain_id: "devnet-00000000".into(),
            signer: Did::from_public_key(&key.public_key()),
            nonce: 4,
            fee: 1,
            expiry_height: 1_000,
            actions: vec![],
        }
        .sign(&key)
    }

    fn view(status: &str) -> TxStatusView {
        TxStatusView {
            id: "ab".into(),
            status: status.into(),
            height: Some(12),
            index: Some(0),
            fee: Some(1),
            error: None,
            expiry_height: None,
            replaced_by: None,
        }
    }

    /// Only `completed` passes; every other final status is an error (exit 1) that says what
    /// happened and whether the fee was charged; not final in time is exit 3.
    #[test]
    fn every_outcome_but_completed_is_an_error_saying_which() {
        let tx = tx();
        assert!(check(&tx, &view("completed")).is_ok());

        let mut failed = view("failed");
        failed.error = Some(sovra_api_types::ErrorBody {
            code: "insufficient_balance".into(),
            message: "balance 499 is less than 5000".into(),
        });
        let e = check(&tx, &failed).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let text = e.to_string();
        assert!(
            text.contains("failed at height 12: insufficient_balance"),
            "{text}"
        );
        assert!(text.contains("fee of 1 was charged"), "{text}");

        let mut replaced = view("replaced");
        replaced.replaced_by = Some("cd".into());
        let text = check(&tx, &replaced).unwrap_err().to_string();
        assert!(text.contains("was replaced"), "{text}");
        assert!(text.contains("nonce 4 was included (cd)"), "{text}");
        assert!(text.contains("cost nothing"), "{text}");

        let mut expired = view("expired");
        expired.expiry_height = Some(900);
        let text = check(&tx, &expired).unwrap_err().to_string();
        assert!(
            text.contains("expired") && text.contains("expiry height 900"),
            "{text}"
        );
        // Without the node's expiry height, the transaction's own.
        let text = check(&tx, &view("expired")).unwrap_err().to_string();
        assert!(text.contains("expiry height 1000"), "{text}");

        let e = check(&tx, &view("evicted")).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        let late = TxOutcome::NotFinal {
            id: "ab".into(),
            secs: 60,
            last: "pending in the node's mempool",
        };
        assert_eq!(late.exit_code(), EXIT_NOT_FINAL);
        assert!(late.to_string().contains("sovra tx status ab"));
    }
}
