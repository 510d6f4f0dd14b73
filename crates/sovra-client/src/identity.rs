//! Identities from the client's side: resolving DIDs (optionally checking
//! the node's answer against a finalized header so the node need not be
//! trusted), reading the trust registry, and signing transactions as a
//! `did:sovra`.

use crate::{Client, ClientError, proof::verify_proof_view};
use serde_json::Value;
use sovra_api_types::{
    ProofView, VerifierView,
    auth::{
        AUTH_NAMESPACE, ChallengeRequest, ChallengeResponse, SessionView, TokenRequest,
        auth_message,
    },
};
use sovra_crypto::{MultikeyType, SigningKey, encode_multikey};
use sovra_types::{
    BlockHeader, Did, DidMethod, DidRecord, StateKey,
    datetime::{format_ms, format_ms_exact},
    did_document::{render_did_key, render_sovra},
};

/// Which version of a DID to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DidVersionSelector {
    /// The newest version.
    Latest,
    /// A version number (from 1).
    Version(u64),
    /// The version current at this time (ms since the Unix epoch).
    Time(u64),
}

impl DidVersionSelector {
    fn query(self) -> String {
        match self {
            DidVersionSelector::Latest => String::new(),
            DidVersionSelector::Version(v) => format!("versionId={v}&"),
            DidVersionSelector::Time(t) => format!("versionTime={}&", format_ms_exact(t)),
        }
    }
}

/// A resolution checked against a finalized header.
#[derive(Clone, Debug)]
pub struct VerifiedDid {
    /// The DID.
    pub did: Did,
    /// The ledger record of the selected version (`None` for `did:key`).
    pub record: Option<DidRecord>,
    /// The DID document, rendered by the client from the proven record.
    pub document: Value,
    /// The header the proofs verified against (`None` for `did:key`).
    pub header: Option<BlockHeader>,
}

/// Why a verified resolution found nothing, with the proof of absence checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvenAbsent {
    /// What is absent.
    pub what: String,
}

fn bad(m: impl Into<String>) -> ClientError {
    ClientError::BadResponse(m.into())
}

fn decode_record(v: Option<Vec<u8>>) -> Result<Option<DidRecord>, ClientError> {
    v.map(|b| {
        DidRecord::decode(&b).map_err(|source| ClientError::Decode {
            what: "DID record".into(),
            source,
        })
    })
    .transpose()
}

fn version_key(did: &Did, version: u64) -> StateKey {
    StateKey::DidVersion {
        did: did.clone(),
        version,
    }
}

impl Client {
    /// Resolves a DID; returns the HTTP status and the DID resolution result
    /// exactly as the node sent it (errors included, as the specification
    /// puts them in the result).
    pub fn resolve(
        &self,
        did: &str,
        selector: DidVersionSelector,
        with_proof: bool,
    ) -> Result<(u16, Value), ClientError> {
        let url = format!(
            "{}/1.0/identifiers/{did}?{}proof={with_proof}",
            self.base(),
            selector.query()
        );
        let resp = self
            .agent()
            .get(&url)
            .call()
            .map_err(|e| self.transport(&url, e))?;
        let (status, text) = self.text(&url, resp)?;
        let body: Value =
            serde_json::from_str(&text).map_err(|source| ClientError::Json { url, source })?;
        Ok((status, body))
    }

    /// Resolves a DID without trusting the node: the answer must carry state
    /// proofs that verify against one finalized header, and the document is
    /// rebuilt from the proven record. `Err(Ok(absent))`-style absence is
    /// returned as `Ok(Err(ProvenAbsent))` when the node proved the DID (or
    /// version) does not exist. A `did:key` is resolved locally.
    pub fn resolve_verified(
        &self,
        did: &Did,
        selector: DidVersionSelector,
    ) -> Result<Result<VerifiedDid, ProvenAbsent>, ClientError> {
        if did.method() == DidMethod::Key {
            let document = render_did_key(did).map_err(|source| ClientError::Decode {
                what: format!("{did}"),
                source,
            })?;
            return Ok(Ok(VerifiedDid {
                did: did.clone(),
                record: None,
                document,
                header: None,
            }));
        }
        let (status, body) = self.resolve(did.as_str(), selector, true)?;
        check_resolution(did, selector, status, &body)
    }

    /// The trust registry.
    pub fn verifiers(&self) -> Result<Vec<VerifierView>, ClientError> {
        self.get("/v1/verifiers")
    }

    fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base());
        let resp = self
            .agent()
            .post(&url)
            .send_json(body)
            .map_err(|e| self.transport(&url, e))?;
        self.read(&url, resp)
    }

    /// Authenticates to the node as `did` with `key`, which must be listed
    /// under the DID's `authentication` relationship as `method` (a DID URL;
    /// for a `did:key`, `None` picks its key). Returns a bearer token.
    pub fn authenticate(
        &self,
        key: &SigningKey,
        did: &Did,
        method: Option<&str>,
    ) -> Result<SessionView, ClientError> {
        let method = match method {
            Some(m) => m.to_string(),
            None => {
                let raw: [u8; 32] = key
                    .public_key()
                    .as_ref()
                    .try_into()
                    .map_err(|_| bad("Ed25519 key is not 32 bytes"))?;
                format!("{did}#{}", encode_multikey(MultikeyType::Ed25519, &raw))
            }
        };
        let challenge: ChallengeResponse = self.post_json(
            "/v1/auth/challenge",
            &ChallengeRequest {
                did: did.to_string(),
            },
        )?;
        let message = auth_message(
            &challenge.chain_id,
            did.as_str(),
            &method,
            &challenge.challenge,
        );
        let signature = key.sign(AUTH_NAMESPACE, &message);
        self.post_json(
            "/v1/auth/token",
            &TokenRequest {
                did: did.to_string(),
                verification_method: method,
                challenge: challenge.challenge,
                signature: hex::encode(signature.as_ref()),
            },
        )
    }

    /// Authenticates to the node as `did` with `key` and returns the bearer token. For a
    /// `did:sovra` the verification method is the authentication method of the DID's current
    /// document (checked against a state proof) that holds `key`; for a `did:key`, its key.
    pub fn login(&self, key: &SigningKey, did: &Did) -> Result<String, ClientError> {
        let method = match did.method() {
            DidMethod::Key => None,
            DidMethod::Sovra => {
                let verified = self
                    .resolve_verified(did, DidVersionSelector::Latest)?
                    .map_err(|_| bad(format!("{did} does not exist")))?;
                let record = verified
                    .record
                    .ok_or_else(|| bad(format!("{did} has no ledger record")))?;
                let raw = key.public_key();
                let id = record
                    .document
                    .ed25519_keys(sovra_types::Relationship::Authentication)
                    .find(|m| m.public_key.as_slice() == raw.as_ref())
                    .map(|m| m.id.clone())
                    .ok_or_else(|| bad(format!("the key is not an authentication key of {did}")))?;
                Some(format!("{did}#{id}"))
            }
        };
        self.authenticate(key, did, method.as_deref())?
            .token
            .ok_or_else(|| bad("the node answered without a token"))
    }

    /// Who a bearer token authenticates, and until when.
    pub fn session(&self, token: &str) -> Result<SessionView, ClientError> {
        let url = format!("{}/v1/auth/session", self.base());
        let resp = self
            .agent()
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .map_err(|e| self.transport(&url, e))?;
        self.read(&url, resp)
    }
}

/// Checks a DID resolution result that carries `sovraProofs` (as
/// `?proof=true` returns): every proof must verify against the same header
/// and prove exactly what `selector` asks for; the document is rebuilt from
/// the proven record, never taken from the body.
pub fn check_resolution(
    did: &Did,
    selector: DidVersionSelector,
    status: u16,
    body: &Value,
) -> Result<Result<VerifiedDid, ProvenAbsent>, ClientError> {
    {
        if status >= 500 || status == 400 {
            let code = body["didResolutionMetadata"]["error"]
                .as_str()
                .unwrap_or("http")
                .to_string();
            let message = body["didResolutionMetadata"]["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            return Err(ClientError::Api {
                status,
                code,
                message,
            });
        }
        let proofs: Vec<ProofView> =
            serde_json::from_value(body["sovraProofs"].clone()).map_err(|source| {
                ClientError::Json {
                    url: format!("the resolution of {did} (sovraProofs)"),
                    source,
                }
            })?;
        let checked = verify_all(&proofs)?;
        let header = checked.first().map(|(_, _, h)| h.clone());
        let expect = |i: usize, key: &StateKey| -> Result<Option<DidRecord>, ClientError> {
            let (k, v, _) = checked
                .get(i)
                .ok_or_else(|| bad(format!("missing proof {i} for {did}")))?;
            if k != key {
                return Err(bad(format!("expected a proof of {key}, got {k}")));
            }
            decode_record(v.clone())
        };
        let record = match selector {
            DidVersionSelector::Latest => expect(0, &StateKey::Did(did.clone()))?,
            DidVersionSelector::Version(v) => {
                let r = expect(0, &version_key(did, v))?;
                if r.as_ref().is_some_and(|r| r.version != v) {
                    return Err(bad(format!("record of version {v} says another version")));
                }
                r
            }
            DidVersionSelector::Time(t) => {
                let (first, _, _) = checked
                    .first()
                    .ok_or_else(|| bad(format!("no proof for {did}")))?;
                let v = match first {
                    StateKey::DidVersion { did: d, version } if d == did => *version,
                    other => return Err(bad(format!("unexpected proof of {other}"))),
                };
                let r = expect(0, &version_key(did, v))?;
                match &r {
                    None if v == 1 => None,
                    None => return Err(bad(format!("version {v} of {did} proven absent"))),
                    Some(rec) if rec.updated_ms > t => {
                        // Only acceptable as proof that the DID did not exist yet.
                        if v != 1 {
                            return Err(bad(format!("version {v} is newer than the time asked")));
                        }
                        None
                    }
                    Some(rec) => {
                        if rec.version != v {
                            return Err(bad("record version mismatch"));
                        }
                        // The next version must be absent or after the time asked.
                        let next = expect(1, &version_key(did, v + 1))?;
                        if next.as_ref().is_some_and(|n| n.updated_ms <= t) {
                            return Err(bad(format!(
                                "version {} was already current at the time asked",
                                v + 1
                            )));
                        }
                        r
                    }
                }
            }
        };
        if (200..300).contains(&status) || status == 410 || status == 404 {
            match record {
                Some(record) => Ok(Ok(VerifiedDid {
                    did: did.clone(),
                    document: render_sovra(did, &record.document),
                    record: Some(record),
                    header,
                })),
                None => Ok(Err(ProvenAbsent {
                    what: match selector {
                        DidVersionSelector::Latest => format!("{did} does not exist"),
                        DidVersionSelector::Version(v) => format!("{did} has no version {v}"),
                        DidVersionSelector::Time(t) => {
                            format!("{did} did not exist yet at {}", format_ms(t))
                        }
                    },
                })),
            }
        } else {
            Err(bad(format!("unexpected HTTP status {status}")))
        }
    }
}

/// A proven state key, its value (absent if `None`) and the header proven against.
type ProvenValue = (StateKey, Option<Vec<u8>>, BlockHeader);

/// Verifies every proof and that they share one header.
fn verify_all(proofs: &[ProofView]) -> Result<Vec<ProvenValue>, ClientError> {
    let mut out = Vec::with_capacity(proofs.len());
    for p in proofs {
        let key = StateKey::parse(&p.key).map_err(|source| ClientError::Decode {
            what: "proof key".into(),
            source,
        })?;
        let v = verify_proof_view(&key, p)?;
        if let Some((_, _, h)) = out.first()
            && *h != v.header
        {
            return Err(bad("proofs are against different headers"));
        }
        out.push((key, v.value, v.header));
    }
    if out.is_empty() {
        return Err(bad("no proofs"));
    }
    Ok(out)
}
