//! The assets area: asset classes, the classes an issuer created and what an identity holds
//! (docs/assets.md). Listings come from the node's index; every class, balance and lock in an
//! answer is read from the newest finalized state (each is also provable with
//! `/v1/state/proof`).

use crate::{ApiError, Backend, extract::path::parse_did, reads::decoded};
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    routing::get,
};
use serde::Deserialize;
use sovra_api_types::{
    AssetClassListView, AssetClassView, AssetHoldingView, AssetHoldingsView, AssetLockView,
    AssetTokenView, BundleItemView, ErrorBody,
};
use sovra_types::{
    AssetClass, AssetClassId, Bundle, HolderBalance, StateKey, TokenLock, TokenRecord,
    assets::validate_class_name,
};
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "assets";

/// Most entries of a listing.
const MAX_PAGE: usize = 200;

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_class, get_token, get_issuer_classes, get_holdings),
    components(schemas(
        AssetClassView,
        AssetTokenView,
        BundleItemView,
        AssetClassListView,
        AssetHoldingView,
        AssetHoldingsView,
        AssetLockView
    ))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/v1/assets/classes/{issuer}/{name}", get(get_class::<B>))
        .route(
            "/v1/assets/classes/{issuer}/{name}/tokens/{token}",
            get(get_token::<B>),
        )
        .route(
            "/v1/assets/issuers/{did}/classes",
            get(get_issuer_classes::<B>),
        )
        .route("/v1/assets/holders/{did}", get(get_holdings::<B>))
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<usize>,
}

fn limit(q: &LimitQuery) -> usize {
    q.limit.unwrap_or(100).clamp(1, MAX_PAGE)
}

/// A class at the newest finalized state, if it exists.
async fn class<B: Backend>(b: &B, id: &AssetClassId) -> Result<Option<AssetClass>, ApiError> {
    decoded(b, StateKey::AssetClass(id.clone()), AssetClass::decode).await
}

/// Parses the path's class.
fn class_id(issuer: &str, name: String) -> Result<AssetClassId, ApiError> {
    let issuer = parse_did(issuer)?;
    validate_class_name(&name).map_err(|e| ApiError::bad("invalid_class", e.to_string()))?;
    Ok(AssetClassId { issuer, name })
}

/// An asset class: its terms, mint authority and supply.
#[utoipa::path(get, path = "/v1/assets/classes/{issuer}/{name}",
    params(("issuer" = String, Path, description = "The issuer's DID"), ("name" = String, Path)),
    responses((status = 200, body = AssetClassView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_class<B: Backend>(
    State(b): State<Arc<B>>,
    Path((issuer, name)): Path<(String, String)>,
) -> Result<Json<AssetClassView>, ApiError> {
    let id = class_id(&issuer, name)?;
    let class = class(&*b, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no asset class {id}")))?;
    Ok(Json(AssetClassView::new(&id, &class)))
}

/// One token of a non-fungible or semi-fungible class: its owner (or `nested` inside another
/// token, or `burned`), supply, metadata and what it holds.
#[utoipa::path(get, path = "/v1/assets/classes/{issuer}/{name}/tokens/{token}",
    params(("issuer" = String, Path, description = "The issuer's DID"), ("name" = String, Path),
        ("token" = u64, Path)),
    responses((status = 200, body = AssetTokenView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_token<B: Backend>(
    State(b): State<Arc<B>>,
    Path((issuer, name, token)): Path<(String, String, String)>,
) -> Result<Json<AssetTokenView>, ApiError> {
    let id = class_id(&issuer, name)?;
    let token: u64 = token
        .parse()
        .map_err(|_| ApiError::bad("invalid_token", format!("not a token id: {token:?}")))?;
    let class = class(&*b, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no asset class {id}")))?;
    let key = StateKey::AssetToken {
        class: id.clone(),
        token,
    };
    let record = decoded(&*b, key, TokenRecord::decode)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no token {token} of {id}")))?;
    let key = StateKey::AssetBundle {
        class: id.clone(),
        token,
    };
    let bundle = decoded(&*b, key, Bundle::decode).await?.unwrap_or_default();
    Ok(Json(AssetTokenView::new(
        &id,
        class.terms.kind,
        token,
        &record,
        &bundle,
    )))
}

/// The classes an issuer created, by name (`limit`: 1-200, default 100).
#[utoipa::path(get, path = "/v1/assets/issuers/{did}/classes",
    params(("did" = String, Path), ("limit" = Option<usize>, Query)),
    responses((status = 200, body = AssetClassListView), (status = 400, body = ErrorBody)))]
async fn get_issuer_classes<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<AssetClassListView>, ApiError> {
    let issuer = parse_did(&did)?;
    let mut classes = Vec::new();
    for id in b.asset_classes_of(issuer.clone(), limit(&q)).await? {
        if let Some(c) = class(&*b, &id).await? {
            classes.push(AssetClassView::new(&id, &c));
        }
    }
    Ok(Json(AssetClassListView {
        issuer: issuer.to_string(),
        classes,
    }))
}

/// What an identity holds: its positive balances and the locks made for it that are not yet
/// released in full (`limit`: 1-200 entries of each, default 100).
#[utoipa::path(get, path = "/v1/assets/holders/{did}",
    params(("did" = String, Path), ("limit" = Option<usize>, Query)),
    responses((status = 200, body = AssetHoldingsView), (status = 400, body = ErrorBody)))]
async fn get_holdings<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<AssetHoldingsView>, ApiError> {
    let holder = parse_did(&did)?;
    let limit = limit(&q);
    let mut holdings = Vec::new();
    for (class, token) in b.asset_holdings_of(holder.clone(), limit).await? {
        let key = StateKey::AssetBalance {
            class: class.clone(),
            token,
            holder: holder.clone(),
        };
        let balance = decoded(&*b, key, HolderBalance::decode)
            .await?
            .map_or(0, |r| r.amount);
        if balance > 0 {
            holdings.push(AssetHoldingView {
                class: class.to_string(),
                token,
                balance: balance.to_string(),
            });
        }
    }
    let mut locks = Vec::new();
    for (class, id) in b.asset_locks_of(holder.clone(), limit).await? {
        let key = StateKey::AssetLock {
            class: class.clone(),
            holder: holder.clone(),
            id,
        };
        if let Some(lock) = decoded(&*b, key, TokenLock::decode).await? {
            locks.push(AssetLockView::new(&class, id, &lock));
        }
    }
    Ok(Json(AssetHoldingsView {
        did: holder.to_string(),
        holdings,
        locks,
    }))
}
