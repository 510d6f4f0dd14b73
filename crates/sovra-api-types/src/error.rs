//! The body of every error answer of the API.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A machine-readable error code and a human message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ErrorBody {
    /// Stable code, e.g. `bad_nonce`, `not_found`, `malformed`.
    pub code: String,
    /// Explanation for people.
    pub message: String,
}
