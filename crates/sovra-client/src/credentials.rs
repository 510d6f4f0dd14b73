//! Verifiable credentials from the client's side: verifying a credential or
//! presentation without trusting the node (every ledger fact it rests on is
//! read with a state proof, and status lists are checked against their
//! anchored CID), and publishing an issuer's status list.

use crate::{Client, ClientError, DidVersionSelector};
use serde_json::Value;
use sovra_credentials::verify::{
    Ledger, Policy, PresentationRequest, Verdict, verify_credential, verify_presentation,
};
use sovra_types::{Did, DidMethod, DidRecord, StateKey, StatusListAnchor, VerifierRecord};

/// The ledger as seen through a node, every answer checked against a
/// finalized header's state root. (The verifier's [`Ledger`] trait carries errors as text: the
/// typed reads below are rendered there.)
pub struct ClientLedger<'a>(pub &'a Client);

fn resolved(
    r: Result<Result<crate::VerifiedDid, crate::ProvenAbsent>, ClientError>,
) -> Result<Option<DidRecord>, ClientError> {
    Ok(r?.ok().and_then(|v| v.record))
}

impl ClientLedger<'_> {
    /// The anchor of `issuer`'s status list `list_id`, read with a proof.
    pub fn anchor(
        &self,
        issuer: &Did,
        list_id: &str,
    ) -> Result<Option<StatusListAnchor>, ClientError> {
        let v = self.0.verified_state(&StateKey::StatusList {
            issuer: issuer.clone(),
            list_id: list_id.to_string(),
        })?;
        v.value
            .map(|b| {
                StatusListAnchor::decode(&b).map_err(|source| ClientError::Decode {
                    what: format!("status list anchor of {issuer}"),
                    source,
                })
            })
            .transpose()
    }

    /// A verifier's registration, read with a proof.
    pub fn registration(&self, did: &Did) -> Result<Option<VerifierRecord>, ClientError> {
        let v = self.0.verified_state(&StateKey::Verifier(did.clone()))?;
        v.value
            .map(|b| {
                VerifierRecord::decode(&b).map_err(|source| ClientError::Decode {
                    what: format!("registration of {did}"),
                    source,
                })
            })
            .transpose()
    }

    /// The current content of an issuer's status list, checked against its anchored CID.
    pub fn anchored_list(
        &self,
        issuer: &Did,
        list_id: &str,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        let Some(anchor) = self.anchor(issuer, list_id)? else {
            return Ok(None);
        };
        // `raw_block` checks the bytes against the anchored CID.
        self.0
            .raw_block(anchor.cid.cid())?
            .ok_or_else(|| {
                ClientError::BadResponse(format!("no node copy of the status list {}", anchor.cid))
            })
            .map(Some)
    }
}

impl Ledger for ClientLedger<'_> {
    type Error = ClientError;

    async fn did_at(&self, did: &Did, at_ms: u64) -> Result<Option<DidRecord>, ClientError> {
        if did.method() == DidMethod::Key {
            return Ok(None);
        }
        resolved(
            self.0
                .resolve_verified(did, DidVersionSelector::Time(at_ms)),
        )
    }

    async fn did_latest(&self, did: &Did) -> Result<Option<DidRecord>, ClientError> {
        if did.method() == DidMethod::Key {
            return Ok(None);
        }
        resolved(self.0.resolve_verified(did, DidVersionSelector::Latest))
    }

    async fn verifier(&self, did: &Did) -> Result<Option<VerifierRecord>, ClientError> {
        self.registration(did)
    }

    async fn status_list(
        &self,
        issuer: &Did,
        list_id: &str,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        self.anchored_list(issuer, list_id)
    }
}

/// Drives a future whose awaits complete immediately (the client's ledger
/// reads are blocking calls inside `async` bodies). Unlike an executor's
/// `block_on`, it can be used while the proof library runs its own.
fn run_now<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

impl Client {
    /// Verifies a credential, reading the ledger with proofs.
    pub fn verify_credential(&self, credential: &Value, policy: &Policy) -> Verdict {
        run_now(verify_credential(credential, &ClientLedger(self), policy))
    }

    /// Verifies a presentation, reading the ledger with proofs.
    pub fn verify_presentation(
        &self,
        presentation: &Value,
        request: &PresentationRequest,
        policy: &Policy,
    ) -> Verdict {
        run_now(verify_presentation(
            presentation,
            request,
            &ClientLedger(self),
            policy,
        ))
    }
}
