//! The trust registry and status-list anchors as the ledger stores them.
//!
//! The registry says which verifier identities (KYC providers, laboratories)
//! may issue which credential types; a credential from anyone else is
//! "untrusted issuer". A status-list anchor fixes the CID (a SHA-256 hash) of
//! the current version of an issuer's Bitstring Status List credential, so a
//! node cannot serve a stale or altered list unnoticed.

use crate::{
    ContentId, TypesError,
    codec::{bytes_size, read_text, write_bytes},
    limits::{
        MAX_CREDENTIAL_TYPE_LEN, MAX_CREDENTIAL_TYPES, MAX_STATUS_LIST_ID_LEN,
        MAX_VERIFIER_NAME_LEN,
    },
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// Checks a credential type name: 1-64 characters of `[A-Za-z0-9._-]` (the
/// `type` of a credential, e.g. `KycCredential`, `HealthTestCredential`).
pub fn validate_credential_type(t: &str) -> Result<(), TypesError> {
    validate_token(t, MAX_CREDENTIAL_TYPE_LEN, "credential type")
}

/// Checks a status list id: 1-64 characters of `[A-Za-z0-9._-]`.
pub fn validate_status_list_id(id: &str) -> Result<(), TypesError> {
    validate_token(id, MAX_STATUS_LIST_ID_LEN, "status list id")
}

/// Checks a verifier's display name: 1-128 bytes of text without control characters.
pub fn validate_verifier_name(name: &str) -> Result<(), TypesError> {
    if name.trim().is_empty()
        || name.len() > MAX_VERIFIER_NAME_LEN
        || name.chars().any(char::is_control)
    {
        return Err(TypesError::Invalid(format!(
            "a verifier name is 1-{MAX_VERIFIER_NAME_LEN} bytes of text without control characters"
        )));
    }
    Ok(())
}

fn validate_token(s: &str, max: usize, what: &str) -> Result<(), TypesError> {
    if s.is_empty()
        || s.len() > max
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(TypesError::Invalid(format!(
            "a {what} is 1-{max} characters of [A-Za-z0-9._-]: {s:?}"
        )));
    }
    Ok(())
}

/// A registered verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierRecord {
    /// Display name (`Example Labs`).
    pub name: String,
    /// The credential types it may issue.
    pub credential_types: Vec<String>,
    /// Height of the registration.
    pub registered_height: u64,
    /// Block time of the registration (ms since the Unix epoch).
    pub registered_ms: u64,
}

impl VerifierRecord {
    const VERSION: u8 = 1;

    /// Decodes a record from state.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(crate::codec::decode_exact(bytes, &())?)
    }
}

/// Writes a list of short strings (credential types).
pub(crate) fn write_types(types: &[String], buf: &mut impl bytes::BufMut) {
    (types.len() as u8).write(buf);
    for t in types {
        write_bytes(t.as_bytes(), buf);
    }
}

/// Encoded size of [`write_types`].
pub(crate) fn types_size(types: &[String]) -> usize {
    1 + types
        .iter()
        .map(|t| bytes_size(t.as_bytes()))
        .sum::<usize>()
}

/// Reads a list written by [`write_types`], at most [`MAX_CREDENTIAL_TYPES`] entries.
pub(crate) fn read_types(buf: &mut impl Buf) -> Result<Vec<String>, Error> {
    let n = u8::read(buf)? as usize;
    if n > MAX_CREDENTIAL_TYPES {
        return Err(Error::Invalid("credential types", "too many"));
    }
    (0..n)
        .map(|_| read_text(buf, 1..=MAX_CREDENTIAL_TYPE_LEN, "credential type"))
        .collect()
}

impl Write for VerifierRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        write_bytes(self.name.as_bytes(), buf);
        write_types(&self.credential_types, buf);
        self.registered_height.write(buf);
        self.registered_ms.write(buf);
    }
}

impl EncodeSize for VerifierRecord {
    fn encode_size(&self) -> usize {
        1 + bytes_size(self.name.as_bytes()) + types_size(&self.credential_types) + 16
    }
}

impl Read for VerifierRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("VerifierRecord", "unsupported version"));
        }
        Ok(Self {
            name: read_text(buf, 1..=MAX_VERIFIER_NAME_LEN, "verifier name")?,
            credential_types: read_types(buf)?,
            registered_height: u64::read(buf)?,
            registered_ms: u64::read(buf)?,
        })
    }
}

/// The anchored current version of an issuer's status list credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusListAnchor {
    /// CID (raw codec, SHA-256) of the status list credential's JSON bytes.
    pub cid: ContentId,
    /// 1 for the first anchor, +1 per update.
    pub version: u64,
    /// Height of this version.
    pub height: u64,
    /// Block time of this version (ms since the Unix epoch).
    pub updated_ms: u64,
}

impl StatusListAnchor {
    const VERSION: u8 = 1;

    /// Decodes an anchor from state.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(crate::codec::decode_exact(bytes, &())?)
    }
}

impl Write for StatusListAnchor {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        Self::VERSION.write(buf);
        self.cid.write(buf);
        self.version.write(buf);
        self.height.write(buf);
        self.updated_ms.write(buf);
    }
}

impl EncodeSize for StatusListAnchor {
    fn encode_size(&self) -> usize {
        1 + self.cid.encode_size() + 24
    }
}

impl Read for StatusListAnchor {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != Self::VERSION {
            return Err(Error::Invalid("StatusListAnchor", "unsupported version"));
        }
        Ok(Self {
            cid: ContentId::read(buf)?,
            version: u64::read(buf)?,
            height: u64::read(buf)?,
            updated_ms: u64::read(buf)?,
        })
    }
}
