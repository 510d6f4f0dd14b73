//! Routes, handlers and the OpenAPI document.

use crate::{ApiError, Backend};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sovra_types::{
    Did, SignedTransaction, StateKey,
    api::{
        AccountView, BlockView, ErrorBody, HeaderView, ProofView, ReceiptPage, ReceiptView,
        StatusView, SubmitRequest, SubmitResponse, SubmitResult, TxStatusView,
    },
    parse_digest,
};
use std::sync::Arc;
use utoipa::OpenApi;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most transactions in one submission.
pub const MAX_BATCH: usize = 10_000;
/// Most receipt entries per page.
const MAX_PAGE: usize = 500;

/// The OpenAPI description of this API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sovra node API",
        description = "Submit transactions, read the Sovra ledger, resolve DIDs (W3C DID Resolution), read the trust registry, store and read public content (IPFS trustless gateway), keep a client-side encrypted private vault and recover keys with guardians."
    ),
    paths(
        submit_txs,
        get_tx,
        get_block,
        get_account,
        get_receipts,
        get_status,
        get_proof,
        get_metrics,
        crate::gateway::get_ipfs,
        crate::gateway::post_content,
        crate::gateway::get_content_status,
        crate::gateway::get_public_doc,
        crate::did_resolution::resolve,
        crate::did_resolution::list_verifiers,
        crate::did_resolution::get_verifier,
        crate::auth::post_challenge,
        crate::auth::post_token,
        crate::auth::get_session,
        crate::credentials::post_verify_credential,
        crate::credentials::post_verify_presentation,
        crate::credentials::get_status_list,
        crate::contexts::list_contexts,
        crate::contexts::get_context,
        crate::vault::post_blocks,
        crate::vault::list_records,
        crate::vault::get_record,
        crate::vault::get_content,
        crate::vault::get_keys,
        crate::vault::get_grant,
        crate::vault::get_log,
        crate::vault::get_erasure,
        crate::vault::get_recovery,
        crate::vault::get_shares,
        crate::vault::get_approval
    ),
    components(schemas(
        SubmitRequest,
        SubmitResponse,
        SubmitResult,
        ErrorBody,
        TxStatusView,
        BlockView,
        HeaderView,
        AccountView,
        ReceiptPage,
        ReceiptView,
        StatusView,
        ProofView,
        sovra_types::api::ContentImportView,
        sovra_types::api::ContentStatusView,
        sovra_types::api::PinOwnerView,
        sovra_types::api::PublicDocView,
        sovra_types::api::VerifierView,
        crate::contexts::ContextView,
        sovra_types::auth::ChallengeRequest,
        sovra_types::auth::ChallengeResponse,
        sovra_types::auth::TokenRequest,
        sovra_types::auth::SessionView,
        sovra_types::api_vault::VaultRecordView,
        sovra_types::api_vault::VaultRecordPage,
        sovra_types::api_vault::GrantView,
        sovra_types::api_vault::AccessEntry,
        sovra_types::api_vault::AccessLogView,
        sovra_types::api_vault::ErasureView,
        sovra_types::api_vault::RecoveryView,
        sovra_types::api_vault::PendingRecoveryView,
        sovra_types::api_vault::ApprovalView
    ))
)]
pub struct ApiDoc;

/// Builds the router for a backend.
pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    Router::new()
        .route("/v1/txs", post(submit_txs::<B>))
        .route("/v1/txs/{id}", get(get_tx::<B>))
        .route("/v1/blocks/{at}", get(get_block::<B>))
        .route("/v1/accounts/{did}", get(get_account::<B>))
        .route("/v1/accounts/{did}/receipts", get(get_receipts::<B>))
        .route("/v1/status", get(get_status::<B>))
        .route("/v1/state/proof", get(get_proof::<B>))
        .route("/metrics", get(get_metrics::<B>))
        .route("/ipfs/{*path}", get(crate::gateway::get_ipfs::<B>))
        .route(
            "/v1/content",
            post(crate::gateway::post_content::<B>).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/content/{cid}",
            get(crate::gateway::get_content_status::<B>),
        )
        .route(
            "/v1/accounts/{did}/public/{name}",
            get(crate::gateway::get_public_doc::<B>),
        )
        .route(
            "/1.0/identifiers/{did}",
            get(crate::did_resolution::resolve::<B>),
        )
        .route(
            "/v1/verifiers",
            get(crate::did_resolution::list_verifiers::<B>),
        )
        .route(
            "/v1/verifiers/{did}",
            get(crate::did_resolution::get_verifier::<B>),
        )
        .route("/v1/auth/challenge", post(crate::auth::post_challenge::<B>))
        .route("/v1/auth/token", post(crate::auth::post_token::<B>))
        .route("/v1/auth/session", get(crate::auth::get_session::<B>))
        .route(
            "/credentials/verify",
            post(crate::credentials::post_verify_credential::<B>).layer(DefaultBodyLimit::max(
                crate::credentials::MAX_DOCUMENT_BYTES,
            )),
        )
        .route(
            "/presentations/verify",
            post(crate::credentials::post_verify_presentation::<B>).layer(DefaultBodyLimit::max(
                crate::credentials::MAX_DOCUMENT_BYTES,
            )),
        )
        .route(
            "/v1/status-lists/{issuer}/{list_id}",
            get(crate::credentials::get_status_list::<B>),
        )
        .route(
            "/v1/vault/blocks",
            post(crate::vault::post_blocks::<B>).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/vault/records", get(crate::vault::list_records::<B>))
        .route("/v1/vault/records/{id}", get(crate::vault::get_record::<B>))
        .route(
            "/v1/vault/records/{id}/content",
            get(crate::vault::get_content::<B>),
        )
        .route(
            "/v1/vault/records/{id}/keys",
            get(crate::vault::get_keys::<B>),
        )
        .route(
            "/v1/vault/records/{id}/grant",
            get(crate::vault::get_grant::<B>),
        )
        .route(
            "/v1/vault/records/{id}/log",
            get(crate::vault::get_log::<B>),
        )
        .route(
            "/v1/vault/records/{id}/erasure",
            get(crate::vault::get_erasure::<B>),
        )
        .route("/v1/recovery/{did}", get(crate::vault::get_recovery::<B>))
        .route(
            "/v1/recovery/{did}/shares",
            get(crate::vault::get_shares::<B>),
        )
        .route(
            "/v1/recovery/{did}/approvals/{guardian}",
            get(crate::vault::get_approval::<B>),
        )
        .merge(crate::contexts::router())
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(backend)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /docs".into())
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        ApiDoc::openapi().to_pretty_json().unwrap_or_default(),
    )
        .into_response()
}

async fn docs_page() -> Html<String> {
    Html(utoipa_scalar::Scalar::new(ApiDoc::openapi()).to_html())
}

pub(crate) fn parse_did(s: &str) -> Result<Did, ApiError> {
    Did::parse(s).map_err(|e| ApiError::bad("invalid_did", e.to_string()))
}

fn decode_one(hex_tx: &str) -> Result<(SignedTransaction, usize), ErrorBody> {
    let bytes = hex::decode(hex_tx.trim_start_matches("0x")).map_err(|_| ErrorBody {
        code: "malformed".into(),
        message: "transaction is not hex".into(),
    })?;
    let tx = SignedTransaction::decode(&bytes).map_err(|e| ErrorBody {
        code: "malformed".into(),
        message: e.to_string(),
    })?;
    Ok((tx, bytes.len()))
}

/// Submit one signed transaction (`tx`) or a batch (`txs`), hex-encoded.
///
/// A node behind the network (see `sync` on `/v1/status`) refuses every submission with `503`
/// and code `syncing` instead of admitting transactions against stale state: retry shortly, or
/// submit to another node. An accepted transaction ends `completed`, `failed`, `replaced` or
/// `expired` (see `GET /v1/txs/{id}`).
#[utoipa::path(post, path = "/v1/txs", request_body = SubmitRequest,
    responses(
        (status = 202, description = "All accepted into the mempool", body = SubmitResponse),
        (status = 400, description = "One or more refused; see each result's error (e.g. `nonce_used`, `nonce_taken`, `zero_amount`)", body = SubmitResponse),
        (status = 413, description = "Body too large"),
        (status = 503, description = "This node is behind the network (code `syncing`); nothing was admitted", body = ErrorBody),
    ))]
async fn submit_txs<B: Backend>(
    State(b): State<Arc<B>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: SubmitRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("malformed", format!("body is not a submit request: {e}")))?;
    let items: Vec<String> = match (req.tx, req.txs) {
        (Some(one), None) => vec![one],
        (None, Some(many)) => many,
        _ => {
            return Err(ApiError::bad(
                "malformed",
                "give exactly one of `tx` or `txs`",
            ));
        }
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::bad(
            "batch_size",
            format!("a batch holds 1 to {MAX_BATCH} transactions"),
        ));
    }
    let decoded: Vec<Result<(SignedTransaction, usize), ErrorBody>> =
        items.iter().map(|h| decode_one(h)).collect();
    let good: Vec<(SignedTransaction, usize)> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok().cloned())
        .collect();
    let mut admitted = match b.submit(good).await {
        Ok(results) => results.into_iter(),
        Err(refusal) => {
            return Ok((
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
                Json(refusal),
            )
                .into_response());
        }
    };
    let results: Vec<SubmitResult> = decoded
        .into_iter()
        .map(|d| match d {
            Ok(_) => admitted.next().unwrap_or(SubmitResult {
                id: None,
                accepted: false,
                error: Some(ErrorBody {
                    code: "internal".into(),
                    message: "missing result".into(),
                }),
            }),
            Err(error) => SubmitResult {
                id: None,
                accepted: false,
                error: Some(error),
            },
        })
        .collect();
    let status = if results.iter().all(|r| r.accepted) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, Json(SubmitResponse { results })).into_response())
}

/// A transaction's status: `pending`, or final: `completed` or `failed` (with its receipt),
/// `replaced` (another transaction used its nonce; `replaced_by`) or `expired` (`expiry_height`).
#[utoipa::path(get, path = "/v1/txs/{id}", params(("id" = String, Path, description = "Transaction id, hex")),
    responses((status = 200, body = TxStatusView), (status = 404, description = "Not known to this node: never held here, or dropped long ago", body = ErrorBody), (status = 400, body = ErrorBody)))]
async fn get_tx<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Json<TxStatusView>, ApiError> {
    let id = parse_digest(&id).map_err(|e| ApiError::bad("invalid_id", e.to_string()))?;
    b.tx_status(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("transaction not known to this node".into()))
}

/// A finalized block by height, or `latest`.
#[utoipa::path(get, path = "/v1/blocks/{at}", params(("at" = String, Path, description = "Height or `latest`")),
    responses((status = 200, body = BlockView), (status = 404, body = ErrorBody)))]
async fn get_block<B: Backend>(
    State(b): State<Arc<B>>,
    Path(at): Path<String>,
) -> Result<Json<BlockView>, ApiError> {
    let height = if at == "latest" {
        None
    } else {
        Some(
            at.parse::<u64>()
                .map_err(|_| ApiError::bad("invalid_height", "height is a number or `latest`"))?,
        )
    };
    b.block(height)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no finalized block at {at}")))
}

/// An identity's balance, nonce, next nonce (counting its transactions waiting here) and
/// receipt-chain head.
#[utoipa::path(get, path = "/v1/accounts/{did}", params(("did" = String, Path)),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody)))]
async fn get_account<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(b.account(parse_did(&did)?).await?))
}

#[derive(Deserialize)]
struct PageQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

/// An identity's receipt chain, oldest first, paginated.
#[utoipa::path(get, path = "/v1/accounts/{did}/receipts",
    params(("did" = String, Path), ("from" = Option<u64>, Query), ("limit" = Option<usize>, Query, description = "At most 500")),
    responses((status = 200, body = ReceiptPage), (status = 400, body = ErrorBody)))]
async fn get_receipts<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<ReceiptPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    Ok(Json(
        b.receipts(parse_did(&did)?, q.from.unwrap_or(0), limit)
            .await?,
    ))
}

/// Chain id, heights, validators, peers, and whether this node is behind the network
/// (`sync`: `synced` or `syncing`, with `network_height`, `lag` and `tip_age_ms`).
#[utoipa::path(get, path = "/v1/status", responses((status = 200, body = StatusView)))]
async fn get_status<B: Backend>(State(b): State<Arc<B>>) -> Result<Json<StatusView>, ApiError> {
    Ok(Json(b.status().await?))
}

#[derive(Deserialize)]
struct ProofQuery {
    key: String,
}

/// Inclusion or exclusion proof of a state key against the newest finalized header.
#[utoipa::path(get, path = "/v1/state/proof",
    params(("key" = String, Query, description = "`account:<did>`, `meta:supply`, `meta:burned`, `pin:<cid>/<did>`, `doc:<did>/<name>`, `did-doc:<did>`, `did-version:<did>/<n>`, `verifier:<did>` or `status-list:<did>/<id>`")),
    responses((status = 200, body = ProofView), (status = 400, body = ErrorBody)))]
async fn get_proof<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<ProofView>, ApiError> {
    let key = StateKey::parse(&q.key).map_err(|e| ApiError::bad("invalid_key", e.to_string()))?;
    Ok(Json(b.proof(key).await?))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format")))]
async fn get_metrics<B: Backend>(State(b): State<Arc<B>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        b.metrics().await,
    )
        .into_response()
}
