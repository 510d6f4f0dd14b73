//! Guardian-based key recovery on the ledger: an identity's recovery setup
//! (guardians, threshold, the Feldman commitments of its vault secret, the
//! block of shares encrypted to the guardians, the time lock) and a pending
//! recovery with the guardians' approvals. Its actions are the
//! [`RecoveryAction`](crate::RecoveryAction)s.
//!
//! Flow: the owner files [`RecoveryAction::Setup`](crate::RecoveryAction::Setup). Having lost every key, the
//! owner's new device (a fresh `did:key`) files [`RecoveryAction::Request`](crate::RecoveryAction::Request),
//! which starts the time lock; during it the identity's current keys can
//! [`RecoveryAction::Cancel`](crate::RecoveryAction::Cancel). Each guardian checks its share against the
//! commitments, re-encrypts it to the new device key, and files
//! [`RecoveryAction::Approve`](crate::RecoveryAction::Approve) naming the block that holds it. Once the
//! threshold of approvals is on the ledger and the time lock has ended, the
//! new device files [`RecoveryAction::Complete`](crate::RecoveryAction::Complete) and the identity's keys are
//! replaced by the new device key.

use crate::{
    ContentId, Did, TypesError,
    codec::{bytes_size, decode_exact, read_bytes, write_bytes},
};
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use sovra_crypto::shares::MAX_GUARDIANS;

/// Longest time lock a recovery setup may ask for (90 days).
pub const MAX_TIME_LOCK_MS: u64 = 90 * 24 * 3600 * 1000;
/// Largest encoded commitments (header + 16 points).
pub const MAX_COMMITMENTS_BYTES: usize = 3 + 32 * MAX_GUARDIANS as usize;
/// Namespace of the HPKE `info` binding an encrypted share to its identity and guardian.
pub const SHARE_INFO: &[u8] = b"sovra/recovery/share/v1";

/// The `info` of a share of `owner`'s vault secret encrypted to `recipient`.
pub fn share_info(owner: &Did, recipient: &Did) -> Vec<u8> {
    let mut info = SHARE_INFO.to_vec();
    write_bytes(owner.as_str().as_bytes(), &mut info);
    write_bytes(recipient.as_str().as_bytes(), &mut info);
    info
}

/// A guardian's approval of a pending recovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// The guardian.
    pub guardian: Did,
    /// Raw block holding the guardian's share encrypted to the new device key.
    pub share: ContentId,
}

impl Write for Approval {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.guardian.write(buf);
        self.share.write(buf);
    }
}

impl EncodeSize for Approval {
    fn encode_size(&self) -> usize {
        self.guardian.encode_size() + self.share.encode_size()
    }
}

impl Read for Approval {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            guardian: Did::read(buf)?,
            share: ContentId::read(buf)?,
        })
    }
}

/// A recovery in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRecovery {
    /// The new device's identity (a `did:key`): it receives the shares and the identity's keys.
    pub new_controller: Did,
    /// When it was requested (unix ms, block time).
    pub requested_ms: u64,
    /// When the time lock ends (unix ms).
    pub unlock_ms: u64,
    /// Approvals so far.
    pub approvals: Vec<Approval>,
}

impl Write for PendingRecovery {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.new_controller.write(buf);
        self.requested_ms.write(buf);
        self.unlock_ms.write(buf);
        self.approvals.write(buf);
    }
}

impl EncodeSize for PendingRecovery {
    fn encode_size(&self) -> usize {
        self.new_controller.encode_size() + 16 + self.approvals.encode_size()
    }
}

impl Read for PendingRecovery {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            new_controller: Did::read(buf)?,
            requested_ms: u64::read(buf)?,
            unlock_ms: u64::read(buf)?,
            approvals: Vec::<Approval>::read_cfg(
                buf,
                &(RangeCfg::from(0..=MAX_GUARDIANS as usize), ()),
            )?,
        })
    }
}

/// An identity's recovery setup (state value of [`StateKey::Recovery`](crate::StateKey::Recovery)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// Guardians; guardian `i` (from 0) holds share index `i + 1`.
    pub guardians: Vec<Did>,
    /// Approvals needed.
    pub threshold: u8,
    /// Feldman commitments of the vault secret (`sovra_crypto::shares::Commitments` bytes).
    pub commitments: Vec<u8>,
    /// Raw block with each guardian's share encrypted to that guardian ([`ShareEnvelopes`]).
    pub shares: ContentId,
    /// How long a request waits before it can complete (ms).
    pub time_lock_ms: u64,
    /// The recovery in progress, if any.
    pub pending: Option<PendingRecovery>,
}

impl RecoveryConfig {
    const VERSION: u8 = 1;

    /// Decodes a stored setup.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for RecoveryConfig {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        self.guardians.write(buf);
        self.threshold.write(buf);
        write_bytes(&self.commitments, buf);
        self.shares.write(buf);
        self.time_lock_ms.write(buf);
        self.pending.write(buf);
    }
}

impl EncodeSize for RecoveryConfig {
    fn encode_size(&self) -> usize {
        1 + self.guardians.encode_size()
            + 1
            + bytes_size(&self.commitments)
            + self.shares.encode_size()
            + 8
            + self.pending.encode_size()
    }
}

impl Read for RecoveryConfig {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("RecoveryConfig", "unsupported version"));
        }
        Ok(Self {
            guardians: read_guardians(buf)?,
            threshold: u8::read(buf)?,
            commitments: read_bytes(buf, 1..=MAX_COMMITMENTS_BYTES)?,
            shares: ContentId::read(buf)?,
            time_lock_ms: u64::read(buf)?,
            pending: Option::<PendingRecovery>::read(buf)?,
        })
    }
}

pub(crate) fn read_guardians(buf: &mut impl Buf) -> Result<Vec<Did>, Error> {
    Vec::<Did>::read_cfg(buf, &(RangeCfg::from(1..=MAX_GUARDIANS as usize), ()))
}

/// One guardian's encrypted share in a [`ShareEnvelopes`] block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareEnvelope {
    /// The guardian it is encrypted to.
    pub guardian: Did,
    /// HPKE-sealed share bytes (`sovra_crypto::shares::Share`), info [`share_info`].
    pub sealed: Vec<u8>,
}

/// A block of shares of `owner`'s vault secret, each encrypted to its recipient.
/// Used for the setup (one per guardian) and for an approval (one, to the new device).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareEnvelopes {
    /// Whose vault secret is shared.
    pub owner: Did,
    /// The encrypted shares.
    pub envelopes: Vec<ShareEnvelope>,
}

impl ShareEnvelopes {
    const VERSION: u8 = 1;

    /// Decodes a shares block.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// The envelope encrypted to `recipient`.
    pub fn for_recipient(&self, recipient: &Did) -> Option<&ShareEnvelope> {
        self.envelopes.iter().find(|e| &e.guardian == recipient)
    }
}

impl Write for ShareEnvelopes {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        self.owner.write(buf);
        (self.envelopes.len() as u8).write(buf);
        for e in &self.envelopes {
            e.guardian.write(buf);
            write_bytes(&e.sealed, buf);
        }
    }
}

impl EncodeSize for ShareEnvelopes {
    fn encode_size(&self) -> usize {
        1 + self.owner.encode_size()
            + 1
            + self
                .envelopes
                .iter()
                .map(|e| e.guardian.encode_size() + bytes_size(&e.sealed))
                .sum::<usize>()
    }
}

impl Read for ShareEnvelopes {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("ShareEnvelopes", "unsupported version"));
        }
        let owner = Did::read(buf)?;
        let n = u8::read(buf)?;
        if n == 0 || n > MAX_GUARDIANS {
            return Err(Error::Invalid("ShareEnvelopes", "count out of range"));
        }
        let mut envelopes = Vec::with_capacity(n as usize);
        for _ in 0..n {
            envelopes.push(ShareEnvelope {
                guardian: Did::read(buf)?,
                sealed: read_bytes(buf, 1..=256)?,
            });
        }
        Ok(Self { owner, envelopes })
    }
}
