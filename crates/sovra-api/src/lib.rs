//! The HTTP API of a Sovra node (axum), including the IPFS trustless gateway
//! and W3C DID resolution, described by an OpenAPI document served at
//! `/openapi.json` with a browsable page at `/docs`.
//!
//! The node implements [`Backend`]; this crate owns routing, parsing,
//! request-size limits, error shapes and the HTTP server ([`server`]: connection
//! caps and timeouts). Every refusal is a 4xx with a machine-readable `code`
//! and a human `message`, as JSON.
//!
//! Layout: one module per API area under `areas` (ledger, identity, credentials, content,
//! vault, recovery, auth, node), each owning its routes, handlers and OpenAPI paths, merged by
//! [`router`] and [`api_doc`]; everything taken from a request in [`extract`]; shared reads
//! of the backend in `reads`; [`stream`]ing bodies, blocking work and error mapping
//! ([`ApiError`], [`cas_error`], [`json_errors`]) in modules of their own. The JSON shapes are
//! in `sovra-api-types`.

mod areas;
pub mod auth;
mod backend;
mod blocking;
mod error;
pub mod extract;
mod fair;
mod reads;
mod respond;
mod router;
pub mod server;
pub mod stream;

pub use areas::credentials::{MAX_DOCUMENT_BYTES, MAX_PRESENTED_CREDENTIALS};
pub use areas::ledger::{MAX_BATCH, PROOF_KEY_FORMS};
pub use backend::Backend;
pub use error::{ApiError, cas_error, code_for_status, json_errors};
pub use router::{MAX_BODY_BYTES, api_doc, router};
pub use server::{ServerLimits, serve};

/// The system clock in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
