//! Routes, handlers and the OpenAPI document.

use crate::extract::Query;
use crate::{ApiError, Backend};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sovra_api_types::{
    AccountView, BlockView, ErrorBody, HeaderView, ProofView, ReceiptPage, ReceiptView, StatusView,
    SubmitRequest, SubmitResponse, SubmitResult, TxStatusView,
};
use sovra_types::{Did, SignedTransaction, StateKey, parse_digest};
use std::sync::Arc;
use utoipa::{OpenApi, openapi::tag::TagBuilder};

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
        sovra_api_types::ContentImportView,
        sovra_api_types::ContentStatusView,
        sovra_api_types::PinOwnerView,
        sovra_api_types::PublicDocView,
        sovra_api_types::VerifierView,
        sovra_api_types::ContextView,
        sovra_api_types::auth::ChallengeRequest,
        sovra_api_types::auth::ChallengeResponse,
        sovra_api_types::auth::TokenRequest,
        sovra_api_types::auth::SessionView,
        sovra_api_types::VaultRecordView,
        sovra_api_types::VaultRecordPage,
        sovra_api_types::GrantView,
        sovra_api_types::AccessEntry,
        sovra_api_types::AccessLogView,
        sovra_api_types::ErasureView,
        sovra_api_types::RecoveryView,
        sovra_api_types::PendingRecoveryView,
        sovra_api_types::ApprovalView
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
        .merge(docs_router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(crate::error::json_errors))
        .with_state(backend)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /docs".into())
}

/// What the `/docs` pages may load: only this node's own files (the Swagger
/// UI is built into the binary), so no third-party script ever runs there.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `/openapi.json` and the Swagger UI at `/docs` (assets vendored in the binary).
fn docs_router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = utoipa_swagger_ui::Config::new(["/openapi.json"])
        // Swagger UI would otherwise send the document to swagger.io's validator.
        .validator_url("none")
        .try_it_out_enabled(true);
    let ui = utoipa_swagger_ui::SwaggerUi::new("/docs")
        .url("/openapi.json", api_doc())
        .config(config);
    Router::<S>::from(ui).layer(axum::middleware::map_response(
        |mut r: Response| async move {
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            );
            r
        },
    ))
}

/// The API areas that tag the OpenAPI operations, by path prefix (first match).
const AREAS: &[(&str, &str)] = &[
    ("/v1/auth/", "auth"),
    ("/v1/accounts/{did}/public/", "content"),
    ("/v1/content", "content"),
    ("/ipfs/", "content"),
    ("/v1/vault/", "vault"),
    ("/v1/recovery/", "vault"),
    ("/1.0/identifiers/", "identity"),
    ("/v1/verifiers", "identity"),
    ("/credentials/", "credentials"),
    ("/presentations/", "credentials"),
    ("/v1/status-lists/", "credentials"),
    ("/contexts", "credentials"),
    ("/v1/txs", "ledger"),
    ("/v1/blocks/", "ledger"),
    ("/v1/accounts/", "ledger"),
    ("/v1/state/", "ledger"),
    ("/v1/status", "node"),
    ("/metrics", "node"),
];

/// Each area's description in the OpenAPI document.
const AREA_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "ledger",
        "Transactions, blocks, accounts, receipt chains and state proofs",
    ),
    (
        "identity",
        "W3C DID resolution (did:sovra, did:key) and the trust registry of verifiers",
    ),
    (
        "credentials",
        "Verifiable credential and presentation verification, status lists",
    ),
    (
        "content",
        "Public content: CAR uploads, pins, public documents, the IPFS trustless gateway",
    ),
    (
        "vault",
        "The private vault (client-side encrypted records) and guardian recovery",
    ),
    (
        "auth",
        "DID authentication: challenge, signed answer, bearer token",
    ),
    ("node", "Node status and metrics"),
];

/// The area of an API path.
fn area_of(path: &str) -> Option<&'static str> {
    AREAS
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, area)| *area)
}

/// The OpenAPI document, its operations tagged by area (ledger, identity,
/// credentials, content, vault, auth, node) instead of by Rust module.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for (path, item) in doc.paths.paths.iter_mut() {
        let area = area_of(path).unwrap_or("other");
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            op.tags = Some(vec![area.to_string()]);
        }
    }
    doc.tags = Some(
        AREA_DESCRIPTIONS
            .iter()
            .map(|(name, description)| {
                TagBuilder::new()
                    .name(*name)
                    .description(Some(*description))
                    .build()
            })
            .collect(),
    );
    doc
}

/// Every form of the `key` of `GET /v1/state/proof`, with an example and what it proves.
pub const PROOF_KEY_FORMS: &[(&str, &str, &str)] = &[
    (
        "account:<did>",
        "account:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "an identity's account: balance, nonce, receipt-chain head and length",
    ),
    (
        "meta:supply",
        "meta:supply",
        "the native tokens in existence",
    ),
    ("meta:burned", "meta:burned", "the fees burned so far"),
    (
        "pin:<cid>/<did>",
        "pin:bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "one identity's pin of a content root",
    ),
    (
        "doc:<did>/<name>",
        "doc:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK/profile",
        "the CID an identity's named public document points to",
    ),
    (
        "did-doc:<did>",
        "did-doc:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "the current version of a did:sovra (document, version, times, deactivation)",
    ),
    (
        "did-version:<did>/<n>",
        "did-version:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/1",
        "version n (from 1) of a did:sovra",
    ),
    (
        "verifier:<did>",
        "verifier:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "a verifier's registration in the trust registry",
    ),
    (
        "status-list:<did>/<list-id>",
        "status-list:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/revocation-1",
        "the anchor of an issuer's status list",
    ),
    (
        "vault-record:<id>",
        "vault-record:000102030405060708090a0b0c0d0e0f",
        "a private vault record's anchor (32 hex characters)",
    ),
    (
        "recovery:<did>",
        "recovery:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "an identity's guardian recovery setup",
    ),
];

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
///
/// The `key` is one of:
/// - `account:<did>`: an identity's account (balance, nonce, receipt-chain head and length);
/// - `meta:supply`, `meta:burned`: the native tokens in existence, the fees burned;
/// - `pin:<cid>/<did>`: one identity's pin of a content root;
/// - `doc:<did>/<name>`: the CID an identity's named public document points to;
/// - `did-doc:<did>`: the current version of a `did:sovra`;
/// - `did-version:<did>/<n>`: version `n` (from 1) of a `did:sovra`;
/// - `verifier:<did>`: a verifier's registration in the trust registry;
/// - `status-list:<did>/<list-id>`: the anchor of an issuer's status list;
/// - `vault-record:<id>`: a private vault record's anchor (32 hex characters);
/// - `recovery:<did>`: an identity's guardian recovery setup.
#[utoipa::path(get, path = "/v1/state/proof",
    params(("key" = String, Query, description = "`account:<did>`, `meta:supply`, `meta:burned`, `pin:<cid>/<did>`, `doc:<did>/<name>`, `did-doc:<did>`, `did-version:<did>/<n>`, `verifier:<did>`, `status-list:<did>/<list-id>`, `vault-record:<id>` (32 hex) or `recovery:<did>`")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, http::Request};
    use tower::ServiceExt as _;

    #[test]
    fn every_operation_is_tagged_by_a_known_area() {
        let doc = api_doc();
        let areas: Vec<&str> = AREA_DESCRIPTIONS.iter().map(|(a, _)| *a).collect();
        assert!(!doc.paths.paths.is_empty());
        for (path, item) in &doc.paths.paths {
            let ops = [&item.get, &item.post, &item.put, &item.delete];
            for op in ops.into_iter().flatten() {
                let tags = op.tags.clone().unwrap_or_default();
                assert_eq!(tags.len(), 1, "{path}: {tags:?}");
                assert!(areas.contains(&tags[0].as_str()), "{path} is in no area");
            }
        }
    }

    #[test]
    fn every_state_key_form_is_documented_and_parses() {
        let doc = api_doc();
        let proof = doc.paths.paths["/v1/state/proof"].get.as_ref().unwrap();
        let param = &proof.parameters.as_ref().unwrap()[0];
        let text = format!(
            "{} {}",
            param.description.clone().unwrap_or_default(),
            proof.description.clone().unwrap_or_default()
        );
        let mut seen = std::collections::HashSet::new();
        for (form, example, _) in PROOF_KEY_FORMS {
            assert!(
                text.contains(form),
                "{form} is missing from the OpenAPI document"
            );
            let key = StateKey::parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
            // A new StateKey variant must be added to PROOF_KEY_FORMS (and the docs).
            let variant = match key {
                StateKey::Account(_) => "account",
                StateKey::Meta(sovra_types::state::MetaKey::Supply) => "supply",
                StateKey::Meta(sovra_types::state::MetaKey::Burned) => "burned",
                StateKey::Pin { .. } => "pin",
                StateKey::PublicDoc { .. } => "doc",
                StateKey::Did(_) => "did",
                StateKey::DidVersion { .. } => "did-version",
                StateKey::Verifier(_) => "verifier",
                StateKey::StatusList { .. } => "status-list",
                StateKey::VaultRecord(_) => "vault-record",
                StateKey::Recovery(_) => "recovery",
            };
            seen.insert(variant);
        }
        assert_eq!(
            seen.len(),
            11,
            "every state key variant has a documented form"
        );
    }

    async fn get_text(router: Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let r = router
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// The `src`/`href` references of an HTML page.
    fn references(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        for attr in ["src=\"", "href=\"", "src='", "href='"] {
            let quote = attr.chars().last().unwrap();
            for part in html.split(attr).skip(1) {
                out.push(part.split(quote).next().unwrap_or("").to_string());
            }
        }
        out
    }

    #[tokio::test]
    async fn the_docs_page_loads_nothing_from_other_hosts() {
        let router: Router = docs_router();
        let (status, headers, html) = get_text(router.clone(), "/docs/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        let refs = references(&html);
        assert!(!refs.is_empty(), "{html}");
        for r in &refs {
            assert!(
                !r.contains("//") && !r.starts_with("data:text/html"),
                "external reference {r:?} in /docs"
            );
            // Every local asset is served by the node itself.
            let path = format!("/docs/{}", r.trim_start_matches("./"));
            let (status, _, body) = get_text(router.clone(), &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(!body.is_empty(), "{path}");
        }
        let (_, _, init) = get_text(router.clone(), "/docs/swagger-initializer.js").await;
        assert!(init.contains("/openapi.json"), "{init}");
        assert!(
            !init.contains("http://") && !init.contains("https://"),
            "{init}"
        );
        assert!(
            init.replace(' ', "").contains("\"validatorUrl\":\"none\""),
            "{init}"
        );
        let (status, headers, doc) = get_text(router, "/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("json")
        );
        assert!(doc.contains("\"ledger\""));
    }
}
