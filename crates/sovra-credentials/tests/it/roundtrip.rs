//! Property test: sign-then-verify round trips for random string field
//! values, for both cryptosuites, and any change of a signed value is
//! detected.

use proptest::prelude::*;
use serde_json::json;
use sovra_credentials::{
    CredentialError, Cryptosuite, ProofOptions, SOVRA_CONTEXT_URL, did_key_verification_method,
    ed25519_public_key_from_secret, sign, verify,
};

fn suite() -> impl Strategy<Value = Cryptosuite> {
    prop_oneof![
        Just(Cryptosuite::EddsaRdfc2022),
        Just(Cryptosuite::EddsaJcs2022)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_round_trips(
        suite in suite(),
        seed in any::<[u8; 32]>(),
        name in any::<String>(),
        test_type in any::<String>(),
        result in "\\PC*",
        other_result in "\\PC*",
    ) {
        let public = ed25519_public_key_from_secret(&seed);
        let vm = did_key_verification_method(&public);
        let credential = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", SOVRA_CONTEXT_URL],
            "type": ["VerifiableCredential", "HealthTestCredential"],
            "name": name,
            "issuer": "did:sovra:lab",
            "credentialSubject": {
                "id": "did:sovra:alice",
                "testType": test_type,
                "result": result,
            }
        });
        let mut options = ProofOptions::assertion(suite, vm.clone());
        options.created = Some("2025-03-01T10:00:00Z".to_owned());
        let signed = sign(&credential, &seed, &options).unwrap();
        let lookup = |method: &str| if method == vm { Ok(public) } else { Err("unknown".to_owned()) };
        let proof = verify(&signed, lookup).unwrap();
        prop_assert_eq!(proof.cryptosuite, suite);

        if other_result != result {
            let mut tampered = signed.clone();
            tampered["credentialSubject"]["result"] = json!(other_result);
            prop_assert_eq!(verify(&tampered, lookup), Err(CredentialError::InvalidSignature));
        }
    }
}
