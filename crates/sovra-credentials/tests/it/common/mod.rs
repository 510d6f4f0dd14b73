//! Shared helpers for the integration tests: locating the W3C vc-di-eddsa
//! test vectors (kept in `tests/vectors`) and reading them.

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// The W3C vc-di-eddsa test vectors kept in this crate
/// (`tests/vectors/vc-di-eddsa`; see `tests/vectors/README.md` for their
/// source and licence).
pub(crate) fn vectors_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
        .join("vc-di-eddsa");
    assert!(
        dir.join("keyPair.json").is_file(),
        "W3C vc-di-eddsa test vectors not found at {}",
        dir.display()
    );
    dir
}

/// Reads a vector file as text.
pub(crate) fn text(rel: &str) -> String {
    let path = vectors_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Reads a vector file as JSON.
pub(crate) fn json(rel: &str) -> Value {
    serde_json::from_str(&text(rel)).unwrap_or_else(|e| panic!("parsing {rel}: {e}"))
}

/// The vectors' key pair: (secret seed, public key, did:key verification method).
pub(crate) fn key_pair() -> ([u8; 32], [u8; 32], String) {
    let pair = json("keyPair.json");
    let public_mb = pair["publicKeyMultibase"].as_str().unwrap();
    let secret = sovra_credentials::ed25519_secret_key_from_multibase(
        pair["privateKeyMultibase"].as_str().unwrap(),
    )
    .unwrap();
    let public = sovra_credentials::ed25519_public_key_from_multibase(public_mb).unwrap();
    (secret, public, format!("did:key:{public_mb}#{public_mb}"))
}

/// A key lookup that accepts exactly one verification method.
pub(crate) fn only(vm: String, key: [u8; 32]) -> impl Fn(&str) -> Result<[u8; 32], String> {
    move |method: &str| {
        if method == vm {
            Ok(key)
        } else {
            Err(format!("untrusted verification method {method}"))
        }
    }
}

/// The test-only reduced `https://w3id.org/citizenship/v4rc1` context (terms
/// of the employment-authorization vector only, reconstructed from the
/// vector's canonical N-Quads).
pub(crate) const CITIZENSHIP_V4RC1_URL: &str = "https://w3id.org/citizenship/v4rc1";

/// An engine that also knows the reduced citizenship context.
pub(crate) fn engine_with_citizenship() -> sovra_credentials::ProofEngine {
    sovra_credentials::ProofEngine::new()
        .with_context(
            CITIZENSHIP_V4RC1_URL,
            include_str!("../../fixtures/citizenship-v4rc1-subset.jsonld"),
        )
        .unwrap()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
