//! The identity area: W3C DID Resolution over HTTP (`GET /1.0/identifiers/{did}`, the path a
//! Universal Resolver driver serves) and the trust registry (`GET /v1/verifiers`,
//! `GET /v1/verifiers/{did}`).
//!
//! `did:sovra` documents come from the ledger, at the newest version or as
//! they were at `?versionId=` or `?versionTime=`; `did:key` documents are
//! derived from the key. With `?proof=true` the answer carries state proofs
//! (`sovraProofs`) against one finalized header, from which a client
//! rebuilds and checks the answer without trusting the node (see
//! `sovra-client`'s `resolve_verified`).

use crate::{
    ApiError, Backend,
    extract::path::parse_did,
    reads::{did_record, verifier, version_key, version_number_at},
};
use axum::{
    Json, Router,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sovra_api_types::{ErrorBody, ProofView, VerifierView};
use sovra_types::{
    Did, DidMethod, StateKey, VerifierRecord,
    datetime::{format_ms, parse_version_time},
    did_document::{render_did_key, render_sovra},
};
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "identity";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(resolve, list_verifiers, get_verifier),
    components(schemas(VerifierView))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/1.0/identifiers/{did}", get(resolve::<B>))
        .route("/v1/verifiers", get(list_verifiers::<B>))
        .route("/v1/verifiers/{did}", get(get_verifier::<B>))
}

/// Media type of a DID resolution result.
const RESOLUTION_MEDIA_TYPE: &str =
    "application/ld+json;profile=\"https://w3id.org/did-resolution\"";
/// Media type of a bare DID document.
const DID_DOCUMENT_MEDIA_TYPE: &str = "application/did+ld+json";
/// Most verifiers listed by `GET /v1/verifiers`.
const MAX_VERIFIERS_LISTED: usize = 1000;

/// Query of a resolution request.
#[derive(Debug, Deserialize)]
struct ResolveQuery {
    /// Resolve this version (1, 2, ...).
    #[serde(rename = "versionId")]
    version_id: Option<String>,
    /// Resolve the version current at this time (RFC 3339).
    #[serde(rename = "versionTime")]
    version_time: Option<String>,
    /// Attach state proofs (`true` or `false`).
    proof: Option<String>,
}

/// Resolution options, checked.
struct Options {
    /// A version number from 1.
    version_id: Option<u64>,
    /// A time (unix ms, end of the given second when it has no fraction) and its text.
    version_time: Option<(u64, String)>,
    proof: bool,
}

/// Checks the options of a resolution request, whatever the DID (so a bad
/// option is `invalidOptions` even for a DID that does not exist).
fn check_options(q: &ResolveQuery) -> Result<Options, ResolutionError> {
    let invalid = |m: String| ResolutionError::new(StatusCode::BAD_REQUEST, "invalidOptions", m);
    if q.version_id.is_some() && q.version_time.is_some() {
        return Err(invalid("give versionId or versionTime, not both".into()));
    }
    let version_id = q
        .version_id
        .as_deref()
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|v| *v >= 1)
                .ok_or_else(|| invalid(format!("versionId is a version number from 1: {v:?}")))
        })
        .transpose()?;
    let version_time = q
        .version_time
        .as_deref()
        .map(|t| {
            parse_version_time(t)
                .map(|ms| (ms, t.to_string()))
                .map_err(|e| invalid(format!("versionTime: {e}")))
        })
        .transpose()?;
    let proof = match q.proof.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(invalid(format!("proof is true or false: {other:?}"))),
    };
    Ok(Options {
        version_id,
        version_time,
        proof,
    })
}

/// A resolution error of the DID Resolution specification.
#[derive(Debug)]
struct ResolutionError {
    status: StatusCode,
    code: &'static str,
    message: String,
    proofs: Option<Vec<ProofView>>,
}

impl ResolutionError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            proofs: None,
        }
    }
}

impl From<ApiError> for ResolutionError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unavailable(m) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "internalError", m)
            }
            other => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internalError",
                other.to_string(),
            ),
        }
    }
}

fn result_body(
    document: Value,
    document_metadata: Value,
    proofs: Option<Vec<ProofView>>,
    error: Option<(&str, &str)>,
) -> Value {
    let mut resolution_metadata = Map::new();
    if let Some((code, message)) = error {
        resolution_metadata.insert("error".into(), json!(code));
        resolution_metadata.insert("errorMessage".into(), json!(message));
    } else {
        resolution_metadata.insert("contentType".into(), json!(DID_DOCUMENT_MEDIA_TYPE));
    }
    let mut body = json!({
        "@context": "https://w3id.org/did-resolution/v1",
        "didDocument": document,
        "didResolutionMetadata": resolution_metadata,
        "didDocumentMetadata": document_metadata,
    });
    if let Some(proofs) = proofs {
        body["sovraProofs"] = json!(proofs);
    }
    body
}

fn wants_bare_document(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            (a.contains("application/did+ld+json") || a.contains("application/did+json"))
                && !a.contains("did-resolution")
        })
}

/// Splits `did:<method>:<id>` and checks the generic DID syntax (method of
/// `[a-z0-9]`, a non-empty id without spaces).
fn check_syntax(did: &str) -> Result<&str, ResolutionError> {
    let invalid = || {
        ResolutionError::new(
            StatusCode::BAD_REQUEST,
            "invalidDid",
            format!("{did:?} is not a DID (did:<method>:<identifier>)"),
        )
    };
    let rest = did.strip_prefix("did:").ok_or_else(invalid)?;
    let (method, id) = rest.split_once(':').ok_or_else(invalid)?;
    if method.is_empty()
        || !method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        || id.is_empty()
        || !id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid());
    }
    Ok(method)
}

/// Resolves a DID as W3C DID Resolution specifies.
#[utoipa::path(get, path = "/1.0/identifiers/{did}",
    params(
        ("did" = String, Path, description = "A did:sovra or did:key"),
        ("versionId" = Option<String>, Query, description = "Resolve this version (did:sovra)"),
        ("versionTime" = Option<String>, Query, description = "Resolve the version current at this RFC 3339 time (did:sovra)"),
        ("proof" = Option<bool>, Query, description = "Attach state proofs against a finalized header (did:sovra)"),
    ),
    responses(
        (status = 200, description = "DID resolution result (or the bare document with Accept: application/did+ld+json)"),
        (status = 400, description = "invalidDid or invalidOptions"),
        (status = 404, description = "notFound"),
        (status = 410, description = "The DID is deactivated; the result carries its last document"),
        (status = 501, description = "methodNotSupported"),
    ))]
async fn resolve<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
    query: Result<Query<ResolveQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let bare = wants_bare_document(&headers);
    let result = match query {
        Ok(Query(q)) => resolve_inner(&*b, &did, &q).await,
        Err(e) => Err(ResolutionError::new(
            StatusCode::BAD_REQUEST,
            "invalidOptions",
            e.body_text(),
        )),
    };
    match result {
        Ok((status, document, metadata, proofs)) => {
            if bare {
                return (
                    status,
                    [(header::CONTENT_TYPE, DID_DOCUMENT_MEDIA_TYPE)],
                    document.to_string(),
                )
                    .into_response();
            }
            (
                status,
                [(header::CONTENT_TYPE, RESOLUTION_MEDIA_TYPE)],
                result_body(document, metadata, proofs, None).to_string(),
            )
                .into_response()
        }
        Err(e) => (
            e.status,
            [(header::CONTENT_TYPE, RESOLUTION_MEDIA_TYPE)],
            result_body(Value::Null, json!({}), e.proofs, Some((e.code, &e.message))).to_string(),
        )
            .into_response(),
    }
}

type Resolved = (StatusCode, Value, Value, Option<Vec<ProofView>>);

async fn resolve_inner<B: Backend>(
    b: &B,
    did_text: &str,
    q: &ResolveQuery,
) -> Result<Resolved, ResolutionError> {
    let method = check_syntax(did_text)?;
    if method != "key" && method != "sovra" {
        return Err(ResolutionError::new(
            StatusCode::NOT_IMPLEMENTED,
            "methodNotSupported",
            format!("this node resolves did:sovra and did:key, not did:{method}"),
        ));
    }
    let did = Did::parse(did_text)
        .map_err(|e| ResolutionError::new(StatusCode::BAD_REQUEST, "invalidDid", e.to_string()))?;
    let options = check_options(q)?;
    if did.method() == DidMethod::Key {
        // A did:key has exactly one, immutable version.
        if options.version_id.is_some_and(|v| v != 1) {
            return Err(ResolutionError::new(
                StatusCode::NOT_FOUND,
                "notFound",
                "a did:key has only version 1",
            ));
        }
        let document = render_did_key(&did).map_err(|e| {
            ResolutionError::new(StatusCode::BAD_REQUEST, "invalidDid", e.to_string())
        })?;
        return Ok((StatusCode::OK, document, json!({ "versionId": "1" }), None));
    }
    let want_proof = options.proof;
    let not_found = |message: String, keys: Vec<StateKey>| async move {
        let mut e = ResolutionError::new(StatusCode::NOT_FOUND, "notFound", message);
        if want_proof {
            e.proofs = Some(b.proofs(keys).await?);
        }
        Ok::<_, ResolutionError>(e)
    };
    let Some(latest) = did_record(b, StateKey::Did(did.clone())).await? else {
        return Err(not_found(
            format!("{did} is not registered on this ledger"),
            vec![StateKey::Did(did.clone())],
        )
        .await?);
    };
    // Which version, and which keys prove it.
    let (record, proof_keys) = match (options.version_id, &options.version_time) {
        (Some(v), None) => {
            let Some(record) = did_record(b, version_key(&did, v)).await? else {
                return Err(not_found(
                    format!("{did} has no version {v} (latest is {})", latest.version),
                    vec![version_key(&did, v)],
                )
                .await?);
            };
            (record, vec![version_key(&did, v)])
        }
        (None, Some((t_ms, t))) => {
            let found = version_number_at(b, &did, latest.version, *t_ms).await?;
            let Some(v) = found else {
                return Err(not_found(
                    format!("{did} did not exist at {t}"),
                    vec![version_key(&did, 1)],
                )
                .await?);
            };
            let record = did_record(b, version_key(&did, v))
                .await?
                .ok_or_else(|| ApiError::Internal(format!("{did} lacks version {v}")))?;
            (record, vec![version_key(&did, v), version_key(&did, v + 1)])
        }
        _ => (latest.clone(), vec![StateKey::Did(did.clone())]),
    };
    let mut metadata = json!({
        "created": format_ms(record.created_ms),
        "versionId": record.version.to_string(),
    });
    if record.version > 1 {
        metadata["updated"] = json!(format_ms(record.updated_ms));
    }
    if record.deactivated {
        metadata["deactivated"] = json!(true);
    }
    if record.version < latest.version
        && let Some(next) = did_record(b, version_key(&did, record.version + 1)).await?
    {
        metadata["nextUpdate"] = json!(format_ms(next.updated_ms));
        metadata["nextVersionId"] = json!(next.version.to_string());
    }
    let proofs = if want_proof {
        Some(b.proofs(proof_keys).await?)
    } else {
        None
    };
    let status = if record.deactivated {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render_sovra(&did, &record.document),
        metadata,
        proofs,
    ))
}

fn verifier_view(did: &Did, r: &VerifierRecord) -> VerifierView {
    VerifierView {
        did: did.to_string(),
        name: r.name.clone(),
        credential_types: r.credential_types.clone(),
        registered_height: r.registered_height,
        registered_at: format_ms(r.registered_ms),
    }
}

/// The trust registry: verifiers and the credential types each may issue.
#[utoipa::path(get, path = "/v1/verifiers",
    responses((status = 200, body = Vec<VerifierView>)))]
async fn list_verifiers<B: Backend>(
    State(b): State<Arc<B>>,
) -> Result<Json<Vec<VerifierView>>, ApiError> {
    let mut out = Vec::new();
    for did in b.verifier_dids(MAX_VERIFIERS_LISTED).await? {
        if let Some(r) = verifier(&*b, &did).await? {
            out.push(verifier_view(&did, &r));
        }
    }
    Ok(Json(out))
}

/// One verifier's registration (prove it with `GET /v1/state/proof?key=verifier:<did>`).
#[utoipa::path(get, path = "/v1/verifiers/{did}", params(("did" = String, Path)),
    responses((status = 200, body = VerifierView), (status = 404, body = ErrorBody)))]
async fn get_verifier<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
) -> Result<Json<VerifierView>, ApiError> {
    let did = parse_did(&did)?;
    verifier(&*b, &did)
        .await?
        .map(|r| Json(verifier_view(&did, &r)))
        .ok_or_else(|| ApiError::NotFound(format!("{did} is not a registered verifier")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(
        version_id: Option<&str>,
        version_time: Option<&str>,
        proof: Option<&str>,
    ) -> ResolveQuery {
        ResolveQuery {
            version_id: version_id.map(String::from),
            version_time: version_time.map(String::from),
            proof: proof.map(String::from),
        }
    }

    fn code(q: ResolveQuery) -> Option<&'static str> {
        check_options(&q).err().map(|e| e.code)
    }

    #[test]
    fn garbage_version_options_are_invalid_options() {
        assert_eq!(
            code(query(None, Some("garbage"), None)),
            Some("invalidOptions")
        );
        assert_eq!(code(query(Some("abc"), None, None)), Some("invalidOptions"));
        assert_eq!(code(query(Some("0"), None, None)), Some("invalidOptions"));
        assert_eq!(code(query(None, None, Some("yes"))), Some("invalidOptions"));
        assert_eq!(
            code(query(Some("1"), Some("2026-01-01T00:00:00Z"), None)),
            Some("invalidOptions")
        );
        let ok = check_options(&query(None, Some("2026-01-01T00:00:00Z"), Some("true"))).unwrap();
        assert!(ok.proof && ok.version_time.is_some());
        assert_eq!(
            check_options(&query(Some("3"), None, None))
                .unwrap()
                .version_id,
            Some(3)
        );
    }
}
