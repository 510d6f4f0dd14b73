//! DID authentication: the request and answer shapes of the challenge, the signed answer and
//! the bearer token, and the exact message a client signs. The server side is in `sovra-api`
//! (its `auth` store and routes), the client side in `sovra-client`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Namespace bound into authentication signatures.
pub const AUTH_NAMESPACE: &[u8] = b"sovra/auth";

/// The exact bytes a client signs to answer `challenge`.
pub fn auth_message(chain_id: &str, did: &str, method: &str, challenge: &str) -> Vec<u8> {
    format!(
        "sovra-auth/v1\nchain: {chain_id}\ndid: {did}\nmethod: {method}\nchallenge: {challenge}\n"
    )
    .into_bytes()
}

/// Body of `POST /v1/auth/challenge`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The identity that will answer.
    pub did: String,
}

/// Answer of `POST /v1/auth/challenge`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChallengeResponse {
    /// The challenge (hex of 32 random bytes).
    pub challenge: String,
    /// The chain id to put in the signed message.
    pub chain_id: String,
    /// Until when it may be answered (unix ms).
    pub expires_ms: u64,
}

/// Body of `POST /v1/auth/token`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The identity.
    pub did: String,
    /// The verification method that signed (a DID URL listed under authentication).
    pub verification_method: String,
    /// The challenge being answered.
    pub challenge: String,
    /// Ed25519 signature (hex) of [`auth_message`] under [`AUTH_NAMESPACE`].
    pub signature: String,
}

/// Answer of `POST /v1/auth/token` and `GET /v1/auth/session`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SessionView {
    /// The bearer token (only in the answer to `POST /v1/auth/token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The authenticated identity.
    pub did: String,
    /// Until when the token is valid (unix ms).
    pub expires_ms: u64,
}
