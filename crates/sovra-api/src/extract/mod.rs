//! Everything the API takes from a request, in one place: the `Json` body and `Query` string
//! extractors whose refusals are [`ApiError`]s with a specific code instead of axum's
//! plain-text rejections (`malformed`, 415 `unsupported_media_type`, 413 `body_too_large`;
//! `invalid_query`), the client address ([`client`]), the authenticated caller ([`auth`]) and
//! the parsers of path and query values into domain types (`path`). Handlers that still use
//! axum's own extractors get the JSON shape from [`crate::json_errors`], with a code from the
//! status.

pub mod auth;
pub mod client;
pub(crate) mod path;

pub use auth::{Caller, authenticate, bearer_token};
pub use client::{Client, ClientKey};

use crate::ApiError;
use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;

/// A JSON request body (`Content-Type: application/json`).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::MissingJsonContentType(e)) => Err(ApiError::Status {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                message: e.body_text(),
            }),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                e.body_text(),
            )),
            Err(e) => Err(ApiError::bad("malformed", e.body_text())),
        }
    }
}

/// A query string deserialized into `T`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::bad("invalid_query", e.body_text()))
    }
}
