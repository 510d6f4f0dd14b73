//! Transaction outcomes: the node's status when it knows the transaction, otherwise
//! `replaced` or `expired` derived from the signer's committed account, and waiting for them.

use super::{FakeNode, account_json, json, status_json};
use crate::ClientError;
use sovra_crypto::SigningKey;
use sovra_types::{Did, SignedTransaction};
use std::time::Duration;

/// A node whose signer account has finalized nonce `nonce` at height `height`, and which
/// answers `/v1/txs/..` with `status` (404 when `None`).
fn node(nonce: u64, height: u64, status: Option<&'static str>) -> FakeNode {
    FakeNode::start(move |r| {
        if r.target == "/v1/status" {
            json(200, status_json())
        } else if r.target.starts_with("/v1/accounts/") {
            json(200, account_json(nonce, None, height))
        } else if let Some(id) = r.target.strip_prefix("/v1/txs/") {
            match status {
                Some(s) => json(
                    200,
                    serde_json::json!({"id": id, "status": s, "height": 6, "index": 0}),
                ),
                None => json(404, serde_json::json!({"code": "not_found", "message": ""})),
            }
        } else {
            json(404, serde_json::json!({"code": "not_found", "message": ""}))
        }
    })
}

/// Seed 1's transaction with nonce 3 and expiry height 20.
fn tx() -> SignedTransaction {
    let key = SigningKey::from_test_seed(1);
    sovra_types::Transaction {
        chain_id: "devnet-00000000".into(),
        signer: Did::from_public_key(&key.public_key()),
        nonce: 3,
        fee: 1,
        expiry_height: 20,
        actions: vec![],
    }
    .sign(&key)
}

#[test]
fn the_nodes_status_wins_when_it_knows_the_transaction() {
    let o = node(9, 30, Some("completed"))
        .client()
        .tx_outcome(&tx())
        .unwrap()
        .unwrap();
    assert_eq!((o.status.as_str(), o.height), ("completed", Some(6)));
    assert_eq!(o.id, hex::encode(tx().id().0));
}

#[test]
fn a_used_nonce_means_replaced() {
    let o = node(4, 12, None)
        .client()
        .tx_outcome(&tx())
        .unwrap()
        .unwrap();
    assert_eq!((o.status.as_str(), o.height), ("replaced", Some(12)));
    assert_eq!(o.expiry_height, Some(20));
    assert_eq!(o.id, hex::encode(tx().id().0));
}

#[test]
fn a_finalized_expiry_height_means_expired() {
    let o = node(3, 20, None)
        .client()
        .tx_outcome(&tx())
        .unwrap()
        .unwrap();
    assert_eq!((o.status.as_str(), o.height), ("expired", Some(20)));
}

#[test]
fn a_transaction_that_may_still_be_included_has_no_outcome() {
    assert!(
        node(3, 19, None)
            .client()
            .tx_outcome(&tx())
            .unwrap()
            .is_none()
    );
}

/// Waiting settles on a derived outcome; a transaction that stays pending times out with its
/// id.
#[test]
fn waiting_settles_or_times_out() {
    let o = node(4, 12, None)
        .client()
        .wait_final_tx(&tx(), Duration::from_secs(5))
        .unwrap();
    assert_eq!(o.status, "replaced");
    let id = hex::encode(tx().id().0);
    match node(3, 5, Some("pending"))
        .client()
        .wait_final(&id, Duration::from_millis(120))
    {
        Err(ClientError::Timeout(waited, _)) => assert_eq!(waited, id),
        other => panic!("{other:?}"),
    }
}
