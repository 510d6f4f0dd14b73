//! The private vault and guardian recovery across four real node processes on loopback (four,
//! so that consensus goes on with one validator offline; records are replicated to all four).
//!
//! - records are encrypted on the client; after storing them no file in any node's data
//!   directory holds the plaintext marker or a record key;
//! - the owner and a grantee read (through nodes other than the one uploaded to); an
//!   unauthenticated request, a stranger, a grantee whose grant expired and a revoked grantee
//!   are refused, and the revoked grantee's old key cannot decrypt the re-keyed version;
//! - every release is in the owner's access log;
//! - records stay readable with one node killed (and with two);
//! - deletion and retention erase ciphertext and wrapped keys on every replica, including one
//!   that was offline when the record was deleted;
//! - a fresh client given only the vault secret restores every record byte for byte;
//! - recovery: a tampered share is detected; 1 of 2 guardians is not enough; the current key
//!   cancels within the time lock; the time lock holds; with 2 guardians after the time lock the
//!   new device rebuilds the vault secret and its key controls the identity.

use crate::common::{
    Node, TestDir, dev_key, init_testnet, port_base, start, test_dir, wait_for_height, wait_until,
};
use sovra_api_types::VaultRecordView;
use sovra_client::{Client, ClientError, OpenedRecord, RecordMeta, SealedVersion, VaultKeys};
use sovra_crypto::{SigningKey, shares::VaultSecret};
use sovra_types::{
    AccountsAction, Action, ContentId, Did, DidDocument, IdentityAction, RecordId, RecoveryAction,
    VaultAction, identity::methods_for_key,
};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

const MARKER: &[u8] = b"SOVRA-PLAINTEXT-MARKER-3f9a1c";
/// Validators in the test network; every record is replicated to all of them.
const NODES: usize = 4;
const REPLICATION: u8 = NODES as u8;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Deterministic test content with the marker sprinkled through it.
fn secret_content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    for at in (0..len.saturating_sub(MARKER.len())).step_by(50_000) {
        out[at..at + MARKER.len()].copy_from_slice(MARKER);
    }
    out
}

fn raw(key: &SigningKey) -> [u8; 32] {
    key.public_key().as_ref().try_into().unwrap()
}

fn did_of(key: &SigningKey) -> Did {
    Did::from_public_key(&key.public_key())
}

fn send_as(client: &Client, key: &SigningKey, signer: &Did, actions: Vec<Action>) -> String {
    let id = client.send_as(key, signer, actions, 1).unwrap();
    let status = client.wait_final(&id, Duration::from_secs(60)).unwrap();
    assert_eq!(status.status, "completed", "{status:?}");
    id
}

/// Sends and returns the failure code of a transaction expected to fail in execution.
fn send_failing(client: &Client, key: &SigningKey, signer: &Did, action: Action) -> String {
    let id = client.send_as(key, signer, vec![action], 1).unwrap();
    let status = client.wait_final(&id, Duration::from_secs(60)).unwrap();
    assert_eq!(status.status, "failed", "{status:?}");
    status.error.map(|e| e.code).unwrap_or_default()
}

fn token(client: &Client, key: &SigningKey, did: &Did, method: Option<&str>) -> String {
    client
        .authenticate(key, did, method)
        .unwrap()
        .token
        .unwrap()
}

fn status_of<T>(r: Result<T, ClientError>) -> u16 {
    match r {
        Err(ClientError::Api { status, .. }) => status,
        Err(e) => panic!("expected an API refusal, got {e}"),
        Ok(_) => 200,
    }
}

fn meta(name: &str, size: usize) -> RecordMeta {
    RecordMeta {
        name: name.into(),
        media_type: "application/octet-stream".into(),
        labels: vec!["test".into()],
        size: size as u64,
        created_ms: now_ms(),
        padded: true,
    }
}

/// The node's answer to `token` asking for the ciphertext of the record `anchor` shows (200
/// when released).
fn content_status(client: &Client, token: &str, anchor: &VaultRecordView) -> u16 {
    let probe = OpenedRecord {
        anchor: anchor.clone(),
        key: zeroize::Zeroizing::new([0; 32]),
        meta: meta("probe", 0),
    };
    match client.vault_read(token, &probe, &mut std::io::sink()) {
        Err(ClientError::Api { status, .. }) => status,
        // Released (and then not decryptable with the probe key).
        Err(_) | Ok(_) => 200,
    }
}

fn read_all(client: &Client, token: &str, opened: &OpenedRecord) -> Vec<u8> {
    let mut out = Vec::new();
    client.vault_read(token, opened, &mut out).unwrap();
    out
}

/// A plain HTTP/1.0 GET (so the body is not chunked), with a bearer token when given;
/// returns the status code and the body.
fn raw_get(port: u16, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}\r\n").unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&all[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, all[split + 4..].to_vec())
}

/// The status of a GET without credentials.
fn unauthenticated_status(port: u16, path: &str) -> u16 {
    raw_get(port, path, None).0
}

/// The body of an authenticated GET that must succeed.
fn authed_get(port: u16, path: &str, token: &str) -> Vec<u8> {
    let (status, body) = raw_get(port, path, Some(token));
    assert_eq!(status, 200, "{path}");
    body
}

/// Every file under `dir`, read whole.
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// No node data file contains any of `needles`.
fn assert_absent_from_nodes(dir: &Path, needles: &[(&str, &[u8])]) {
    for (what, needle) in needles {
        assert!(needle.len() >= 16, "{what} is too short to search for");
    }
    for i in 0..NODES {
        let mut all = Vec::new();
        files(&dir.join(format!("node{i}")), &mut all);
        assert!(!all.is_empty());
        for (path, bytes) in &all {
            for (what, needle) in needles {
                assert!(
                    !contains(bytes, needle),
                    "{what} found in {}",
                    path.display()
                );
            }
        }
    }
}

/// Whether the node behind `client` holds every root of record `id` (content, keys, grants);
/// `token` is the owner's session at that node.
fn holds(client: &Client, token: &str, id: &RecordId) -> bool {
    let Ok(anchor) = client.vault_record(token, id) else {
        return false;
    };
    let roots = 2 + anchor.grants.len() as u64;
    client
        .vault_erasure(id)
        .map(|e| e.held_roots == roots)
        .unwrap_or(false)
}

fn erasure_confirmed(client: &Client, id: &RecordId) -> bool {
    client
        .vault_erasure(id)
        .map(|e| e.confirmed && e.signature.is_some())
        .unwrap_or(false)
}

/// Seals `data` as version `version` of `id` through `client`; returns the sealed version.
#[allow(clippy::too_many_arguments)]
fn seal(
    client: &Client,
    token: &str,
    vault: &VaultKeys,
    owner: &Did,
    id: RecordId,
    version: u64,
    data: &[u8],
    name: &str,
) -> SealedVersion {
    let (sealed, _) = client
        .vault_seal_upload(
            token,
            vault,
            owner,
            id,
            version,
            std::io::Cursor::new(data.to_vec()),
            &meta(name, data.len()),
            |_| {},
        )
        .unwrap();
    sealed
}

/// A four-validator test network.
struct Net {
    _cleanup: TestDir,
    dir: std::path::PathBuf,
    nodes: Vec<Option<Node>>,
    ports: Vec<u16>,
    clients: Vec<Client>,
}

/// Starts a four-validator network with API ports from `base`, fast housekeeping, and each
/// `(from, to)` replacement applied to every node's config; waits until it finalizes.
fn start_network(base: u16, replacements: &[(&str, &str)]) -> Net {
    let (cleanup, dir) = test_dir();
    init_testnet(&dir, NODES, 4, base);
    for i in 0..NODES {
        let cfg = dir.join(format!("node{i}/config.toml"));
        let mut text = std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("gc_interval_secs = 300", "gc_interval_secs = 2")
            .replace(
                "replication_interval_secs = 2",
                "replication_interval_secs = 1",
            )
            .replace(
                "vault_rewrite_interval_secs = 60",
                "vault_rewrite_interval_secs = 1",
            );
        for (from, to) in replacements {
            assert!(text.contains(from), "{from} is not in the config");
            text = text.replace(from, to);
        }
        assert!(text.contains("vault_rewrite_interval_secs = 1"));
        std::fs::write(&cfg, text).unwrap();
    }
    let nodes: Vec<Option<Node>> = (0..NODES).map(|i| Some(start(&dir, i))).collect();
    let ports: Vec<u16> = (0..NODES).map(|i| base + i as u16).collect();
    let clients: Vec<Client> = ports
        .iter()
        .map(|p| Client::new(&format!("http://127.0.0.1:{p}")))
        .collect();
    wait_until("the network to finalize", Duration::from_secs(60), || {
        clients
            .iter()
            .all(|c| c.status().map(|s| s.finalized_height >= 2).unwrap_or(false))
    });
    Net {
        _cleanup: cleanup,
        dir,
        nodes,
        ports,
        clients,
    }
}

/// Creates a `did:sovra` controlled by `key` (whose did:key pays) and funds it; returns it
/// with its authentication method.
fn create_sovra(client: &Client, key: &SigningKey) -> (Did, String) {
    let create = Action::Identity(IdentityAction::Create {
        document: DidDocument {
            methods: methods_for_key(&raw(key), 1).unwrap(),
            ..Default::default()
        },
    });
    let nonce = client.account(&did_of(key)).unwrap().nonce;
    send_as(client, key, &did_of(key), vec![create]);
    let chain = client.status().unwrap().chain_id;
    let did = sovra_types::identity::derive_sovra_did(&chain, &did_of(key), nonce, 0);
    send_as(
        client,
        key,
        &did_of(key),
        vec![Action::Accounts(AccountsAction::Transfer {
            to: did.clone(),
            amount: 1_000_000,
        })],
    );
    let method = format!("{did}#key-1");
    (did, method)
}

/// The owner of a test's records: a did:sovra controlled by dev key 0 (its did:key pays and
/// funds it), with a session at every node and a new vault secret.
struct Owner {
    key: SigningKey,
    did: Did,
    method: String,
    tokens: Vec<String>,
    vault: VaultKeys,
}

fn new_owner(clients: &[Client]) -> Owner {
    let key = dev_key(0);
    let (did, method) = create_sovra(&clients[0], &key);
    let tokens = clients
        .iter()
        .map(|c| token(c, &key, &did, Some(&method)))
        .collect();
    Owner {
        key,
        did,
        method,
        tokens,
        vault: VaultKeys::generate().unwrap(),
    }
}

/// What [`store_two_records`] stored.
struct TwoRecords {
    data_a: Vec<u8>,
    data_b: Vec<u8>,
    id_a: RecordId,
    id_b: RecordId,
    sealed_a: SealedVersion,
    sealed_b: SealedVersion,
}

/// Two records of `owner` through node 0: a 300 KB one (several chunks and blocks) and a small
/// one that the network must delete by itself 30 seconds from now; returns once every node
/// holds both.
fn store_two_records(clients: &[Client], owner: &Owner) -> TwoRecords {
    let c0 = &clients[0];
    let data_a = secret_content(300_000, 1);
    let data_b = secret_content(5_000, 2);
    let (id_a, id_b) = (RecordId([0xa1; 16]), RecordId([0xb2; 16]));
    let seal_as_owner = |id, data: &[u8], name| {
        seal(
            c0,
            &owner.tokens[0],
            &owner.vault,
            &owner.did,
            id,
            1,
            data,
            name,
        )
    };
    let sealed_a = seal_as_owner(id_a, &data_a, "a.bin");
    let sealed_b = seal_as_owner(id_b, &data_b, "b.bin");
    let retain_b = now_ms() + 30_000;
    send_as(
        c0,
        &owner.key,
        &owner.did,
        vec![
            sealed_a.put_action(REPLICATION, None),
            sealed_b.put_action(REPLICATION, Some(retain_b)),
        ],
    );
    wait_until(
        "every node to hold both records",
        Duration::from_secs(60),
        || {
            clients
                .iter()
                .zip(&owner.tokens)
                .all(|(c, t)| holds(c, t, &id_a) && holds(c, t, &id_b))
        },
    );
    TwoRecords {
        data_a,
        data_b,
        id_a,
        id_b,
        sealed_a,
        sealed_b,
    }
}

/// A third record (70 KB) sealed through node 1; returns its plaintext, id and sealed version
/// once every node holds it and record `also`.
fn store_record_c(
    clients: &[Client],
    tokens: &[String],
    vault: &VaultKeys,
    owner: &Did,
    owner_key: &SigningKey,
    also: &RecordId,
) -> (Vec<u8>, RecordId, SealedVersion) {
    let data_c = secret_content(70_000, 3);
    let id_c = RecordId([0xc3; 16]);
    let sealed_c = seal(
        &clients[1],
        &tokens[1],
        vault,
        owner,
        id_c,
        1,
        &data_c,
        "c.bin",
    );
    send_as(
        &clients[0],
        owner_key,
        owner,
        vec![sealed_c.put_action(REPLICATION, None)],
    );
    wait_until(
        "every node to hold the records",
        Duration::from_secs(60),
        || {
            clients
                .iter()
                .zip(tokens)
                .all(|(c, t)| holds(c, t, &id_c) && holds(c, t, also))
        },
    );
    (data_c, id_c, sealed_c)
}

/// Waits until every node has finalized the height node 0 has finalized now, so that a
/// transaction node 0 saw final is applied everywhere before another node is asked about it.
fn caught_up(clients: &[Client]) {
    let height = clients[0].status().unwrap().finalized_height;
    wait_for_height(clients, height, Duration::from_secs(60));
}

/// A four-node network for one of the vault tests, which share no state: each test has a
/// network of its own, so one failing hides nothing of the others.
fn vault_network() -> Net {
    start_network(port_base(), &[])
}

/// Records are encrypted on the client and replicated to every node; the owner and a grantee
/// read through nodes other than the one uploaded to; an unauthenticated request, a stranger, a
/// grantee whose grant expired and a revoked grantee are refused, and the revoked grantee's old
/// key cannot decrypt the re-keyed version; releases are in the owner's access log; no node
/// stores the plaintext or a record key; a fresh client given only the vault secret restores
/// every record byte for byte.
#[test]
fn records_are_encrypted_replicated_shared_and_revoked() {
    let net = vault_network();
    let dir = net.dir.as_path();
    let ports = net.ports.clone();
    let clients = &net.clients;
    let c0 = &clients[0];
    let owner = new_owner(clients);
    // Two records through node 0; record b is deleted by the network by itself.
    let TwoRecords {
        data_a,
        data_b,
        id_a,
        sealed_a,
        sealed_b,
        ..
    } = store_two_records(clients, &owner);
    let Owner {
        key: owner_key,
        did: owner,
        method: owner_method,
        tokens: owner_tokens,
        vault,
    } = owner;
    let grantee_key = dev_key(1);
    let grantee = did_of(&grantee_key);
    let stranger_key = dev_key(2);
    let stranger = did_of(&stranger_key);

    // The owner reads through node 1, which got the record by replication.
    let opened_a = clients[1]
        .vault_open_as_owner(&owner_tokens[1], &vault, &id_a)
        .unwrap();
    assert_eq!(opened_a.meta.name, "a.bin");
    assert_eq!(read_all(&clients[1], &owner_tokens[1], &opened_a), data_a);

    // Refusals: no credentials, a stranger, a grantee before the grant.
    let anchor_a = clients[2].vault_record(&owner_tokens[2], &id_a).unwrap();
    let content_path = format!("/v1/vault/records/{id_a}/content");
    assert_eq!(unauthenticated_status(ports[1], &content_path), 401);
    assert_eq!(
        unauthenticated_status(ports[1], &format!("/v1/vault/records/{id_a}/keys")),
        401
    );
    let stranger_token = token(&clients[2], &stranger_key, &stranger, None);
    assert_eq!(content_status(&clients[2], &stranger_token, &anchor_a), 403);
    let grantee_token = token(&clients[2], &grantee_key, &grantee, None);
    assert_eq!(content_status(&clients[2], &grantee_token, &anchor_a), 403);
    assert_eq!(content_status(&clients[2], "not-a-token", &anchor_a), 401);

    // Share with the grantee, and with the stranger for one second.
    let grant = c0
        .vault_grant_action(&owner_tokens[0], &opened_a.key, id_a, 1, &grantee, None)
        .unwrap();
    let short = c0
        .vault_grant_action(
            &owner_tokens[0],
            &opened_a.key,
            id_a,
            1,
            &stranger,
            Some(now_ms() + 1_000),
        )
        .unwrap();
    send_as(c0, &owner_key, &owner, vec![grant, short]);
    caught_up(clients);
    let by_grantee = clients[2]
        .vault_open_as_grantee(&grantee_token, &grantee, &grantee_key, &id_a)
        .unwrap();
    assert_eq!(read_all(&clients[2], &grantee_token, &by_grantee), data_a);
    std::thread::sleep(Duration::from_millis(1_200));
    assert_eq!(
        content_status(&clients[2], &stranger_token, &anchor_a),
        403,
        "an expired grant is refused"
    );

    // The owner's access log on node 2 has the grantee's releases.
    let log = clients[2].vault_log(&owner_tokens[2], &id_a).unwrap();
    assert!(
        log.entries
            .iter()
            .any(|e| e.accessor == grantee.as_str() && e.part == "content" && e.role == "grantee"),
        "{log:?}"
    );
    assert!(log.entries.iter().any(|e| e.part == "grant"));
    // Only the owner reads the log.
    assert_eq!(status_of(clients[2].vault_log(&grantee_token, &id_a)), 403);

    // Revoke the grantee: the record is re-encrypted under a new key as version 2.
    let sealed_a2 = seal(
        c0,
        &owner_tokens[0],
        &vault,
        &owner,
        id_a,
        2,
        &data_a,
        "a.bin",
    );
    send_as(
        c0,
        &owner_key,
        &owner,
        vec![
            Action::Vault(VaultAction::Revoke {
                record: id_a,
                grantee: grantee.clone(),
            }),
            sealed_a2.put_action(REPLICATION, None),
        ],
    );
    caught_up(clients);
    assert_eq!(
        content_status(&clients[2], &grantee_token, &anchor_a),
        403,
        "a revoked grantee is refused"
    );
    // Even with the old key kept, the revoked grantee cannot decrypt the new version.
    let opened_a2 = clients[1]
        .vault_open_as_owner(&owner_tokens[1], &vault, &id_a)
        .unwrap();
    assert_eq!(opened_a2.anchor.version, 2);
    let stale = OpenedRecord {
        anchor: opened_a2.anchor.clone(),
        key: by_grantee.key.clone(),
        meta: by_grantee.meta.clone(),
    };
    let mut sink = Vec::new();
    assert!(
        clients[1]
            .vault_read(&owner_tokens[1], &stale, &mut sink)
            .is_err()
    );
    assert_eq!(read_all(&clients[1], &owner_tokens[1], &opened_a2), data_a);

    // A third record, then: nothing any node stores holds the plaintext or a record key.
    let (data_c, _, sealed_c) =
        store_record_c(clients, &owner_tokens, &vault, &owner, &owner_key, &id_a);
    assert_absent_from_nodes(
        dir,
        &[
            ("the plaintext marker", MARKER),
            ("record key a1", &sealed_a.key[..]),
            ("record key a2", &sealed_a2.key[..]),
            ("record key b", &sealed_b.key[..]),
            ("record key c", &sealed_c.key[..]),
        ],
    );

    // Restore on a fresh client given only the vault secret: every live record, byte for byte.
    let exported = vault.secret().to_bytes().to_vec();
    let restored = VaultKeys::new(VaultSecret::from_bytes(&exported).unwrap());
    let fresh = Client::new(clients[2].base());
    let fresh_token = token(&fresh, &owner_key, &owner, Some(&owner_method));
    let mut restored_names = Vec::new();
    for record in fresh.vault_records(&fresh_token, &owner).unwrap() {
        if record.expired || record.erased_height.is_some() {
            continue;
        }
        let id = RecordId::parse(&record.id).unwrap();
        let opened = fresh
            .vault_open_as_owner(&fresh_token, &restored, &id)
            .unwrap();
        let expected = match opened.meta.name.as_str() {
            "a.bin" => &data_a,
            "b.bin" => &data_b,
            "c.bin" => &data_c,
            other => panic!("unexpected record {other}"),
        };
        assert_eq!(&read_all(&fresh, &fresh_token, &opened), expected);
        restored_names.push(opened.meta.name.clone());
    }
    restored_names.sort();
    // Record b may already be past its retention date on a slow machine.
    restored_names.retain(|n| n != "b.bin");
    assert_eq!(restored_names, ["a.bin", "c.bin"]);
}

/// Records stay readable with one node killed, and with two; deletion erases ciphertext and
/// wrapped keys on every replica, including one that was offline when the record was deleted;
/// retention erases a record on every node without anyone asking; erased records' access logs
/// are gone too.
#[test]
fn records_survive_nodes_down_and_erasure_reaches_every_replica() {
    let net = vault_network();
    let dir = net.dir.as_path();
    let ports = net.ports.clone();
    let clients = &net.clients;
    let mut nodes = net.nodes;
    let c0 = &clients[0];
    let owner = new_owner(clients);
    // Two records through node 0; record b is deleted by the network by itself.
    let TwoRecords {
        data_a, id_a, id_b, ..
    } = store_two_records(clients, &owner);
    let Owner {
        key: owner_key,
        did: owner,
        method: owner_method,
        tokens: mut owner_tokens,
        vault,
    } = owner;

    // A third record, through node 1.
    let (data_c, id_c, _) =
        store_record_c(clients, &owner_tokens, &vault, &owner, &owner_key, &id_a);
    // One node killed, then two: records stay readable through the others.
    nodes[0] = None;
    let opened_c = clients[1]
        .vault_open_as_owner(&owner_tokens[1], &vault, &id_c)
        .unwrap();
    assert_eq!(read_all(&clients[1], &owner_tokens[1], &opened_c), data_c);
    nodes[1] = None;
    let opened_a = clients[2]
        .vault_open_as_owner(&owner_tokens[2], &vault, &id_a)
        .unwrap();
    assert_eq!(read_all(&clients[2], &owner_tokens[2], &opened_a), data_a);
    for i in [0, 1] {
        nodes[i] = Some(start(dir, i));
    }
    wait_until("nodes 0 and 1 to rejoin", Duration::from_secs(60), || {
        c0.status().is_ok() && clients[1].status().is_ok()
    });
    // Sessions live in a node's memory: the restarted nodes need new ones.
    for i in [0, 1] {
        owner_tokens[i] = token(&clients[i], &owner_key, &owner, Some(&owner_method));
    }

    // What the nodes hold of record c: its keys block (the wrapped record key) and a stretch
    // of its ciphertext. After the erasure no node's files may contain either.
    let keys_c = authed_get(
        ports[1],
        &format!("/v1/vault/records/{id_c}/keys"),
        &owner_tokens[1],
    );
    let ciphertext_c = authed_get(
        ports[1],
        &format!("/v1/vault/records/{id_c}/content"),
        &owner_tokens[1],
    );
    assert!(ciphertext_c.len() > 70_000);
    let ciphertext_sample = ciphertext_c[40_000..40_064].to_vec();

    // Delete record c while node 3, one of its replicas, is offline.
    nodes[3] = None;
    let owner_token0 = token(c0, &owner_key, &owner, Some(&owner_method));
    send_as(
        c0,
        &owner_key,
        &owner,
        vec![Action::Vault(VaultAction::Delete { record: id_c })],
    );
    // The erasure is on the owner's receipt chain.
    let account = c0.account(&owner).unwrap();
    let receipts = c0
        .receipts(&owner, account.receipt_count.saturating_sub(3), 10)
        .unwrap();
    assert!(
        receipts
            .entries
            .iter()
            .any(|e| e.status == "erased" && e.record.as_deref() == Some(id_c.to_string().as_str())),
        "{receipts:?}"
    );
    wait_until(
        "the online nodes to confirm the erasure",
        Duration::from_secs(60),
        || (0..3).all(|i| erasure_confirmed(&clients[i], &id_c)),
    );
    assert_eq!(
        status_of(c0.vault_open_as_owner(&owner_token0, &vault, &id_c)),
        404
    );
    // The offline replica comes back, learns of the deletion from the blocks it missed, erases.
    assert!(!erasure_confirmed(&clients[3], &id_c), "node 3 is down");
    nodes[3] = Some(start(dir, 3));
    wait_until(
        "node 3 to confirm the erasure",
        Duration::from_secs(90),
        || erasure_confirmed(&clients[3], &id_c),
    );
    assert_absent_from_nodes(
        dir,
        &[
            ("record c's wrapped key (keys block)", &keys_c),
            ("record c's ciphertext", &ciphertext_sample),
        ],
    );

    // Retention: record b is erased by every node without anyone asking.
    wait_until("retention to pass", Duration::from_secs(60), || {
        clients.iter().all(|c| {
            c.vault_erasure(&id_b)
                .map(|e| e.expired && e.confirmed)
                .unwrap_or(false)
        })
    });
    assert_eq!(
        status_of(c0.vault_open_as_owner(&owner_token0, &vault, &id_b)),
        404
    );
    // Erased records' access logs are gone too.
    let log_c = clients[1].vault_log(&owner_tokens[1], &id_c).unwrap();
    assert!(log_c.entries.is_empty(), "{log_c:?}");
    drop(nodes);
}

/// Guardian recovery: a tampered share is detected; someone who is not a guardian may not fetch
/// the shares; 1 of 2 guardians is not enough; the current key cancels within the time lock; the
/// time lock holds; with 2 guardians after the time lock the new device rebuilds the vault
/// secret, its key controls the identity, and it reads the owner's records with it.
#[test]
fn guardian_recovery_rebuilds_the_vault_and_hands_over_the_identity() {
    let net = vault_network();
    let clients = &net.clients;
    let nodes = net.nodes;
    let c0 = &clients[0];
    let owner = new_owner(clients);
    // The owner's records, which the new device reads at the end.
    let TwoRecords { data_a, id_a, .. } = store_two_records(clients, &owner);
    let Owner {
        key: owner_key,
        did: owner,
        tokens: owner_tokens,
        vault,
        ..
    } = owner;
    let owner_token0 = owner_tokens[0].clone();

    let guardians: Vec<SigningKey> = (1..=3).map(dev_key).collect();
    let guardian_dids: Vec<Did> = guardians.iter().map(did_of).collect();
    let setup = c0
        .recovery_setup_action(&owner_token0, &owner, &vault, &guardian_dids, 2, 8_000)
        .unwrap();
    send_as(c0, &owner_key, &owner, vec![setup]);
    let new_device = SigningKey::from_test_seed(4242);
    let new_did = did_of(&new_device);
    send_as(
        c0,
        &owner_key,
        &did_of(&owner_key),
        vec![Action::Accounts(AccountsAction::Transfer {
            to: new_did.clone(),
            amount: 1_000,
        })],
    );
    let request = || Action::Recovery(RecoveryAction::Request { did: owner.clone() });
    send_as(c0, &new_device, &new_did, vec![request()]);

    // A guardian's share checks out; a tampered one does not.
    let g_tokens: Vec<String> = guardians
        .iter()
        .zip(&guardian_dids)
        .map(|(k, d)| token(c0, k, d, None))
        .collect();
    let view = c0.recovery(&owner).unwrap();
    let share = c0
        .my_share(
            &g_tokens[0],
            &owner,
            &guardian_dids[0],
            &guardians[0],
            &view,
        )
        .unwrap();
    let commitments =
        sovra_crypto::shares::Commitments::from_bytes(&hex::decode(&view.commitments).unwrap())
            .unwrap();
    let mut tampered = share.to_bytes().to_vec();
    *tampered.last_mut().unwrap() ^= 1;
    if let Ok(t) = sovra_crypto::shares::Share::from_bytes(&tampered) {
        assert!(!sovra_crypto::shares::verify_share(&t, &commitments));
    }
    // Someone who is not a guardian may not fetch the shares.
    let outsider = SigningKey::from_test_seed(777);
    let outsider_did = did_of(&outsider);
    assert_eq!(
        status_of(c0.my_share(
            &token(c0, &outsider, &outsider_did, None),
            &owner,
            &outsider_did,
            &outsider,
            &view
        )),
        403
    );

    // One approval is not enough.
    let approve = |i: usize| {
        let action = c0
            .recovery_approve_action(&g_tokens[i], &owner, &guardian_dids[i], &guardians[i])
            .unwrap();
        send_as(c0, &guardians[i], &guardian_dids[i], vec![action]);
    };
    approve(0);
    let nd_token = token(c0, &new_device, &new_did, None);
    assert!(
        c0.recovery_rebuild(&nd_token, &owner, &new_did, &new_device)
            .is_err()
    );
    let doc_version = || {
        c0.resolve_verified(&owner, sovra_client::DidVersionSelector::Latest)
            .unwrap()
            .unwrap()
            .record
            .unwrap()
            .version
    };
    let complete = |v: u64| {
        Action::Recovery(RecoveryAction::Complete {
            did: owner.clone(),
            previous_version: v,
        })
    };
    assert_eq!(
        send_failing(c0, &new_device, &new_did, complete(doc_version())),
        "not_enough_approvals"
    );
    // The current key cancels within the time lock.
    send_as(
        c0,
        &owner_key,
        &owner,
        vec![Action::Recovery(RecoveryAction::Cancel {
            did: owner.clone(),
        })],
    );
    assert!(c0.recovery(&owner).unwrap().pending.is_none());
    assert_eq!(
        send_failing(c0, &new_device, &new_did, complete(doc_version())),
        "no_pending_recovery"
    );

    // Again, with two guardians: the time lock holds, then the new device takes over.
    send_as(c0, &new_device, &new_did, vec![request()]);
    approve(0);
    approve(1);
    let unlock = c0.recovery(&owner).unwrap().pending.unwrap().unlock_ms;
    if now_ms() + 1_000 < unlock {
        assert_eq!(
            send_failing(c0, &new_device, &new_did, complete(doc_version())),
            "time_locked"
        );
    }
    let rebuilt = c0
        .recovery_rebuild(&nd_token, &owner, &new_did, &new_device)
        .unwrap();
    assert_eq!(
        rebuilt.secret().to_bytes().as_ref(),
        vault.secret().to_bytes().as_ref()
    );
    wait_until("the time lock to end", Duration::from_secs(30), || {
        c0.status()
            .map(|s| s.finalized_height > 0 && now_ms() > unlock + 500)
            .unwrap_or(false)
    });
    send_as(c0, &new_device, &new_did, vec![complete(doc_version())]);
    // The old key no longer signs for the identity; the new one does.
    let old_key_refused = c0.send_as(
        &owner_key,
        &owner,
        vec![Action::Accounts(AccountsAction::Transfer {
            to: new_did.clone(),
            amount: 1,
        })],
        1,
    );
    assert!(old_key_refused.is_err(), "{old_key_refused:?}");
    send_as(
        c0,
        &new_device,
        &owner,
        vec![Action::Accounts(AccountsAction::Transfer {
            to: new_did.clone(),
            amount: 1,
        })],
    );
    // Recovery gave the new device's key a new id (never the lost key's `#key-1`).
    let recovered = c0
        .resolve_verified(&owner, sovra_client::DidVersionSelector::Latest)
        .unwrap()
        .unwrap()
        .record
        .unwrap();
    let new_id = format!("key-{}", recovered.version);
    assert!(recovered.document.methods.iter().any(|m| m.id == new_id));
    assert!(!recovered.document.methods.iter().any(|m| m.id == "key-1"));
    let new_method = format!("{owner}#{new_id}");
    // And the new device reads the owner's records with the rebuilt vault secret.
    let new_token = token(c0, &new_device, &owner, Some(&new_method));
    let opened = c0.vault_open_as_owner(&new_token, &rebuilt, &id_a).unwrap();
    assert_eq!(read_all(c0, &new_token, &opened), data_a);
    drop(nodes);
}

/// A session at `client` for the did:key of `key`.
fn key_token(client: &Client, key: &SigningKey) -> String {
    token(client, key, &did_of(key), None)
}

/// The code of an API refusal.
fn code_of<T>(r: Result<T, ClientError>) -> String {
    match r {
        Err(ClientError::Api { code, .. }) => code,
        Err(e) => panic!("expected an API refusal, got {e}"),
        Ok(_) => "ok".into(),
    }
}

/// A `Put` of version 1 of `record` naming `content` and `keys` (CIDs someone else anchored).
fn squat_put(record: RecordId, content: &str, keys: &str, size: u64) -> Action {
    Action::Vault(VaultAction::Put {
        record,
        version: 1,
        content: ContentId::parse(content).unwrap(),
        size,
        keys: ContentId::parse(keys).unwrap(),
        replication: REPLICATION,
        retain_until_ms: None,
    })
}

/// Vault squatting (issue 11, item 1) and what record metadata reveals (item 8), on four
/// nodes: an identity that anchors a record naming another owner's CIDs reads nothing through
/// it, nor does a revoked grantee anchoring its old wrap, nor a non-guardian naming another
/// identity's recovery shares in its own setup; the owner's deletion is confirmed by every node
/// while those records still name the CIDs, and no node keeps the bytes. Anchors are shown to
/// the owner and current grantees only. Unanchored uploads are bounded per identity, and
/// identities that cannot pay a fee cannot upload.
#[test]
fn vault_squatting_reaches_nothing_and_erasure_stays_with_the_owner() {
    let net = start_network(
        port_base(),
        &[(
            "vault_staged_bytes_per_identity = 4294967296",
            "vault_staged_bytes_per_identity = 3000000",
        )],
    );
    let (clients, ports) = (&net.clients, &net.ports);
    let c0 = &clients[0];

    // The victim: a did:sovra of dev key 0. The squatter: dev key 1. A grantee: dev key 2.
    let victim_key = dev_key(0);
    let (victim, victim_method) = create_sovra(c0, &victim_key);
    let (squatter_key, grantee_key, guardian_key) = (dev_key(1), dev_key(2), dev_key(3));
    let (squatter, grantee, guardian) = (
        did_of(&squatter_key),
        did_of(&grantee_key),
        did_of(&guardian_key),
    );
    let victim_tokens: Vec<String> = clients
        .iter()
        .map(|c| token(c, &victim_key, &victim, Some(&victim_method)))
        .collect();
    let squatter_token = token(&clients[1], &squatter_key, &squatter, None);
    let grantee_token = token(&clients[1], &grantee_key, &grantee, None);
    let vault = VaultKeys::generate().unwrap();

    // The victim's record, version 1, shared with the grantee.
    let data = secret_content(120_000, 7);
    let id = RecordId([0x71; 16]);
    let seal_version = |version| {
        seal(
            c0,
            &victim_tokens[0],
            &vault,
            &victim,
            id,
            version,
            &data,
            "victim.bin",
        )
    };
    let as_victim = |actions| send_as(c0, &victim_key, &victim, actions);
    let v1 = seal_version(1);
    as_victim(vec![v1.put_action(REPLICATION, None)]);
    let grant = c0
        .vault_grant_action(&victim_tokens[0], &v1.key, id, 1, &grantee, None)
        .unwrap();
    as_victim(vec![grant]);
    wait_until(
        "every node to hold the record",
        Duration::from_secs(60),
        || {
            clients
                .iter()
                .zip(&victim_tokens)
                .all(|(c, t)| holds(c, t, &id))
        },
    );

    // Who sees the anchor: nobody anonymous, nothing for a stranger, its own grant only for
    // the grantee, everything for the owner.
    let list = format!("/v1/vault/records?owner={victim}");
    assert_eq!(raw_get(ports[1], &list, None).0, 401);
    let page = |t: &str| -> serde_json::Value {
        serde_json::from_slice(&authed_get(ports[1], &list, t)).unwrap()
    };
    assert_eq!(page(&squatter_token)["records"], serde_json::json!([]));
    let grantee_page = page(&grantee_token);
    assert_eq!(grantee_page["records"].as_array().unwrap().len(), 1);
    assert_eq!(
        grantee_page["records"][0]["grants"][0]["grantee"],
        grantee.as_str()
    );
    let owner_page = page(&victim_tokens[1]);
    assert_eq!(
        owner_page["records"][0]["grants"].as_array().unwrap().len(),
        1
    );
    let by_id = format!("/v1/vault/records/{id}");
    assert_eq!(raw_get(ports[1], &by_id, None).0, 401);
    assert_eq!(raw_get(ports[1], &by_id, Some(&squatter_token)).0, 403);
    assert_eq!(raw_get(ports[1], &by_id, Some(&grantee_token)).0, 200);

    // What the grantee saw of version 1: the ciphertext, the keys block and its wrap.
    let anchor1 = c0.vault_record(&victim_tokens[0], &id).unwrap();
    let keys1 = authed_get(ports[1], &format!("{by_id}/keys"), &victim_tokens[1]);
    let wrap1 = authed_get(ports[1], &format!("{by_id}/grant"), &grantee_token);
    let cipher1 = authed_get(ports[1], &format!("{by_id}/content"), &grantee_token);
    // Padding: 120,000 bytes travel as their Padmé bucket (120,832 bytes), in two sealed
    // chunks of 64 KiB, after the 28-byte stream header.
    let padded = sovra_crypto::padding::padded_len(120_000);
    assert_eq!(padded, 120_832);
    assert_eq!(anchor1.size, cipher1.len() as u64);
    assert_eq!(anchor1.size, 28 + padded + 2 * 16);

    // The owner revokes the grant: version 2 under a new key.
    let v2 = seal_version(2);
    as_victim(vec![
        Action::Vault(VaultAction::Revoke {
            record: id,
            grantee: grantee.clone(),
        }),
        v2.put_action(REPLICATION, None),
    ]);
    caught_up(clients);
    let anchor2 = c0.vault_record(&victim_tokens[0], &id).unwrap();
    let keys2 = authed_get(ports[1], &format!("{by_id}/keys"), &victim_tokens[1]);
    let cipher2 = authed_get(ports[1], &format!("{by_id}/content"), &victim_tokens[1]);

    // Squatting: the squatter anchors a record of its own naming the victim's content and keys;
    // the revoked grantee anchors one naming the old ciphertext and its old wrap.
    let squat = RecordId([0x5a; 16]);
    send_as(
        c0,
        &squatter_key,
        &squatter,
        vec![squat_put(
            squat,
            &anchor2.content,
            &anchor2.keys,
            anchor2.size,
        )],
    );
    let regrant = RecordId([0x6b; 16]);
    let old_wrap = &anchor1.grants[0].wrap;
    send_as(
        c0,
        &grantee_key,
        &grantee,
        vec![squat_put(regrant, &anchor1.content, old_wrap, anchor1.size)],
    );
    caught_up(clients);
    for (who, t, record) in [
        ("squatter", &squatter_token, squat),
        ("revoked grantee", &grantee_token, regrant),
    ] {
        for part in ["keys", "content"] {
            let (status, body) = raw_get(
                ports[1],
                &format!("/v1/vault/records/{record}/{part}"),
                Some(t),
            );
            // Its own namespace has no such blocks, nor does any peer's: 503, no bytes.
            assert_eq!(status, 503, "the {who} asked for the victim's {part}");
            for (what, secret) in [
                ("keys v1", &keys1),
                ("keys v2", &keys2),
                ("wrap", &wrap1),
                ("ciphertext v1", &cipher1),
                ("ciphertext v2", &cipher2),
            ] {
                assert!(!contains(&body, &secret[..64]), "the {who} got the {what}");
            }
        }
    }

    // Recovery squatting: the squatter's own did:sovra names the victim's shares block in its
    // setup, with the squatter as guardian; the shares stay with the victim's guardians.
    let setup = c0
        .recovery_setup_action(
            &victim_tokens[0],
            &victim,
            &vault,
            std::slice::from_ref(&guardian),
            1,
            60_000,
        )
        .unwrap();
    as_victim(vec![setup]);
    caught_up(clients);
    let victim_shares = c0.recovery(&victim).unwrap().shares;
    let guardian_token = token(&clients[1], &guardian_key, &guardian, None);
    let shares_block = authed_get(
        ports[1],
        &format!("/v1/recovery/{victim}/shares"),
        &guardian_token,
    );
    let (squat_did, squat_method) = create_sovra(c0, &squatter_key);
    let squat_token = token(c0, &squatter_key, &squat_did, Some(&squat_method));
    let own = c0
        .recovery_setup_action(
            &squat_token,
            &squat_did,
            &VaultKeys::generate().unwrap(),
            std::slice::from_ref(&squatter),
            1,
            60_000,
        )
        .unwrap();
    let Action::Recovery(RecoveryAction::Setup {
        guardians,
        threshold,
        commitments,
        time_lock_ms,
        ..
    }) = own
    else {
        panic!("not a setup: {own:?}");
    };
    let squat_setup = Action::Recovery(RecoveryAction::Setup {
        guardians,
        threshold,
        commitments,
        shares: ContentId::parse(&victim_shares).unwrap(),
        time_lock_ms,
    });
    send_as(c0, &squatter_key, &squat_did, vec![squat_setup]);
    caught_up(clients);
    assert_eq!(c0.recovery(&squat_did).unwrap().shares, victim_shares);
    let (status, body) = raw_get(
        ports[1],
        &format!("/v1/recovery/{squat_did}/shares"),
        Some(&squatter_token),
    );
    assert_eq!(status, 503, "a non-guardian asked for the victim's shares");
    assert!(!contains(&body, &shares_block[..64]));
    assert_eq!(
        raw_get(
            ports[1],
            &format!("/v1/recovery/{victim}/shares"),
            Some(&squatter_token)
        )
        .0,
        403
    );

    // The victim deletes the record: every node confirms the erasure while the squatter's and
    // the grantee's records still name the CIDs, and no node's files hold the bytes.
    as_victim(vec![Action::Vault(VaultAction::Delete { record: id })]);
    wait_until(
        "every node to confirm the erasure",
        Duration::from_secs(90),
        || clients.iter().all(|c| erasure_confirmed(c, &id)),
    );
    let still = clients[2].vault_record(&key_token(&clients[2], &squatter_key), &squat);
    assert_eq!(still.unwrap().content, anchor2.content);
    assert_absent_from_nodes(
        &net.dir,
        &[
            ("keys block v1", &keys1[..64]),
            ("keys block v2", &keys2[..64]),
            ("the grantee's wrap", &wrap1[..64]),
            ("ciphertext v1", &cipher1[1000..1064]),
            ("ciphertext v2", &cipher2[1000..1064]),
        ],
    );

    // Unanchored uploads: an identity that cannot pay a fee uploads nothing (402); a funded one
    // up to its quota (3,000,000 bytes here), then 413.
    let broke = SigningKey::from_test_seed(999);
    let broke_token = key_token(c0, &broke);
    assert_eq!(
        status_of(c0.vault_upload_raw(&broke_token, vec![1; 1000])),
        402
    );
    let squatter_token0 = key_token(c0, &squatter_key);
    let up = |n: u8| c0.vault_upload_raw(&squatter_token0, vec![n; 1_400_000]);
    up(1).unwrap();
    up(2).unwrap();
    assert_eq!(code_of(up(3)), "vault_quota_exceeded");
    // Another identity is not affected by the squatter's quota.
    c0.vault_upload_raw(&key_token(c0, &grantee_key), vec![4; 1_400_000])
        .unwrap();
}
