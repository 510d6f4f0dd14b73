//! The identity area: the trust registry of verifiers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A registered verifier in the trust registry.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct VerifierView {
    /// The verifier's identity.
    pub did: String,
    /// Display name.
    pub name: String,
    /// Credential types it may issue.
    pub credential_types: Vec<String>,
    /// Height of its registration.
    pub registered_height: u64,
    /// Time of its registration (RFC 3339).
    pub registered_at: String,
}
