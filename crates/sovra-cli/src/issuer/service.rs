//! The HTTP side of `sovra issuer serve`: an issuance service for one
//! verifier, in the shape of the W3C VC-API issuer endpoints.
//!
//! - `POST /credentials/issue` `{"credential": {...}, "options": {"cryptosuite": "eddsa-jcs-2022"}}`
//!   → 201 `{"verifiableCredential": {...}}` (issuer and status entries set, signed);
//! - `POST /credentials/status` `{"verifiableCredential": {...}, "status": "revoked" | "suspended" | "active"}`
//!   → 200 once the changed list is published and anchored.
//!
//! The service holds the verifier's key, so it listens on loopback by
//! default; with `--api-token` every request must carry
//! `Authorization: Bearer <token>`.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};
use sovra_credentials::{
    Cryptosuite,
    status::{StatusPurpose, status_entries},
};

use sovra_client::Client;

use super::Issuer;

/// Largest request body.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// State of `sovra issuer serve`.
pub(crate) struct IssuerService {
    /// Node client.
    pub(crate) client: Client,
    /// The issuer (one request at a time changes its lists).
    pub(crate) issuer: Mutex<Issuer>,
    /// Fee of status-list transactions.
    pub(crate) fee: u64,
}

/// Shared state of the routes.
pub(crate) struct ServiceState {
    /// The issuer.
    pub(crate) service: Arc<IssuerService>,
    /// Required bearer token, if any.
    pub(crate) token: Option<String>,
}

fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    (
        status,
        Json(json!({ "code": code, "message": message.to_string() })),
    )
        .into_response()
}

/// `None` if the request may go on, else the 401 to answer. The scheme is
/// case-insensitive (RFC 9110); tokens are compared through their SHA-256.
fn refusal(state: &ServiceState, headers: &HeaderMap) -> Option<Response> {
    let token = state.token.as_ref()?;
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    // Comparing digests: the time taken says nothing about the token.
    let digest = |t: &str| sovra_types::sha256(&[b"sovra/issuer-token", t.as_bytes()]);
    let matches = given.is_some_and(|g| digest(g) == digest(token));
    (!matches).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this issuer requires Authorization: Bearer <api token>",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueOptions {
    cryptosuite: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueRequest {
    credential: Value,
    options: Option<IssueOptions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StatusRequest {
    verifiable_credential: Value,
    status: String,
}

/// Checks the token, then parses the body; on failure, the answer to send.
fn accept<T: serde::de::DeserializeOwned>(
    state: &ServiceState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Box<Response>> {
    if let Some(r) = refusal(state, headers) {
        return Err(Box::new(r));
    }
    // Strictly: the issuer signs exactly what the caller sent, with no
    // duplicate keys or rounded numbers to read two ways.
    let value = sovra_credentials::parse_document(body)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, "malformed", e)))?;
    serde_json::from_value(value)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, "malformed", e)))
}

async fn issue(
    State(state): State<Arc<ServiceState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let req: IssueRequest = match accept(&state, &headers, &body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let suite = match req
        .options
        .and_then(|o| o.cryptosuite)
        .map(|s| s.parse::<Cryptosuite>())
        .transpose()
    {
        Ok(s) => s.unwrap_or(Cryptosuite::EddsaRdfc2022),
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_options", e),
    };
    let service = state.service.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut issuer = service.issuer.lock().expect("issuer lock");
        issuer.issue(&service.client, req.credential, suite, service.fee)
    })
    .await;
    match result {
        Ok(Ok(vc)) => (
            StatusCode::CREATED,
            Json(json!({ "verifiableCredential": vc })),
        )
            .into_response(),
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, "issue_failed", format!("{e:#}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

async fn update_status(
    State(state): State<Arc<ServiceState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let req: StatusRequest = match accept(&state, &headers, &body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let (purpose, value) = match req.status.as_str() {
        "revoked" => (StatusPurpose::Revocation, true),
        "suspended" => (StatusPurpose::Suspension, true),
        "active" => (StatusPurpose::Suspension, false),
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_status",
                format!("status is revoked, suspended or active, not {other:?}"),
            );
        }
    };
    let entry = match status_entries(&req.verifiable_credential)
        .map(|entries| entries.into_iter().find(|e| e.purpose == purpose))
    {
        Ok(Some(e)) => e,
        Ok(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "no_status_entry",
                format!("the credential has no {} entry", purpose.as_str()),
            );
        }
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed", e),
    };
    let service = state.service.clone();
    let credential_issuer = req.verifiable_credential["issuer"]
        .as_str()
        .map(String::from);
    let result = tokio::task::spawn_blocking(move || {
        let mut issuer = service.issuer.lock().expect("issuer lock");
        if credential_issuer.as_deref() != Some(issuer.did.as_str()) {
            anyhow::bail!("the credential was not issued by {}", issuer.did);
        }
        issuer.set_status(&service.client, purpose, entry.index, value, service.fee)
    })
    .await;
    match result {
        Ok(Ok(())) => Json(json!({ "status": req.status, "index": entry.index })).into_response(),
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, "status_failed", format!("{e:#}")),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e),
    }
}

/// The service's routes.
pub(crate) fn router(state: Arc<ServiceState>) -> Router {
    Router::new()
        .route("/credentials/issue", post(issue))
        .route("/credentials/status", post(update_status))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
