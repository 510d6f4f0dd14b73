//! DID-authenticated requests: a challenge and response that yields a
//! short-lived bearer token.
//!
//! 1. `POST /v1/auth/challenge {"did"}` returns a fresh random challenge,
//!    valid for [`CHALLENGE_TTL_MS`] and usable once.
//! 2. The client signs [`auth_message`](sovra_api_types::auth::auth_message) (chain id, DID, verification method,
//!    challenge) with a key listed under the DID's `authentication`
//!    relationship, under the namespace [`AUTH_NAMESPACE`](sovra_api_types::auth::AUTH_NAMESPACE), and sends
//!    `POST /v1/auth/token {"did", "verification_method", "challenge", "signature"}`.
//! 3. The node consumes the challenge (a second use is refused: replay),
//!    resolves the DID at the newest finalized state, checks the method is an
//!    Ed25519 `authentication` key of an active DID and verifies the
//!    signature; it answers with a random token valid for [`TOKEN_TTL_MS`].
//! 4. Requests that read private data send `Authorization: Bearer <token>`.
//!
//! Challenges and tokens are held in memory, per node, in bounded tables
//! shared fairly among clients (`crate::fair`): each client address (an
//! IPv6 /64 counts as one) holds at most [`AuthLimits::max_challenges_per_client`]
//! pending challenges and [`AuthLimits::max_tokens_per_client`] tokens, and
//! each DID at most [`AuthLimits::max_tokens_per_did`] tokens; past a cap the
//! client's (or DID's) own oldest entry makes room, and a full table makes
//! room at the expense of the client holding the most. No client can lock
//! the others out.
//!
//! A token is bound to the key that obtained it: every use re-reads a
//! `did:sovra`'s current document and refuses (and forgets) the token once
//! that key is no longer an `authentication` key of the DID or the DID is
//! deactivated.
//!
//! This module holds the tables ([`AuthStore`]); the routes are in the `auth` area, and
//! [`crate::extract::auth`] checks a request's bearer token.

use crate::{
    ApiError,
    extract::ClientKey,
    fair::{Bounds, FairTable},
};
use sovra_api_types::auth::SessionView;
use sovra_types::Did;
use std::sync::Mutex;

/// How long a challenge may be answered.
pub const CHALLENGE_TTL_MS: u64 = 60_000;
/// How long a token is valid.
pub const TOKEN_TTL_MS: u64 = 15 * 60_000;

/// The bounds of a node's authentication tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthLimits {
    /// Most challenges waiting for an answer, in all.
    pub max_challenges: usize,
    /// Most challenges one client address waits to answer.
    pub max_challenges_per_client: usize,
    /// Most live tokens, in all.
    pub max_tokens: usize,
    /// Most live tokens obtained from one client address.
    pub max_tokens_per_client: usize,
    /// Most live tokens of one DID.
    pub max_tokens_per_did: usize,
}

impl Default for AuthLimits {
    fn default() -> Self {
        Self {
            max_challenges: 10_000,
            max_challenges_per_client: 32,
            max_tokens: 100_000,
            max_tokens_per_client: 256,
            max_tokens_per_did: 16,
        }
    }
}

/// What a token was issued for.
#[derive(Clone, Debug)]
struct TokenEntry {
    did: Did,
    verification_method: String,
    key: [u8; 32],
}

/// A live token's session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The authenticated identity.
    pub did: Did,
    /// The verification method whose key answered the challenge.
    pub verification_method: String,
    /// That key (Ed25519).
    pub key: [u8; 32],
    /// Until when the token is valid (unix ms).
    pub expires_ms: u64,
}

/// Pending challenges and live tokens, bounded.
pub struct AuthStore {
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
    challenges: Mutex<FairTable<ClientKey, (), Did>>,
    tokens: Mutex<FairTable<ClientKey, Did, TokenEntry>>,
}

fn parse_id(hex_text: &str, what: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(hex_text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::bad("malformed", format!("{what} is 64 hex characters")))
}

fn random_id() -> Result<[u8; 32], ApiError> {
    sovra_crypto::random_bytes::<32>().map_err(ApiError::Randomness)
}

impl AuthStore {
    /// A store with `limits`, reading time (unix ms) from `clock`.
    pub fn new(limits: AuthLimits, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self {
            clock: Box::new(clock),
            challenges: Mutex::new(FairTable::new(Bounds {
                max_total: limits.max_challenges,
                max_per_owner: limits.max_challenges_per_client,
                max_per_group: usize::MAX,
            })),
            tokens: Mutex::new(FairTable::new(Bounds {
                max_total: limits.max_tokens,
                max_per_owner: limits.max_tokens_per_client,
                max_per_group: limits.max_tokens_per_did,
            })),
        }
    }

    /// A store with `limits` on the system clock.
    pub fn system(limits: AuthLimits) -> Self {
        Self::new(limits, crate::now_ms)
    }

    fn now(&self) -> u64 {
        (self.clock)()
    }

    /// Issues a challenge for `did` to `client`.
    pub fn challenge(&self, client: ClientKey, did: Did) -> Result<(String, u64), ApiError> {
        let id = random_id()?;
        let now = self.now();
        let expires_ms = now + CHALLENGE_TTL_MS;
        self.challenges
            .lock()
            .expect("auth table lock")
            .insert(id, client, None, did, expires_ms, now);
        Ok((hex::encode(id), expires_ms))
    }

    /// Consumes a challenge issued for `did`: succeeds at most once, before it expires.
    pub fn take_challenge(&self, challenge: &str, did: &Did) -> Result<(), ApiError> {
        let id = parse_id(challenge, "challenge")?;
        let mut table = self.challenges.lock().expect("auth table lock");
        let expires_ms = table
            .get(&id)
            .map(|(_, e)| e)
            .ok_or_else(|| ApiError::Unauthorized("unknown or already used challenge".into()))?;
        let issued_for = table.remove(&id).expect("present");
        drop(table);
        if expires_ms <= self.now() {
            return Err(ApiError::Unauthorized("challenge expired".into()));
        }
        if &issued_for != did {
            return Err(ApiError::Unauthorized(
                "the challenge was issued for another DID".into(),
            ));
        }
        Ok(())
    }

    /// Issues a token for `did`, obtained by `client` with the key `key` of
    /// `verification_method`.
    pub fn issue_token(
        &self,
        client: ClientKey,
        did: Did,
        verification_method: String,
        key: [u8; 32],
    ) -> Result<SessionView, ApiError> {
        let id = random_id()?;
        let now = self.now();
        let expires_ms = now + TOKEN_TTL_MS;
        let view = SessionView {
            token: Some(hex::encode(id)),
            did: did.to_string(),
            expires_ms,
        };
        let entry = TokenEntry {
            did: did.clone(),
            verification_method,
            key,
        };
        self.tokens.lock().expect("auth table lock").insert(
            id,
            client,
            Some(did),
            entry,
            expires_ms,
            now,
        );
        Ok(view)
    }

    /// The session of a bearer token, if it is live (without re-checking the
    /// DID's document: see [`crate::extract::authenticate`]).
    pub fn session(&self, token: &str) -> Result<Session, ApiError> {
        let id = parse_id(token, "token")
            .map_err(|_| ApiError::Unauthorized("malformed bearer token".into()))?;
        let mut t = self.tokens.lock().expect("auth table lock");
        let now = self.now();
        match t.get(&id) {
            Some((e, expires_ms)) if expires_ms > now => Ok(Session {
                did: e.did.clone(),
                verification_method: e.verification_method.clone(),
                key: e.key,
                expires_ms,
            }),
            Some(_) => {
                t.remove(&id);
                Err(ApiError::Unauthorized("token expired".into()))
            }
            None => Err(ApiError::Unauthorized("unknown token".into())),
        }
    }

    /// Forgets a token.
    pub fn revoke(&self, token: &str) {
        if let Ok(id) = parse_id(token, "token") {
            self.tokens.lock().expect("auth table lock").remove(&id);
        }
    }

    /// Forgets every token of `did`.
    pub fn revoke_did(&self, did: &Did) {
        self.tokens
            .lock()
            .expect("auth table lock")
            .remove_group(did);
    }

    /// Pending challenges (some may have expired).
    pub fn challenge_count(&self) -> usize {
        self.challenges.lock().expect("auth table lock").len()
    }

    /// Live tokens (some may have expired).
    pub fn token_count(&self) -> usize {
        self.tokens.lock().expect("auth table lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn store_with(limits: AuthLimits) -> (Arc<AtomicU64>, AuthStore) {
        let now = Arc::new(AtomicU64::new(1_000));
        let clock = now.clone();
        (
            now,
            AuthStore::new(limits, move || clock.load(Ordering::SeqCst)),
        )
    }

    fn store() -> (Arc<AtomicU64>, AuthStore) {
        store_with(AuthLimits::default())
    }

    fn did(seed: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(seed).public_key())
    }

    fn client(n: u8) -> ClientKey {
        ClientKey::of(std::net::IpAddr::from([127, 0, 0, n]))
    }

    fn token_for(s: &AuthStore, from: ClientKey, who: &Did) -> String {
        s.issue_token(from, who.clone(), format!("{who}#k"), [7; 32])
            .unwrap()
            .token
            .unwrap()
    }

    #[test]
    fn challenges_are_single_use_bound_to_a_did_and_expire() {
        let (now, s) = store();
        let c1 = client(1);
        let (c, _) = s.challenge(c1, did(1)).unwrap();
        assert!(s.take_challenge(&c, &did(2)).is_err(), "other DID");
        // The failed attempt used it up.
        assert!(s.take_challenge(&c, &did(1)).is_err(), "replayed");
        let (c, _) = s.challenge(c1, did(1)).unwrap();
        s.take_challenge(&c, &did(1)).unwrap();
        assert!(s.take_challenge(&c, &did(1)).is_err(), "replayed");
        let (c, _) = s.challenge(c1, did(1)).unwrap();
        now.fetch_add(CHALLENGE_TTL_MS, Ordering::SeqCst);
        assert!(s.take_challenge(&c, &did(1)).is_err(), "expired");
    }

    #[test]
    fn tokens_expire_and_unknown_tokens_are_refused() {
        let (now, s) = store();
        let token = token_for(&s, client(1), &did(1));
        assert_eq!(s.session(&token).unwrap().did, did(1));
        assert_eq!(s.session(&token).unwrap().key, [7; 32]);
        assert!(s.session(&"00".repeat(32)).is_err());
        assert!(s.session("not hex").is_err());
        now.fetch_add(TOKEN_TTL_MS, Ordering::SeqCst);
        assert!(s.session(&token).is_err());
    }

    #[test]
    fn one_client_flooding_challenges_does_not_lock_another_out() {
        let (_, s) = store();
        let limits = AuthLimits::default();
        // One address asks for more challenges than the whole table holds.
        for _ in 0..limits.max_challenges + 100 {
            s.challenge(client(2), did(2)).unwrap();
        }
        assert!(s.challenge_count() <= limits.max_challenges_per_client);
        let (mine, _) = s.challenge(client(1), did(1)).unwrap();
        // Many addresses fill the table: still, a client's only challenge survives.
        for n in 0..limits.max_challenges + 100 {
            s.challenge(ClientKey::V4(0x0a00_0000 + (n as u32 % 500)), did(3))
                .unwrap();
        }
        assert!(s.challenge_count() <= limits.max_challenges);
        s.take_challenge(&mine, &did(1)).unwrap();
    }

    #[test]
    fn one_dids_tokens_do_not_lock_out_another_did() {
        let limits = AuthLimits {
            max_tokens: 64,
            ..AuthLimits::default()
        };
        let (_, s) = store_with(limits);
        let victim = token_for(&s, client(1), &did(1));
        // A throwaway did:key makes far more tokens than the table holds, from
        // one address and then from many.
        for _ in 0..1_000 {
            token_for(&s, client(2), &did(2));
        }
        for n in 0..1_000u32 {
            token_for(&s, ClientKey::V4(0x0a00_0000 + n), &did(2));
        }
        assert!(s.token_count() <= limits.max_tokens);
        assert_eq!(s.session(&victim).unwrap().did, did(1));
        // Other DIDs still get (and keep) tokens.
        let other = token_for(&s, client(3), &did(3));
        assert_eq!(s.session(&other).unwrap().did, did(3));
        s.revoke_did(&did(3));
        assert!(s.session(&other).is_err());
    }

    #[test]
    fn a_dids_tokens_beyond_its_cap_replace_its_oldest() {
        let (_, s) = store();
        let first = token_for(&s, client(1), &did(1));
        let cap = AuthLimits::default().max_tokens_per_did;
        let rest: Vec<String> = (0..cap)
            .map(|_| token_for(&s, client(1), &did(1)))
            .collect();
        assert!(s.session(&first).is_err(), "the oldest made room");
        assert!(rest.iter().all(|t| s.session(t).is_ok()));
    }
}
