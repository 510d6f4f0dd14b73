//! The credentials area: verifiable credentials on every node, in the shape of the W3C VC-API
//! (`POST /credentials/verify`, `POST /presentations/verify`), the anchored status lists at
//! `GET /v1/status-lists/{issuer}/{list_id}`, and the JSON-LD contexts ([`contexts`]).
//!
//! Nodes hold no identity keys, so they verify but never issue (issuance is
//! `sovra issuer serve`, run by the verifier with its own key). Verification
//! reads the issuer's DID history, the trust registry and status lists from
//! this node's finalized state through [`NodeLedger`].

mod contexts;

use crate::{
    ApiError, Backend,
    blocking::blocking_with,
    extract::path::{check_status_list_id, parse_did},
    reads::{decoded, did_record, verifier, version_key, version_number_at},
};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::Value;
use sovra_api_types::{ContextView, ErrorBody};
use sovra_cas::BlockSource;
use sovra_credentials::verify::{
    Ledger, Policy, PresentationRequest, Verdict, verify_credential, verify_presentation,
};
use sovra_types::{ContentId, Did, DidRecord, StateKey, StatusListAnchor, VerifierRecord};
use std::sync::Arc;
use utoipa::OpenApi;

/// Largest credential or presentation request body (JSON-LD processing is
/// costly; real credentials are a few KiB).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Most credentials verified in one presentation.
pub const MAX_PRESENTED_CREDENTIALS: usize = 32;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "credentials";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        post_verify_credential,
        post_verify_presentation,
        get_status_list,
        contexts::list_contexts,
        contexts::get_context
    ),
    components(schemas(ContextView))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route(
            "/credentials/verify",
            post(post_verify_credential::<B>).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES)),
        )
        .route(
            "/presentations/verify",
            post(post_verify_presentation::<B>).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES)),
        )
        .route(
            "/v1/status-lists/{issuer}/{list_id}",
            get(get_status_list::<B>),
        )
        .merge(contexts::router())
}

/// Reads what verification needs from a node's newest finalized state.
struct NodeLedger<'a, B: Backend>(pub &'a B);

impl<B: Backend> NodeLedger<'_, B> {
    /// The anchor of `issuer`'s list `list_id`.
    async fn anchor(
        &self,
        issuer: &Did,
        list_id: &str,
    ) -> Result<Option<StatusListAnchor>, ApiError> {
        let key = StateKey::StatusList {
            issuer: issuer.clone(),
            list_id: list_id.to_string(),
        };
        decoded(self.0, key, StatusListAnchor::decode).await
    }

    /// The bytes of an anchored status list; the block store checks them against the anchored
    /// CID.
    async fn anchored_list(
        &self,
        anchor: &StatusListAnchor,
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let blocks = self.0.blocks();
        let cid = *anchor.cid.cid();
        blocking_with(move || blocks.require_block(&cid)).await
    }

    /// The version of `did` current at `at_ms`.
    async fn record_at(&self, did: &Did, at_ms: u64) -> Result<Option<DidRecord>, ApiError> {
        let b = self.0;
        let Some(latest) = did_record(b, StateKey::Did(did.clone())).await? else {
            return Ok(None);
        };
        match version_number_at(b, did, latest.version, at_ms).await? {
            Some(v) => did_record(b, version_key(did, v)).await,
            None => Ok(None),
        }
    }
}

impl<B: Backend> Ledger for NodeLedger<'_, B> {
    type Error = Box<dyn std::error::Error + Send + Sync>;

    async fn did_at(&self, did: &Did, at_ms: u64) -> Result<Option<DidRecord>, Self::Error> {
        Ok(self.record_at(did, at_ms).await?)
    }

    async fn did_latest(&self, did: &Did) -> Result<Option<DidRecord>, Self::Error> {
        Ok(did_record(self.0, StateKey::Did(did.clone())).await?)
    }

    async fn verifier(&self, did: &Did) -> Result<Option<VerifierRecord>, Self::Error> {
        Ok(verifier(self.0, did).await?)
    }

    async fn status_list(
        &self,
        issuer: &Did,
        list_id: &str,
    ) -> Result<Option<Vec<u8>>, Self::Error> {
        let Some(anchor) = self.anchor(issuer, list_id).await? else {
            return Ok(None);
        };
        self.anchored_list(&anchor).await.map(Some)
    }
}

/// Verification options of the VC-API request bodies.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyOptions {
    /// Presentations: the challenge the verifier issued.
    challenge: Option<String>,
    /// Presentations: the verifier's domain.
    domain: Option<String>,
    /// Also require the signing key to be in the issuer's current document.
    #[serde(default)]
    require_current_key: bool,
}

impl VerifyOptions {
    /// The verification policy these options ask for, at the current time.
    fn policy(&self) -> Policy {
        Policy {
            now_ms: crate::now_ms(),
            require_current_key: self.require_current_key,
        }
    }
}

/// Body of `POST /credentials/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyCredentialRequest {
    /// The credential.
    verifiable_credential: Value,
    /// Options.
    #[serde(default)]
    options: VerifyOptions,
}

/// Body of `POST /presentations/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyPresentationRequest {
    /// The presentation.
    verifiable_presentation: Value,
    /// Options.
    #[serde(default)]
    options: VerifyOptions,
}

fn verdict_response(v: Verdict) -> Response {
    let status = if v.verified {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, Json(v)).into_response()
}

/// Parses a request body strictly (no duplicate keys, no numbers a double
/// rounds: what the caller sent is what gets verified), then into `T`.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = sovra_credentials::parse_document(body)
        .map_err(|e| ApiError::bad("malformed", e.to_string()))?;
    serde_json::from_value(value).map_err(|e| ApiError::bad("malformed", e.to_string()))
}

/// Verify a credential: proof (with the issuer's key as it was when it was
/// signed), issuer active and registered for the credential's types,
/// validity period and status lists.
#[utoipa::path(post, path = "/credentials/verify",
    request_body(content = Object, description = "`{\"verifiableCredential\": {...}, \"options\": {\"requireCurrentKey\": false}}`"),
    responses(
        (status = 200, description = "Verified: `{verified, checks, errors, warnings, summary}`"),
        (status = 400, description = "Not verified (same shape, with `errors`), or a malformed body"),
    ))]
async fn post_verify_credential<B: Backend>(
    State(b): State<Arc<B>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: VerifyCredentialRequest = parse_body(&body)?;
    let policy = req.options.policy();
    let verdict = verify_credential(&req.verifiable_credential, &NodeLedger(&*b), &policy).await;
    Ok(verdict_response(verdict))
}

/// Verify a presentation: the holder's proof (authentication key, challenge,
/// domain) and every credential in it, each about the holder.
#[utoipa::path(post, path = "/presentations/verify",
    request_body(content = Object, description = "`{\"verifiablePresentation\": {...}, \"options\": {\"challenge\": \"...\", \"domain\": \"...\"}}`"),
    responses(
        (status = 200, description = "Verified: `{verified, checks, errors, warnings, credentials}`"),
        (status = 400, description = "Not verified, or a malformed body"),
    ))]
async fn post_verify_presentation<B: Backend>(
    State(b): State<Arc<B>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: VerifyPresentationRequest = parse_body(&body)?;
    if req.verifiable_presentation["verifiableCredential"]
        .as_array()
        .is_some_and(|a| a.len() > MAX_PRESENTED_CREDENTIALS)
    {
        return Err(ApiError::bad(
            "too_many_credentials",
            format!("a presentation may hold at most {MAX_PRESENTED_CREDENTIALS} credentials"),
        ));
    }
    let policy = req.options.policy();
    let request = PresentationRequest {
        challenge: req.options.challenge,
        domain: req.options.domain,
    };
    let verdict = verify_presentation(
        &req.verifiable_presentation,
        &request,
        &NodeLedger(&*b),
        &policy,
    )
    .await;
    Ok(verdict_response(verdict))
}

/// The anchored current version of an issuer's status list credential
/// (its bytes hash to the CID anchored on the ledger).
#[utoipa::path(get, path = "/v1/status-lists/{issuer}/{list_id}",
    params(("issuer" = String, Path), ("list_id" = String, Path)),
    responses((status = 200, description = "The status list credential"), (status = 404, body = ErrorBody)))]
async fn get_status_list<B: Backend>(
    State(b): State<Arc<B>>,
    Path((issuer, list_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let issuer = parse_did(&issuer)?;
    check_status_list_id(&list_id)?;
    let ledger = NodeLedger(&*b);
    let anchor = ledger
        .anchor(&issuer, &list_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{issuer} has no status list {list_id:?}")))?;
    let bytes =
        ledger
            .anchored_list(&anchor)
            .await
            .map_err(|source| ApiError::ContentUnavailable {
                what: "status list content",
                source,
            })?;
    let cid: ContentId = anchor.cid;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json".to_string()),
            (header::ETAG, format!("\"{cid}\"")),
            (
                header::HeaderName::from_static("x-sovra-anchor-version"),
                anchor.version.to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
