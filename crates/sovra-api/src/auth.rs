//! DID-authenticated requests: a challenge and response that yields a
//! short-lived bearer token.
//!
//! 1. `POST /v1/auth/challenge {"did"}` returns a fresh random challenge,
//!    valid for [`CHALLENGE_TTL_MS`] and usable once.
//! 2. The client signs [`auth_message`] (chain id, DID, verification method,
//!    challenge) with a key listed under the DID's `authentication`
//!    relationship, under the namespace [`AUTH_NAMESPACE`], and sends
//!    `POST /v1/auth/token {"did", "verification_method", "challenge", "signature"}`.
//! 3. The node consumes the challenge (a second use is refused: replay),
//!    resolves the DID at the newest finalized state, checks the method is an
//!    Ed25519 `authentication` key of an active DID and verifies the
//!    signature; it answers with a random token valid for [`TOKEN_TTL_MS`].
//! 4. Requests that read private data send `Authorization: Bearer <token>`.
//!
//! Challenges and tokens are held in memory, per node, in bounded tables;
//! expired entries are purged when the tables fill up.

use crate::{ApiError, Backend};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
};
use sovra_types::{
    Did, DidMethod, DidRecord, Relationship, StateKey,
    auth::{
        AUTH_NAMESPACE, ChallengeRequest, ChallengeResponse, SessionView, TokenRequest,
        auth_message,
    },
    did_document::{DidUrl, ed25519_key_for},
};
use std::{collections::HashMap, sync::Arc, sync::Mutex};

/// How long a challenge may be answered.
pub const CHALLENGE_TTL_MS: u64 = 60_000;
/// How long a token is valid.
pub const TOKEN_TTL_MS: u64 = 15 * 60_000;
/// Most challenges waiting for an answer.
pub const MAX_CHALLENGES: usize = 10_000;
/// Most live tokens.
pub const MAX_TOKENS: usize = 100_000;

struct Entry {
    did: Did,
    expires_ms: u64,
}

/// Pending challenges and live tokens, bounded.
pub struct AuthStore {
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
    challenges: Mutex<HashMap<[u8; 32], Entry>>,
    tokens: Mutex<HashMap<[u8; 32], Entry>>,
}

fn parse_id(hex_text: &str, what: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(hex_text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::bad("malformed", format!("{what} is 64 hex characters")))
}

fn insert_bounded(
    table: &Mutex<HashMap<[u8; 32], Entry>>,
    key: [u8; 32],
    entry: Entry,
    max: usize,
    now: u64,
) -> Result<(), ApiError> {
    let mut t = table.lock().expect("auth table lock");
    if t.len() >= max {
        t.retain(|_, e| e.expires_ms > now);
    }
    if t.len() >= max {
        return Err(ApiError::Unavailable(
            "too many authentications in progress; retry later".into(),
        ));
    }
    t.insert(key, entry);
    Ok(())
}

impl AuthStore {
    /// A store reading time (unix ms) from `clock`.
    pub fn new(clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self {
            clock: Box::new(clock),
            challenges: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// A store on the system clock.
    pub fn system() -> Self {
        Self::new(crate::now_ms)
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Issues a challenge for `did`.
    pub fn challenge(&self, did: Did) -> Result<(String, u64), ApiError> {
        let id =
            sovra_crypto::random_bytes::<32>().map_err(|e| ApiError::Internal(e.to_string()))?;
        let now = self.now();
        let expires_ms = now + CHALLENGE_TTL_MS;
        insert_bounded(
            &self.challenges,
            id,
            Entry { did, expires_ms },
            MAX_CHALLENGES,
            now,
        )?;
        Ok((hex::encode(id), expires_ms))
    }

    /// Consumes a challenge issued for `did`: succeeds at most once, before it expires.
    pub fn take_challenge(&self, challenge: &str, did: &Did) -> Result<(), ApiError> {
        let id = parse_id(challenge, "challenge")?;
        let entry = self
            .challenges
            .lock()
            .expect("auth table lock")
            .remove(&id)
            .ok_or_else(|| ApiError::Unauthorized("unknown or already used challenge".into()))?;
        if entry.expires_ms <= self.now() {
            return Err(ApiError::Unauthorized("challenge expired".into()));
        }
        if &entry.did != did {
            return Err(ApiError::Unauthorized(
                "the challenge was issued for another DID".into(),
            ));
        }
        Ok(())
    }

    /// Issues a token for `did`.
    pub fn issue_token(&self, did: Did) -> Result<SessionView, ApiError> {
        let id =
            sovra_crypto::random_bytes::<32>().map_err(|e| ApiError::Internal(e.to_string()))?;
        let now = self.now();
        let expires_ms = now + TOKEN_TTL_MS;
        let view = SessionView {
            token: Some(hex::encode(id)),
            did: did.to_string(),
            expires_ms,
        };
        insert_bounded(&self.tokens, id, Entry { did, expires_ms }, MAX_TOKENS, now)?;
        Ok(view)
    }

    /// The identity a bearer token authenticates, if it is live.
    pub fn session(&self, token: &str) -> Result<(Did, u64), ApiError> {
        let id = parse_id(token, "token")
            .map_err(|_| ApiError::Unauthorized("malformed bearer token".into()))?;
        let mut t = self.tokens.lock().expect("auth table lock");
        let now = self.now();
        match t.get(&id) {
            Some(e) if e.expires_ms > now => Ok((e.did.clone(), e.expires_ms)),
            Some(_) => {
                t.remove(&id);
                Err(ApiError::Unauthorized("token expired".into()))
            }
            None => Err(ApiError::Unauthorized("unknown token".into())),
        }
    }

    /// The identity of a request's `Authorization: Bearer` token.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<(Did, u64), ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "authentication required: Authorization: Bearer <token> (see POST /v1/auth/challenge)".into(),
                )
            })?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::Unauthorized("expected a Bearer token".into()))?;
        self.session(token.trim())
    }
}

/// Start authenticating as a DID: returns a single-use challenge.
#[utoipa::path(post, path = "/v1/auth/challenge", request_body = ChallengeRequest,
    responses((status = 200, body = ChallengeResponse), (status = 400, body = sovra_types::api::ErrorBody)))]
pub async fn post_challenge<B: Backend>(
    State(b): State<Arc<B>>,
    Json(req): Json<ChallengeRequest>,
) -> Result<Json<ChallengeResponse>, ApiError> {
    let did = crate::routes::parse_did(&req.did)?;
    let chain_id = b.status().await?.chain_id;
    let (challenge, expires_ms) = b.auth().challenge(did)?;
    Ok(Json(ChallengeResponse {
        challenge,
        chain_id,
        expires_ms,
    }))
}

/// Answer a challenge with a signature by an authentication key; returns a bearer token.
#[utoipa::path(post, path = "/v1/auth/token", request_body = TokenRequest,
    responses((status = 200, body = SessionView), (status = 401, body = sovra_types::api::ErrorBody)))]
pub async fn post_token<B: Backend>(
    State(b): State<Arc<B>>,
    Json(req): Json<TokenRequest>,
) -> Result<Json<SessionView>, ApiError> {
    let did = crate::routes::parse_did(&req.did)?;
    let url = DidUrl::parse(&req.verification_method)
        .map_err(|e| ApiError::bad("malformed", e.to_string()))?;
    if url.did != did {
        return Err(ApiError::Unauthorized(format!(
            "{} is not a method of {did}",
            req.verification_method
        )));
    }
    let signature_bytes = hex::decode(&req.signature)
        .map_err(|_| ApiError::bad("malformed", "signature is not hex"))?;
    // The challenge is used up whatever happens next: a failed answer cannot be retried.
    b.auth().take_challenge(&req.challenge, &did)?;
    let record = match did.method() {
        DidMethod::Key => None,
        DidMethod::Sovra => {
            let bytes = b
                .state_value(StateKey::Did(did.clone()))
                .await?
                .ok_or_else(|| ApiError::Unauthorized(format!("{did} is not registered")))?;
            let record =
                DidRecord::decode(&bytes).map_err(|e| ApiError::Internal(e.to_string()))?;
            if record.deactivated {
                return Err(ApiError::Unauthorized(format!("{did} is deactivated")));
            }
            Some(record)
        }
    };
    let key = ed25519_key_for(
        &url,
        record.as_ref().map(|r| &r.document),
        Relationship::Authentication,
    )
    .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let public_key = sovra_crypto::keys::public_key_from_bytes(&key)
        .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let signature = sovra_crypto::keys::signature_from_bytes(&signature_bytes)
        .map_err(|_| ApiError::Unauthorized("signature is not 64 bytes".into()))?;
    let chain_id = b.status().await?.chain_id;
    let message = auth_message(
        &chain_id,
        did.as_str(),
        &req.verification_method,
        &req.challenge,
    );
    if !sovra_crypto::verify(&public_key, AUTH_NAMESPACE, &message, &signature) {
        return Err(ApiError::Unauthorized("signature does not verify".into()));
    }
    Ok(Json(b.auth().issue_token(did)?))
}

/// The identity and expiry of the request's bearer token.
#[utoipa::path(get, path = "/v1/auth/session",
    responses((status = 200, body = SessionView), (status = 401, body = sovra_types::api::ErrorBody)))]
pub async fn get_session<B: Backend>(
    State(b): State<Arc<B>>,
    headers: HeaderMap,
) -> Result<Json<SessionView>, ApiError> {
    let (did, expires_ms) = b.auth().authenticate(&headers)?;
    Ok(Json(SessionView {
        token: None,
        did: did.to_string(),
        expires_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn store() -> (Arc<AtomicU64>, AuthStore) {
        let now = Arc::new(AtomicU64::new(1_000));
        let clock = now.clone();
        (now, AuthStore::new(move || clock.load(Ordering::SeqCst)))
    }

    fn did(seed: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(seed).public_key())
    }

    #[test]
    fn challenges_are_single_use_bound_to_a_did_and_expire() {
        let (now, s) = store();
        let (c, _) = s.challenge(did(1)).unwrap();
        assert!(s.take_challenge(&c, &did(2)).is_err(), "other DID");
        // The failed attempt used it up.
        assert!(s.take_challenge(&c, &did(1)).is_err(), "replayed");
        let (c, _) = s.challenge(did(1)).unwrap();
        s.take_challenge(&c, &did(1)).unwrap();
        assert!(s.take_challenge(&c, &did(1)).is_err(), "replayed");
        let (c, _) = s.challenge(did(1)).unwrap();
        now.fetch_add(CHALLENGE_TTL_MS, Ordering::SeqCst);
        assert!(s.take_challenge(&c, &did(1)).is_err(), "expired");
    }

    #[test]
    fn tokens_expire_and_unknown_tokens_are_refused() {
        let (now, s) = store();
        let view = s.issue_token(did(1)).unwrap();
        let token = view.token.unwrap();
        assert_eq!(s.session(&token).unwrap().0, did(1));
        assert!(s.session(&"00".repeat(32)).is_err());
        assert!(s.session("not hex").is_err());
        now.fetch_add(TOKEN_TTL_MS, Ordering::SeqCst);
        assert!(s.session(&token).is_err());
    }

    #[test]
    fn tables_are_bounded_and_purge_expired_entries() {
        let (now, s) = store();
        for _ in 0..MAX_CHALLENGES {
            s.challenge(did(1)).unwrap();
        }
        assert!(s.challenge(did(1)).is_err(), "full of live challenges");
        now.fetch_add(CHALLENGE_TTL_MS, Ordering::SeqCst);
        assert!(s.challenge(did(1)).is_ok(), "expired ones were purged");
    }
}
