//! The recovery area: an identity's guardian recovery setup and its pending recovery.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sovra_types::{Did, RecoveryConfig};

/// A guardian's approval.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ApprovalView {
    /// The guardian.
    pub guardian: String,
    /// CID of the block holding the share encrypted to the new device.
    pub share: String,
}

/// A recovery in progress.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PendingRecoveryView {
    /// The new device's DID.
    pub new_controller: String,
    /// When it was requested (unix ms).
    pub requested_ms: u64,
    /// When the time lock ends (unix ms).
    pub unlock_ms: u64,
    /// Approvals so far.
    pub approvals: Vec<ApprovalView>,
}

/// An identity's guardian recovery setup.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RecoveryView {
    /// The identity.
    pub did: String,
    /// Guardians in share order.
    pub guardians: Vec<String>,
    /// Approvals needed.
    pub threshold: u8,
    /// Feldman commitments (hex).
    pub commitments: String,
    /// CID of the block of encrypted shares.
    pub shares: String,
    /// Time lock (ms).
    pub time_lock_ms: u64,
    /// The recovery in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingRecoveryView>,
}

impl RecoveryView {
    /// The view of `did`'s setup.
    pub fn new(did: &Did, config: &RecoveryConfig) -> Self {
        Self {
            did: did.to_string(),
            guardians: config.guardians.iter().map(|g| g.to_string()).collect(),
            threshold: config.threshold,
            commitments: hex::encode(&config.commitments),
            shares: config.shares.to_string(),
            time_lock_ms: config.time_lock_ms,
            pending: config.pending.as_ref().map(|p| PendingRecoveryView {
                new_controller: p.new_controller.to_string(),
                requested_ms: p.requested_ms,
                unlock_ms: p.unlock_ms,
                approvals: p
                    .approvals
                    .iter()
                    .map(|a| ApprovalView {
                        guardian: a.guardian.to_string(),
                        share: a.share.to_string(),
                    })
                    .collect(),
            }),
        }
    }
}
