//! Actions of the recovery module: guardian recovery of an identity's keys (see
//! [`crate::recovery`] for the flow).

use crate::{
    ContentId, Did,
    codec::{bytes_size, read_bytes, write_bytes},
    recovery::{MAX_COMMITMENTS_BYTES, read_guardians},
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to an identity's recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecoveryAction {
    /// Sets up (or replaces) the signer's guardians; refused while a recovery is pending.
    Setup {
        /// Guardians, in share order.
        guardians: Vec<Did>,
        /// Approvals needed.
        threshold: u8,
        /// Feldman commitments of the vault secret.
        commitments: Vec<u8>,
        /// Raw block with the encrypted shares.
        shares: ContentId,
        /// Time lock of a recovery (ms).
        time_lock_ms: u64,
    },
    /// Starts recovering `did` to the signer (the new device's `did:key`).
    Request {
        /// The identity being recovered.
        did: Did,
    },
    /// A guardian approves the pending recovery of `did`.
    Approve {
        /// The identity being recovered.
        did: Did,
        /// Raw block with the guardian's share encrypted to the new device key.
        share: ContentId,
    },
    /// The identity cancels its pending recovery (signed by the identity itself).
    Cancel {
        /// The identity.
        did: Did,
    },
    /// The new device takes over `did` after the time lock, with enough approvals.
    Complete {
        /// The identity being recovered.
        did: Did,
        /// The document version being replaced (as in `UpdateDid`).
        previous_version: u64,
    },
}

impl RecoveryAction {
    const SETUP: u8 = 0;
    const REQUEST: u8 = 1;
    const APPROVE: u8 = 2;
    const CANCEL: u8 = 3;
    const COMPLETE: u8 = 4;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            RecoveryAction::Setup { .. } => "recovery_setup",
            RecoveryAction::Request { .. } => "recovery_request",
            RecoveryAction::Approve { .. } => "recovery_approve",
            RecoveryAction::Cancel { .. } => "recovery_cancel",
            RecoveryAction::Complete { .. } => "recovery_complete",
        }
    }

    /// The identity whose recovery the action changes (`signer` for a setup).
    pub fn subject<'a>(&'a self, signer: &'a Did) -> &'a Did {
        match self {
            RecoveryAction::Setup { .. } => signer,
            RecoveryAction::Request { did }
            | RecoveryAction::Approve { did, .. }
            | RecoveryAction::Cancel { did }
            | RecoveryAction::Complete { did, .. } => did,
        }
    }
}

impl Write for RecoveryAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            RecoveryAction::Setup {
                guardians,
                threshold,
                commitments,
                shares,
                time_lock_ms,
            } => {
                Self::SETUP.write(buf);
                guardians.write(buf);
                threshold.write(buf);
                write_bytes(commitments, buf);
                shares.write(buf);
                time_lock_ms.write(buf);
            }
            RecoveryAction::Request { did } => {
                Self::REQUEST.write(buf);
                did.write(buf);
            }
            RecoveryAction::Approve { did, share } => {
                Self::APPROVE.write(buf);
                did.write(buf);
                share.write(buf);
            }
            RecoveryAction::Cancel { did } => {
                Self::CANCEL.write(buf);
                did.write(buf);
            }
            RecoveryAction::Complete {
                did,
                previous_version,
            } => {
                Self::COMPLETE.write(buf);
                did.write(buf);
                previous_version.write(buf);
            }
        }
    }
}

impl EncodeSize for RecoveryAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            RecoveryAction::Setup {
                guardians,
                commitments,
                shares,
                ..
            } => guardians.encode_size() + 1 + bytes_size(commitments) + shares.encode_size() + 8,
            RecoveryAction::Request { did } | RecoveryAction::Cancel { did } => did.encode_size(),
            RecoveryAction::Complete { did, .. } => did.encode_size() + 8,
            RecoveryAction::Approve { did, share } => did.encode_size() + share.encode_size(),
        }
    }
}

impl Read for RecoveryAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::SETUP => Ok(RecoveryAction::Setup {
                guardians: read_guardians(buf)?,
                threshold: u8::read(buf)?,
                commitments: read_bytes(buf, 1..=MAX_COMMITMENTS_BYTES)?,
                shares: ContentId::read(buf)?,
                time_lock_ms: u64::read(buf)?,
            }),
            Self::REQUEST => Ok(RecoveryAction::Request {
                did: Did::read(buf)?,
            }),
            Self::APPROVE => Ok(RecoveryAction::Approve {
                did: Did::read(buf)?,
                share: ContentId::read(buf)?,
            }),
            Self::CANCEL => Ok(RecoveryAction::Cancel {
                did: Did::read(buf)?,
            }),
            Self::COMPLETE => Ok(RecoveryAction::Complete {
                did: Did::read(buf)?,
                previous_version: u64::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
