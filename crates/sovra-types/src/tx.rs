//! Transactions: a versioned envelope (signer, nonce, fee, chain id, expiry)
//! around one or more [`Action`]s, signed by the signer's key.
//!
//! The transaction id is the SHA-256 of the canonical encoding of the whole
//! signed transaction. The signature covers the canonical encoding of the
//! unsigned [`Transaction`] under the namespace [`TX_NAMESPACE`].

use crate::{
    Did, Digest, TypesError,
    codec::{bytes_size, read_text, write_bytes},
    content::ContentId,
    identity::DidDocument,
    limits::{
        MAX_ACTIONS_PER_TX, MAX_CHAIN_ID_LEN, MAX_STATUS_LIST_ID_LEN, MAX_TX_BYTES,
        MAX_VERIFIER_NAME_LEN,
    },
    recovery::RecoveryAction,
    registry::{read_types, types_size, write_types},
    sha256,
    vault::VaultAction,
};
use commonware_codec::{Buf, Encode, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use sovra_crypto::{PublicKey, Signature, SigningKey};

/// Domain-separation namespace of transaction signatures.
pub const TX_NAMESPACE: &[u8] = b"sovra/tx";
/// Current version of the transaction encoding.
pub const TX_VERSION: u8 = 1;

/// A transaction id: SHA-256 of the signed transaction's encoding.
pub type TxId = Digest;

/// One state change requested by a transaction. New variants are appended
/// with new tags; tags are never reused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Move `amount` of the native token from the signer to `to`.
    Transfer {
        /// Recipient.
        to: Did,
        /// Amount in the smallest unit.
        amount: u64,
    },
    /// Ask the network to keep the DAG under `cid` on `replication` nodes until unpinned.
    PinContent {
        /// Root of the DAG.
        cid: ContentId,
        /// Declared total size of the DAG in bytes.
        size: u64,
        /// How many nodes must hold it (1 to [`MAX_REPLICATION`](crate::limits::MAX_REPLICATION)).
        replication: u8,
    },
    /// Release the signer's pin of `cid`; the content is garbage-collected once nobody pins it.
    UnpinContent {
        /// Root of the DAG.
        cid: ContentId,
    },
    /// Point the signer's public document `name` at `cid`, or remove it when `cid` is `None`.
    SetPublicDocument {
        /// Document name (`profile`, `app-config`, ...).
        name: String,
        /// The content it points to.
        cid: Option<ContentId>,
    },
    /// Register a new `did:sovra` with `document`; its identifier is derived
    /// from the signer and the transaction's nonce ([`derive_sovra_did`](crate::identity::derive_sovra_did)).
    CreateDid {
        /// The first version of the document.
        document: DidDocument,
    },
    /// Replace the document of `did` (signed by the DID itself or one of its controllers).
    UpdateDid {
        /// The DID to update.
        did: Did,
        /// The version being replaced; the update fails if the DID has moved on.
        previous_version: u64,
        /// The new document.
        document: DidDocument,
    },
    /// Deactivate `did` for good (signed by the DID itself or one of its controllers).
    DeactivateDid {
        /// The DID to deactivate.
        did: Did,
        /// The version being deactivated.
        previous_version: u64,
    },
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
    /// A change to the signer's private vault (records and grants).
    Vault(VaultAction),
    /// A change to an identity's guardian recovery.
    Recovery(RecoveryAction),
}

impl Action {
    const TRANSFER: u8 = 0;
    const PIN_CONTENT: u8 = 1;
    const UNPIN_CONTENT: u8 = 2;
    const SET_PUBLIC_DOCUMENT: u8 = 3;
    const CREATE_DID: u8 = 4;
    const UPDATE_DID: u8 = 5;
    const DEACTIVATE_DID: u8 = 6;
    const REGISTER_VERIFIER: u8 = 7;
    const REMOVE_VERIFIER: u8 = 8;
    const ANCHOR_STATUS_LIST: u8 = 9;
    const VAULT: u8 = 10;
    const RECOVERY: u8 = 11;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Transfer { .. } => "transfer",
            Action::PinContent { .. } => "pin_content",
            Action::UnpinContent { .. } => "unpin_content",
            Action::SetPublicDocument { .. } => "set_public_document",
            Action::CreateDid { .. } => "create_did",
            Action::UpdateDid { .. } => "update_did",
            Action::DeactivateDid { .. } => "deactivate_did",
            Action::RegisterVerifier { .. } => "register_verifier",
            Action::RemoveVerifier { .. } => "remove_verifier",
            Action::AnchorStatusList { .. } => "anchor_status_list",
            Action::Vault(a) => a.kind(),
            Action::Recovery(a) => a.kind(),
        }
    }
}

impl Write for Action {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            Action::Transfer { to, amount } => {
                Self::TRANSFER.write(buf);
                to.write(buf);
                amount.write(buf);
            }
            Action::PinContent {
                cid,
                size,
                replication,
            } => {
                Self::PIN_CONTENT.write(buf);
                cid.write(buf);
                size.write(buf);
                replication.write(buf);
            }
            Action::UnpinContent { cid } => {
                Self::UNPIN_CONTENT.write(buf);
                cid.write(buf);
            }
            Action::SetPublicDocument { name, cid } => {
                Self::SET_PUBLIC_DOCUMENT.write(buf);
                write_bytes(name.as_bytes(), buf);
                cid.write(buf);
            }
            Action::CreateDid { document } => {
                Self::CREATE_DID.write(buf);
                document.write(buf);
            }
            Action::UpdateDid {
                did,
                previous_version,
                document,
            } => {
                Self::UPDATE_DID.write(buf);
                did.write(buf);
                previous_version.write(buf);
                document.write(buf);
            }
            Action::DeactivateDid {
                did,
                previous_version,
            } => {
                Self::DEACTIVATE_DID.write(buf);
                did.write(buf);
                previous_version.write(buf);
            }
            Action::RegisterVerifier {
                verifier,
                name,
                credential_types,
            } => {
                Self::REGISTER_VERIFIER.write(buf);
                verifier.write(buf);
                write_bytes(name.as_bytes(), buf);
                write_types(credential_types, buf);
            }
            Action::RemoveVerifier { verifier } => {
                Self::REMOVE_VERIFIER.write(buf);
                verifier.write(buf);
            }
            Action::AnchorStatusList { list_id, cid } => {
                Self::ANCHOR_STATUS_LIST.write(buf);
                write_bytes(list_id.as_bytes(), buf);
                cid.write(buf);
            }
            Action::Vault(a) => {
                Self::VAULT.write(buf);
                a.write(buf);
            }
            Action::Recovery(a) => {
                Self::RECOVERY.write(buf);
                a.write(buf);
            }
        }
    }
}

impl EncodeSize for Action {
    fn encode_size(&self) -> usize {
        1 + match self {
            Action::Transfer { to, amount } => to.encode_size() + amount.encode_size(),
            Action::PinContent { cid, .. } => cid.encode_size() + 8 + 1,
            Action::UnpinContent { cid } => cid.encode_size(),
            Action::SetPublicDocument { name, cid } => {
                bytes_size(name.as_bytes()) + cid.encode_size()
            }
            Action::CreateDid { document } => document.encode_size(),
            Action::UpdateDid { did, document, .. } => {
                did.encode_size() + 8 + document.encode_size()
            }
            Action::DeactivateDid { did, .. } => did.encode_size() + 8,
            Action::RegisterVerifier {
                verifier,
                name,
                credential_types,
            } => {
                verifier.encode_size() + bytes_size(name.as_bytes()) + types_size(credential_types)
            }
            Action::RemoveVerifier { verifier } => verifier.encode_size(),
            Action::AnchorStatusList { list_id, cid } => {
                bytes_size(list_id.as_bytes()) + cid.encode_size()
            }
            Action::Vault(a) => a.encode_size(),
            Action::Recovery(a) => a.encode_size(),
        }
    }
}

impl Read for Action {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::TRANSFER => Ok(Action::Transfer {
                to: Did::read(buf)?,
                amount: u64::read(buf)?,
            }),
            Self::PIN_CONTENT => Ok(Action::PinContent {
                cid: ContentId::read(buf)?,
                size: u64::read(buf)?,
                replication: u8::read(buf)?,
            }),
            Self::UNPIN_CONTENT => Ok(Action::UnpinContent {
                cid: ContentId::read(buf)?,
            }),
            Self::SET_PUBLIC_DOCUMENT => Ok(Action::SetPublicDocument {
                name: crate::content::read_doc_name(buf)?,
                cid: Option::<ContentId>::read(buf)?,
            }),
            Self::CREATE_DID => Ok(Action::CreateDid {
                document: DidDocument::read(buf)?,
            }),
            Self::UPDATE_DID => Ok(Action::UpdateDid {
                did: Did::read(buf)?,
                previous_version: u64::read(buf)?,
                document: DidDocument::read(buf)?,
            }),
            Self::DEACTIVATE_DID => Ok(Action::DeactivateDid {
                did: Did::read(buf)?,
                previous_version: u64::read(buf)?,
            }),
            Self::REGISTER_VERIFIER => Ok(Action::RegisterVerifier {
                verifier: Did::read(buf)?,
                name: read_text(buf, 1..=MAX_VERIFIER_NAME_LEN, "verifier name")?,
                credential_types: read_types(buf)?,
            }),
            Self::REMOVE_VERIFIER => Ok(Action::RemoveVerifier {
                verifier: Did::read(buf)?,
            }),
            Self::ANCHOR_STATUS_LIST => Ok(Action::AnchorStatusList {
                list_id: read_text(buf, 1..=MAX_STATUS_LIST_ID_LEN, "status list id")?,
                cid: ContentId::read(buf)?,
            }),
            Self::VAULT => Ok(Action::Vault(VaultAction::read(buf)?)),
            Self::RECOVERY => Ok(Action::Recovery(RecoveryAction::read(buf)?)),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}

/// The unsigned body of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The network this transaction is for (replay protection across chains).
    pub chain_id: String,
    /// The identity that signs and pays.
    pub signer: Did,
    /// Must equal the signer's account nonce when executed.
    pub nonce: u64,
    /// Fee paid to the network, charged even if an action fails.
    pub fee: u64,
    /// Last block height at which the transaction may be included.
    pub expiry_height: u64,
    /// What to do, in order; all or nothing.
    pub actions: Vec<Action>,
}

impl Transaction {
    /// Signs the transaction with `key`.
    pub fn sign(self, key: &SigningKey) -> SignedTransaction {
        let signature = key.sign(TX_NAMESPACE, &self.encode());
        SignedTransaction {
            tx: self,
            public_key: key.public_key(),
            signature,
        }
    }
}

/// Checks a chain id: 1-32 bytes of `[a-z0-9-]`.
pub fn validate_chain_id(id: &str) -> Result<(), TypesError> {
    if id.is_empty()
        || id.len() > MAX_CHAIN_ID_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(TypesError::Invalid(format!(
            "chain id must be 1-{MAX_CHAIN_ID_LEN} characters of [a-z0-9-]: {id:?}"
        )));
    }
    Ok(())
}

impl Write for Transaction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        TX_VERSION.write(buf);
        write_bytes(self.chain_id.as_bytes(), buf);
        self.signer.write(buf);
        self.nonce.write(buf);
        self.fee.write(buf);
        self.expiry_height.write(buf);
        self.actions.write(buf);
    }
}

impl EncodeSize for Transaction {
    fn encode_size(&self) -> usize {
        1 + bytes_size(self.chain_id.as_bytes())
            + self.signer.encode_size()
            + 8 * 3
            + self.actions.encode_size()
    }
}

impl Read for Transaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let version = u8::read(buf)?;
        if version != TX_VERSION {
            return Err(Error::Invalid("Transaction", "unsupported version"));
        }
        let chain_id = read_text(buf, 1..=MAX_CHAIN_ID_LEN, "chain id")?;
        validate_chain_id(&chain_id).map_err(|_| Error::Invalid("Transaction", "bad chain id"))?;
        Ok(Self {
            chain_id,
            signer: Did::read(buf)?,
            nonce: u64::read(buf)?,
            fee: u64::read(buf)?,
            expiry_height: u64::read(buf)?,
            actions: Vec::<Action>::read_cfg(buf, &(RangeCfg::from(1..=MAX_ACTIONS_PER_TX), ()))?,
        })
    }
}

/// A transaction with the signer's public key and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The signed body.
    pub tx: Transaction,
    /// The key that signed; for a `did:key` signer it must be the DID's key.
    pub public_key: PublicKey,
    /// Ed25519 signature over `tx`'s encoding under [`TX_NAMESPACE`].
    pub signature: Signature,
}

impl SignedTransaction {
    /// The transaction id.
    pub fn id(&self) -> TxId {
        sha256(&[&self.encode()])
    }

    /// Decodes a signed transaction from untrusted bytes (bounded, strict).
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TypesError::Invalid(format!(
                "transaction is {} bytes; the limit is {MAX_TX_BYTES}",
                bytes.len()
            )));
        }
        Ok(crate::codec::decode_exact(bytes, &())?)
    }

    /// Checks what can be checked without state: the key matches the signer
    /// (for `did:key`; a `did:sovra` signer's key is checked against its
    /// document during execution) and the signature is valid.
    pub fn verify_stateless(&self) -> Result<(), TypesError> {
        self.check_key_binding()?;
        if !sovra_crypto::verify(
            &self.public_key,
            TX_NAMESPACE,
            &self.tx.encode(),
            &self.signature,
        ) {
            return Err(TypesError::Invalid("bad signature".into()));
        }
        Ok(())
    }

    /// For a `did:key` signer, the signing key must be the key the DID names.
    /// For a `did:sovra` signer this needs state (the key must be one of the
    /// document's capabilityInvocation keys) and is left to execution.
    pub fn check_key_binding(&self) -> Result<(), TypesError> {
        match self.tx.signer.method() {
            crate::did::DidMethod::Sovra => Ok(()),
            // Compares bytes: the signer was checked canonical when decoded, so its point need
            // not be decompressed again.
            crate::did::DidMethod::Key => {
                match sovra_crypto::did_key::did_key_bytes(self.tx.signer.as_str()) {
                    Some(k) if k.as_slice() == self.public_key.as_ref() => Ok(()),
                    _ => Err(TypesError::Invalid(
                        "public key does not match the signer's did:key".into(),
                    )),
                }
            }
        }
    }
}

impl Write for SignedTransaction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.tx.write(buf);
        self.public_key.write(buf);
        self.signature.write(buf);
    }
}

impl EncodeSize for SignedTransaction {
    fn encode_size(&self) -> usize {
        self.tx.encode_size() + self.public_key.encode_size() + self.signature.encode_size()
    }
}

impl Read for SignedTransaction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            tx: Transaction::read(buf)?,
            public_key: {
                let raw = <[u8; 32]>::read(buf)?;
                sovra_crypto::keys::public_key_cached(&raw)
                    .map_err(|_| Error::Invalid("SignedTransaction", "invalid public key"))?
            },
            signature: Signature::read(buf)?,
        })
    }
}
