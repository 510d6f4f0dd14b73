//! A DID-authenticated session at a node: the signer's key and identity, and the bearer token
//! the node issued for them (what the vault and recovery commands read and send with).

use anyhow::{Context as _, Result, anyhow};
use sovra_client::Client;
use sovra_crypto::SigningKey;
use sovra_types::{Action, Did, DidMethod, Relationship};

use crate::keystore::load_key;
use crate::signer::{SignerArgs, send_all, signer_did};

/// The signer's key, identity, and a session token at the node.
pub(crate) struct Session {
    /// The node.
    pub(crate) client: Client,
    /// The signing key.
    pub(crate) key: SigningKey,
    /// The identity it signs and authenticates as.
    pub(crate) did: Did,
    /// The node's bearer token for that identity.
    pub(crate) token: String,
}

/// Unlocks the signer's key and authenticates to the node as the signer's identity.
pub(crate) fn session(signer: &SignerArgs) -> Result<Session> {
    let client = Client::new(&signer.node.node);
    let key = load_key(&signer.key, &signer.keystore)?;
    let did = signer_did(signer, &key)?;
    let method = auth_method(&client, &key, &did)?;
    let token = client
        .authenticate(&key, &did, method.as_deref())
        .with_context(|| format!("authenticating as {did}"))?
        .token
        .ok_or_else(|| anyhow!("the node answered without a token"))?;
    Ok(Session {
        client,
        key,
        did,
        token,
    })
}

/// The verification method a key authenticates with: for a `did:sovra`, the document's
/// authentication method holding the key.
fn auth_method(client: &Client, key: &SigningKey, did: &Did) -> Result<Option<String>> {
    if did.method() == DidMethod::Key {
        return Ok(None);
    }
    let verified = client
        .resolve_verified(did, sovra_client::DidVersionSelector::Latest)?
        .map_err(|_| anyhow!("{did} does not exist"))?;
    let record = verified
        .record
        .ok_or_else(|| anyhow!("{did} has no ledger record"))?;
    let raw = key.public_key();
    record
        .document
        .ed25519_keys(Relationship::Authentication)
        .find(|m| m.public_key.as_slice() == raw.as_ref())
        .map(|m| Some(format!("{did}#{}", m.id)))
        .ok_or_else(|| anyhow!("the key is not an authentication key of {did}"))
}

/// Sends `actions` as the session's identity (in as many transactions as it takes), each
/// waited for.
pub(crate) fn send(s: &Session, signer: &SignerArgs, actions: Vec<Action>) -> Result<()> {
    send_all(&s.client, &s.key, &s.did, actions, signer).map(drop)
}
