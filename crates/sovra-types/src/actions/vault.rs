//! Actions of the vault module: records of the signer's private vault and the grants to read them.

use crate::{
    ContentId, Did, RecordId,
    limits::{MAX_PIN_BYTES, MAX_REPLICATION},
    vault::MIN_VAULT_REPLICATION,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to the signer's vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultAction {
    /// Creates a record (`version` 1) or replaces its content with the next version.
    Put {
        /// The record.
        record: RecordId,
        /// The version this creates: 1 for a new record, else the current version + 1.
        version: u64,
        /// Root of the ciphertext DAG.
        content: ContentId,
        /// Ciphertext size in bytes.
        size: u64,
        /// Raw block with the owner's wrapped key and the sealed metadata.
        keys: ContentId,
        /// How many nodes must hold it.
        replication: u8,
        /// When the network deletes it by itself (unix ms).
        retain_until_ms: Option<u64>,
    },
    /// Lets `grantee` read the current version (replaces an earlier grant to them).
    Grant {
        /// The record.
        record: RecordId,
        /// Who may read it.
        grantee: Did,
        /// When the grant ends (unix ms).
        until_ms: Option<u64>,
        /// Raw block with the record key wrapped to the grantee.
        wrap: ContentId,
    },
    /// Removes `grantee`'s grant.
    Revoke {
        /// The record.
        record: RecordId,
        /// Whose grant ends.
        grantee: Did,
    },
    /// Erases the record: every node deletes its ciphertext and wrapped keys.
    Delete {
        /// The record.
        record: RecordId,
    },
}

impl VaultAction {
    const PUT: u8 = 0;
    const GRANT: u8 = 1;
    const REVOKE: u8 = 2;
    const DELETE: u8 = 3;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            VaultAction::Put { .. } => "vault_put",
            VaultAction::Grant { .. } => "vault_grant",
            VaultAction::Revoke { .. } => "vault_revoke",
            VaultAction::Delete { .. } => "vault_delete",
        }
    }

    /// The record the action is about.
    pub fn record(&self) -> RecordId {
        match self {
            VaultAction::Put { record, .. }
            | VaultAction::Grant { record, .. }
            | VaultAction::Revoke { record, .. }
            | VaultAction::Delete { record } => *record,
        }
    }
}

impl Write for VaultAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            VaultAction::Put {
                record,
                version,
                content,
                size,
                keys,
                replication,
                retain_until_ms,
            } => {
                Self::PUT.write(buf);
                record.write(buf);
                version.write(buf);
                content.write(buf);
                size.write(buf);
                keys.write(buf);
                replication.write(buf);
                retain_until_ms.write(buf);
            }
            VaultAction::Grant {
                record,
                grantee,
                until_ms,
                wrap,
            } => {
                Self::GRANT.write(buf);
                record.write(buf);
                grantee.write(buf);
                until_ms.write(buf);
                wrap.write(buf);
            }
            VaultAction::Revoke { record, grantee } => {
                Self::REVOKE.write(buf);
                record.write(buf);
                grantee.write(buf);
            }
            VaultAction::Delete { record } => {
                Self::DELETE.write(buf);
                record.write(buf);
            }
        }
    }
}

impl EncodeSize for VaultAction {
    fn encode_size(&self) -> usize {
        1 + 16
            + match self {
                VaultAction::Put {
                    content,
                    keys,
                    retain_until_ms,
                    ..
                } => {
                    8 + content.encode_size()
                        + 8
                        + keys.encode_size()
                        + 1
                        + retain_until_ms.encode_size()
                }
                VaultAction::Grant {
                    grantee,
                    until_ms,
                    wrap,
                    ..
                } => grantee.encode_size() + until_ms.encode_size() + wrap.encode_size(),
                VaultAction::Revoke { grantee, .. } => grantee.encode_size(),
                VaultAction::Delete { .. } => 0,
            }
    }
}

impl Read for VaultAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::PUT => {
                let action = VaultAction::Put {
                    record: RecordId::read(buf)?,
                    version: u64::read(buf)?,
                    content: ContentId::read(buf)?,
                    size: u64::read(buf)?,
                    keys: ContentId::read(buf)?,
                    replication: u8::read(buf)?,
                    retain_until_ms: Option::<u64>::read(buf)?,
                };
                if let VaultAction::Put {
                    size, replication, ..
                } = &action
                    && (*size > MAX_PIN_BYTES
                        || *replication < MIN_VAULT_REPLICATION
                        || *replication > MAX_REPLICATION)
                {
                    return Err(Error::Invalid(
                        "VaultAction",
                        "size or replication out of range",
                    ));
                }
                Ok(action)
            }
            Self::GRANT => Ok(VaultAction::Grant {
                record: RecordId::read(buf)?,
                grantee: Did::read(buf)?,
                until_ms: Option::<u64>::read(buf)?,
                wrap: ContentId::read(buf)?,
            }),
            Self::REVOKE => Ok(VaultAction::Revoke {
                record: RecordId::read(buf)?,
                grantee: Did::read(buf)?,
            }),
            Self::DELETE => Ok(VaultAction::Delete {
                record: RecordId::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
