//! DID documents in the JSON-LD form of W3C DID Core (with Multikey
//! verification methods), for `did:sovra` documents from the ledger and for
//! `did:key` documents derived from the key as the did:key method
//! specifies (Ed25519 key for authentication, assertion and capabilities;
//! the X25519 key derived from it for keyAgreement).

use crate::{Did, DidDocument, DidMethod, Relationship, TypesError};
use serde_json::{Map, Value, json};
use sovra_crypto::{MultikeyType, encode_multikey, x25519_from_ed25519};

/// JSON-LD contexts of every document this module renders.
pub const DID_CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
];

/// Renders a `did:sovra` document.
pub fn render_sovra(did: &Did, doc: &DidDocument) -> Value {
    let mut out = Map::new();
    out.insert("@context".into(), json!(DID_CONTEXTS));
    out.insert("id".into(), json!(did.as_str()));
    if !doc.controllers.is_empty() {
        let controllers: Vec<&str> = doc.controllers.iter().map(Did::as_str).collect();
        out.insert("controller".into(), json!(controllers));
    }
    if !doc.also_known_as.is_empty() {
        out.insert("alsoKnownAs".into(), json!(doc.also_known_as));
    }
    let methods: Vec<Value> = doc
        .methods
        .iter()
        .map(|m| {
            json!({
                "id": format!("{did}#{}", m.id),
                "type": "Multikey",
                "controller": did.as_str(),
                "publicKeyMultibase": encode_multikey(m.key_type, &m.public_key),
            })
        })
        .collect();
    out.insert("verificationMethod".into(), Value::Array(methods));
    for rel in Relationship::ALL {
        let refs: Vec<String> = doc
            .methods
            .iter()
            .filter(|m| m.relationships.contains(rel))
            .map(|m| format!("{did}#{}", m.id))
            .collect();
        if !refs.is_empty() {
            out.insert(rel.as_str().into(), json!(refs));
        }
    }
    if !doc.services.is_empty() {
        let services: Vec<Value> = doc
            .services
            .iter()
            .map(|s| {
                json!({
                    "id": format!("{did}#{}", s.id),
                    "type": s.service_type,
                    "serviceEndpoint": s.endpoint,
                })
            })
            .collect();
        out.insert("service".into(), Value::Array(services));
    }
    Value::Object(out)
}

/// Renders the document of a `did:key` (Ed25519).
pub fn render_did_key(did: &Did) -> Result<Value, TypesError> {
    let key = did
        .key()
        .ok_or_else(|| TypesError::Invalid(format!("{did} is not a did:key")))?;
    let raw: [u8; 32] = key
        .as_ref()
        .try_into()
        .map_err(|_| TypesError::Invalid("Ed25519 key is not 32 bytes".into()))?;
    let signing = encode_multikey(MultikeyType::Ed25519, &raw);
    let agreement = encode_multikey(MultikeyType::X25519, &x25519_from_ed25519(&key)?);
    let signing_id = format!("{did}#{signing}");
    let agreement_id = format!("{did}#{agreement}");
    Ok(json!({
        "@context": DID_CONTEXTS,
        "id": did.as_str(),
        "verificationMethod": [
            {
                "id": signing_id,
                "type": "Multikey",
                "controller": did.as_str(),
                "publicKeyMultibase": signing,
            },
            {
                "id": agreement_id,
                "type": "Multikey",
                "controller": did.as_str(),
                "publicKeyMultibase": agreement,
            }
        ],
        "authentication": [signing_id],
        "assertionMethod": [signing_id],
        "capabilityInvocation": [signing_id],
        "capabilityDelegation": [signing_id],
        "keyAgreement": [agreement_id],
    }))
}

/// A DID URL split into its DID and fragment (`did:sovra:abc#key-1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DidUrl {
    /// The DID.
    pub did: Did,
    /// The fragment after `#`.
    pub fragment: String,
}

impl DidUrl {
    /// Parses `did#fragment`.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        let (did, fragment) = s.split_once('#').ok_or_else(|| {
            TypesError::Invalid(format!("expected a DID URL with a #fragment: {s:?}"))
        })?;
        if fragment.is_empty() {
            return Err(TypesError::Invalid(format!("empty fragment in {s:?}")));
        }
        Ok(Self {
            did: Did::parse(did)?,
            fragment: fragment.to_string(),
        })
    }
}

/// The Ed25519 key a verification method id names, given the DID's document
/// (`None` for `did:key`, whose document is the key itself), provided the
/// method is listed under `rel`.
pub fn ed25519_key_for(
    url: &DidUrl,
    doc: Option<&DidDocument>,
    rel: Relationship,
) -> Result<[u8; 32], TypesError> {
    match url.did.method() {
        DidMethod::Key => {
            let key = url
                .did
                .key()
                .ok_or_else(|| TypesError::Invalid("not a did:key".into()))?;
            let raw: [u8; 32] = key
                .as_ref()
                .try_into()
                .map_err(|_| TypesError::Invalid("Ed25519 key is not 32 bytes".into()))?;
            if url.fragment != encode_multikey(MultikeyType::Ed25519, &raw) {
                return Err(TypesError::Invalid(format!(
                    "{}#{} is not a signing key of {}",
                    url.did, url.fragment, url.did
                )));
            }
            Ok(raw)
        }
        DidMethod::Sovra => {
            let doc =
                doc.ok_or_else(|| TypesError::Invalid(format!("no document for {}", url.did)))?;
            let method = doc.method(&url.fragment).ok_or_else(|| {
                TypesError::Invalid(format!(
                    "{}#{} is not in the document",
                    url.did, url.fragment
                ))
            })?;
            if method.key_type != MultikeyType::Ed25519 || !method.relationships.contains(rel) {
                return Err(TypesError::Invalid(format!(
                    "{}#{} is not an Ed25519 key listed under {}",
                    url.did,
                    url.fragment,
                    rel.as_str()
                )));
            }
            Ok(method.public_key)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The did:key specification's Ed25519 example document (Multikey form).
    #[test]
    fn did_key_document_matches_spec_example() {
        let did = Did::parse("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").unwrap();
        let doc = render_did_key(&did).unwrap();
        assert_eq!(
            doc["verificationMethod"][1]["id"],
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW"
        );
        assert_eq!(
            doc["authentication"][0],
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
        );
        assert_eq!(doc["keyAgreement"][0], doc["verificationMethod"][1]["id"]);
        let url = DidUrl::parse(doc["assertionMethod"][0].as_str().unwrap()).unwrap();
        assert!(ed25519_key_for(&url, None, Relationship::AssertionMethod).is_ok());
        let url = DidUrl::parse(doc["keyAgreement"][0].as_str().unwrap()).unwrap();
        assert!(ed25519_key_for(&url, None, Relationship::AssertionMethod).is_err());
    }
}
