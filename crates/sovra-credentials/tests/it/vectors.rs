//! Conformance with the W3C vc-di-eddsa test vectors
//! (`tests/vectors/vc-di-eddsa`): verification of the signed vectors,
//! bit-exact reproduction of their `proofValue`s, and the intermediate
//! canonical forms and hashes.

use crate::common::{engine_with_citizenship, hex, json, key_pair, only, text};
use serde_json::Value;
use sovra_credentials::{
    CredentialError, Cryptosuite, ProofEngine, ProofOptions, ProofPurpose, VerifyOptions,
};

/// One suite's vector set.
struct Vector {
    suite: Cryptosuite,
    dir: &'static str,
    suffix: &'static str,
    unsigned: &'static str,
    needs_citizenship: bool,
}

const VECTORS: [Vector; 3] = [
    Vector {
        suite: Cryptosuite::EddsaRdfc2022,
        dir: "eddsa-rdfc-2022",
        suffix: "DataInt",
        unsigned: "unsigned.json",
        needs_citizenship: false,
    },
    Vector {
        suite: Cryptosuite::EddsaRdfc2022,
        dir: "eddsa-rdfc-2022/employ",
        suffix: "DataInt",
        unsigned: "employmentAuth.json",
        needs_citizenship: true,
    },
    Vector {
        suite: Cryptosuite::EddsaJcs2022,
        dir: "eddsa-jcs-2022",
        suffix: "JCS",
        unsigned: "unsigned.json",
        needs_citizenship: false,
    },
];

impl Vector {
    fn file(&self, stem: &str, ext: &str) -> String {
        format!("{}/{stem}{}.{ext}", self.dir, self.suffix)
    }

    fn engine(&self) -> ProofEngine {
        if self.needs_citizenship {
            engine_with_citizenship()
        } else {
            ProofEngine::new()
        }
    }
}

fn options_from_config(config: &Value) -> ProofOptions {
    ProofOptions {
        cryptosuite: config["cryptosuite"].as_str().unwrap().parse().unwrap(),
        verification_method: config["verificationMethod"].as_str().unwrap().to_owned(),
        proof_purpose: config["proofPurpose"].as_str().unwrap().parse().unwrap(),
        created: config["created"].as_str().map(str::to_owned),
        challenge: None,
        domain: None,
    }
}

#[test]
fn signed_vectors_verify() {
    let (_, public, vm) = key_pair();
    for v in &VECTORS {
        let signed = json(&v.file("signed", "json"));
        let proof = v
            .engine()
            .verify(&signed, &VerifyOptions::default(), only(vm.clone(), public))
            .unwrap_or_else(|e| panic!("{}: {e}", v.dir));
        assert_eq!(proof.cryptosuite, v.suite);
        assert_eq!(proof.verification_method, vm);
        assert_eq!(proof.proof_purpose, ProofPurpose::AssertionMethod);
        assert_eq!(proof.created.as_deref(), Some("2023-02-24T23:36:38Z"));
        assert_eq!(proof.challenge, None);
        assert_eq!(proof.domain, None);
    }
}

#[test]
fn signed_vectors_verify_with_default_functions() {
    let (_, public, vm) = key_pair();
    for file in [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
    ] {
        let proof = sovra_credentials::verify(&json(file), only(vm.clone(), public))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(proof.verification_method, vm);
    }
}

#[test]
fn signing_reproduces_proof_values() {
    let (secret, public, _) = key_pair();
    assert_eq!(
        sovra_credentials::ed25519_public_key_from_secret(&secret),
        public
    );
    for v in &VECTORS {
        let unsigned = json(v.unsigned);
        let config = json(&v.file("proofConfig", "json"));
        let signed = v
            .engine()
            .sign(&unsigned, &secret, &options_from_config(&config))
            .unwrap_or_else(|e| panic!("{}: {e}", v.dir));
        let expected = json(&v.file("signed", "json"));
        assert_eq!(
            signed["proof"]["proofValue"], expected["proof"]["proofValue"],
            "{}",
            v.dir
        );
        assert_eq!(
            signed["proof"]["proofValue"].as_str().unwrap(),
            text(&v.file("sigBTC58", "txt")).trim(),
            "{}",
            v.dir
        );
        // The whole secured document equals the vector's.
        assert_eq!(signed, expected, "{}", v.dir);
    }
}

#[test]
fn canonical_forms_and_hashes_match() {
    for v in &VECTORS {
        let unsigned = json(v.unsigned);
        let config = json(&v.file("proofConfig", "json"));
        let forms = v
            .engine()
            .canonicalize(&unsigned, &config)
            .unwrap_or_else(|e| panic!("{}: {e}", v.dir));
        assert_eq!(forms.cryptosuite, v.suite);
        assert_eq!(
            forms.document.trim_end(),
            text(&v.file("canonDoc", "txt")).trim_end(),
            "{}",
            v.dir
        );
        assert_eq!(
            forms.proof_config.trim_end(),
            text(&v.file("proofCanon", "txt")).trim_end(),
            "{}",
            v.dir
        );
        assert_eq!(
            hex(&forms.document_hash()),
            text(&v.file("docHash", "txt")).trim(),
            "{}",
            v.dir
        );
        assert_eq!(
            hex(&forms.proof_config_hash()),
            text(&v.file("proofHash", "txt")).trim(),
            "{}",
            v.dir
        );
        assert_eq!(
            hex(&forms.hash_data()),
            text(&v.file("combinedHash", "txt")).trim(),
            "{}",
            v.dir
        );
    }
}

#[test]
fn vector_keys_decode() {
    let (secret, public, vm) = key_pair();
    assert_eq!(
        sovra_credentials::ed25519_public_key_from_did_key(&vm).unwrap(),
        public
    );
    assert_eq!(sovra_credentials::did_key_verification_method(&public), vm);
    assert_eq!(
        sovra_credentials::ed25519_public_key_to_multibase(&public),
        json("keyPair.json")["publicKeyMultibase"]
    );
    // The secret is not a public key and vice versa.
    let pair = json("keyPair.json");
    assert!(matches!(
        sovra_credentials::ed25519_public_key_from_multibase(
            pair["privateKeyMultibase"].as_str().unwrap()
        ),
        Err(CredentialError::InvalidKey(_))
    ));
    assert!(matches!(
        sovra_credentials::ed25519_secret_key_from_multibase(
            pair["publicKeyMultibase"].as_str().unwrap()
        ),
        Err(CredentialError::InvalidKey(_))
    ));
    let _ = secret;
}

#[test]
fn employment_vector_needs_its_context() {
    // Without the citizenship context the default engine refuses the remote
    // context instead of fetching it.
    let (_, public, vm) = key_pair();
    let signed = json("eddsa-rdfc-2022/employ/signedDataInt.json");
    assert_eq!(
        sovra_credentials::verify(&signed, only(vm, public)),
        Err(CredentialError::UnknownContext {
            url: crate::common::CITIZENSHIP_V4RC1_URL.to_owned()
        })
    );
}

#[test]
fn ed25519_signature_2020_is_unsupported() {
    let (_, public, vm) = key_pair();
    let signed = json("Ed25519Signature2020/signedEdSig.json");
    assert!(matches!(
        sovra_credentials::verify(&signed, only(vm, public)),
        Err(CredentialError::UnsupportedCryptosuite(_))
    ));
}
