//! Execution of the identity actions: creating, updating, rotating and
//! deactivating `did:sovra` documents, signing as a `did:sovra`, the trust
//! registry and status-list anchors; plus a property test that every
//! version of a randomly updated document stays readable exactly as written.

use crate::common::{CHAIN, Chain, account, code, did, doc_for, raw, rejection};
use proptest::prelude::*;
use sovra_crypto::{MultikeyType, SigningKey};
use sovra_execution::Rejection;
use sovra_types::{
    AccountsAction, Action, ContentId, Did, DidDocument, IdentityAction, ReceiptStatus,
    RegistryAction, Relationship, Relationships, Service, StateKey, StatusListAnchor,
    VerificationMethod, VerifierRecord, identity::derive_sovra_did,
};

impl Chain {
    /// Runs one action of `signer` (signed with `key`); returns its status.
    fn run_identity(&mut self, signer: &Did, key: &SigningKey, action: Action) -> ReceiptStatus {
        self.run_all(signer, key, vec![action]).status
    }
}

#[test]
fn create_records_version_one_and_extends_both_receipt_chains() {
    let (ks, mut c) = Chain::new(&[1_000]);
    let sovra = c.create_did(&ks[0], doc_for(&ks[0]));
    let record = c.did_record(&sovra).unwrap();
    assert_eq!(record.version, 1);
    assert_eq!(record.created_height, 1);
    assert_eq!(record.created_ms, 1_000);
    assert!(!record.deactivated);
    assert_eq!(record.document, doc_for(&ks[0]));
    assert_eq!(c.did_version(&sovra, 1).unwrap(), record);
    assert_eq!(account(&c.state, &sovra).receipt_count, 1);
    assert_eq!(account(&c.state, &did(&ks[0])).receipt_count, 1);
}

#[test]
fn a_did_sovra_signs_with_its_capability_invocation_keys_only() {
    let (ks, mut c) = Chain::new(&[1_000, 0, 0]);
    let sovra = c.create_did(&ks[0], doc_for(&ks[1]).with_controller(&ks[0]));
    c.fund(&ks[0], &sovra, 100);
    // Its own key signs a transfer.
    let status = c.run_identity(
        &sovra,
        &ks[1],
        Action::Accounts(AccountsAction::Transfer {
            to: did(&ks[2]),
            amount: 10,
        }),
    );
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(account(&c.state, &did(&ks[2])).balance, 10);
    // Another key (even its controller's) may not sign as it.
    let t = c.pay(&sovra, &ks[0], &did(&ks[2]), 1);
    assert!(matches!(rejection(c.exec(t)), Rejection::BadSignature(_)));
    // An unregistered did:sovra cannot sign at all.
    let ghost = derive_sovra_did(CHAIN, &did(&ks[2]), 7, 0);
    let t = c.pay(&ghost, &ks[1], &did(&ks[2]), 1);
    assert!(matches!(rejection(c.exec(t)), Rejection::UnknownSigner(_)));
}

trait WithController {
    fn with_controller(self, k: &SigningKey) -> Self;
}

impl WithController for DidDocument {
    fn with_controller(mut self, k: &SigningKey) -> Self {
        self.controllers.push(did(k));
        self
    }
}

/// `doc_for(k)` with its one method under the id `key-{n}`.
fn doc_numbered(k: &SigningKey, n: usize) -> DidDocument {
    let mut doc = doc_for(k);
    doc.methods[0].id = format!("key-{n}");
    doc
}

/// A funded did:sovra controlled by `ks[1]`'s key.
fn self_controlled() -> (Vec<SigningKey>, Chain, Did) {
    let (ks, mut c) = Chain::new(&[1_000, 1_000, 0]);
    let sovra = c.create_did(&ks[1], doc_for(&ks[1]));
    c.fund(&ks[0], &sovra, 100);
    (ks, c, sovra)
}

/// The did:sovra replaces its version 1 with `document`, signing with `key`.
fn update_version_1(
    c: &mut Chain,
    sovra: &Did,
    key: &SigningKey,
    document: DidDocument,
) -> ReceiptStatus {
    c.run_identity(
        sovra,
        key,
        Action::Identity(IdentityAction::Update {
            did: sovra.clone(),
            previous_version: 1,
            document,
        }),
    )
}

#[test]
fn key_rotation_moves_control_to_the_new_key() {
    let (ks, mut c, sovra) = self_controlled();
    // The DID rotates itself from key 1 to key 2, under a new id.
    let status = update_version_1(&mut c, &sovra, &ks[1], doc_numbered(&ks[2], 2));
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(c.did_record(&sovra).unwrap().version, 2);
    let old = c.pay(&sovra, &ks[1], &did(&ks[0]), 1);
    assert!(matches!(rejection(c.exec(old)), Rejection::BadSignature(_)));
    let new = c.pay(&sovra, &ks[2], &did(&ks[0]), 1);
    assert_eq!(c.exec(new).unwrap().status, ReceiptStatus::Completed);
    // Both versions stay readable.
    assert_eq!(c.did_version(&sovra, 1).unwrap().document, doc_for(&ks[1]));
    assert_eq!(
        c.did_version(&sovra, 2).unwrap().document,
        doc_numbered(&ks[2], 2)
    );
}

#[test]
fn a_new_key_under_the_id_of_the_current_one_is_refused() {
    // A verifier that resolves the current document must see a credential
    // signed by the replaced key as signed by an unknown key, not as an
    // invalid signature: `#key-1` may not change its key.
    let (ks, mut c, sovra) = self_controlled();
    let status = update_version_1(&mut c, &sovra, &ks[1], doc_for(&ks[2]));
    assert_eq!(code(status), "key_id_reused");
    let record = c.did_record(&sovra).unwrap();
    assert_eq!(record.version, 1);
    assert_eq!(record.document, doc_for(&ks[1]));
    // Changing the relationships of an id while keeping its key is fine.
    let mut fewer = doc_for(&ks[1]);
    fewer.methods[0].relationships = Relationships::of(&[Relationship::CapabilityInvocation]);
    let status = update_version_1(&mut c, &sovra, &ks[1], fewer);
    assert_eq!(status, ReceiptStatus::Completed);
}

#[test]
fn controllers_may_update_others_may_not() {
    let (ks, mut c) = Chain::new(&[1_000, 1_000, 1_000]);
    let sovra = c.create_did(&ks[0], doc_for(&ks[0]).with_controller(&ks[1]));
    let mut next = doc_for(&ks[0]).with_controller(&ks[1]);
    next.services.push(Service {
        id: "web".into(),
        service_type: "LinkedDomains".into(),
        endpoint: "https://example.org/".into(),
    });
    // A stranger is refused, and its fee is still charged.
    let before = account(&c.state, &did(&ks[2])).balance;
    let status = c.run_identity(
        &did(&ks[2]),
        &ks[2],
        Action::Identity(IdentityAction::Update {
            did: sovra.clone(),
            previous_version: 1,
            document: next.clone(),
        }),
    );
    assert_eq!(code(status), "not_controller");
    assert_eq!(account(&c.state, &did(&ks[2])).balance, before - 1);
    assert_eq!(c.did_record(&sovra).unwrap().version, 1);
    // The controller succeeds.
    let status = c.run_identity(
        &did(&ks[1]),
        &ks[1],
        Action::Identity(IdentityAction::Update {
            did: sovra.clone(),
            previous_version: 1,
            document: next.clone(),
        }),
    );
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(c.did_record(&sovra).unwrap().document, next);
    // A stale version is refused.
    let status = c.run_identity(
        &did(&ks[1]),
        &ks[1],
        Action::Identity(IdentityAction::Update {
            did: sovra.clone(),
            previous_version: 1,
            document: doc_for(&ks[0]),
        }),
    );
    assert_eq!(code(status), "version_conflict");
}

#[test]
fn invalid_and_uncontrolled_documents_fail_and_change_nothing() {
    let (ks, mut c) = Chain::new(&[1_000, 0]);
    let signer = did(&ks[0]);
    // The creator controls neither the key nor is it a controller.
    let status = c.run_identity(
        &signer,
        &ks[0],
        Action::Identity(IdentityAction::Create {
            document: doc_for(&ks[1]),
        }),
    );
    assert_eq!(code(status), "not_controller");
    // X25519 key under authentication.
    let mut bad = doc_for(&ks[0]);
    bad.methods.push(VerificationMethod {
        id: "enc".into(),
        key_type: MultikeyType::X25519,
        public_key: [7; 32],
        relationships: Relationships::of(&[Relationship::Authentication]),
    });
    let status = c.run_identity(
        &signer,
        &ks[0],
        Action::Identity(IdentityAction::Create { document: bad }),
    );
    assert_eq!(code(status), "invalid_document");
    assert!(
        !c.state
            .values
            .keys()
            .any(|k| matches!(k, StateKey::Did(_) | StateKey::DidVersion { .. }))
    );
    // Updating a DID that does not exist.
    let ghost = derive_sovra_did(CHAIN, &signer, 99, 0);
    let status = c.run_identity(
        &signer,
        &ks[0],
        Action::Identity(IdentityAction::Update {
            did: ghost,
            previous_version: 1,
            document: doc_for(&ks[0]),
        }),
    );
    assert_eq!(code(status), "did_not_found");
}

#[test]
fn deactivation_is_final() {
    let (ks, mut c) = Chain::new(&[1_000]);
    let sovra = c.create_did(&ks[0], doc_for(&ks[0]));
    c.fund(&ks[0], &sovra, 100);
    let status = c.run_identity(
        &sovra,
        &ks[0],
        Action::Identity(IdentityAction::Deactivate {
            did: sovra.clone(),
            previous_version: 1,
        }),
    );
    assert_eq!(status, ReceiptStatus::Completed);
    let record = c.did_record(&sovra).unwrap();
    assert!(record.deactivated);
    assert_eq!(record.version, 2);
    assert!(!c.did_version(&sovra, 1).unwrap().deactivated);
    // It can neither sign nor be changed by anyone.
    let t = c.pay(&sovra, &ks[0], &did(&ks[0]), 1);
    assert!(matches!(
        rejection(c.exec(t)),
        Rejection::SignerDeactivated(_)
    ));
}

#[test]
fn several_dids_in_one_transaction_get_distinct_identifiers() {
    let (ks, mut c) = Chain::new(&[1_000]);
    let signer = did(&ks[0]);
    let t = c.tx(
        &signer,
        &ks[0],
        vec![
            Action::Identity(IdentityAction::Create {
                document: doc_for(&ks[0]),
            }),
            Action::Identity(IdentityAction::Create {
                document: doc_for(&ks[0]),
            }),
        ],
    );
    assert_eq!(c.exec(t).unwrap().status, ReceiptStatus::Completed);
    let a = derive_sovra_did(CHAIN, &signer, 0, 0);
    let b = derive_sovra_did(CHAIN, &signer, 0, 1);
    assert!(c.did_record(&a).is_some() && c.did_record(&b).is_some());
}

#[test]
fn only_the_registry_authority_changes_the_trust_registry() {
    let (ks, mut c) = Chain::with_authority(&[1_000, 1_000, 0], Some(0));
    let lab = did(&ks[2]);
    let register = Action::Registry(RegistryAction::RegisterVerifier {
        verifier: lab.clone(),
        name: "Example Labs".into(),
        credential_types: vec!["HealthTestCredential".into()],
    });
    let status = c.run_identity(&did(&ks[1]), &ks[1], register.clone());
    assert_eq!(code(status), "not_registry_authority");
    let status = c.run_identity(&did(&ks[0]), &ks[0], register);
    assert_eq!(status, ReceiptStatus::Completed);
    let record = VerifierRecord::decode(&c.state.values[&StateKey::Verifier(lab.clone())]).unwrap();
    assert_eq!(record.credential_types, vec!["HealthTestCredential"]);
    // The verifier's receipt chain records the refused and the accepted registration.
    assert_eq!(account(&c.state, &lab).receipt_count, 2);
    let bad = Action::Registry(RegistryAction::RegisterVerifier {
        verifier: lab.clone(),
        name: "Example Labs".into(),
        credential_types: vec!["has space".into()],
    });
    assert_eq!(
        code(c.run_identity(&did(&ks[0]), &ks[0], bad)),
        "invalid_verifier"
    );
    let remove = Action::Registry(RegistryAction::RemoveVerifier {
        verifier: lab.clone(),
    });
    assert_eq!(
        c.run_identity(&did(&ks[0]), &ks[0], remove.clone()),
        ReceiptStatus::Completed
    );
    assert!(!c.state.values.contains_key(&StateKey::Verifier(lab)));
    assert_eq!(
        code(c.run_identity(&did(&ks[0]), &ks[0], remove)),
        "verifier_not_found"
    );
}

#[test]
fn without_an_authority_the_registry_is_fixed() {
    let (ks, mut c) = Chain::new(&[1_000]);
    let status = c.run_identity(
        &did(&ks[0]),
        &ks[0],
        Action::Registry(RegistryAction::RegisterVerifier {
            verifier: did(&ks[0]),
            name: "Me".into(),
            credential_types: vec!["KycCredential".into()],
        }),
    );
    assert_eq!(code(status), "not_registry_authority");
}

#[test]
fn status_list_anchors_count_versions_and_need_raw_sha256_cids() {
    let (ks, mut c) = Chain::new(&[1_000]);
    let issuer = did(&ks[0]);
    let raw_cid =
        ContentId::parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e").unwrap();
    for expected in 1..=2 {
        let status = c.run_identity(
            &issuer,
            &ks[0],
            Action::Registry(RegistryAction::AnchorStatusList {
                list_id: "revocation-1".into(),
                cid: raw_cid.clone(),
            }),
        );
        assert_eq!(status, ReceiptStatus::Completed);
        let key = StateKey::StatusList {
            issuer: issuer.clone(),
            list_id: "revocation-1".into(),
        };
        let anchor = StatusListAnchor::decode(&c.state.values[&key]).unwrap();
        assert_eq!(anchor.version, expected);
        assert_eq!(anchor.cid, raw_cid);
    }
    let dag =
        ContentId::parse("bafybeihbcun7kmnclprneohnrau2px4fzejewfpwyzx4kv3mha5j5wnvty").unwrap();
    let status = c.run_identity(
        &issuer,
        &ks[0],
        Action::Registry(RegistryAction::AnchorStatusList {
            list_id: "revocation-1".into(),
            cid: dag,
        }),
    );
    assert_eq!(code(status), "invalid_status_list");
}

/// One step of a random DID history.
#[derive(Clone, Debug)]
enum Step {
    /// Replace the document with one using these test keys (by index) and services.
    Update { keys: Vec<u8>, services: u8 },
    /// A refused update (stale version) that must leave no trace.
    Stale,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (proptest::collection::vec(0u8..6, 1..4), 0u8..3)
            .prop_map(|(keys, services)| Step::Update { keys, services }),
        1 => Just(Step::Stale),
    ]
}

fn document(keys: &[SigningKey], picks: &[u8], services: u8) -> DidDocument {
    let mut doc = DidDocument::default();
    let mut picks = picks.to_vec();
    picks.sort();
    picks.dedup();
    for (n, p) in picks.iter().enumerate() {
        doc.methods.push(VerificationMethod {
            id: format!("key-{p}"),
            key_type: MultikeyType::Ed25519,
            public_key: raw(&keys[*p as usize]),
            relationships: if n == 0 {
                Relationships::of(&[Relationship::CapabilityInvocation])
            } else {
                Relationships::of(&[Relationship::Authentication, Relationship::AssertionMethod])
            },
        });
    }
    for s in 0..services {
        doc.services.push(Service {
            id: format!("svc-{s}"),
            service_type: "LinkedDomains".into(),
            endpoint: format!("https://example.org/{s}"),
        });
    }
    doc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever sequence of updates happens, the record of each version is
    /// exactly the document that version was given, with increasing times,
    /// and the current record is the last version.
    #[test]
    fn every_version_reads_back_exactly(steps in proptest::collection::vec(step(), 1..12)) {
        let keys: Vec<SigningKey> = (10..16).map(SigningKey::from_test_seed).collect();
        let (ks, mut c) = Chain::new(&[1_000_000]);
        let payer = did(&ks[0]);
        let first = document(&keys, &[0], 0);
        let mut expected = vec![first.clone()];
        // The payer controls the DID so every update can be signed by it.
        let sovra = c.create_did(&ks[0], first.with_controller(&ks[0]));
        expected[0] = c.did_record(&sovra).unwrap().document;
        for s in steps {
            let current = c.did_record(&sovra).unwrap().version;
            match s {
                Step::Update { keys: picks, services } => {
                    let doc = document(&keys, &picks, services).with_controller(&ks[0]);
                    let status = c.run_identity(&payer, &ks[0], Action::Identity(IdentityAction::Update {
                        did: sovra.clone(),
                        previous_version: current,
                        document: doc.clone(),
                    }));
                    prop_assert_eq!(status, ReceiptStatus::Completed);
                    expected.push(doc);
                }
                Step::Stale => {
                    let status = c.run_identity(&payer, &ks[0], Action::Identity(IdentityAction::Update {
                        did: sovra.clone(),
                        previous_version: current.saturating_sub(1),
                        document: DidDocument::default(),
                    }));
                    prop_assert_eq!(code(status), "version_conflict");
                }
            }
        }
        let current = c.did_record(&sovra).unwrap();
        prop_assert_eq!(current.version as usize, expected.len());
        let mut last_time = 0;
        for (i, doc) in expected.iter().enumerate() {
            let v = c.did_version(&sovra, i as u64 + 1).unwrap();
            prop_assert_eq!(v.version, i as u64 + 1);
            prop_assert_eq!(&v.document, doc);
            prop_assert!(v.updated_ms >= last_time);
            last_time = v.updated_ms;
        }
        prop_assert!(c.did_version(&sovra, expected.len() as u64 + 1).is_none());
        prop_assert_eq!(c.did_version(&sovra, current.version).unwrap(), current);
    }
}
