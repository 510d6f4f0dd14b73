//! The public-content commands: `sovra add`, `cat`, `get`, `car`, `pin`, `unpin`, `publish`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use sovra_cas::{Adder, BlockSource as _, Profile, car, dag, export, unixfs};
use sovra_client::{Client, RemoteBlocks};
use sovra_types::{Action, ContentAction, ContentId};

use crate::args::NodeArgs;
use crate::keystore::{KeystoreArgs, load_key};
use crate::output::print_json;
use crate::progress::progress_bar;
use crate::signer::{SignerArgs, send_and_wait};
use crate::time::time;

/// Largest CAR accepted by `sovra car import` before upload (the node enforces its own limit too).
const MAX_CAR_IMPORT_BYTES: u64 = 64 << 30;

/// `sovra add` options.
#[derive(Args, Debug)]
pub(crate) struct AddArgs {
    /// File or directory to add.
    pub(crate) path: PathBuf,
    /// Import profile: `unixfs-v0-2015` (256 KiB chunks, 174 links; the default) or `unixfs-v1-2025` (1 MiB, 1024).
    #[arg(long, default_value = "unixfs-v0-2015")]
    pub(crate) profile: String,
    /// Include files whose names start with `.`.
    #[arg(long)]
    pub(crate) hidden: bool,
    /// Compute the CID only; upload nothing.
    #[arg(long)]
    pub(crate) only_hash: bool,
    /// Pin the content after uploading, signed with this keystore key.
    #[arg(long, value_name = "KEY")]
    pub(crate) pin: Option<String>,
    /// Keystore key of the identity that uploads (default: the `--pin` key). Uploads need a
    /// DID-authenticated identity and count against its quota.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<String>,
    /// Upload as this identity (a did:sovra listing the key under authentication); default:
    /// the key's own did:key.
    #[arg(long = "as", value_name = "DID")]
    pub(crate) as_did: Option<String>,
    /// Replication factor of the pin.
    #[arg(long, default_value_t = sovra_types::limits::DEFAULT_REPLICATION)]
    pub(crate) replication: u8,
    /// Hide the progress bar.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Keystore options.
    #[command(flatten)]
    pub(crate) keystore: KeystoreArgs,
    /// Node options.
    #[command(flatten)]
    pub(crate) node: NodeArgs,
}

/// `sovra car` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum CarCommand {
    /// Write the CAR of a DAG (every block checked) to a file.
    Export {
        /// `CID` or `CID/path/inside`.
        path: String,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// `all`, `entity` or `block`.
        #[arg(long, default_value = "all")]
        dag_scope: String,
        /// Most bytes of CAR written.
        #[arg(long, default_value_t = sovra_cas::export::DEFAULT_MAX_BYTES)]
        max_bytes: u64,
    },
    /// Verify every block of a CAR file and upload it to the node.
    Import {
        /// The CAR file.
        file: PathBuf,
        /// Keystore key of the identity that uploads (uploads count against its quota).
        #[arg(long)]
        key: String,
        /// Upload as this identity (a did:sovra listing the key under authentication).
        #[arg(long = "as", value_name = "DID")]
        as_did: Option<String>,
        /// Keystore options.
        #[command(flatten)]
        keystore: KeystoreArgs,
    },
}

/// Bounds of `sovra get`: a DAG can name far more than it holds (shared blocks).
#[derive(Args, Debug, Clone, Copy)]
pub(crate) struct GetLimitArgs {
    /// Most entries (files, directories, links) written.
    #[arg(long, default_value_t = sovra_cas::export::DEFAULT_MAX_ENTRIES)]
    pub(crate) max_files: u64,
    /// Most bytes of file content written.
    #[arg(long, default_value_t = sovra_cas::export::DEFAULT_MAX_BYTES)]
    pub(crate) max_bytes: u64,
}

/// Options of commands that sign a content transaction.
#[derive(Args, Debug)]
pub(crate) struct SignedContentArgs {
    /// The content root.
    pub(crate) cid: String,
    /// Signer.
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
}

/// `sovra pin` options.
#[derive(Args, Debug)]
pub(crate) struct PinArgs {
    /// What to pin and who signs.
    #[command(flatten)]
    pub(crate) target: SignedContentArgs,
    /// Replication factor.
    #[arg(long, default_value_t = sovra_types::limits::DEFAULT_REPLICATION)]
    pub(crate) replication: u8,
}

/// `sovra publish` options.
#[derive(Args, Debug)]
pub(crate) struct PublishArgs {
    /// Document name (`profile`, `app-config`, ...).
    pub(crate) name: String,
    /// The CID it points to (omit with --remove).
    pub(crate) cid: Option<String>,
    /// Remove the document instead.
    #[arg(long)]
    pub(crate) remove: bool,
    /// Signer.
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
}

/// `sovra cat` options.
#[derive(Args, Debug)]
pub(crate) struct CatArgs {
    /// `CID` or `CID/path/inside`.
    path: String,
    /// Node options.
    #[command(flatten)]
    node: NodeArgs,
}

/// `sovra get` options.
#[derive(Args, Debug)]
pub(crate) struct GetArgs {
    /// `CID` or `CID/path/inside`.
    path: String,
    /// Where to write it (must not exist).
    #[arg(short, long)]
    output: PathBuf,
    /// Bounds on what is written.
    #[command(flatten)]
    limits: GetLimitArgs,
    /// Node options.
    #[command(flatten)]
    node: NodeArgs,
}

/// `sovra car` options.
#[derive(Args, Debug)]
pub(crate) struct CarArgs {
    /// CAR command.
    #[command(subcommand)]
    command: CarCommand,
    /// Node options.
    #[command(flatten)]
    node: NodeArgs,
}

fn total_size(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| total_size(&e.path())).sum())
            .unwrap_or(0),
        _ => 0,
    }
}

/// `sovra add`.
pub(crate) fn add(args: AddArgs) -> Result<()> {
    let profile: Profile = args.profile.parse()?;
    let bar = progress_bar(total_size(&args.path), args.quiet);
    let entry = if args.only_hash {
        let mut sink = DiscardSink;
        let mut report = |n: u64| bar.set_position(n);
        Adder::new(profile)
            .include_hidden(args.hidden)
            .with_progress(&mut report)
            .add_path(&args.path, &mut sink)?
    } else {
        let client = Client::new(&args.node.node);
        let key = args.key.as_ref().or(args.pin.as_ref()).ok_or_else(|| {
            anyhow::anyhow!(
                "uploading needs an identity: give --key KEY (or --pin KEY), or use --only-hash"
            )
        })?;
        let token = login(&client, key, args.as_did.as_deref(), &args.keystore)?;
        let report_bar = bar.clone();
        let (entry, _) = client
            .add_path(&token, &args.path, profile, args.hidden, move |n| {
                report_bar.set_position(n)
            })
            .with_context(|| format!("adding {}", args.path.display()))?;
        entry
    };
    bar.finish_and_clear();
    println!("{}", entry.cid);
    if let Some(key_name) = args.pin {
        let target = SignedContentArgs {
            cid: entry.cid.to_string(),
            signer: SignerArgs::for_key(key_name, args.keystore, args.node),
        };
        pin_with(&target, entry.dag_bytes, args.replication)?;
    }
    Ok(())
}

/// Authenticates to the node as the identity of keystore key `key` (or `as_did`); returns the
/// bearer token.
fn login(
    client: &Client,
    key: &str,
    as_did: Option<&str>,
    keystore: &KeystoreArgs,
) -> Result<String> {
    let signing = load_key(key, keystore)?;
    let did = match as_did {
        Some(d) => sovra_types::Did::parse(d)?,
        None => sovra_types::Did::from_public_key(&signing.public_key()),
    };
    client
        .login(&signing, &did)
        .with_context(|| format!("authenticating as {did}"))
}

/// Splits `CID[/path]` into the root and path segments.
fn split_path(path: &str) -> Result<(sovra_cas::Cid, Vec<String>)> {
    let path = path.trim_start_matches("/ipfs/");
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    let root = sovra_cas::parse_cid(parts.next().unwrap_or(""))?;
    Ok((root, parts.map(str::to_string).collect()))
}

/// `sovra cat`.
pub(crate) fn cat(CatArgs { path, node }: CatArgs) -> Result<()> {
    let path = path.as_str();
    let client = Client::new(&node.node);
    let remote = RemoteBlocks::new(&client);
    let (root, segments) = split_path(path)?;
    let target = unixfs::resolve_path(&remote, &root, &segments)?.cid;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    unixfs::cat(&remote, &target, &mut out)?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// `sovra get`: writes into a private directory next to `output` and moves the finished tree
/// into place, so a refused or failed download leaves nothing behind.
pub(crate) fn get(args: GetArgs) -> Result<()> {
    let GetArgs {
        path,
        output,
        limits,
        node,
    } = args;
    let (path, output) = (path.as_str(), output.as_path());
    let client = Client::new(&node.node);
    let remote = RemoteBlocks::new(&client);
    let (root, segments) = split_path(path)?;
    let target = unixfs::resolve_path(&remote, &root, &segments)?.cid;
    let total = match unixfs::kind(&remote, &target)? {
        unixfs::EntryKind::File { size } => size,
        _ => 0,
    };
    let bar = progress_bar(total, false);
    let limits = export::ExportLimits {
        max_entries: limits.max_files,
        max_bytes: limits.max_bytes,
    };
    let written = export::export_to_path(&remote, &target, output, limits, |n| bar.set_position(n));
    bar.finish_and_clear();
    let written = written.with_context(|| format!("saving {path} to {}", output.display()))?;
    eprintln!(
        "wrote {} bytes in {} files, {} directories and {} links to {}",
        written.bytes,
        written.files,
        written.dirs,
        written.symlinks,
        output.display()
    );
    Ok(())
}

/// `sovra car export|import`.
pub(crate) fn car(CarArgs { command, node }: CarArgs) -> Result<()> {
    let client = Client::new(&node.node);
    match command {
        CarCommand::Export {
            path,
            output,
            dag_scope,
            max_bytes,
        } => {
            let _: dag::Scope = dag_scope.parse()?;
            let file = std::fs::File::create_new(&output)
                .with_context(|| format!("creating {}", output.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let exported = client
                .export_car(
                    path.trim_start_matches("/ipfs/"),
                    &dag_scope,
                    max_bytes,
                    &mut writer,
                )
                .map_err(anyhow::Error::from)
                .and_then(|bytes| Ok(std::io::Write::flush(&mut writer).map(|()| bytes)?));
            drop(writer);
            let bytes = exported.inspect_err(|_| {
                let _ = std::fs::remove_file(&output);
            })?;
            // Check what was received: every block must match its CID.
            let check = std::fs::File::open(&output)?;
            let imported = car::import(std::io::BufReader::new(check), u64::MAX, &mut DiscardSink)
                .map_err(|e| {
                    let _ = std::fs::remove_file(&output);
                    anyhow::anyhow!("the node sent an invalid CAR ({e}); nothing was kept")
                })?;
            eprintln!(
                "wrote {} blocks ({bytes} bytes) to {}",
                imported.blocks,
                output.display()
            );
            Ok(())
        }
        CarCommand::Import {
            file,
            key,
            as_did,
            keystore,
        } => {
            // Verify locally first so a bad file gets a precise error before any upload.
            let local = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let checked = car::import(
                std::io::BufReader::new(local),
                MAX_CAR_IMPORT_BYTES,
                &mut DiscardSink,
            )
            .with_context(|| format!("{} is not a valid CAR", file.display()))?;
            let token = login(&client, &key, as_did.as_deref(), &keystore)?;
            let upload = std::fs::File::open(&file)?;
            let view = client.upload_car(&token, std::io::BufReader::new(upload))?;
            eprintln!("verified {} blocks", checked.blocks);
            let mut json = serde_json::to_value(&view)?;
            if let Some(fields) = json.as_object_mut() {
                fields.remove("kept_until_ms");
                fields.insert("kept_until".into(), time(view.kept_until_ms).into());
            }
            print_json(&json)
        }
    }
}

fn pin_with(target: &SignedContentArgs, size: u64, replication: u8) -> Result<()> {
    let cid = ContentId::parse(&target.cid)?;
    let client = Client::new(&target.signer.node.node);
    let status = client.content_status(cid.cid())?;
    if !status.complete_here {
        bail!(
            "{} is not complete on {} ({} blocks missing, e.g. {}); upload it first with `sovra add` or `sovra car import`",
            cid,
            target.signer.node.node,
            status.missing.len(),
            status.missing.first().map(String::as_str).unwrap_or("?")
        );
    }
    send_and_wait(
        &target.signer,
        Action::Content(ContentAction::Pin {
            cid,
            size,
            replication,
        }),
    )
    .map(drop)
}

/// `sovra pin`.
pub(crate) fn pin(args: PinArgs) -> Result<()> {
    let client = Client::new(&args.target.signer.node.node);
    let cid = sovra_cas::parse_cid(&args.target.cid)?;
    // The declared size is the DAG's size as the node holds it.
    let remote = RemoteBlocks::new(&client);
    let size = dag::walk(&remote, &cid, dag::Scope::All, |_, _| Ok(()))?.bytes;
    let _ = remote.require_block(&cid)?;
    pin_with(&args.target, size, args.replication)
}

/// `sovra unpin`.
pub(crate) fn unpin(args: SignedContentArgs) -> Result<()> {
    let cid = ContentId::parse(&args.cid)?;
    send_and_wait(&args.signer, Action::Content(ContentAction::Unpin { cid })).map(drop)
}

/// `sovra publish`.
pub(crate) fn publish(args: PublishArgs) -> Result<()> {
    sovra_types::content::validate_doc_name(&args.name)?;
    let cid = match (&args.cid, args.remove) {
        (Some(c), false) => Some(ContentId::parse(c)?),
        (None, true) => None,
        _ => bail!("give a CID, or --remove without one"),
    };
    send_and_wait(
        &args.signer,
        Action::Content(ContentAction::SetPublicDocument {
            name: args.name,
            cid,
        }),
    )
    .map(drop)
}

/// A sink that only counts: used to verify CARs and to compute CIDs without storing.
struct DiscardSink;

impl sovra_cas::BlockSink for DiscardSink {
    fn put_block(&mut self, _: sovra_cas::Cid, _: Vec<u8>) -> Result<(), sovra_cas::CasError> {
        Ok(())
    }
}
