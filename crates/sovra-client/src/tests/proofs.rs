//! Proof verification: real proofs from a state store (the node's qmdb) are accepted against
//! the header they come with, and every way a served proof can fail to fit is refused.

use super::{FakeNode, json};
use crate::{ClientError, verify_proof_view};
use commonware_codec::Encode as _;
use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use sovra_api_types::{HeaderView, ProofView};
use sovra_crypto::SigningKey;
use sovra_execution::Changes;
use sovra_store::StateStore;
use sovra_types::{Account, BlockHeader, Did, StateKey, ZERO_DIGEST, digest_hex, sha256};

fn did(seed: u64) -> Did {
    Did::from_public_key(&SigningKey::from_test_seed(seed).public_key())
}

/// The account of seed 1 holds 1234; under seed 3's account key a value that is no account.
fn stored_account() -> Account {
    Account {
        balance: 1234,
        nonce: 5,
        receipt_head: sha256(&[b"head"]),
        receipt_count: 5,
    }
}

/// The header of a block at height 1 whose state root is `root`, as the API shows it.
fn header_view(root: sovra_types::Digest) -> (BlockHeader, HeaderView) {
    let h = BlockHeader {
        parent: ZERO_DIGEST,
        height: 1,
        timestamp_ms: 1_000,
        tx_root: ZERO_DIGEST,
        tx_count: 0,
        state_root: root,
    };
    let view = HeaderView::new(&h);
    (h, view)
}

/// The node's proofs of `keys` after one committed block, as it serves them.
fn served_proofs(keys: &[StateKey]) -> Vec<ProofView> {
    let keys = keys.to_vec();
    deterministic::Runner::default().start(|context| async move {
        let mut store = StateStore::open(context.child("state"), "t").await.unwrap();
        let base = store.committed().await.unwrap();
        let changes: Changes = [
            (
                StateKey::Account(did(1)),
                Some(stored_account().encode().to_vec()),
            ),
            (StateKey::Account(did(3)), Some(b"not an account".to_vec())),
        ]
        .into_iter()
        .collect();
        let next = store.speculate(&base, &changes, 1).await.unwrap();
        store.apply(&next).await.unwrap();
        let (_, header) = header_view(store.root());
        let mut out = Vec::new();
        for key in keys {
            let p = store.prove(&key).await.unwrap();
            out.push(ProofView {
                key: key.to_string(),
                key_hash: digest_hex(&p.key_hash),
                value: p.value.map(hex::encode),
                header: header.clone(),
                proof: hex::encode(p.proof),
            });
        }
        out
    })
}

fn refusal(r: Result<crate::Verified<Vec<u8>>, ClientError>) -> String {
    match r {
        Err(ClientError::BadResponse(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// An inclusion proof verifies to its value and header; an exclusion proof to no value.
#[test]
fn served_inclusion_and_exclusion_proofs_verify() {
    let present = StateKey::Account(did(1));
    let absent = StateKey::Account(did(9));
    let proofs = served_proofs(&[present.clone(), absent.clone()]);
    let v = verify_proof_view(&present, &proofs[0]).unwrap();
    assert_eq!(v.value, Some(stored_account().encode().to_vec()));
    assert_eq!(digest_hex(&v.header.id()), proofs[0].header.id);
    let v = verify_proof_view(&absent, &proofs[1]).unwrap();
    assert_eq!(v.value, None);
}

/// A proof about another key, a changed value, a value claimed absent, a header that is not
/// its id's, not hex, or of another state root, and a proof that is not hex are all refused.
#[test]
fn proofs_that_do_not_fit_are_refused() {
    let key = StateKey::Account(did(1));
    let good = served_proofs(std::slice::from_ref(&key)).remove(0);
    let with = |f: &dyn Fn(&mut ProofView)| {
        let mut p = good.clone();
        f(&mut p);
        verify_proof_view(&key, &p)
    };

    let other_key = StateKey::Account(did(2));
    assert!(refusal(verify_proof_view(&other_key, &good)).contains("instead"));
    assert!(
        refusal(with(&|p| {
            let mut v = hex::decode(p.value.as_ref().unwrap()).unwrap();
            v[0] ^= 1;
            p.value = Some(hex::encode(v));
        }))
        .contains("state root")
    );
    assert!(refusal(with(&|p| p.value = None)).contains("state root"));
    assert!(refusal(with(&|p| p.header.id = digest_hex(&ZERO_DIGEST))).contains("header id"));
    assert!(refusal(with(&|p| p.header.encoded = "zz".into())).contains("not hex"));
    assert!(refusal(with(&|p| p.proof = "zz".into())).contains("not hex"));
    let (_, elsewhere) = header_view(sha256(&[b"another root"]));
    assert!(refusal(with(&|p| p.header = elsewhere.clone())).contains("state root"));
    let mut tampered = hex::decode(&good.proof).unwrap();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    assert!(refusal(with(&|p| p.proof = hex::encode(&tampered))).contains("state root"));
}

/// `verified_account` asks the node for the account's proof, checks it and decodes the
/// account; a proven value that is not an account is a decode error, not an empty account.
#[test]
fn verified_accounts_are_read_through_their_proofs() {
    let keys = [
        StateKey::Account(did(1)),
        StateKey::Account(did(3)),
        StateKey::Account(did(9)),
    ];
    let proofs = served_proofs(&keys);
    let node = FakeNode::start(move |r| {
        let i = proofs
            .iter()
            .position(|p| r.target == format!("/v1/state/proof?key={}", p.key));
        match i {
            Some(i) => json(200, serde_json::to_value(&proofs[i]).unwrap()),
            None => json(404, serde_json::json!({"code": "not_found", "message": ""})),
        }
    });
    let client = node.client();
    let v = client.verified_account(&did(1)).unwrap();
    assert_eq!(v.value, Some(stored_account()));
    assert_eq!(v.header.height, 1);
    assert_eq!(client.verified_account(&did(9)).unwrap().value, None);
    match client.verified_account(&did(3)) {
        Err(ClientError::Decode { what, .. }) => assert!(what.contains(&did(3).to_string())),
        other => panic!("{other:?}"),
    }
}
