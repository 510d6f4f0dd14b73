//! Property tests of the canonical encoding: every value round-trips, and
//! every byte string that decodes re-encodes to exactly itself (so no value
//! has two encodings); truncations and extensions are rejected.

use commonware_codec::Encode;
use proptest::prelude::*;
use sovra_crypto::MultikeyType;
use sovra_crypto::SigningKey;
use sovra_types::{
    Action, Block, BlockHeader, ContentId, Did, DidDocument, ReceiptEntry, ReceiptStatus,
    Relationship, Relationships, Service, SignedTransaction, Transaction, VerificationMethod,
    block::tx_root, codec::decode_exact, sha256,
};

fn arb_did() -> impl Strategy<Value = Did> {
    prop_oneof![
        any::<u64>()
            .prop_map(|s| Did::from_public_key(&SigningKey::from_test_seed(s).public_key())),
        any::<[u8; 16]>().prop_map(|id| Did::sovra(&id)),
    ]
}

fn arb_method() -> impl Strategy<Value = VerificationMethod> {
    ("[A-Za-z0-9._-]{1,20}", any::<bool>(), any::<u64>(), 1u8..32).prop_map(
        |(id, x25519, seed, bits)| {
            let key: [u8; 32] = SigningKey::from_test_seed(seed)
                .public_key()
                .as_ref()
                .try_into()
                .unwrap();
            let relationships = Relationships::of(
                &Relationship::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, r)| r)
                    .collect::<Vec<_>>(),
            );
            VerificationMethod {
                id,
                key_type: if x25519 {
                    MultikeyType::X25519
                } else {
                    MultikeyType::Ed25519
                },
                public_key: key,
                relationships,
            }
        },
    )
}

fn arb_document() -> impl Strategy<Value = DidDocument> {
    (
        proptest::collection::vec(arb_method(), 0..4),
        proptest::collection::vec(
            (
                "[a-z0-9]{1,10}",
                "[A-Za-z]{1,20}",
                "https://[a-z]{1,20}/[ -~&&[^ ]]{0,30}",
            ),
            0..3,
        ),
        proptest::collection::vec(arb_did(), 0..3),
        proptest::collection::vec("urn:[a-z0-9:]{1,30}", 0..3),
    )
        .prop_map(
            |(methods, services, controllers, also_known_as)| DidDocument {
                methods,
                services: services
                    .into_iter()
                    .map(|(id, service_type, endpoint)| Service {
                        id,
                        service_type,
                        endpoint,
                    })
                    .collect(),
                controllers,
                also_known_as,
            },
        )
}

fn arb_content_id() -> impl Strategy<Value = ContentId> {
    (
        prop::sample::select(vec![0x55u64, 0x70, 0x71, 0x0129]),
        any::<[u8; 32]>(),
    )
        .prop_map(|(codec, digest)| {
            ContentId::new(cid::Cid::new_v1(
                codec,
                cid::multihash::Multihash::<64>::wrap(0x12, &digest).unwrap(),
            ))
        })
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (arb_did(), any::<u64>()).prop_map(|(to, amount)| Action::Transfer { to, amount }),
        (arb_content_id(), any::<u64>(), any::<u8>()).prop_map(|(cid, size, replication)| {
            Action::PinContent {
                cid,
                size,
                replication,
            }
        }),
        arb_content_id().prop_map(|cid| Action::UnpinContent { cid }),
        (
            "[a-z0-9][a-z0-9._-]{0,20}",
            proptest::option::of(arb_content_id())
        )
            .prop_map(|(name, cid)| Action::SetPublicDocument { name, cid }),
        arb_document().prop_map(|document| Action::CreateDid { document }),
        (arb_did(), any::<u64>(), arb_document()).prop_map(|(did, previous_version, document)| {
            Action::UpdateDid {
                did,
                previous_version,
                document,
            }
        }),
        (arb_did(), any::<u64>()).prop_map(|(did, previous_version)| Action::DeactivateDid {
            did,
            previous_version
        }),
        (
            arb_did(),
            "[ -~]{1,40}",
            proptest::collection::vec("[A-Za-z0-9._-]{1,30}", 0..4)
        )
            .prop_map(
                |(verifier, name, credential_types)| Action::RegisterVerifier {
                    verifier,
                    name,
                    credential_types
                }
            ),
        arb_did().prop_map(|verifier| Action::RemoveVerifier { verifier }),
        ("[A-Za-z0-9._-]{1,30}", arb_content_id())
            .prop_map(|(list_id, cid)| Action::AnchorStatusList { list_id, cid }),
    ]
}

fn arb_tx() -> impl Strategy<Value = SignedTransaction> {
    (
        any::<u64>(),
        "[a-z0-9-]{1,32}",
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(arb_action(), 1..4),
    )
        .prop_map(|(seed, chain_id, nonce, fee, expiry_height, actions)| {
            let key = SigningKey::from_test_seed(seed);
            Transaction {
                chain_id,
                signer: Did::from_public_key(&key.public_key()),
                nonce,
                fee,
                expiry_height,
                actions,
            }
            .sign(&key)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tx_round_trips_and_verifies(tx in arb_tx()) {
        let bytes = tx.encode();
        let back = SignedTransaction::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &tx);
        prop_assert_eq!(back.id(), tx.id());
        prop_assert!(back.verify_stateless().is_ok());
    }

    #[test]
    fn tx_truncated_or_extended_is_rejected(tx in arb_tx(), cut in 1usize..40, extra in any::<u8>()) {
        let bytes = tx.encode().to_vec();
        let cut = cut.min(bytes.len());
        prop_assert!(SignedTransaction::decode(&bytes[..bytes.len() - cut]).is_err());
        let mut longer = bytes.clone();
        longer.push(extra);
        prop_assert!(SignedTransaction::decode(&longer).is_err());
    }

    /// Flipping any byte either fails to decode or decodes to a value whose
    /// encoding is exactly the mutated bytes (canonical), and never to a
    /// transaction that still verifies under the original signature unless unchanged.
    #[test]
    fn tx_mutations_are_canonical_or_rejected(tx in arb_tx(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut bytes = tx.encode().to_vec();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(decoded) = SignedTransaction::decode(&bytes) {
            prop_assert_eq!(decoded.encode().to_vec(), bytes);
            prop_assert!(decoded.verify_stateless().is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_decode_canonically(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(tx) = SignedTransaction::decode(&bytes) {
            prop_assert_eq!(tx.encode().to_vec(), bytes.clone());
        }
        if let Ok(block) = decode_exact::<Block>(&bytes, &()) {
            prop_assert_eq!(block.encode().to_vec(), bytes);
        }
    }

    #[test]
    fn block_round_trips(txs in proptest::collection::vec(arb_tx(), 0..5), height in any::<u64>(), ts in any::<u64>()) {
        let header = BlockHeader {
            parent: sha256(&[b"p"]),
            height,
            timestamp_ms: ts,
            tx_root: tx_root(&txs),
            tx_count: txs.len() as u32,
            state_root: sha256(&[b"s"]),
        };
        let block = Block::new(header, txs);
        prop_assert!(block.tx_root_matches());
        let back: Block = decode_exact(&block.encode(), &()).unwrap();
        prop_assert_eq!(back.id(), block.id());
        prop_assert_eq!(back, block);
    }

    #[test]
    fn receipt_entries_round_trip(index in any::<u64>(), height in any::<u64>(), failed in any::<bool>(), msg in "[ -~]{0,100}") {
        let status = if failed {
            ReceiptStatus::Failed { code: "insufficient_balance".into(), message: msg }
        } else {
            ReceiptStatus::Completed
        };
        let entry = ReceiptEntry { index, tx_id: sha256(&[b"t"]), height, status, prev: sha256(&[b"p"]) };
        let back: ReceiptEntry = decode_exact(&entry.encode(), &()).unwrap();
        prop_assert_eq!(back, entry);
    }
}

#[test]
fn non_canonical_did_is_rejected() {
    // A did:key whose multibase is upper-cased base58 of the same key is not canonical.
    assert!(Did::parse("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").is_ok());
    assert!(Did::parse("did:key:z16MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").is_err());
    assert!(Did::parse("did:example:123").is_err());
}

#[test]
fn unknown_action_tag_and_version_are_rejected() {
    let key = SigningKey::from_test_seed(1);
    let tx = Transaction {
        chain_id: "c".into(),
        signer: Did::from_public_key(&key.public_key()),
        nonce: 0,
        fee: 0,
        expiry_height: 1,
        actions: vec![Action::Transfer {
            to: Did::from_public_key(&key.public_key()),
            amount: 1,
        }],
    }
    .sign(&key);
    let mut bytes = tx.encode().to_vec();
    bytes[0] = 2; // version
    assert!(SignedTransaction::decode(&bytes).is_err());
    let mut bytes = tx.encode().to_vec();
    // version(1) + chain id (1 len + 1) + signer (1 + 56) + 3*8 + actions len (1) => action tag
    let tag = 1 + 2 + 1 + tx.tx.signer.as_str().len() + 24 + 1;
    assert_eq!(bytes[tag], 0);
    bytes[tag] = 7;
    assert!(SignedTransaction::decode(&bytes).is_err());
}
