//! Verifying credentials and presentations the way a relying party needs:
//! not only "is the signature valid" but "should I trust this".
//!
//! A credential is accepted only if every check passes:
//!
//! | check | failure code |
//! |---|---|
//! | it is a well-formed `VerifiableCredential` | `malformed` |
//! | the proof's key belongs to the issuer | `issuer_mismatch` |
//! | the key was an `assertionMethod` key of the issuer's DID as it was when the proof was created | `unknown_issuer_key` |
//! | the signature is valid (nothing was changed) | `invalid_signature` |
//! | every value is covered by the signature (safe mode, [`crate::safe`]) | `unsafe_document` |
//! | the proof was not created in the future | `created_in_future` |
//! | the issuer's DID is not deactivated | `issuer_deactivated` |
//! | the issuer is a registered verifier for every type of the credential | `untrusted_issuer` |
//! | `validFrom` has passed, `validUntil` has not | `not_yet_valid`, `expired` |
//! | no status list marks it revoked or suspended | `revoked`, `suspended`, `status_unavailable` |
//!
//! Presentations add holder binding: the proof is by an `authentication` key
//! of the `holder`, for the verifier's `challenge` and `domain`
//! (`wrong_challenge`, `wrong_domain`), and each credential's subject is the
//! holder (`holder_not_subject`).
//!
//! Ledger reads go through the [`Ledger`] trait: a node implements it over
//! its state, `sovra-client` over HTTP with state proofs. The status list's
//! integrity and authorship come from its ledger anchor (an
//! `AnchorStatusList` transaction signed by the issuer, and the CID of the
//! list's bytes), so [`Ledger::status_list`] must return only bytes whose
//! hash matches the anchor.
//!
//! Limit: the time a key is looked up at is the proof's `created`, which the
//! signer writes. A credential signed after a key rotation with an honest
//! `created` fails; one whose signer holds a rotated-out key and backdates
//! `created` is only caught by revoking through the status list or by the
//! stricter policy [`Policy::require_current_key`].

use crate::{
    CredentialError, ErrorDetail, ProofPurpose, VerifyOptions, status::StatusPurpose,
    verify_with_options,
};
use serde::Serialize;
use serde_json::Value;
use sovra_types::{
    Did, DidMethod, DidRecord, Relationship, VerifierRecord,
    datetime::{format_ms, parse_datetime, parse_version_time},
    did_document::{DidUrl, ed25519_key_for},
};
use std::future::Future;

/// Path segment of a status list URL: `<issuer DID>/status-lists/<list id>`.
const STATUS_LIST_SEGMENT: &str = "/status-lists/";
/// How far in the future a proof's `created` may be (clock skew).
const MAX_CLOCK_SKEW_MS: u64 = 5 * 60_000;

/// The `statusListCredential` URL of `issuer`'s list `list_id`, served by every node at
/// `GET /v1/status-lists/{issuer}/{list_id}`.
pub fn status_list_url(issuer: &Did, list_id: &str) -> String {
    format!("{issuer}{STATUS_LIST_SEGMENT}{list_id}")
}

/// Splits a status list URL into its issuer and list id.
pub fn parse_status_list_url(url: &str) -> Result<(Did, String), CredentialError> {
    let (did, id) = url.split_once(STATUS_LIST_SEGMENT).ok_or_else(|| {
        CredentialError::MalformedDocument(
            format!("statusListCredential {url:?} is not <issuer DID>/status-lists/<id>").into(),
        )
    })?;
    let did = Did::parse(did).map_err(|e| {
        CredentialError::MalformedDocument(ErrorDetail::caused(
            format!("statusListCredential {url:?}: issuer"),
            e,
        ))
    })?;
    sovra_types::registry::validate_status_list_id(id).map_err(|e| {
        CredentialError::MalformedDocument(ErrorDetail::caused(
            format!("statusListCredential {url:?}: list id"),
            e,
        ))
    })?;
    Ok((did, id.to_string()))
}

/// What verification reads from the ledger.
pub trait Ledger: Sync {
    /// Why a read failed; the verdict reports it (as a failed or undecided check).
    type Error: std::fmt::Display + Send;
    /// The record of a `did:sovra` current at `at_ms` (`None` if it did not exist then).
    fn did_at(
        &self,
        did: &Did,
        at_ms: u64,
    ) -> impl Future<Output = Result<Option<DidRecord>, Self::Error>> + Send;
    /// The newest record of a `did:sovra`.
    fn did_latest(
        &self,
        did: &Did,
    ) -> impl Future<Output = Result<Option<DidRecord>, Self::Error>> + Send;
    /// A verifier's registration in the trust registry.
    fn verifier(
        &self,
        did: &Did,
    ) -> impl Future<Output = Result<Option<VerifierRecord>, Self::Error>> + Send;
    /// The bytes of the anchored current version of a status list, checked
    /// against the anchor (`None` if nothing is anchored).
    fn status_list(
        &self,
        issuer: &Did,
        list_id: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, Self::Error>> + Send;
}

/// Verification settings.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// The time to check validity at (ms since the Unix epoch).
    pub now_ms: u64,
    /// Also require the signing key to be in the issuer's current document
    /// (refuses credentials signed by rotated-out keys, even honest old ones).
    pub require_current_key: bool,
}

/// One failed check.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    /// Stable code (see the module documentation).
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// The outcome of verifying a credential or presentation.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// Whether every check passed.
    pub verified: bool,
    /// Checks that passed (`proof`, `issuer`, `registry`, `validity`, `status`, `holder`).
    pub checks: Vec<String>,
    /// Checks that failed.
    pub errors: Vec<Finding>,
    /// Things worth knowing that do not fail verification.
    pub warnings: Vec<Finding>,
    /// What the credential says (for display).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Verdicts of the credentials inside a presentation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<Verdict>,
}

/// The displayable facts of a credential.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Issuer DID.
    pub issuer: String,
    /// Registered name of the issuer, when registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_name: Option<String>,
    /// The credential's types other than `VerifiableCredential`.
    pub types: Vec<String>,
    /// The subject's id, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// `validFrom`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// `validUntil`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

impl Verdict {
    fn fail(&mut self, code: &str, message: impl Into<String>) {
        self.errors.push(Finding {
            code: code.into(),
            message: message.into(),
        });
    }

    fn pass(&mut self, check: &str) {
        self.checks.push(check.into());
    }

    fn finish(mut self) -> Self {
        self.verified = self.errors.is_empty() && self.credentials.iter().all(|c| c.verified);
        self
    }
}

fn as_strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

fn time_field(doc: &Value, name: &str) -> Result<Option<u64>, String> {
    match doc.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => parse_datetime(s)
            .map(Some)
            .map_err(|e| format!("{name}: {e}")),
        Some(_) => Err(format!("{name} is not a date-time string")),
    }
}

/// The proof's verification method and creation time, read before verifying.
fn proof_header(doc: &Value) -> Result<(DidUrl, Option<u64>), String> {
    let proof = doc.get("proof").ok_or("no proof")?;
    let proof = match proof {
        Value::Array(a) if a.len() == 1 => &a[0],
        Value::Array(_) => return Err("exactly one proof is supported".into()),
        p => p,
    };
    let vm = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or("proof has no verificationMethod")?;
    let url = DidUrl::parse(vm).map_err(|e| e.to_string())?;
    // A `created` in whole seconds stands for that whole second (as
    // `versionTime` does), so a DID version made earlier in the same second counts.
    let created = match proof.get("created") {
        None => None,
        Some(Value::String(s)) => {
            Some(parse_version_time(s).map_err(|e| format!("proof created: {e}"))?)
        }
        Some(_) => return Err("proof created is not a date-time string".into()),
    };
    Ok((url, created))
}

/// Finds the key `url` names among `rel` keys of the signer's DID as it was at `at_ms`.
async fn key_at<L: Ledger>(
    ledger: &L,
    url: &DidUrl,
    at_ms: u64,
    rel: Relationship,
    policy: &Policy,
) -> Result<[u8; 32], Finding> {
    let unknown = |m: String| Finding {
        code: "unknown_issuer_key".into(),
        message: m,
    };
    let record = match url.did.method() {
        DidMethod::Key => None,
        DidMethod::Sovra => Some(
            ledger
                .did_at(&url.did, at_ms)
                .await
                .map_err(|e| unknown(format!("resolving {}: {e}", url.did)))?
                .ok_or_else(|| {
                    unknown(format!("{} did not exist at {}", url.did, format_ms(at_ms)))
                })?,
        ),
    };
    let key = ed25519_key_for(url, record.as_ref().map(|r| &r.document), rel)
        .map_err(|e| unknown(format!("at {}: {e}", format_ms(at_ms))))?;
    if policy.require_current_key && url.did.method() == DidMethod::Sovra {
        let latest = ledger
            .did_latest(&url.did)
            .await
            .map_err(|e| unknown(e.to_string()))?
            .ok_or_else(|| unknown(format!("{} does not exist", url.did)))?;
        let current = ed25519_key_for(url, Some(&latest.document), rel)
            .map_err(|e| unknown(format!("now: {e}")))?;
        if current != key {
            return Err(unknown(format!(
                "{} has been rotated to another key since the proof was made",
                url.fragment
            )));
        }
    }
    Ok(key)
}

/// Verifies the proof of `doc` with `key`, expecting `purpose` (and the challenge and domain).
fn check_proof(
    doc: &Value,
    key: [u8; 32],
    purpose: ProofPurpose,
    challenge: Option<&str>,
    domain: Option<&str>,
) -> Result<(), Finding> {
    let options = VerifyOptions {
        expected_proof_purpose: Some(purpose),
        challenge: challenge.map(String::from),
        domain: domain.map(String::from),
    };
    verify_with_options(doc, &options, |_| Ok(key))
        .map(|_| ())
        .map_err(|e| {
            let code = match &e {
                CredentialError::InvalidSignature => "invalid_signature",
                CredentialError::UnsafeDocument(_) => "unsafe_document",
                CredentialError::ProofOptionMismatch { field, .. } if *field == "domain" => {
                    "wrong_domain"
                }
                CredentialError::ProofOptionMismatch { .. } => "wrong_challenge",
                CredentialError::WrongProofPurpose { .. } => "wrong_proof_purpose",
                _ => "malformed",
            };
            Finding {
                code: code.into(),
                message: e.to_string(),
            }
        })
}

/// Verifies a credential against the ledger under `policy`.
pub async fn verify_credential<L: Ledger>(
    credential: &Value,
    ledger: &L,
    policy: &Policy,
) -> Verdict {
    let mut v = Verdict::default();
    let types = as_strings(&credential["type"]);
    if !credential.is_object() || !types.iter().any(|t| t == "VerifiableCredential") {
        v.fail("malformed", "not a VerifiableCredential");
        return v.finish();
    }
    let Some(issuer_text) = id_of(&credential["issuer"]) else {
        v.fail("malformed", "the credential has no issuer");
        return v.finish();
    };
    let specific: Vec<String> = types
        .iter()
        .filter(|t| *t != "VerifiableCredential")
        .cloned()
        .collect();
    let mut summary = Summary {
        issuer: issuer_text.clone(),
        types: specific.clone(),
        subject: id_of(&credential["credentialSubject"]),
        valid_from: credential["validFrom"].as_str().map(String::from),
        valid_until: credential["validUntil"].as_str().map(String::from),
        ..Default::default()
    };
    let issuer = match Did::parse(&issuer_text) {
        Ok(d) => d,
        Err(e) => {
            v.fail(
                "untrusted_issuer",
                format!("issuer is not a did:sovra or did:key: {e}"),
            );
            v.summary = Some(summary);
            return v.finish();
        }
    };

    // Proof, with the issuer's key as it was when the proof was created.
    match proof_header(credential) {
        Err(m) => v.fail("malformed", m),
        Ok((url, created)) => {
            let signed_at = created.unwrap_or(policy.now_ms);
            if url.did != issuer {
                v.fail(
                    "issuer_mismatch",
                    format!("signed by {}, but the issuer is {issuer}", url.did),
                );
            } else if signed_at > policy.now_ms + MAX_CLOCK_SKEW_MS {
                v.fail(
                    "created_in_future",
                    format!("the proof claims creation at {}", format_ms(signed_at)),
                );
            } else {
                match key_at(
                    ledger,
                    &url,
                    signed_at,
                    Relationship::AssertionMethod,
                    policy,
                )
                .await
                {
                    Err(f) => v.errors.push(f),
                    Ok(key) => match check_proof(
                        credential,
                        key,
                        ProofPurpose::AssertionMethod,
                        None,
                        None,
                    ) {
                        Ok(()) => v.pass("proof"),
                        Err(f) => v.errors.push(f),
                    },
                }
            }
        }
    }

    // The issuer now: active, and registered for these types.
    if issuer.method() == DidMethod::Sovra {
        match ledger.did_latest(&issuer).await {
            Ok(Some(r)) if r.deactivated => {
                v.fail("issuer_deactivated", format!("{issuer} is deactivated"))
            }
            Ok(Some(_)) => v.pass("issuer"),
            Ok(None) => v.fail("unknown_issuer_key", format!("{issuer} does not exist")),
            Err(e) => v.fail("unknown_issuer_key", e.to_string()),
        }
    } else {
        v.pass("issuer");
    }
    match ledger.verifier(&issuer).await {
        Ok(Some(record)) => {
            summary.issuer_name = Some(record.name.clone());
            let missing: Vec<&String> = specific
                .iter()
                .filter(|t| !record.credential_types.contains(t))
                .collect();
            if specific.is_empty() {
                v.fail(
                    "untrusted_issuer",
                    "the credential names no type besides VerifiableCredential",
                );
            } else if missing.is_empty() {
                v.pass("registry");
            } else {
                v.fail(
                    "untrusted_issuer",
                    format!(
                        "{issuer} ({}) is not registered to issue {missing:?}",
                        record.name
                    ),
                );
            }
        }
        Ok(None) => v.fail(
            "untrusted_issuer",
            format!("{issuer} is not a registered verifier"),
        ),
        Err(e) => v.fail("untrusted_issuer", format!("reading the registry: {e}")),
    }

    // Validity period.
    let mut validity_ok = true;
    match time_field(credential, "validFrom") {
        Ok(Some(from)) if from > policy.now_ms => {
            validity_ok = false;
            v.fail("not_yet_valid", format!("valid from {}", format_ms(from)));
        }
        Err(m) => {
            validity_ok = false;
            v.fail("malformed", m);
        }
        _ => {}
    }
    match time_field(credential, "validUntil") {
        Ok(Some(until)) if until < policy.now_ms => {
            validity_ok = false;
            v.fail("expired", format!("expired at {}", format_ms(until)));
        }
        Err(m) => {
            validity_ok = false;
            v.fail("malformed", m);
        }
        _ => {}
    }
    if validity_ok {
        v.pass("validity");
    }

    // Status lists.
    match crate::status::status_entries(credential) {
        Err(e) => v.fail("malformed", e.to_string()),
        Ok(entries) => {
            let mut status_ok = true;
            for entry in entries {
                if let Err(f) = check_status(ledger, &issuer, &entry).await {
                    status_ok = false;
                    v.errors.push(f);
                }
            }
            if status_ok {
                v.pass("status");
            }
        }
    }
    v.summary = Some(summary);
    v.finish()
}

async fn check_status<L: Ledger>(
    ledger: &L,
    issuer: &Did,
    entry: &crate::status::StatusEntry,
) -> Result<(), Finding> {
    let unavailable = |m: String| Finding {
        code: "status_unavailable".into(),
        message: m,
    };
    let (list_issuer, list_id) =
        parse_status_list_url(&entry.list_credential).map_err(|e| unavailable(e.to_string()))?;
    if &list_issuer != issuer {
        return Err(unavailable(format!(
            "the status list {} is not the issuer's",
            entry.list_credential
        )));
    }
    let bytes = ledger
        .status_list(issuer, &list_id)
        .await
        .map_err(|e| unavailable(format!("{}: {e}", entry.list_credential)))?
        .ok_or_else(|| {
            unavailable(format!(
                "no status list anchored at {}",
                entry.list_credential
            ))
        })?;
    let json: Value = crate::json::parse_document(&bytes)
        .map_err(|e| unavailable(format!("status list is not acceptable JSON: {e}")))?;
    let (purpose, bits) = crate::status::read_status_list_credential(&json)
        .map_err(|e| unavailable(e.to_string()))?;
    if purpose != entry.purpose {
        return Err(unavailable(format!(
            "the list at {} is for {}, the entry for {}",
            entry.list_credential,
            purpose.as_str(),
            entry.purpose.as_str()
        )));
    }
    let index = usize::try_from(entry.index).map_err(|_| unavailable("index too large".into()))?;
    let set = bits.get(index).map_err(|e| unavailable(e.to_string()))?;
    if set {
        let code = match entry.purpose {
            StatusPurpose::Revocation => "revoked",
            StatusPurpose::Suspension => "suspended",
        };
        return Err(Finding {
            code: code.into(),
            message: format!("{} marks it {code} (index {index})", entry.list_credential),
        });
    }
    Ok(())
}

/// What a verifier expects of a presentation.
#[derive(Clone, Debug, Default)]
pub struct PresentationRequest {
    /// The challenge the verifier gave the holder (required if set).
    pub challenge: Option<String>,
    /// The verifier's domain (required if set).
    pub domain: Option<String>,
}

/// Verifies a presentation: the holder's proof (authentication key, challenge,
/// domain) and every credential inside, each of which must be about the holder.
pub async fn verify_presentation<L: Ledger>(
    presentation: &Value,
    request: &PresentationRequest,
    ledger: &L,
    policy: &Policy,
) -> Verdict {
    let mut v = Verdict::default();
    if !as_strings(&presentation["type"])
        .iter()
        .any(|t| t == "VerifiablePresentation")
    {
        v.fail("malformed", "not a VerifiablePresentation");
        return v.finish();
    }
    let holder = id_of(&presentation["holder"]);
    match proof_header(presentation) {
        Err(m) => v.fail("malformed", m),
        Ok((url, created)) => {
            if holder.as_deref() != Some(url.did.as_str()) {
                v.fail(
                    "holder_mismatch",
                    format!("signed by {}, but the holder is {holder:?}", url.did),
                );
            } else {
                let at = created.unwrap_or(policy.now_ms);
                match key_at(ledger, &url, at, Relationship::Authentication, policy).await {
                    Err(mut f) => {
                        f.code = "unknown_holder_key".into();
                        v.errors.push(f)
                    }
                    Ok(key) => match check_proof(
                        presentation,
                        key,
                        ProofPurpose::Authentication,
                        request.challenge.as_deref(),
                        request.domain.as_deref(),
                    ) {
                        Ok(()) => v.pass("holder"),
                        Err(f) => v.errors.push(f),
                    },
                }
            }
        }
    }
    let credentials = match &presentation["verifiableCredential"] {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    if credentials.is_empty() {
        v.warnings.push(Finding {
            code: "no_credentials".into(),
            message: "the presentation holds no credential".into(),
        });
    }
    for c in &credentials {
        let mut verdict = verify_credential(c, ledger, policy).await;
        let subject = id_of(&c["credentialSubject"]);
        if holder.is_some() && subject != holder {
            verdict.errors.push(Finding {
                code: "holder_not_subject".into(),
                message: format!("the credential is about {subject:?}, not the holder {holder:?}"),
            });
            verdict = verdict.finish();
        }
        v.credentials.push(verdict);
    }
    v.finish()
}
