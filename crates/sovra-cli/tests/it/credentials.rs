//! Verifiable credentials end to end against a real node, driven through the
//! `sovra` CLI as a laboratory, a holder and a verifier would use it: a
//! registered laboratory issues a health test-result credential with an
//! expiry; the holder presents it for a verifier's challenge; suspension,
//! resumption and revocation through anchored status lists; a claim the
//! signature does not cover is refused (safe mode); key rotation (the new
//! key gets a new id, the status lists are re-signed by it, old credentials
//! still verify, a signature by the removed key names an unknown key); and
//! every other way a credential fails gets its own reason.

use crate::common::{BIN, PORT_STRIDE, dev_key, init_testnet, port_base, start, wait_until};
use serde_json::Value;
use sovra_client::Client;
use sovra_types::{Did, datetime::format_ms};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

struct Cli<'a> {
    dir: &'a Path,
    api: String,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .env("SOVRA_NODE", &self.api)
            .env("SOVRA_KEYSTORE", self.dir.join("keys"))
            .env("SOVRA_PASSPHRASE", "test passphrase")
            .env("SOVRA_ISSUER_DIR", self.dir.join("issuer"))
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sovra {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `sovra vc verify`: (exit success, stdout).
    fn verify(&self, file: &Path, extra: &[&str]) -> (bool, String) {
        let mut args = vec!["vc", "verify", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn issue(&self, issuer: &str, key: &str, subject: &str, out: &Path, extra: &[&str]) {
        let mut args = vec![
            "vc",
            "issue",
            "--key",
            key,
            "--issuer",
            issuer,
            "--subject",
            subject,
            "-o",
            out.to_str().unwrap(),
        ];
        if !extra.contains(&"--type") {
            args.extend_from_slice(&["--type", "HealthTestCredential"]);
        }
        args.extend_from_slice(extra);
        self.ok(&args);
    }
}

fn assert_fails_with(cli: &Cli, file: &Path, extra: &[&str], code: &str) {
    let (ok, out) = cli.verify(file, extra);
    assert!(
        !ok,
        "{} verified but should fail with {code}:\n{out}",
        file.display()
    );
    assert!(out.contains(code), "expected {code}:\n{out}");
}

fn assert_valid(cli: &Cli, file: &Path, extra: &[&str]) {
    let (ok, out) = cli.verify(file, extra);
    assert!(ok, "{} should verify:\n{out}", file.display());
    assert!(out.starts_with("VALID"), "{out}");
}

#[test]
fn health_credential_issue_present_revoke_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = port_base();
    init_testnet(d, 1, 4, base);
    let _node = start(d, 0);
    let api = format!("http://127.0.0.1:{base}");
    let client = Client::new(&api);
    wait_until("node API", Duration::from_secs(30), || {
        client.status().is_ok_and(|s| s.finalized_height > 0)
    });
    let cli = Cli {
        dir: d,
        api: api.clone(),
    };
    for (name, i) in [("authority", 0), ("lab", 1), ("holder", 2), ("lab2", 3)] {
        cli.ok(&[
            "key",
            "import",
            name,
            "--seed",
            &hex::encode(dev_key(i).seed().as_ref()),
        ]);
    }
    let holder = Did::from_public_key(&dev_key(2).public_key()).to_string();

    // The laboratory gets a did:sovra and is registered for health test results.
    let lab = cli
        .ok(&["did", "create", "--key", "lab"])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(lab.starts_with("did:sovra:"), "{lab}");
    // It pays for its own status-list and DID transactions.
    cli.ok(&[
        "transfer",
        "--from",
        "authority",
        "--to",
        &lab,
        "--amount",
        "100000",
    ]);
    cli.ok(&[
        "verifier",
        "register",
        &lab,
        "--name",
        "Example Labs",
        "--type",
        "HealthTestCredential",
        "--key",
        "authority",
    ]);

    // Issue a test result valid for a day, with each suite.
    let until = format_ms(sovra_api_now() + 86_400_000);
    let cred = d.join("cred.json");
    cli.issue(
        &lab,
        "lab",
        &holder,
        &cred,
        &[
            "--claim",
            "testType=PCR",
            "--claim",
            "result=negative",
            "--valid-until",
            &until,
        ],
    );
    let jcs = d.join("cred-jcs.json");
    cli.issue(
        &lab,
        "lab",
        &holder,
        &jcs,
        &["--suite", "eddsa-jcs-2022", "--claim", "result=negative"],
    );
    assert_valid(&cli, &cred, &[]);
    assert_valid(&cli, &jcs, &[]);
    // Sovra's claims keep their meaning with the Sovra context, which the
    // node serves byte for byte as verifiers load it.
    let issued: Value = serde_json::from_slice(&std::fs::read(&cred).unwrap()).unwrap();
    assert_eq!(
        issued["@context"],
        serde_json::json!([
            sovra_credentials::CREDENTIALS_V2_URL,
            sovra_credentials::SOVRA_CONTEXT_URL
        ])
    );
    let served = get_text(&api, "/contexts/sovra-credentials-v2.jsonld");
    assert_eq!(served, sovra_credentials::SOVRA_CONTEXT);
    let shown = cli.ok(&["vc", "show", cred.to_str().unwrap()]);
    assert!(shown.contains(&format!("valid until {until}")), "{shown}");
    assert!(shown.contains("Example Labs"), "{shown}");
    // The node's VC-API agrees.
    let credential: Value = serde_json::from_slice(&std::fs::read(&cred).unwrap()).unwrap();
    let (status, verdict) = post(
        &api,
        "/credentials/verify",
        serde_json::json!({ "verifiableCredential": credential }),
    );
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["verified"], true);

    // Tampered: the holder changes the result.
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["result"] = Value::String("positive-but-hidden".into());
    let tampered_file = d.join("tampered.json");
    std::fs::write(&tampered_file, tampered.to_string()).unwrap();
    assert_fails_with(&cli, &tampered_file, &[], "invalid_signature");
    let (status, verdict) = post(
        &api,
        "/credentials/verify",
        serde_json::json!({ "verifiableCredential": tampered }),
    );
    assert_eq!(status, 400);
    assert_eq!(verdict["errors"][0]["code"], "invalid_signature");

    // A claim the signature does not cover (a non-IRI value where the v1
    // context expects an IRI became an unsigned blank node, the same as
    // `{}`): once shown with any value, refused by the CLI and the node.
    let mut unsigned_claim = serde_json::json!({
        "@context": [
            sovra_credentials::CREDENTIALS_V2_URL,
            sovra_credentials::SOVRA_CONTEXT_V1_URL
        ],
        "id": "urn:uuid:5a2e9f0c-3c1d-4d1e-8b7a-1f2e3d4c5b6a",
        "type": ["VerifiableCredential", "HealthTestCredential"],
        "issuer": lab,
        "credentialSubject": { "id": holder, "result": "negative", "laboratory": {} }
    });
    let mut options = sovra_credentials::ProofOptions::assertion(
        sovra_credentials::Cryptosuite::EddsaRdfc2022,
        format!("{lab}#key-1"),
    );
    options.created = Some(format_ms(sovra_api_now()));
    unsigned_claim =
        sovra_credentials::sign(&unsigned_claim, &dev_key(1).seed(), &options).unwrap();
    let blank_file = d.join("blank-laboratory.json");
    std::fs::write(&blank_file, unsigned_claim.to_string()).unwrap();
    assert_valid(&cli, &blank_file, &[]);
    unsigned_claim["credentialSubject"]["laboratory"] = Value::String("Evil Labs".into());
    let shown_file = d.join("shown-laboratory.json");
    std::fs::write(&shown_file, unsigned_claim.to_string()).unwrap();
    assert_fails_with(&cli, &shown_file, &[], "unsafe_document");
    let (status, verdict) = post(
        &api,
        "/credentials/verify",
        serde_json::json!({ "verifiableCredential": unsigned_claim }),
    );
    assert_eq!(status, 400, "{verdict}");
    assert_eq!(verdict["errors"][0]["code"], "unsafe_document");

    // Expired, not yet valid, and a type the lab is not registered for.
    let expired = d.join("expired.json");
    cli.issue(
        &lab,
        "lab",
        &holder,
        &expired,
        &[
            "--valid-from",
            "2020-01-01T00:00:00Z",
            "--valid-until",
            "2020-06-01T00:00:00Z",
        ],
    );
    assert_fails_with(&cli, &expired, &[], "expired");
    let future = d.join("future.json");
    cli.issue(
        &lab,
        "lab",
        &holder,
        &future,
        &["--valid-from", "2099-01-01T00:00:00Z"],
    );
    assert_fails_with(&cli, &future, &[], "not_yet_valid");
    let kyc = d.join("kyc.json");
    cli.issue(&lab, "lab", &holder, &kyc, &["--type", "KycCredential"]);
    assert_fails_with(&cli, &kyc, &[], "untrusted_issuer");

    // A presentation bound to the verifier's challenge and domain.
    let vp = d.join("vp.json");
    cli.ok(&[
        "vc",
        "present",
        cred.to_str().unwrap(),
        "--key",
        "holder",
        "--challenge",
        "c-123",
        "--domain",
        "clinic.example",
        "-o",
        vp.to_str().unwrap(),
    ]);
    assert_valid(
        &cli,
        &vp,
        &["--challenge", "c-123", "--domain", "clinic.example"],
    );
    assert_fails_with(
        &cli,
        &vp,
        &["--challenge", "c-999", "--domain", "clinic.example"],
        "wrong_challenge",
    );
    assert_fails_with(
        &cli,
        &vp,
        &["--challenge", "c-123", "--domain", "evil.example"],
        "wrong_domain",
    );
    // Someone else presenting the holder's credential is not its subject.
    let stolen = d.join("stolen.json");
    cli.ok(&[
        "vc",
        "present",
        cred.to_str().unwrap(),
        "--key",
        "lab2",
        "--challenge",
        "c-123",
        "-o",
        stolen.to_str().unwrap(),
    ]);
    assert_fails_with(
        &cli,
        &stolen,
        &["--challenge", "c-123"],
        "holder_not_subject",
    );

    // Suspension and resumption, then revocation, through anchored status lists.
    let with_issuer = |cmd: &str| {
        cli.ok(&[
            "vc",
            cmd,
            cred.to_str().unwrap(),
            "--key",
            "lab",
            "--issuer",
            &lab,
        ]);
    };
    with_issuer("suspend");
    assert_fails_with(&cli, &cred, &[], "suspended");
    assert_valid(&cli, &jcs, &[]); // another index is untouched
    with_issuer("resume");
    assert_valid(&cli, &cred, &[]);
    with_issuer("revoke");
    assert_fails_with(&cli, &cred, &[], "revoked");
    // `vc show` says so and exits non-zero too.
    let shown = cli.run(&["vc", "show", cred.to_str().unwrap()]);
    assert!(!shown.status.success());
    assert!(String::from_utf8_lossy(&shown.stdout).contains("NOT VALID"));
    let list: Value = serde_json::from_str(&get_text(
        &api,
        &format!("/v1/status-lists/{lab}/revocation"),
    ))
    .unwrap();
    assert_eq!(list["credentialSubject"]["statusPurpose"], "revocation");

    // The same issuer as a service (VC-API issue and status), behind a token.
    let service_port = base + 2 * PORT_STRIDE;
    let mut service = std::process::Command::new(BIN)
        .args([
            "issuer", "serve", "--key", "lab", "--issuer", &lab, "--listen",
        ])
        .arg(format!("127.0.0.1:{service_port}"))
        .args(["--api-token", "s3cret"])
        .env("SOVRA_NODE", &api)
        .env("SOVRA_KEYSTORE", d.join("keys"))
        .env("SOVRA_PASSPHRASE", "test passphrase")
        .env("SOVRA_ISSUER_DIR", d.join("issuer"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let service_url = format!("http://127.0.0.1:{service_port}");
    let unsigned = serde_json::json!({
        "credential": {
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://sovra.dev/ns/credentials/v1"],
            "type": ["VerifiableCredential", "HealthTestCredential"],
            "credentialSubject": { "id": holder, "testType": "antigen", "result": "negative" }
        },
        "options": { "cryptosuite": "eddsa-jcs-2022" }
    });
    wait_until("issuer service", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", service_port)).is_ok()
    });
    let (status, _) = post_with(&service_url, "/credentials/issue", unsigned.clone(), None);
    assert_eq!(status, 401, "no token");
    let (status, issued) = post_with(&service_url, "/credentials/issue", unsigned, Some("s3cret"));
    assert_eq!(status, 201, "{issued}");
    // The scheme is case-insensitive; a wrong token of the right length is refused.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (header, expected) in [("bearer s3cret", 400), ("Bearer s3crex", 401)] {
        let resp = agent
            .post(&format!("{service_url}/credentials/issue"))
            .header("Authorization", header)
            .send("{\"credential\": 1, \"credential\": 2}")
            .unwrap();
        // 400: past the token check, the duplicate key is refused.
        assert_eq!(resp.status().as_u16(), expected, "{header}");
    }
    let served = d.join("served.json");
    std::fs::write(&served, issued["verifiableCredential"].to_string()).unwrap();
    assert_valid(&cli, &served, &[]);
    let (status, _) = post_with(
        &service_url,
        "/credentials/status",
        serde_json::json!({ "verifiableCredential": issued["verifiableCredential"], "status": "revoked" }),
        Some("s3cret"),
    );
    assert_eq!(status, 200);
    assert_fails_with(&cli, &served, &[], "revoked");
    // The earlier revocation by the CLI survived the service's publication.
    assert_fails_with(&cli, &cred, &[], "revoked");
    let _ = service.kill();
    let _ = service.wait();

    // Key rotation: the new key gets a new id, and the status lists are
    // re-signed by it...
    let rotated = cli.ok(&[
        "did",
        "rotate-key",
        &lab,
        "--key",
        "lab",
        "--new-key",
        "lab2",
    ]);
    assert!(rotated.contains("#key-2"), "{rotated}");
    assert!(
        rotated.contains("status list revocation re-signed"),
        "{rotated}"
    );
    assert!(
        rotated.contains("status list suspension re-signed"),
        "{rotated}"
    );
    let lab_did = Did::parse(&lab).unwrap();
    let doc = client
        .resolve_verified(&lab_did, sovra_client::DidVersionSelector::Latest)
        .unwrap()
        .unwrap()
        .record
        .unwrap()
        .document;
    let ids: Vec<&str> = doc.methods.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["key-2", "agreement-2"]);
    let new_key: [u8; 32] = dev_key(3).public_key().as_ref().try_into().unwrap();
    for list_id in ["revocation", "suspension"] {
        let list: Value = serde_json::from_str(&get_text(
            &api,
            &format!("/v1/status-lists/{lab}/{list_id}"),
        ))
        .unwrap();
        assert_eq!(list["proof"]["verificationMethod"], format!("{lab}#key-2"));
        sovra_credentials::verify(&list, |_| Ok(new_key)).unwrap();
    }
    // ...the bits are unchanged...
    assert_fails_with(&cli, &cred, &[], "revoked");
    // ...what the old key signed before still verifies...
    assert_valid(&cli, &jcs, &[]);
    assert_fails_with(&cli, &jcs, &["--require-current-key"], "unknown_issuer_key");
    // ...a signature by the removed key made after the rotation does not...
    let mut forged: Value = serde_json::from_slice(&std::fs::read(&jcs).unwrap()).unwrap();
    forged.as_object_mut().unwrap().remove("proof");
    forged["credentialSubject"]["result"] = Value::String("forged".into());
    let mut options = sovra_credentials::ProofOptions::assertion(
        sovra_credentials::Cryptosuite::EddsaRdfc2022,
        format!("{lab}#key-1"),
    );
    options.created = Some(format_ms(sovra_api_now()));
    let forged = sovra_credentials::sign(&forged, &dev_key(1).seed(), &options).unwrap();
    let forged_file = d.join("forged.json");
    std::fs::write(&forged_file, forged.to_string()).unwrap();
    // `#key-1` no longer names any key: an unknown key, not a bad signature.
    assert_fails_with(&cli, &forged_file, &[], "unknown_issuer_key");
    // ...and the new key issues.
    let after = d.join("after.json");
    cli.issue(&lab, "lab2", &holder, &after, &[]);
    assert_valid(&cli, &after, &[]);

    // A removed verifier is no longer trusted; a deactivated issuer neither.
    cli.ok(&["verifier", "remove", &lab, "--key", "authority"]);
    assert_fails_with(&cli, &after, &[], "untrusted_issuer");
    cli.ok(&[
        "did",
        "deactivate",
        &lab,
        "--key",
        "lab2",
        "--abandon-funds",
    ]);
    assert_fails_with(&cli, &after, &[], "issuer_deactivated");
}

fn sovra_api_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The body of a successful GET.
fn get_text(api: &str, path: &str) -> String {
    ureq::get(&format!("{api}{path}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

fn post(api: &str, path: &str, body: Value) -> (u16, Value) {
    post_with(api, path, body, None)
}

fn post_with(api: &str, path: &str, body: Value, token: Option<&str>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.post(&format!("{api}{path}"));
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.send_json(&body).unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
