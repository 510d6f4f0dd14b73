//! The keystore on this device: where it is, its passphrase, and unlocking a key from it.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use sovra_crypto::{SigningKey, keystore::Keystore};

/// Options for commands that use the keystore.
#[derive(Args, Debug, Clone)]
pub(crate) struct KeystoreArgs {
    /// Keystore directory (default: ~/.sovra/keys).
    #[arg(long, env = "SOVRA_KEYSTORE", global = true)]
    pub(crate) keystore: Option<PathBuf>,
    /// Passphrase (otherwise read from SOVRA_PASSPHRASE or asked for).
    #[arg(long, env = "SOVRA_PASSPHRASE", hide_env_values = true, global = true)]
    pub(crate) passphrase: Option<String>,
}

/// The keystore directory: `--keystore`, `SOVRA_KEYSTORE`, or `~/.sovra/keys`.
pub(crate) fn keystore_dir(args: &KeystoreArgs) -> PathBuf {
    args.keystore.clone().unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".sovra").join("keys")
    })
}

/// The keystore passphrase: `--passphrase`, `SOVRA_PASSPHRASE`, or asked for on the terminal
/// (twice with `confirm`).
pub(crate) fn passphrase(args: &KeystoreArgs, confirm: bool) -> Result<String> {
    if let Some(p) = &args.passphrase {
        return Ok(p.clone());
    }
    let p = prompt("Keystore passphrase: ")?;
    if confirm {
        let again = prompt("Repeat passphrase: ")?;
        if again != p {
            bail!("passphrases do not match");
        }
    }
    Ok(p)
}

/// Asks for a secret on the terminal; without one, says how to give it instead.
fn prompt(question: &str) -> Result<String> {
    rpassword::prompt_password(question).map_err(|e| {
        anyhow::anyhow!(
            "cannot ask for the keystore passphrase: no terminal ({e}); set SOVRA_PASSPHRASE (or pass --passphrase)"
        )
    })
}

/// Unlocks the keystore key `key`.
pub(crate) fn load_key(key: &str, keystore: &KeystoreArgs) -> Result<SigningKey> {
    let ks = Keystore::open(keystore_dir(keystore))?;
    Ok(ks.load(key, &passphrase(keystore, false)?)?)
}
