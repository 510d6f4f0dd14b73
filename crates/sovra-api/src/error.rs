//! API errors and their HTTP form.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use sovra_types::api::ErrorBody;

/// An error returned to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The request needs (valid) DID authentication (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is authenticated but may not have this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The caller's account cannot pay for what it asks (402), with a code.
    #[error("{message}")]
    PaymentRequired {
        /// Machine-readable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The request would exceed a storage quota (413), with a code.
    #[error("{message}")]
    QuotaExceeded {
        /// Machine-readable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The node failed (500).
    #[error("internal error: {0}")]
    Internal(String),
    /// The node cannot answer yet (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl ApiError {
    /// A 400 with a code.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    fn parts(&self) -> (StatusCode, &str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PaymentRequired { code, .. } => (StatusCode::PAYMENT_REQUIRED, code),
            ApiError::QuotaExceeded { code, .. } => (StatusCode::PAYLOAD_TOO_LARGE, code),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let body = ErrorBody {
            code: code.to_string(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
