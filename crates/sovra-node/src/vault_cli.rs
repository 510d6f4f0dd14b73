//! The private vault and guardian recovery commands: `sovra vault …` and `sovra recovery …`.
//!
//! Vault secrets live in `<keystore>/vaults/<name>.json`, encrypted with the keystore
//! passphrase (Argon2id + XChaCha20-Poly1305), bound to the owner's DID.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand};
use sovra_api_types::{ErasureView, RecoveryView};
use sovra_client::{Client, OpenedRecord, RecordMeta, VaultKeys};
use sovra_crypto::{SigningKey, keystore::Keystore, shares::VaultSecret};
use sovra_types::{
    Action, Did, DidMethod, RecordId, RecoveryAction, Relationship, VaultAction,
    datetime::parse_datetime,
};

use crate::cli::{KeystoreArgs, OutputArgs, SignerArgs};
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
    List {
        /// Vault options.
        #[command(flatten)]
        args: VaultArgs,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
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
        /// How long to wait for the node to confirm the erasure, in seconds (0: do not wait).
        /// The deletion is final on the ledger either way.
        #[arg(long, default_value_t = 120)]
        wait: u64,
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
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
    },
    /// A node's signed statement that it erased a record.
    Erasure {
        /// Record id.
        id: String,
        /// Node options.
        #[command(flatten)]
        node: crate::cli::NodeArgs,
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
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
        /// Output options.
        #[command(flatten)]
        output: OutputArgs,
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
fn existing_vault(args: &VaultArgs, owner: &Did) -> Result<Option<VaultKeys>> {
    if stored_label(&vault_store(&args.signer.keystore)?, &vault_name(args))?.is_none() {
        return Ok(None);
    }
    load_vault(args, owner).map(Some)
}

fn load_vault(args: &VaultArgs, owner: &Did) -> Result<VaultKeys> {
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
        VaultCommand::List { args, output } => {
            let s = session(&args.signer)?;
            let vault = load_vault(&args, &s.did)?;
            let mut out = Vec::new();
            let mut unreadable = 0;
            for record in s.client.vault_records(&s.token, &s.did)? {
                let mut entry = serde_json::to_value(&record)?;
                if record.erased_height.is_none() && !record.expired {
                    let id = parse_id(&record.id)?;
                    match s.client.vault_open_as_owner(&s.token, &vault, &id) {
                        Ok(opened) => entry["meta"] = serde_json::to_value(&opened.meta)?,
                        Err(e) => {
                            unreadable += 1;
                            entry["error"] = e.to_string().into();
                        }
                    }
                }
                out.push(entry);
            }
            print_with_times(&out, &output)?;
            if unreadable > 0 {
                bail!("{unreadable} live record(s) could not be opened (see their \"error\")");
            }
            Ok(())
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
        VaultCommand::Delete { id, wait, args } => {
            let s = session(&args.signer)?;
            let id = parse_id(&id)?;
            send(
                &s,
                &args.signer,
                vec![Action::Vault(VaultAction::Delete { record: id })],
            )?;
            if wait == 0 {
                eprintln!(
                    "record {id} is deleted on the ledger; ask a node for its erasure statement with `sovra vault erasure {id}`"
                );
                return Ok(());
            }
            let view = wait_erased(
                || Ok(s.client.vault_erasure(&id)?),
                std::time::Duration::from_secs(wait),
                std::time::Duration::from_millis(250),
            )?;
            print_json(&view)
        }
        VaultCommand::Log { id, args, output } => {
            let s = session(&args.signer)?;
            print_with_times(&s.client.vault_log(&s.token, &parse_id(&id)?)?, &output)
        }
        VaultCommand::Erasure { id, node, output } => print_with_times(
            &Client::new(&node.node).vault_erasure(&parse_id(&id)?)?,
            &output,
        ),
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
        padded: true,
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

/// Creates a new file readable and writable by its owner only (0600 from the start on unix:
/// decrypted records are never readable by others, not even for a moment).
fn create_private(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).with_context(|| {
        if path.exists() {
            format!(
                "{} already exists; it is left as it is (choose another output)",
                path.display()
            )
        } else {
            format!("creating {}", path.display())
        }
    })
}

/// Decrypts `opened` into a new file at `output` (removed again if decryption fails), with a
/// progress bar on the terminal.
fn write_record(s: &Session, opened: &OpenedRecord, output: &Path) -> Result<u64> {
    let file = create_private(output)?;
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

/// Polls `erasure` until the node confirms the erasure or `limit` passes, and returns the
/// confirmed view. Never waits longer than `limit` (plus one poll): a node that does not
/// confirm in time is an error saying what it still holds and how to ask again later.
fn wait_erased(
    mut erasure: impl FnMut() -> Result<ErasureView>,
    limit: std::time::Duration,
    every: std::time::Duration,
) -> Result<ErasureView> {
    let deadline = std::time::Instant::now() + limit;
    let mut told = false;
    loop {
        let view = erasure()?;
        if view.confirmed {
            return Ok(view);
        }
        if view.rewrite_pending && view.held_roots == 0 && !told {
            eprintln!(
                "erased; waiting for the node to rewrite its vault store so no freed page keeps the data"
            );
            told = true;
        }
        if std::time::Instant::now() >= deadline {
            let what = if view.held_roots > 0 {
                format!("it still holds {} of the record's roots", view.held_roots)
            } else if view.rewrite_pending {
                "its vault store has not been rewritten yet".to_string()
            } else {
                "the ledger it has seen does not show the deletion yet".to_string()
            };
            bail!(
                "the deletion of record {} is final on the ledger, but node {} did not confirm \
                 the erasure within {} s ({what}); ask again later with `sovra vault erasure {}`",
                view.record,
                view.node,
                limit.as_secs(),
                view.record
            );
        }
        std::thread::sleep(every);
    }
}

fn restore(output: &Path, vault_key: Option<String>, args: &VaultArgs) -> Result<()> {
    let s = session(&args.signer)?;
    let vault = match vault_key {
        Some(hex_key) => {
            let bytes = zeroize::Zeroizing::new(hex::decode(hex_key.trim()).context("not hex")?);
            let secret = VaultSecret::from_bytes(&bytes)?;
            match existing_vault(args, &s.did)? {
                // The same secret is already stored under this name: use it.
                Some(stored) if stored.secret().to_bytes() == secret.to_bytes() => {}
                Some(_) => bail!(
                    "a different vault named {:?} already exists on this device; restore with \
                     --vault NEWNAME to store the backup under another name",
                    vault_name(args)
                ),
                None => save_vault(args, &s.did, &secret)?,
            }
            VaultKeys::new(secret)
        }
        None => load_vault(args, &s.did)?,
    };
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    if std::fs::read_dir(output)?.next().is_some() {
        bail!(
            "{} is not empty; restore into a new or empty directory",
            output.display()
        );
    }
    let mut restored = Vec::new();
    let records = s.client.vault_records(&s.token, &s.did)?;
    let live = records
        .iter()
        .filter(|r| r.erased_height.is_none() && !r.expired)
        .count();
    for record in records
        .iter()
        .filter(|r| r.erased_height.is_none() && !r.expired)
    {
        let restore_one = || -> Result<serde_json::Value> {
            let id = parse_id(&record.id)?;
            let opened = s.client.vault_open_as_owner(&s.token, &vault, &id)?;
            // The record id keeps file names unique; the name is confined to one component.
            let path = output.join(format!("{id}-{}", file_name_of(&opened.meta.name)));
            let n = write_record(&s, &opened, &path)?;
            Ok(
                serde_json::json!({"id": record.id, "name": opened.meta.name, "bytes": n, "path": path}),
            )
        };
        match restore_one() {
            Ok(entry) => restored.push(entry),
            Err(e) => {
                print_json(&restored)?;
                return Err(e.context(format!(
                    "restoring record {}: {} of {live} records were restored into {} (listed \
                     above) before this one failed",
                    record.id,
                    restored.len(),
                    output.display()
                )));
            }
        }
    }
    print_json(&restored)
}

/// A record name as one safe file-name component: no separators, control characters or NULs,
/// not `.` or `..`, at most 200 bytes.
fn file_name_of(name: &str) -> String {
    let mut safe = String::new();
    for c in name.chars() {
        let c = if c == '/' || c == '\\' || c.is_control() {
            '_'
        } else {
            c
        };
        if safe.len() + c.len_utf8() > 200 {
            break;
        }
        safe.push(c);
    }
    if safe.is_empty() || safe == "." || safe == ".." {
        "record".into()
    } else {
        safe
    }
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
        RecoveryCommand::Status { did, node, output } => print_with_times(
            &Client::new(&node.node).recovery(&Did::parse(&did)?)?,
            &output,
        ),
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
            // Refuse here what the ledger would refuse, instead of paying for a failing
            // transaction.
            let view = s.client.recovery(&owner)?;
            let finalized_ms = s.client.block(None)?.header.timestamp_ms;
            ready_to_complete(
                &owner,
                &view,
                &s.did,
                crate::content::now_ms().max(finalized_ms),
            )?;
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

/// Why the signer cannot complete `owner`'s recovery now, if it cannot: no pending recovery,
/// a recovery for another device, too few approvals, or the time lock not over at `now_ms`.
fn ready_to_complete(owner: &Did, view: &RecoveryView, me: &Did, now_ms: u64) -> Result<()> {
    let Some(pending) = &view.pending else {
        bail!("{owner} has no pending recovery: ask for one with `sovra recovery request`");
    };
    if pending.new_controller != me.as_str() {
        bail!(
            "the pending recovery of {owner} is for {}, not for this key ({me})",
            pending.new_controller
        );
    }
    if pending.approvals.len() < usize::from(view.threshold) {
        bail!(
            "{} of the {} guardian approvals needed so far",
            pending.approvals.len(),
            view.threshold
        );
    }
    if now_ms < pending.unlock_ms {
        bail!(
            "the time lock of {owner}'s recovery ends at {} (in {}); nothing was sent: run \
             `sovra recovery complete` again then",
            format_time(pending.unlock_ms),
            format_duration(pending.unlock_ms - now_ms)
        );
    }
    Ok(())
}

/// An instant as RFC 3339 (to the millisecond when it has milliseconds).
fn format_time(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        sovra_types::datetime::format_ms(ms)
    } else {
        sovra_types::datetime::format_ms_exact(ms)
    }
}

/// A duration in days, hours, minutes and seconds (`7d`, `1h30m`, `90ms`).
fn format_duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = ms / 1000;
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect()
}

/// Rewrites every `*_ms` number of a JSON value as RFC 3339 (`time_lock_ms` as a duration),
/// under the key without `_ms`: times in the CLI's output are never raw milliseconds.
fn humanize_times(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let ms = map.get(&key).and_then(|v| v.as_u64());
                match (key.strip_suffix("_ms"), ms) {
                    (Some(stem), Some(ms)) => {
                        let text = if stem == "time_lock" {
                            format_duration(ms)
                        } else {
                            format_time(ms)
                        };
                        map.remove(&key);
                        map.insert(stem.to_string(), text.into());
                    }
                    _ => {
                        if let Some(inner) = map.get_mut(&key) {
                            humanize_times(inner);
                        }
                    }
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(humanize_times),
        _ => {}
    }
}

/// Prints `value` as `output` asks (text lines, JSON or one field), with its times as RFC 3339.
fn print_with_times<T: serde::Serialize>(value: &T, output: &OutputArgs) -> Result<()> {
    let mut json = serde_json::to_value(value)?;
    humanize_times(&mut json);
    output.emit(&json, crate::output::fields_text)
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

    fn erasure(confirmed: bool, held_roots: u64) -> ErasureView {
        ErasureView {
            record: "ab".repeat(16),
            node: "node".into(),
            erased: true,
            expired: false,
            held_roots,
            rewrite_pending: false,
            confirmed,
            statement: None,
            signature: None,
        }
    }

    #[test]
    fn waiting_for_an_erasure_is_bounded_and_says_why() {
        let started = std::time::Instant::now();
        let mut polls = 0;
        let err = wait_erased(
            || {
                polls += 1;
                Ok(erasure(false, 2))
            },
            std::time::Duration::from_millis(300),
            std::time::Duration::from_millis(50),
        )
        .unwrap_err()
        .to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(polls >= 2);
        assert!(err.contains("still holds 2"), "{err}");
        assert!(err.contains("sovra vault erasure"), "{err}");
        let mut n = 0;
        let view = wait_erased(
            || {
                n += 1;
                Ok(erasure(n > 2, 0))
            },
            std::time::Duration::from_secs(5),
            std::time::Duration::from_millis(1),
        )
        .unwrap();
        assert!(view.confirmed);
    }

    #[test]
    fn decrypted_files_are_created_private_and_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("record.bin");
        drop(create_private(&path).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = create_private(&path).unwrap_err().to_string();
        assert!(again.contains("already exists"), "{again}");
    }

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

    #[test]
    fn restored_file_names_stay_one_component() {
        assert_eq!(file_name_of("scan.pdf"), "scan.pdf");
        assert_eq!(file_name_of("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(file_name_of("a\\b\0c\nd"), "a_b_c_d");
        assert_eq!(file_name_of(".."), "record");
        assert_eq!(file_name_of(""), "record");
        assert_eq!(file_name_of(&"é".repeat(300)).len(), 200);
    }

    #[test]
    fn times_print_as_rfc3339_and_durations_in_units() {
        let mut v = serde_json::json!({
            "entries": [{"time_ms": 1_672_531_200_250u64, "part": "content"}],
            "retain_until_ms": 1_672_531_200_000u64,
            "time_lock_ms": 7 * 86_400_000u64 + 90_000,
            "pending": {"unlock_ms": 1_672_531_201_000u64},
        });
        humanize_times(&mut v);
        assert_eq!(v["entries"][0]["time"], "2023-01-01T00:00:00.250Z");
        assert_eq!(v["retain_until"], "2023-01-01T00:00:00Z");
        assert_eq!(v["time_lock"], "7d1m30s");
        assert_eq!(v["pending"]["unlock"], "2023-01-01T00:00:01Z");
        assert!(!v.to_string().contains("_ms"));
    }

    #[test]
    fn recovery_completion_is_refused_locally_before_it_can_succeed() {
        let owner = Did::parse("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").unwrap();
        let me = Did::from_public_key(&SigningKey::from_test_seed(9).public_key());
        let mut view = RecoveryView {
            did: owner.to_string(),
            guardians: vec!["g1".into(), "g2".into()],
            threshold: 2,
            commitments: String::new(),
            shares: String::new(),
            time_lock_ms: 60_000,
            pending: None,
        };
        assert!(ready_to_complete(&owner, &view, &me, 0).is_err());
        let approval = |g: &str| sovra_api_types::ApprovalView {
            guardian: g.into(),
            share: String::new(),
        };
        view.pending = Some(sovra_api_types::PendingRecoveryView {
            new_controller: me.to_string(),
            requested_ms: 1_000,
            unlock_ms: 61_000,
            approvals: vec![approval("g1")],
        });
        let few = ready_to_complete(&owner, &view, &me, 100_000).unwrap_err();
        assert!(few.to_string().contains("1 of the 2"), "{few}");
        view.pending
            .as_mut()
            .unwrap()
            .approvals
            .push(approval("g2"));
        let early = ready_to_complete(&owner, &view, &me, 1_000).unwrap_err();
        assert!(
            early.to_string().contains("1970-01-01T00:01:01Z"),
            "{early}"
        );
        assert!(early.to_string().contains("in 1m"), "{early}");
        let stranger = Did::from_public_key(&SigningKey::from_test_seed(10).public_key());
        assert!(ready_to_complete(&owner, &view, &stranger, 61_000).is_err());
        ready_to_complete(&owner, &view, &me, 61_000).unwrap();
    }
}
