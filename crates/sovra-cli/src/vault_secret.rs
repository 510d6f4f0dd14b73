//! The vault secret kept on this device, for `sovra vault` and `sovra recovery`.
//!
//! Vault secrets live in `<keystore>/vaults/<name>.json`, encrypted with the keystore
//! passphrase (Argon2id + XChaCha20-Poly1305), bound to the owner's DID.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use sovra_client::VaultKeys;
use sovra_crypto::{keystore::Keystore, shares::VaultSecret};
use sovra_types::Did;

use crate::keystore::{KeystoreArgs, keystore_dir, passphrase};
use crate::signer::SignerArgs;

/// Options of every vault command: who signs and which vault secret.
#[derive(Args, Debug)]
pub(crate) struct VaultArgs {
    /// Signer (the vault's owner, or a grantee for `get`).
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
    /// Name of the vault secret in `<keystore>/vaults` (default: the key's name).
    #[arg(long)]
    pub(crate) vault: Option<String>,
}

fn vault_store(keystore: &KeystoreArgs) -> Result<Keystore> {
    Ok(Keystore::open(keystore_dir(keystore).join("vaults"))?)
}

/// The name the vault secret is stored under: `--vault`, or the signing key's name.
pub(crate) fn vault_name(args: &VaultArgs) -> String {
    args.vault
        .clone()
        .unwrap_or_else(|| args.signer.key.clone())
}

fn label_for(owner: &Did) -> String {
    format!("vault:{owner}")
}

/// Stores `owner`'s vault secret under the vault name; refuses to replace one already there.
pub(crate) fn save_vault(args: &VaultArgs, owner: &Did, secret: &VaultSecret) -> Result<()> {
    let name = vault_name(args);
    let store = vault_store(&args.signer.keystore)?;
    if stored_label(&store, &name)?.is_some() {
        bail!(
            "a vault named {name:?} already exists on this device; it is kept as it is: choose \
             another name with --vault NAME (and use that name afterwards)"
        );
    }
    store
        .insert_secret(
            &name,
            &label_for(owner),
            secret.to_bytes().as_ref(),
            &passphrase(&args.signer.keystore, false)?,
        )
        .with_context(|| format!("storing vault {name:?}"))?;
    eprintln!("vault {name:?} of {owner} stored (back it up with `sovra vault export-key`)");
    Ok(())
}

/// The label of the vault secret stored as `name` (`vault:<owner DID>`), read without the
/// passphrase, or `None` when there is none.
fn stored_label(store: &Keystore, name: &str) -> Result<Option<String>> {
    match store.show(name) {
        Ok(info) => Ok(Some(info.did)),
        Err(sovra_crypto::CryptoError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The vault stored under this name, if there is one (it must be the signer's).
pub(crate) fn existing_vault(args: &VaultArgs, owner: &Did) -> Result<Option<VaultKeys>> {
    if stored_label(&vault_store(&args.signer.keystore)?, &vault_name(args))?.is_none() {
        return Ok(None);
    }
    load_vault(args, owner).map(Some)
}

/// `owner`'s vault secret stored under the vault name; an error saying how to get one if there
/// is none, or if it belongs to someone else.
pub(crate) fn load_vault(args: &VaultArgs, owner: &Did) -> Result<VaultKeys> {
    let name = vault_name(args);
    let store = vault_store(&args.signer.keystore)?;
    let Some(label) = stored_label(&store, &name)? else {
        bail!(
            "there is no vault named {name:?} for {owner} on this device: create one with \
             `sovra vault init`, bring a backup with `sovra vault import-key --secret HEX` or \
             `sovra vault restore --vault-key HEX`, or name another with --vault"
        );
    };
    if label != label_for(owner) {
        bail!("vault {name:?} belongs to {label}, not {owner}");
    }
    let (_, bytes) = store
        .load_secret(&name, &passphrase(&args.signer.keystore, false)?)
        .with_context(|| format!("opening vault {name:?}"))?;
    Ok(VaultKeys::new(VaultSecret::from_bytes(&bytes)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_vault_is_told_apart_from_a_stored_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Keystore::open(dir.path()).unwrap();
        assert_eq!(stored_label(&store, "alice").unwrap(), None);
        store
            .insert_secret("alice", "vault:did:key:z6Mk", &[1; 33], "pass")
            .unwrap();
        assert_eq!(
            stored_label(&store, "alice").unwrap().as_deref(),
            Some("vault:did:key:z6Mk")
        );
    }
}
