//! `sovra vault …`: the private vault. Records are encrypted on this device, stored, shared,
//! revoked, erased and restored; the vault secret stays on this device
//! ([`crate::vault_secret`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Subcommand;
use sovra_api_types::ErasureView;
use sovra_client::{Client, OpenedRecord, RecordMeta, VaultKeys};
use sovra_crypto::shares::VaultSecret;
use sovra_types::{Action, Did, RecordId, VaultAction};

use crate::args::NodeArgs;
use crate::keystore::load_key;
use crate::output::{OutputArgs, print_json, print_with_times};
use crate::progress::progress_bar;
use crate::session::{Session, send, session};
use crate::signer::signer_did;
use crate::time::{now_ms, parse_when};
use crate::vault_secret::{VaultArgs, existing_vault, load_vault, save_vault, vault_name};

/// `sovra vault` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum VaultCommand {
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
        node: NodeArgs,
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

fn parse_id(id: &str) -> Result<RecordId> {
    Ok(RecordId::parse(id)?)
}

/// Runs a `sovra vault` command.
pub(crate) fn run(command: VaultCommand) -> Result<()> {
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
        created_ms: now_ms(),
        padded: true,
    };
    let record = RecordId(sovra_crypto::random_bytes()?);
    let bar = progress_bar(size, quiet);
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
    let bar = progress_bar(opened.meta.size, false);
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
    meta.created_ms = now_ms();
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn restored_file_names_stay_one_component() {
        assert_eq!(file_name_of("scan.pdf"), "scan.pdf");
        assert_eq!(file_name_of("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(file_name_of("a\\b\0c\nd"), "a_b_c_d");
        assert_eq!(file_name_of(".."), "record");
        assert_eq!(file_name_of(""), "record");
        assert_eq!(file_name_of(&"é".repeat(300)).len(), 200);
    }
}
