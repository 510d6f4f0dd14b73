//! Error mapping: the node's JSON errors, malformed answers, refusals and unreachable nodes
//! become the matching [`ClientError`] variants, with their causes attached.

use super::{FakeNode, json, status_json};
use crate::{Client, ClientError};
use sovra_crypto::SigningKey;
use sovra_types::Did;
use std::error::Error as _;

/// A node answering every request with `answer`.
fn answering(status: u16, body: &'static str) -> FakeNode {
    FakeNode::start(move |_| (status, body.as_bytes().to_vec()))
}

/// A `{code, message}` body becomes an API error with its status, code and message.
#[test]
fn json_error_bodies_become_api_errors() {
    let node = answering(404, r#"{"code":"not_found","message":"no block at 9"}"#);
    match node.client().block(Some(9)) {
        Err(ClientError::Api {
            status,
            code,
            message,
        }) => assert_eq!(
            (status, code.as_str(), message.as_str()),
            (404, "not_found", "no block at 9")
        ),
        other => panic!("{other:?}"),
    }
}

/// An error body that is not the API's JSON keeps the status and the start of the text.
#[test]
fn other_error_bodies_keep_the_status_and_the_start_of_the_text() {
    let text = "x".repeat(500);
    let node = FakeNode::start(move |_| (502, text.clone().into_bytes()));
    match node.client().status() {
        Err(ClientError::Api {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code.as_str()), (502, "http"));
            assert_eq!(message, "x".repeat(200));
        }
        other => panic!("{other:?}"),
    }
}

/// A success whose body is not the documented JSON is a JSON error naming the URL, with the
/// parser's error as its source.
#[test]
fn a_malformed_success_is_a_json_error_with_its_cause() {
    let node = answering(200, r#"{"chain_id": 5}"#);
    let err = node.client().status().unwrap_err();
    match &err {
        ClientError::Json { url, .. } => assert_eq!(url, &format!("{}/v1/status", node.url)),
        other => panic!("{other:?}"),
    }
    let source = err.source().expect("the parser's error");
    assert!(source.is::<serde_json::Error>());
}

/// A transaction the node does not know is `None`; any other error passes through.
#[test]
fn an_unknown_transaction_is_none_and_other_errors_pass_through() {
    let unknown = answering(404, r#"{"code":"not_found","message":"unknown"}"#);
    assert!(unknown.client().tx("ab").unwrap().is_none());
    let failing = answering(500, r#"{"code":"internal","message":"disk"}"#);
    assert!(matches!(
        failing.client().tx("ab"),
        Err(ClientError::Api { status: 500, .. })
    ));
}

/// A submission the mempool refuses is a refusal with the node's code; a node that answers
/// without a per-transaction result is a bad answer; an overloaded node's error body is an API
/// error.
#[test]
fn submissions_map_refusals_and_overload() {
    let key = SigningKey::from_test_seed(1);
    let me = Did::from_public_key(&key.public_key());
    let node_with = |status: u16, body: serde_json::Value| {
        FakeNode::start(move |r| {
            if r.method == "POST" {
                json(status, body.clone())
            } else {
                json(200, status_json())
            }
        })
    };
    let send = |node: &FakeNode| {
        let client = node.client();
        let tx = client
            .build_tx_with_nonce(&key, &me, vec![], 1, Some(0))
            .unwrap();
        client.send_signed(&tx)
    };

    let refused = node_with(
        400,
        serde_json::json!({"results": [{"accepted": false,
            "error": {"code": "bad_nonce", "message": "nonce 0 is used"}}]}),
    );
    match send(&refused) {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(
                (code.as_str(), message.as_str()),
                ("bad_nonce", "nonce 0 is used")
            )
        }
        other => panic!("{other:?}"),
    }

    let empty = node_with(202, serde_json::json!({"results": []}));
    assert!(matches!(send(&empty), Err(ClientError::BadResponse(_))));

    let busy = node_with(
        503,
        serde_json::json!({"code": "overloaded", "message": "mempool full"}),
    );
    assert!(matches!(
        send(&busy),
        Err(ClientError::Api { status: 503, ref code, .. }) if code == "overloaded"
    ));
}

/// A node that cannot be reached is a transport error naming the URL, with the connection
/// error as its source.
#[test]
fn an_unreachable_node_is_a_transport_error_with_its_cause() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // The listener is dropped: nothing listens on `addr` any more.
    let err = Client::new(&format!("http://{addr}")).status().unwrap_err();
    match &err {
        ClientError::Transport { url, .. } => assert_eq!(url, &format!("http://{addr}/v1/status")),
        other => panic!("{other:?}"),
    }
    assert!(err.source().is_some());
}

/// A block whose bytes are not the block its CID names is refused, with why.
#[test]
fn a_block_that_is_not_its_cid_is_refused() {
    let cid = sovra_cas::raw_cid(b"the block asked for");
    let node = answering(200, "another block");
    let err = node.client().raw_block(&cid).unwrap_err();
    match &err {
        ClientError::Block { cid: asked, .. } => assert_eq!(**asked, cid),
        other => panic!("{other:?}"),
    }
    let source = err.source().expect("why the bytes do not match");
    assert!(
        source.to_string().contains("does not match its hash"),
        "{source}"
    );

    // The right bytes are accepted, and a 404 is no block.
    let good = answering(200, "the block asked for");
    assert_eq!(
        good.client().raw_block(&cid).unwrap().as_deref(),
        Some(&b"the block asked for"[..])
    );
    let missing = answering(404, r#"{"code":"not_found","message":""}"#);
    assert!(missing.client().raw_block(&cid).unwrap().is_none());
}
