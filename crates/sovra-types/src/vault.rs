//! Private vault records on the ledger: the anchor of each record (owner,
//! ciphertext CID, size, version, retention) and the grants that let other
//! identities read it. The [`VaultAction`](crate::VaultAction)s change them.
//!
//! The ledger never holds a key or a byte of plaintext. A record's content is
//! encrypted on the owner's device; what the anchor names are content-addressed
//! blocks that nodes keep off the ledger and release only to the owner or a
//! grantee:
//! - `content`: the root of a UnixFS DAG over the ciphertext stream;
//! - `keys`: a raw block holding the record key wrapped to the owner's vault
//!   key and the record's metadata sealed under the record key ([`RecordKeys`]);
//! - each grant's `wrap`: a raw block holding the record key wrapped to the
//!   grantee's key-agreement key.
//!
//! Deleting a record (or passing its retention date) makes every node delete
//! all of those blocks: without a wrapped key the ciphertext cannot be read
//! (crypto-shredding), and the ciphertext itself is deleted too.

use crate::{
    ContentId, Did, TypesError,
    codec::{bytes_size, decode_exact, read_bytes, write_bytes},
};
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};

/// Most grants one record may have at a time.
pub const MAX_GRANTS_PER_RECORD: usize = 32;
/// Largest sealed metadata of a record, in bytes.
pub const MAX_SEALED_META_BYTES: usize = 16 * 1024;
/// Smallest replication factor of a vault record: private data lives on at least three nodes
/// (or on every validator of a smaller network).
pub const MIN_VAULT_REPLICATION: u8 = 3;
/// Namespace of the HPKE `info` binding a wrapped record key to its record.
pub const RECORD_KEY_INFO: &[u8] = b"sovra/vault/record-key/v1";

/// A record's identifier: 16 random bytes chosen by the owner's client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub [u8; 16]);

impl RecordId {
    /// Parses the 32-hex-character form.
    pub fn parse(text: &str) -> Result<Self, TypesError> {
        let bytes = hex::decode(text)
            .map_err(|_| TypesError::Invalid(format!("record id is hex: {text:?}")))?;
        let arr: [u8; 16] = bytes.try_into().map_err(|_| {
            TypesError::Invalid(format!("record id is 32 hex characters: {text:?}"))
        })?;
        Ok(Self(arr))
    }

    /// The `info` an HPKE wrap of this record's key at `version` for `recipient` is bound to.
    pub fn wrap_info(&self, version: u64, recipient: &Did) -> Vec<u8> {
        let mut info = RECORD_KEY_INFO.to_vec();
        info.extend_from_slice(&self.0);
        info.extend_from_slice(&version.to_be_bytes());
        info.extend_from_slice(recipient.as_str().as_bytes());
        info
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Write for RecordId {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        buf.put_slice(&self.0);
    }
}

impl EncodeSize for RecordId {
    fn encode_size(&self) -> usize {
        16
    }
}

impl Read for RecordId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self(<[u8; 16]>::read(buf)?))
    }
}

/// Permission for `grantee` to read one version of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Who may read.
    pub grantee: Did,
    /// The record version the wrap is for; a grant for an older version gives nothing.
    pub version: u64,
    /// End of the grant (unix ms), if it expires.
    pub until_ms: Option<u64>,
    /// Raw block holding the record key wrapped to the grantee.
    pub wrap: ContentId,
}

impl Write for Grant {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.grantee.write(buf);
        self.version.write(buf);
        self.until_ms.write(buf);
        self.wrap.write(buf);
    }
}

impl EncodeSize for Grant {
    fn encode_size(&self) -> usize {
        self.grantee.encode_size() + 8 + self.until_ms.encode_size() + self.wrap.encode_size()
    }
}

impl Read for Grant {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            grantee: Did::read(buf)?,
            version: u64::read(buf)?,
            until_ms: Option::<u64>::read(buf)?,
            wrap: ContentId::read(buf)?,
        })
    }
}

/// The ledger's anchor of one vault record (state value of [`StateKey::VaultRecord`](crate::StateKey::VaultRecord)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRecord {
    /// The identity that owns the record.
    pub owner: Did,
    /// Version, from 1; every version has its own record key.
    pub version: u64,
    /// Root of the ciphertext DAG of the current version.
    pub content: ContentId,
    /// Ciphertext size in bytes.
    pub size: u64,
    /// Block with the owner's wrapped key and the sealed metadata.
    pub keys: ContentId,
    /// How many nodes hold the record.
    pub replication: u8,
    /// When the network deletes the record by itself (unix ms).
    pub retain_until_ms: Option<u64>,
    /// Height of the block that created the record.
    pub created_height: u64,
    /// Height of the block that last changed it.
    pub updated_height: u64,
    /// Time of the block that last changed it (unix ms).
    pub updated_ms: u64,
    /// Height of the block that erased it, once erased.
    pub erased_height: Option<u64>,
    /// Current grants.
    pub grants: Vec<Grant>,
}

impl VaultRecord {
    const VERSION: u8 = 1;

    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// Whether its retention date has passed at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.retain_until_ms.is_some_and(|t| now_ms >= t)
    }

    /// Whether nodes must still keep it at `now_ms`: not erased, retention not passed.
    pub fn is_live(&self, now_ms: u64) -> bool {
        self.erased_height.is_none() && !self.is_expired(now_ms)
    }

    /// The grant that lets `did` read the current version at `now_ms`, if any.
    pub fn grant_for(&self, did: &Did, now_ms: u64) -> Option<&Grant> {
        self.grants.iter().find(|g| {
            &g.grantee == did && g.version == self.version && g.until_ms.is_none_or(|t| now_ms < t)
        })
    }

    /// Every block root nodes keep for the record: content, keys, grant wraps.
    pub fn roots(&self) -> Vec<&ContentId> {
        let mut roots = vec![&self.content, &self.keys];
        roots.extend(self.grants.iter().map(|g| &g.wrap));
        roots
    }
}

impl Write for VaultRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        self.owner.write(buf);
        self.version.write(buf);
        self.content.write(buf);
        self.size.write(buf);
        self.keys.write(buf);
        self.replication.write(buf);
        self.retain_until_ms.write(buf);
        self.created_height.write(buf);
        self.updated_height.write(buf);
        self.updated_ms.write(buf);
        self.erased_height.write(buf);
        self.grants.write(buf);
    }
}

impl EncodeSize for VaultRecord {
    fn encode_size(&self) -> usize {
        1 + self.owner.encode_size()
            + 8
            + self.content.encode_size()
            + 8
            + self.keys.encode_size()
            + 1
            + self.retain_until_ms.encode_size()
            + 8 * 3
            + self.erased_height.encode_size()
            + self.grants.encode_size()
    }
}

impl Read for VaultRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("VaultRecord", "unsupported version"));
        }
        Ok(Self {
            owner: Did::read(buf)?,
            version: u64::read(buf)?,
            content: ContentId::read(buf)?,
            size: u64::read(buf)?,
            keys: ContentId::read(buf)?,
            replication: u8::read(buf)?,
            retain_until_ms: Option::<u64>::read(buf)?,
            created_height: u64::read(buf)?,
            updated_height: u64::read(buf)?,
            updated_ms: u64::read(buf)?,
            erased_height: Option::<u64>::read(buf)?,
            grants: Vec::<Grant>::read_cfg(buf, &(RangeCfg::from(0..=MAX_GRANTS_PER_RECORD), ()))?,
        })
    }
}

/// The `keys` block of a record version: the record key wrapped to the
/// owner's vault key, and the record's metadata sealed under the record key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordKeys {
    /// The record.
    pub record: RecordId,
    /// The version.
    pub version: u64,
    /// HPKE wrap of the record key to the owner's vault public key.
    pub owner_wrap: Vec<u8>,
    /// Metadata (JSON) sealed with the record key.
    pub sealed_meta: Vec<u8>,
}

impl RecordKeys {
    const VERSION: u8 = 1;

    /// Decodes a keys block.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for RecordKeys {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        self.record.write(buf);
        self.version.write(buf);
        write_bytes(&self.owner_wrap, buf);
        write_bytes(&self.sealed_meta, buf);
    }
}

impl EncodeSize for RecordKeys {
    fn encode_size(&self) -> usize {
        1 + 16 + 8 + bytes_size(&self.owner_wrap) + bytes_size(&self.sealed_meta)
    }
}

impl Read for RecordKeys {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("RecordKeys", "unsupported version"));
        }
        Ok(Self {
            record: RecordId::read(buf)?,
            version: u64::read(buf)?,
            owner_wrap: read_bytes(buf, 0..=256)?,
            sealed_meta: read_bytes(buf, 0..=MAX_SEALED_META_BYTES)?,
        })
    }
}
