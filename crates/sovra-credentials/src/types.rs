//! Plain data types of the API: cryptosuites, proof purposes, signing and
//! verification options, and what a verified proof said.

use std::fmt;
use std::str::FromStr;

use crate::CredentialError;

/// A Data Integrity cryptosuite supported by this crate (both from the W3C
/// [Data Integrity EdDSA Cryptosuites v1.0](https://www.w3.org/TR/vc-di-eddsa/)
/// recommendation, both Ed25519 with SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cryptosuite {
    /// `eddsa-rdfc-2022`: the document and the proof configuration are
    /// JSON-LD expanded and canonicalized with RDF Dataset Canonicalization
    /// (RDFC-1.0, formerly URDNA2015) before hashing.
    EddsaRdfc2022,
    /// `eddsa-jcs-2022`: the document and the proof configuration are
    /// canonicalized with the JSON Canonicalization Scheme (RFC 8785) before
    /// hashing; no JSON-LD processing is involved in the signature.
    EddsaJcs2022,
}

impl Cryptosuite {
    /// Every supported cryptosuite.
    pub const ALL: [Cryptosuite; 2] = [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022];

    /// The `cryptosuite` string of the proof: `"eddsa-rdfc-2022"` or
    /// `"eddsa-jcs-2022"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Cryptosuite::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
        }
    }
}

impl fmt::Display for Cryptosuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Cryptosuite {
    type Err = CredentialError;

    /// Parses `"eddsa-rdfc-2022"` or `"eddsa-jcs-2022"`; anything else is
    /// [`CredentialError::UnsupportedCryptosuite`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "eddsa-rdfc-2022" => Ok(Cryptosuite::EddsaRdfc2022),
            "eddsa-jcs-2022" => Ok(Cryptosuite::EddsaJcs2022),
            other => Err(CredentialError::UnsupportedCryptosuite(format!(
                "cryptosuite `{other}` (supported: eddsa-rdfc-2022, eddsa-jcs-2022)"
            ))),
        }
    }
}

/// Why a proof was made (the `proofPurpose` of the proof).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProofPurpose {
    /// `assertionMethod`: an issuer asserts the claims (credentials).
    AssertionMethod,
    /// `authentication`: a holder proves control of a DID (presentations,
    /// usually with a `challenge` and a `domain`).
    Authentication,
}

impl ProofPurpose {
    /// The `proofPurpose` string: `"assertionMethod"` or `"authentication"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProofPurpose::AssertionMethod => "assertionMethod",
            ProofPurpose::Authentication => "authentication",
        }
    }
}

impl fmt::Display for ProofPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProofPurpose {
    type Err = CredentialError;

    /// Parses `"assertionMethod"` or `"authentication"`; anything else is
    /// [`CredentialError::WrongProofPurpose`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "assertionMethod" => Ok(ProofPurpose::AssertionMethod),
            "authentication" => Ok(ProofPurpose::Authentication),
            other => Err(CredentialError::WrongProofPurpose {
                expected: "assertionMethod or authentication".to_owned(),
                found: other.to_owned(),
            }),
        }
    }
}

/// The options of a new proof (the "proof options" of the Data Integrity
/// specification). `type` is always `DataIntegrityProof`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// Which cryptosuite to sign with.
    pub cryptosuite: Cryptosuite,
    /// The DID URL of the signing key, e.g.
    /// `did:key:z6Mk...#z6Mk...` or `did:sovra:abc#key-1`. Must be an
    /// absolute IRI.
    pub verification_method: String,
    /// Why the proof is made.
    pub proof_purpose: ProofPurpose,
    /// The proof's `created` time as an XML Schema `dateTimeStamp` (for
    /// example `2023-02-24T23:36:38Z`). `None` means "now", formatted with
    /// second precision in UTC: the only use of the clock in this crate, so
    /// tests pass a fixed value.
    pub created: Option<String>,
    /// The `challenge` (a verifier's nonce), usually for presentations.
    pub challenge: Option<String>,
    /// The `domain` the proof is bound to, usually for presentations.
    pub domain: Option<String>,
}

impl ProofOptions {
    /// Options for an issuer's credential proof: `assertionMethod`, created
    /// now, no challenge or domain.
    pub fn assertion(cryptosuite: Cryptosuite, verification_method: impl Into<String>) -> Self {
        Self {
            cryptosuite,
            verification_method: verification_method.into(),
            proof_purpose: ProofPurpose::AssertionMethod,
            created: None,
            challenge: None,
            domain: None,
        }
    }

    /// Options for a holder's presentation proof: `authentication` bound to
    /// a verifier's `challenge` and `domain`, created now.
    pub fn authentication(
        cryptosuite: Cryptosuite,
        verification_method: impl Into<String>,
        challenge: impl Into<String>,
        domain: impl Into<String>,
    ) -> Self {
        Self {
            cryptosuite,
            verification_method: verification_method.into(),
            proof_purpose: ProofPurpose::Authentication,
            created: None,
            challenge: Some(challenge.into()),
            domain: Some(domain.into()),
        }
    }
}

/// What a verifier requires of a proof beyond a valid signature.
///
/// The default requires nothing more: [`verify`](fn@crate::verify) returns the
/// proof's purpose, challenge and domain in [`VerifiedProof`] and the caller
/// decides. Set fields here to have the check done (and failed with a
/// distinct error) by [`verify_with_options`](crate::verify_with_options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// If set, the proof's `proofPurpose` must be this one, else
    /// [`CredentialError::WrongProofPurpose`].
    pub expected_proof_purpose: Option<ProofPurpose>,
    /// If set, the proof's `challenge` must equal it, else
    /// [`CredentialError::ProofOptionMismatch`].
    pub challenge: Option<String>,
    /// If set, the proof's `domain` must equal it, else
    /// [`CredentialError::ProofOptionMismatch`].
    pub domain: Option<String>,
}

/// What a verified proof said. Returned only when the signature is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The proof's cryptosuite.
    pub cryptosuite: Cryptosuite,
    /// The proof's `verificationMethod` (the DID URL the caller's key lookup
    /// accepted).
    pub verification_method: String,
    /// The proof's `proofPurpose`.
    pub proof_purpose: ProofPurpose,
    /// The proof's `created`, if present.
    pub created: Option<String>,
    /// The proof's `challenge`, if present.
    pub challenge: Option<String>,
    /// The proof's `domain`, if present.
    pub domain: Option<String>,
}
