//! The node area: node status (`GET /v1/status`), Prometheus metrics (`GET /metrics`), and the
//! API's own description: the OpenAPI document (`/openapi.json`) and the Swagger UI (`/docs`,
//! its assets built into the binary).

use crate::{ApiError, Backend};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sovra_api_types::StatusView;
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "node";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(get_status, get_metrics), components(schemas(StatusView)))]
pub(crate) struct Doc;

/// This area's routes, with `doc` served at `/openapi.json` and browsable at `/docs`.
pub(crate) fn router<B: Backend>(doc: utoipa::openapi::OpenApi) -> Router<Arc<B>> {
    Router::new()
        .route("/v1/status", get(get_status::<B>))
        .route("/metrics", get(get_metrics::<B>))
        .merge(docs_router(doc))
}

/// What the `/docs` pages may load: only this node's own files (the Swagger
/// UI is built into the binary), so no third-party script ever runs there.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `doc` at `/openapi.json` and the Swagger UI at `/docs` (assets vendored in the binary).
pub(crate) fn docs_router<S: Clone + Send + Sync + 'static>(
    doc: utoipa::openapi::OpenApi,
) -> Router<S> {
    let config = utoipa_swagger_ui::Config::new(["/openapi.json"])
        // Swagger UI would otherwise send the document to swagger.io's validator.
        .validator_url("none")
        .try_it_out_enabled(true);
    let ui = utoipa_swagger_ui::SwaggerUi::new("/docs")
        .url("/openapi.json", doc)
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

/// Chain id, heights, validators, peers, and whether this node is behind the network
/// (`sync`: `synced` or `syncing`, with `network_height`, `lag` and `tip_age_ms`).
#[utoipa::path(get, path = "/v1/status", responses((status = 200, body = StatusView)))]
async fn get_status<B: Backend>(State(b): State<Arc<B>>) -> Result<Json<StatusView>, ApiError> {
    Ok(Json(b.status().await?))
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
