//! DID resolution against a real node on loopback: `did:sovra` documents
//! created, updated, rotated and deactivated by transactions; resolution of
//! every version and by time, with proofs checked by the client (and
//! tampered proofs refused); the W3C error cases and status codes; the trust
//! registry; and everything still there after the node restarts.

use crate::common::{
    dev_key, did_doc as doc, init_testnet, port_base, run_tx as run, start, wait_until,
};
use serde_json::Value;
use sovra_client::{Client, DidVersionSelector, check_resolution};
use sovra_crypto::{MultikeyType, SigningKey};
use sovra_types::{
    AccountsAction, Action, Did, DidDocument, IdentityAction, RegistryAction, Relationship,
    Relationships, VerificationMethod, identity::derive_sovra_did,
};
use std::time::Duration;

fn did_key(k: &SigningKey) -> Did {
    Did::from_public_key(&k.public_key())
}

fn get(url: &str, accept: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(url);
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    let mut resp = req.call().unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap())
}

fn error_code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v["didResolutionMetadata"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn did_sovra_lifecycle_resolution_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let base = port_base();
    init_testnet(dir.path(), 1, 3, base);
    let mut node = start(dir.path(), 0);
    let api = format!("http://127.0.0.1:{base}");
    let client = Client::new(&api);
    wait_until("node API", Duration::from_secs(30), || {
        client.status().is_ok_and(|s| s.finalized_height > 0)
    });
    let (payer, k1, k2) = (dev_key(0), dev_key(1), dev_key(2));
    let payer_did = did_key(&payer);

    // Create: signed by the payer, whose key is the DID's first key.
    let chain = client.status().unwrap().chain_id;
    let nonce = client.account(&payer_did).unwrap().nonce;
    assert_eq!(
        run(
            &client,
            &payer,
            &payer_did,
            vec![Action::Identity(IdentityAction::Create {
                document: doc(&payer, &[]).with_key_of(&k1),
            })]
        ),
        "completed"
    );
    let did = derive_sovra_did(&chain, &payer_did, nonce, 0);
    // Fund it so it can sign its own updates; versions a second apart.
    client.transfer(&payer, &did, 1_000, 1).unwrap();
    std::thread::sleep(Duration::from_millis(1_100));
    // Version 2 adds a service; version 3 rotates to k2 only.
    let v2 = doc(&payer, &["web"]).with_key_of(&k1);
    assert_eq!(
        run(
            &client,
            &k1,
            &did,
            vec![Action::Identity(IdentityAction::Update {
                did: did.clone(),
                previous_version: 1,
                document: v2.clone(),
            })]
        ),
        "completed"
    );
    std::thread::sleep(Duration::from_millis(1_100));
    // A new key takes a new id (the ledger refuses `#key-1` naming another key).
    let mut v3 = doc(&k2, &["web"]);
    v3.methods[0].id = "key-3".into();
    assert_eq!(
        run(
            &client,
            &k1,
            &did,
            vec![Action::Identity(IdentityAction::Update {
                did: did.clone(),
                previous_version: 2,
                document: v3.clone(),
            })]
        ),
        "completed"
    );

    // Every version resolves, verified, to exactly what it was given.
    let resolve = |sel| client.resolve_verified(&did, sel).unwrap();
    let latest = resolve(DidVersionSelector::Latest).unwrap();
    let latest_record = latest.record.clone().unwrap();
    assert_eq!(latest_record.version, 3);
    assert_eq!(latest_record.document, v3);
    let r1 = resolve(DidVersionSelector::Version(1))
        .unwrap()
        .record
        .unwrap();
    let r2 = resolve(DidVersionSelector::Version(2))
        .unwrap()
        .record
        .unwrap();
    assert_eq!(r2.document, v2);
    assert_eq!(r1.document, doc(&payer, &[]).with_key_of(&k1));
    assert!(resolve(DidVersionSelector::Version(4)).is_err());
    // By time: each version's own time selects it, just before creation nothing.
    for r in [&r1, &r2, &latest_record] {
        let at = resolve(DidVersionSelector::Time(r.updated_ms)).unwrap();
        assert_eq!(at.record.unwrap().version, r.version);
    }
    assert!(resolve(DidVersionSelector::Time(r1.created_ms - 1)).is_err());
    let between = resolve(DidVersionSelector::Time(latest_record.updated_ms - 1))
        .unwrap()
        .record
        .unwrap();
    assert_eq!(between.version, 2);
    // A DID that was never created is proven absent.
    let ghost = derive_sovra_did(&chain, &payer_did, 999, 0);
    assert!(
        client
            .resolve_verified(&ghost, DidVersionSelector::Latest)
            .unwrap()
            .is_err()
    );

    // Tampered answers are refused; a tampered document is ignored in favour
    // of the one rebuilt from the proven record.
    let (status, body) = client
        .resolve(did.as_str(), DidVersionSelector::Latest, true)
        .unwrap();
    assert_eq!(status, 200);
    let mut tampered = body.clone();
    let value = tampered["sovraProofs"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = format!(
        "{}{}",
        &value[..value.len() - 1],
        if value.ends_with('0') { '1' } else { '0' }
    );
    tampered["sovraProofs"][0]["value"] = Value::String(flipped);
    assert!(check_resolution(&did, DidVersionSelector::Latest, status, &tampered).is_err());
    let (_, old) = client
        .resolve(did.as_str(), DidVersionSelector::Version(1), true)
        .unwrap();
    let mut swapped = body.clone();
    swapped["sovraProofs"] = old["sovraProofs"].clone();
    assert!(check_resolution(&did, DidVersionSelector::Latest, status, &swapped).is_err());
    let mut lying = body.clone();
    lying["didDocument"]["verificationMethod"][0]["publicKeyMultibase"] =
        Value::String("z6Mkevil".into());
    let rebuilt = check_resolution(&did, DidVersionSelector::Latest, status, &lying)
        .unwrap()
        .unwrap();
    assert_eq!(rebuilt.document, body["didDocument"]);

    // The rotated-out key can no longer sign as the DID.
    let tx = client
        .build_tx(
            &k1,
            &did,
            vec![Action::Accounts(AccountsAction::Transfer {
                to: payer_did.clone(),
                amount: 1,
            })],
            1,
        )
        .unwrap();
    match client.send_signed(&tx) {
        Err(sovra_client::ClientError::Refused { code, .. }) => assert_eq!(code, "bad_signature"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // W3C resolution errors and their HTTP statuses.
    let url = |path: &str| format!("{api}/1.0/identifiers/{path}");
    for (path, status, code) in [
        ("not-a-did".to_string(), 400, "invalidDid"),
        ("did:sovra:0OIl".to_string(), 400, "invalidDid"),
        ("did:web:example.com".to_string(), 501, "methodNotSupported"),
        (ghost.to_string(), 404, "notFound"),
        (format!("{did}?versionId=9"), 404, "notFound"),
        (format!("{did}?versionId=zero"), 400, "invalidOptions"),
        (
            format!("{did}?versionTime=yesterday"),
            400,
            "invalidOptions",
        ),
        (
            format!("{did}?versionId=1&versionTime=2026-01-01T00:00:00Z"),
            400,
            "invalidOptions",
        ),
    ] {
        let (got, body) = get(&url(&path), None);
        assert_eq!(
            (got, error_code(&body).as_str()),
            (status, code),
            "{path}: {body}"
        );
    }
    // Metadata of an old version points at the next one.
    let (got, body) = get(&url(&format!("{did}?versionId=1")), None);
    assert_eq!(got, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["didDocumentMetadata"]["versionId"], "1");
    assert_eq!(v["didDocumentMetadata"]["nextVersionId"], "2");
    // A bare document on request.
    let (got, body) = get(&url(did.as_str()), Some("application/did+ld+json"));
    assert_eq!(got, 200);
    let bare: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(bare["id"], did.as_str());
    // did:key resolves with its derived X25519 keyAgreement key.
    let (got, body) = get(
        &url("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"),
        None,
    );
    assert_eq!(got, 200);
    assert!(body.contains("z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW"));

    // Trust registry: the genesis authority (dev key 0) registers a lab.
    let lab = did_key(&k2);
    assert_eq!(
        run(
            &client,
            &payer,
            &payer_did,
            vec![Action::Registry(RegistryAction::RegisterVerifier {
                verifier: lab.clone(),
                name: "Example Labs".into(),
                credential_types: vec!["HealthTestCredential".into()],
            })]
        ),
        "completed"
    );
    let verifiers = client.verifiers().unwrap();
    assert_eq!(verifiers.len(), 1);
    assert_eq!(verifiers[0].did, lab.to_string());
    // Someone else cannot.
    assert_eq!(
        run(
            &client,
            &k1,
            &did_key(&k1),
            vec![Action::Registry(RegistryAction::RemoveVerifier {
                verifier: lab.clone()
            })]
        ),
        "failed"
    );

    // DID-authenticated requests.
    let session = client.authenticate(&payer, &payer_did, None).unwrap();
    let token = session.token.clone().unwrap();
    assert_eq!(client.session(&token).unwrap().did, payer_did.to_string());
    let method = format!("{did}#key-3");
    let session = client.authenticate(&k2, &did, Some(&method)).unwrap();
    assert_eq!(session.did, did.to_string());
    let refused = |r: Result<sovra_api_types::auth::SessionView, sovra_client::ClientError>| match r
    {
        Err(sovra_client::ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (401, "unauthorized"))
        }
        other => panic!("expected 401, got {other:?}"),
    };
    refused(client.authenticate(&k1, &did, Some(&method))); // key not in the document
    refused(client.authenticate(&k2, &did, Some(&format!("{did}#key-9")))); // no such method
    refused(client.session(&"ab".repeat(32))); // unknown token
    // A forged answer and a replayed one.
    let post = |path: &str, body: serde_json::Value| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .post(&format!("{api}{path}"))
            .send_json(&body)
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str::<Value>(&text).unwrap())
    };
    let (_, challenge) = post(
        "/v1/auth/challenge",
        serde_json::json!({ "did": did.as_str() }),
    );
    let challenge = challenge["challenge"].as_str().unwrap().to_string();
    let message = sovra_api_types::auth::auth_message(&chain, did.as_str(), &method, &challenge);
    let forged = k2.sign(sovra_api_types::auth::AUTH_NAMESPACE, b"something else");
    let good = k2.sign(sovra_api_types::auth::AUTH_NAMESPACE, &message);
    let answer = |sig: &sovra_crypto::Signature| {
        serde_json::json!({
            "did": did.as_str(), "verification_method": method,
            "challenge": challenge, "signature": hex::encode(sig.as_ref()),
        })
    };
    assert_eq!(post("/v1/auth/token", answer(&forged)).0, 401);
    // The forged attempt used the challenge up: even the right signature is now a replay.
    assert_eq!(post("/v1/auth/token", answer(&good)).0, 401);
    let (_, challenge2) = post(
        "/v1/auth/challenge",
        serde_json::json!({ "did": did.as_str() }),
    );
    let challenge2 = challenge2["challenge"].as_str().unwrap().to_string();
    let message2 = sovra_api_types::auth::auth_message(&chain, did.as_str(), &method, &challenge2);
    let body2 = serde_json::json!({
        "did": did.as_str(), "verification_method": method, "challenge": challenge2,
        "signature": hex::encode(k2.sign(sovra_api_types::auth::AUTH_NAMESPACE, &message2).as_ref()),
    });
    assert_eq!(post("/v1/auth/token", body2.clone()).0, 200);
    assert_eq!(post("/v1/auth/token", body2).0, 401, "replayed answer");
    let (status, _) = get(&format!("{api}/v1/auth/session"), None);
    assert_eq!(status, 401, "no token");

    // Deactivation: 410 with deactivated metadata; the DID can no longer sign.
    assert_eq!(
        run(
            &client,
            &k2,
            &did,
            vec![Action::Identity(IdentityAction::Deactivate {
                did: did.clone(),
                previous_version: 3,
            })]
        ),
        "completed"
    );
    let (got, body) = get(&url(did.as_str()), None);
    assert_eq!(got, 410);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["didDocumentMetadata"]["deactivated"], true);
    refused(client.authenticate(&k2, &did, Some(&method)));
    let tx = client
        .build_tx(
            &k2,
            &did,
            vec![Action::Accounts(AccountsAction::Transfer {
                to: payer_did.clone(),
                amount: 1,
            })],
            1,
        )
        .unwrap();
    match client.send_signed(&tx) {
        Err(sovra_client::ClientError::Refused { code, .. }) => {
            assert_eq!(code, "signer_deactivated")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // After a crash and restart every version is still there.
    drop(node);
    node = start(dir.path(), 0);
    wait_until("node API after restart", Duration::from_secs(30), || {
        client.status().is_ok()
    });
    let r1_again = client
        .resolve_verified(&did, DidVersionSelector::Version(1))
        .unwrap()
        .unwrap()
        .record
        .unwrap();
    assert_eq!(r1_again, r1);
    assert_eq!(client.verifiers().unwrap().len(), 1);
    drop(node);
}

trait WithKeyOf {
    fn with_key_of(self, k: &SigningKey) -> Self;
}

impl WithKeyOf for DidDocument {
    /// Adds `k` as `#key-2` under authentication only.
    fn with_key_of(mut self, k: &SigningKey) -> Self {
        self.methods.push(VerificationMethod {
            id: "key-2".into(),
            key_type: MultikeyType::Ed25519,
            public_key: k.public_key().as_ref().try_into().unwrap(),
            relationships: Relationships::of(&[
                Relationship::Authentication,
                Relationship::CapabilityInvocation,
            ]),
        });
        self
    }
}
