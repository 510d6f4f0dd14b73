//! The cryptosuite glue: building proof configurations, signing and
//! verifying `DataIntegrityProof`s (vc-di-eddsa §3.2 / §3.3: "Create Proof",
//! "Verify Proof", "Proof Configuration", "Proof Serialization").

use std::str::FromStr;
use std::sync::LazyLock;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Map, Value};

use crate::canonical::{self, CanonicalForms};
use crate::contexts::ContextStore;
use crate::{
    CredentialError, Cryptosuite, ErrorDetail, ProofOptions, ProofPurpose, VerifiedProof,
    VerifyOptions, safe,
};

/// The `type` of every proof this crate makes and accepts.
pub const DATA_INTEGRITY_PROOF: &str = "DataIntegrityProof";

/// Signs and verifies Data Integrity proofs against an offline JSON-LD
/// context store.
///
/// [`ProofEngine::new`] knows ssi's static contexts and the Sovra context;
/// [`ProofEngine::with_context`] adds application contexts. The free
/// functions [`sign`](crate::sign) and [`verify`](fn@crate::verify) use a
/// shared default engine. An engine is cheap to clone and is `Send + Sync`.
#[derive(Debug, Clone)]
pub struct ProofEngine {
    contexts: ContextStore,
}

impl Default for ProofEngine {
    fn default() -> Self {
        Self::new()
    }
}

static SHARED: LazyLock<ProofEngine> = LazyLock::new(ProofEngine::new);

impl ProofEngine {
    /// An engine with ssi's static contexts and the Sovra context.
    pub fn new() -> Self {
        Self {
            contexts: ContextStore::new(),
        }
    }

    /// The process-wide default engine used by the free functions.
    pub fn shared() -> &'static ProofEngine {
        &SHARED
    }

    /// Adds a JSON-LD context document (a JSON object with an `@context`
    /// entry) served offline for `url`. Contexts shipped by ssi cannot be
    /// replaced.
    pub fn with_context(mut self, url: &str, document: &str) -> Result<Self, CredentialError> {
        self.contexts.insert(url, document)?;
        Ok(self)
    }

    /// Whether `url` resolves with this engine's offline contexts.
    pub fn knows_context(&self, url: &str) -> bool {
        self.contexts.contains(url)
    }

    /// The canonical forms that a proof with `proof_config` over the
    /// unsecured `document` signs, computed as when signing: `proof_config`
    /// is the proof without `proofValue` (its `cryptosuite` picks the
    /// suite) and receives the document's `@context`; a top-level `proof` of
    /// `document` is ignored.
    pub fn canonicalize(
        &self,
        document: &Value,
        proof_config: &Value,
    ) -> Result<CanonicalForms, CredentialError> {
        let unsecured = unsecured(document)?;
        let config = proof_config.as_object().ok_or_else(|| {
            CredentialError::MalformedDocument(
                "proof configuration is not an object".to_owned().into(),
            )
        })?;
        let suite = parse_type_and_suite(config)?;
        let mut config = config.clone();
        config.remove("proofValue");
        match unsecured.get("@context") {
            Some(context) => config.insert("@context".to_owned(), context.clone()),
            None => config.remove("@context"),
        };
        self.canonical_forms(suite, &unsecured, &config)
    }

    fn canonical_forms(
        &self,
        suite: Cryptosuite,
        unsecured: &Map<String, Value>,
        proof_config: &Map<String, Value>,
    ) -> Result<CanonicalForms, CredentialError> {
        if suite == Cryptosuite::EddsaJcs2022 {
            // No JSON-LD processing in the signature, but the same offline
            // context policy as eddsa-rdfc-2022, and numbers every JCS
            // implementation writes the same way.
            if let Some(context) = unsecured.get("@context") {
                self.contexts.check_references(context)?;
            }
            safe::check_jcs(&Value::Object(unsecured.clone()))?;
            safe::check_jcs(&Value::Object(proof_config.clone()))?;
        } else if !unsecured.contains_key("@context") {
            return Err(CredentialError::MalformedDocument(
                "eddsa-rdfc-2022 needs a JSON-LD document with an `@context`"
                    .to_owned()
                    .into(),
            ));
        }
        let document =
            canonical::canonicalize(&self.contexts, suite, &Value::Object(unsecured.clone()))?;
        let proof_config =
            canonical::canonicalize(&self.contexts, suite, &Value::Object(proof_config.clone()))?;
        Ok(CanonicalForms {
            cryptosuite: suite,
            proof_config,
            document,
        })
    }

    /// Checks that `document` (without its proof) canonicalizes with
    /// `eddsa-rdfc-2022` in safe mode: every context is known offline and
    /// every value survives into the signed N-Quads ([`crate::safe`]).
    pub fn check_rdfc(&self, document: &Value) -> Result<(), CredentialError> {
        let unsecured = unsecured(document)?;
        if !unsecured.contains_key("@context") {
            return Err(CredentialError::MalformedDocument(
                "eddsa-rdfc-2022 needs a JSON-LD document with an `@context`"
                    .to_owned()
                    .into(),
            ));
        }
        canonical::canonicalize(
            &self.contexts,
            Cryptosuite::EddsaRdfc2022,
            &Value::Object(unsecured),
        )
        .map(|_| ())
    }

    /// Adds a `DataIntegrityProof` to `document`, signed with the Ed25519
    /// secret key `secret_key` (32-byte seed). See [`crate::sign`].
    pub fn sign(
        &self,
        document: &Value,
        secret_key: &[u8; 32],
        options: &ProofOptions,
    ) -> Result<Value, CredentialError> {
        let unsecured = document.as_object().ok_or_else(|| {
            CredentialError::MalformedDocument(
                "the document is not a JSON object".to_owned().into(),
            )
        })?;
        if unsecured.contains_key("proof") {
            return Err(CredentialError::MalformedDocument(
                "the document already has a proof (proof sets and chains are not supported)"
                    .to_owned()
                    .into(),
            ));
        }

        if ssi_json_ld::Iri::new(options.verification_method.as_str()).is_err() {
            return Err(CredentialError::InvalidOptions(
                format!(
                    "verification method `{}` is not an absolute IRI",
                    options.verification_method
                )
                .into(),
            ));
        }
        let created = match &options.created {
            Some(created) => {
                check_date_time_stamp(created).map_err(CredentialError::InvalidOptions)?;
                created.clone()
            }
            None => chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        };

        // Proof configuration (vc-di-eddsa "Proof Configuration"): the
        // options, with the document's @context.
        let mut proof = Map::new();
        proof.insert("type".to_owned(), DATA_INTEGRITY_PROOF.into());
        proof.insert(
            "cryptosuite".to_owned(),
            options.cryptosuite.as_str().into(),
        );
        proof.insert("created".to_owned(), created.into());
        proof.insert(
            "verificationMethod".to_owned(),
            options.verification_method.clone().into(),
        );
        proof.insert(
            "proofPurpose".to_owned(),
            options.proof_purpose.as_str().into(),
        );
        if let Some(challenge) = &options.challenge {
            proof.insert("challenge".to_owned(), challenge.clone().into());
        }
        if let Some(domain) = &options.domain {
            proof.insert("domain".to_owned(), domain.clone().into());
        }
        let mut config = proof.clone();
        if let Some(context) = unsecured.get("@context") {
            config.insert("@context".to_owned(), context.clone());
        }

        let forms = self.canonical_forms(options.cryptosuite, unsecured, &config)?;
        let signature = SigningKey::from_bytes(secret_key).sign(&forms.hash_data());

        // eddsa-jcs-2022 keeps the @context in the proof (its verifier
        // relies on it); eddsa-rdfc-2022 proofs are embedded in the
        // document's graph and take the document's context.
        if options.cryptosuite == Cryptosuite::EddsaJcs2022 {
            proof = config;
        }
        proof.insert(
            "proofValue".to_owned(),
            multibase::encode(multibase::Base::Base58Btc, signature.to_bytes()).into(),
        );

        let mut secured = unsecured.clone();
        secured.insert("proof".to_owned(), Value::Object(proof));
        Ok(Value::Object(secured))
    }

    /// Verifies the single `DataIntegrityProof` of `document`, enforcing
    /// `options`. See [`verify`](fn@crate::verify) and [`crate::verify_with_options`].
    pub fn verify(
        &self,
        document: &Value,
        options: &VerifyOptions,
        public_key_of: impl Fn(&str) -> Result<[u8; 32], String>,
    ) -> Result<VerifiedProof, CredentialError> {
        let secured = document.as_object().ok_or_else(|| {
            CredentialError::MalformedDocument(
                "the document is not a JSON object".to_owned().into(),
            )
        })?;
        let proof = match secured.get("proof") {
            None | Some(Value::Null) => return Err(CredentialError::MissingProof),
            Some(Value::Array(proofs)) => match proofs.as_slice() {
                [] => return Err(CredentialError::MissingProof),
                [single] => single,
                _ => {
                    return Err(CredentialError::MalformedDocument(
                        "proof sets (several proofs) are not supported"
                            .to_owned()
                            .into(),
                    ));
                }
            },
            Some(proof) => proof,
        };
        let proof = proof.as_object().ok_or_else(|| {
            CredentialError::MalformedDocument("`proof` is not a JSON object".to_owned().into())
        })?;

        let suite = parse_type_and_suite(proof)?;
        let verification_method = required_string(proof, "verificationMethod")?;
        let purpose_text = required_string(proof, "proofPurpose")?;
        let proof_purpose = ProofPurpose::from_str(&purpose_text)?;
        let created = optional_string(proof, "created")?;
        if let Some(created) = &created {
            check_date_time_stamp(created).map_err(CredentialError::MalformedDocument)?;
        }
        let challenge = optional_string(proof, "challenge")?;
        let domain = optional_string(proof, "domain")?;
        let proof_value = required_string(proof, "proofValue")?;
        let signature = decode_proof_value(&proof_value)?;

        if let Some(expected) = options.expected_proof_purpose
            && expected != proof_purpose
        {
            return Err(CredentialError::WrongProofPurpose {
                expected: expected.as_str().to_owned(),
                found: purpose_text,
            });
        }
        check_expected("challenge", &options.challenge, &challenge)?;
        check_expected("domain", &options.domain, &domain)?;

        // Proof options: the proof without its value.
        let mut config = proof.clone();
        config.remove("proofValue");
        let mut unsecured = secured.clone();
        unsecured.remove("proof");
        match suite {
            Cryptosuite::EddsaRdfc2022 => {
                // The proof configuration takes the document's @context; a
                // different one in the proof would be shown but not used.
                if let Some(proof_context) = config.get("@context")
                    && unsecured.get("@context") != Some(proof_context)
                {
                    return Err(CredentialError::UnsafeDocument(
                        "the proof has an `@context` of its own, which eddsa-rdfc-2022 does \
                         not sign (it uses the document's)"
                            .to_owned(),
                    ));
                }
                match unsecured.get("@context") {
                    Some(context) => config.insert("@context".to_owned(), context.clone()),
                    None => config.remove("@context"),
                };
            }
            Cryptosuite::EddsaJcs2022 => {
                // Every context the secured document names must be known
                // offline, including any appended after signing.
                if let Some(context) = unsecured.get("@context") {
                    self.contexts.check_references(context)?;
                }
                // The document's @context must start with the proof's, and
                // the unsecured document is taken with the proof's @context
                // (vc-di-eddsa). Safe mode: contexts appended after signing
                // would change the document's meaning unsigned, so the two
                // must be equal.
                if let Some(proof_context) = config.get("@context") {
                    if !context_starts_with(unsecured.get("@context"), proof_context) {
                        return Err(CredentialError::InvalidSignature);
                    }
                    if unsecured.get("@context") != Some(proof_context) {
                        return Err(CredentialError::UnsafeDocument(
                            "the document's `@context` has entries the proof's `@context` does \
                             not: they are not signed"
                                .to_owned(),
                        ));
                    }
                }
            }
        }

        let public_key = public_key_of(&verification_method).map_err(|reason| {
            CredentialError::KeyLookupRefused {
                verification_method: verification_method.clone(),
                reason,
            }
        })?;
        let verifying_key = VerifyingKey::from_bytes(&public_key).map_err(|e| {
            CredentialError::InvalidKey(ErrorDetail::caused("Ed25519 public key", e))
        })?;

        let forms = self.canonical_forms(suite, &unsecured, &config)?;
        verifying_key
            .verify_strict(&forms.hash_data(), &signature)
            .map_err(|_| CredentialError::InvalidSignature)?;

        Ok(VerifiedProof {
            cryptosuite: suite,
            verification_method,
            proof_purpose,
            created,
            challenge,
            domain,
        })
    }
}

/// The document without its top-level `proof`.
fn unsecured(document: &Value) -> Result<Map<String, Value>, CredentialError> {
    let mut object = document
        .as_object()
        .ok_or_else(|| {
            CredentialError::MalformedDocument(
                "the document is not a JSON object".to_owned().into(),
            )
        })?
        .clone();
    object.remove("proof");
    Ok(object)
}

/// Checks `type` is `DataIntegrityProof` and parses `cryptosuite`.
fn parse_type_and_suite(proof: &Map<String, Value>) -> Result<Cryptosuite, CredentialError> {
    match proof.get("type") {
        Some(Value::String(t)) if t == DATA_INTEGRITY_PROOF => {}
        Some(Value::String(t)) => {
            return Err(CredentialError::UnsupportedCryptosuite(format!(
                "proof type `{t}` (only DataIntegrityProof is supported)"
            )));
        }
        Some(other) => {
            return Err(CredentialError::MalformedDocument(
                format!("proof `type` must be a string, found {other}").into(),
            ));
        }
        None => {
            return Err(CredentialError::MalformedDocument(
                "proof has no `type`".to_owned().into(),
            ));
        }
    }
    Cryptosuite::from_str(&required_string(proof, "cryptosuite")?)
}

fn required_string(object: &Map<String, Value>, key: &str) -> Result<String, CredentialError> {
    optional_string(object, key)?
        .ok_or_else(|| CredentialError::MalformedDocument(format!("proof has no `{key}`").into()))
}

fn optional_string(
    object: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, CredentialError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(CredentialError::MalformedDocument(
            format!("proof `{key}` must be a string, found {other}").into(),
        )),
    }
}

fn check_expected(
    field: &'static str,
    expected: &Option<String>,
    found: &Option<String>,
) -> Result<(), CredentialError> {
    match expected {
        Some(expected) if found.as_ref() != Some(expected) => {
            Err(CredentialError::ProofOptionMismatch {
                field,
                expected: expected.clone(),
                found: found.clone(),
            })
        }
        _ => Ok(()),
    }
}

/// `created` must be an XML Schema `dateTimeStamp` (a dateTime with a time
/// zone).
fn check_date_time_stamp(value: &str) -> Result<(), ErrorDetail> {
    xsd_types::DateTimeStamp::from_str(value)
        .map(|_| ())
        .map_err(|e| {
            ErrorDetail::caused(
                format!("`created` value `{value}` is not an XML Schema dateTimeStamp"),
                e,
            )
        })
}

/// `proofValue`: base58btc multibase of a 64-byte Ed25519 signature.
fn decode_proof_value(value: &str) -> Result<Signature, CredentialError> {
    let (base, bytes) = multibase::decode(value).map_err(|e| {
        CredentialError::MalformedDocument(ErrorDetail::caused("`proofValue` is not multibase", e))
    })?;
    if base != multibase::Base::Base58Btc {
        return Err(CredentialError::MalformedDocument(
            format!("`proofValue` must be base58btc (`z...`), found {base:?}").into(),
        ));
    }
    let bytes: [u8; 64] = bytes.as_slice().try_into().map_err(|_| {
        CredentialError::MalformedDocument(
            format!(
                "`proofValue` must hold a 64-byte Ed25519 signature, found {} bytes",
                bytes.len()
            )
            .into(),
        )
    })?;
    Ok(Signature::from_bytes(&bytes))
}

/// Whether the document's `@context` starts with all the values of the
/// proof's `@context`, in order (vc-di-eddsa, eddsa-jcs-2022 "Verify Proof").
fn context_starts_with(document: Option<&Value>, proof: &Value) -> bool {
    fn as_list(value: &Value) -> Vec<&Value> {
        match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        }
    }
    let Some(document) = document else {
        return false;
    };
    let document = as_list(document);
    let proof = as_list(proof);
    proof.len() <= document.len() && proof.iter().zip(&document).all(|(p, d)| p == d)
}
