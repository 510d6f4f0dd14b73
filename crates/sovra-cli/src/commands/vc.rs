//! `sovra vc issue|verify|show|revoke|suspend|resume|republish|present`: verifiable credentials.
//!
//! Verification runs in the CLI itself: every ledger fact (the issuer's DID
//! history, the trust registry, status-list anchors) is read with a state
//! proof, so the node that answers need not be trusted.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use sovra_client::Client;
use sovra_credentials::{
    Cryptosuite, ProofOptions,
    status::{StatusPurpose, status_entries},
    verify::{Policy, PresentationRequest, Verdict},
};
use sovra_types::{
    Did,
    datetime::{format_ms, parse_datetime},
};

use super::issuer::{IssuerArgs, open_issuer};
use crate::args::NodeArgs;
use crate::issuer::{method_of, republish_status_lists};
use crate::keystore::{KeystoreArgs, load_key};
use crate::output::print_json;
use crate::time::now_ms;

/// `sovra vc` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum VcCommand {
    /// Issue a credential signed by a registered verifier's key.
    Issue(IssueArgs),
    /// Verify a credential or presentation: a clear verdict for the verifier (exit 1 if not valid).
    Verify {
        /// The credential or presentation (JSON file).
        file: PathBuf,
        /// For presentations: the challenge you gave the holder.
        #[arg(long)]
        challenge: Option<String>,
        /// For presentations: your domain.
        #[arg(long)]
        domain: Option<String>,
        /// Refuse credentials whose signing key has since been removed from the issuer's DID.
        #[arg(long)]
        require_current_key: bool,
        /// Print the full verdict as JSON.
        #[arg(long)]
        json: bool,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Show a credential as its holder sees it: what it says and whether it is valid, until when
    /// (exit 1 if not valid).
    Show {
        /// The credential (JSON file).
        file: PathBuf,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Revoke a credential you issued (for good).
    Revoke(StatusArgs),
    /// Suspend a credential you issued.
    Suspend(StatusArgs),
    /// Lift the suspension of a credential you issued.
    Resume(StatusArgs),
    /// Re-sign and re-anchor your revocation and suspension lists with your current key (after a
    /// key rotation or recovery; `did rotate-key` runs it).
    Republish(IssuerArgs),
    /// Wrap credentials in a presentation signed by the holder for a verifier's challenge.
    Present {
        /// Credential files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Keystore name of the holder's authentication key.
        #[arg(long)]
        key: String,
        /// The holder's DID (default: the key's did:key).
        #[arg(long)]
        holder: Option<String>,
        /// The verifier's challenge.
        #[arg(long)]
        challenge: String,
        /// The verifier's domain.
        #[arg(long)]
        domain: Option<String>,
        /// Output file (default: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Keystore options.
        #[command(flatten)]
        keystore: KeystoreArgs,
        /// Node options.
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// `sovra vc issue` options.
#[derive(Args, Debug)]
pub(crate) struct IssueArgs {
    /// The subject's DID.
    #[arg(long)]
    pub(crate) subject: String,
    /// Credential type (e.g. `HealthTestCredential`, `KycCredential`).
    #[arg(long = "type")]
    pub(crate) credential_type: String,
    /// A claim about the subject, `name=value` (repeat).
    #[arg(long = "claim", value_name = "NAME=VALUE")]
    pub(crate) claims: Vec<String>,
    /// Start of validity (RFC 3339; default now).
    #[arg(long)]
    pub(crate) valid_from: Option<String>,
    /// End of validity (RFC 3339), e.g. when a test result expires.
    #[arg(long)]
    pub(crate) valid_until: Option<String>,
    /// `eddsa-rdfc-2022` (default) or `eddsa-jcs-2022`.
    #[arg(long, default_value = "eddsa-rdfc-2022")]
    pub(crate) suite: String,
    /// Output file (default: stdout).
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
    /// Issuer options.
    #[command(flatten)]
    pub(crate) issuer: IssuerArgs,
}

/// Options of `revoke`, `suspend` and `resume`.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    /// The credential (JSON file) whose status changes.
    pub(crate) file: PathBuf,
    /// Issuer options.
    #[command(flatten)]
    pub(crate) issuer: IssuerArgs,
}

/// Reads a credential or presentation file (at most 1 MiB, checked before
/// reading it whole), strictly: duplicate keys and numbers a double rounds
/// are refused, so what is verified is what the file shows.
fn read_json(path: &Path) -> Result<Value> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, (1 << 20) + 1), &mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > 1 << 20 {
        bail!("{} is larger than 1 MiB", path.display());
    }
    sovra_credentials::parse_document(&bytes)
        .with_context(|| format!("{} is not an acceptable JSON document", path.display()))
}

fn write_out(output: &Option<PathBuf>, v: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    match output {
        Some(p) => {
            std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))
        }
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// The unsigned credential `sovra vc issue` builds, with the most standard
/// `@context` under which every claim is signed
/// ([`sovra_credentials::select::with_standard_contexts`]).
fn build_credential(args: &IssueArgs) -> Result<Value> {
    let subject = Did::parse(&args.subject)?;
    sovra_types::registry::validate_credential_type(&args.credential_type)?;
    let mut claims = Map::new();
    claims.insert("id".into(), json!(subject.as_str()));
    for c in &args.claims {
        let (name, value) = c
            .split_once('=')
            .with_context(|| format!("a claim is NAME=VALUE: {c:?}"))?;
        check_claim_name(name)?;
        if claims.insert(name.to_string(), json!(value)).is_some() {
            bail!("the claim {name:?} is given twice");
        }
    }
    let valid_from = match &args.valid_from {
        Some(t) => format_ms(parse_datetime(t)?),
        None => format_ms(now_ms()),
    };
    let id: [u8; 16] = sovra_crypto::random_bytes()?;
    let mut credential = json!({
        "id": format!("urn:uuid:{}", uuid_text(&id)),
        "type": ["VerifiableCredential", args.credential_type],
        "validFrom": valid_from,
        "credentialSubject": claims,
    });
    if let Some(t) = &args.valid_until {
        credential["validUntil"] = json!(format_ms(parse_datetime(t)?));
    }
    Ok(sovra_credentials::select::with_standard_contexts(
        sovra_credentials::ProofEngine::shared(),
        credential,
    )?)
}

/// A claim name is a plain term: not the subject's `id` or `type` (which the
/// command sets), not a JSON-LD keyword, and not empty.
fn check_claim_name(name: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('@') || name == "id" || name == "type" {
        bail!(
            "{name:?} cannot be a claim name (the subject's id is --subject; names starting with @ are JSON-LD keywords)"
        );
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("the claim name {name:?} has white space or control characters");
    }
    Ok(())
}

/// Formats 16 random bytes as a version-4 UUID.
fn uuid_text(b: &[u8; 16]) -> String {
    let mut b = *b;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn print_verdict(v: &Verdict, indent: &str) {
    let word = if v.verified { "VALID" } else { "NOT VALID" };
    match &v.summary {
        Some(s) => {
            let issuer = s.issuer_name.as_deref().unwrap_or("unregistered issuer");
            println!(
                "{indent}{word}: {} from {} ({issuer})",
                s.types.join(", "),
                s.issuer
            );
            if let Some(subject) = &s.subject {
                println!("{indent}  about {subject}");
            }
            match (&s.valid_from, &s.valid_until) {
                (_, Some(until)) => println!("{indent}  valid until {until}"),
                (Some(from), None) => println!("{indent}  valid from {from}, no expiry"),
                _ => {}
            }
        }
        None => println!("{indent}{word}"),
    }
    for e in &v.errors {
        println!("{indent}  ✗ {}: {}", e.code, e.message);
    }
    for w in &v.warnings {
        println!("{indent}  ! {}: {}", w.code, w.message);
    }
    if v.errors.is_empty() {
        println!("{indent}  ✓ {}", v.checks.join(", "));
    }
    for c in &v.credentials {
        print_verdict(c, &format!("{indent}    "));
    }
}

fn status_change(args: &StatusArgs, purpose: StatusPurpose, value: bool) -> Result<()> {
    let credential = read_json(&args.file)?;
    let (client, mut issuer) = open_issuer(&args.issuer)?;
    if credential["issuer"].as_str() != Some(issuer.did.as_str()) {
        bail!("{} was not issued by {}", args.file.display(), issuer.did);
    }
    let entry = status_entries(&credential)?
        .into_iter()
        .find(|e| e.purpose == purpose)
        .with_context(|| format!("the credential has no {} status entry", purpose.as_str()))?;
    issuer.set_status(&client, purpose, entry.index, value, args.issuer.fee)?;
    println!(
        "{} index {} is now {} (list published and anchored)",
        purpose.as_str(),
        entry.index,
        if value { "set" } else { "clear" }
    );
    Ok(())
}

/// Runs a `sovra vc` command.
pub(crate) fn run(command: VcCommand) -> Result<()> {
    match command {
        VcCommand::Issue(args) => {
            let suite: Cryptosuite = args.suite.parse()?;
            let credential = build_credential(&args)?;
            let (client, mut issuer) = open_issuer(&args.issuer)?;
            let signed = issuer.issue(&client, credential, suite, args.issuer.fee)?;
            write_out(&args.output, &signed)
        }
        VcCommand::Verify {
            file,
            challenge,
            domain,
            require_current_key,
            json,
            node,
        } => {
            let doc = read_json(&file)?;
            let client = Client::new(&node.node);
            let policy = Policy {
                now_ms: now_ms(),
                require_current_key,
            };
            let is_presentation = doc["type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "VerifiablePresentation"))
                || doc["type"] == "VerifiablePresentation";
            let verdict = if is_presentation {
                client.verify_presentation(
                    &doc,
                    &PresentationRequest { challenge, domain },
                    &policy,
                )
            } else {
                client.verify_credential(&doc, &policy)
            };
            if json {
                print_json(&verdict)?;
            } else {
                print_verdict(&verdict, "");
            }
            if !verdict.verified {
                std::process::exit(1);
            }
            Ok(())
        }
        VcCommand::Show { file, node } => {
            let doc = read_json(&file)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&doc["credentialSubject"])?
            );
            let client = Client::new(&node.node);
            let verdict = client.verify_credential(
                &doc,
                &Policy {
                    now_ms: now_ms(),
                    require_current_key: false,
                },
            );
            print_verdict(&verdict, "");
            if !verdict.verified {
                std::process::exit(1);
            }
            Ok(())
        }
        VcCommand::Republish(args) => {
            let client = Client::new(&args.node.node);
            let key = load_key(&args.key, &args.keystore)?;
            let did = Did::parse(&args.issuer)?;
            let lists = republish_status_lists(&client, &did, &key, args.fee)?;
            if lists.is_empty() {
                println!("{did} has no anchored status list");
            }
            for list in lists {
                println!("status list {list} re-signed with the current key and re-anchored");
            }
            Ok(())
        }
        VcCommand::Revoke(args) => status_change(&args, StatusPurpose::Revocation, true),
        VcCommand::Suspend(args) => status_change(&args, StatusPurpose::Suspension, true),
        VcCommand::Resume(args) => status_change(&args, StatusPurpose::Suspension, false),
        VcCommand::Present {
            files,
            key,
            holder,
            challenge,
            domain,
            output,
            keystore,
            node,
        } => {
            let key = load_key(&key, &keystore)?;
            let holder = match holder {
                Some(h) => Did::parse(&h)?,
                None => Did::from_public_key(&key.public_key()),
            };
            let client = Client::new(&node.node);
            let method = method_of(
                &client,
                &holder,
                &key,
                sovra_types::Relationship::Authentication,
            )?;
            let credentials: Vec<Value> =
                files.iter().map(|f| read_json(f)).collect::<Result<_>>()?;
            let presentation = json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": holder.as_str(),
                "verifiableCredential": credentials,
            });
            let mut options = ProofOptions::authentication(
                Cryptosuite::EddsaRdfc2022,
                method,
                challenge,
                String::new(),
            );
            options.domain = domain;
            options.created = Some(format_ms(now_ms()));
            let signed = sovra_credentials::sign(&presentation, &key.seed(), &options)?;
            write_out(&output, &signed)
        }
    }
}
