//! Choosing the `@context` of a new credential: the most standard contexts
//! under which every claim survives into the signed RDF, so that most
//! credentials need no Sovra-specific context at all.
//!
//! In order of preference:
//!
//! 1. the W3C Verifiable Credentials 2.0 context alone, when its own terms
//!    (`name`, `description`, the credential's structure) cover everything;
//! 2. plus the Sovra context ([`SOVRA_CONTEXT_URL`]) when the type or a claim
//!    is one of its terms (`HealthTestCredential`, `testType`, `givenName`
//!    mapped to schema.org, ...), so they keep their defined meaning;
//! 3. plus the W3C undefined-terms context ([`UNDEFINED_TERMS_CONTEXT_URL`])
//!    when some claim is defined by no context: such claims are signed under
//!    `https://www.w3.org/ns/credentials/undefined-term#`, and every verifier
//!    that ships the W3C contexts can check them.

use serde_json::Value;

use crate::contexts::{CREDENTIALS_V2_URL, SOVRA_CONTEXT, SOVRA_CONTEXT_URL};
use crate::{CredentialError, ProofEngine, UNDEFINED_TERMS_CONTEXT_URL};

/// Sets `credential`'s `@context` to the first list of contexts (see the
/// module documentation) under which it passes safe-mode canonicalization
/// with `engine`, and returns it. Fails with the error of the most
/// permissive candidate when none works (then the problem is not a missing
/// term: a relative identifier, a `null`, ...).
pub fn with_standard_contexts(
    engine: &ProofEngine,
    mut credential: Value,
) -> Result<Value, CredentialError> {
    let uses_sovra_terms = uses_sovra_terms(&credential);
    let object = credential.as_object_mut().ok_or_else(|| {
        CredentialError::MalformedDocument("a credential is a JSON object".to_owned().into())
    })?;
    let candidates: [&[&str]; 2] = if uses_sovra_terms {
        [
            &[CREDENTIALS_V2_URL, SOVRA_CONTEXT_URL],
            &[
                CREDENTIALS_V2_URL,
                SOVRA_CONTEXT_URL,
                UNDEFINED_TERMS_CONTEXT_URL,
            ],
        ]
    } else {
        [
            &[CREDENTIALS_V2_URL],
            &[CREDENTIALS_V2_URL, UNDEFINED_TERMS_CONTEXT_URL],
        ]
    };
    let mut last = None;
    for contexts in candidates {
        object.insert("@context".to_owned(), contexts.iter().copied().collect());
        match engine.check_rdfc(&Value::Object(object.clone())) {
            Ok(()) => return Ok(credential),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("two candidates were tried"))
}

/// Whether the credential's types or its subject's claims include a term of
/// the Sovra context.
fn uses_sovra_terms(credential: &Value) -> bool {
    let Ok(context) = serde_json::from_str::<Value>(SOVRA_CONTEXT) else {
        return false;
    };
    let Some(terms) = context["@context"].as_object() else {
        return false;
    };
    let is_term = |name: &str| !name.starts_with('@') && terms.contains_key(name);
    let types = match &credential["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let subjects = match &credential["credentialSubject"] {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    types.into_iter().any(is_term)
        || subjects
            .iter()
            .filter_map(|s| s.as_object())
            .any(|s| s.keys().any(|k| is_term(k)))
}
