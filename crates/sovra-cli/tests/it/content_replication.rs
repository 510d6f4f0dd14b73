//! Public content on real node processes on loopback. Across three nodes: content added and
//! pinned through node A is replicated to B and C; with A killed, B and C serve it; a block
//! corrupted on B's disk is detected, discarded and fetched again from a peer; the gateway
//! answers raw blocks and CARs; a public document resolves. On one node: a tampered CAR upload
//! is refused and changes nothing; a gateway-conformance fixture resolves through the gateway;
//! uploads need a funded, DID-authenticated identity and stay within its quota.

use crate::common::{
    Node, content, dev_key, init_testnet, port_base, start, test_dir, wait_for_height, wait_until,
};
use sovra_cas::{Adder, MemoryBlocks, Profile, car, dag::Scope, unixfs};
use sovra_client::{Client, RemoteBlocks};
use sovra_crypto::SigningKey;
use sovra_types::{Action, ContentAction, ContentId, Did};
use std::{path::Path, time::Duration};

fn read_file(client: &Client, cid: &sovra_cas::Cid) -> Vec<u8> {
    let mut out = Vec::new();
    unixfs::cat(&RemoteBlocks::new(client), cid, &mut out).unwrap();
    out
}

/// Sends `action` through the first of `clients`, and waits until it completed and every one of
/// `clients` has finalized its block.
fn send(clients: &[Client], key: &SigningKey, action: Action) {
    let id = clients[0].send(key, vec![action], 1).unwrap();
    let status = clients[0].wait_final(&id, Duration::from_secs(60)).unwrap();
    assert_eq!(status.status, "completed", "{status:?}");
    let height = status.height.expect("a completed transaction has a height");
    wait_for_height(clients, height, Duration::from_secs(60));
}

/// Writes a testnet of `n` nodes in `dir` (API ports from `base`) with fast garbage collection, a
/// grace period long enough for upload-then-pin and a quota of 3,000,000 bytes of unpinned
/// uploads per identity, starts it and waits until it finalizes; returns the nodes and a client
/// of each.
fn start_network(dir: &Path, n: usize, base: u16) -> (Vec<Option<Node>>, Vec<Client>) {
    init_testnet(dir, n, 1, base);
    // Fast garbage collection, and a grace period long enough for upload-then-pin.
    for i in 0..n {
        let cfg = dir.join(format!("node{i}/config.toml"));
        let text = std::fs::read_to_string(&cfg).unwrap();
        assert!(
            text.contains("gc_interval_secs = 300") && text.contains("upload_grace_secs = 3600")
        );
        assert!(text.contains("max_unpinned_bytes_per_identity = 4294967296"));
        let text = text
            .replace("gc_interval_secs = 300", "gc_interval_secs = 2")
            .replace("upload_grace_secs = 3600", "upload_grace_secs = 20")
            .replace(
                "max_unpinned_bytes_per_identity = 4294967296",
                "max_unpinned_bytes_per_identity = 3000000",
            );
        std::fs::write(&cfg, text).unwrap();
    }
    let nodes: Vec<Option<Node>> = (0..n).map(|i| Some(start(dir, i))).collect();
    let clients: Vec<Client> = (0..n)
        .map(|i| Client::new(&format!("http://127.0.0.1:{}", base + i as u16)))
        .collect();
    wait_until("the network to finalize", Duration::from_secs(60), || {
        clients
            .iter()
            .all(|c| c.status().map(|s| s.finalized_height >= 2).unwrap_or(false))
    });
    (nodes, clients)
}

#[test]
fn pinned_content_is_replicated_served_and_repaired() {
    let (_cleanup, root) = test_dir();
    let dir = root.as_path();
    let (mut nodes, clients) = start_network(dir, 3, port_base());

    // A 1.5 MB file (several leaves and a root) uploaded through node A by a funded identity.
    let owner = dev_key(0);
    let owner_did = Did::from_public_key(&owner.public_key());
    let tokens: Vec<String> = clients
        .iter()
        .map(|c| c.login(&owner, &owner_did).unwrap())
        .collect();
    let data = content(1_500_000, 7);
    let file = dir.join("data.bin");
    std::fs::write(&file, &data).unwrap();
    let (added, uploaded) = clients[0]
        .add_path(&tokens[0], &file, Profile::Legacy, false, |_| {})
        .unwrap();
    let mut local = MemoryBlocks::new();
    let expected = Adder::new(Profile::Legacy)
        .add_reader(data.as_slice(), &mut local)
        .unwrap();
    assert_eq!(
        added.cid, expected.cid,
        "client-side CID equals the importer's"
    );
    assert_eq!(uploaded.blocks, expected.blocks);
    assert_eq!(read_file(&clients[0], &added.cid), data);

    // Before the pin, B does not hold it.
    assert!(!clients[1].content_status(&added.cid).unwrap().complete_here);

    // Pin it with replication 3, and name it as the owner's public profile.
    let cid = ContentId::new(added.cid);
    send(
        &clients,
        &owner,
        Action::Content(ContentAction::Pin {
            cid: cid.clone(),
            size: added.dag_bytes,
            replication: 3,
        }),
    );
    send(
        &clients,
        &owner,
        Action::Content(ContentAction::SetPublicDocument {
            name: "profile".into(),
            cid: Some(cid.clone()),
        }),
    );
    let doc = clients[1]
        .public_doc(&Did::from_public_key(&owner.public_key()), "profile")
        .unwrap();
    assert_eq!(doc.cid, added.cid.to_string());

    wait_until(
        "B and C to replicate the pin",
        Duration::from_secs(60),
        || {
            clients[1..].iter().all(|c| {
                c.content_status(&added.cid)
                    .map(|s| s.complete_here && s.pins.len() == 1)
                    .unwrap_or(false)
            })
        },
    );

    // A is killed; B and C serve the content, byte for byte, every block verified by the client.
    nodes[0].take();
    for c in &clients[1..] {
        assert_eq!(read_file(c, &added.cid), data);
    }

    // Trustless gateway answers from B: a raw block and a CAR that re-imports completely.
    let raw = clients[1].raw_block(&added.cid).unwrap().unwrap();
    sovra_cas::verify_block(&added.cid, &raw).unwrap();
    let mut car_bytes = Vec::new();
    clients[1]
        .export_car(&added.cid.to_string(), "all", u64::MAX, &mut car_bytes)
        .unwrap();
    let mut reimported = MemoryBlocks::new();
    car::import(car_bytes.as_slice(), 64 << 20, &mut reimported).unwrap();
    let mut round = Vec::new();
    unixfs::cat(&reimported, &added.cid, &mut round).unwrap();
    assert_eq!(round, data);
    let mut entity = Vec::new();
    clients[1]
        .export_car(&added.cid.to_string(), "block", u64::MAX, &mut entity)
        .unwrap();
    assert!(entity.len() < car_bytes.len());
    let _ = Scope::Block;

    // Corrupt one leaf on B's disk while B is down; after restart B detects it on read, discards
    // it and fetches it again from C.
    let leaf = sovra_cas::links::links(&added.cid, &raw).unwrap()[1];
    nodes[1].take();
    {
        let store = sovra_store::ContentStore::open(&dir.join("node1/data/content.redb")).unwrap();
        store.corrupt_for_test(&leaf, b"not the block").unwrap();
    }
    nodes[1] = Some(start(dir, 1));
    wait_until("B to restart", Duration::from_secs(60), || {
        clients[1].status().is_ok()
    });
    // The first reads may come before B has reconnected to C.
    wait_until(
        "B to serve the repaired file",
        Duration::from_secs(150),
        || {
            let mut out = Vec::new();
            match unixfs::cat(&RemoteBlocks::new(&clients[1]), &added.cid, &mut out) {
                Ok(_) => out == data,
                Err(e) => {
                    eprintln!("B cannot serve yet: {e}");
                    false
                }
            }
        },
    );
    wait_until(
        "B to hold the repaired DAG",
        Duration::from_secs(60),
        || {
            clients[1]
                .content_status(&added.cid)
                .map(|s| s.complete_here)
                .unwrap_or(false)
        },
    );
    let metrics = ureq::get(&format!("{}/metrics", clients[1].base()))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("sovra_content_corrupt_blocks_total"),
        "{metrics}"
    );
}

/// Uploads, on one node: a tampered CAR is refused and stores nothing; a gateway-conformance
/// fixture uploaded as a CAR resolves through the gateway; an upload without an identity (401)
/// or by an identity that holds nothing (403) is refused and stores nothing; an identity's
/// unpinned uploads stay within its quota (413 `quota_exceeded`, storing nothing).
#[test]
fn uploads_are_verified_authenticated_and_within_quota() {
    let (_cleanup, root) = test_dir();
    let dir = root.as_path();
    let (_nodes, clients) = start_network(dir, 1, port_base());
    let owner = dev_key(0);
    let owner_did = Did::from_public_key(&owner.public_key());
    let node = &clients[0];
    let token = node.login(&owner, &owner_did).unwrap();

    // A tampered CAR is refused and stores nothing.
    let (tampered_root, tampered) = {
        let other = content(300_000, 99);
        let mut blocks = MemoryBlocks::new();
        let root = Adder::new(Profile::Legacy)
            .add_reader(other.as_slice(), &mut blocks)
            .unwrap()
            .cid;
        let mut bytes = Vec::new();
        car::export(&blocks, &root, &[], &root, Scope::All, &mut bytes).unwrap();
        let at = bytes.len() - 10;
        bytes[at] ^= 0xff;
        (root, bytes)
    };
    let err = node
        .upload_car(&token, std::io::Cursor::new(tampered))
        .unwrap_err();
    assert!(err.to_string().contains("invalid_content"), "{err}");
    assert!(node.raw_block(&tampered_root).unwrap().is_none());

    // A gateway-conformance fixture uploaded as a CAR resolves through the HTTP gateway.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sovra-cas/tests/vectors/ipfs-gateway-conformance/path_gateway_unixfs");
    let car_file = std::fs::File::open(fixtures.join("dir-with-files.car")).unwrap();
    let imported = node.upload_car(&token, car_file).unwrap();
    let root = &imported.roots[0];
    let get = |path: &str| {
        ureq::get(&format!("{}/ipfs/{root}/{path}", node.base()))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    };
    assert_eq!(get("hello.txt"), "hello world\n");
    assert_eq!(get("ascii.txt"), "hello application/vnd.ipld.car\n");
    assert!(get("").contains("multiblock.txt"), "directory listing");

    // Uploads without an identity are refused (401), and store nothing.
    let small = sovra_cas::Block::raw(b"anonymous upload".to_vec());
    let (_, one_block_car) = {
        let mut blocks = MemoryBlocks::new();
        sovra_cas::BlockSink::put_block(&mut blocks, small.cid, small.data.clone()).unwrap();
        let mut bytes = Vec::new();
        car::export(&blocks, &small.cid, &[], &small.cid, Scope::All, &mut bytes).unwrap();
        (small.cid, bytes)
    };
    let anonymous = ureq::post(&format!("{}/v1/content", node.base()))
        .config()
        .http_status_as_error(false)
        .build()
        .header("content-type", "application/vnd.ipld.car")
        .send(&one_block_car[..])
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(node.raw_block(&small.cid).unwrap().is_none());
    // An authenticated identity that holds nothing on the ledger is refused (403).
    let stranger = SigningKey::from_test_seed(4242);
    let stranger_token = node
        .login(&stranger, &Did::from_public_key(&stranger.public_key()))
        .unwrap();
    let err = node
        .upload_car(&stranger_token, std::io::Cursor::new(one_block_car.clone()))
        .unwrap_err();
    assert!(err.to_string().contains("(403)"), "{err}");
    // The owner's quota is 3,000,000 bytes of unpinned uploads (the fixture above used a
    // few KB of it): 2 MB fits, the next 2 MB does not (413 quota_exceeded), and stores nothing.
    let first = dir.join("quota-1.bin");
    std::fs::write(&first, content(2_000_000, 11)).unwrap();
    node.add_path(&token, &first, Profile::Legacy, false, |_| {})
        .unwrap();
    let second_data = content(2_000_000, 12);
    let second = dir.join("quota-2.bin");
    std::fs::write(&second, &second_data).unwrap();
    let err = node
        .add_path(&token, &second, Profile::Legacy, false, |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("quota_exceeded"), "{err}");
    let second_root = Adder::new(Profile::Legacy)
        .add_reader(second_data.as_slice(), &mut MemoryBlocks::new())
        .unwrap()
        .cid;
    assert!(!node.content_status(&second_root).unwrap().complete_here);
}
