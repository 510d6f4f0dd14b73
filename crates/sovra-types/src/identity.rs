//! `did:sovra` documents as the ledger keeps them: verification methods with
//! the relationships they serve, services, controllers and `alsoKnownAs`,
//! plus the per-version record (version number, times, deactivation) that
//! resolution metadata comes from.
//!
//! Verification methods are referenced by fragment (`#key-1`) and are always
//! controlled by the DID itself; delegation of control to other identities is
//! expressed with `controllers`. The JSON-LD rendering of a document lives in
//! [`crate::did_document`].

use crate::{
    Did, Digest, TypesError,
    codec::{bytes_size, read_text, write_bytes},
    limits::{
        MAX_ALSO_KNOWN_AS, MAX_CONTROLLERS, MAX_FRAGMENT_LEN, MAX_SERVICE_TYPE_LEN, MAX_SERVICES,
        MAX_URI_LEN, MAX_VERIFICATION_METHODS,
    },
};
use commonware_codec::{Buf, Encode, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use sovra_crypto::MultikeyType;

/// Current version of the document and record encodings.
pub const DID_RECORD_VERSION: u8 = 1;

/// A verification relationship of DID Core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relationship {
    /// Proving control of the DID (logins, DID-authenticated requests).
    Authentication,
    /// Issuing credentials and other assertions.
    AssertionMethod,
    /// Receiving encrypted data (X25519 keys only).
    KeyAgreement,
    /// Signing ledger transactions, including updates of this DID.
    CapabilityInvocation,
    /// Delegating capabilities to others.
    CapabilityDelegation,
}

impl Relationship {
    /// All relationships, in the order documents list them.
    pub const ALL: [Relationship; 5] = [
        Relationship::Authentication,
        Relationship::AssertionMethod,
        Relationship::KeyAgreement,
        Relationship::CapabilityInvocation,
        Relationship::CapabilityDelegation,
    ];

    fn bit(self) -> u8 {
        match self {
            Relationship::Authentication => 1,
            Relationship::AssertionMethod => 2,
            Relationship::KeyAgreement => 4,
            Relationship::CapabilityInvocation => 8,
            Relationship::CapabilityDelegation => 16,
        }
    }

    /// The property name in a DID document.
    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Authentication => "authentication",
            Relationship::AssertionMethod => "assertionMethod",
            Relationship::KeyAgreement => "keyAgreement",
            Relationship::CapabilityInvocation => "capabilityInvocation",
            Relationship::CapabilityDelegation => "capabilityDelegation",
        }
    }

    /// Parses a property name (`authentication`, `assertionMethod`, ...).
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                TypesError::Invalid(format!(
                    "unknown verification relationship {s:?} (expected one of authentication, assertionMethod, keyAgreement, capabilityInvocation, capabilityDelegation)"
                ))
            })
    }
}

/// A set of [`Relationship`]s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Relationships(u8);

impl Relationships {
    const MASK: u8 = 0b1_1111;

    /// The empty set.
    pub const NONE: Relationships = Relationships(0);

    /// A set holding `rels`.
    pub fn of(rels: &[Relationship]) -> Self {
        Self(rels.iter().fold(0, |acc, r| acc | r.bit()))
    }

    /// Whether `rel` is in the set.
    pub fn contains(self, rel: Relationship) -> bool {
        self.0 & rel.bit() != 0
    }

    /// Adds `rel`.
    pub fn insert(&mut self, rel: Relationship) {
        self.0 |= rel.bit();
    }

    /// Removes `rel`.
    pub fn remove(&mut self, rel: Relationship) {
        self.0 &= !rel.bit();
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in [`Relationship::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Relationship> {
        Relationship::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }
}

/// The number of the next key of a document whose versions used `ids`: one
/// more than the largest `N` of any id `key-N` or `agreement-N` among them
/// (1 if there is none). A new key numbered so never takes an id an earlier
/// key had, so a verifier that resolves the current document reports an
/// unknown key, not an invalid signature, for a credential signed by a
/// replaced key.
pub fn next_key_number<'a>(ids: impl IntoIterator<Item = &'a str>) -> usize {
    ids.into_iter()
        .filter_map(|id| {
            id.strip_prefix("key-")
                .or_else(|| id.strip_prefix("agreement-"))
                .and_then(|n| n.parse::<usize>().ok())
        })
        .max()
        .map_or(1, |n| n.saturating_add(1))
}

/// The methods one Ed25519 signing key contributes to a document: the key
/// itself (`key-{n}`) under every signing relationship, and its derived X25519
/// key (`agreement-{n}`) under keyAgreement, so the holder can both sign and
/// receive encrypted data.
pub fn methods_for_key(
    ed25519: &[u8; 32],
    n: usize,
) -> Result<Vec<VerificationMethod>, TypesError> {
    let public = sovra_crypto::keys::public_key_from_bytes(ed25519)?;
    let agreement = sovra_crypto::x25519_from_ed25519(&public)?;
    Ok(vec![
        VerificationMethod {
            id: format!("key-{n}"),
            key_type: MultikeyType::Ed25519,
            public_key: *ed25519,
            relationships: Relationships::of(&[
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityInvocation,
                Relationship::CapabilityDelegation,
            ]),
        },
        VerificationMethod {
            id: format!("agreement-{n}"),
            key_type: MultikeyType::X25519,
            public_key: agreement,
            relationships: Relationships::of(&[Relationship::KeyAgreement]),
        },
    ])
}

/// The X25519 key-agreement key of a document: its first keyAgreement method.
pub fn key_agreement_key(doc: &DidDocument) -> Option<[u8; 32]> {
    doc.methods
        .iter()
        .find(|m| {
            m.key_type == MultikeyType::X25519
                && m.relationships.contains(Relationship::KeyAgreement)
        })
        .map(|m| m.public_key)
}

/// A public key of the DID and what it may be used for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationMethod {
    /// Fragment that names it within the document (`key-1` → `did:sovra:…#key-1`).
    pub id: String,
    /// Key type.
    pub key_type: MultikeyType,
    /// The raw 32-byte public key.
    pub public_key: [u8; 32],
    /// The relationships it is listed under.
    pub relationships: Relationships,
}

/// A service endpoint of the DID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Fragment that names it within the document.
    pub id: String,
    /// Service type, e.g. `LinkedDomains`, `DIDCommMessaging`.
    pub service_type: String,
    /// The endpoint URI.
    pub endpoint: String,
}

/// The mutable content of a `did:sovra` document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DidDocument {
    /// Public keys.
    pub methods: Vec<VerificationMethod>,
    /// Service endpoints.
    pub services: Vec<Service>,
    /// Other identities whose capabilityInvocation keys may also update this DID.
    pub controllers: Vec<Did>,
    /// Other URIs for the same subject.
    pub also_known_as: Vec<String>,
}

/// Checks a fragment: 1-64 characters of `[A-Za-z0-9._-]`.
pub fn validate_fragment(id: &str) -> Result<(), TypesError> {
    if id.is_empty()
        || id.len() > MAX_FRAGMENT_LEN
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(TypesError::Invalid(format!(
            "an id fragment is 1-{MAX_FRAGMENT_LEN} characters of [A-Za-z0-9._-]: {id:?}"
        )));
    }
    Ok(())
}

/// Checks an absolute URI: a scheme, then printable ASCII without spaces, at
/// most [`MAX_URI_LEN`] bytes.
pub fn validate_uri(uri: &str) -> Result<(), TypesError> {
    let bad = || {
        TypesError::Invalid(format!(
            "expected an absolute URI (scheme:..., printable ASCII, at most {MAX_URI_LEN} bytes): {uri:?}"
        ))
    };
    if uri.len() > MAX_URI_LEN || !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    let (scheme, rest) = uri.split_once(':').ok_or_else(bad)?;
    let mut chars = scheme.chars();
    let starts_alpha = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_alpha
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        || rest.is_empty()
    {
        return Err(bad());
    }
    Ok(())
}

impl DidDocument {
    /// Checks the document's own consistency (the ledger also checks who may
    /// write it): unique fragments, key types that fit their relationships,
    /// every method in at least one relationship, and a way to update it
    /// (a capabilityInvocation key or a controller).
    pub fn validate(&self) -> Result<(), TypesError> {
        let invalid = |m: String| Err(TypesError::Invalid(m));
        if self.methods.len() > MAX_VERIFICATION_METHODS {
            return invalid(format!(
                "at most {MAX_VERIFICATION_METHODS} verification methods"
            ));
        }
        if self.services.len() > MAX_SERVICES {
            return invalid(format!("at most {MAX_SERVICES} services"));
        }
        if self.controllers.len() > MAX_CONTROLLERS {
            return invalid(format!("at most {MAX_CONTROLLERS} controllers"));
        }
        if self.also_known_as.len() > MAX_ALSO_KNOWN_AS {
            return invalid(format!("at most {MAX_ALSO_KNOWN_AS} alsoKnownAs entries"));
        }
        let mut fragments = std::collections::BTreeSet::new();
        for m in &self.methods {
            validate_fragment(&m.id)?;
            if !fragments.insert(m.id.as_str()) {
                return invalid(format!("duplicate id #{}", m.id));
            }
            if m.relationships.is_empty() {
                return invalid(format!(
                    "verification method #{} is in no relationship",
                    m.id
                ));
            }
            let agreement = m.relationships.contains(Relationship::KeyAgreement);
            match m.key_type {
                MultikeyType::X25519
                    if m.relationships != Relationships::of(&[Relationship::KeyAgreement]) =>
                {
                    return invalid(format!(
                        "#{} is an X25519 key: it can only be used for keyAgreement",
                        m.id
                    ));
                }
                MultikeyType::Ed25519 if agreement => {
                    return invalid(format!(
                        "#{} is an Ed25519 key: keyAgreement needs an X25519 key",
                        m.id
                    ));
                }
                MultikeyType::Ed25519 => {
                    sovra_crypto::keys::public_key_from_bytes(&m.public_key)
                        .map_err(|e| TypesError::Invalid(format!("#{}: {e}", m.id)))?;
                }
                MultikeyType::X25519 => {}
            }
        }
        for s in &self.services {
            validate_fragment(&s.id)?;
            if !fragments.insert(s.id.as_str()) {
                return invalid(format!("duplicate id #{}", s.id));
            }
            if s.service_type.is_empty()
                || s.service_type.len() > MAX_SERVICE_TYPE_LEN
                || !s
                    .service_type
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                return invalid(format!(
                    "service type is 1-{MAX_SERVICE_TYPE_LEN} characters of [A-Za-z0-9._-]: {:?}",
                    s.service_type
                ));
            }
            validate_uri(&s.endpoint)?;
        }
        let mut controllers = std::collections::BTreeSet::new();
        for c in &self.controllers {
            if !controllers.insert(c) {
                return invalid(format!("duplicate controller {c}"));
            }
        }
        let mut aka = std::collections::BTreeSet::new();
        for a in &self.also_known_as {
            validate_uri(a)?;
            if !aka.insert(a) {
                return invalid(format!("duplicate alsoKnownAs {a}"));
            }
        }
        if self.controllers.is_empty()
            && !self
                .methods
                .iter()
                .any(|m| m.relationships.contains(Relationship::CapabilityInvocation))
        {
            return invalid(
                "the document needs a capabilityInvocation key or a controller, or nobody could ever update it".into(),
            );
        }
        Ok(())
    }

    /// The verification method named `fragment`.
    pub fn method(&self, fragment: &str) -> Option<&VerificationMethod> {
        self.methods.iter().find(|m| m.id == fragment)
    }

    /// The Ed25519 keys listed under `rel`.
    pub fn ed25519_keys(&self, rel: Relationship) -> impl Iterator<Item = &VerificationMethod> {
        self.methods
            .iter()
            .filter(move |m| m.key_type == MultikeyType::Ed25519 && m.relationships.contains(rel))
    }

    /// Whether the Ed25519 key `key` is listed under `rel`.
    pub fn has_key(&self, rel: Relationship, key: &[u8]) -> bool {
        self.ed25519_keys(rel)
            .any(|m| m.public_key.as_slice() == key)
    }
}

/// One version of a `did:sovra` as stored on the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidRecord {
    /// Version number: 1 when created, +1 per update or deactivation.
    pub version: u64,
    /// Block time of creation (ms since the Unix epoch).
    pub created_ms: u64,
    /// Block time of this version.
    pub updated_ms: u64,
    /// Block height of creation.
    pub created_height: u64,
    /// Block height of this version.
    pub updated_height: u64,
    /// Transaction that made this version.
    pub tx_id: Digest,
    /// Whether the DID is deactivated (final: no later version exists).
    pub deactivated: bool,
    /// The document.
    pub document: DidDocument,
}

impl DidRecord {
    /// Decodes a record from state.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(crate::codec::decode_exact(bytes, &())?)
    }
}

impl Write for MultikeyTypeCodec {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        let tag: u8 = match self.0 {
            MultikeyType::Ed25519 => 0,
            MultikeyType::X25519 => 1,
        };
        tag.write(buf);
    }
}

/// Codec wrapper for [`MultikeyType`] (defined in `sovra-crypto`).
struct MultikeyTypeCodec(MultikeyType);

impl MultikeyTypeCodec {
    fn read(buf: &mut impl Buf) -> Result<MultikeyType, Error> {
        match u8::read(buf)? {
            0 => Ok(MultikeyType::Ed25519),
            1 => Ok(MultikeyType::X25519),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}

impl Write for VerificationMethod {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        write_bytes(self.id.as_bytes(), buf);
        MultikeyTypeCodec(self.key_type).write(buf);
        self.public_key.write(buf);
        self.relationships.0.write(buf);
    }
}

impl EncodeSize for VerificationMethod {
    fn encode_size(&self) -> usize {
        bytes_size(self.id.as_bytes()) + 1 + 32 + 1
    }
}

impl Read for VerificationMethod {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let id = read_text(buf, 1..=MAX_FRAGMENT_LEN, "verification method id")?;
        let key_type = MultikeyTypeCodec::read(buf)?;
        let public_key = <[u8; 32]>::read(buf)?;
        let bits = u8::read(buf)?;
        if bits & !Relationships::MASK != 0 {
            return Err(Error::Invalid(
                "VerificationMethod",
                "unknown relationship bits",
            ));
        }
        Ok(Self {
            id,
            key_type,
            public_key,
            relationships: Relationships(bits),
        })
    }
}

impl Write for Service {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        write_bytes(self.id.as_bytes(), buf);
        write_bytes(self.service_type.as_bytes(), buf);
        write_bytes(self.endpoint.as_bytes(), buf);
    }
}

impl EncodeSize for Service {
    fn encode_size(&self) -> usize {
        bytes_size(self.id.as_bytes())
            + bytes_size(self.service_type.as_bytes())
            + bytes_size(self.endpoint.as_bytes())
    }
}

impl Read for Service {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            id: read_text(buf, 1..=MAX_FRAGMENT_LEN, "service id")?,
            service_type: read_text(buf, 1..=MAX_SERVICE_TYPE_LEN, "service type")?,
            endpoint: read_text(buf, 1..=MAX_URI_LEN, "service endpoint")?,
        })
    }
}

fn write_strings(items: &[String], buf: &mut impl bytes::BufMut) {
    commonware_codec::varint::UInt(items.len() as u32).write(buf);
    for s in items {
        write_bytes(s.as_bytes(), buf);
    }
}

fn strings_size(items: &[String]) -> usize {
    commonware_codec::varint::UInt(items.len() as u32).encode_size()
        + items
            .iter()
            .map(|s| bytes_size(s.as_bytes()))
            .sum::<usize>()
}

fn read_strings(buf: &mut impl Buf, max: usize, what: &'static str) -> Result<Vec<String>, Error> {
    let n: u32 = commonware_codec::varint::UInt::read(buf)?.into();
    if n as usize > max {
        return Err(Error::Invalid(what, "too many entries"));
    }
    (0..n)
        .map(|_| read_text(buf, 1..=MAX_URI_LEN, what))
        .collect()
}

impl Write for DidDocument {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.methods.write(buf);
        self.services.write(buf);
        self.controllers.write(buf);
        write_strings(&self.also_known_as, buf);
    }
}

impl EncodeSize for DidDocument {
    fn encode_size(&self) -> usize {
        self.methods.encode_size()
            + self.services.encode_size()
            + self.controllers.encode_size()
            + strings_size(&self.also_known_as)
    }
}

impl Read for DidDocument {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            methods: Vec::read_cfg(buf, &(RangeCfg::from(0..=MAX_VERIFICATION_METHODS), ()))?,
            services: Vec::read_cfg(buf, &(RangeCfg::from(0..=MAX_SERVICES), ()))?,
            controllers: Vec::read_cfg(buf, &(RangeCfg::from(0..=MAX_CONTROLLERS), ()))?,
            also_known_as: read_strings(buf, MAX_ALSO_KNOWN_AS, "alsoKnownAs")?,
        })
    }
}

impl Write for DidRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        DID_RECORD_VERSION.write(buf);
        self.version.write(buf);
        self.created_ms.write(buf);
        self.updated_ms.write(buf);
        self.created_height.write(buf);
        self.updated_height.write(buf);
        self.tx_id.write(buf);
        self.deactivated.write(buf);
        self.document.write(buf);
    }
}

impl EncodeSize for DidRecord {
    fn encode_size(&self) -> usize {
        1 + 8 * 5 + 32 + 1 + self.document.encode_size()
    }
}

impl Read for DidRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != DID_RECORD_VERSION {
            return Err(Error::Invalid("DidRecord", "unsupported version"));
        }
        Ok(Self {
            version: u64::read(buf)?,
            created_ms: u64::read(buf)?,
            updated_ms: u64::read(buf)?,
            created_height: u64::read(buf)?,
            updated_height: u64::read(buf)?,
            tx_id: Digest::read(buf)?,
            deactivated: bool::read(buf)?,
            document: DidDocument::read(buf)?,
        })
    }
}

/// The `did:sovra` created by action `index` of the transaction of
/// `creator` with nonce `nonce` on chain `chain_id`: its identifier is the
/// first 16 bytes of SHA-256 over all four. Unique because (creator, nonce)
/// is.
pub fn derive_sovra_did(chain_id: &str, creator: &Did, nonce: u64, index: u32) -> Did {
    let digest = crate::sha256(&[
        b"sovra/did",
        &chain_id.as_bytes().to_vec().encode(),
        &creator.encode(),
        &nonce.to_be_bytes(),
        &index.to_be_bytes(),
    ]);
    let mut id = [0u8; crate::did::SOVRA_ID_BYTES];
    id.copy_from_slice(&digest.as_ref()[..crate::did::SOVRA_ID_BYTES]);
    Did::sovra(&id)
}

/// The newest version of a DID whose `updated_ms` is at or before `time_ms`,
/// given the newest version number `latest` and a way to read the
/// `updated_ms` of any version. Versions' times never decrease (block times
/// do not), so this is a binary search: O(log n) reads. `None` if the DID
/// did not exist yet at `time_ms`.
pub async fn version_at_time<E, F, Fut>(
    latest: u64,
    time_ms: u64,
    mut updated_ms_of: F,
) -> Result<Option<u64>, E>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = Result<u64, E>>,
{
    // Invariant: every version < lo is at or before `time_ms`, every version > hi after it.
    let (mut lo, mut hi) = (1u64, latest);
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        if updated_ms_of(mid).await? <= time_ms {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    Ok(if hi == 0 { None } else { Some(hi) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_exact;

    fn key(seed: u64) -> [u8; 32] {
        sovra_crypto::SigningKey::from_test_seed(seed)
            .public_key()
            .as_ref()
            .try_into()
            .unwrap()
    }

    fn doc() -> DidDocument {
        DidDocument {
            methods: vec![
                VerificationMethod {
                    id: "key-1".into(),
                    key_type: MultikeyType::Ed25519,
                    public_key: key(1),
                    relationships: Relationships::of(&[
                        Relationship::Authentication,
                        Relationship::CapabilityInvocation,
                    ]),
                },
                VerificationMethod {
                    id: "enc-1".into(),
                    key_type: MultikeyType::X25519,
                    public_key: [9; 32],
                    relationships: Relationships::of(&[Relationship::KeyAgreement]),
                },
            ],
            services: vec![Service {
                id: "web".into(),
                service_type: "LinkedDomains".into(),
                endpoint: "https://example.org/".into(),
            }],
            controllers: vec![],
            also_known_as: vec!["https://example.org/me".into()],
        }
    }

    #[test]
    fn valid_document_round_trips() {
        let d = doc();
        d.validate().unwrap();
        let bytes = d.encode();
        assert_eq!(decode_exact::<DidDocument>(&bytes, &()).unwrap(), d);
    }

    #[test]
    fn rejects_inconsistent_documents() {
        let mut d = doc();
        d.methods[1].relationships = Relationships::of(&[Relationship::Authentication]);
        assert!(d.validate().is_err(), "X25519 outside keyAgreement");
        let mut d = doc();
        d.methods[0]
            .relationships
            .insert(Relationship::KeyAgreement);
        assert!(d.validate().is_err(), "Ed25519 for keyAgreement");
        let mut d = doc();
        d.services[0].id = "key-1".into();
        assert!(d.validate().is_err(), "duplicate fragment");
        let mut d = doc();
        d.methods[0].relationships = Relationships::of(&[Relationship::Authentication]);
        assert!(d.validate().is_err(), "no way to update");
        let mut d = doc();
        d.services[0].endpoint = "not a uri".into();
        assert!(d.validate().is_err());
        let mut d = doc();
        d.methods[0].id = "bad#id".into();
        assert!(d.validate().is_err());
    }

    #[test]
    fn unknown_relationship_bits_are_rejected() {
        let mut bytes = doc().encode().to_vec();
        // methods: count(1) | id len(1) "key-1"(5) | type(1) | key(32) | bits
        let bits_at = 1 + 1 + 5 + 1 + 32;
        bytes[bits_at] |= 0x80;
        assert!(decode_exact::<DidDocument>(&bytes, &()).is_err());
    }

    proptest::proptest! {
        /// The binary search agrees with a linear scan for any non-decreasing times.
        #[test]
        fn version_at_time_matches_a_linear_scan(
            steps in proptest::collection::vec(0u64..3, 1..40),
            probe in 0u64..100,
        ) {
            let mut times = Vec::new();
            let mut t = 10;
            for s in steps {
                t += s;
                times.push(t);
            }
            let expected = times.iter().rposition(|&u| u <= probe).map(|i| i as u64 + 1);
            let got = futures::executor::block_on(version_at_time::<(), _, _>(
                times.len() as u64,
                probe,
                |v| std::future::ready(Ok(times[v as usize - 1])),
            ))
            .unwrap();
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn derived_dids_differ_by_nonce_and_chain() {
        let creator =
            Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(1).public_key());
        let a = derive_sovra_did("dev", &creator, 0, 0);
        let b = derive_sovra_did("dev", &creator, 1, 0);
        let c = derive_sovra_did("other", &creator, 0, 0);
        let d = derive_sovra_did("dev", &creator, 0, 1);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(Did::parse(a.as_str()).unwrap(), a);
        assert!(a.as_str().starts_with("did:sovra:"));
    }
}
