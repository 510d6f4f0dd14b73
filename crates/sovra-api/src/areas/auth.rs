//! The authentication area: `POST /v1/auth/challenge`, `POST /v1/auth/token` and
//! `GET /v1/auth/session` (the flow is described in [`crate::auth`]).

use crate::{
    ApiError, Backend,
    extract::{Caller, Client, Json, path::parse_did},
    reads,
};
use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use sovra_api_types::{
    ErrorBody,
    auth::{
        AUTH_NAMESPACE, ChallengeRequest, ChallengeResponse, SessionView, TokenRequest,
        auth_message,
    },
};
use sovra_types::{
    DidMethod, Relationship, StateKey,
    did_document::{DidUrl, ed25519_key_for},
};
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "auth";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(post_challenge, post_token, get_session),
    components(schemas(ChallengeRequest, ChallengeResponse, TokenRequest, SessionView))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/v1/auth/challenge", post(post_challenge::<B>))
        .route("/v1/auth/token", post(post_token::<B>))
        .route("/v1/auth/session", get(get_session))
}

/// Start authenticating as a DID: returns a single-use challenge.
#[utoipa::path(post, path = "/v1/auth/challenge", request_body = ChallengeRequest,
    responses((status = 200, body = ChallengeResponse), (status = 400, body = ErrorBody)))]
async fn post_challenge<B: Backend>(
    State(b): State<Arc<B>>,
    Client(client): Client,
    Json(req): Json<ChallengeRequest>,
) -> Result<axum::Json<ChallengeResponse>, ApiError> {
    let did = parse_did(&req.did)?;
    let chain_id = b.status().await?.chain_id;
    let (challenge, expires_ms) = b.auth().challenge(client, did)?;
    Ok(axum::Json(ChallengeResponse {
        challenge,
        chain_id,
        expires_ms,
    }))
}

/// Answer a challenge with a signature by an authentication key; returns a bearer token.
#[utoipa::path(post, path = "/v1/auth/token", request_body = TokenRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody)))]
async fn post_token<B: Backend>(
    State(b): State<Arc<B>>,
    Client(client): Client,
    Json(req): Json<TokenRequest>,
) -> Result<axum::Json<SessionView>, ApiError> {
    let did = parse_did(&req.did)?;
    let url = DidUrl::parse(&req.verification_method)
        .map_err(|e| ApiError::bad("malformed", e.to_string()))?;
    if url.did != did {
        return Err(ApiError::Unauthorized(format!(
            "{} is not a method of {did}",
            req.verification_method
        )));
    }
    let signature_bytes = hex::decode(&req.signature)
        .map_err(|_| ApiError::bad("malformed", "signature is not hex"))?;
    // The challenge is used up whatever happens next: a failed answer cannot be retried.
    b.auth().take_challenge(&req.challenge, &did)?;
    let record = match did.method() {
        DidMethod::Key => None,
        DidMethod::Sovra => {
            let record = reads::did_record(&*b, StateKey::Did(did.clone()))
                .await?
                .ok_or_else(|| ApiError::Unauthorized(format!("{did} is not registered")))?;
            if record.deactivated {
                return Err(ApiError::Unauthorized(format!("{did} is deactivated")));
            }
            Some(record)
        }
    };
    let key = ed25519_key_for(
        &url,
        record.as_ref().map(|r| &r.document),
        Relationship::Authentication,
    )
    .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let public_key = sovra_crypto::keys::public_key_from_bytes(&key)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let signature = sovra_crypto::keys::signature_from_bytes(&signature_bytes)
        .map_err(|_| ApiError::Unauthorized("signature is not 64 bytes".into()))?;
    let chain_id = b.status().await?.chain_id;
    let message = auth_message(
        &chain_id,
        did.as_str(),
        &req.verification_method,
        &req.challenge,
    );
    if !sovra_crypto::verify(&public_key, AUTH_NAMESPACE, &message, &signature) {
        return Err(ApiError::Unauthorized("signature does not verify".into()));
    }
    Ok(axum::Json(b.auth().issue_token(
        client,
        did,
        req.verification_method,
        key,
    )?))
}

/// The identity and expiry of the request's bearer token.
#[utoipa::path(get, path = "/v1/auth/session",
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody)))]
async fn get_session(
    Caller { did, expires_ms }: Caller,
) -> Result<axum::Json<SessionView>, ApiError> {
    Ok(axum::Json(SessionView {
        token: None,
        did: did.to_string(),
        expires_ms,
    }))
}
