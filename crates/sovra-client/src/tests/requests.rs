//! Request building: the paths, queries, methods, headers and bodies the client sends.

use super::{FakeNode, account_json, json, status_json};
use crate::http::DEFAULT_EXPIRY_BLOCKS;
use crate::{Client, ClientError};
use commonware_codec::Encode as _;
use sovra_api_types::TxStatusView;
use sovra_crypto::SigningKey;
use sovra_types::{AccountsAction, Action, Did, SignedTransaction, vault::RecordId};

/// A node answering status and account reads (the account with `next_nonce` when given), and
/// accepting every submitted transaction.
fn ledger_node(next_nonce: Option<u64>) -> FakeNode {
    FakeNode::start(move |r| {
        if r.target == "/v1/status" {
            json(200, status_json())
        } else if r.target.starts_with("/v1/accounts/") {
            json(200, account_json(3, next_nonce, 7))
        } else if r.method == "POST" && r.target == "/v1/txs" {
            let n = r.json()["txs"].as_array().map_or(0, Vec::len);
            let results = vec![serde_json::json!({"accepted": true}); n];
            json(202, serde_json::json!({ "results": results }))
        } else {
            json(
                404,
                serde_json::json!({"code": "not_found", "message": r.target}),
            )
        }
    })
}

fn me(seed: u64) -> (SigningKey, Did) {
    let key = SigningKey::from_test_seed(seed);
    let did = Did::from_public_key(&key.public_key());
    (key, did)
}

/// New transactions take the nonce from the node's pending view when it gives one (so
/// back-to-back submissions do not collide), the finalized nonce from older nodes, and an
/// explicit nonce when asked.
#[test]
fn new_transactions_use_the_pending_nonce_when_the_node_gives_it() {
    let (key, me) = me(1);
    let build = |node: &FakeNode, nonce: Option<u64>| {
        node.client()
            .build_tx_with_nonce(&key, &me, vec![], 1, nonce)
            .unwrap()
            .tx
    };
    let pending = ledger_node(Some(5));
    let tx = build(&pending, None);
    assert_eq!((tx.nonce, tx.chain_id.as_str()), (5, "devnet-00000000"));
    assert_eq!(tx.expiry_height, 7 + DEFAULT_EXPIRY_BLOCKS);
    assert_eq!(build(&pending, Some(9)).nonce, 9);
    assert_eq!(build(&ledger_node(None), None).nonce, 3);
}

/// Each read asks its documented path and query, under the base URL without its trailing
/// slash.
#[test]
fn reads_ask_their_documented_paths() {
    let node = FakeNode::start(|r| {
        let body = match r.target.split('?').next().unwrap() {
            "/v1/status" => status_json(),
            p if p.ends_with("/receipts") => serde_json::json!({"receipts": []}),
            p if p.starts_with("/v1/accounts/") => account_json(0, None, 7),
            _ => return json(404, serde_json::json!({"code": "not_found", "message": ""})),
        };
        json(200, body)
    });
    let client = Client::new(&format!("{}/", node.url));
    let (_, did) = me(2);
    client.status().unwrap();
    client.account(&did).unwrap();
    let _ = client.receipts(&did, 4, 25);
    let _ = client.block(Some(3));
    let _ = client.block(None);
    assert!(client.tx("ab").unwrap().is_none());
    let _ = client.proof("meta:supply");
    assert_eq!(
        node.targets(),
        vec![
            "/v1/status".to_string(),
            format!("/v1/accounts/{did}"),
            format!("/v1/accounts/{did}/receipts?from=4&limit=25"),
            "/v1/blocks/3".into(),
            "/v1/blocks/latest".into(),
            "/v1/txs/ab".into(),
            "/v1/state/proof?key=meta:supply".into(),
        ]
    );
    assert!(node.requests().iter().all(|r| r.method == "GET"));
}

/// A transfer is built from the node's chain id, pending nonce and height, signed by the key,
/// and posted as the hex of its canonical encoding; the id returned is the transaction's.
#[test]
fn a_transfer_is_signed_and_posted_as_its_encoding() {
    let node = ledger_node(Some(4));
    let (key, from) = me(1);
    let (_, to) = me(2);
    let id = node.client().transfer(&key, &to, 42, 3).unwrap();

    let post = node
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("the transaction was posted");
    assert_eq!(post.target, "/v1/txs");
    assert!(
        post.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = post.json();
    assert!(body.get("tx").is_none() || body["tx"].is_null());
    let txs = body["txs"].as_array().unwrap();
    assert_eq!(txs.len(), 1);
    let tx = SignedTransaction::decode(&hex::decode(txs[0].as_str().unwrap()).unwrap()).unwrap();
    tx.verify_stateless().unwrap();
    assert_eq!(id, hex::encode(tx.id().0));
    assert_eq!(tx.tx.signer, from);
    assert_eq!((tx.tx.nonce, tx.tx.fee), (4, 3));
    assert_eq!(tx.tx.chain_id, "devnet-00000000");
    assert_eq!(tx.tx.expiry_height, 7 + DEFAULT_EXPIRY_BLOCKS);
    assert_eq!(
        tx.tx.actions,
        vec![Action::Accounts(AccountsAction::Transfer {
            to,
            amount: 42
        })]
    );
}

/// Submitting several transactions posts them all, in order, as their encodings.
#[test]
fn submit_posts_every_transaction_in_order() {
    let node = ledger_node(None);
    let client = node.client();
    let (key, me) = me(1);
    let txs: Vec<SignedTransaction> = (0..3)
        .map(|n| {
            client
                .build_tx_with_nonce(&key, &me, vec![], 1, Some(n))
                .unwrap()
        })
        .collect();
    let resp = client.submit(&txs).unwrap();
    assert_eq!(resp.results.len(), 3);
    let post = node.requests().pop().unwrap();
    let sent: Vec<String> = serde_json::from_value(post.json()["txs"].clone()).unwrap();
    let expected: Vec<String> = txs.iter().map(|t| hex::encode(t.encode())).collect();
    assert_eq!(sent, expected);
}

/// Reads that need a session send its token as a bearer token.
#[test]
fn authenticated_reads_carry_the_bearer_token() {
    let node = FakeNode::start(|_| {
        json(
            403,
            serde_json::json!({"code": "forbidden", "message": "no"}),
        )
    });
    let id = RecordId([7; 16]);
    let err = node.client().vault_record("tok-123", &id).unwrap_err();
    assert!(matches!(err, ClientError::Api { status: 403, ref code, .. } if code == "forbidden"));
    let r = node.requests().pop().unwrap();
    assert_eq!(r.target, format!("/v1/vault/records/{id}"));
    assert_eq!(r.header("authorization"), Some("Bearer tok-123"));
}

/// The status view's finality: everything but `pending` is final.
#[test]
fn only_pending_is_not_final() {
    let view = |status: &str| TxStatusView {
        id: "00".into(),
        status: status.into(),
        height: None,
        index: None,
        fee: None,
        error: None,
        expiry_height: None,
        replaced_by: None,
    };
    assert!(!view("pending").is_final());
    for s in ["completed", "failed", "replaced", "expired"] {
        assert!(view(s).is_final(), "{s}");
    }
}
