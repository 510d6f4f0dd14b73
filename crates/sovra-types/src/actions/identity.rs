//! Actions of the identity module: creating, updating and deactivating `did:sovra` identities.

use crate::{Did, identity::DidDocument};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to a `did:sovra`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityAction {
    /// Register a new `did:sovra` with `document`; its identifier is derived
    /// from the signer and the transaction's nonce ([`derive_sovra_did`](crate::identity::derive_sovra_did)).
    Create {
        /// The first version of the document.
        document: DidDocument,
    },
    /// Replace the document of `did` (signed by the DID itself or one of its controllers).
    Update {
        /// The DID to update.
        did: Did,
        /// The version being replaced; the update fails if the DID has moved on.
        previous_version: u64,
        /// The new document.
        document: DidDocument,
    },
    /// Deactivate `did` for good (signed by the DID itself or one of its controllers).
    Deactivate {
        /// The DID to deactivate.
        did: Did,
        /// The version being deactivated.
        previous_version: u64,
    },
}

impl IdentityAction {
    const CREATE: u8 = 0;
    const UPDATE: u8 = 1;
    const DEACTIVATE: u8 = 2;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            IdentityAction::Create { .. } => "create_did",
            IdentityAction::Update { .. } => "update_did",
            IdentityAction::Deactivate { .. } => "deactivate_did",
        }
    }
}

impl Write for IdentityAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            IdentityAction::Create { document } => {
                Self::CREATE.write(buf);
                document.write(buf);
            }
            IdentityAction::Update {
                did,
                previous_version,
                document,
            } => {
                Self::UPDATE.write(buf);
                did.write(buf);
                previous_version.write(buf);
                document.write(buf);
            }
            IdentityAction::Deactivate {
                did,
                previous_version,
            } => {
                Self::DEACTIVATE.write(buf);
                did.write(buf);
                previous_version.write(buf);
            }
        }
    }
}

impl EncodeSize for IdentityAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            IdentityAction::Create { document } => document.encode_size(),
            IdentityAction::Update { did, document, .. } => {
                did.encode_size() + 8 + document.encode_size()
            }
            IdentityAction::Deactivate { did, .. } => did.encode_size() + 8,
        }
    }
}

impl Read for IdentityAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::CREATE => Ok(IdentityAction::Create {
                document: DidDocument::read(buf)?,
            }),
            Self::UPDATE => Ok(IdentityAction::Update {
                did: Did::read(buf)?,
                previous_version: u64::read(buf)?,
                document: DidDocument::read(buf)?,
            }),
            Self::DEACTIVATE => Ok(IdentityAction::Deactivate {
                did: Did::read(buf)?,
                previous_version: u64::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
