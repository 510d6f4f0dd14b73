//! Behaviour of sign/verify beyond the W3C vectors: tampering, wrong keys,
//! missing proofs, refused contexts, presentations with challenge and
//! domain, the Sovra health credential, and malformed input.

use crate::common::{json, key_pair, only};
use serde_json::{Value, json};
use sovra_credentials::{
    CredentialError, Cryptosuite, ProofOptions, ProofPurpose, SOVRA_CONTEXT_URL, VerifyOptions,
    did_key_verification_method, ed25519_public_key_from_secret, sign, verify, verify_with_options,
};

const CREATED: &str = "2025-03-01T10:00:00Z";

fn issuer() -> ([u8; 32], [u8; 32], String) {
    let secret = [0x11u8; 32];
    let public = ed25519_public_key_from_secret(&secret);
    (secret, public, did_key_verification_method(&public))
}

fn health_credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", SOVRA_CONTEXT_URL],
        "id": "urn:uuid:3f0c5c2e-7a51-4a7b-9d5e-2a1f3c9b8e11",
        "type": ["VerifiableCredential", "HealthTestCredential"],
        "issuer": "did:sovra:lab-central",
        "validFrom": "2025-03-01T10:00:00Z",
        "credentialSubject": {
            "id": "did:sovra:alice",
            "testType": "SARS-CoV-2 PCR",
            "result": "negative",
            "sampleCollected": "2025-03-01T09:30:00Z",
            "laboratory": "did:sovra:lab-central"
        }
    })
}

fn options(suite: Cryptosuite, vm: &str) -> ProofOptions {
    let mut options = ProofOptions::assertion(suite, vm);
    options.created = Some(CREATED.to_owned());
    options
}

#[test]
fn health_credential_round_trips_with_the_sovra_context() {
    let (secret, public, vm) = issuer();
    for suite in Cryptosuite::ALL {
        let signed = sign(&health_credential(), &secret, &options(suite, &vm)).unwrap();
        assert_eq!(signed["proof"]["type"], "DataIntegrityProof");
        assert_eq!(signed["proof"]["cryptosuite"], suite.as_str());
        let proof = verify(&signed, only(vm.clone(), public)).unwrap();
        assert_eq!(proof.cryptosuite, suite);
        assert_eq!(proof.proof_purpose, ProofPurpose::AssertionMethod);
        assert_eq!(proof.created.as_deref(), Some(CREATED));
    }
}

#[test]
fn sovra_context_terms_expand_to_sovra_iris() {
    let (_, _, vm) = issuer();
    let forms = sovra_credentials::ProofEngine::new()
        .canonicalize(
            &health_credential(),
            &json!({
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-rdfc-2022",
                "created": CREATED,
                "verificationMethod": vm,
                "proofPurpose": "assertionMethod"
            }),
        )
        .unwrap();
    for line in [
        // v2: text claims are plain literals, never IRIs.
        "<did:sovra:alice> <https://sovra.dev/ns/credentials#laboratory> \"did:sovra:lab-central\" .",
        "<did:sovra:alice> <https://sovra.dev/ns/credentials#result> \"negative\" .",
        "<did:sovra:alice> <https://sovra.dev/ns/credentials#sampleCollected> \"2025-03-01T09:30:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .",
        "<did:sovra:alice> <https://sovra.dev/ns/credentials#testType> \"SARS-CoV-2 PCR\" .",
        "<urn:uuid:3f0c5c2e-7a51-4a7b-9d5e-2a1f3c9b8e11> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://sovra.dev/ns/credentials#HealthTestCredential> .",
    ] {
        assert!(
            forms.document.contains(line),
            "missing {line} in\n{}",
            forms.document
        );
    }
}

#[test]
fn tampering_is_detected() {
    let (secret, public, vm) = issuer();
    for suite in Cryptosuite::ALL {
        let signed = sign(&health_credential(), &secret, &options(suite, &vm)).unwrap();

        let mut tampered = signed.clone();
        tampered["credentialSubject"]["result"] = json!("positive");
        assert_eq!(
            verify(&tampered, only(vm.clone(), public)),
            Err(CredentialError::InvalidSignature),
            "{suite}"
        );

        let mut tampered = signed.clone();
        tampered["proof"]["created"] = json!("2025-03-02T10:00:00Z");
        assert_eq!(
            verify(&tampered, only(vm.clone(), public)),
            Err(CredentialError::InvalidSignature),
            "{suite}"
        );

        let mut tampered = signed.clone();
        tampered["issuer"] = json!("did:sovra:mallory");
        assert_eq!(
            verify(&tampered, only(vm.clone(), public)),
            Err(CredentialError::InvalidSignature),
            "{suite}"
        );

        // A flipped signature bit.
        let mut tampered = signed.clone();
        let mut value = tampered["proof"]["proofValue"].as_str().unwrap().to_owned();
        let last = value.pop().unwrap();
        value.push(if last == 'a' { 'b' } else { 'a' });
        tampered["proof"]["proofValue"] = json!(value);
        assert!(
            matches!(
                verify(&tampered, only(vm.clone(), public)),
                Err(CredentialError::InvalidSignature | CredentialError::MalformedDocument(_))
            ),
            "{suite}"
        );
    }
}

#[test]
fn tampered_vectors_fail() {
    let (_, public, vm) = key_pair();
    for file in [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-rdfc-2022/employ/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
    ] {
        let mut signed = json(file);
        signed["name"] = json!("Forged Credential");
        let result = crate::common::engine_with_citizenship().verify(
            &signed,
            &VerifyOptions::default(),
            only(vm.clone(), public),
        );
        assert_eq!(result, Err(CredentialError::InvalidSignature), "{file}");
    }
}

#[test]
fn wrong_key_fails() {
    let (secret, _, vm) = issuer();
    let other_public = ed25519_public_key_from_secret(&[0x22u8; 32]);
    for suite in Cryptosuite::ALL {
        let signed = sign(&health_credential(), &secret, &options(suite, &vm)).unwrap();
        assert_eq!(
            verify(&signed, only(vm.clone(), other_public)),
            Err(CredentialError::InvalidSignature),
            "{suite}"
        );
    }
}

#[test]
fn refused_key_lookup_is_reported() {
    let (secret, _, vm) = issuer();
    let signed = sign(
        &health_credential(),
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    let result = verify(&signed, |_| Err("issuer not trusted".to_owned()));
    assert_eq!(
        result,
        Err(CredentialError::KeyLookupRefused {
            verification_method: vm,
            reason: "issuer not trusted".to_owned()
        })
    );
}

#[test]
fn missing_proof_fails() {
    let (secret, public, vm) = issuer();
    for suite in Cryptosuite::ALL {
        let mut signed = sign(&health_credential(), &secret, &options(suite, &vm)).unwrap();
        signed.as_object_mut().unwrap().remove("proof");
        assert_eq!(
            verify(&signed, only(vm.clone(), public)),
            Err(CredentialError::MissingProof)
        );
        signed["proof"] = json!([]);
        assert_eq!(
            verify(&signed, only(vm.clone(), public)),
            Err(CredentialError::MissingProof)
        );
    }
    assert_eq!(
        verify(&health_credential(), only(vm, public)),
        Err(CredentialError::MissingProof)
    );
}

#[test]
fn unknown_remote_context_is_refused() {
    let (secret, _, vm) = issuer();
    let mut credential = health_credential();
    credential["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://evil.example/contexts/v1"
    ]);
    for suite in Cryptosuite::ALL {
        assert_eq!(
            sign(&credential, &secret, &options(suite, &vm)),
            Err(CredentialError::UnknownContext {
                url: "https://evil.example/contexts/v1".to_owned()
            }),
            "{suite}"
        );
    }
}

#[test]
fn unknown_context_in_a_signed_document_is_refused() {
    // The signed vectors' context swapped for a remote one: refused before
    // any signature check, for both suites.
    let (_, public, vm) = key_pair();
    for file in [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
    ] {
        let mut signed = json(file);
        signed["@context"][1] = json!("https://remote.example/ctx.jsonld");
        if signed["proof"].get("@context").is_some() {
            signed["proof"]["@context"][1] = json!("https://remote.example/ctx.jsonld");
        }
        assert_eq!(
            verify(&signed, only(vm.clone(), public)),
            Err(CredentialError::UnknownContext {
                url: "https://remote.example/ctx.jsonld".to_owned()
            }),
            "{file}"
        );
    }
}

#[test]
fn required_contexts_are_offline() {
    let engine = sovra_credentials::ProofEngine::new();
    for url in sovra_credentials::REQUIRED_CONTEXTS {
        assert!(engine.knows_context(url), "{url}");
    }
    assert!(engine.knows_context(SOVRA_CONTEXT_URL));
    assert!(!engine.knows_context("https://evil.example/contexts/v1"));
}

#[test]
fn undefined_terms_are_refused_by_rdfc() {
    let (secret, _, vm) = issuer();
    let mut credential = health_credential();
    credential["credentialSubject"]["undefinedTerm"] = json!("would be dropped, so unsigned");
    assert!(matches!(
        sign(
            &credential,
            &secret,
            &options(Cryptosuite::EddsaRdfc2022, &vm)
        ),
        Err(CredentialError::JsonLd(_))
    ));
}

fn presentation(credential: Value) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:sovra:alice",
        "verifiableCredential": [credential]
    })
}

#[test]
fn presentation_challenge_and_domain_round_trip() {
    let (issuer_secret, issuer_public, issuer_vm) = issuer();
    let holder_secret = [0x33u8; 32];
    let holder_public = ed25519_public_key_from_secret(&holder_secret);
    let holder_vm = did_key_verification_method(&holder_public);

    for suite in Cryptosuite::ALL {
        let credential = sign(
            &health_credential(),
            &issuer_secret,
            &options(suite, &issuer_vm),
        )
        .unwrap();
        let mut vp_options =
            ProofOptions::authentication(suite, &holder_vm, "nonce-8f2c", "verifier.sovra.dev");
        vp_options.created = Some(CREATED.to_owned());
        let vp = sign(&presentation(credential), &holder_secret, &vp_options).unwrap();
        assert_eq!(vp["proof"]["challenge"], "nonce-8f2c");
        assert_eq!(vp["proof"]["domain"], "verifier.sovra.dev");

        let expected = VerifyOptions {
            expected_proof_purpose: Some(ProofPurpose::Authentication),
            challenge: Some("nonce-8f2c".to_owned()),
            domain: Some("verifier.sovra.dev".to_owned()),
        };
        let proof =
            verify_with_options(&vp, &expected, only(holder_vm.clone(), holder_public)).unwrap();
        assert_eq!(proof.proof_purpose, ProofPurpose::Authentication);
        assert_eq!(proof.challenge.as_deref(), Some("nonce-8f2c"));
        assert_eq!(proof.domain.as_deref(), Some("verifier.sovra.dev"));

        // The embedded credential still verifies on its own.
        verify(
            &vp["verifiableCredential"][0],
            only(issuer_vm.clone(), issuer_public),
        )
        .unwrap();

        // Replay against another challenge or domain is refused.
        let other_challenge = VerifyOptions {
            challenge: Some("nonce-other".to_owned()),
            ..expected.clone()
        };
        assert_eq!(
            verify_with_options(
                &vp,
                &other_challenge,
                only(holder_vm.clone(), holder_public)
            ),
            Err(CredentialError::ProofOptionMismatch {
                field: "challenge",
                expected: "nonce-other".to_owned(),
                found: Some("nonce-8f2c".to_owned())
            })
        );
        let other_domain = VerifyOptions {
            domain: Some("evil.example".to_owned()),
            ..expected.clone()
        };
        assert!(matches!(
            verify_with_options(&vp, &other_domain, only(holder_vm.clone(), holder_public)),
            Err(CredentialError::ProofOptionMismatch {
                field: "domain",
                ..
            })
        ));

        // Rewriting the challenge in the proof breaks the signature.
        let mut replayed = vp.clone();
        replayed["proof"]["challenge"] = json!("nonce-other");
        assert_eq!(
            verify_with_options(
                &replayed,
                &other_challenge,
                only(holder_vm.clone(), holder_public)
            ),
            Err(CredentialError::InvalidSignature)
        );

        // Tampering with the embedded credential breaks the presentation's
        // signature too.
        let mut tampered = vp.clone();
        tampered["verifiableCredential"][0]["credentialSubject"]["result"] = json!("positive");
        assert_eq!(
            verify_with_options(&tampered, &expected, only(holder_vm.clone(), holder_public)),
            Err(CredentialError::InvalidSignature)
        );
    }
}

#[test]
fn wrong_proof_purpose_fails() {
    let (secret, public, vm) = issuer();
    for suite in Cryptosuite::ALL {
        let signed = sign(&health_credential(), &secret, &options(suite, &vm)).unwrap();
        let expected = VerifyOptions {
            expected_proof_purpose: Some(ProofPurpose::Authentication),
            ..Default::default()
        };
        assert_eq!(
            verify_with_options(&signed, &expected, only(vm.clone(), public)),
            Err(CredentialError::WrongProofPurpose {
                expected: "authentication".to_owned(),
                found: "assertionMethod".to_owned()
            })
        );

        let mut unknown = signed.clone();
        unknown["proof"]["proofPurpose"] = json!("capabilityInvocation");
        assert!(matches!(
            verify(&unknown, only(vm.clone(), public)),
            Err(CredentialError::WrongProofPurpose { .. })
        ));
    }
}

#[test]
fn unsupported_suites_and_types_fail() {
    let (secret, public, vm) = issuer();
    let signed = sign(
        &health_credential(),
        &secret,
        &options(Cryptosuite::EddsaJcs2022, &vm),
    )
    .unwrap();
    let mut other = signed.clone();
    other["proof"]["cryptosuite"] = json!("ecdsa-rdfc-2019");
    assert!(matches!(
        verify(&other, only(vm.clone(), public)),
        Err(CredentialError::UnsupportedCryptosuite(_))
    ));
    let mut other = signed.clone();
    other["proof"]["type"] = json!("Ed25519Signature2020");
    assert!(matches!(
        verify(&other, only(vm.clone(), public)),
        Err(CredentialError::UnsupportedCryptosuite(_))
    ));
    assert!(matches!(
        "eddsa-2022".parse::<Cryptosuite>(),
        Err(CredentialError::UnsupportedCryptosuite(_))
    ));
}

#[test]
fn names_round_trip() {
    for suite in Cryptosuite::ALL {
        assert_eq!(suite.as_str().parse::<Cryptosuite>().unwrap(), suite);
        assert_eq!(suite.to_string(), suite.as_str());
    }
    for purpose in [ProofPurpose::AssertionMethod, ProofPurpose::Authentication] {
        assert_eq!(purpose.as_str().parse::<ProofPurpose>().unwrap(), purpose);
    }
    assert_eq!(ProofPurpose::AssertionMethod.as_str(), "assertionMethod");
    assert_eq!(ProofPurpose::Authentication.as_str(), "authentication");
}

#[test]
fn created_defaults_to_now() {
    let (secret, public, vm) = issuer();
    let signed = sign(
        &health_credential(),
        &secret,
        &ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    let created = signed["proof"]["created"].as_str().unwrap();
    assert_eq!(created.len(), "2025-03-01T10:00:00Z".len(), "{created}");
    assert!(created.ends_with('Z'));
    verify(&signed, only(vm, public)).unwrap();
}

#[test]
fn bad_options_are_refused() {
    let (secret, _, vm) = issuer();
    let mut bad = options(Cryptosuite::EddsaRdfc2022, &vm);
    bad.created = Some("yesterday".to_owned());
    assert!(matches!(
        sign(&health_credential(), &secret, &bad),
        Err(CredentialError::InvalidOptions(_))
    ));
    let mut bad = options(Cryptosuite::EddsaRdfc2022, &vm);
    bad.created = Some("2025-03-01T10:00:00".to_owned()); // no time zone
    assert!(matches!(
        sign(&health_credential(), &secret, &bad),
        Err(CredentialError::InvalidOptions(_))
    ));
    let bad = options(Cryptosuite::EddsaJcs2022, "not a DID URL");
    assert!(matches!(
        sign(&health_credential(), &secret, &bad),
        Err(CredentialError::InvalidOptions(_))
    ));
}

#[test]
fn malformed_input_never_panics() {
    let (secret, public, vm) = issuer();
    let signed = sign(
        &health_credential(),
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();

    let malformed_documents = [
        json!(null),
        json!("a string"),
        json!([1, 2, 3]),
        json!({}),
        json!({"proof": 5}),
        json!({"proof": "z123"}),
        json!({"proof": {}}),
        json!({"proof": {"type": 7}}),
        json!({"proof": [signed["proof"].clone(), signed["proof"].clone()]}),
        json!({"@context": 12, "proof": signed["proof"].clone()}),
        json!({"@context": [[]], "proof": signed["proof"].clone()}),
        json!({"@context": "not an iri", "proof": signed["proof"].clone()}),
        json!({"@context": {"@vocab": 3}, "proof": signed["proof"].clone()}),
    ];
    for document in &malformed_documents {
        assert!(
            verify(document, only(vm.clone(), public)).is_err(),
            "{document}"
        );
        let _ = sign(document, &secret, &options(Cryptosuite::EddsaRdfc2022, &vm));
        let _ = sign(document, &secret, &options(Cryptosuite::EddsaJcs2022, &vm));
    }

    let mut proof_mutations: Vec<Value> = Vec::new();
    for (key, value) in [
        ("proofValue", json!("not multibase")),
        ("proofValue", json!("uAAAA")),
        ("proofValue", json!("z")),
        ("proofValue", json!(12)),
        ("verificationMethod", json!({"id": "x"})),
        ("created", json!("garbage")),
        ("challenge", json!(["a", "b"])),
        ("cryptosuite", json!(null)),
    ] {
        let mut doc = signed.clone();
        doc["proof"][key] = value;
        proof_mutations.push(doc);
    }
    let mut doc = signed.clone();
    doc["proof"].as_object_mut().unwrap().remove("proofValue");
    proof_mutations.push(doc);
    for document in &proof_mutations {
        assert!(
            matches!(
                verify(document, only(vm.clone(), public)),
                Err(CredentialError::MalformedDocument(_)
                    | CredentialError::UnsupportedCryptosuite(_))
            ),
            "{document}"
        );
    }

    // A key lookup that returns bytes that are not a curve point.
    let result = verify(&signed, |_| Ok([0xffu8; 32]));
    assert!(result.is_err());

    // Signing a document that already has a proof is refused.
    assert!(matches!(
        sign(&signed, &secret, &options(Cryptosuite::EddsaRdfc2022, &vm)),
        Err(CredentialError::MalformedDocument(_))
    ));
}

#[test]
fn application_contexts_can_be_registered_but_not_replace_ssi_ones() {
    let engine = sovra_credentials::ProofEngine::new();
    assert!(matches!(
        engine.clone().with_context(
            "https://www.w3.org/ns/credentials/v2",
            r#"{"@context": {}}"#
        ),
        Err(CredentialError::InvalidOptions(_))
    ));
    assert!(matches!(
        engine
            .clone()
            .with_context("https://app.example/v1", "not json"),
        Err(CredentialError::InvalidOptions(_))
    ));
    let engine = engine
        .with_context(
            "https://app.example/v1",
            r#"{"@context": {"favouriteColour": "https://app.example/vocab#favouriteColour"}}"#,
        )
        .unwrap();
    let (secret, public, vm) = issuer();
    let mut credential = health_credential();
    credential["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://app.example/v1"));
    credential["credentialSubject"]["favouriteColour"] = json!("green");
    for suite in Cryptosuite::ALL {
        let signed = engine
            .sign(&credential, &secret, &options(suite, &vm))
            .unwrap();
        engine
            .verify(&signed, &VerifyOptions::default(), only(vm.clone(), public))
            .unwrap();
        // The default engine does not know the application context.
        assert!(matches!(
            verify(&signed, only(vm.clone(), public)),
            Err(CredentialError::UnknownContext { .. })
        ));
    }
}

#[test]
fn jcs_context_rules() {
    let (secret, public, vm) = issuer();
    let signed = sign(
        &health_credential(),
        &secret,
        &options(Cryptosuite::EddsaJcs2022, &vm),
    )
    .unwrap();
    // The proof carries the document's @context.
    assert_eq!(signed["proof"]["@context"], signed["@context"]);

    // An unknown context appended to the document after signing is refused.
    let mut appended = signed.clone();
    appended["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!("https://remote.example/extra"));
    assert_eq!(
        verify(&appended, only(vm.clone(), public)),
        Err(CredentialError::UnknownContext {
            url: "https://remote.example/extra".to_owned()
        })
    );

    // A document @context that does not start with the proof's fails.
    let mut reordered = signed.clone();
    reordered["@context"] = json!([SOVRA_CONTEXT_URL, "https://www.w3.org/ns/credentials/v2"]);
    assert_eq!(
        verify(&reordered, only(vm.clone(), public)),
        Err(CredentialError::InvalidSignature)
    );
}
