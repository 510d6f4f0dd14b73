//! Actions of the registry module: the trust registry of verifiers and status-list anchors.

use crate::{
    ContentId, Did,
    codec::{bytes_size, read_text, write_bytes},
    limits::{MAX_STATUS_LIST_ID_LEN, MAX_VERIFIER_NAME_LEN},
    registry::{read_types, types_size, write_types},
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to the trust registry or to one of the signer's status lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryAction {
    /// Allow `verifier` to issue `credential_types` (registry authority only).
    RegisterVerifier {
        /// The verifier's identity.
        verifier: Did,
        /// Display name.
        name: String,
        /// Credential types it may issue.
        credential_types: Vec<String>,
    },
    /// Remove `verifier` from the trust registry (registry authority only).
    RemoveVerifier {
        /// The verifier's identity.
        verifier: Did,
    },
    /// Anchor the current version of the signer's status list `list_id`.
    AnchorStatusList {
        /// The list's id among the signer's lists.
        list_id: String,
        /// CID of the status list credential's bytes (raw codec, SHA-256).
        cid: ContentId,
    },
}

impl RegistryAction {
    const REGISTER_VERIFIER: u8 = 0;
    const REMOVE_VERIFIER: u8 = 1;
    const ANCHOR_STATUS_LIST: u8 = 2;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            RegistryAction::RegisterVerifier { .. } => "register_verifier",
            RegistryAction::RemoveVerifier { .. } => "remove_verifier",
            RegistryAction::AnchorStatusList { .. } => "anchor_status_list",
        }
    }
}

impl Write for RegistryAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            RegistryAction::RegisterVerifier {
                verifier,
                name,
                credential_types,
            } => {
                Self::REGISTER_VERIFIER.write(buf);
                verifier.write(buf);
                write_bytes(name.as_bytes(), buf);
                write_types(credential_types, buf);
            }
            RegistryAction::RemoveVerifier { verifier } => {
                Self::REMOVE_VERIFIER.write(buf);
                verifier.write(buf);
            }
            RegistryAction::AnchorStatusList { list_id, cid } => {
                Self::ANCHOR_STATUS_LIST.write(buf);
                write_bytes(list_id.as_bytes(), buf);
                cid.write(buf);
            }
        }
    }
}

impl EncodeSize for RegistryAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            RegistryAction::RegisterVerifier {
                verifier,
                name,
                credential_types,
            } => {
                verifier.encode_size() + bytes_size(name.as_bytes()) + types_size(credential_types)
            }
            RegistryAction::RemoveVerifier { verifier } => verifier.encode_size(),
            RegistryAction::AnchorStatusList { list_id, cid } => {
                bytes_size(list_id.as_bytes()) + cid.encode_size()
            }
        }
    }
}

impl Read for RegistryAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::REGISTER_VERIFIER => Ok(RegistryAction::RegisterVerifier {
                verifier: Did::read(buf)?,
                name: read_text(buf, 1..=MAX_VERIFIER_NAME_LEN, "verifier name")?,
                credential_types: read_types(buf)?,
            }),
            Self::REMOVE_VERIFIER => Ok(RegistryAction::RemoveVerifier {
                verifier: Did::read(buf)?,
            }),
            Self::ANCHOR_STATUS_LIST => Ok(RegistryAction::AnchorStatusList {
                list_id: read_text(buf, 1..=MAX_STATUS_LIST_ID_LEN, "status list id")?,
                cid: ContentId::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
