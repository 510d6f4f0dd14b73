//! The auth area: challenges (one use, one DID), signed answers for `did:key` and `did:sovra`
//! identities, sessions, and tokens that stop working once their key is rotated out or the DID
//! deactivated.

use crate::support::{CHAIN_ID, Harness, did_record, identity, sovra_did};
use axum::http::header;
use serde_json::{Value, json};
use sovra_api_types::auth::{AUTH_NAMESPACE, auth_message};
use sovra_crypto::{MultikeyType, SigningKey, encode_multikey};
use sovra_types::{Did, StateKey};

/// The verification method of a `did:key`.
fn key_method(key: &SigningKey, did: &Did) -> String {
    let raw: [u8; 32] = key.public_key().as_ref().try_into().unwrap();
    format!("{did}#{}", encode_multikey(MultikeyType::Ed25519, &raw))
}

async fn challenge_for(h: &Harness, did: &Did) -> String {
    let v = h
        .post_json("/v1/auth/challenge", &json!({ "did": did.as_str() }))
        .await
        .ok_json(200);
    v["challenge"].as_str().unwrap().to_string()
}

/// The body answering `challenge` as `did` with `key` under `method`.
fn answer(key: &SigningKey, did: &Did, method: &str, challenge: &str) -> Value {
    let message = auth_message(CHAIN_ID, did.as_str(), method, challenge);
    json!({
        "did": did.as_str(),
        "verification_method": method,
        "challenge": challenge,
        "signature": hex::encode(key.sign(AUTH_NAMESPACE, &message).as_ref()),
    })
}

pub(crate) async fn challenge(h: &Harness) {
    let (_, did) = identity(1);
    let v = h
        .post_json("/v1/auth/challenge", &json!({ "did": did.as_str() }))
        .await
        .ok_json(200);
    assert_eq!(v["chain_id"], CHAIN_ID);
    assert_eq!(v["challenge"].as_str().unwrap().len(), 64);
    assert!(v["expires_ms"].as_u64().unwrap() > 0);
    h.post_json("/v1/auth/challenge", &json!({ "did": "nobody" }))
        .await
        .error(400, "invalid_did");
    h.post_json(
        "/v1/auth/challenge",
        &json!({ "did": did.as_str(), "extra": true }),
    )
    .await
    .error(400, "malformed");
    h.post("/v1/auth/challenge", "text/plain", None, b"{}".to_vec())
        .await
        .error(415, "unsupported_media_type");
    h.post(
        "/v1/auth/challenge",
        "application/json",
        None,
        b"{".to_vec(),
    )
    .await
    .error(400, "malformed");
}

pub(crate) async fn token(h: &Harness) {
    // A did:key answers with its own key.
    let (key, did) = identity(1);
    let method = key_method(&key, &did);
    let c = challenge_for(h, &did).await;
    let v = h
        .post_json("/v1/auth/token", &answer(&key, &did, &method, &c))
        .await
        .ok_json(200);
    let token = v["token"].as_str().unwrap();
    assert_eq!(v["did"], did.as_str());
    let session = h.get_as("/v1/auth/session", token).await.ok_json(200);
    assert_eq!(session["did"], did.as_str());
    // A challenge is used once, even by a correct answer.
    h.post_json("/v1/auth/token", &answer(&key, &did, &method, &c))
        .await
        .error(401, "unauthorized");
    // A wrong key; a signature over another message; a challenge of another DID.
    let c = challenge_for(h, &did).await;
    let (other_key, other) = identity(2);
    h.post_json("/v1/auth/token", &answer(&other_key, &did, &method, &c))
        .await
        .error(401, "unauthorized");
    let c = challenge_for(h, &other).await;
    h.post_json("/v1/auth/token", &answer(&key, &did, &method, &c))
        .await
        .error(401, "unauthorized");
    // A method of another DID.
    let c = challenge_for(h, &did).await;
    h.post_json(
        "/v1/auth/token",
        &answer(&other_key, &did, &key_method(&other_key, &other), &c),
    )
    .await
    .error(401, "unauthorized");
    // Malformed answers.
    let mut bad = answer(&key, &did, &method, &c);
    bad["signature"] = json!("not hex");
    h.post_json("/v1/auth/token", &bad)
        .await
        .error(400, "malformed");
    let mut bad = answer(&key, &did, &method, &c);
    bad["verification_method"] = json!("no-did-url");
    h.post_json("/v1/auth/token", &bad)
        .await
        .error(400, "malformed");

    // A did:sovra answers with an authentication key of its current document.
    let sovra = sovra_did(h, 1, 3, false);
    let (sovra_key, _) = identity(3);
    let c = challenge_for(h, &sovra).await;
    let v = h
        .post_json(
            "/v1/auth/token",
            &answer(&sovra_key, &sovra, &format!("{sovra}#key-1"), &c),
        )
        .await
        .ok_json(200);
    assert_eq!(v["did"], sovra.as_str());
    // Unregistered and deactivated DIDs get no token.
    let unknown = Did::sovra(&[5; 16]);
    let c = challenge_for(h, &unknown).await;
    h.post_json(
        "/v1/auth/token",
        &answer(&sovra_key, &unknown, &format!("{unknown}#key-1"), &c),
    )
    .await
    .error(401, "unauthorized");
    let gone = sovra_did(h, 2, 3, true);
    let c = challenge_for(h, &gone).await;
    h.post_json(
        "/v1/auth/token",
        &answer(&sovra_key, &gone, &format!("{gone}#key-1"), &c),
    )
    .await
    .error(401, "unauthorized");
}

pub(crate) async fn session(h: &Harness) {
    h.get("/v1/auth/session").await.error(401, "unauthorized");
    h.get_as("/v1/auth/session", &"00".repeat(32))
        .await
        .error(401, "unauthorized");
    let a = h
        .send(
            axum::http::Request::get("/v1/auth/session")
                .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    a.error(401, "unauthorized");
    // A did:sovra's token works while its key authenticates the DID, and is forgotten once
    // the key is rotated out.
    let sovra = sovra_did(h, 1, 3, false);
    let (key, _) = identity(3);
    let c = challenge_for(h, &sovra).await;
    let method = format!("{sovra}#key-1");
    let token = h
        .post_json("/v1/auth/token", &answer(&key, &sovra, &method, &c))
        .await
        .ok_json(200)["token"]
        .as_str()
        .unwrap()
        .to_string();
    let v = h.get_as("/v1/auth/session", &token).await.ok_json(200);
    assert_eq!(v["did"], sovra.as_str());
    assert!(v.get("token").is_none());
    h.backend
        .put_state(StateKey::Did(sovra.clone()), did_record(3, 8, false));
    let m = h
        .get_as("/v1/auth/session", &token)
        .await
        .error(401, "unauthorized");
    assert!(m.contains("no longer"), "{m}");
    // Forgotten: even with the key back, the token stays refused.
    h.backend
        .put_state(StateKey::Did(sovra.clone()), did_record(4, 3, false));
    let m = h
        .get_as("/v1/auth/session", &token)
        .await
        .error(401, "unauthorized");
    assert!(m.contains("unknown token"), "{m}");
}
