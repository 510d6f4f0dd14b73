//! Safe mode: every value a reader sees must be covered by the signature.
//! Documents whose JSON-LD expansion would drop or blank out a value are
//! refused when signing and when verifying (the attack: a value that is not
//! signed is changed after issuance and the credential still verifies).

use crate::common::only;
use serde_json::{Value, json};
use sovra_credentials::{
    CREDENTIALS_V2_URL, CredentialError, Cryptosuite, ProofEngine, ProofOptions, SOVRA_CONTEXT_URL,
    SOVRA_CONTEXT_V1_URL, UNDEFINED_TERMS_CONTEXT_URL, did_key_verification_method,
    ed25519_public_key_from_secret, parse_document, select::with_standard_contexts, sign, verify,
};

fn issuer() -> ([u8; 32], [u8; 32], String) {
    let secret = [0x44u8; 32];
    let public = ed25519_public_key_from_secret(&secret);
    (secret, public, did_key_verification_method(&public))
}

fn options(suite: Cryptosuite, vm: &str) -> ProofOptions {
    let mut options = ProofOptions::assertion(suite, vm);
    options.created = Some("2025-03-01T10:00:00Z".to_owned());
    options
}

/// A health credential under the first Sovra context, whose `laboratory`
/// is an IRI (`"@type": "@id"`).
fn v1_credential(laboratory: Value) -> Value {
    json!({
        "@context": [CREDENTIALS_V2_URL, SOVRA_CONTEXT_V1_URL],
        "id": "urn:uuid:6c0f3a92-8a31-4f0e-9a43-7e1c2b1d9f10",
        "type": ["VerifiableCredential", "HealthTestCredential"],
        "issuer": "did:sovra:lab",
        "credentialSubject": {
            "id": "did:sovra:alice",
            "result": "negative",
            "laboratory": laboratory
        }
    })
}

fn assert_unsafe(result: Result<impl std::fmt::Debug, CredentialError>, what: &str) {
    match result {
        Err(CredentialError::UnsafeDocument(_)) => {}
        other => panic!("{what}: expected an unsafe-document refusal, got {other:?}"),
    }
}

#[test]
fn tampered_non_iri_claim_fails_verification() {
    // `"laboratory": "Example Labs"` under the v1 context became a blank
    // node: the same signed N-Quads as an empty node object. Sign that form,
    // then show any laboratory name: before safe mode every name verified.
    let (secret, public, vm) = issuer();
    let signed = sign(
        &v1_credential(json!({})),
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    verify(&signed, only(vm.clone(), public)).unwrap();
    for name in ["Example Labs", "Evil Labs"] {
        let mut shown = signed.clone();
        shown["credentialSubject"]["laboratory"] = json!(name);
        assert_unsafe(verify(&shown, only(vm.clone(), public)), name);
    }
    // An IRI value is signed: changing it breaks the signature.
    let signed = sign(
        &v1_credential(json!("did:sovra:lab")),
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    let mut tampered = signed.clone();
    tampered["credentialSubject"]["laboratory"] = json!("did:sovra:evil-lab");
    assert_eq!(
        verify(&tampered, only(vm.clone(), public)),
        Err(CredentialError::InvalidSignature)
    );
}

#[test]
fn text_claims_are_signed_as_text_with_the_current_sovra_context() {
    let (secret, public, vm) = issuer();
    let mut credential = v1_credential(json!("Example Labs"));
    credential["@context"] = json!([CREDENTIALS_V2_URL, SOVRA_CONTEXT_URL]);
    for suite in Cryptosuite::ALL {
        let signed = sign(&credential, &secret, &options(suite, &vm)).unwrap();
        verify(&signed, only(vm.clone(), public)).unwrap();
        let mut tampered = signed.clone();
        tampered["credentialSubject"]["laboratory"] = json!("Evil Labs");
        assert_eq!(
            verify(&tampered, only(vm.clone(), public)),
            Err(CredentialError::InvalidSignature),
            "{suite}"
        );
    }
}

#[test]
fn relative_credential_id_fails_verification() {
    // A credential without an `id` is a blank node; so was one whose `id` is
    // a relative reference. Adding (or changing) one after signing verified.
    let (secret, public, vm) = issuer();
    let mut credential = v1_credential(json!("did:sovra:lab"));
    credential.as_object_mut().unwrap().remove("id");
    let signed = sign(
        &credential,
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    verify(&signed, only(vm.clone(), public)).unwrap();
    for id in ["credential-1", "../other", "#frag"] {
        let mut shown = signed.clone();
        shown["id"] = json!(id);
        assert_unsafe(verify(&shown, only(vm.clone(), public)), id);
    }
    // The same goes for an issuer that is not an IRI.
    let mut shown = signed.clone();
    shown["issuer"] = json!("Example Labs");
    assert_unsafe(verify(&shown, only(vm.clone(), public)), "issuer");
}

#[test]
fn signing_refuses_documents_whose_expansion_drops_something() {
    let (secret, _, vm) = issuer();
    let base = v1_credential(json!("did:sovra:lab"));
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut add = |what: &'static str, edit: &dyn Fn(&mut Value)| {
        let mut doc = base.clone();
        edit(&mut doc);
        cases.push((what, doc));
    };
    add("text where the context expects an IRI", &|d| {
        d["credentialSubject"]["laboratory"] = json!("Example Labs")
    });
    add("relative credential id", &|d| {
        d["id"] = json!("credential-1")
    });
    add("relative subject id", &|d| {
        d["credentialSubject"]["id"] = json!("alice")
    });
    add("blank node label", &|d| {
        d["credentialSubject"]["id"] = json!("_:alice")
    });
    add("null value", &|d| {
        d["credentialSubject"]["result"] = Value::Null
    });
    add("keyword-like key", &|d| {
        d["credentialSubject"]["@comment"] = json!("dropped")
    });
    add("index", &|d| {
        d["credentialSubject"]["result"] = json!({"@value": "negative", "@index": "x"})
    });
    add(
        "base direction",
        &|d| {
            d["credentialSubject"]["result"] =
                json!({"@value": "negative", "@language": "ar", "@direction": "rtl"})
        },
    );
    add("empty list", &|d| {
        d["credentialSubject"]["result"] = json!([])
    });
    add("ordered list", &|d| {
        d["credentialSubject"]["result"] = json!({"@list": ["negative", "positive"]})
    });
    add("inline context", &|d| {
        d["@context"]
            .as_array_mut()
            .unwrap()
            .push(json!({"note": null}))
    });
    add("bare value in a graph", &|d| {
        d["credentialSubject"]["@graph"] = json!(["dropped"])
    });
    add("integer a double rounds", &|d| {
        d["credentialSubject"]["result"] = json!(12345678901234567891u64)
    });
    add("proof with its own context", &|d| {
        d["proof"] = json!({"@context": [CREDENTIALS_V2_URL]})
    });
    for (what, doc) in &cases {
        let result = if what.starts_with("proof") {
            // A document with a proof is refused for that reason first;
            // this case is checked on verification below.
            continue;
        } else {
            sign(doc, &secret, &options(Cryptosuite::EddsaRdfc2022, &vm))
        };
        assert_unsafe(result, what);
    }
    // Undefined terms and malformed language tags are refused too.
    let mut undefined = base.clone();
    undefined["credentialSubject"]["favouriteColour"] = json!("green");
    assert!(matches!(
        sign(
            &undefined,
            &secret,
            &options(Cryptosuite::EddsaRdfc2022, &vm)
        ),
        Err(CredentialError::JsonLd(_))
    ));
    let mut language = base.clone();
    language["credentialSubject"]["result"] = json!({"@value": "x", "@language": "not a tag!"});
    assert_unsafe(
        sign(
            &language,
            &secret,
            &options(Cryptosuite::EddsaRdfc2022, &vm),
        ),
        "language tag",
    );
}

#[test]
fn rdfc_proof_with_a_context_of_its_own_is_refused() {
    let (secret, public, vm) = issuer();
    let signed = sign(
        &v1_credential(json!("did:sovra:lab")),
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    let mut shown = signed.clone();
    shown["proof"]["@context"] = json!([CREDENTIALS_V2_URL, UNDEFINED_TERMS_CONTEXT_URL]);
    assert_unsafe(verify(&shown, only(vm, public)), "proof @context");
}

#[test]
fn jcs_refuses_contexts_appended_after_signing() {
    // eddsa-jcs-2022 signs the document with the proof's @context; a known
    // context appended afterwards changed the document's meaning unsigned.
    let (secret, public, vm) = issuer();
    let mut credential = v1_credential(json!("did:sovra:lab"));
    credential["@context"] = json!([CREDENTIALS_V2_URL]);
    credential["type"] = json!(["VerifiableCredential"]);
    credential["credentialSubject"] = json!({"id": "did:sovra:alice", "name": "Alice"});
    let signed = sign(
        &credential,
        &secret,
        &options(Cryptosuite::EddsaJcs2022, &vm),
    )
    .unwrap();
    verify(&signed, only(vm.clone(), public)).unwrap();
    let mut appended = signed.clone();
    appended["@context"]
        .as_array_mut()
        .unwrap()
        .push(json!(UNDEFINED_TERMS_CONTEXT_URL));
    assert_unsafe(verify(&appended, only(vm, public)), "appended context");
}

#[test]
fn jcs_refuses_integers_a_double_rounds() {
    let (secret, _, vm) = issuer();
    let mut credential = v1_credential(json!("did:sovra:lab"));
    credential["credentialSubject"]["result"] = json!(9007199254740993u64);
    assert_unsafe(
        sign(
            &credential,
            &secret,
            &options(Cryptosuite::EddsaJcs2022, &vm),
        ),
        "integer beyond 2^53",
    );
}

#[test]
fn duplicate_keys_in_a_credential_file_are_refused() {
    // serde_json keeps the last duplicate, other readers the first: a
    // viewer could show "positive" while "negative" is what was signed.
    let (secret, _, vm) = issuer();
    let signed = sign(
        &v1_credential(json!("did:sovra:lab")),
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
    let text = serde_json::to_string(&signed).unwrap();
    assert!(parse_document(text.as_bytes()).is_ok());
    let doubled = text.replacen(
        "\"result\":\"negative\"",
        "\"result\":\"positive\",\"result\":\"negative\"",
        1,
    );
    assert_ne!(doubled, text);
    assert!(matches!(
        parse_document(doubled.as_bytes()),
        Err(CredentialError::MalformedDocument(m)) if m.contains("duplicate key")
    ));
}

#[test]
fn look_alike_blank_nodes_are_bounded() {
    // RDF canonicalization is exponential in the worst case; a document
    // from the network with many interchangeable blank nodes is refused.
    let (secret, _, vm) = issuer();
    let mut credential = v1_credential(json!("did:sovra:lab"));
    credential["credentialSubject"]["laboratory"] = Value::Array(vec![json!({}); 40]);
    // Identical empty objects are one JSON-LD node each.
    assert_unsafe(
        sign(
            &credential,
            &secret,
            &options(Cryptosuite::EddsaRdfc2022, &vm),
        ),
        "look-alike blank nodes",
    );
    // A few are fine.
    credential["credentialSubject"]["laboratory"] = Value::Array(vec![json!({}); 3]);
    sign(
        &credential,
        &secret,
        &options(Cryptosuite::EddsaRdfc2022, &vm),
    )
    .unwrap();
}

#[test]
fn new_credentials_get_the_most_standard_contexts() {
    let engine = ProofEngine::shared();
    let credential = |types: Value, subject: Value| json!({"type": types, "issuer": "did:sovra:lab", "credentialSubject": subject});
    let contexts = |c: Value| with_standard_contexts(engine, c).unwrap()["@context"].clone();
    // The VC 2.0 context's own terms need nothing else.
    assert_eq!(
        contexts(credential(
            json!("VerifiableCredential"),
            json!({"id": "did:sovra:alice", "name": "Alice"})
        )),
        json!([CREDENTIALS_V2_URL])
    );
    // Sovra's terms keep their meaning.
    assert_eq!(
        contexts(credential(
            json!(["VerifiableCredential", "HealthTestCredential"]),
            json!({"id": "did:sovra:alice", "testType": "PCR", "laboratory": "Example Labs"})
        )),
        json!([CREDENTIALS_V2_URL, SOVRA_CONTEXT_URL])
    );
    // A type and claims no context defines use the W3C undefined-terms context.
    assert_eq!(
        contexts(credential(
            json!(["VerifiableCredential", "MembershipCredential"]),
            json!({"id": "did:sovra:alice", "memberSince": "2020"})
        )),
        json!([CREDENTIALS_V2_URL, UNDEFINED_TERMS_CONTEXT_URL])
    );
    assert_eq!(
        contexts(credential(
            json!(["VerifiableCredential", "HealthTestCredential"]),
            json!({"id": "did:sovra:alice", "result": "negative", "ward": "7"})
        )),
        json!([
            CREDENTIALS_V2_URL,
            SOVRA_CONTEXT_URL,
            UNDEFINED_TERMS_CONTEXT_URL
        ])
    );
    // A problem no context fixes is reported.
    assert!(matches!(
        with_standard_contexts(
            engine,
            credential(json!("VerifiableCredential"), json!({"id": "alice"}))
        ),
        Err(CredentialError::UnsafeDocument(_))
    ));
}

#[test]
fn contexts_are_served_byte_for_byte_as_loaded() {
    // What a node serves at /contexts/{name} is what this crate verifies with.
    let engine = ProofEngine::new();
    for served in sovra_credentials::SERVED_CONTEXTS {
        assert!(engine.knows_context(served.url), "{}", served.url);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contexts")
            .join(served.name);
        if path.is_file() {
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                served.document,
                "{}",
                served.name
            );
        }
        assert_eq!(served.sha256_hex().len(), 64);
    }
    assert_eq!(
        sovra_credentials::contexts::served_context("sovra-credentials-v2.jsonld")
            .unwrap()
            .document,
        sovra_credentials::SOVRA_CONTEXT
    );
}
