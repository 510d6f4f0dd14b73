//! Transformation and hashing: canonical forms of a document and of a proof
//! configuration for each cryptosuite, and the `hashData` that is signed.
//!
//! - `eddsa-rdfc-2022`: JSON-LD expansion with the options of ssi's
//!   [`ssi_json_ld::CompactJsonLd`] (strict: undefined terms and malformed
//!   IRIs are errors, never dropped) over the offline loader, in safe mode
//!   ([`crate::safe`]: nothing may be dropped or blanked out), then RDF
//!   Dataset Canonicalization with ssi-rdf ([`ssi_rdf::urdna2015`], RDFC-1.0
//!   / URDNA2015), serialized as canonical N-Quads. For documents that pass
//!   safe mode this is exactly what ssi's own
//!   `CanonicalizeClaimsAndConfiguration` transformation does for its
//!   `EdDsaRdfc2022` suite.
//! - `eddsa-jcs-2022`: [`serde_jcs`] (RFC 8785), as ssi uses it for its JCS
//!   suites.
//!
//! `hashData` = SHA-256(canonical proof configuration) ‖ SHA-256(canonical
//! document), 64 bytes, as both suites specify.

use sha2::{Digest, Sha256};
use ssi_json_ld::json_ld::{self, Expand, expansion};
use ssi_rdf::{AnyLdEnvironment, LdEnvironment};

use crate::contexts::ContextStore;
use crate::{CredentialError, Cryptosuite, ErrorDetail, safe};

/// The canonical forms a proof's signature covers, as produced by the
/// cryptosuite's transformation step. Useful for debugging interop and for
/// checking against the specification's test vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalForms {
    /// The cryptosuite that produced these forms.
    pub cryptosuite: Cryptosuite,
    /// Canonical proof configuration: canonical N-Quads for
    /// `eddsa-rdfc-2022`, JCS text for `eddsa-jcs-2022`.
    pub proof_config: String,
    /// Canonical unsecured document, in the same format.
    pub document: String,
}

impl CanonicalForms {
    /// SHA-256 of the canonical proof configuration.
    pub fn proof_config_hash(&self) -> [u8; 32] {
        Sha256::digest(self.proof_config.as_bytes()).into()
    }

    /// SHA-256 of the canonical document.
    pub fn document_hash(&self) -> [u8; 32] {
        Sha256::digest(self.document.as_bytes()).into()
    }

    /// The 64 bytes that are signed: proof configuration hash followed by
    /// document hash.
    pub fn hash_data(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.proof_config_hash());
        out[32..].copy_from_slice(&self.document_hash());
        out
    }
}

/// Canonicalizes `value` with the suite's canonicalization algorithm.
pub(crate) fn canonicalize(
    store: &ContextStore,
    suite: Cryptosuite,
    value: &serde_json::Value,
) -> Result<String, CredentialError> {
    match suite {
        Cryptosuite::EddsaRdfc2022 => rdf_canonicalize(store, value),
        Cryptosuite::EddsaJcs2022 => serde_jcs::to_string(value).map_err(|e| {
            CredentialError::MalformedDocument(ErrorDetail::caused("JCS canonicalization", e))
        }),
    }
}

/// JSON-LD expansion (offline, strict, in safe mode) and RDFC-1.0 canonical
/// N-Quads. See [`crate::safe`] for what safe mode refuses.
fn rdf_canonicalize(
    store: &ContextStore,
    value: &serde_json::Value,
) -> Result<String, CredentialError> {
    safe::check_compact(value)?;
    // serde_json -> json_syntax through text keeps numbers' lexical forms.
    let text = serde_json::to_string(value).map_err(|e| {
        CredentialError::MalformedDocument(ErrorDetail::caused("unserializable JSON", e))
    })?;
    let (json, _) = <json_syntax::Value as json_syntax::Parse>::parse_str(&text)
        .map_err(|e| CredentialError::MalformedDocument(ErrorDetail::caused("invalid JSON", e)))?;

    let loader = store.loader();
    let mut ld = LdEnvironment::default();
    let mut warnings = Warnings::default();
    // The options of ssi's own `CompactJsonLd` expansion (malformed IRIs
    // and undefined terms are errors), plus the warnings that matter refused.
    let options = expansion::Options {
        policy: expansion::Policy {
            invalid: expansion::Action::Reject,
            allow_undefined: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let expanded = futures::executor::block_on(json.expand_full(
        &mut ld.vocabulary,
        Default::default(),
        None,
        &loader,
        options,
        &mut warnings,
    ))
    .map_err(|e| match loader.refused() {
        Some(url) => CredentialError::UnknownContext { url },
        None => CredentialError::JsonLd(ErrorDetail::caused("expansion", e)),
    })?;
    if let Some(warning) = warnings.0.first() {
        return Err(CredentialError::UnsafeDocument(format!(
            "JSON-LD expansion warns: {warning}"
        )));
    }
    safe::check_expanded(&expanded)?;

    let quads = ld
        .quads_of(&expanded)
        .map_err(|e| CredentialError::JsonLd(ErrorDetail::caused("RDF conversion", e)))?;
    if quads.is_empty() {
        return Err(CredentialError::JsonLd(
            "the document expands to an empty RDF dataset: nothing would be signed"
                .to_owned()
                .into(),
        ));
    }
    safe::check_blank_nodes(&quads)?;
    let lines = ssi_rdf::urdna2015::normalize(quads.iter().map(|q| q.as_lexical_quad_ref()))
        .into_nquads_lines();
    Ok(lines.concat())
}

/// Collects the warnings of a JSON-LD expansion that mean a value would not
/// be signed as written: an empty term, a blank node identifier used as a
/// property, a malformed language tag. (Malformed IRIs are also reported
/// while expansion merely tries keys as IRIs; those that matter end up as
/// invalid identifiers in the expanded document, which
/// [`safe::check_expanded`] refuses.)
#[derive(Default)]
struct Warnings(Vec<String>);

impl<N> json_ld::warning::Handler<N, expansion::Warning<rdf_types::BlankIdBuf>> for Warnings {
    fn handle(&mut self, _vocabulary: &N, warning: expansion::Warning<rdf_types::BlankIdBuf>) {
        if !matches!(warning, expansion::Warning::MalformedIri(_)) {
            self.0.push(warning.to_string());
        }
    }
}
