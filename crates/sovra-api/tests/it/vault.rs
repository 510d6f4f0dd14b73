//! The vault area: uploads into the caller's own namespace (authentication, fee-paying
//! account, quota and limit), listings and anchors shown to the owner and current grantees
//! only, releases of ciphertext, keys and grants (each logged), the owner's access log and
//! erasure statements.

use crate::support::{Harness, car_of, file_blocks, identity};
use sovra_api_types::vault::{ERASURE_NAMESPACE, erasure_statement};
use sovra_cas::Cid;
use sovra_types::{ContentId, Did, RecordId, StateKey, VaultRecord, vault::Grant};
use std::sync::atomic::Ordering;

const CAR: &str = "application/vnd.ipld.car";

/// A record's pieces as the owner uploaded them.
pub(crate) struct Stored {
    pub id: RecordId,
    pub owner: Did,
    pub ciphertext: Vec<u8>,
    pub keys: Vec<u8>,
    pub wrap: Vec<u8>,
    pub record: VaultRecord,
}

fn raw(data: &[u8]) -> (Cid, Vec<u8>) {
    (sovra_cas::raw_cid(data), data.to_vec())
}

/// Record `n` of the owner of seed 1, version 2, with a current grant to seed 2 and a grant for
/// version 1 to seed 3, its blocks in the owner's namespace and its anchor finalized.
pub(crate) fn store_record(h: &Harness, n: u8) -> Stored {
    let (_, owner) = identity(1);
    let ciphertext: Vec<u8> = (0..300_000u32).map(|i| (i as u8) ^ n).collect();
    let (content, mut blocks) = file_blocks(&ciphertext);
    let keys = format!("keys of record {n}").into_bytes();
    let wrap = format!("wrap of record {n}").into_bytes();
    blocks.push(raw(&keys));
    blocks.push(raw(&wrap));
    h.backend.namespace(&owner).put_all(blocks);
    let grant = |seed, version| Grant {
        grantee: identity(seed).1,
        version,
        until_ms: None,
        wrap: ContentId::new(sovra_cas::raw_cid(&wrap)),
    };
    let record = VaultRecord {
        owner: owner.clone(),
        version: 2,
        content: ContentId::new(content),
        size: ciphertext.len() as u64,
        keys: ContentId::new(sovra_cas::raw_cid(&keys)),
        replication: 3,
        retain_until_ms: None,
        created_height: 1,
        updated_height: 1,
        updated_ms: 0,
        erased_height: None,
        grants: vec![grant(2, 2), grant(3, 1)],
    };
    let id = RecordId([n; 16]);
    h.backend
        .put_state(StateKey::VaultRecord(id), record.clone());
    Stored {
        id,
        owner,
        ciphertext,
        keys,
        wrap,
        record,
    }
}

pub(crate) async fn upload_blocks(h: &Harness) {
    let (_, me) = identity(1);
    let (_, other) = identity(2);
    let (root, blocks) = file_blocks(b"ciphertext");
    let car = car_of(&root, &blocks);
    h.post("/v1/vault/blocks", CAR, None, car.clone())
        .await
        .error(401, "unauthorized");
    let token = h.token_for(&me);
    // Only an account that can pay a fee may upload.
    h.post("/v1/vault/blocks", CAR, Some(&token), car.clone())
        .await
        .error(402, "insufficient_balance");
    h.backend.fund(&me, 1);
    let v = h
        .post("/v1/vault/blocks", CAR, Some(&token), car.clone())
        .await
        .ok_json(200);
    assert_eq!(v["roots"][0], root.to_string());
    // Into the uploader's own namespace: nobody else's, not the public store.
    assert!(h.backend.namespace(&me).has(&root));
    assert!(!h.backend.namespace(&other).has(&root));
    assert!(!h.backend.content.has(&root));
    h.post("/v1/vault/blocks", CAR, Some(&token), vec![0; 64])
        .await
        .error(400, "invalid_content");
    h.backend.staged_quota.store(0, Ordering::SeqCst);
    let (next, next_blocks) = file_blocks(b"more ciphertext");
    h.post(
        "/v1/vault/blocks",
        CAR,
        Some(&token),
        car_of(&next, &next_blocks),
    )
    .await
    .error(413, "vault_quota_exceeded");
    h.backend.staged_quota.store(1 << 30, Ordering::SeqCst);
    h.backend.max_upload_bytes.store(16, Ordering::SeqCst);
    h.post(
        "/v1/vault/blocks",
        CAR,
        Some(&token),
        car_of(&next, &next_blocks),
    )
    .await
    .error(413, "limit_exceeded");
    assert!(!h.backend.namespace(&me).has(&next));
    // A second upload while the first is still in progress is refused unread.
    h.backend.max_upload_bytes.store(1 << 30, Ordering::SeqCst);
    let (later, later_blocks) = file_blocks(b"later ciphertext");
    let (first, second) = h
        .upload_during_upload(
            "/v1/vault/blocks",
            &me,
            &token,
            car_of(&next, &next_blocks),
            car_of(&later, &later_blocks),
        )
        .await;
    first.ok_json(200);
    second.error(429, "uploads_in_progress");
    assert!(h.backend.namespace(&me).has(&next) && !h.backend.namespace(&me).has(&later));
}

pub(crate) async fn list_records(h: &Harness) {
    let records: Vec<Stored> = (1..=3).map(|n| store_record(h, n)).collect();
    let owner = &records[0].owner;
    let uri = format!("/v1/vault/records?owner={owner}");
    h.get(&uri).await.error(401, "unauthorized");
    // The owner: every record, every grant.
    let mine = h.token_for(owner);
    let v = h.get_as(&uri, &mine).await.ok_json(200);
    assert_eq!(v["records"].as_array().unwrap().len(), 3);
    assert_eq!(v["records"][0]["grants"].as_array().unwrap().len(), 2);
    assert!(v.get("next").is_none());
    // A current grantee: each record with only its own grant.
    let grantee = h.token_for(&identity(2).1);
    let v = h.get_as(&uri, &grantee).await.ok_json(200);
    assert_eq!(v["records"].as_array().unwrap().len(), 3);
    assert_eq!(v["records"][0]["grants"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["records"][0]["grants"][0]["grantee"],
        identity(2).1.as_str()
    );
    // A stale grantee and a stranger: an empty page.
    for seed in [3, 4] {
        let token = h.token_for(&identity(seed).1);
        let v = h.get_as(&uri, &token).await.ok_json(200);
        assert_eq!(v["records"], serde_json::json!([]), "seed {seed}");
    }
    // Pages: 1 to 500 records, continued after the last id.
    let v = h
        .get_as(&format!("{uri}&limit=2"), &mine)
        .await
        .ok_json(200);
    assert_eq!(v["records"].as_array().unwrap().len(), 2);
    let next = v["next"].as_str().unwrap().to_string();
    assert_eq!(next, records[1].id.to_string());
    let v = h
        .get_as(&format!("{uri}&after={next}&limit=100000"), &mine)
        .await
        .ok_json(200);
    assert_eq!(v["records"][0]["id"], records[2].id.to_string());
    h.get_as(&format!("{uri}&limit=0"), &mine)
        .await
        .ok_json(200);
    let asked: Vec<usize> = h
        .backend
        .asked
        .lock()
        .unwrap()
        .vault_records
        .iter()
        .map(|(_, l)| *l)
        .collect();
    assert!(asked.ends_with(&[2, 500, 1]), "{asked:?}");
    h.get_as("/v1/vault/records?owner=nobody", &mine)
        .await
        .error(400, "invalid_did");
    h.get_as(&format!("{uri}&after=zz"), &mine)
        .await
        .error(400, "invalid_record_id");
    h.get_as("/v1/vault/records", &mine)
        .await
        .error(400, "invalid_query");
}

pub(crate) async fn record(h: &Harness) {
    let r = store_record(h, 1);
    let uri = format!("/v1/vault/records/{}", r.id);
    h.get(&uri).await.error(401, "unauthorized");
    let v = h.get_as(&uri, &h.token_for(&r.owner)).await.ok_json(200);
    assert_eq!(v["owner"], r.owner.as_str());
    assert_eq!(v["grants"].as_array().unwrap().len(), 2);
    assert_eq!(v["expired"], false);
    let v = h
        .get_as(&uri, &h.token_for(&identity(2).1))
        .await
        .ok_json(200);
    assert_eq!(v["grants"].as_array().unwrap().len(), 1);
    for seed in [3, 4] {
        h.get_as(&uri, &h.token_for(&identity(seed).1))
            .await
            .error(403, "forbidden");
    }
    let token = h.token_for(&r.owner);
    h.get_as(&format!("/v1/vault/records/{}", RecordId([9; 16])), &token)
        .await
        .error(404, "not_found");
    h.get_as("/v1/vault/records/abc", &token)
        .await
        .error(400, "invalid_record_id");
}

pub(crate) async fn record_content(h: &Harness) {
    let r = store_record(h, 1);
    let uri = format!("/v1/vault/records/{}/content", r.id);
    // The id is checked before the caller.
    h.get("/v1/vault/records/abc/content")
        .await
        .error(400, "invalid_record_id");
    h.get(&uri).await.error(401, "unauthorized");
    for (seed, role) in [(1, "owner"), (2, "grantee")] {
        let a = h.get_as(&uri, &h.token_for(&identity(seed).1)).await;
        assert_eq!(a.status, 200, "{}", a.text());
        assert_eq!(a.body, r.ciphertext);
        assert_eq!(a.header("cache-control"), "no-store");
        assert_eq!(a.header("content-length"), r.ciphertext.len().to_string());
        let log = h.backend.logs.lock().unwrap()[&r.id].clone();
        assert_eq!(log.last().unwrap().role, role);
        assert_eq!(log.last().unwrap().part, "content");
    }
    // A stale grant and a stranger: refused, and nothing logged.
    let logged = h.backend.logs.lock().unwrap()[&r.id].len();
    for seed in [3, 4] {
        h.get_as(&uri, &h.token_for(&identity(seed).1))
            .await
            .error(403, "forbidden");
    }
    assert_eq!(h.backend.logs.lock().unwrap()[&r.id].len(), logged);
    // Only the owner's namespace counts: the same blocks elsewhere reach nothing.
    let owner_token = h.token_for(&r.owner);
    let content = *r.record.content.cid();
    h.backend
        .namespace(&identity(5).1)
        .put_all(vec![(content, h.backend.namespace(&r.owner).get(&content))]);
    h.backend.namespace(&r.owner).remove(&content);
    h.get_as(&uri, &owner_token).await.error(503, "unavailable");
    // Erased or past retention: released to nobody.
    let mut erased = r.record.clone();
    erased.erased_height = Some(2);
    h.backend.put_state(StateKey::VaultRecord(r.id), erased);
    h.get_as(&uri, &owner_token).await.error(404, "not_found");
    let mut expired = r.record.clone();
    expired.retain_until_ms = Some(1);
    h.backend.put_state(StateKey::VaultRecord(r.id), expired);
    h.get_as(&uri, &owner_token).await.error(404, "not_found");
}

pub(crate) async fn record_keys(h: &Harness) {
    let r = store_record(h, 1);
    let uri = format!("/v1/vault/records/{}/keys", r.id);
    h.get(&uri).await.error(401, "unauthorized");
    for seed in [1, 2] {
        let a = h.get_as(&uri, &h.token_for(&identity(seed).1)).await;
        assert_eq!((a.status.as_u16(), &a.body), (200, &r.keys));
        assert_eq!(a.header("content-type"), "application/octet-stream");
    }
    h.get_as(&uri, &h.token_for(&identity(4).1))
        .await
        .error(403, "forbidden");
}

pub(crate) async fn record_grant(h: &Harness) {
    let r = store_record(h, 1);
    let uri = format!("/v1/vault/records/{}/grant", r.id);
    h.get(&uri).await.error(401, "unauthorized");
    let a = h.get_as(&uri, &h.token_for(&identity(2).1)).await;
    assert_eq!((a.status.as_u16(), &a.body), (200, &r.wrap));
    // The owner reads the keys block, not a grant.
    let m = h
        .get_as(&uri, &h.token_for(&r.owner))
        .await
        .error(403, "forbidden");
    assert!(m.contains("keys block"), "{m}");
    h.get_as(&uri, &h.token_for(&identity(3).1))
        .await
        .error(403, "forbidden");
}

pub(crate) async fn record_log(h: &Harness) {
    let r = store_record(h, 1);
    let owner = h.token_for(&r.owner);
    let grantee = h.token_for(&identity(2).1);
    h.get_as(&format!("/v1/vault/records/{}/keys", r.id), &grantee)
        .await;
    h.get_as(&format!("/v1/vault/records/{}/content", r.id), &owner)
        .await;
    let uri = format!("/v1/vault/records/{}/log", r.id);
    let v = h.get_as(&uri, &owner).await.ok_json(200);
    assert_eq!(v["record"], r.id.to_string());
    assert_eq!(v["node"], hex::encode(h.backend.node_public_key().as_ref()));
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["accessor"].as_str(), entries[0]["part"].as_str()),
        (Some(identity(2).1.as_str()), Some("keys"))
    );
    assert_eq!(entries[1]["seq"], 1);
    // Pages of 1 to 1000 entries.
    h.get_as(&format!("{uri}?from=1&limit=5000"), &owner)
        .await
        .ok_json(200);
    assert_eq!(
        h.backend.asked.lock().unwrap().vault_log,
        vec![(0, 100), (1, 1000)]
    );
    h.get(&uri).await.error(401, "unauthorized");
    h.get_as(&uri, &grantee).await.error(403, "forbidden");
    h.get_as(
        &format!("/v1/vault/records/{}/log", RecordId([7; 16])),
        &owner,
    )
    .await
    .error(404, "not_found");
    h.get_as(&format!("{uri}?limit=all"), &owner)
        .await
        .error(400, "invalid_query");
}

pub(crate) async fn record_erasure(h: &Harness) {
    let r = store_record(h, 1);
    let uri = format!("/v1/vault/records/{}/erasure", r.id);
    let v = h.get(&uri).await.ok_json(200);
    assert_eq!(
        (v["erased"].as_bool(), v["confirmed"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(v["held_roots"], 4);
    assert!(v.get("statement").is_none());
    // Erased on the ledger and gone from this node: a signed statement.
    let mut erased = r.record.clone();
    erased.erased_height = Some(2);
    h.backend
        .put_state(StateKey::VaultRecord(r.id), erased.clone());
    for root in erased.roots() {
        h.backend.namespace(&r.owner).remove(root.cid());
    }
    h.backend.rewrite_pending.store(true, Ordering::SeqCst);
    let v = h.get(&uri).await.ok_json(200);
    assert_eq!(
        (v["held_roots"].as_u64(), v["confirmed"].as_bool()),
        (Some(0), Some(false))
    );
    h.backend.rewrite_pending.store(false, Ordering::SeqCst);
    let v = h.get(&uri).await.ok_json(200);
    assert_eq!(v["confirmed"], true);
    let node = hex::encode(h.backend.node_public_key().as_ref());
    let statement = erasure_statement(crate::support::CHAIN_ID, &r.id, &node);
    assert_eq!(v["statement"], statement);
    let signature = sovra_crypto::keys::signature_from_bytes(
        &hex::decode(v["signature"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert!(sovra_crypto::verify(
        &h.backend.node_public_key(),
        ERASURE_NAMESPACE,
        statement.as_bytes(),
        &signature
    ));
    h.get(&format!("/v1/vault/records/{}/erasure", RecordId([8; 16])))
        .await
        .error(404, "not_found");
    h.get("/v1/vault/records/-/erasure")
        .await
        .error(400, "invalid_record_id");
}
