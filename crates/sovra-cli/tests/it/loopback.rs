//! Real processes on loopback: `sovra testnet init --validators 4`, four
//! `sovra node` processes, transfers over HTTP, `kill -9` of one node while
//! transfers are in flight, more transfers, restart, and catch-up to the
//! same blocks and state root.

use crate::common::{Node, dev_key, port_base, start, start_testnet, wait_until};
use sovra_client::Client;
use sovra_types::{AccountsAction, Action, Did, Transaction};
use std::time::Duration;

fn height(c: &Client) -> u64 {
    c.status().map(|s| s.finalized_height).unwrap_or(0)
}

fn transfers(
    chain: &str,
    from: u32,
    to: &Did,
    nonces: std::ops::Range<u64>,
) -> Vec<sovra_types::SignedTransaction> {
    let key = dev_key(from);
    nonces
        .map(|nonce| {
            Transaction {
                chain_id: chain.into(),
                signer: Did::from_public_key(&key.public_key()),
                nonce,
                fee: 1,
                expiry_height: 1_000_000,
                actions: vec![Action::Accounts(AccountsAction::Transfer {
                    to: to.clone(),
                    amount: 10,
                })],
            }
            .sign(&key)
        })
        .collect()
}

/// Bad input gets a 4xx with a machine-readable code and changes nothing.
fn check_api_refusals(c: &Client, chain: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |body: String| {
        let mut r = agent
            .post(&format!("{}/v1/txs", c.base()))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    };
    let before = c.status().unwrap().mempool_txs;
    let (status, body) = post(r#"{"tx":"00ff"}"#.into());
    assert_eq!(status, 400);
    assert!(body.contains("\"malformed\""), "{body}");
    let (status, body) = post("not json".into());
    assert_eq!(status, 400);
    assert!(body.contains("\"malformed\""), "{body}");
    // Wrong chain id.
    let mut tx = transfers(
        chain,
        0,
        &Did::from_public_key(&dev_key(1).public_key()),
        0..1,
    )
    .remove(0);
    tx.tx.chain_id = "other-chain".into();
    let tx = tx.tx.sign(&dev_key(0));
    let r = c.submit(&[tx]).unwrap();
    assert_eq!(r.results[0].error.as_ref().unwrap().code, "wrong_chain");
    // Nonce far ahead of the account's.
    let far = transfers(
        chain,
        0,
        &Did::from_public_key(&dev_key(1).public_key()),
        1_000_000..1_000_001,
    );
    let r = c.submit(&far).unwrap();
    assert_eq!(r.results[0].error.as_ref().unwrap().code, "nonce_too_far");
    // An oversized body is refused before parsing: 413, or the connection is
    // closed while the client is still sending.
    let big = format!(r#"{{"tx":"{}"}}"#, "0".repeat(9 * 1024 * 1024));
    if let Ok(r) = agent.post(&format!("{}/v1/txs", c.base())).send(big) {
        assert_eq!(r.status().as_u16(), 413);
    }
    // Bad DID, bad id, unknown route.
    let mut r = agent
        .get(&format!("{}/v1/accounts/did:web:example.com", c.base()))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("invalid_did")
    );
    let r = agent
        .get(&format!("{}/v1/txs/zz", c.base()))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = agent
        .get(&format!("{}/v1/nothing", c.base()))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // The OpenAPI document and docs page are served.
    let mut r = agent
        .get(&format!("{}/openapi.json", c.base()))
        .call()
        .unwrap();
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .contains("/v1/state/proof")
    );
    // Nothing was admitted.
    assert_eq!(c.status().unwrap().mempool_txs, before);
}

#[test]
fn four_nodes_survive_kill_9_and_catch_up() {
    let dir = tempfile::tempdir().unwrap();
    let base = port_base();
    let (nodes, clients) = start_testnet(dir.path(), 4, base, 2);
    let mut nodes: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    let chain = clients[0].status().unwrap().chain_id;
    let recipient = Did::from_public_key(&dev_key(1).public_key());

    check_api_refusals(&clients[0], &chain);

    // Transfers through node 0, final everywhere.
    let first = transfers(&chain, 0, &recipient, 0..20);
    let r = clients[0].submit(&first).unwrap();
    assert!(r.results.iter().all(|r| r.accepted), "{:?}", r.results);
    let last_id = r.results.last().unwrap().id.clone().unwrap();
    let s = clients[0]
        .wait_final(&last_id, Duration::from_secs(60))
        .unwrap();
    assert_eq!(s.status, "completed");

    // More transfers in flight through node 1 while node 3 is killed with SIGKILL.
    let second = transfers(&chain, 0, &recipient, 20..60);
    let r = clients[1].submit(&second).unwrap();
    assert!(r.results.iter().all(|r| r.accepted), "{:?}", r.results);
    nodes[3].take(); // Drop kills with SIGKILL and reaps.
    let last_id = r.results.last().unwrap().id.clone().unwrap();
    let s = clients[1]
        .wait_final(&last_id, Duration::from_secs(60))
        .unwrap();
    assert_eq!(s.status, "completed");

    // Still more while it is down; the chain moves on well past where it stopped.
    let third = transfers(&chain, 0, &recipient, 60..80);
    let r = clients[2].submit(&third).unwrap();
    let last_id = r.results.last().unwrap().id.clone().unwrap();
    clients[2]
        .wait_final(&last_id, Duration::from_secs(60))
        .unwrap();
    let target = height(&clients[0]) + 5;
    wait_until(
        "the 3 live nodes to move on",
        Duration::from_secs(60),
        || height(&clients[0]) >= target,
    );

    // Restart: it recovers from its storage and catches up.
    nodes[3] = Some(start(dir.path(), 3));
    wait_until(
        "the restarted node to catch up",
        Duration::from_secs(120),
        || height(&clients[3]) >= target,
    );
    let b0 = clients[0].block(Some(target)).unwrap();
    let b3 = clients[3].block(Some(target)).unwrap();
    assert_eq!(b0.header.id, b3.header.id);
    assert_eq!(b0.header.state_root, b3.header.state_root);
    let a0 = clients[0].account(&recipient).unwrap();
    let a3 = clients[3].account(&recipient).unwrap();
    assert_eq!(a3.balance, 1_000_000_000_000 + 80 * 10);
    assert_eq!(
        (a0.balance, a0.receipt_head.clone()),
        (a3.balance, a3.receipt_head.clone())
    );
    // The restarted node proves its state like the others.
    let v = clients[3].verified_account(&recipient).unwrap();
    assert_eq!(v.value.unwrap().balance, a3.balance);
}
