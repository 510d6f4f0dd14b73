//! W3C Data Integrity proofs for Sovra Verifiable Credentials and
//! Presentations, with the two EdDSA cryptosuites of
//! [vc-di-eddsa](https://www.w3.org/TR/vc-di-eddsa/):
//! `eddsa-rdfc-2022` and `eddsa-jcs-2022`.
//!
//! This is a pure library: no network, no disk, no clock except when a proof
//! is signed without an explicit `created` time.
//!
//! # Use
//!
//! ```
//! use sovra_credentials::{sign, verify, Cryptosuite, ProofOptions, SOVRA_CONTEXT_URL};
//! use sovra_credentials::{did_key_verification_method, ed25519_public_key_from_secret};
//!
//! let secret = [7u8; 32];
//! let public = ed25519_public_key_from_secret(&secret);
//! let vm = did_key_verification_method(&public);
//! let credential = serde_json::json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2", SOVRA_CONTEXT_URL],
//!     "type": ["VerifiableCredential", "HealthTestCredential"],
//!     "issuer": "did:sovra:lab",
//!     "credentialSubject": {
//!         "id": "did:sovra:alice",
//!         "testType": "PCR",
//!         "result": "negative",
//!         "sampleCollected": "2025-03-01T09:30:00Z",
//!         "laboratory": "did:sovra:lab"
//!     }
//! });
//! let mut options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm.clone());
//! options.created = Some("2025-03-01T10:00:00Z".into());
//! let signed = sign(&credential, &secret, &options)?;
//! let proof = verify(&signed, |method| {
//!     if method == vm { Ok(public) } else { Err(format!("unknown key {method}")) }
//! })?;
//! assert_eq!(proof.verification_method, vm);
//! # Ok::<(), sovra_credentials::CredentialError>(())
//! ```
//!
//! # Which parts of ssi are used, and why not its high-level API
//!
//! The design mandates ssi 0.16. This crate uses ssi 0.16.0's own building
//! blocks, at the exact versions `ssi =0.16.0` resolves to:
//!
//! - `ssi-json-ld` 0.3.3: JSON-LD expansion ([`ssi_json_ld::CompactJsonLd`],
//!   with ssi's strict policy that rejects undefined terms) and its static
//!   context documents ([`ssi_json_ld::StaticLoader`], from `ssi-contexts`);
//! - `ssi-rdf` 0.1.1: RDF Dataset Canonicalization (URDNA2015 / RDFC-1.0) to
//!   canonical N-Quads;
//! - `serde_jcs` 0.1.0: JSON Canonicalization Scheme, the crate ssi uses for
//!   its JCS suites;
//! - `ssi-multicodec` 0.2.0 and `multibase` 0.9: key and signature encodings;
//! - `ed25519-dalek` 2.2.0 (the Ed25519 implementation ssi uses) for RFC 8032
//!   signatures over the raw 64-byte `hashData`. commonware's Ed25519 is not
//!   usable here because it always prefixes a namespace to the message.
//!
//! Only the thin cryptosuite glue is written here: build the proof
//! configuration, hash canonical proof configuration ‖ hash canonical
//! document with SHA-256, sign, encode `proofValue` as base58btc multibase
//! (see [`canonical`] and [`proof`]). The transformation for
//! `eddsa-rdfc-2022` is the same as ssi's own `EdDsaRdfc2022` suite
//! (expand, then canonical N-Quads), checked against the W3C test vectors.
//!
//! ssi's high-level `DataIntegrity` / `AnySuite` API was not used because:
//!
//! 1. ssi 0.16 has no `eddsa-jcs-2022` suite at all (`AnySuite` would reject
//!    such proofs when deserializing), so JCS needs this glue anyway, and one
//!    code path for both suites keeps them consistent;
//! 2. "the caller supplies the key for a verification method" would have to
//!    be squeezed through a custom `VerificationMethodResolver` producing
//!    `Multikey` documents plus a controller resolver that approves every
//!    proof purpose, and ssi's `verify` also validates the claims (validity
//!    dates against a clock), which is the caller's business, not the
//!    proof's;
//! 3. the `ssi` umbrella crate, even with `default-features = false`, pulls
//!    in every DID method (did-ion, did-tz, did-web, ...) and an HTTP client
//!    (reqwest, hyper, rustls): about 480 crates for this crate against about
//!    210 with the sub-crates, on a 2-core build machine.
//!
//! The JSON-LD work is `async` in ssi only because loaders may fetch; the
//! offline loader never waits, so the calls are driven with
//! [`futures::executor::block_on`] and the API is synchronous (safe to call
//! from inside an async runtime: it is plain CPU work).
//!
//! # Contexts
//!
//! Contexts are loaded offline only; see [`contexts`] for the list and
//! [`SOVRA_CONTEXT_URL`] for the Sovra context. Unknown remote contexts fail
//! with [`CredentialError::UnknownContext`], for both suites (for
//! `eddsa-jcs-2022`, whose signature involves no JSON-LD, the `@context`
//! URLs are still checked against the store).
//!
//! # Safe mode
//!
//! Signing and verifying refuse documents whose signed form would not cover
//! every value a reader sees ([`CredentialError::UnsafeDocument`]; see
//! [`safe`]): with `eddsa-rdfc-2022`, anything JSON-LD would drop or turn
//! into an unsigned blank node (a non-IRI where the context expects an IRI,
//! a relative `id`, `null`, `@index`, inline contexts, ...); with both
//! suites, integers a double rounds. Parse documents from bytes with
//! [`parse_document`], which also refuses duplicate keys.
//!
//! # What is checked on verification
//!
//! One `DataIntegrityProof` (proof sets and chains are not supported), of a
//! supported cryptosuite, with a known proof purpose, a well-formed `created`
//! if present, and a valid signature under the key the caller's lookup
//! returns for the proof's `verificationMethod`. The caller decides whether
//! that key may speak for the issuer (it resolves DIDs itself) and checks
//! the credential's own claims (validity dates, status). Expected purpose,
//! challenge and domain can be enforced with [`verify_with_options`].

pub mod canonical;
pub mod contexts;
mod error;
pub mod json;
pub mod keys;
pub mod proof;
pub mod safe;
pub mod select;
pub mod status;
mod types;
pub mod verify;

pub use canonical::CanonicalForms;
pub use contexts::{
    CREDENTIALS_V2_URL, REQUIRED_CONTEXTS, SERVED_CONTEXTS, SOVRA_CONTEXT, SOVRA_CONTEXT_URL,
    SOVRA_CONTEXT_V1_URL, UNDEFINED_TERMS_CONTEXT_URL,
};
pub use error::{CredentialError, ErrorDetail};
pub use json::parse_document;
pub use keys::{
    did_key_verification_method, ed25519_public_key_from_did_key,
    ed25519_public_key_from_multibase, ed25519_public_key_from_secret,
    ed25519_public_key_to_multibase, ed25519_secret_key_from_multibase,
};
pub use proof::ProofEngine;
pub use types::{Cryptosuite, ProofOptions, ProofPurpose, VerifiedProof, VerifyOptions};

/// Adds a `DataIntegrityProof` to `document` (a JSON object: a credential or
/// a presentation), signed with an Ed25519 secret key (32-byte seed), using
/// the default [`ProofEngine`] (ssi's static contexts plus the Sovra
/// context).
///
/// The document must not already have a top-level `proof`.
pub fn sign(
    document: &serde_json::Value,
    secret_key: &[u8; 32],
    options: &ProofOptions,
) -> Result<serde_json::Value, CredentialError> {
    ProofEngine::shared().sign(document, secret_key, options)
}

/// Verifies the single `DataIntegrityProof` of `document` with the default
/// [`ProofEngine`].
///
/// `public_key_of` maps the proof's `verificationMethod` (a DID URL string)
/// to the Ed25519 public key (32 bytes) the caller trusts for it; the caller
/// resolves DIDs itself, and returns `Err` to refuse (reported as
/// [`CredentialError::KeyLookupRefused`]).
pub fn verify(
    document: &serde_json::Value,
    public_key_of: impl Fn(&str) -> Result<[u8; 32], String>,
) -> Result<VerifiedProof, CredentialError> {
    ProofEngine::shared().verify(document, &VerifyOptions::default(), public_key_of)
}

/// Like [`verify`](fn@verify), and also enforces the expected proof purpose, challenge
/// and domain of `options`.
pub fn verify_with_options(
    document: &serde_json::Value,
    options: &VerifyOptions,
    public_key_of: impl Fn(&str) -> Result<[u8; 32], String>,
) -> Result<VerifiedProof, CredentialError> {
    ProofEngine::shared().verify(document, options, public_key_of)
}
