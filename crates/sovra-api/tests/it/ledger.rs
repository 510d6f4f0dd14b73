//! The ledger area: submission (single, batch, per-item refusals, batch and body limits, a
//! syncing node), transaction status, blocks, accounts, receipt pages and state proofs.

use crate::support::{Harness, identity, transfer, tx_hex};
use serde_json::json;
use sovra_api::{MAX_BATCH, MAX_BODY_BYTES};
use sovra_api_types::{ReceiptView, TxStatusView};
use sovra_types::digest_hex;
use std::sync::atomic::Ordering;

pub(crate) async fn submit_txs(h: &Harness) {
    // One transaction: accepted, 202, with its id.
    let tx = transfer(1, 0, 5);
    let a = h.post_json("/v1/txs", &json!({ "tx": tx_hex(&tx) })).await;
    let v = a.ok_json(202);
    assert_eq!(v["results"][0]["accepted"], true);
    assert_eq!(v["results"][0]["id"], digest_hex(&tx.id()));
    // A batch: each item gets its own result, in order; one refusal makes the answer a 400.
    let good = transfer(2, 0, 5);
    let cheap = transfer(3, 0, 0);
    let a = h
        .post_json(
            "/v1/txs",
            &json!({ "txs": [tx_hex(&good), "zz", "00", tx_hex(&cheap)] }),
        )
        .await;
    let v = a.ok_json(400);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["accepted"], true);
    assert_eq!(results[1]["error"]["code"], "malformed");
    assert_eq!(results[1]["error"]["message"], "transaction is not hex");
    assert_eq!(results[2]["error"]["code"], "malformed");
    assert!(results[2].get("id").is_none());
    assert_eq!(results[3]["accepted"], false);
    assert_eq!(results[3]["error"]["code"], "fee_too_low");
    // Only the decodable ones reached the node.
    assert_eq!(h.backend.asked.lock().unwrap().submissions, vec![1, 2]);

    // Malformed requests.
    for body in [
        json!({ "tx": tx_hex(&tx), "txs": [tx_hex(&tx)] }),
        json!({}),
        json!({ "tx": tx_hex(&tx), "extra": 1 }),
    ] {
        h.post_json("/v1/txs", &body).await.error(400, "malformed");
    }
    h.post("/v1/txs", "application/json", None, b"not json".to_vec())
        .await
        .error(400, "malformed");
    // Batch size: 1 to MAX_BATCH.
    h.post_json("/v1/txs", &json!({ "txs": [] }))
        .await
        .error(400, "batch_size");
    let too_many = vec!["00"; MAX_BATCH + 1];
    h.post_json("/v1/txs", &json!({ "txs": too_many }))
        .await
        .error(400, "batch_size");
    let most = vec!["00"; MAX_BATCH];
    let v = h
        .post_json("/v1/txs", &json!({ "txs": most }))
        .await
        .ok_json(400);
    assert_eq!(v["results"].as_array().unwrap().len(), MAX_BATCH);
    // The body limit is checked before anything is parsed.
    let huge = format!(r#"{{"tx":"{}"}}"#, "0".repeat(MAX_BODY_BYTES));
    h.post("/v1/txs", "application/json", None, huge.into_bytes())
        .await
        .error(413, "body_too_large");

    // A node behind the network refuses everything, admits nothing.
    h.backend.syncing.store(true, Ordering::SeqCst);
    let before = h.backend.asked.lock().unwrap().submissions.len();
    let a = h
        .post_json("/v1/txs", &json!({ "tx": tx_hex(&transfer(4, 0, 5)) }))
        .await;
    a.error(503, "syncing");
    assert_eq!(a.header("retry-after"), "2");
    assert_eq!(h.backend.asked.lock().unwrap().submissions.len(), before);
}

pub(crate) async fn tx_status(h: &Harness) {
    let tx = transfer(1, 0, 5);
    let id = digest_hex(&tx.id());
    h.post_json("/v1/txs", &json!({ "tx": tx_hex(&tx) })).await;
    let v = h.get(&format!("/v1/txs/{id}")).await.ok_json(200);
    let status: TxStatusView = serde_json::from_value(v).unwrap();
    assert_eq!(
        (status.id.as_str(), status.status.as_str()),
        (id.as_str(), "pending")
    );
    assert_eq!(status.expiry_height, Some(100));
    // Final states come back as the node holds them.
    h.backend.txs.lock().unwrap().insert(
        id.clone(),
        TxStatusView {
            status: "completed".into(),
            height: Some(2),
            index: Some(0),
            fee: Some(5),
            ..status
        },
    );
    let v = h.get(&format!("/v1/txs/0x{id}")).await.ok_json(200);
    assert_eq!(
        (v["status"].as_str(), v["height"].as_u64()),
        (Some("completed"), Some(2))
    );
    h.get(&format!("/v1/txs/{}", "ab".repeat(32)))
        .await
        .error(404, "not_found");
    h.get("/v1/txs/xyz").await.error(400, "invalid_id");
    h.get(&format!("/v1/txs/{}", "ab".repeat(31)))
        .await
        .error(400, "invalid_id");
    h.backend.fail.store(true, Ordering::SeqCst);
    h.get(&format!("/v1/txs/{id}")).await.error(500, "internal");
}

pub(crate) async fn blocks(h: &Harness) {
    let latest = h.get("/v1/blocks/latest").await.ok_json(200);
    assert_eq!(latest["header"]["height"], 1);
    let genesis = h.get("/v1/blocks/0").await.ok_json(200);
    assert_eq!(genesis["header"]["height"], 0);
    assert_eq!(latest["header"]["parent"], genesis["header"]["id"]);
    let m = h.get("/v1/blocks/99").await.error(404, "not_found");
    assert!(m.contains("99"), "{m}");
    h.get("/v1/blocks/-1").await.error(400, "invalid_height");
    h.get("/v1/blocks/tip").await.error(400, "invalid_height");
}

pub(crate) async fn account(h: &Harness) {
    let (_, did) = identity(1);
    h.backend.fund(&did, 42);
    let v = h.get(&format!("/v1/accounts/{did}")).await.ok_json(200);
    assert_eq!(
        (v["did"].as_str(), v["balance"].as_u64()),
        (Some(did.as_str()), Some(42))
    );
    assert_eq!(v["height"], 1);
    h.get("/v1/accounts/did:example:123")
        .await
        .error(400, "invalid_did");
    h.get("/v1/accounts/nobody").await.error(400, "invalid_did");
    h.backend.fail.store(true, Ordering::SeqCst);
    h.get(&format!("/v1/accounts/{did}"))
        .await
        .error(500, "internal");
}

fn receipt(index: u64) -> ReceiptView {
    ReceiptView {
        index,
        tx_id: "ab".repeat(32),
        height: index + 1,
        status: "completed".into(),
        error: None,
        record: None,
        prev: "00".repeat(32),
        hash: "cd".repeat(32),
        encoded: String::new(),
    }
}

pub(crate) async fn receipts(h: &Harness) {
    let (_, did) = identity(1);
    h.backend
        .receipts
        .lock()
        .unwrap()
        .insert(did.to_string(), (0..700).map(receipt).collect());
    let page = h
        .get(&format!("/v1/accounts/{did}/receipts"))
        .await
        .ok_json(200);
    assert_eq!(page["entries"].as_array().unwrap().len(), 100);
    assert_eq!(page["next"], 100);
    // Pages hold 1 to 500 entries, whatever is asked.
    let page = h
        .get(&format!(
            "/v1/accounts/{did}/receipts?from=100&limit=100000"
        ))
        .await
        .ok_json(200);
    assert_eq!(page["entries"].as_array().unwrap().len(), 500);
    assert_eq!(page["entries"][0]["index"], 100);
    assert_eq!(page["next"], 600);
    h.get(&format!("/v1/accounts/{did}/receipts?from=699&limit=0"))
        .await
        .ok_json(200);
    assert_eq!(
        h.backend.asked.lock().unwrap().receipts,
        vec![(0, 100), (100, 500), (699, 1)]
    );
    let last = h
        .get(&format!("/v1/accounts/{did}/receipts?from=699"))
        .await
        .ok_json(200);
    assert!(last.get("next").is_none(), "{last}");
    h.get("/v1/accounts/nobody/receipts")
        .await
        .error(400, "invalid_did");
    h.get(&format!("/v1/accounts/{did}/receipts?limit=many"))
        .await
        .error(400, "invalid_query");
}

pub(crate) async fn state_proof(h: &Harness) {
    let (_, did) = identity(1);
    let key = format!("account:{did}");
    let v = h
        .get(&format!("/v1/state/proof?key={key}"))
        .await
        .ok_json(200);
    assert_eq!(v["key"], key);
    assert_eq!(v["header"]["height"], 1);
    assert!(v.get("value").is_none(), "absent: {v}");
    h.get("/v1/state/proof?key=balance:me")
        .await
        .error(400, "invalid_key");
    h.get("/v1/state/proof").await.error(400, "invalid_query");
    h.backend.fail.store(true, Ordering::SeqCst);
    h.get(&format!("/v1/state/proof?key={key}"))
        .await
        .error(500, "internal");
}
