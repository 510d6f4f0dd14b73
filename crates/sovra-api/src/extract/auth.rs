//! The authenticated caller of a request: the bearer token of its `Authorization` header,
//! checked against the node's [`AuthStore`](crate::auth::AuthStore) and, for a `did:sovra`,
//! against the DID's current document (see [`crate::auth`] for the flow).

use crate::{ApiError, Backend, reads};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use sovra_types::{
    Did, DidMethod, Relationship, StateKey,
    did_document::{DidUrl, ed25519_key_for},
};
use std::sync::Arc;

/// The token of a request's `Authorization: Bearer <token>` header (the
/// scheme is case-insensitive, RFC 7235).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "authentication required: Authorization: Bearer <token> (see POST /v1/auth/challenge)".into(),
            )
        })?;
    let (scheme, token) = value
        .trim_start()
        .split_once(' ')
        .ok_or_else(|| ApiError::Unauthorized("expected a Bearer token".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized("expected a Bearer token".into()));
    }
    Ok(token.trim())
}

/// Whether `key` is still an Ed25519 `authentication` key of the active DID
/// `did` under `verification_method`, at the newest finalized state.
async fn key_still_authenticates<B: Backend>(
    b: &B,
    did: &Did,
    verification_method: &str,
    key: &[u8; 32],
) -> Result<bool, ApiError> {
    if did.method() == DidMethod::Key {
        // A did:key is its key: it can neither rotate nor be deactivated.
        return Ok(true);
    }
    let Some(record) = reads::did_record(b, StateKey::Did(did.clone())).await? else {
        return Ok(false);
    };
    if record.deactivated {
        return Ok(false);
    }
    let url = DidUrl::parse(verification_method).map_err(ApiError::decode)?;
    Ok(
        ed25519_key_for(&url, Some(&record.document), Relationship::Authentication)
            .is_ok_and(|current| &current == key),
    )
}

/// The identity (and token expiry) of a request's bearer token. The token
/// must be live, and the key that obtained it still an `authentication` key
/// of the DID, which must not be deactivated; otherwise the token is
/// forgotten and the request refused.
pub async fn authenticate<B: Backend>(b: &B, headers: &HeaderMap) -> Result<(Did, u64), ApiError> {
    let token = bearer_token(headers)?;
    let session = b.auth().session(token)?;
    if !key_still_authenticates(b, &session.did, &session.verification_method, &session.key).await?
    {
        b.auth().revoke(token);
        return Err(ApiError::Unauthorized(format!(
            "the token is no longer valid: {} was deactivated or {} is no longer one of its authentication keys; authenticate again",
            session.did, session.verification_method
        )));
    }
    Ok((session.did, session.expires_ms))
}

/// The identity of a DID-authenticated request (extractor): the request is refused with 401
/// unless its bearer token passes [`authenticate`].
#[derive(Clone, Debug)]
pub struct Caller {
    /// The authenticated identity.
    pub did: Did,
    /// Until when its token is valid (unix ms).
    pub expires_ms: u64,
}

impl<B: Backend> FromRequestParts<Arc<B>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, b: &Arc<B>) -> Result<Self, ApiError> {
        let (did, expires_ms) = authenticate(&**b, &parts.headers).await?;
        Ok(Caller { did, expires_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let mut h = HeaderMap::new();
            h.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&format!("{scheme} abc")).unwrap(),
            );
            assert_eq!(bearer_token(&h).unwrap(), "abc");
        }
        for bad in ["Basic abc", "Bearerabc", "abc"] {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(bad));
            assert!(bearer_token(&h).is_err(), "{bad}");
        }
    }
}
