//! The private vault and guardian recovery commands: `sovra vault …` and `sovra recovery …`.
//!
//! Vault secrets live in `<keystore>/vaults/<name>.json`, encrypted with the keystore
//! passphrase (Argon2id + XChaCha20-Poly1305), bound to the owner's DID.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use sovra_client::{Client, OpenedRecord, RecordMeta, VaultKeys};
use sovra_crypto::{SigningKey, keystore::Keystore, shares::VaultSecret};
use sovra_types::{
    Action, Did, DidMethod, RecordId, RecoveryAction, Relationship, VaultAction,
    datetime::parse_datetime,
};

use crate::cli::{KeystoreArgs, SignerArgs};
use crate::signer::{load_key, signer_did};
use crate::{keystore_dir, passphrase, print_json};

/// Options of every vault command: who signs and which vault secret.
#[derive(Args, Debug)]
pub struct VaultArgs {
    /// Signer (the vault's owner, or a grantee for `get`).
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Name of the vault secret in `<keystore>/vaults` (default: the key's name).
    #[arg(long)]
    pub vault: Option<String>,
}

/// `sovra vault` commands.
#[derive(Subcommand, Debug)]
pub enum VaultCommand {
    /// Create a vault secret for the signing identity (stored encrypted; back it up with `export-key`).
    Init(VaultArgs),
    /// Print the vault secret (hex) for an offline backup. Anyone holding it can read every record.
    ExportKey(VaultArgs),
    /// Store a vault secret from a backup (hex) on this device.
    ImportKey {
        /// The vault secret, 66 hex characters.
        #[arg(long)]
        secret: String,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// Encrypt a file on this device and store it in the vault.
    Put {
        /// The file.
        file: PathBuf,
        /// A label (repeatable), sealed with the record.
        #[arg(long = "label")]
        labels: Vec<String>,
        /// Delete the record from the network at this time (RFC 3339, YYYY-MM-DD or +30d/+12h/+90s).
        #[arg(long)]
        retain_until: Option<String>,
        /// Nodes that must hold it.
        #[arg(long, default_value_t = 3)]
        replication: u8,
        /// Hide the progress bar.
        #[arg(long)]
        quiet: bool,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// List the signer's records (decrypting their names).
    List(VaultArgs),
    /// Decrypt a record to a file (as its owner, or as a grantee with --grantee).
    Get {
        /// Record id.
        id: String,
        /// Output file (must not exist).
        #[arg(short, long)]
        output: PathBuf,
        /// Read as a grantee (with the signer's identity key) instead of the owner.
        #[arg(long)]
        grantee: bool,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// Let another identity read a record.
    Share {
        /// Record id.
        id: String,
        /// The grantee.
        #[arg(long = "with")]
        with: String,
        /// End of the grant (RFC 3339, YYYY-MM-DD or +7d).
        #[arg(long)]
        until: Option<String>,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// Remove a grant and re-encrypt the record under a new key (a new version).
    Revoke {
        /// Record id.
        id: String,
        /// The grantee losing access.
        #[arg(long)]
        from: String,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// Erase a record: every node deletes its ciphertext and wrapped keys.
    Delete {
        /// Record id.
        id: String,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// This node's log of who received a record.
    Log {
        /// Record id.
        id: String,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// A node's signed statement that it erased a record.
    Erasure {
        /// Record id.
        id: String,
        /// Node options.
        #[command(flatten)]
        node: crate::cli::NodeArgs,
    },
    /// Decrypt every live record of the signer into a directory (for a new device).
    Restore {
        /// Directory to write the records into (created; must be empty).
        #[arg(short, long)]
        output: PathBuf,
        /// The vault secret (hex); stored on this device as the vault. Default: the stored vault.
        #[arg(long)]
        vault_key: Option<String>,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
}

/// `sovra recovery` commands.
#[derive(Subcommand, Debug)]
pub enum RecoveryCommand {
    /// Split the vault secret among guardians and anchor the commitments.
    Setup {
        /// Guardians, comma-separated DIDs.
        #[arg(long, value_delimiter = ',', required = true)]
        guardians: Vec<String>,
        /// Guardians needed to recover.
        #[arg(long)]
        threshold: u8,
        /// How long a recovery waits, during which the current keys can cancel it (e.g. 7d, 12h, 90s).
        #[arg(long, default_value = "7d")]
        time_lock: String,
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
    },
    /// Show an identity's guardians and pending recovery.
    Status {
        /// The identity.
        did: String,
        /// Node options.
        #[command(flatten)]
        node: crate::cli::NodeArgs,
    },
    /// From a new device: start recovering an identity to the signing key (its did:key).
    Request {
        /// The identity to recover.
        #[arg(long)]
        did: String,
        /// Signer: the new device's key.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// As a guardian: check your share and hand it to the requesting device.
    Approve {
        /// The identity being recovered.
        #[arg(long)]
        did: String,
        /// Signer: the guardian.
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// With the identity's current keys: cancel a pending recovery.
    Cancel {
        /// The identity.
        #[arg(long)]
        did: String,
        /// Signer: the identity (`--as DID`).
        #[command(flatten)]
        signer: SignerArgs,
    },
    /// From the new device, after the time lock: rebuild the vault secret and take over the identity.
    Complete {
        /// The identity being recovered.
        #[arg(long)]
        did: String,
        /// Vault options (the signer is the new device's key; the rebuilt vault is stored under --vault).
        #[command(flatten)]
        args: VaultArgs,
    },
}

/// Parses a time: RFC 3339, `YYYY-MM-DD` (midnight UTC) or `+N{s,m,h,d}` from now.
fn parse_when(s: &str) -> Result<u64> {
    if let Some(rel) = s.strip_prefix('+') {
        return Ok(crate::content::now_ms() + parse_duration(rel)?);
    }
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    Ok(parse_datetime(&full)?)
}

/// Parses `N`, `Nms`, `Ns`, `Nm`, `Nh` or `Nd` into milliseconds (bare numbers are seconds).
fn parse_duration(s: &str) -> Result<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().with_context(|| format!("bad duration {s:?}"))?;
    let factor = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => bail!("bad duration unit in {s:?} (ms, s, m, h or d)"),
    };
    n.checked_mul(factor)
        .ok_or_else(|| anyhow!("duration {s:?} too long"))
}

fn vault_store(keystore: &KeystoreArgs) -> Result<Keystore> {
    Ok(Keystore::open(keystore_dir(keystore).join("vaults"))?)
}

fn vault_name(args: &VaultArgs) -> String {
    args.vault
        .clone()
        .unwrap_or_else(|| args.signer.key.clone())
}

fn label_for(owner: &Did) -> String {
    format!("vault:{owner}")
}

fn save_vault(args: &VaultArgs, owner: &Did, secret: &VaultSecret) -> Result<()> {
    let name = vault_name(args);
    vault_store(&args.signer.keystore)?
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

fn load_vault(args: &VaultArgs, owner: &Did) -> Result<VaultKeys> {
    let name = vault_name(args);
    let (label, bytes) = vault_store(&args.signer.keystore)?
        .load_secret(&name, &passphrase(&args.signer.keystore, false)?)
        .with_context(|| format!("opening vault {name:?} (create one with `sovra vault init`)"))?;
    if label != label_for(owner) {
        bail!("vault {name:?} belongs to {label}, not {owner}");
    }
    Ok(VaultKeys::new(VaultSecret::from_bytes(&bytes)?))
}

/// The signer's key, identity, and a session token at the node.
struct Session {
    client: Client,
    key: SigningKey,
    did: Did,
    token: String,
}

fn session(signer: &SignerArgs) -> Result<Session> {
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

fn send(s: &Session, signer: &SignerArgs, actions: Vec<Action>) -> Result<()> {
    crate::signer::send_all(&s.client, &s.key, &s.did, actions, signer).map(drop)
}

fn parse_id(id: &str) -> Result<RecordId> {
    Ok(RecordId::parse(id)?)
}

/// Runs a `sovra vault` command.
pub fn vault(command: VaultCommand) -> Result<()> {
    match command {
        VaultCommand::Init(args) => {
            let key = load_key(&args.signer.key, &args.signer.keystore)?;
            let owner = signer_did(&args.signer, &key)?;
            save_vault(&args, &owner, &VaultSecret::generate()?)
        }
        VaultCommand::ExportKey(args) => {
            let key = load_key(&args.signer.key, &args.signer.keystore)?;
            let owner = signer_did(&args.signer, &key)?;
            let vault = load_vault(&args, &owner)?;
            println!("{}", hex::encode(vault.secret().to_bytes().as_ref()));
            Ok(())
        }
        VaultCommand::ImportKey { secret, args } => {
            let key = load_key(&args.signer.key, &args.signer.keystore)?;
            let owner = signer_did(&args.signer, &key)?;
            let bytes = zeroize::Zeroizing::new(hex::decode(secret.trim()).context("not hex")?);
            save_vault(&args, &owner, &VaultSecret::from_bytes(&bytes)?)
        }
        VaultCommand::Put {
            file,
            labels,
            retain_until,
            replication,
            quiet,
            args,
        } => put(&file, labels, retain_until, replication, quiet, &args),
        VaultCommand::List(args) => {
            let s = session(&args.signer)?;
            let vault = load_vault(&args, &s.did)?;
            let mut out = Vec::new();
            for record in s.client.vault_records(&s.did)? {
                let mut entry = serde_json::to_value(&record)?;
                if record.erased_height.is_none() && !record.expired {
                    let id = parse_id(&record.id)?;
                    match s.client.vault_open_as_owner(&s.token, &vault, &id) {
                        Ok(opened) => entry["meta"] = serde_json::to_value(&opened.meta)?,
                        Err(e) => entry["error"] = e.to_string().into(),
                    }
                }
                out.push(entry);
            }
            print_json(&out)
        }
        VaultCommand::Get {
            id,
            output,
            grantee,
            args,
        } => {
            let s = session(&args.signer)?;
            let id = parse_id(&id)?;
            let opened = if grantee {
                s.client
                    .vault_open_as_grantee(&s.token, &s.did, &s.key, &id)?
            } else {
                s.client
                    .vault_open_as_owner(&s.token, &load_vault(&args, &s.did)?, &id)?
            };
            let n = write_record(&s, &opened, &output)?;
            eprintln!("{} ({n} bytes) -> {}", opened.meta.name, output.display());
            Ok(())
        }
        VaultCommand::Share {
            id,
            with,
            until,
            args,
        } => {
            let s = session(&args.signer)?;
            let id = parse_id(&id)?;
            let vault = load_vault(&args, &s.did)?;
            let opened = s.client.vault_open_as_owner(&s.token, &vault, &id)?;
            let until = until.as_deref().map(parse_when).transpose()?;
            let action = s.client.vault_grant_action(
                &s.token,
                &opened.key,
                id,
                opened.anchor.version,
                &Did::parse(&with)?,
                until,
            )?;
            send(&s, &args.signer, vec![action])
        }
        VaultCommand::Revoke { id, from, args } => revoke(&id, &from, &args),
        VaultCommand::Delete { id, args } => {
            let s = session(&args.signer)?;
            let id = parse_id(&id)?;
            send(
                &s,
                &args.signer,
                vec![Action::Vault(VaultAction::Delete { record: id })],
            )?;
            wait_erased(&s.client, &id)
        }
        VaultCommand::Log { id, args } => {
            let s = session(&args.signer)?;
            print_json(&s.client.vault_log(&s.token, &parse_id(&id)?)?)
        }
        VaultCommand::Erasure { id, node } => {
            print_json(&Client::new(&node.node).vault_erasure(&parse_id(&id)?)?)
        }
        VaultCommand::Restore {
            output,
            vault_key,
            args,
        } => restore(&output, vault_key, &args),
    }
}

fn put(
    file: &Path,
    labels: Vec<String>,
    retain_until: Option<String>,
    replication: u8,
    quiet: bool,
    args: &VaultArgs,
) -> Result<()> {
    let s = session(&args.signer)?;
    let vault = load_vault(args, &s.did)?;
    let retain_until_ms = retain_until.as_deref().map(parse_when).transpose()?;
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let size = input.metadata()?.len();
    let meta = RecordMeta {
        name: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "record".into()),
        media_type: media_type(file),
        labels,
        size,
        created_ms: crate::content::now_ms(),
    };
    let record = RecordId(sovra_crypto::random_bytes()?);
    let bar = crate::content_cli::progress_bar(size, quiet);
    let report = bar.clone();
    let (sealed, _) = s.client.vault_seal_upload(
        &s.token,
        &vault,
        &s.did,
        record,
        1,
        input,
        &meta,
        move |n| report.set_position(n),
    )?;
    bar.finish_and_clear();
    send(
        &s,
        &args.signer,
        vec![sealed.put_action(replication, retain_until_ms)],
    )?;
    println!("{record}");
    Ok(())
}

fn media_type(path: &Path) -> String {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "json" => "application/json",
        "pdf" => "application/pdf",
        "txt" | "md" => "text/plain",
        "csv" => "text/csv",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
    .into()
}

/// Counts bytes written through it into a progress bar.
struct Progress<W> {
    inner: W,
    bar: indicatif::ProgressBar,
}

impl<W: std::io::Write> std::io::Write for Progress<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts `opened` into a new file at `output` (removed again if decryption fails), with a
/// progress bar on the terminal.
fn write_record(s: &Session, opened: &OpenedRecord, output: &Path) -> Result<u64> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(output)
        .with_context(|| format!("creating {} (it must not exist)", output.display()))?;
    let bar = crate::content_cli::progress_bar(opened.meta.size, false);
    let mut out = Progress {
        inner: std::io::BufWriter::new(file),
        bar: bar.clone(),
    };
    let result = s
        .client
        .vault_read(&s.token, opened, &mut out)
        .map_err(anyhow::Error::from)
        .and_then(|n| {
            out.flush()?;
            Ok(n)
        });
    bar.finish_and_clear();
    if result.is_err() {
        drop(out);
        let _ = std::fs::remove_file(output);
    }
    result
}

fn revoke(id: &str, from: &str, args: &VaultArgs) -> Result<()> {
    let s = session(&args.signer)?;
    let id = parse_id(id)?;
    let from = Did::parse(from)?;
    let vault = load_vault(args, &s.did)?;
    let opened = s.client.vault_open_as_owner(&s.token, &vault, &id)?;
    if !opened
        .anchor
        .grants
        .iter()
        .any(|g| g.grantee == from.as_str())
    {
        bail!("{from} has no grant on {id}");
    }
    // Re-encrypt the current content under a new key as the next version: the decrypted
    // stream flows from the node back to the node without touching the disk.
    let (reader, mut writer) = std::io::pipe()?;
    let reader_client = Client::new(s.client.base());
    let token = s.token.clone();
    let key = opened.key.clone();
    let anchor = opened.anchor.clone();
    let meta = opened.meta.clone();
    let pump = std::thread::spawn(move || {
        let opened = OpenedRecord { anchor, key, meta };
        reader_client.vault_read(&token, &opened, &mut writer)
    });
    let mut meta = opened.meta.clone();
    meta.created_ms = crate::content::now_ms();
    let version = opened.anchor.version + 1;
    let (sealed, _) =
        s.client
            .vault_seal_upload(&s.token, &vault, &s.did, id, version, reader, &meta, |_| {})?;
    pump.join()
        .map_err(|_| anyhow!("reading thread panicked"))??;
    let mut actions = vec![
        Action::Vault(VaultAction::Revoke {
            record: id,
            grantee: from.clone(),
        }),
        sealed.put_action(opened.anchor.replication, opened.anchor.retain_until_ms),
    ];
    for grant in &opened.anchor.grants {
        if grant.grantee == from.as_str() {
            continue;
        }
        actions.push(s.client.vault_grant_action(
            &s.token,
            &sealed.key,
            id,
            version,
            &Did::parse(&grant.grantee)?,
            grant.until_ms,
        )?);
    }
    send(&s, &args.signer, actions)?;
    eprintln!("revoked {from}; record {id} is now version {version} under a new key");
    Ok(())
}

/// Waits until the node confirms it erased `id`, and prints its signed statement.
fn wait_erased(client: &Client, id: &RecordId) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let mut told = false;
    loop {
        let view = client.vault_erasure(id)?;
        if view.rewrite_pending && view.held_roots == 0 && !told {
            eprintln!(
                "erased; waiting for the node to rewrite its vault store so no freed page keeps the data"
            );
            told = true;
        }
        if view.confirmed || std::time::Instant::now() > deadline {
            print_json(&view)?;
            if !view.confirmed {
                bail!(
                    "the node still holds {} of the record's roots",
                    view.held_roots
                );
            }
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

fn restore(output: &Path, vault_key: Option<String>, args: &VaultArgs) -> Result<()> {
    let s = session(&args.signer)?;
    let vault = match vault_key {
        Some(hex_key) => {
            let bytes = zeroize::Zeroizing::new(hex::decode(hex_key.trim()).context("not hex")?);
            let secret = VaultSecret::from_bytes(&bytes)?;
            save_vault(args, &s.did, &secret)?;
            VaultKeys::new(secret)
        }
        None => load_vault(args, &s.did)?,
    };
    std::fs::create_dir_all(output)?;
    if std::fs::read_dir(output)?.next().is_some() {
        bail!("{} is not empty", output.display());
    }
    let mut restored = Vec::new();
    for record in s.client.vault_records(&s.did)? {
        if record.erased_height.is_some() || record.expired {
            continue;
        }
        let id = parse_id(&record.id)?;
        let opened = s.client.vault_open_as_owner(&s.token, &vault, &id)?;
        let safe: String = opened
            .meta
            .name
            .chars()
            .map(|c| {
                if c == '/' || c == '\\' || c == '\0' {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let path = output.join(format!("{id}-{safe}"));
        let n = write_record(&s, &opened, &path)?;
        restored.push(serde_json::json!({"id": record.id, "name": opened.meta.name, "bytes": n, "path": path}));
    }
    print_json(&restored)
}

/// Runs a `sovra recovery` command.
pub fn recovery(command: RecoveryCommand) -> Result<()> {
    match command {
        RecoveryCommand::Setup {
            guardians,
            threshold,
            time_lock,
            args,
        } => {
            let s = session(&args.signer)?;
            let vault = load_vault(&args, &s.did)?;
            let guardians: Vec<Did> = guardians
                .iter()
                .map(|g| Did::parse(g.trim()))
                .collect::<Result<_, _>>()?;
            let action = s.client.recovery_setup_action(
                &s.token,
                &s.did,
                &vault,
                &guardians,
                threshold,
                parse_duration(&time_lock)?,
            )?;
            send(&s, &args.signer, vec![action])
        }
        RecoveryCommand::Status { did, node } => {
            print_json(&Client::new(&node.node).recovery(&Did::parse(&did)?)?)
        }
        RecoveryCommand::Request { did, signer } => {
            let s = session(&signer)?;
            let action = Action::Recovery(RecoveryAction::Request {
                did: Did::parse(&did)?,
            });
            send(&s, &signer, vec![action])
        }
        RecoveryCommand::Approve { did, signer } => {
            let s = session(&signer)?;
            let action =
                s.client
                    .recovery_approve_action(&s.token, &Did::parse(&did)?, &s.did, &s.key)?;
            send(&s, &signer, vec![action])
        }
        RecoveryCommand::Cancel { did, signer } => {
            let s = session(&signer)?;
            let action = Action::Recovery(RecoveryAction::Cancel {
                did: Did::parse(&did)?,
            });
            send(&s, &signer, vec![action])
        }
        RecoveryCommand::Complete { did, args } => {
            let s = session(&args.signer)?;
            let owner = Did::parse(&did)?;
            let vault = s
                .client
                .recovery_rebuild(&s.token, &owner, &s.did, &s.key)?;
            let previous_version = s
                .client
                .resolve_verified(&owner, sovra_client::DidVersionSelector::Latest)?
                .map_err(|_| anyhow!("{owner} does not exist"))?
                .record
                .ok_or_else(|| anyhow!("{owner} has no ledger record"))?
                .version;
            send(
                &s,
                &args.signer,
                vec![Action::Recovery(RecoveryAction::Complete {
                    did: owner.clone(),
                    previous_version,
                })],
            )?;
            save_vault(&args, &owner, vault.secret())?;
            eprintln!("{owner} now signs with this device's key; use `--as {owner}`");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_parse() {
        assert_eq!(parse_duration("90").unwrap(), 90_000);
        assert_eq!(parse_duration("250ms").unwrap(), 250);
        assert_eq!(parse_duration("7d").unwrap(), 7 * 86_400_000);
        assert!(parse_duration("7w").is_err());
        assert!(parse_duration("d").is_err());
        assert_eq!(parse_when("2023-01-01").unwrap(), 1_672_531_200_000);
        assert_eq!(
            parse_when("2023-01-01T00:00:01Z").unwrap(),
            1_672_531_201_000
        );
        let soon = parse_when("+1h").unwrap();
        assert!(soon > crate::content::now_ms() + 3_500_000);
        assert!(parse_when("tomorrow").is_err());
    }
}
