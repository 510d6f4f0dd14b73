//! `sovra did create|show|update|rotate-key|deactivate|resolve`: did:sovra identities.
//!
//! Every change starts from the DID's current record read with a state proof
//! (so a lying node cannot trick the CLI into overwriting keys), edits it
//! locally, and submits the whole new document with the version it replaces.

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use sovra_client::{Client, DidVersionSelector, VerifiedDid};
use sovra_crypto::{
    MultikeyType, SigningKey, decode_multikey, encode_multikey, x25519_from_ed25519,
};
use sovra_types::{
    Action, Did, DidDocument, DidMethod, DidRecord, IdentityAction, Relationship, Relationships,
    Service, VerificationMethod, datetime::parse_version_time, identity::derive_sovra_did,
};

use crate::args::NodeArgs;
use crate::issuer::republish_status_lists;
use crate::keystore::load_key;
use crate::output::{OutputArgs, print_json};
use crate::signer::{SignerArgs, build, signer_did, submit};
use crate::time::time;

/// `sovra did` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum DidCommand {
    /// Register a new did:sovra controlled by a keystore key; prints the DID.
    Create(CreateArgs),
    /// Show a DID's keys, services and controllers (verified against a finalized header).
    Show {
        /// The DID.
        did: String,
        /// Output options (`json`: the DID document and its metadata).
        #[command(flatten)]
        output: OutputArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Print the W3C DID resolution result, optionally of a past version.
    Resolve {
        /// The DID.
        did: String,
        /// Resolve this version (1, 2, ...).
        #[arg(long, conflicts_with = "version_time")]
        version_id: Option<u64>,
        /// Resolve the version current at this RFC 3339 time.
        #[arg(long)]
        version_time: Option<String>,
        /// Check the answer against a finalized header and print the verified document.
        #[arg(long)]
        verify: bool,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Change a did:sovra's keys, services, controllers or alsoKnownAs.
    Update(UpdateArgs),
    /// Replace one signing key by another, under a new id (`#key-N`, never an id an earlier
    /// version used) with the same relationships; re-signs the DID's status lists.
    RotateKey(RotateArgs),
    /// Deactivate a did:sovra for good. A deactivated DID can never sign again, so what it
    /// holds could never be moved: move it first, or pass `--abandon-funds`.
    Deactivate {
        /// The DID.
        did: String,
        /// Deactivate even though the DID still holds a balance (lost for good).
        #[arg(long)]
        abandon_funds: bool,
        /// Signer (default: signs as the DID itself).
        #[command(flatten)]
        signer: SignerArgs,
    },
}

/// `sovra did create` options.
#[derive(Args, Debug)]
pub(crate) struct CreateArgs {
    /// Other identities that may also update the DID.
    #[arg(long = "controller", value_name = "DID")]
    pub(crate) controllers: Vec<String>,
    /// A service, as `ID,TYPE,URI` (e.g. `web,LinkedDomains,https://example.org/`).
    #[arg(long = "service", value_name = "ID,TYPE,URI")]
    pub(crate) services: Vec<String>,
    /// Another URI for the same subject.
    #[arg(long = "also-known-as", value_name = "URI")]
    pub(crate) also_known_as: Vec<String>,
    /// Signer: the key becomes the DID's first key (`#key-1`, with its X25519
    /// key-agreement key as `#agreement-1`); it pays the fee as its did:key.
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
}

/// `sovra did update` options.
#[derive(Args, Debug)]
pub(crate) struct UpdateArgs {
    /// The DID to change.
    pub(crate) did: String,
    /// Add an Ed25519 or X25519 public key, as `ID=MULTIBASE` (`z6Mk...` or `z6LS...`).
    #[arg(long = "add-key", value_name = "ID=MULTIBASE")]
    pub(crate) add_keys: Vec<String>,
    /// Relationships of the added keys (comma-separated; default for Ed25519:
    /// authentication,assertionMethod; X25519 keys are always keyAgreement).
    #[arg(long = "rel", value_delimiter = ',')]
    pub(crate) relationships: Vec<String>,
    /// Remove the verification method with this id.
    #[arg(long = "remove-key", value_name = "ID")]
    pub(crate) remove_keys: Vec<String>,
    /// Add a service, as `ID,TYPE,URI`.
    #[arg(long = "add-service", value_name = "ID,TYPE,URI")]
    pub(crate) add_services: Vec<String>,
    /// Remove the service with this id.
    #[arg(long = "remove-service", value_name = "ID")]
    pub(crate) remove_services: Vec<String>,
    /// Add a controller.
    #[arg(long = "add-controller", value_name = "DID")]
    pub(crate) add_controllers: Vec<String>,
    /// Remove a controller.
    #[arg(long = "remove-controller", value_name = "DID")]
    pub(crate) remove_controllers: Vec<String>,
    /// Add an alsoKnownAs URI.
    #[arg(long = "add-also-known-as", value_name = "URI")]
    pub(crate) add_aka: Vec<String>,
    /// Remove an alsoKnownAs URI.
    #[arg(long = "remove-also-known-as", value_name = "URI")]
    pub(crate) remove_aka: Vec<String>,
    /// Signer (default: signs as the DID itself).
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
}

/// `sovra did rotate-key` options.
#[derive(Args, Debug)]
pub(crate) struct RotateArgs {
    /// The DID.
    pub(crate) did: String,
    /// Keystore name of the new key; it takes the place of `--key` (the old
    /// key, which signs the rotation unless `--as` names a controller) under a
    /// new id, and signs the republished status lists.
    #[arg(long)]
    pub(crate) new_key: String,
    /// Signer (default: signs as the DID itself).
    #[command(flatten)]
    pub(crate) signer: SignerArgs,
}

fn raw_key(key: &SigningKey) -> Result<[u8; 32]> {
    key.public_key()
        .as_ref()
        .try_into()
        .context("Ed25519 key is not 32 bytes")
}

/// The methods a key contributes to a new document: the Ed25519 key under
/// every signing relationship and its X25519 key for keyAgreement.
fn methods_for(key: &SigningKey, n: usize) -> Result<Vec<VerificationMethod>> {
    Ok(sovra_types::identity::methods_for_key(&raw_key(key)?, n)?)
}

fn parse_service(s: &str) -> Result<Service> {
    let mut parts = s.splitn(3, ',');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(t), Some(uri)) => Ok(Service {
            id: id.to_string(),
            service_type: t.to_string(),
            endpoint: uri.to_string(),
        }),
        _ => bail!("a service is ID,TYPE,URI: {s:?}"),
    }
}

fn parse_dids(list: &[String]) -> Result<Vec<Did>> {
    list.iter().map(|d| Ok(Did::parse(d)?)).collect()
}

/// Reads a DID's current record with a proof; fails unless it exists and is active.
fn current(client: &Client, did: &Did) -> Result<DidRecord> {
    if did.method() != DidMethod::Sovra {
        bail!("{did} is not a did:sovra; only did:sovra documents can change");
    }
    let verified = client
        .resolve_verified(did, DidVersionSelector::Latest)?
        .map_err(|absent| anyhow::anyhow!("{} (proven by the node)", absent.what))?;
    let record = verified.record.context("no record in the resolution")?;
    if record.deactivated {
        bail!("{did} is deactivated");
    }
    Ok(record)
}

/// Who signs a change of `did`: `--as` (a controller), or the DID itself.
fn changer(signer: &SignerArgs, did: &Did) -> Result<Did> {
    match &signer.as_did {
        Some(d) => Ok(Did::parse(d)?),
        None => Ok(did.clone()),
    }
}

/// Validates `doc` locally, then submits it as the next version of `did`.
fn submit_update(
    client: &Client,
    signer: &SignerArgs,
    did: &Did,
    previous: &DidRecord,
    doc: DidDocument,
) -> Result<()> {
    doc.validate()?;
    let key = load_key(&signer.key, &signer.keystore)?;
    let as_did = changer(signer, did)?;
    let tx = build(
        client,
        &key,
        &as_did,
        vec![Action::Identity(IdentityAction::Update {
            did: did.clone(),
            previous_version: previous.version,
            document: doc,
        })],
        signer,
    )?;
    submit(client, &tx, signer)?;
    println!("{did} is now at version {}", previous.version + 1);
    Ok(())
}

/// What `did show -o json` prints: the DID, the W3C document, and the version's metadata with
/// RFC 3339 times.
fn show_json(verified: &VerifiedDid) -> serde_json::Value {
    let mut v = serde_json::json!({
        "did": verified.did.as_str(),
        "document": verified.document,
    });
    if let Some(r) = &verified.record {
        v["version"] = r.version.into();
        v["created"] = time(r.created_ms).into();
        v["updated"] = time(r.updated_ms).into();
        v["created_height"] = r.created_height.into();
        v["updated_height"] = r.updated_height.into();
        v["deactivated"] = r.deactivated.into();
    }
    if let Some(h) = &verified.header {
        v["verified_height"] = h.height.into();
        v["state_root"] = sovra_types::digest_hex(&h.state_root).into();
    }
    v
}

/// The text `did show` prints.
fn show_text(verified: &VerifiedDid) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let Some(record) = &verified.record else {
        return format!("{}  (did:key: one immutable key)", verified.did);
    };
    let _ = writeln!(out, "{}", verified.did);
    let _ = writeln!(
        out,
        "  version {}  created {} (height {})  updated {} (height {}){}",
        record.version,
        time(record.created_ms),
        record.created_height,
        time(record.updated_ms),
        record.updated_height,
        if record.deactivated {
            "  DEACTIVATED"
        } else {
            ""
        }
    );
    for m in &record.document.methods {
        let rels: Vec<&str> = m.relationships.iter().map(Relationship::as_str).collect();
        let _ = writeln!(
            out,
            "  #{}  {}  {}  [{}]",
            m.id,
            m.key_type.as_str(),
            encode_multikey(m.key_type, &m.public_key),
            rels.join(", ")
        );
    }
    for s in &record.document.services {
        let _ = writeln!(out, "  #{}  {}  {}", s.id, s.service_type, s.endpoint);
    }
    for c in &record.document.controllers {
        let _ = writeln!(out, "  controller {c}");
    }
    for a in &record.document.also_known_as {
        let _ = writeln!(out, "  alsoKnownAs {a}");
    }
    if let Some(h) = &verified.header {
        let _ = writeln!(
            out,
            "  verified against block {} (state root {})",
            h.height,
            sovra_types::digest_hex(&h.state_root)
        );
    }
    out
}

/// Runs a `sovra did` command.
pub(crate) fn run(command: DidCommand) -> Result<()> {
    match command {
        DidCommand::Create(args) => create(args),
        DidCommand::Show { did, output, node } => {
            let did = Did::parse(&did)?;
            let client = Client::new(&node.node);
            match client.resolve_verified(&did, DidVersionSelector::Latest)? {
                Ok(v) => output.emit(&show_json(&v), |_| show_text(&v)),
                Err(absent) => bail!("{} (proven by the node)", absent.what),
            }
        }
        DidCommand::Resolve {
            did,
            version_id,
            version_time,
            verify,
            node,
        } => {
            let client = Client::new(&node.node);
            let selector = match (version_id, version_time) {
                (Some(v), _) => DidVersionSelector::Version(v),
                (None, Some(t)) => DidVersionSelector::Time(parse_version_time(&t)?),
                (None, None) => DidVersionSelector::Latest,
            };
            if verify {
                let did = Did::parse(&did)?;
                match client.resolve_verified(&did, selector)? {
                    Ok(v) => {
                        print_json(&v.document)?;
                        print!("{}", show_text(&v));
                        Ok(())
                    }
                    Err(absent) => bail!("{} (proven by the node)", absent.what),
                }
            } else {
                let (status, body) = client.resolve(&did, selector, false)?;
                print_json(&body)?;
                if !(200..300).contains(&status) && status != 410 {
                    bail!("resolution failed (HTTP {status})");
                }
                Ok(())
            }
        }
        DidCommand::Update(args) => update(args),
        DidCommand::RotateKey(args) => rotate(args),
        DidCommand::Deactivate {
            did,
            abandon_funds,
            signer,
        } => {
            let did = Did::parse(&did)?;
            let client = Client::new(&signer.node.node);
            let record = current(&client, &did)?;
            let key = load_key(&signer.key, &signer.keystore)?;
            let as_did = changer(&signer, &did)?;
            // What the DID would still hold once deactivated (it pays the fee if it signs).
            let balance = client.account(&did)?.balance;
            let fee = if as_did == did { signer.fee } else { 0 };
            let stranded = balance.saturating_sub(fee);
            if stranded > 0 && !abandon_funds {
                bail!(
                    "{did} holds {balance}; once deactivated it can never sign again, so {stranded} \
                     would be lost for good. Move it first (`sovra transfer --key {} --as {did} \
                     --to DID --amount {}`), or pass --abandon-funds; nothing was sent",
                    signer.key,
                    stranded.saturating_sub(signer.fee),
                );
            }
            let tx = build(
                &client,
                &key,
                &as_did,
                vec![Action::Identity(IdentityAction::Deactivate {
                    did: did.clone(),
                    previous_version: record.version,
                })],
                &signer,
            )?;
            submit(&client, &tx, &signer)?;
            println!("{did} is deactivated");
            Ok(())
        }
    }
}

fn create(args: CreateArgs) -> Result<()> {
    let client = Client::new(&args.signer.node.node);
    let key = load_key(&args.signer.key, &args.signer.keystore)?;
    let payer = signer_did(&args.signer, &key)?;
    let document = DidDocument {
        methods: methods_for(&key, 1)?,
        services: args
            .services
            .iter()
            .map(|s| parse_service(s))
            .collect::<Result<_>>()?,
        controllers: parse_dids(&args.controllers)?,
        also_known_as: args.also_known_as,
    };
    document.validate()?;
    let tx = build(
        &client,
        &key,
        &payer,
        vec![Action::Identity(IdentityAction::Create { document })],
        &args.signer,
    )?;
    let did = derive_sovra_did(&tx.tx.chain_id, &payer, tx.tx.nonce, 0);
    submit(&client, &tx, &args.signer)?;
    println!("{did}");
    Ok(())
}

fn update(args: UpdateArgs) -> Result<()> {
    let did = Did::parse(&args.did)?;
    let client = Client::new(&args.signer.node.node);
    let previous = current(&client, &did)?;
    let mut doc = previous.document.clone();
    for id in &args.remove_keys {
        let before = doc.methods.len();
        doc.methods.retain(|m| &m.id != id);
        if doc.methods.len() == before {
            bail!("{did} has no verification method #{id}");
        }
    }
    let rels: Vec<Relationship> = args
        .relationships
        .iter()
        .map(|r| Ok(Relationship::parse(r.trim())?))
        .collect::<Result<_>>()?;
    for spec in &args.add_keys {
        let (id, multibase) = spec
            .split_once('=')
            .with_context(|| format!("--add-key takes ID=MULTIBASE: {spec:?}"))?;
        let (key_type, public_key) = decode_multikey(multibase)?;
        let relationships = match key_type {
            MultikeyType::X25519 => Relationships::of(&[Relationship::KeyAgreement]),
            MultikeyType::Ed25519 if rels.is_empty() => {
                Relationships::of(&[Relationship::Authentication, Relationship::AssertionMethod])
            }
            MultikeyType::Ed25519 => Relationships::of(&rels),
        };
        doc.methods.push(VerificationMethod {
            id: id.to_string(),
            key_type,
            public_key,
            relationships,
        });
    }
    for id in &args.remove_services {
        let before = doc.services.len();
        doc.services.retain(|s| &s.id != id);
        if doc.services.len() == before {
            bail!("{did} has no service #{id}");
        }
    }
    for s in &args.add_services {
        doc.services.push(parse_service(s)?);
    }
    for c in parse_dids(&args.remove_controllers)? {
        doc.controllers.retain(|x| *x != c);
    }
    doc.controllers.extend(parse_dids(&args.add_controllers)?);
    doc.also_known_as.retain(|a| !args.remove_aka.contains(a));
    doc.also_known_as.extend(args.add_aka.iter().cloned());
    if doc == previous.document {
        bail!("nothing to change: give --add-key, --remove-key, --add-service, ...");
    }
    submit_update(&client, &args.signer, &did, &previous, doc)
}

/// Every verification method and service id any version of `did` up to
/// `version` used, each read with a proof.
fn ids_ever_used(client: &Client, did: &Did, version: u64) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for v in 1..=version {
        let record = client
            .resolve_verified(did, DidVersionSelector::Version(v))?
            .map_err(|absent| anyhow::anyhow!("{} (proven by the node)", absent.what))?
            .record
            .with_context(|| format!("no record of version {v}"))?;
        let doc = &record.document;
        ids.extend(doc.methods.iter().map(|m| m.id.clone()));
        ids.extend(doc.services.iter().map(|s| s.id.clone()));
    }
    Ok(ids)
}

/// Replaces the old key by the new one under new ids (`key-N`, and
/// `agreement-N` for its X25519 counterpart, N one more than any number an
/// id of any version ever had), with the old methods' relationships.
fn rotated_document(
    previous: &DidDocument,
    used: &[String],
    old: &SigningKey,
    new: &SigningKey,
) -> Result<DidDocument> {
    let (old_raw, new_raw) = (raw_key(old)?, raw_key(new)?);
    let (old_x, new_x) = (
        x25519_from_ed25519(&old.public_key())?,
        x25519_from_ed25519(&new.public_key())?,
    );
    let first = sovra_types::identity::next_key_number(used.iter().map(String::as_str));
    let mut next = first;
    let mut doc = previous.clone();
    for m in &mut doc.methods {
        if m.key_type == MultikeyType::Ed25519 && m.public_key == old_raw {
            m.id = format!("key-{next}");
            m.public_key = new_raw;
            next += 1;
        }
    }
    if next == first {
        bail!("the key is not in the document");
    }
    // The X25519 counterpart shares the number of the (first) new key.
    for m in &mut doc.methods {
        if m.key_type == MultikeyType::X25519 && m.public_key == old_x {
            m.id = format!("agreement-{first}");
            m.public_key = new_x;
        }
    }
    Ok(doc)
}

fn rotate(args: RotateArgs) -> Result<()> {
    let did = Did::parse(&args.did)?;
    let client = Client::new(&args.signer.node.node);
    let previous = current(&client, &did)?;
    let old = load_key(&args.signer.key, &args.signer.keystore)?;
    let new = load_key(&args.new_key, &args.signer.keystore)?;
    let used = ids_ever_used(&client, &did, previous.version)?;
    let doc = rotated_document(&previous.document, &used, &old, &new)
        .with_context(|| format!("rotating {:?} of {did}", args.signer.key))?;
    let new_ids: Vec<&str> = doc
        .methods
        .iter()
        .filter(|m| !previous.document.methods.iter().any(|p| p.id == m.id))
        .map(|m| m.id.as_str())
        .collect();
    println!("new key ids: #{}", new_ids.join(", #"));
    submit_update(&client, &args.signer, &did, &previous, doc)?;
    // Status lists signed by the removed key would be refused by verifiers
    // that resolve the current document: re-sign them with the new key.
    let lists =
        republish_status_lists(&client, &did, &new, args.signer.fee).with_context(|| {
            format!(
                "the key is rotated, but re-signing {did}'s status lists failed; \
                 retry with `sovra vc republish --issuer {did} --key {}`",
                args.new_key
            )
        })?;
    for list in lists {
        println!("status list {list} re-signed with the new key and re-anchored");
    }
    Ok(())
}
