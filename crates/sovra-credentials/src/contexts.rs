//! The offline JSON-LD context store, and the contexts every node serves.
//!
//! Contexts are never fetched from the network. A document may only use:
//!
//! - the contexts that ssi ships statically ([`ssi_json_ld::StaticLoader`],
//!   backed by the `ssi-contexts` crate), among them
//!   `https://www.w3.org/ns/credentials/v2`,
//!   `https://www.w3.org/ns/credentials/examples/v2`,
//!   `https://w3id.org/security/data-integrity/v2`,
//!   `https://w3id.org/security/multikey/v1` and
//!   `https://www.w3.org/ns/did/v1` (see [`REQUIRED_CONTEXTS`]);
//! - the contexts bundled with this crate: the Sovra credentials contexts
//!   [`SOVRA_CONTEXT_URL`] (v2, current) and [`SOVRA_CONTEXT_V1_URL`]
//!   (v1, kept byte for byte so credentials issued with it still verify),
//!   and the W3C's [`UNDEFINED_TERMS_CONTEXT_URL`] (not shipped by
//!   ssi 0.16);
//! - contexts the embedding application registers itself with
//!   [`ProofEngine::with_context`](crate::ProofEngine::with_context).
//!
//! Any other context URL fails with
//! [`CredentialError::UnknownContext`].
//!
//! Third-party verifiers cannot fetch the Sovra contexts from their URLs
//! (no one serves `sovra.dev/ns/...`), so every node serves each context
//! Sovra's credentials use, with the exact bytes this crate loads, at
//! `GET /contexts/{name}` ([`SERVED_CONTEXTS`]); a verifier maps the
//! context URL to those bytes in its document loader.
//!
//! `https://www.w3.org/ns/credentials/status/v1` is not shipped by
//! ssi 0.16.0's `ssi-contexts` 0.1.10; the Bitstring Status List terms it
//! used to define are part of `https://www.w3.org/ns/credentials/v2`, so VC
//! 2.0 status entries work without it. An application that needs the URL
//! itself can register it with `with_context`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use json_syntax::Parse;
use ssi_json_ld::{Iri, IriBuf, LoadError, Loader, RemoteDocument, StaticLoader, UnknownContext};

use crate::{CredentialError, ErrorDetail};

/// URL of the W3C Verifiable Credentials 2.0 context.
pub const CREDENTIALS_V2_URL: &str = "https://www.w3.org/ns/credentials/v2";

/// URL of the W3C context that maps every term no other context defines to
/// `https://www.w3.org/ns/credentials/undefined-term#<term>` (an `@vocab`),
/// for claims no published vocabulary names.
pub const UNDEFINED_TERMS_CONTEXT_URL: &str =
    "https://www.w3.org/ns/credentials/undefined-terms/v2";

/// The undefined-terms context document, byte for byte as the W3C publishes
/// it (and digitalbazaar's `@digitalbazaar/credentials-context` ships it).
pub const UNDEFINED_TERMS_CONTEXT: &str =
    include_str!("../contexts/w3c-credentials-undefined-terms-v2.jsonld");

/// URL of the current Sovra credentials JSON-LD context (v2), bundled with
/// this crate and served by every node at `/contexts/sovra-credentials-v2.jsonld`.
pub const SOVRA_CONTEXT_URL: &str = "https://sovra.dev/ns/credentials/v2";

/// The Sovra credentials context v2 document.
///
/// It defines, with explicit IRIs and no `@vocab`: the types
/// `HealthTestCredential` and `KycCredential` and their claims `testType`,
/// `result`, `laboratory`, `assuranceLevel`, `verifiedName`,
/// `countryOfResidence` (under `https://sovra.dev/ns/credentials#`) as plain
/// text, `sampleCollected` as an `xsd:dateTime`, and the schema.org person
/// properties `givenName`, `familyName`, `birthDate`, `nationality`,
/// `email`, `telephone`, `address` as plain text. No term is an IRI
/// (`"@type": "@id"`), so text claims are always signed as text; write
/// `{"id": "did:..."}` for a claim that names a node.
pub const SOVRA_CONTEXT: &str = include_str!("../contexts/sovra-credentials-v2.jsonld");

/// URL of the first Sovra credentials context (v1). Superseded by
/// [`SOVRA_CONTEXT_URL`]: its `laboratory` is an IRI (`"@type": "@id"`),
/// which safe mode only accepts with an absolute IRI value. Kept unchanged
/// so that credentials issued with it still verify.
pub const SOVRA_CONTEXT_V1_URL: &str = "https://sovra.dev/ns/credentials/v1";

/// The Sovra credentials context v1 document (unchanged since issued).
pub const SOVRA_CONTEXT_V1: &str = include_str!("../contexts/sovra-credentials-v1.jsonld");

/// Context URLs this crate guarantees to resolve offline (besides the
/// bundled ones); all are served by ssi's static loader.
pub const REQUIRED_CONTEXTS: [&str; 5] = [
    CREDENTIALS_V2_URL,
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/did/v1",
];

/// A context document every node serves at `GET /contexts/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedContext {
    /// The context's URL (what documents name in `@context`).
    pub url: &'static str,
    /// The file name it is served under: `/contexts/{name}`.
    pub name: &'static str,
    /// The document, byte for byte as this crate's verifier loads it.
    pub document: &'static str,
}

/// Every context Sovra's credentials, presentations and status lists use,
/// as served by every node: the Sovra contexts (which no one else serves)
/// and copies of the W3C contexts they build on (whose home is their own
/// URL; the copies are the exact bytes Sovra verifies with).
pub const SERVED_CONTEXTS: [ServedContext; 5] = [
    ServedContext {
        url: SOVRA_CONTEXT_URL,
        name: "sovra-credentials-v2.jsonld",
        document: SOVRA_CONTEXT,
    },
    ServedContext {
        url: SOVRA_CONTEXT_V1_URL,
        name: "sovra-credentials-v1.jsonld",
        document: SOVRA_CONTEXT_V1,
    },
    ServedContext {
        url: CREDENTIALS_V2_URL,
        name: "w3c-credentials-v2.jsonld",
        document: ssi_contexts::CREDENTIALS_V2,
    },
    ServedContext {
        url: UNDEFINED_TERMS_CONTEXT_URL,
        name: "w3c-credentials-undefined-terms-v2.jsonld",
        document: UNDEFINED_TERMS_CONTEXT,
    },
    ServedContext {
        url: "https://w3id.org/security/data-integrity/v2",
        name: "w3id-data-integrity-v2.jsonld",
        document: ssi_contexts::W3ID_DATA_INTEGRITY_V2,
    },
];

impl ServedContext {
    /// SHA-256 of the document's bytes, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(self.document.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The served context named `name` (`/contexts/{name}`), if any.
pub fn served_context(name: &str) -> Option<&'static ServedContext> {
    SERVED_CONTEXTS.iter().find(|c| c.name == name)
}

/// The set of contexts available offline: ssi's static contexts plus extra
/// registered documents (the Sovra context and any application context).
#[derive(Clone)]
pub(crate) struct ContextStore {
    extra: HashMap<IriBuf, RemoteDocument>,
}

impl std::fmt::Debug for ContextStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut urls: Vec<&str> = self.extra.keys().map(|k| k.as_str()).collect();
        urls.sort_unstable();
        f.debug_struct("ContextStore")
            .field("static", &"ssi_json_ld::StaticLoader")
            .field("extra", &urls)
            .finish()
    }
}

impl ContextStore {
    /// ssi's static contexts plus the contexts bundled with this crate.
    pub(crate) fn new() -> Self {
        let mut store = Self {
            extra: HashMap::new(),
        };
        for (url, document) in [
            (SOVRA_CONTEXT_URL, SOVRA_CONTEXT),
            (SOVRA_CONTEXT_V1_URL, SOVRA_CONTEXT_V1),
            (UNDEFINED_TERMS_CONTEXT_URL, UNDEFINED_TERMS_CONTEXT),
        ] {
            store
                .insert(url, document)
                .expect("a bundled context is a valid JSON-LD context document");
        }
        store
    }

    /// Registers `document` (a JSON-LD context document, i.e. a JSON object
    /// with an `@context` entry) for `url`.
    pub(crate) fn insert(&mut self, url: &str, document: &str) -> Result<(), CredentialError> {
        let iri = IriBuf::new(url.to_owned()).map_err(|e| {
            CredentialError::InvalidOptions(format!("context URL `{}` is not an IRI", e.0).into())
        })?;
        if self.is_static(&iri) {
            return Err(CredentialError::InvalidOptions(
                format!("context `{url}` is already shipped by ssi and cannot be replaced").into(),
            ));
        }
        let (json, _) = json_syntax::Value::parse_str(document).map_err(|e| {
            CredentialError::InvalidOptions(ErrorDetail::caused(
                format!("context `{url}` is not valid JSON"),
                e,
            ))
        })?;
        if json
            .as_object()
            .and_then(|o| o.get_unique("@context").ok().flatten())
            .is_none()
        {
            return Err(CredentialError::InvalidOptions(
                format!("context `{url}` is not a JSON-LD context document (no `@context` entry)")
                    .into(),
            ));
        }
        let remote =
            RemoteDocument::new(Some(iri.clone()), "application/ld+json".parse().ok(), json);
        self.extra.insert(iri, remote);
        Ok(())
    }

    /// Whether ssi's static loader serves `iri`. Positive answers are
    /// cached: a lookup clones the whole context document, and the set is
    /// small and fixed.
    fn is_static(&self, iri: &Iri) -> bool {
        static KNOWN: LazyLock<Mutex<HashSet<String>>> =
            LazyLock::new(|| Mutex::new(HashSet::new()));
        if KNOWN
            .lock()
            .map(|set| set.contains(iri.as_str()))
            .unwrap_or(false)
        {
            return true;
        }
        let found = futures::executor::block_on(StaticLoader.load(iri)).is_ok();
        if found && let Ok(mut set) = KNOWN.lock() {
            set.insert(iri.as_str().to_owned());
        }
        found
    }

    /// Whether `url` resolves offline.
    pub(crate) fn contains(&self, url: &str) -> bool {
        match Iri::new(url) {
            Ok(iri) => self.extra.contains_key(iri) || self.is_static(iri),
            Err(_) => false,
        }
    }

    /// A loader over this store for one JSON-LD processing run; it records
    /// the first URL it had to refuse.
    pub(crate) fn loader(&self) -> OfflineLoader<'_> {
        OfflineLoader {
            store: self,
            refused: RefCell::new(None),
        }
    }

    /// Checks the context references of a `@context` value without JSON-LD
    /// processing (used by `eddsa-jcs-2022`, whose signature does not
    /// involve JSON-LD, so that both suites refuse the same unknown remote
    /// contexts). Inline context objects are accepted as they are.
    pub(crate) fn check_references(
        &self,
        context: &serde_json::Value,
    ) -> Result<(), CredentialError> {
        match context {
            serde_json::Value::String(url) => {
                if self.contains(url) {
                    Ok(())
                } else {
                    Err(CredentialError::UnknownContext { url: url.clone() })
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    match item {
                        serde_json::Value::Array(_) => {
                            return Err(CredentialError::MalformedDocument(
                                "nested array in `@context`".to_owned().into(),
                            ));
                        }
                        other => self.check_references(other)?,
                    }
                }
                Ok(())
            }
            serde_json::Value::Object(_) | serde_json::Value::Null => Ok(()),
            other => Err(CredentialError::MalformedDocument(
                format!("`@context` entry must be a URL, an object or an array, found {other}")
                    .into(),
            )),
        }
    }
}

/// A [`json_ld::Loader`](ssi_json_ld::Loader) that serves the
/// [`ContextStore`] and refuses everything else, remembering what it refused
/// so the error can name the URL.
pub(crate) struct OfflineLoader<'a> {
    store: &'a ContextStore,
    refused: RefCell<Option<String>>,
}

impl OfflineLoader<'_> {
    /// The first context URL this loader refused, if any.
    pub(crate) fn refused(&self) -> Option<String> {
        self.refused.borrow().clone()
    }
}

impl Loader for OfflineLoader<'_> {
    async fn load(&self, url: &Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        if let Ok(document) = StaticLoader.load(url).await {
            return Ok(document);
        }
        if let Some(document) = self.store.extra.get(url) {
            return Ok(document.clone());
        }
        let mut refused = self.refused.borrow_mut();
        if refused.is_none() {
            *refused = Some(url.as_str().to_owned());
        }
        Err(LoadError::new(url.to_owned(), UnknownContext))
    }
}
