//! [W3C Bitstring Status List v1.0](https://www.w3.org/TR/vc-bitstring-status-list/):
//! revocation and suspension of credentials through a published bitstring.
//!
//! An issuer keeps one [`Bitstring`] per status purpose ([`StatusPurpose`]).
//! Each credential it issues carries a `credentialStatus` entry
//! ([`status_entry_json`]) naming a position (`statusListIndex`) in a list
//! and the URL of the list's credential (`statusListCredential`). The list
//! itself is published as a `BitstringStatusListCredential`
//! ([`status_list_credential`]), signed like any credential with
//! [`sign`](crate::sign). A set bit means the credential is revoked (or
//! suspended, for a suspension list).
//!
//! A verifier reads the entries of a credential with [`status_entries`] (or
//! [`parse_credential_status`], which also returns the status entries of
//! other types so the caller can warn about them), obtains the list
//! credential, verifies its proof with [`verify`](fn@crate::verify), decodes it
//! with [`read_status_list_credential`], compares the purposes and reads the
//! bit with [`Bitstring::get`]. Trusting the list's issuer and checking its
//! validity period are the caller's business, as for any credential.
//!
//! # Encoding
//!
//! `encodedList` is the multibase base64url (no padding, prefix `u`) form of
//! the GZIP-compressed bitstring. Index 0 is the left-most (most
//! significant) bit of the first byte. Only single-bit entries
//! (`statusSize` 1) for the `revocation` and `suspension` purposes are
//! supported; `refresh` and `message` entries are reported as unsupported.
//!
//! # Limits
//!
//! A list holds at least [`MIN_LIST_BITS`] entries (the spec's 16 KiB
//! minimum; shorter lists are refused, the spec's `STATUS_LIST_LENGTH_ERROR`)
//! and at most [`MAX_LIST_BITS`], so that a hostile list cannot exhaust
//! memory: decompression stops as soon as the output exceeds the maximum.
//!
//! The terms of `BitstringStatusListEntry`, `BitstringStatusListCredential`
//! and `BitstringStatusList` are defined by the credentials v2 context
//! (`https://www.w3.org/ns/credentials/v2`), so documents using them sign and
//! verify with both cryptosuites without any extra context.

use std::fmt;
use std::io::{Read, Write};
use std::str::FromStr;

use flate2::Compression;
use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use crate::{CredentialError, ErrorDetail};

/// Minimum length of a status list in bits (entries): the spec requires the
/// uncompressed bitstring to be at least 16 KiB, that is 131,072 bits. The
/// length of [`Bitstring::default`].
pub const MIN_LIST_BITS: usize = 131_072;

/// Maximum length of a status list in bits (entries) accepted, 16 Mi bits
/// (2 MiB uncompressed), so that a hostile list cannot exhaust memory; the
/// decompressed size is bounded while inflating.
pub const MAX_LIST_BITS: usize = 16 * 1024 * 1024;

/// The `type` of a `credentialStatus` entry of this spec.
pub const STATUS_ENTRY_TYPE: &str = "BitstringStatusListEntry";

/// The `type` (besides `VerifiableCredential`) of a status list credential.
pub const STATUS_LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";

/// The `type` of the `credentialSubject` of a status list credential.
pub const STATUS_LIST_TYPE: &str = "BitstringStatusList";

/// The JSON-LD context of status list credentials (it defines the status
/// list terms).
const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";

const MIN_LIST_BYTES: usize = MIN_LIST_BITS / 8;
const MAX_LIST_BYTES: usize = MAX_LIST_BITS / 8;

fn malformed(message: impl Into<String>) -> CredentialError {
    CredentialError::MalformedStatusList(ErrorDetail::new(message))
}

/// What a status list records (the `statusPurpose`). Only the two
/// single-bit purposes with a fixed meaning are supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusPurpose {
    /// `revocation`: a set bit cancels the credential for good.
    Revocation,
    /// `suspension`: a set bit suspends the credential; clearing it
    /// reinstates the credential.
    Suspension,
}

impl StatusPurpose {
    /// Every supported purpose.
    pub const ALL: [StatusPurpose; 2] = [StatusPurpose::Revocation, StatusPurpose::Suspension];

    /// The `statusPurpose` string: `"revocation"` or `"suspension"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }
}

impl fmt::Display for StatusPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatusPurpose {
    type Err = CredentialError;

    /// Parses `"revocation"` or `"suspension"`; anything else (including the
    /// spec's `refresh` and `message`) is
    /// [`CredentialError::MalformedStatusList`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "revocation" => Ok(StatusPurpose::Revocation),
            "suspension" => Ok(StatusPurpose::Suspension),
            other => Err(malformed(format!(
                "unsupported status purpose `{other}` (supported: revocation, suspension)"
            ))),
        }
    }
}

/// A status list: a bitstring of at least [`MIN_LIST_BITS`] and at most
/// [`MAX_LIST_BITS`] bits, a whole number of bytes.
///
/// Index 0 is the left-most (most significant) bit of the first byte, as the
/// spec says; index `len() - 1` is the least significant bit of the last
/// byte.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl fmt::Debug for Bitstring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bitstring")
            .field("len", &self.len())
            .field("set", &self.count_set())
            .finish()
    }
}

impl Default for Bitstring {
    /// A list of [`MIN_LIST_BITS`] bits, all clear.
    fn default() -> Self {
        Self {
            bytes: vec![0; MIN_LIST_BYTES],
        }
    }
}

impl Bitstring {
    /// A list of `len_bits` bits, all clear. `len_bits` must be a multiple
    /// of 8 between [`MIN_LIST_BITS`] and [`MAX_LIST_BITS`].
    pub fn new(len_bits: usize) -> Result<Self, CredentialError> {
        check_length(len_bits)?;
        Ok(Self {
            bytes: vec![0; len_bits / 8],
        })
    }

    /// The list whose bits are `bytes` (index 0 is the most significant bit
    /// of `bytes[0]`). Its length must be between [`MIN_LIST_BITS`] and
    /// [`MAX_LIST_BITS`] bits.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CredentialError> {
        if bytes.len() > MAX_LIST_BYTES {
            return Err(too_long());
        }
        check_length(bytes.len() * 8)?;
        Ok(Self { bytes })
    }

    /// The bits, packed as the spec lays them out (the uncompressed
    /// bitstring).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The number of bits (entries) of the list.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether the list has no bits; never true for a constructed list.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The number of set bits (revoked or suspended entries).
    pub fn count_set(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }

    fn locate(&self, index: usize) -> Result<(usize, u8), CredentialError> {
        if index >= self.len() {
            return Err(CredentialError::StatusIndexOutOfRange {
                index: index as u64,
                length: self.len(),
            });
        }
        Ok((index / 8, 0x80 >> (index % 8)))
    }

    /// The bit at `index`: `true` means revoked (or suspended).
    /// [`CredentialError::StatusIndexOutOfRange`] if `index >= len()`.
    pub fn get(&self, index: usize) -> Result<bool, CredentialError> {
        let (byte, mask) = self.locate(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    /// Sets the bit at `index` to `value`.
    /// [`CredentialError::StatusIndexOutOfRange`] if `index >= len()`.
    pub fn set(&mut self, index: usize, value: bool) -> Result<(), CredentialError> {
        let (byte, mask) = self.locate(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// The `encodedList` value: multibase base64url without padding (prefix
    /// `u`) of the GZIP-compressed bits.
    pub fn encode(&self) -> String {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        // Writing into a Vec cannot fail.
        encoder
            .write_all(&self.bytes)
            .expect("GZIP compression into memory");
        let compressed = encoder.finish().expect("GZIP compression into memory");
        multibase::encode(multibase::Base::Base64Url, compressed)
    }

    /// Decodes an `encodedList` value (see [`Bitstring::encode`]).
    ///
    /// Fails with [`CredentialError::MalformedStatusList`] if it is not
    /// multibase base64url without padding, not GZIP (bad header, checksum or
    /// length, truncated, trailing bytes), or decompresses to fewer than
    /// [`MIN_LIST_BITS`] or more than [`MAX_LIST_BITS`] bits; decompression
    /// stops as soon as the maximum is exceeded.
    pub fn decode(encoded: &str) -> Result<Self, CredentialError> {
        if !encoded.starts_with('u') {
            let prefix: String = encoded.chars().take(1).collect();
            return Err(malformed(format!(
                "encodedList must be multibase base64url without padding (prefix `u`), found prefix {prefix:?}"
            )));
        }
        let compressed = match multibase::decode(encoded) {
            Ok((multibase::Base::Base64Url, bytes)) => bytes,
            Ok((base, _)) => {
                return Err(malformed(format!(
                    "encodedList must be multibase base64url without padding, found {base:?}"
                )));
            }
            Err(e) => {
                return Err(malformed(format!(
                    "encodedList is not valid base64url without padding: {e}"
                )));
            }
        };
        if compressed.is_empty() {
            return Err(malformed("encodedList is empty"));
        }
        // Every GZIP member is decoded, and anything after the last member
        // that is not another member is an error, so no byte is ignored.
        let mut bytes = Vec::new();
        MultiGzDecoder::new(compressed.as_slice())
            .take(MAX_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                CredentialError::MalformedStatusList(ErrorDetail::caused(
                    "encodedList is not valid GZIP",
                    e,
                ))
            })?;
        if bytes.len() > MAX_LIST_BYTES {
            return Err(too_long());
        }
        Self::from_bytes(bytes)
    }
}

fn too_long() -> CredentialError {
    malformed(format!(
        "the status list is longer than the {MAX_LIST_BITS} bits accepted"
    ))
}

fn check_length(len_bits: usize) -> Result<(), CredentialError> {
    if len_bits > MAX_LIST_BITS {
        Err(too_long())
    } else if len_bits < MIN_LIST_BITS {
        Err(malformed(format!(
            "the status list has {len_bits} bits, fewer than the {MIN_LIST_BITS} (16 KiB) the spec requires"
        )))
    } else if !len_bits.is_multiple_of(8) {
        Err(malformed(format!(
            "a status list length must be a whole number of bytes, found {len_bits} bits"
        )))
    } else {
        Ok(())
    }
}

/// One `BitstringStatusListEntry` of a credential's `credentialStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusEntry {
    /// The entry's `id`, if it has one.
    pub id: Option<String>,
    /// The entry's `statusPurpose`.
    pub purpose: StatusPurpose,
    /// The entry's `statusListIndex`: the position of the credential in the
    /// list.
    pub index: u64,
    /// The entry's `statusListCredential`: the URL of the status list
    /// credential.
    pub list_credential: String,
}

impl StatusEntry {
    /// The JSON of this entry, as [`status_entry_json`] builds it, plus the
    /// `id` if there is one.
    pub fn to_json(&self) -> Value {
        let mut entry = status_entry_json(self.purpose, self.index, &self.list_credential);
        if let (Some(id), Value::Object(object)) = (&self.id, &mut entry) {
            object.insert("id".to_owned(), id.clone().into());
        }
        entry
    }
}

/// The `credentialStatus` entries of a credential, as
/// [`parse_credential_status`] sorts them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CredentialStatus {
    /// The supported `BitstringStatusListEntry` entries, in document order.
    pub entries: Vec<StatusEntry>,
    /// The entries this module cannot check, unchanged: other status types
    /// (such as `StatusList2021Entry`), and `BitstringStatusListEntry`
    /// entries with another purpose than `revocation` / `suspension` (e.g.
    /// `refresh`, `message`) or a `statusSize` other than 1. Callers should
    /// warn about them, or refuse the credential.
    pub unsupported: Vec<Value>,
}

/// Parses the `credentialStatus` of a credential (a JSON object; the entry
/// may be an object or an array of objects; no `credentialStatus` gives no
/// entries).
///
/// Well-formed `BitstringStatusListEntry` entries with a supported purpose
/// go to [`CredentialStatus::entries`], everything else to
/// [`CredentialStatus::unsupported`]. A `BitstringStatusListEntry` that
/// breaks the spec fails with [`CredentialError::MalformedStatusList`]:
/// `statusListIndex` not a string of a base-10 integer (or above
/// `u64::MAX`), `statusListCredential` not an absolute URL, `statusPurpose`
/// not a string, `statusSize` not a positive integer, `id` not a URL. An entry
/// without a `type` fails too.
pub fn parse_credential_status(credential: &Value) -> Result<CredentialStatus, CredentialError> {
    let credential = credential.as_object().ok_or_else(|| {
        CredentialError::MalformedDocument("the credential is not a JSON object".to_owned().into())
    })?;
    let entries: Vec<&Value> = match credential.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(entries)) => entries.iter().collect(),
        Some(entry @ Value::Object(_)) => vec![entry],
        Some(other) => {
            return Err(malformed(format!(
                "credentialStatus must be an object or an array of objects, found {}",
                json_kind(other)
            )));
        }
    };
    let mut status = CredentialStatus::default();
    for entry in entries {
        match parse_entry(entry)? {
            Some(parsed) => status.entries.push(parsed),
            None => status.unsupported.push(entry.clone()),
        }
    }
    Ok(status)
}

/// The supported `BitstringStatusListEntry` entries of a credential's
/// `credentialStatus`; see [`parse_credential_status`], which also returns
/// the entries of other types (ignored here) so that callers can warn about
/// them.
pub fn status_entries(credential: &Value) -> Result<Vec<StatusEntry>, CredentialError> {
    Ok(parse_credential_status(credential)?.entries)
}

/// Parses one entry: `Ok(None)` when it is not a supported
/// `BitstringStatusListEntry`.
fn parse_entry(entry: &Value) -> Result<Option<StatusEntry>, CredentialError> {
    let entry = entry.as_object().ok_or_else(|| {
        malformed(format!(
            "a credentialStatus entry must be an object, found {}",
            json_kind(entry)
        ))
    })?;
    let types = types_of(entry, "credentialStatus entry")?;
    if !types.contains(&STATUS_ENTRY_TYPE) {
        return Ok(None);
    }

    let id = match entry.get("id") {
        None => None,
        Some(Value::String(id)) => {
            check_url(id, "credentialStatus `id`")?;
            Some(id.clone())
        }
        Some(other) => {
            return Err(malformed(format!(
                "credentialStatus `id` must be a string, found {}",
                json_kind(other)
            )));
        }
    };
    let purpose = match entry.get("statusPurpose") {
        Some(Value::String(purpose)) => purpose,
        Some(other) => {
            return Err(malformed(format!(
                "statusPurpose must be a string, found {}",
                json_kind(other)
            )));
        }
        None => return Err(malformed("BitstringStatusListEntry has no statusPurpose")),
    };
    let index = match entry.get("statusListIndex") {
        Some(Value::String(index)) => parse_index(index)?,
        Some(other) => {
            return Err(malformed(format!(
                "statusListIndex must be a string holding a base-10 integer, found {other}"
            )));
        }
        None => return Err(malformed("BitstringStatusListEntry has no statusListIndex")),
    };
    let list_credential = match entry.get("statusListCredential") {
        Some(Value::String(url)) => {
            check_url(url, "statusListCredential")?;
            url.clone()
        }
        Some(other) => {
            return Err(malformed(format!(
                "statusListCredential must be a URL string, found {}",
                json_kind(other)
            )));
        }
        None => {
            return Err(malformed(
                "BitstringStatusListEntry has no statusListCredential",
            ));
        }
    };
    let status_size = match entry.get("statusSize") {
        None => 1,
        Some(size) => match size.as_u64() {
            Some(size) if size > 0 => size,
            _ => {
                return Err(malformed(format!(
                    "statusSize must be an integer greater than zero, found {size}"
                )));
            }
        },
    };

    let Ok(purpose) = StatusPurpose::from_str(purpose) else {
        return Ok(None);
    };
    if status_size != 1 {
        return Ok(None);
    }
    Ok(Some(StatusEntry {
        id,
        purpose,
        index,
        list_credential,
    }))
}

/// `statusListIndex`: "an arbitrary size integer greater than or equal to 0,
/// expressed as a string in base 10"; this crate's lists fit in a `u64`.
fn parse_index(index: &str) -> Result<u64, CredentialError> {
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format!(
            "statusListIndex must be a base-10 integer >= 0, found {index:?}"
        )));
    }
    index.parse().map_err(|_| {
        malformed(format!(
            "statusListIndex {index} is too large (the maximum is {})",
            u64::MAX
        ))
    })
}

fn check_url(value: &str, what: &str) -> Result<(), CredentialError> {
    ssi_json_ld::Iri::new(value)
        .map(|_| ())
        .map_err(|_| malformed(format!("{what} `{value}` is not an absolute URL")))
}

/// The `type` values of an object: a string or an array of strings.
fn types_of<'a>(
    object: &'a Map<String, Value>,
    what: &str,
) -> Result<Vec<&'a str>, CredentialError> {
    match object.get("type") {
        Some(Value::String(t)) => Ok(vec![t.as_str()]),
        Some(Value::Array(types)) => types
            .iter()
            .map(|t| {
                t.as_str().ok_or_else(|| {
                    malformed(format!("the type of a {what} must be strings, found {t}"))
                })
            })
            .collect(),
        Some(other) => Err(malformed(format!(
            "the type of a {what} must be a string or an array of strings, found {}",
            json_kind(other)
        ))),
        None => Err(malformed(format!("a {what} has no type"))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The JSON of a `credentialStatus` entry to put in a credential:
/// `{"type": "BitstringStatusListEntry", "statusPurpose", "statusListIndex"
/// (the index as a base-10 string), "statusListCredential"}`.
pub fn status_entry_json(purpose: StatusPurpose, index: u64, list_credential_url: &str) -> Value {
    json!({
        "type": STATUS_ENTRY_TYPE,
        "statusPurpose": purpose.as_str(),
        "statusListIndex": index.to_string(),
        "statusListCredential": list_credential_url,
    })
}

/// The unsigned status list credential publishing `list` at
/// `list_credential_url`: `@context` credentials v2, `id`
/// `list_credential_url`, `type` `VerifiableCredential` and
/// `BitstringStatusListCredential`, `issuer`, `validFrom` (an XML Schema
/// dateTime such as `2025-03-01T10:00:00Z`, as given), and a
/// `credentialSubject` of type `BitstringStatusList` with id
/// `<list_credential_url>#list`, the `statusPurpose` and the `encodedList`.
///
/// Sign it with [`sign`](crate::sign) before publishing it.
pub fn status_list_credential(
    list_credential_url: &str,
    issuer: &str,
    purpose: StatusPurpose,
    list: &Bitstring,
    valid_from: &str,
) -> Value {
    json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": list_credential_url,
        "type": ["VerifiableCredential", STATUS_LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{list_credential_url}#list"),
            "type": STATUS_LIST_TYPE,
            "statusPurpose": purpose.as_str(),
            "encodedList": list.encode(),
        },
    })
}

/// Reads the purpose and the bits of a status list credential (signed or
/// not; its proof is not checked here, verify it with
/// [`verify`](fn@crate::verify) first).
///
/// Checks that the credential's `type` includes
/// `BitstringStatusListCredential`, that its single `credentialSubject` has
/// type `BitstringStatusList`, that its `statusPurpose` is one supported
/// purpose (a string, or an array of exactly one string; lists for several
/// purposes are refused), and decodes `encodedList` with
/// [`Bitstring::decode`]. Every failure is
/// [`CredentialError::MalformedStatusList`] (or
/// [`CredentialError::MalformedDocument`] if the credential is not a JSON
/// object). The caller compares the purpose with the entry's.
pub fn read_status_list_credential(
    credential: &Value,
) -> Result<(StatusPurpose, Bitstring), CredentialError> {
    let credential = credential.as_object().ok_or_else(|| {
        CredentialError::MalformedDocument("the credential is not a JSON object".to_owned().into())
    })?;
    if !types_of(credential, "status list credential")?.contains(&STATUS_LIST_CREDENTIAL_TYPE) {
        return Err(malformed(format!(
            "the credential's type does not include {STATUS_LIST_CREDENTIAL_TYPE}"
        )));
    }
    let subject = match credential.get("credentialSubject") {
        Some(Value::Object(subject)) => subject,
        Some(Value::Array(subjects)) => match subjects.as_slice() {
            [Value::Object(subject)] => subject,
            _ => {
                return Err(malformed(
                    "a status list credential must have a single credentialSubject object",
                ));
            }
        },
        Some(other) => {
            return Err(malformed(format!(
                "credentialSubject must be an object, found {}",
                json_kind(other)
            )));
        }
        None => {
            return Err(malformed(
                "the status list credential has no credentialSubject",
            ));
        }
    };
    if !types_of(subject, "status list")?.contains(&STATUS_LIST_TYPE) {
        return Err(malformed(format!(
            "the credentialSubject's type does not include {STATUS_LIST_TYPE}"
        )));
    }
    let purpose = match subject.get("statusPurpose") {
        Some(Value::String(purpose)) => StatusPurpose::from_str(purpose)?,
        Some(Value::Array(purposes)) => match purposes.as_slice() {
            [Value::String(purpose)] => StatusPurpose::from_str(purpose)?,
            [] => return Err(malformed("statusPurpose is an empty array")),
            _ => {
                return Err(malformed(format!(
                    "status lists for several purposes are not supported, found statusPurpose {}",
                    Value::Array(purposes.clone())
                )));
            }
        },
        Some(other) => {
            return Err(malformed(format!(
                "statusPurpose must be a string, found {}",
                json_kind(other)
            )));
        }
        None => return Err(malformed("the status list has no statusPurpose")),
    };
    let list = match subject.get("encodedList") {
        Some(Value::String(encoded)) => Bitstring::decode(encoded)?,
        Some(other) => {
            return Err(malformed(format!(
                "encodedList must be a string, found {}",
                json_kind(other)
            )));
        }
        None => return Err(malformed("the status list has no encodedList")),
    };
    Ok((purpose, list))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::{
        Cryptosuite, ProofOptions, did_key_verification_method, ed25519_public_key_from_secret,
    };

    /// Example 3 ("Example BitstringStatusListCredential") of the W3C
    /// Recommendation: an all-clear list of 131,072 bits.
    const SPEC_EXAMPLE_ENCODED_LIST: &str =
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

    /// Made independently with Python's `gzip` and `base64` modules: 16,384
    /// bytes, all zero except byte 0 = 0x20 (index 2), byte 125 = 0x80
    /// (index 1000) and byte 16383 = 0x01 (index 131,071):
    ///
    /// ```text
    /// d = bytearray(16384); d[0] |= 0x20; d[125] |= 0x80; d[16383] |= 0x01
    /// "u" + base64.urlsafe_b64encode(gzip.compress(bytes(d), 9, mtime=0)).decode().rstrip("=")
    /// ```
    const PYTHON_ENCODED_LIST: &str =
        "uH4sIAAAAAAACA-3BQQEAMAgAobPJohrdGPsAr482AAAAAAAAAAAAAAAAAAAAoOYAY9rTdgBAAAA";

    const LIST_URL: &str = "https://sovra.example/status-lists/1";

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn encode_raw(compressed: &[u8]) -> String {
        multibase::encode(multibase::Base::Base64Url, compressed)
    }

    fn is_malformed(result: Result<Bitstring, CredentialError>) -> bool {
        matches!(result, Err(CredentialError::MalformedStatusList(_)))
    }

    #[test]
    fn bit_order_is_most_significant_first() {
        let mut list = Bitstring::default();
        assert_eq!(list.len(), MIN_LIST_BITS);
        list.set(0, true).unwrap();
        assert_eq!(list.as_bytes()[0], 0x80);
        list.set(7, true).unwrap();
        assert_eq!(list.as_bytes()[0], 0x81);
        list.set(8, true).unwrap();
        assert_eq!(list.as_bytes()[1], 0x80);
        list.set(MIN_LIST_BITS - 1, true).unwrap();
        assert_eq!(list.as_bytes()[MIN_LIST_BYTES - 1], 0x01);
        assert!(list.get(0).unwrap() && list.get(7).unwrap() && !list.get(1).unwrap());
        list.set(0, false).unwrap();
        assert_eq!(list.as_bytes()[0], 0x01);
        assert_eq!(list.count_set(), 3);
    }

    #[test]
    fn decodes_the_spec_example() {
        let list = Bitstring::decode(SPEC_EXAMPLE_ENCODED_LIST).unwrap();
        assert_eq!(list.len(), MIN_LIST_BITS);
        assert_eq!(list.count_set(), 0);
        // Our encoding of the same list decodes to the same bits.
        assert_eq!(Bitstring::decode(&list.encode()).unwrap(), list);
        assert_eq!(Bitstring::default(), list);
    }

    #[test]
    fn decodes_an_independent_encoding() {
        let list = Bitstring::decode(PYTHON_ENCODED_LIST).unwrap();
        assert_eq!(list.len(), MIN_LIST_BITS);
        assert_eq!(list.count_set(), 3);
        for index in [2, 1000, MIN_LIST_BITS - 1] {
            assert!(list.get(index).unwrap(), "index {index}");
        }
        let mut expected = Bitstring::default();
        for index in [2, 1000, MIN_LIST_BITS - 1] {
            expected.set(index, true).unwrap();
        }
        assert_eq!(list, expected);
    }

    #[test]
    fn lengths() {
        assert!(Bitstring::new(MIN_LIST_BITS).is_ok());
        assert_eq!(Bitstring::new(MAX_LIST_BITS).unwrap().len(), MAX_LIST_BITS);
        for bad in [
            0,
            8,
            MIN_LIST_BITS - 8,
            MIN_LIST_BITS + 1,
            MAX_LIST_BITS + 8,
            usize::MAX,
        ] {
            assert!(
                matches!(
                    Bitstring::new(bad),
                    Err(CredentialError::MalformedStatusList(_))
                ),
                "{bad}"
            );
        }
        assert!(Bitstring::from_bytes(vec![0; MIN_LIST_BYTES - 1]).is_err());
        assert!(Bitstring::from_bytes(vec![0; MAX_LIST_BYTES + 1]).is_err());
    }

    #[test]
    fn index_out_of_range() {
        let mut list = Bitstring::default();
        let out = CredentialError::StatusIndexOutOfRange {
            index: MIN_LIST_BITS as u64,
            length: MIN_LIST_BITS,
        };
        assert_eq!(list.get(MIN_LIST_BITS), Err(out.clone()));
        assert_eq!(list.set(MIN_LIST_BITS, true), Err(out));
        assert!(list.get(usize::MAX).is_err());
        assert!(list.set(usize::MAX, true).is_err());
        assert_eq!(list.count_set(), 0);
    }

    #[test]
    fn hostile_encoded_lists() {
        let good = gzip(&[0; MIN_LIST_BYTES]);
        // Not multibase base64url without padding.
        assert!(is_malformed(Bitstring::decode("")));
        assert!(is_malformed(Bitstring::decode("u")));
        assert!(is_malformed(Bitstring::decode(&multibase::encode(
            multibase::Base::Base58Btc,
            &good
        ))));
        assert!(is_malformed(Bitstring::decode(&multibase::encode(
            multibase::Base::Base64,
            &good
        ))));
        let padded = multibase::encode(multibase::Base::Base64UrlPad, &good);
        assert!(padded.ends_with('='));
        assert!(is_malformed(Bitstring::decode(&padded)));
        assert!(is_malformed(Bitstring::decode(&format!(
            "u{}",
            &padded[1..]
        ))));
        assert!(is_malformed(Bitstring::decode("u!!!!")));
        assert!(is_malformed(Bitstring::decode("uH4sI AAAA")));
        // base64 (with + and /) instead of base64url.
        assert!(is_malformed(Bitstring::decode("u+/+/")));
        // Not GZIP.
        assert!(is_malformed(Bitstring::decode(&encode_raw(
            b"not gzip at all"
        ))));
        assert!(is_malformed(Bitstring::decode(&encode_raw(&[0; 64]))));
        // Truncated GZIP, corrupted checksum, corrupted length, trailing bytes.
        assert!(is_malformed(Bitstring::decode(&encode_raw(
            &good[..good.len() - 4]
        ))));
        assert!(is_malformed(Bitstring::decode(&encode_raw(&good[..12]))));
        let mut bad_crc = good.clone();
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 1;
        assert!(is_malformed(Bitstring::decode(&encode_raw(&bad_crc))));
        let mut bad_len = good.clone();
        let len_at = bad_len.len() - 4;
        bad_len[len_at] ^= 1;
        assert!(is_malformed(Bitstring::decode(&encode_raw(&bad_len))));
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"garbage");
        assert!(is_malformed(Bitstring::decode(&encode_raw(&trailing))));
        // Too short (the spec's STATUS_LIST_LENGTH_ERROR), empty, odd sizes.
        assert!(is_malformed(Bitstring::decode(&encode_raw(&gzip(
            &[0; MIN_LIST_BYTES - 1]
        )))));
        assert!(is_malformed(Bitstring::decode(&encode_raw(&gzip(&[])))));
        // Larger than MAX_LIST_BITS, by one byte and by a lot (a GZIP bomb:
        // 64 MiB of zeros compress to about 64 KiB).
        assert!(is_malformed(Bitstring::decode(&encode_raw(&gzip(&vec![
            0;
            MAX_LIST_BYTES + 1
        ])))));
        let bomb = gzip(&vec![0; 64 << 20]);
        assert!(bomb.len() < 128 << 10);
        assert!(is_malformed(Bitstring::decode(&encode_raw(&bomb))));
        // The maximum itself is fine.
        let max = Bitstring::decode(&encode_raw(&gzip(&vec![0xff; MAX_LIST_BYTES]))).unwrap();
        assert_eq!(max.len(), MAX_LIST_BITS);
        assert_eq!(max.count_set(), MAX_LIST_BITS);
        // Two GZIP members are one stream (RFC 1952 §2.2).
        let half = gzip(&[0; MIN_LIST_BYTES / 2]);
        let two = [half.as_slice(), half.as_slice()].concat();
        assert_eq!(
            Bitstring::decode(&encode_raw(&two)).unwrap(),
            Bitstring::default()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn encode_decode_round_trip(
            random in proptest::collection::vec(any::<u8>(), MIN_LIST_BYTES..=2 * MIN_LIST_BYTES),
            keep_one_in in 1usize..=64,
        ) {
            // Random bytes of a random length; keeping only some of them
            // (the others zero) gives compressible patterns as well.
            let bytes: Vec<u8> = random
                .iter()
                .enumerate()
                .map(|(i, &b)| if i % keep_one_in == 0 { b } else { 0 })
                .collect();
            let list = Bitstring::from_bytes(bytes.clone()).unwrap();
            let encoded = list.encode();
            prop_assert!(encoded.starts_with('u'));
            prop_assert!(!encoded.contains(['=', '+', '/']));
            let decoded = Bitstring::decode(&encoded).unwrap();
            prop_assert_eq!(decoded.as_bytes(), bytes.as_slice());
            prop_assert_eq!(decoded, list);
        }

        #[test]
        fn set_bits_survive_encoding(
            indices in proptest::collection::btree_set(0usize..MIN_LIST_BITS * 2, 0..200),
        ) {
            let mut list = Bitstring::new(MIN_LIST_BITS * 2).unwrap();
            for &index in &indices {
                list.set(index, true).unwrap();
            }
            let decoded = Bitstring::decode(&list.encode()).unwrap();
            prop_assert_eq!(decoded.count_set(), indices.len());
            let set: BTreeSet<usize> = (0..decoded.len())
                .filter(|&i| decoded.get(i).unwrap())
                .collect();
            prop_assert_eq!(set, indices);
        }

        #[test]
        fn decode_never_panics(text in "u[A-Za-z0-9_-]{0,200}") {
            let _ = Bitstring::decode(&text);
        }
    }

    #[test]
    fn status_purpose_strings() {
        for purpose in StatusPurpose::ALL {
            assert_eq!(purpose.as_str().parse::<StatusPurpose>().unwrap(), purpose);
            assert_eq!(purpose.to_string(), purpose.as_str());
        }
        assert!("refresh".parse::<StatusPurpose>().is_err());
        assert!("Revocation".parse::<StatusPurpose>().is_err());
    }

    fn credential_with_status(status: Value) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": "did:sovra:lab",
            "credentialSubject": {"id": "did:sovra:alice"},
            "credentialStatus": status,
        })
    }

    #[test]
    fn entries_object_and_array() {
        let entry = status_entry_json(StatusPurpose::Revocation, 94567, LIST_URL);
        assert_eq!(
            entry,
            json!({
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "94567",
                "statusListCredential": LIST_URL,
            })
        );
        let expected = StatusEntry {
            id: None,
            purpose: StatusPurpose::Revocation,
            index: 94567,
            list_credential: LIST_URL.to_owned(),
        };
        assert_eq!(
            status_entries(&credential_with_status(entry.clone())).unwrap(),
            vec![expected.clone()]
        );
        assert_eq!(expected.to_json(), entry);

        let suspension = StatusEntry {
            id: Some("https://sovra.example/credentials/3#status".to_owned()),
            purpose: StatusPurpose::Suspension,
            index: 0,
            list_credential: "did:sovra:lab/status-lists/2".to_owned(),
        };
        let other = json!({"id": "https://x.example/s#1", "type": "StatusList2021Entry",
            "statusPurpose": "revocation", "statusListIndex": "1",
            "statusListCredential": "https://x.example/s"});
        let refresh = json!({"type": "BitstringStatusListEntry", "statusPurpose": "refresh",
            "statusListIndex": "5", "statusListCredential": LIST_URL});
        let message = json!({"type": ["BitstringStatusListEntry"], "statusPurpose": "message",
            "statusListIndex": "5", "statusListCredential": LIST_URL, "statusSize": 2});
        let wide = json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "5", "statusListCredential": LIST_URL, "statusSize": 2});
        let credential = credential_with_status(json!([
            entry,
            other,
            suspension.to_json(),
            refresh,
            message,
            wide,
        ]));
        let status = parse_credential_status(&credential).unwrap();
        assert_eq!(status.entries, vec![expected, suspension]);
        assert_eq!(status.unsupported.len(), 4);
        assert_eq!(status.unsupported[0]["type"], "StatusList2021Entry");
        assert_eq!(status_entries(&credential).unwrap(), status.entries);

        // No credentialStatus, or an empty array.
        let mut none = credential_with_status(json!([]));
        assert_eq!(
            parse_credential_status(&none).unwrap(),
            CredentialStatus::default()
        );
        none.as_object_mut().unwrap().remove("credentialStatus");
        assert!(status_entries(&none).unwrap().is_empty());
        // Leading zeros are still a base-10 integer; u64::MAX fits.
        let padded = json!({"type": "BitstringStatusListEntry", "statusPurpose": "suspension",
            "statusListIndex": "007", "statusListCredential": LIST_URL});
        assert_eq!(
            status_entries(&credential_with_status(padded)).unwrap()[0].index,
            7
        );
        let max = status_entry_json(StatusPurpose::Revocation, u64::MAX, LIST_URL);
        assert_eq!(
            status_entries(&credential_with_status(max)).unwrap()[0].index,
            u64::MAX
        );
    }

    #[test]
    fn malformed_entries() {
        let base = status_entry_json(StatusPurpose::Revocation, 1, LIST_URL);
        let with = |key: &str, value: Value| {
            let mut entry = base.clone();
            entry[key] = value;
            credential_with_status(entry)
        };
        let without = |key: &str| {
            let mut entry = base.clone();
            entry.as_object_mut().unwrap().remove(key);
            credential_with_status(entry)
        };
        let bad = [
            with("statusListIndex", json!(1)),
            with("statusListIndex", json!("")),
            with("statusListIndex", json!("-1")),
            with("statusListIndex", json!("+1")),
            with("statusListIndex", json!(" 1")),
            with("statusListIndex", json!("1.0")),
            with("statusListIndex", json!("0x10")),
            with("statusListIndex", json!("18446744073709551616")),
            with("statusListCredential", json!("not a url")),
            with("statusListCredential", json!(["https://a.example/"])),
            with("statusPurpose", json!(["revocation"])),
            with("statusSize", json!(0)),
            with("statusSize", json!("1")),
            with("id", json!(3)),
            with("type", json!(3)),
            without("statusListIndex"),
            without("statusListCredential"),
            without("statusPurpose"),
            without("type"),
            credential_with_status(json!("https://a.example/status")),
            credential_with_status(json!([base.clone(), "oops"])),
            credential_with_status(Value::Null),
        ];
        for credential in bad {
            assert!(
                matches!(
                    status_entries(&credential),
                    Err(CredentialError::MalformedStatusList(_))
                ),
                "{credential}"
            );
        }
        assert!(matches!(
            status_entries(&json!([])),
            Err(CredentialError::MalformedDocument(_))
        ));
    }

    #[test]
    fn list_credential_round_trip() {
        let mut list = Bitstring::default();
        list.set(94567, true).unwrap();
        let credential = status_list_credential(
            LIST_URL,
            "did:sovra:lab",
            StatusPurpose::Suspension,
            &list,
            "2025-03-01T10:00:00Z",
        );
        assert_eq!(credential["@context"], json!([CREDENTIALS_V2_CONTEXT]));
        assert_eq!(credential["id"], LIST_URL);
        assert_eq!(
            credential["type"],
            json!(["VerifiableCredential", "BitstringStatusListCredential"])
        );
        assert_eq!(credential["issuer"], "did:sovra:lab");
        assert_eq!(credential["validFrom"], "2025-03-01T10:00:00Z");
        assert_eq!(
            credential["credentialSubject"]["id"],
            format!("{LIST_URL}#list")
        );
        assert_eq!(
            credential["credentialSubject"]["type"],
            "BitstringStatusList"
        );
        assert_eq!(
            credential["credentialSubject"]["statusPurpose"],
            "suspension"
        );
        let (purpose, read) = read_status_list_credential(&credential).unwrap();
        assert_eq!(purpose, StatusPurpose::Suspension);
        assert_eq!(read, list);

        // The spec's own example credential.
        let spec = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "https://example.com/credentials/status/3",
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": "did:example:12345",
            "validFrom": "2021-04-05T14:27:40Z",
            "credentialSubject": {
                "id": "https://example.com/status/3#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": SPEC_EXAMPLE_ENCODED_LIST
            }
        });
        let (purpose, read) = read_status_list_credential(&spec).unwrap();
        assert_eq!(purpose, StatusPurpose::Revocation);
        assert_eq!(read, Bitstring::default());

        // A one-element statusPurpose array and a one-element subject array.
        let mut single = spec.clone();
        single["credentialSubject"]["statusPurpose"] = json!(["revocation"]);
        single["credentialSubject"] = json!([single["credentialSubject"].clone()]);
        assert_eq!(
            read_status_list_credential(&single).unwrap().0,
            StatusPurpose::Revocation
        );
    }

    #[test]
    fn malformed_list_credentials() {
        let good = status_list_credential(
            LIST_URL,
            "did:sovra:lab",
            StatusPurpose::Revocation,
            &Bitstring::default(),
            "2025-03-01T10:00:00Z",
        );
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut credential = good.clone();
            f(&mut credential);
            credential
        };
        let bad = [
            edit(&|c| c["type"] = json!(["VerifiableCredential"])),
            edit(&|c| c["type"] = json!("BitstringStatusList")),
            edit(&|c| {
                c.as_object_mut().unwrap().remove("type");
            }),
            edit(&|c| c["credentialSubject"]["type"] = json!("StatusList2021")),
            edit(&|c| c["credentialSubject"]["statusPurpose"] = json!("refresh")),
            edit(&|c| c["credentialSubject"]["statusPurpose"] = json!("message")),
            edit(&|c| {
                c["credentialSubject"]["statusPurpose"] = json!(["revocation", "suspension"])
            }),
            edit(&|c| c["credentialSubject"]["statusPurpose"] = json!([])),
            edit(&|c| c["credentialSubject"]["statusPurpose"] = json!(1)),
            edit(&|c| {
                c["credentialSubject"]
                    .as_object_mut()
                    .unwrap()
                    .remove("statusPurpose");
            }),
            edit(&|c| c["credentialSubject"]["encodedList"] = json!("zNotBase64Url")),
            edit(&|c| c["credentialSubject"]["encodedList"] = json!(42)),
            edit(&|c| {
                c["credentialSubject"]
                    .as_object_mut()
                    .unwrap()
                    .remove("encodedList");
            }),
            edit(&|c| c["credentialSubject"] = json!("https://a.example/list")),
            edit(&|c| c["credentialSubject"] = json!([{}, {}])),
            edit(&|c| {
                c.as_object_mut().unwrap().remove("credentialSubject");
            }),
        ];
        for credential in bad {
            assert!(
                matches!(
                    read_status_list_credential(&credential),
                    Err(CredentialError::MalformedStatusList(_))
                ),
                "{credential}"
            );
        }
        assert!(matches!(
            read_status_list_credential(&json!("list")),
            Err(CredentialError::MalformedDocument(_))
        ));
    }

    #[test]
    fn list_credential_signs_and_verifies() {
        let secret = [11u8; 32];
        let public = ed25519_public_key_from_secret(&secret);
        let vm = did_key_verification_method(&public);
        let issuer = vm.split('#').next().unwrap().to_owned();
        let lookup = |method: &str| {
            if method == vm {
                Ok(public)
            } else {
                Err(format!("unknown key {method}"))
            }
        };
        let mut list = Bitstring::default();
        list.set(42, true).unwrap();
        let unsigned = status_list_credential(
            LIST_URL,
            &issuer,
            StatusPurpose::Revocation,
            &list,
            "2025-03-01T10:00:00Z",
        );
        for suite in Cryptosuite::ALL {
            let mut options = ProofOptions::assertion(suite, vm.clone());
            options.created = Some("2025-03-01T10:00:00Z".into());
            let signed = crate::sign(&unsigned, &secret, &options)
                .unwrap_or_else(|e| panic!("{suite}: {e}"));
            crate::verify(&signed, lookup).unwrap_or_else(|e| panic!("{suite}: {e}"));
            let (purpose, read) = read_status_list_credential(&signed).unwrap();
            assert_eq!(
                (purpose, read.get(42)),
                (StatusPurpose::Revocation, Ok(true))
            );

            // Revoking another credential after signing breaks the proof.
            let mut tampered = signed.clone();
            let mut changed = list.clone();
            changed.set(43, true).unwrap();
            tampered["credentialSubject"]["encodedList"] = changed.encode().into();
            assert_eq!(
                crate::verify(&tampered, lookup),
                Err(CredentialError::InvalidSignature),
                "{suite}"
            );
        }
    }

    #[test]
    fn credential_with_status_entry_signs_and_verifies() {
        let secret = [12u8; 32];
        let public = ed25519_public_key_from_secret(&secret);
        let vm = did_key_verification_method(&public);
        let mut entry = status_entry_json(StatusPurpose::Suspension, 7, LIST_URL);
        entry["id"] = json!(format!("{LIST_URL}#7"));
        let credential = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": vm.split('#').next().unwrap(),
            "credentialSubject": {"id": "did:sovra:alice"},
            "credentialStatus": [entry, status_entry_json(StatusPurpose::Revocation, 8, LIST_URL)],
        });
        let mut options = ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm.clone());
        options.created = Some("2025-03-01T10:00:00Z".into());
        let signed = crate::sign(&credential, &secret, &options).unwrap();
        crate::verify(&signed, |_| Ok(public)).unwrap();
        let entries = status_entries(&signed).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].index, 7);
        assert_eq!(entries[1].purpose, StatusPurpose::Revocation);

        let mut tampered = signed.clone();
        tampered["credentialStatus"][0]["statusListIndex"] = json!("9");
        assert_eq!(
            crate::verify(&tampered, |_| Ok(public)),
            Err(CredentialError::InvalidSignature)
        );
    }
}
