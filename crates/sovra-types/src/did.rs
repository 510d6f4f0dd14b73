//! Decentralized identifiers as account names.
//!
//! Every account is an identity named by a DID. The ledger accepts `did:key`
//! identifiers for Ed25519 keys (the key is the identity; no registration is
//! needed). The identity layer adds `did:sovra`.

use crate::{
    TypesError,
    codec::{bytes_size, read_text, write_bytes},
    limits::MAX_DID_LEN,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, Write};
use sovra_crypto::{PublicKey, decode_did_key, encode_did_key};
use std::{fmt, str::FromStr};

/// A validated, canonical DID naming an account.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Did(String);

impl Did {
    /// Parses and validates a DID string.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        if s.len() > MAX_DID_LEN {
            return Err(TypesError::Invalid(format!(
                "DID longer than {MAX_DID_LEN} bytes"
            )));
        }
        if s.starts_with("did:key:") {
            decode_did_key(s).map_err(|e| TypesError::Invalid(e.to_string()))?;
            return Ok(Self(s.to_string()));
        }
        Err(TypesError::Invalid(format!(
            "unsupported DID method (expected did:key): {s:?}"
        )))
    }

    /// The `did:key` identity of an Ed25519 public key.
    pub fn from_public_key(key: &PublicKey) -> Self {
        Self(encode_did_key(key))
    }

    /// The DID as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For a `did:key`, the public key it names.
    pub fn key(&self) -> Option<PublicKey> {
        decode_did_key(&self.0).ok()
    }
}

impl fmt::Display for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Did {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Did({})", self.0)
    }
}

impl FromStr for Did {
    type Err = TypesError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Did {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Did {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Did::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Write for Did {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        write_bytes(self.0.as_bytes(), buf);
    }
}

impl EncodeSize for Did {
    fn encode_size(&self) -> usize {
        bytes_size(self.0.as_bytes())
    }
}

impl Read for Did {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let s = read_text(buf, 1..=MAX_DID_LEN, "Did")?;
        Did::parse(&s).map_err(|_| Error::Invalid("Did", "not a valid canonical DID"))
    }
}
