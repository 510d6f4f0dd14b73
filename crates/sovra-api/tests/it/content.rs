//! The content area: the trustless gateway (files, raw blocks, CARs, listings, refusals),
//! authenticated CAR uploads within the node's limits, pin status and public documents.

use crate::support::{Harness, car_of, file_blocks, identity};
use axum::http::header;
use sovra_api::MAX_BODY_BYTES;
use sovra_cas::{Adder, Profile};
use sovra_types::ContentId;
use std::sync::atomic::Ordering;

const CAR: &str = "application/vnd.ipld.car";

pub(crate) async fn gateway(h: &Harness) {
    let data: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let (root, blocks) = file_blocks(&data);
    assert!(blocks.len() > 1, "a file of several blocks");
    // Not here (nor at a peer): 404.
    h.get(&format!("/ipfs/{root}"))
        .await
        .error(404, "not_found");
    h.backend.content.put_all(blocks.clone());
    // The file, streamed, sandboxed.
    let a = h.get(&format!("/ipfs/{root}")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, data);
    assert_eq!(a.header(header::CONTENT_SECURITY_POLICY), "sandbox");
    assert_eq!(a.header(header::ETAG), format!("\"{root}\""));
    // The root block raw, by query or Accept.
    let raw = h.get(&format!("/ipfs/{root}?format=raw")).await;
    assert_eq!(raw.status, 200);
    sovra_cas::verify_block(&root, &raw.body).unwrap();
    let by_accept = h
        .get_accept(&format!("/ipfs/{root}"), "application/vnd.ipld.raw")
        .await;
    assert_eq!(by_accept.body, raw.body);
    // The whole DAG as a CAR that imports back to the same file.
    let car = h.get(&format!("/ipfs/{root}?format=car")).await;
    assert_eq!(car.status, 200);
    assert!(car.header(header::CONTENT_TYPE).starts_with(CAR));
    let mut back = crate::support::mock::Staged::default();
    sovra_cas::car::import(&car.body[..], 1 << 30, &mut back).unwrap();
    assert_eq!(back.0.len(), blocks.len());
    // A directory: its listing, and paths into it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
    std::fs::write(dir.path().join("b <x>.md"), b"# title").unwrap();
    let mut staged = crate::support::mock::Staged::default();
    let added = Adder::new(Profile::default())
        .add_path(dir.path(), &mut staged)
        .unwrap();
    h.backend.content.put_all(staged.0);
    let listing = h.get(&format!("/ipfs/{}", added.cid)).await;
    assert_eq!(listing.status, 200);
    assert!(
        listing
            .header(header::CONTENT_TYPE)
            .starts_with("text/html")
    );
    assert!(
        listing.text().contains("b &lt;x&gt;.md"),
        "{}",
        listing.text()
    );
    let file = h.get(&format!("/ipfs/{}/a.txt", added.cid)).await;
    assert_eq!(
        (file.status.as_u16(), file.body.as_slice()),
        (200, &b"hello"[..])
    );
    assert!(file.header(header::CONTENT_TYPE).starts_with("text/plain"));
    h.get(&format!("/ipfs/{}/missing.txt", added.cid))
        .await
        .error(404, "not_found");
    // Refusals.
    h.get("/ipfs/not-a-cid").await.error(400, "invalid_cid");
    h.get(&format!("/ipfs/{root}?format=zip"))
        .await
        .error(400, "invalid_format");
    h.get(&format!("/ipfs/{root}?format=car&dag-scope=everything"))
        .await
        .error(400, "invalid_dag_scope");
    // A missing block under the root: the CAR is refused before it starts, never cut short.
    h.backend.content.remove(&blocks[0].0);
    h.get(&format!("/ipfs/{root}?format=car"))
        .await
        .error(503, "unavailable");
}

pub(crate) async fn upload(h: &Harness) {
    let (_, me) = identity(1);
    let (root, blocks) = file_blocks(b"some public bytes");
    let car = car_of(&root, &blocks);
    // Authentication required.
    h.post("/v1/content", CAR, None, car.clone())
        .await
        .error(401, "unauthorized");
    h.post("/v1/content", CAR, Some("feed"), car.clone())
        .await
        .error(401, "unauthorized");
    let token = h.token_for(&me);
    // An identity without the least balance may not upload.
    h.post("/v1/content", CAR, Some(&token), car.clone())
        .await
        .error(403, "forbidden");
    assert!(!h.backend.content.has(&root));
    h.backend.fund(&me, 10);
    let v = h
        .post("/v1/content", CAR, Some(&token), car.clone())
        .await
        .ok_json(200);
    assert_eq!(v["roots"][0], root.to_string());
    assert_eq!(v["blocks"], 1);
    assert!(h.backend.content.has(&root));
    // Not a CAR, and a CAR whose block does not match its CID.
    h.post("/v1/content", CAR, Some(&token), b"not a car".to_vec())
        .await
        .error(400, "invalid_content");
    let mut tampered = car.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    h.post("/v1/content", CAR, Some(&token), tampered)
        .await
        .error(400, "invalid_content");
    // Uploads stream past the API's body limit, up to the node's own upload limit.
    let big: Vec<u8> = (0..MAX_BODY_BYTES as u32 + 4096)
        .map(|i| (i % 253) as u8)
        .collect();
    let (big_root, big_blocks) = file_blocks(&big);
    let big_car = car_of(&big_root, &big_blocks);
    assert!(big_car.len() > MAX_BODY_BYTES);
    h.post("/v1/content", CAR, Some(&token), big_car.clone())
        .await
        .ok_json(200);
    h.backend.max_upload_bytes.store(1024, Ordering::SeqCst);
    h.post("/v1/content", CAR, Some(&token), big_car)
        .await
        .error(413, "limit_exceeded");
    // The uploader's quota of unpinned bytes.
    h.backend.max_upload_bytes.store(1 << 30, Ordering::SeqCst);
    h.backend.staged_quota.store(0, Ordering::SeqCst);
    let (other, other_blocks) = file_blocks(b"more bytes");
    h.post(
        "/v1/content",
        CAR,
        Some(&token),
        car_of(&other, &other_blocks),
    )
    .await
    .error(413, "quota_exceeded");
    assert!(!h.backend.content.has(&other));
    // A second upload while the first is still in progress is refused unread; the first ends
    // well, and the second goes through once it has.
    h.backend.staged_quota.store(1 << 30, Ordering::SeqCst);
    let (third, third_blocks) = file_blocks(b"third bytes");
    let (first, second) = h
        .upload_during_upload(
            "/v1/content",
            &me,
            &token,
            car_of(&other, &other_blocks),
            car_of(&third, &third_blocks),
        )
        .await;
    first.ok_json(200);
    second.error(429, "uploads_in_progress");
    assert!(h.backend.content.has(&other) && !h.backend.content.has(&third));
    h.post(
        "/v1/content",
        CAR,
        Some(&token),
        car_of(&third, &third_blocks),
    )
    .await
    .ok_json(200);
}

pub(crate) async fn content_status(h: &Harness) {
    let (root, blocks) = file_blocks(b"pinned bytes");
    let (_, owner) = identity(1);
    h.backend
        .pins
        .lock()
        .unwrap()
        .insert(root.to_string(), vec![(owner.to_string(), 3)]);
    let v = h.get(&format!("/v1/content/{root}")).await.ok_json(200);
    assert_eq!(v["pins"][0]["owner"], owner.as_str());
    assert_eq!(v["pins"][0]["replication"], 3);
    assert_eq!(v["complete_here"], false);
    h.backend.content.put_all(blocks);
    let v = h.get(&format!("/v1/content/{root}")).await.ok_json(200);
    assert_eq!(v["complete_here"], true);
    h.get("/v1/content/xyz").await.error(400, "invalid_cid");
}

pub(crate) async fn public_doc(h: &Harness) {
    let (_, owner) = identity(1);
    let (root, _) = file_blocks(b"profile");
    h.backend
        .docs
        .lock()
        .unwrap()
        .insert((owner.to_string(), "profile".into()), ContentId::new(root));
    let v = h
        .get(&format!("/v1/accounts/{owner}/public/profile"))
        .await
        .ok_json(200);
    assert_eq!(v["cid"], root.to_string());
    assert_eq!(v["gateway_path"], format!("/ipfs/{root}"));
    h.get(&format!("/v1/accounts/{owner}/public/cv"))
        .await
        .error(404, "not_found");
    h.get(&format!("/v1/accounts/{owner}/public/{}", "n".repeat(300)))
        .await
        .error(400, "invalid_name");
    h.get("/v1/accounts/nobody/public/profile")
        .await
        .error(400, "invalid_did");
}
