//! Retrieval while peers are down, on four real node processes on loopback: a file pinned with
//! replication 1 (held by the uploading node and one assigned holder) is served, whole, by a
//! third node at the first request after the uploader and the fourth node are killed. The same
//! network checks the gateway's answers to DAGs it must refuse (a directory of 16,385 links, a
//! CAR naming a root it lacks) and the sandbox on uploaded HTML.

use crate::common::{
    Node, content, dev_key, init_testnet, port_base, start, test_dir, wait_for_height, wait_until,
};
use ipld_dagpb::{PbLink, PbNode};
use sovra_cas::{Adder, BlockSink, Cid, MemoryBlocks, Profile, car, dag::Scope};
use sovra_client::Client;
use sovra_types::{Action, ContentAction, ContentId, Did};
use std::time::{Duration, Instant};

/// The validator (index into `validators`, hex keys) assigned to hold `root` at replication 1:
/// the highest SHA-256(root CID || key), as the node computes it.
fn holder_of(root: &Cid, validators: &[String]) -> usize {
    let root_bytes = root.to_bytes();
    (0..validators.len())
        .max_by_key(|&i| {
            let key = hex::decode(&validators[i]).unwrap();
            sovra_types::sha256(&[&root_bytes, &key])
        })
        .unwrap()
}

/// A plain GET: status, body (or the error that ended it) and headers.
fn get(url: &str) -> (u16, Result<Vec<u8>, String>, ureq::http::HeaderMap) {
    let mut resp = ureq::get(url)
        .config()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .call()
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .map_err(|e| e.to_string());
    (status, body, headers)
}

fn car_of(blocks: &MemoryBlocks, root: &Cid) -> Vec<u8> {
    let mut bytes = Vec::new();
    car::export(blocks, root, &[], root, Scope::All, &mut bytes).unwrap();
    bytes
}

#[test]
fn a_third_node_serves_a_pinned_file_while_the_uploader_and_another_peer_are_down() {
    let (_cleanup, root_dir) = test_dir();
    let dir = root_dir.as_path();
    let base = port_base();
    init_testnet(dir, 4, 1, base);
    let mut nodes: Vec<Option<Node>> = (0..4).map(|i| Some(start(dir, i))).collect();
    let clients: Vec<Client> = (0..4)
        .map(|i| Client::new(&format!("http://127.0.0.1:{}", base + i as u16)))
        .collect();
    wait_until("the network to finalize", Duration::from_secs(90), || {
        clients
            .iter()
            .all(|c| c.status().map(|s| s.finalized_height >= 2).unwrap_or(false))
    });
    let validators = clients[0].status().unwrap().validators;
    assert_eq!(validators.len(), 4);
    let node_of = |key: &str| {
        (0..4)
            .find(|&i| clients[i].status().unwrap().node_key == key)
            .unwrap()
    };

    // A 3 MiB file whose assigned holder is not the uploading node 0.
    let (data, root, holder) = (1u32..)
        .map(|seed| {
            let data = content(3 << 20, seed);
            let root = Adder::new(Profile::Legacy)
                .add_reader(data.as_slice(), &mut MemoryBlocks::new())
                .unwrap()
                .cid;
            let holder = node_of(&validators[holder_of(&root, &validators)]);
            (data, root, holder)
        })
        .find(|(_, _, holder)| *holder != 0)
        .unwrap();
    let third = (1..4).find(|&i| i != holder).unwrap();
    let fourth = (1..4).find(|&i| i != holder && i != third).unwrap();

    let owner = dev_key(0);
    let owner_did = Did::from_public_key(&owner.public_key());
    let token = clients[0].login(&owner, &owner_did).unwrap();
    let file = dir.join("data.bin");
    std::fs::write(&file, &data).unwrap();
    let (added, _) = clients[0]
        .add_path(&token, &file, Profile::Legacy, false, |_| {})
        .unwrap();
    assert_eq!(added.cid, root);
    let id = clients[0]
        .send(
            &owner,
            vec![Action::Content(ContentAction::Pin {
                cid: ContentId::new(root),
                size: added.dag_bytes,
                replication: 1,
            })],
            1,
        )
        .unwrap();
    let status = clients[0].wait_final(&id, Duration::from_secs(60)).unwrap();
    assert_eq!(status.status, "completed", "{status:?}");
    // Every node knows the pin (and so its holder) before the others go down.
    let pinned_at = status.height.expect("a completed transaction has a height");
    wait_for_height(&clients, pinned_at, Duration::from_secs(60));
    wait_until(
        "the assigned holder to replicate the pin",
        Duration::from_secs(90),
        || {
            clients[holder]
                .content_status(&root)
                .map(|s| s.complete_here)
                .unwrap_or(false)
        },
    );
    // Only the uploader and the holder have it.
    assert!(!clients[third].content_status(&root).unwrap().complete_here);

    // The uploader and the fourth node go down; the holder and the third node stay.
    nodes[0].take();
    nodes[fourth].take();

    // The first request to the third node answers 200 with every byte.
    let started = Instant::now();
    let (status, body, headers) = get(&format!("{}/ipfs/{root}", clients[third].base()));
    assert_eq!(status, 200, "{body:?}");
    let body = body.expect("a 200 answer is never cut short");
    assert_eq!(body.len(), data.len());
    assert!(body == data, "the bytes served are the file's");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "served in {:?}",
        started.elapsed()
    );
    assert_eq!(
        headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok()),
        Some("sandbox")
    );
    // And as a CAR, which re-imports to the same file.
    let (status, car_body, _) = get(&format!("{}/ipfs/{root}?format=car", clients[third].base()));
    assert_eq!(status, 200);
    let mut reimported = MemoryBlocks::new();
    car::import(car_body.unwrap().as_slice(), 64 << 20, &mut reimported).unwrap();
    let mut round = Vec::new();
    sovra_cas::unixfs::cat(&reimported, &root, &mut round).unwrap();
    assert!(round == data);

    // Content no peer has: a clear error after the retrieval timeout, never a 200.
    let nowhere = sovra_cas::raw_cid(b"held by no node");
    let (status, _, _) = get(&format!("{}/ipfs/{nowhere}", clients[third].base()));
    assert_eq!(status, 404);

    refusals(&clients[third]);
}

/// The gateway's answers to DAGs over its limits and to CARs that lie, on a running node.
fn refusals(client: &Client) {
    let owner = dev_key(0);
    let token = client
        .login(&owner, &Did::from_public_key(&owner.public_key()))
        .unwrap();

    // A flat directory of 16,385 links (one more than a block may have): a 4xx, never a 500 or
    // a truncated 200.
    let mut blocks = MemoryBlocks::new();
    let leaf = sovra_cas::Block::raw(b"leaf".to_vec());
    blocks.put_block(leaf.cid, leaf.data.clone()).unwrap();
    let node = PbNode {
        links: (0..16_385)
            .map(|i| PbLink {
                cid: leaf.cid,
                name: Some(format!("f{i:05}")),
                size: Some(4),
            })
            .collect(),
        data: Some(bytes::Bytes::from_static(&[0x08, 0x01])),
    };
    let encoded = node.into_bytes();
    let wide = Cid::new_v1(
        sovra_cas::block::DAG_PB,
        multihash_codetable::MultihashDigest::digest(
            &multihash_codetable::Code::Sha2_256,
            &encoded,
        ),
    );
    blocks.put_block(wide, encoded).unwrap();
    let mut car_bytes = Vec::new();
    {
        // Header names the directory; the leaf and the directory follow.
        let mut writer =
            fvm_ipld_car::CarWriter::new(fvm_ipld_car::CarHeader::from(vec![wide]), &mut car_bytes)
                .unwrap();
        for cid in [wide, leaf.cid] {
            let data = sovra_cas::BlockSource::require_block(&blocks, &cid).unwrap();
            writer.write(fvm_ipld_car::Block { cid, data }).unwrap();
        }
    }
    client
        .upload_car(&token, std::io::Cursor::new(car_bytes))
        .unwrap();
    let (status, body, _) = get(&format!("{}/v1/content/{wide}", client.base()));
    assert_eq!(status, 400, "{body:?}");
    assert!(String::from_utf8_lossy(&body.unwrap()).contains("limit_exceeded"));
    let (status, _, _) = get(&format!("{}/ipfs/{wide}?format=car", client.base()));
    assert_eq!(status, 400, "a CAR of it is refused before it starts");

    // A CAR whose header names a root it does not hold is refused, and stores nothing.
    let absent = sovra_cas::Block::raw(b"named but absent".to_vec());
    let present = sovra_cas::Block::raw(b"present block".to_vec());
    let mut lying = Vec::new();
    {
        let mut writer = fvm_ipld_car::CarWriter::new(
            fvm_ipld_car::CarHeader::from(vec![absent.cid]),
            &mut lying,
        )
        .unwrap();
        writer
            .write(fvm_ipld_car::Block {
                cid: present.cid,
                data: present.data.clone(),
            })
            .unwrap();
    }
    let err = client
        .upload_car(&token, std::io::Cursor::new(lying))
        .unwrap_err();
    assert!(
        err.to_string().contains("not among the CAR's blocks"),
        "{err}"
    );
    assert!(client.raw_block(&present.cid).unwrap().is_none());

    // Uploaded HTML is served sandboxed (no scripts, no access to the API's origin).
    let mut site = MemoryBlocks::new();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("index.html"),
        "<script>fetch('/v1/auth/session')</script>",
    )
    .unwrap();
    let site_root = Adder::new(Profile::Legacy)
        .add_path(tmp.path(), &mut site)
        .unwrap()
        .cid;
    client
        .upload_car(&token, std::io::Cursor::new(car_of(&site, &site_root)))
        .unwrap();
    for path in [format!("{site_root}/"), format!("{site_root}/index.html")] {
        let (status, _, headers) = get(&format!("{}/ipfs/{path}", client.base()));
        assert_eq!(status, 200);
        assert_eq!(
            headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok()),
            Some("sandbox"),
            "{path}"
        );
    }
}
