//! Public content on the ledger: CIDs of pinned DAGs, pin records and the names an identity
//! gives its public documents (`profile`, `app-config`, ...).

use crate::{
    codec::{bytes_size, read_bytes, read_text, write_bytes},
    limits::{MAX_CID_BYTES, MAX_DOC_NAME_LEN, MAX_REPLICATION},
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A CID in its binary form, as carried in transactions and state. Only canonical CIDs decode:
/// the bytes must parse as one CID and re-encode to themselves.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentId(cid::Cid);

impl ContentId {
    /// Wraps a CID.
    pub fn new(cid: cid::Cid) -> Self {
        Self(cid)
    }

    /// The CID.
    pub fn cid(&self) -> &cid::Cid {
        &self.0
    }

    /// Parses the text form (`bafy...`, `Qm...`).
    pub fn parse(text: &str) -> Result<Self, crate::TypesError> {
        if text.len() > 2 * MAX_CID_BYTES {
            return Err(crate::TypesError::Invalid("CID too long".into()));
        }
        cid::Cid::try_from(text)
            .map(Self)
            .map_err(|e| crate::TypesError::Invalid(format!("invalid CID {text:?}: {e}")))
    }

    /// Decodes the binary form strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::TypesError> {
        let cid = cid::Cid::read_bytes(bytes)
            .map_err(|e| crate::TypesError::Invalid(format!("invalid CID bytes: {e}")))?;
        if cid.to_bytes() != bytes {
            return Err(crate::TypesError::Invalid(
                "CID bytes are not canonical".into(),
            ));
        }
        Ok(Self(cid))
    }

    /// The CIDv1 of `data` as one raw block (codec raw `0x55`, multihash sha2-256), as
    /// `ipfs add --raw-leaves` names a small file.
    pub fn raw_sha256(data: &[u8]) -> Self {
        let digest = crate::sha256(&[data]);
        let hash = cid::multihash::Multihash::<64>::wrap(0x12, digest.as_ref())
            .expect("a 32-byte digest fits a 64-byte multihash");
        Self(cid::Cid::new_v1(0x55, hash))
    }

    /// Whether the CID's hash is sha2-256, the only hash the network replicates.
    pub fn is_sha256(&self) -> bool {
        self.0.hash().code() == 0x12 && self.0.hash().size() == 32
    }
}

impl std::fmt::Display for ContentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Write for ContentId {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        write_bytes(&self.0.to_bytes(), buf);
    }
}

impl EncodeSize for ContentId {
    fn encode_size(&self) -> usize {
        bytes_size(&self.0.to_bytes())
    }
}

impl Read for ContentId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let bytes = read_bytes(buf, 2..=MAX_CID_BYTES)?;
        Self::from_bytes(&bytes).map_err(|_| Error::Invalid("ContentId", "not a canonical CID"))
    }
}

/// One identity's pin of a content root: the network keeps the DAG on `replication` nodes until
/// the owner unpins it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinRecord {
    /// Declared total size of the DAG in bytes.
    pub size: u64,
    /// How many nodes must hold the DAG.
    pub replication: u8,
    /// Height of the block that pinned it.
    pub height: u64,
}

impl PinRecord {
    const VERSION: u8 = 1;

    /// Decodes a pin record.
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::TypesError> {
        Ok(crate::codec::decode_exact(bytes, &())?)
    }
}

impl Write for PinRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        self.size.write(buf);
        self.replication.write(buf);
        self.height.write(buf);
    }
}

impl EncodeSize for PinRecord {
    fn encode_size(&self) -> usize {
        1 + 8 + 1 + 8
    }
}

impl Read for PinRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("PinRecord", "unsupported version"));
        }
        let size = u64::read(buf)?;
        let replication = u8::read(buf)?;
        if replication == 0 || replication > MAX_REPLICATION {
            return Err(Error::Invalid("PinRecord", "replication out of range"));
        }
        Ok(Self {
            size,
            replication,
            height: u64::read(buf)?,
        })
    }
}

/// Checks a public document name: 1-64 characters of `[a-z0-9._-]`, starting with a letter or digit.
pub fn validate_doc_name(name: &str) -> Result<(), crate::TypesError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_DOC_NAME_LEN
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(crate::TypesError::Invalid(format!(
            "document name must be 1-{MAX_DOC_NAME_LEN} characters of [a-z0-9._-] starting with a letter or digit: {name:?}"
        )))
    }
}

/// Reads a document name and validates it.
pub(crate) fn read_doc_name(buf: &mut impl Buf) -> Result<String, Error> {
    let name = read_text(buf, 1..=MAX_DOC_NAME_LEN, "document name")?;
    validate_doc_name(&name).map_err(|_| Error::Invalid("document name", "invalid characters"))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_sha256_names_a_raw_block_as_ipfs_does() {
        // `echo -n 'hello world' | ipfs add --raw-leaves --cid-version 1`
        assert_eq!(
            ContentId::raw_sha256(b"hello world").to_string(),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
        );
        assert!(ContentId::raw_sha256(b"").is_sha256());
    }
}
