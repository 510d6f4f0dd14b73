//! The credentials area: the JSON-LD contexts a node serves.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One entry of `GET /contexts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContextView {
    /// The context URL documents name in `@context`.
    pub url: String,
    /// Where this node serves it: `/contexts/{name}`.
    pub path: String,
    /// SHA-256 of the served bytes, hex (to pin in a verifier's loader).
    pub sha256: String,
}
