//! Independent-implementation test: Sovra's `eddsa-rdfc-2022` and
//! `eddsa-jcs-2022` proofs checked by digitalbazaar's reference JavaScript
//! implementation (`@digitalbazaar/vc`, jsonld-signatures in safe mode, the
//! two EdDSA cryptosuites), which must also refuse the tampered documents
//! Sovra refuses; and proofs made by that implementation verified by Sovra.
//!
//! The JavaScript side is `tests/interop/interop.mjs`, with pinned
//! dependencies (`package.json`, `package-lock.json`) installed by `npm ci`
//! on first use. Without `node` and `npm` the tests print a loud notice and
//! skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::only;
use serde_json::{Value, json};
use sovra_credentials::{
    CREDENTIALS_V2_URL, Cryptosuite, ProofOptions, SERVED_CONTEXTS, SOVRA_CONTEXT_URL,
    SOVRA_CONTEXT_V1_URL, did_key_verification_method, ed25519_public_key_from_did_key,
    ed25519_public_key_from_secret, ed25519_public_key_to_multibase, sign, verify,
};

const CREATED: &str = "2025-03-01T10:00:00Z";
const NOW: &str = "2025-06-01T00:00:00Z";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// `true` when node and npm can run; otherwise prints why the test skips.
fn javascript_available() -> bool {
    let ok = |cmd: &str| {
        Command::new(cmd)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ok("node") && ok("npm") {
        return true;
    }
    eprintln!(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !! SKIPPED: the independent JavaScript implementation check needs    !!\n\
         !! `node` and `npm` on the PATH (Node.js 18 or later).               !!\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
    false
}

/// Runs `npm ci` once (tests run in parallel processes: a lock directory
/// makes the others wait).
fn install_dependencies() {
    let dir = interop_dir();
    let done = dir.join("node_modules/.sovra-installed");
    let lock = dir.join(".npm-ci.lock");
    let start = Instant::now();
    loop {
        if done.is_file() {
            return;
        }
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "waited 10 minutes for another test's `npm ci` ({} exists?)",
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let result = (|| {
        if done.is_file() {
            return Ok(());
        }
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("running npm ci: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "npm ci failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        std::fs::write(&done, b"").map_err(|e| e.to_string())
    })();
    let _ = std::fs::remove_dir(&lock);
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Sends one request to the JavaScript implementation.
fn javascript(request: Value) -> Value {
    let mut child = Command::new("node")
        .arg("interop.mjs")
        .current_dir(interop_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting node");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "interop.mjs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "interop.mjs answered {:?}: {e}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The Sovra contexts, as files the JavaScript loader reads: the exact
/// bytes Sovra verifies with and every node serves.
fn sovra_contexts() -> Value {
    let mut map = serde_json::Map::new();
    for served in SERVED_CONTEXTS {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contexts")
            .join(served.name);
        if path.is_file() {
            map.insert(served.url.to_owned(), json!(path.to_str().unwrap()));
        }
    }
    Value::Object(map)
}

/// The issuer: a did:key (so the issuer is the key's controller, as the
/// reference implementation requires).
fn issuer() -> ([u8; 32], String, String, String) {
    let secret = [0x5au8; 32];
    let public = ed25519_public_key_from_secret(&secret);
    let vm = did_key_verification_method(&public);
    let did = vm.split('#').next().unwrap().to_owned();
    (secret, did, vm, ed25519_public_key_to_multibase(&public))
}

fn health_credential(did: &str) -> Value {
    json!({
        "@context": [CREDENTIALS_V2_URL, SOVRA_CONTEXT_URL],
        "id": "urn:uuid:0b6f54c4-6a34-4a3e-8f6e-2f2a8d3c1e77",
        "type": ["VerifiableCredential", "HealthTestCredential"],
        "issuer": did,
        "validFrom": "2025-03-01T10:00:00Z",
        "validUntil": "2026-03-01T10:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "testType": "SARS-CoV-2 PCR",
            "result": "negative",
            "sampleCollected": "2025-03-01T09:30:00Z",
            "laboratory": "Example Labs"
        },
        "credentialStatus": [{
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "7",
            "statusListCredential": format!("{did}/status-lists/revocation")
        }]
    })
}

fn membership_credential(did: &str) -> Value {
    let mut c = json!({
        "id": "urn:uuid:6b1b1c2e-1f0a-4b8e-a7de-0c5e3f1f2a90",
        "type": ["VerifiableCredential", "MembershipCredential"],
        "issuer": did,
        "validFrom": "2025-03-01T10:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "name": "Alice",
            "memberSince": "2020"
        }
    });
    c = sovra_credentials::select::with_standard_contexts(
        sovra_credentials::ProofEngine::shared(),
        c,
    )
    .unwrap();
    c
}

fn js_verify(suite: Cryptosuite, credential: &Value, did: &str, vm: &str, key: &str) -> Value {
    javascript(json!({
        "action": "verify",
        "suite": suite.as_str(),
        "credential": credential,
        "now": NOW,
        "contexts": sovra_contexts(),
        "keys": [{"id": vm, "controller": did, "publicKeyMultibase": key}]
    }))
}

#[test]
fn the_reference_javascript_verifier_accepts_sovra_proofs_and_refuses_tampered_ones() {
    if !javascript_available() {
        return;
    }
    install_dependencies();
    let (secret, did, vm, key) = issuer();
    for suite in Cryptosuite::ALL {
        let mut options = ProofOptions::assertion(suite, &vm);
        options.created = Some(CREATED.to_owned());
        for credential in [health_credential(&did), membership_credential(&did)] {
            let signed = sign(&credential, &secret, &options).unwrap();
            let answer = js_verify(suite, &signed, &did, &vm, &key);
            assert_eq!(answer["verified"], true, "{suite}: {answer}\n{signed:#}");
            // A changed claim: refused by both.
            let mut tampered = signed.clone();
            tampered["credentialSubject"]["id"] = json!("did:key:z6MkiEvil");
            tampered["validUntil"] = json!("2099-01-01T00:00:00Z");
            let answer = js_verify(suite, &tampered, &did, &vm, &key);
            assert_eq!(answer["verified"], false, "{suite}: {answer}");
        }
    }
}

#[test]
fn the_reference_javascript_verifier_refuses_the_tampered_non_iri_claim() {
    if !javascript_available() {
        return;
    }
    install_dependencies();
    let (secret, did, vm, key) = issuer();
    // Signed over the blank node that `"laboratory": "Example Labs"` became
    // under the v1 context (see safe_mode.rs), then shown with a name.
    let mut credential = health_credential(&did);
    credential["@context"] = json!([CREDENTIALS_V2_URL, SOVRA_CONTEXT_V1_URL]);
    credential["credentialSubject"]["laboratory"] = json!({});
    let mut options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, &vm);
    options.created = Some(CREATED.to_owned());
    let signed = sign(&credential, &secret, &options).unwrap();
    assert_eq!(
        js_verify(Cryptosuite::EddsaRdfc2022, &signed, &did, &vm, &key)["verified"],
        true
    );
    for (what, edit) in [
        (
            "non-IRI laboratory",
            Box::new(|d: &mut Value| d["credentialSubject"]["laboratory"] = json!("Evil Labs"))
                as Box<dyn Fn(&mut Value)>,
        ),
        (
            "relative credential id",
            Box::new(|d: &mut Value| d["id"] = json!("credential-1")),
        ),
    ] {
        let mut shown = signed.clone();
        if what == "relative credential id" {
            // The id-less form is what a relative id became.
            let mut no_id = credential.clone();
            no_id.as_object_mut().unwrap().remove("id");
            shown = sign(&no_id, &secret, &options).unwrap();
        }
        edit(&mut shown);
        let answer = js_verify(Cryptosuite::EddsaRdfc2022, &shown, &did, &vm, &key);
        assert_eq!(answer["verified"], false, "{what}: {answer}");
        assert!(
            answer["error"].as_str().unwrap_or("").contains("Safe mode"),
            "{what}: the reference implementation should refuse it in safe mode: {answer}"
        );
        // Sovra refuses it too.
        let public = ed25519_public_key_from_did_key(&vm).unwrap();
        assert!(
            matches!(
                verify(&shown, only(vm.clone(), public)),
                Err(sovra_credentials::CredentialError::UnsafeDocument(_))
            ),
            "{what}"
        );
    }
}

#[test]
fn sovra_verifies_proofs_made_by_the_reference_javascript_signer() {
    if !javascript_available() {
        return;
    }
    install_dependencies();
    let (_, did, _, _) = issuer();
    for suite in Cryptosuite::ALL {
        for credential in [health_credential(&did), membership_credential(&did)] {
            let answer = javascript(json!({
                "action": "sign",
                "suite": suite.as_str(),
                "credential": credential,
                "contexts": sovra_contexts(),
                "controller": did,
                "now": CREATED
            }));
            let signed = &answer["signed"];
            let vm = answer["verificationMethod"].as_str().unwrap().to_owned();
            let public = sovra_credentials::ed25519_public_key_from_multibase(
                answer["publicKeyMultibase"].as_str().unwrap(),
            )
            .unwrap();
            let proof = verify(signed, only(vm.clone(), public))
                .unwrap_or_else(|e| panic!("{suite}: {e}\n{signed:#}"));
            assert_eq!(proof.cryptosuite, suite);
            let mut tampered = signed.clone();
            tampered["credentialSubject"]["name"] = json!("Mallory");
            assert!(verify(&tampered, only(vm, public)).is_err(), "{suite}");
        }
    }
}
