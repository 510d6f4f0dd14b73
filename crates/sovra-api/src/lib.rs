//! The HTTP API of a Sovra node (axum), including the IPFS trustless gateway
//! and W3C DID resolution, described by an OpenAPI document served at
//! `/openapi.json` with a browsable page at `/docs`.
//!
//! The node implements [`Backend`]; this crate owns routing, parsing,
//! request-size limits, error shapes and the HTTP server ([`server`]: connection
//! caps and timeouts). Every refusal is a 4xx with a machine-readable `code`
//! and a human `message`, as JSON.

pub mod auth;
mod backend;
pub mod client;
pub mod contexts;
pub mod credentials;
pub mod did_resolution;
mod error;
pub mod extract;
mod fair;
mod gateway;
mod routes;
pub mod server;
pub mod stream;
mod vault;

pub use backend::Backend;

/// The system clock in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
pub use error::{ApiError, code_for_status, json_errors};
pub use gateway::cas_error;
pub use routes::{ApiDoc, MAX_BATCH, MAX_BODY_BYTES, PROOF_KEY_FORMS, api_doc, router};
pub use server::{ServerLimits, serve};
