//! API errors and their HTTP form: every error answer of the API is
//! `{"code": ..., "message": ...}` (DID resolution keeps the W3C resolution
//! result shape). [`json_errors`] rewrites the error answers that did not
//! come from an [`ApiError`] (axum's extractor rejections, 405, body limits)
//! into that shape. [`cas_error`] maps content-addressing errors to answers.

use axum::{
    Json,
    body::Body,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sovra_api_types::ErrorBody;
use sovra_cas::CasError;

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
    /// The request is larger than a limit or a quota allows (413).
    #[error("{message}")]
    TooLarge {
        /// Machine-readable code (`limit_exceeded`, `quota_exceeded`, `vault_quota_exceeded`).
        code: &'static str,
        /// Explanation.
        message: String,
    },
    /// The node failed (500).
    #[error("internal error: {0}")]
    Internal(String),
    /// A value the node holds does not decode (500).
    #[error("internal error: {0}")]
    Decode(#[source] sovra_types::TypesError),
    /// The node's content or vault store failed (500).
    #[error("internal error: {0}")]
    Store(#[source] CasError),
    /// The node could not make random bytes (500).
    #[error("internal error: {0}")]
    Randomness(#[source] sovra_crypto::CryptoError),
    /// A blocking task of the node failed (500).
    #[error("internal error: worker failed: {0}")]
    Worker(#[source] tokio::task::JoinError),
    /// The node cannot answer yet (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Content the node should serve cannot be read now (503).
    #[error("unavailable: {what}: {source}")]
    ContentUnavailable {
        /// What could not be read.
        what: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Any other refusal, with its status (413, 414, 415, 429, 431, ...).
    #[error("{message}")]
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// Machine-readable code.
        code: &'static str,
        /// Explanation.
        message: String,
    },
}

/// The machine-readable code of an error status that no handler chose a code for.
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        411 => "length_required",
        413 => "body_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "malformed",
        429 => "rate_limited",
        431 => "headers_too_large",
        500 => "internal",
        501 => "not_implemented",
        503 => "unavailable",
        504 => "timeout",
        s if s >= 500 => "internal",
        _ => "bad_request",
    }
}

impl ApiError {
    /// A 400 with a code.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 429 with a code: the request may succeed if retried later.
    pub fn retry_later(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Status {
            status: StatusCode::TOO_MANY_REQUESTS,
            code,
            message: message.into(),
        }
    }

    /// An error with any status and the code [`code_for_status`] gives it.
    pub fn status(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError::Status {
            status,
            code: code_for_status(status),
            message: message.into(),
        }
    }

    /// A 500 for a value the node holds that does not decode (its state or its index is not
    /// what this code wrote).
    pub fn decode(e: sovra_types::TypesError) -> Self {
        ApiError::Decode(e)
    }

    /// The HTTP status and machine-readable code.
    pub fn parts(&self) -> (StatusCode, &str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PaymentRequired { code, .. } => (StatusCode::PAYMENT_REQUIRED, code),
            ApiError::TooLarge { code, .. } => (StatusCode::PAYLOAD_TOO_LARGE, code),
            ApiError::Internal(_)
            | ApiError::Decode(_)
            | ApiError::Store(_)
            | ApiError::Randomness(_)
            | ApiError::Worker(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Unavailable(_) | ApiError::ContentUnavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ApiError::Status { status, code, .. } => (*status, code),
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
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750: say which scheme the API expects.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Maps content errors to HTTP answers: missing data is 404, bad input 400, the rest 500.
pub fn cas_error(e: CasError) -> ApiError {
    match e {
        CasError::NotFound(cid) => {
            ApiError::NotFound(format!("block {cid} is not available on this node"))
        }
        CasError::PathNotFound(p) => ApiError::NotFound(format!("no such path: {p}")),
        CasError::NotADirectory { .. } | CasError::Resolve { .. } => {
            ApiError::NotFound(e.to_string())
        }
        CasError::InvalidCid(_) | CasError::CidText { .. } | CasError::CidBytes(_) => {
            ApiError::bad("invalid_cid", e.to_string())
        }
        CasError::Limit(_) | CasError::CarTooLarge { .. } | CasError::BlockTooLarge { .. } => {
            ApiError::bad("limit_exceeded", e.to_string())
        }
        CasError::Car(_)
        | CasError::CarHeader(_)
        | CasError::CarBlockCid { .. }
        | CasError::CarFrameLength(_)
        | CasError::CarRead(_)
        | CasError::CarWrite(_)
        | CasError::HashMismatch(_)
        | CasError::Malformed { .. } => ApiError::bad("invalid_content", e.to_string()),
        CasError::UnsupportedCodec(_) | CasError::UnsupportedHash(_) => {
            ApiError::bad("unsupported", e.to_string())
        }
        CasError::UnixFs(_)
        | CasError::UnixFsTree(_)
        | CasError::UnixFsBlocks(_)
        | CasError::UnixFsWalk(_)
        | CasError::NothingWritten(_)
        | CasError::PartialExportLeft { .. } => ApiError::bad("unixfs", e.to_string()),
        CasError::Io(_) | CasError::Store(_) => ApiError::Store(e),
    }
}

/// Longest error text kept from a rewritten answer.
const MAX_REWRITTEN_MESSAGE: usize = 1024;

/// Whether an answer's content type is already JSON (`application/json`,
/// `application/ld+json;...`, `application/problem+json`, ...).
fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let essence = t.split(';').next().unwrap_or("").trim();
            essence.ends_with("/json") || essence.ends_with("+json")
        })
}

/// Middleware (for `axum::middleware::map_response`): gives every 4xx and 5xx
/// answer that is not JSON yet the API's JSON error shape, keeping its
/// status, its text (at most 1 KiB) as the message, and its headers other
/// than the body's (`Allow` of a 405, `Retry-After`, ...).
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_REWRITTEN_MESSAGE).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).trim().to_string(),
        _ => String::new(),
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let body = ErrorBody {
        code: code_for_status(status).to_string(),
        message,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn rewritten(response: Response) -> (StatusCode, serde_json::Value, Response) {
        let out = json_errors(response).await;
        let status = out.status();
        let (parts, body) = out.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let v = serde_json::from_slice(&bytes).unwrap();
        (status, v, Response::from_parts(parts, Body::empty()))
    }

    #[tokio::test]
    async fn plain_text_and_empty_error_answers_become_json() {
        let (status, v, _) =
            rewritten((StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response())
                .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(v["code"], "body_too_large");
        assert_eq!(v["message"], "length limit exceeded");
        let mut r = StatusCode::METHOD_NOT_ALLOWED.into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        let (status, v, r) = rewritten(r).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(v["code"], "method_not_allowed");
        assert_eq!(v["message"], "Method Not Allowed");
        assert_eq!(r.headers()[header::ALLOW], "GET,HEAD");
    }

    #[tokio::test]
    async fn json_and_successful_answers_are_left_alone() {
        let ok = json_errors("fine".into_response()).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let resolution = (
            StatusCode::NOT_FOUND,
            [(
                header::CONTENT_TYPE,
                "application/ld+json;profile=\"https://w3id.org/did-resolution\"",
            )],
            "{}",
        )
            .into_response();
        let out = json_errors(resolution).await;
        let bytes = axum::body::to_bytes(out.into_body(), 100).await.unwrap();
        assert_eq!(&bytes[..], b"{}");
    }

    #[test]
    fn unauthorized_answers_name_the_bearer_scheme() {
        let r = ApiError::Unauthorized("no".into()).into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
