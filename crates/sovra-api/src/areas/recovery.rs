//! The recovery area: an identity's guardian recovery setup over HTTP. The setup and the
//! pending recovery are public; the block of encrypted shares is released only to the
//! identity's guardians (DID-authenticated), and each guardian's approval only to the pending
//! recovery's new controller.
//!
//! Blocks are read from one owner's namespace only (see `sovra_store::vault_store`): a
//! recovery's shares from the identity's, an approval from its guardian's.

use crate::{
    ApiError, Backend,
    extract::{authenticate, path::parse_did},
    reads::{decoded, vault_block},
    respond::octets,
};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::HeaderMap,
    response::Response,
    routing::get,
};
use sovra_api_types::{ApprovalView, ErrorBody, PendingRecoveryView, RecoveryView};
use sovra_types::{Did, RecoveryConfig, StateKey};
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area (recovery is part of the vault's documentation).
pub(crate) const TAG: &str = "vault";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_recovery, get_shares, get_approval),
    components(schemas(RecoveryView, PendingRecoveryView, ApprovalView))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/v1/recovery/{did}", get(get_recovery::<B>))
        .route("/v1/recovery/{did}/shares", get(get_shares::<B>))
        .route(
            "/v1/recovery/{did}/approvals/{guardian}",
            get(get_approval::<B>),
        )
}

/// An identity's recovery setup at the newest finalized state.
async fn recovery<B: Backend>(b: &B, did: &Did) -> Result<RecoveryConfig, ApiError> {
    decoded(b, StateKey::Recovery(did.clone()), RecoveryConfig::decode)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{did} has no recovery setup")))
}

/// An identity's guardian recovery setup and pending recovery.
#[utoipa::path(get, path = "/v1/recovery/{did}", params(("did" = String, Path)),
    responses((status = 200, body = RecoveryView), (status = 404, body = ErrorBody)))]
async fn get_recovery<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
) -> Result<Json<RecoveryView>, ApiError> {
    let did = parse_did(&did)?;
    let config = recovery(&*b, &did).await?;
    Ok(Json(RecoveryView::new(&did, &config)))
}

/// The block of encrypted shares of a recovery setup (guardians only).
#[utoipa::path(get, path = "/v1/recovery/{did}/shares", params(("did" = String, Path)),
    responses((status = 200, description = "The shares block", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_shares<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let did = parse_did(&did)?;
    let (caller, _) = authenticate(&*b, &headers).await?;
    let config = recovery(&*b, &did).await?;
    if !config.guardians.contains(&caller) {
        return Err(ApiError::Forbidden(format!(
            "{caller} is not a guardian of {did}"
        )));
    }
    // The identity uploads its shares block: it is read from the identity's namespace.
    Ok(octets(vault_block(&*b, &did, &config.shares).await?))
}

/// A guardian's approval share, encrypted to the new device (the pending recovery's new
/// controller only).
#[utoipa::path(get, path = "/v1/recovery/{did}/approvals/{guardian}", params(("did" = String, Path), ("guardian" = String, Path)),
    responses((status = 200, description = "The share block", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_approval<B: Backend>(
    State(b): State<Arc<B>>,
    Path((did, guardian)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let did = parse_did(&did)?;
    let guardian = parse_did(&guardian)?;
    let (caller, _) = authenticate(&*b, &headers).await?;
    let config = recovery(&*b, &did).await?;
    let pending = config
        .pending
        .ok_or_else(|| ApiError::NotFound(format!("{did} has no pending recovery")))?;
    if pending.new_controller != caller {
        return Err(ApiError::Forbidden(format!(
            "only {} receives the approvals",
            pending.new_controller
        )));
    }
    let approval = pending
        .approvals
        .iter()
        .find(|a| a.guardian == guardian)
        .ok_or_else(|| ApiError::NotFound(format!("{guardian} has not approved")))?;
    // The guardian uploads its approval: it is read from the guardian's namespace.
    Ok(octets(
        vault_block(&*b, &approval.guardian, &approval.share).await?,
    ))
}
