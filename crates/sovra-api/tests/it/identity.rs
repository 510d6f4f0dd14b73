//! The identity area: W3C DID resolution (its own result shape for every answer, options
//! checked before the DID is looked up, proofs on request) and the trust registry.

use crate::support::{CREATED_MS, Harness, UPDATED_MS, identity, sovra_did};
use axum::http::header;
use sovra_types::{StateKey, VerifierRecord};
use std::sync::atomic::Ordering;

const RESOLUTION: &str = "application/ld+json;profile=\"https://w3id.org/did-resolution\"";

/// The resolution error code of an answer (checking it has the resolution shape).
#[track_caller]
fn resolution_error(a: &crate::support::Answer, status: u16) -> String {
    assert_eq!(a.status.as_u16(), status, "{}", a.text());
    assert_eq!(a.header(header::CONTENT_TYPE), RESOLUTION);
    let v = a.json();
    assert!(v["didDocument"].is_null(), "{v}");
    assert!(
        v["didResolutionMetadata"]["errorMessage"].is_string(),
        "{v}"
    );
    v["didResolutionMetadata"]["error"]
        .as_str()
        .unwrap()
        .to_string()
}

pub(crate) async fn resolve(h: &Harness) {
    // A did:key is derived, needs no ledger.
    let (_, key_did) = identity(1);
    let a = h.get(&format!("/1.0/identifiers/{key_did}")).await;
    let v = a.ok_json(200);
    assert_eq!(a.header(header::CONTENT_TYPE), RESOLUTION);
    assert_eq!(v["didDocument"]["id"], key_did.as_str());
    assert_eq!(v["didDocumentMetadata"]["versionId"], "1");
    // The bare document when asked for it.
    let a = h
        .get_accept(
            &format!("/1.0/identifiers/{key_did}"),
            "application/did+ld+json",
        )
        .await;
    assert_eq!(a.header(header::CONTENT_TYPE), "application/did+ld+json");
    assert_eq!(a.ok_json(200)["id"], key_did.as_str());

    // A did:sovra from the ledger: newest, by version, by time, with proofs.
    let did = sovra_did(h, 1, 2, false);
    let v = h.get(&format!("/1.0/identifiers/{did}")).await.ok_json(200);
    assert_eq!(v["didDocument"]["id"], did.as_str());
    assert_eq!(v["didDocumentMetadata"]["versionId"], "2");
    let v = h
        .get(&format!("/1.0/identifiers/{did}?versionId=1"))
        .await
        .ok_json(200);
    assert_eq!(v["didDocumentMetadata"]["versionId"], "1");
    assert_eq!(v["didDocumentMetadata"]["nextVersionId"], "2");
    let between = sovra_types::datetime::format_ms(CREATED_MS + 50_000);
    let v = h
        .get(&format!("/1.0/identifiers/{did}?versionTime={between}"))
        .await
        .ok_json(200);
    assert_eq!(v["didDocumentMetadata"]["versionId"], "1");
    let after = sovra_types::datetime::format_ms(UPDATED_MS + 1_000);
    let v = h
        .get(&format!(
            "/1.0/identifiers/{did}?versionTime={after}&proof=true"
        ))
        .await
        .ok_json(200);
    assert_eq!(v["didDocumentMetadata"]["versionId"], "2");
    let proofs = v["sovraProofs"].as_array().unwrap();
    assert_eq!(proofs[0]["key"], format!("did-version:{did}/2"));
    assert_eq!(proofs[1]["key"], format!("did-version:{did}/3"));

    // Not found, with a proof of absence on request.
    let unknown = sovra_types::Did::sovra(&[9; 16]);
    let a = h
        .get(&format!("/1.0/identifiers/{unknown}?proof=true"))
        .await;
    assert_eq!(resolution_error(&a, 404), "notFound");
    assert_eq!(
        a.json()["sovraProofs"][0]["key"],
        format!("did-doc:{unknown}")
    );
    let a = h.get(&format!("/1.0/identifiers/{did}?versionId=7")).await;
    assert_eq!(resolution_error(&a, 404), "notFound");
    let before = sovra_types::datetime::format_ms(CREATED_MS - 1_000);
    let a = h
        .get(&format!("/1.0/identifiers/{did}?versionTime={before}"))
        .await;
    assert_eq!(resolution_error(&a, 404), "notFound");
    let a = h
        .get(&format!("/1.0/identifiers/{key_did}?versionId=2"))
        .await;
    assert_eq!(resolution_error(&a, 404), "notFound");

    // Deactivated: 410 with the last document.
    let gone = sovra_did(h, 2, 3, true);
    let a = h.get(&format!("/1.0/identifiers/{gone}")).await;
    let v = a.ok_json(410);
    assert_eq!(v["didDocumentMetadata"]["deactivated"], true);
    assert_eq!(v["didDocument"]["id"], gone.as_str());

    // Refusals, in the resolution shape.
    let a = h.get("/1.0/identifiers/did:web:example.com").await;
    assert_eq!(resolution_error(&a, 501), "methodNotSupported");
    for bad in [
        "garbage",
        "did:UPPER:x",
        "did:sovra:",
        "did:sovra:not-base58!",
    ] {
        let a = h.get(&format!("/1.0/identifiers/{bad}")).await;
        assert_eq!(resolution_error(&a, 400), "invalidDid", "{bad}");
    }
    // Options are checked whatever the DID (even one that does not exist).
    for query in [
        "versionId=0",
        "versionId=x",
        "versionTime=yesterday",
        "proof=yes",
        "versionId=1&versionTime=2024-01-01T00:00:00Z",
    ] {
        let a = h.get(&format!("/1.0/identifiers/{unknown}?{query}")).await;
        assert_eq!(resolution_error(&a, 400), "invalidOptions", "{query}");
    }
    // A failing node: still the resolution shape.
    h.backend.fail.store(true, Ordering::SeqCst);
    let a = h.get(&format!("/1.0/identifiers/{did}")).await;
    assert_eq!(resolution_error(&a, 500), "internalError");
}

fn register(h: &Harness, seed: u64, name: &str) -> sovra_types::Did {
    let (_, did) = identity(seed);
    h.backend.put_state(
        StateKey::Verifier(did.clone()),
        VerifierRecord {
            name: name.into(),
            credential_types: vec!["HealthTestCredential".into()],
            registered_height: 1,
            registered_ms: CREATED_MS,
        },
    );
    h.backend.verifiers.lock().unwrap().push(did.clone());
    did
}

pub(crate) async fn list_verifiers(h: &Harness) {
    let v = h.get("/v1/verifiers").await.ok_json(200);
    assert_eq!(v, serde_json::json!([]));
    let lab = register(h, 1, "Lab");
    register(h, 2, "Clinic");
    let v = h.get("/v1/verifiers").await.ok_json(200);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["did"], lab.as_str());
    assert_eq!(list[0]["name"], "Lab");
    assert_eq!(list[0]["credential_types"][0], "HealthTestCredential");
    assert_eq!(list[0]["registered_at"], "2023-11-14T22:13:20Z");
    // The listing is bounded.
    assert_eq!(h.backend.asked.lock().unwrap().verifiers, vec![1000, 1000]);
    h.backend.fail.store(true, Ordering::SeqCst);
    h.get("/v1/verifiers").await.error(500, "internal");
}

pub(crate) async fn verifier(h: &Harness) {
    let lab = register(h, 1, "Lab");
    let v = h.get(&format!("/v1/verifiers/{lab}")).await.ok_json(200);
    assert_eq!(v["name"], "Lab");
    let (_, stranger) = identity(7);
    h.get(&format!("/v1/verifiers/{stranger}"))
        .await
        .error(404, "not_found");
    h.get("/v1/verifiers/nobody")
        .await
        .error(400, "invalid_did");
    // A record that does not decode is the node's fault.
    h.backend.state.lock().unwrap().insert(
        StateKey::Verifier(lab.clone()).to_string(),
        vec![0xff, 0x00],
    );
    h.get(&format!("/v1/verifiers/{lab}"))
        .await
        .error(500, "internal");
}
