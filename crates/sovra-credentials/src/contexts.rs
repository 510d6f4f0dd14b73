//! The offline JSON-LD context store.
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
//! - the Sovra credentials context [`SOVRA_CONTEXT_URL`], bundled with this
//!   crate ([`SOVRA_CONTEXT`]);
//! - contexts the embedding application registers itself with
//!   [`ProofEngine::with_context`](crate::ProofEngine::with_context).
//!
//! Any other context URL fails with
//! [`CredentialError::UnknownContext`].
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

use crate::CredentialError;

/// URL of the Sovra credentials JSON-LD context, bundled with this crate.
pub const SOVRA_CONTEXT_URL: &str = "https://sovra.dev/ns/credentials/v1";

/// The Sovra credentials JSON-LD context document (served offline for
/// [`SOVRA_CONTEXT_URL`]).
///
/// It defines, with explicit IRIs under `https://sovra.dev/ns/credentials#`
/// and no `@vocab`, the terms of a health test-result credential:
/// the type `HealthTestCredential` and the properties `testType`, `result`,
/// `sampleCollected` (an `xsd:dateTime`) and `laboratory` (an IRI, e.g. the
/// laboratory's DID, or a node object with an `id`).
pub const SOVRA_CONTEXT: &str = include_str!("../contexts/sovra-credentials-v1.jsonld");

/// Context URLs this crate guarantees to resolve offline (besides
/// [`SOVRA_CONTEXT_URL`]); all are served by ssi's static loader.
pub const REQUIRED_CONTEXTS: [&str; 5] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/did/v1",
];

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
    /// ssi's static contexts plus the bundled Sovra context.
    pub(crate) fn new() -> Self {
        let mut store = Self {
            extra: HashMap::new(),
        };
        store
            .insert(SOVRA_CONTEXT_URL, SOVRA_CONTEXT)
            .expect("the bundled Sovra context is a valid JSON-LD context document");
        store
    }

    /// Registers `document` (a JSON-LD context document, i.e. a JSON object
    /// with an `@context` entry) for `url`.
    pub(crate) fn insert(&mut self, url: &str, document: &str) -> Result<(), CredentialError> {
        let iri = IriBuf::new(url.to_owned()).map_err(|e| {
            CredentialError::InvalidOptions(format!("context URL `{}` is not an IRI", e.0))
        })?;
        if self.is_static(&iri) {
            return Err(CredentialError::InvalidOptions(format!(
                "context `{url}` is already shipped by ssi and cannot be replaced"
            )));
        }
        let (json, _) = json_syntax::Value::parse_str(document).map_err(|e| {
            CredentialError::InvalidOptions(format!("context `{url}` is not valid JSON: {e}"))
        })?;
        if json
            .as_object()
            .and_then(|o| o.get_unique("@context").ok().flatten())
            .is_none()
        {
            return Err(CredentialError::InvalidOptions(format!(
                "context `{url}` is not a JSON-LD context document (no `@context` entry)"
            )));
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
                                "nested array in `@context`".to_owned(),
                            ));
                        }
                        other => self.check_references(other)?,
                    }
                }
                Ok(())
            }
            serde_json::Value::Object(_) | serde_json::Value::Null => Ok(()),
            other => Err(CredentialError::MalformedDocument(format!(
                "`@context` entry must be a URL, an object or an array, found {other}"
            ))),
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
