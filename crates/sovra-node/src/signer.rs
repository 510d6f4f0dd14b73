//! Signing transactions from the CLI: unlocking a keystore key, choosing the
//! identity it signs as, submitting and waiting for the outcome.

use std::time::Duration;

use anyhow::{Result, bail};
use sovra_client::Client;
use sovra_crypto::{SigningKey, keystore::Keystore};
use sovra_types::{Action, Did, api::TxStatusView};

use crate::cli::{KeystoreArgs, SignerArgs};
use crate::{keystore_dir, passphrase, print_json};

/// How long the CLI waits for a transaction to become final.
pub const FINALITY_WAIT: Duration = Duration::from_secs(60);

/// Unlocks the keystore key `key`.
pub fn load_key(key: &str, keystore: &KeystoreArgs) -> Result<SigningKey> {
    let ks = Keystore::open(keystore_dir(keystore))?;
    Ok(ks.load(key, &passphrase(keystore, false)?)?)
}

/// The identity a signer signs as: `--as`, or the key's own did:key.
pub fn signer_did(signer: &SignerArgs, key: &SigningKey) -> Result<Did> {
    match &signer.as_did {
        Some(d) => Ok(Did::parse(d)?),
        None => Ok(Did::from_public_key(&key.public_key())),
    }
}

/// Submits `tx`, waits for it to be final, prints its status, and fails
/// unless it completed.
pub fn submit_and_wait(
    client: &Client,
    tx: &sovra_types::SignedTransaction,
) -> Result<TxStatusView> {
    let id = client.send_signed(tx)?;
    let status = client.wait_final(&id, FINALITY_WAIT)?;
    print_json(&status)?;
    if status.status != "completed" {
        bail!("transaction {id} {}", status.status);
    }
    Ok(status)
}

/// Signs `action` as the signer, submits it and waits for its outcome.
pub fn send_and_wait(signer: &SignerArgs, action: Action) -> Result<TxStatusView> {
    let client = Client::new(&signer.node.node);
    let key = load_key(&signer.key, &signer.keystore)?;
    let as_did = signer_did(signer, &key)?;
    let tx = client.build_tx(&key, &as_did, vec![action], signer.fee)?;
    submit_and_wait(&client, &tx)
}
