//! Pagination: the client follows the node's cursor over every page, and refuses a cursor
//! that does not move (which would loop forever).

use super::{FakeNode, json};
use crate::ClientError;
use sovra_crypto::SigningKey;
use sovra_types::Did;

fn record(n: u8) -> serde_json::Value {
    serde_json::json!({
        "id": hex::encode([n; 16]), "owner": "did:key:z", "version": 1, "content": "c",
        "size": 1, "keys": "k", "replication": 1, "created_height": 1, "updated_height": 1,
        "updated_ms": 1, "expired": false, "grants": [],
    })
}

fn owner() -> Did {
    Did::from_public_key(&SigningKey::from_test_seed(1).public_key())
}

/// Three pages are read in order, each asked with the previous page's cursor.
#[test]
fn vault_records_follow_the_cursor_over_every_page() {
    let node = FakeNode::start(|r| {
        let after = r.target.split("&after=").nth(1);
        let page = match after {
            None => serde_json::json!({"records": [record(1), record(2)], "next": "c2"}),
            Some("c2") => serde_json::json!({"records": [record(3)], "next": "c3"}),
            Some("c3") => serde_json::json!({"records": [record(4)]}),
            Some(_) => {
                return json(
                    400,
                    serde_json::json!({"code": "bad_cursor", "message": ""}),
                );
            }
        };
        json(200, page)
    });
    let owner = owner();
    let records = node.client().vault_records("tok", &owner).unwrap();
    let ids: Vec<String> = records.into_iter().map(|r| r.id).collect();
    let expected: Vec<String> = (1..=4).map(|n| hex::encode([n; 16])).collect();
    assert_eq!(ids, expected);
    let base = format!("/v1/vault/records?owner={owner}&limit=500");
    assert_eq!(
        node.targets(),
        vec![
            base.clone(),
            format!("{base}&after=c2"),
            format!("{base}&after=c3")
        ]
    );
    assert!(
        node.requests()
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer tok"))
    );
}

/// A node that hands back the cursor it was given (or an empty page with a cursor) is a bad
/// answer, not an endless loop.
#[test]
fn a_cursor_that_does_not_move_is_refused() {
    // After a few pages the node gives up, so a client that loops fails instead of hanging.
    let asked = std::sync::atomic::AtomicUsize::new(0);
    let repeating = FakeNode::start(move |_| {
        if asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 5 {
            return json(500, serde_json::json!({"code": "loop", "message": ""}));
        }
        json(
            200,
            serde_json::json!({"records": [record(1)], "next": "same"}),
        )
    });
    assert!(matches!(
        repeating.client().vault_records("tok", &owner()),
        Err(ClientError::BadResponse(_))
    ));
    assert_eq!(repeating.requests().len(), 2);

    let empty = FakeNode::start(|r| {
        let next = format!("c{}", r.target.len());
        json(200, serde_json::json!({"records": [], "next": next}))
    });
    assert!(matches!(
        empty.client().vault_records("tok", &owner()),
        Err(ClientError::BadResponse(_))
    ));
    assert_eq!(empty.requests().len(), 1);
}
