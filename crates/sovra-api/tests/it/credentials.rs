//! The credentials area: VC-API verification of credentials and presentations (verdicts,
//! malformed bodies, the document and credential-count limits), anchored status lists and the
//! JSON-LD contexts.

use crate::support::{Harness, identity};
use serde_json::{Value, json};
use sovra_api::{MAX_DOCUMENT_BYTES, MAX_PRESENTED_CREDENTIALS};
use sovra_credentials::{Cryptosuite, ProofOptions, did_key_verification_method, sign};
use sovra_types::{ContentId, Did, StateKey, StatusListAnchor, VerifierRecord};

fn vm(seed: u64) -> String {
    let (key, _) = identity(seed);
    did_key_verification_method(&key.public_key().as_ref().try_into().unwrap())
}

/// A credential about `subject` issued (signed) by the `did:key` of `issuer_seed`.
fn credential(issuer_seed: u64, subject: &Did) -> Value {
    let (key, issuer) = identity(issuer_seed);
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "HealthTestCredential"],
        "issuer": issuer.as_str(),
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": { "id": subject.as_str(), "result": "negative" }
    });
    let options = ProofOptions::assertion(Cryptosuite::EddsaJcs2022, vm(issuer_seed));
    sign(&unsigned, &key.seed(), &options).unwrap()
}

/// Registers the `did:key` of `seed` as a verifier of health test credentials.
fn register_issuer(h: &Harness, seed: u64) {
    let (_, did) = identity(seed);
    h.backend.put_state(
        StateKey::Verifier(did),
        VerifierRecord {
            name: "Lab".into(),
            credential_types: vec!["HealthTestCredential".into()],
            registered_height: 1,
            registered_ms: 0,
        },
    );
}

pub(crate) async fn verify_credential(h: &Harness) {
    register_issuer(h, 1);
    let (_, holder) = identity(2);
    let vc = credential(1, &holder);
    let v = h
        .post_json(
            "/credentials/verify",
            &json!({ "verifiableCredential": vc }),
        )
        .await
        .ok_json(200);
    assert_eq!(v["verified"], true, "{v}");
    assert!(v["checks"].as_array().unwrap().contains(&json!("registry")));
    // Altered after signing: not verified, same shape, 400.
    let mut altered = vc.clone();
    altered["credentialSubject"]["result"] = json!("positive");
    let v = h
        .post_json(
            "/credentials/verify",
            &json!({ "verifiableCredential": altered }),
        )
        .await
        .ok_json(400);
    assert_eq!(v["verified"], false);
    assert!(!v["errors"].as_array().unwrap().is_empty());
    // An issuer outside the trust registry.
    let v = h
        .post_json(
            "/credentials/verify",
            &json!({ "verifiableCredential": credential(3, &holder) }),
        )
        .await
        .ok_json(400);
    assert_eq!(v["verified"], false);
    // Malformed bodies: not JSON, duplicate keys, missing fields.
    for body in [
        b"{".to_vec(),
        br#"{"verifiableCredential": {}, "verifiableCredential": {}}"#.to_vec(),
        br#"{"options": {}}"#.to_vec(),
    ] {
        h.post("/credentials/verify", "application/json", None, body)
            .await
            .error(400, "malformed");
    }
    // The document limit is lower than the API's.
    let big = format!(
        r#"{{"verifiableCredential": {{"pad": "{}"}}}}"#,
        "x".repeat(MAX_DOCUMENT_BYTES)
    );
    h.post(
        "/credentials/verify",
        "application/json",
        None,
        big.into_bytes(),
    )
    .await
    .error(413, "body_too_large");
}

/// A presentation by the `did:key` of `holder_seed` of `credentials`, bound to `challenge`.
fn presentation(holder_seed: u64, credentials: Vec<Value>, challenge: &str) -> Value {
    let (key, holder) = identity(holder_seed);
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.as_str(),
        "verifiableCredential": credentials,
    });
    let options = ProofOptions::authentication(
        Cryptosuite::EddsaJcs2022,
        vm(holder_seed),
        challenge,
        "verifier.example",
    );
    sign(&unsigned, &key.seed(), &options).unwrap()
}

pub(crate) async fn verify_presentation(h: &Harness) {
    register_issuer(h, 1);
    let (_, holder) = identity(2);
    let vp = presentation(2, vec![credential(1, &holder)], "c-1");
    let request = |vp: &Value, challenge: &str| {
        json!({
            "verifiablePresentation": vp,
            "options": { "challenge": challenge, "domain": "verifier.example" }
        })
    };
    let v = h
        .post_json("/presentations/verify", &request(&vp, "c-1"))
        .await
        .ok_json(200);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["credentials"][0]["verified"], true);
    // Another verifier's challenge: refused.
    let v = h
        .post_json("/presentations/verify", &request(&vp, "c-2"))
        .await
        .ok_json(400);
    assert_eq!(v["verified"], false);
    // Too many credentials: refused before any is verified.
    let many = vec![json!({}); MAX_PRESENTED_CREDENTIALS + 1];
    let vp = presentation(2, many, "c-1");
    h.post_json("/presentations/verify", &request(&vp, "c-1"))
        .await
        .error(400, "too_many_credentials");
    h.post(
        "/presentations/verify",
        "application/json",
        None,
        b"[]".to_vec(),
    )
    .await
    .error(400, "malformed");
}

pub(crate) async fn status_list(h: &Harness) {
    let (_, issuer) = identity(1);
    let list = br#"{"type": ["VerifiableCredential", "BitstringStatusListCredential"]}"#.to_vec();
    let cid = sovra_cas::raw_cid(&list);
    h.backend.put_state(
        StateKey::StatusList {
            issuer: issuer.clone(),
            list_id: "revocation-1".into(),
        },
        StatusListAnchor {
            cid: ContentId::new(cid),
            version: 3,
            height: 1,
            updated_ms: 0,
        },
    );
    let uri = format!("/v1/status-lists/{issuer}/revocation-1");
    // Anchored but its content is nowhere: 503.
    let m = h.get(&uri).await.error(503, "unavailable");
    assert!(m.contains("status list content"), "{m}");
    h.backend.content.put_all(vec![(cid, list.clone())]);
    let a = h.get(&uri).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, list);
    assert_eq!(a.header("content-type"), "application/vc+ld+json");
    assert_eq!(a.header("etag"), format!("\"{cid}\""));
    assert_eq!(a.header("x-sovra-anchor-version"), "3");
    h.get(&format!("/v1/status-lists/{issuer}/revocation-2"))
        .await
        .error(404, "not_found");
    h.get(&format!("/v1/status-lists/{issuer}/not%20an%20id"))
        .await
        .error(400, "invalid_status_list");
    h.get("/v1/status-lists/nobody/revocation-1")
        .await
        .error(400, "invalid_did");
}

pub(crate) async fn list_contexts(h: &Harness) {
    let v = h.get("/contexts").await.ok_json(200);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), sovra_credentials::SERVED_CONTEXTS.len());
    assert!(
        list.iter()
            .all(|c| c["path"].as_str().unwrap().starts_with("/contexts/"))
    );
}

pub(crate) async fn context(h: &Harness) {
    let a = h.get("/contexts/sovra-credentials-v2.jsonld").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, sovra_credentials::SOVRA_CONTEXT.as_bytes());
    h.get("/contexts/nope.jsonld").await.error(404, "not_found");
}
