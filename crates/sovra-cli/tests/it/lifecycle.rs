//! Real processes on loopback: every transaction a node accepts ends `completed`, `failed`,
//! `replaced` or `expired`, visible through `GET /v1/txs/{id}` at the node that accepted it;
//! `next_nonce` lets a client send transactions back to back; transfers of zero are refused and
//! transfers to a did:sovra that does not exist fail without moving funds.

use crate::common::{
    dev_key, pay, port_base, start_testnet, test_dir, wait_for_height, wait_until,
};
use sovra_client::Client;
use sovra_crypto::SigningKey;
use sovra_types::{AccountsAction, Action, Did, SignedTransaction, Transaction};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn did(k: &SigningKey) -> Did {
    Did::from_public_key(&k.public_key())
}

/// A signed transfer of `amount` from `key` with an explicit nonce and expiry.
fn transfer(
    chain: &str,
    key: &SigningKey,
    to: &Did,
    amount: u64,
    nonce: u64,
    expiry_height: u64,
) -> SignedTransaction {
    Transaction {
        chain_id: chain.into(),
        signer: did(key),
        nonce,
        fee: 1,
        expiry_height,
        actions: vec![Action::Accounts(AccountsAction::Transfer {
            to: to.clone(),
            amount,
        })],
    }
    .sign(key)
}

fn accepted(c: &Client, tx: &SignedTransaction) -> String {
    let r = c.submit(std::slice::from_ref(tx)).unwrap();
    assert!(r.results[0].accepted, "{:?}", r.results[0]);
    r.results[0].id.clone().unwrap()
}

#[test]
fn accepted_transactions_end_completed_failed_replaced_or_expired() {
    let (_guard, dir) = test_dir();
    let base = port_base();
    let (_nodes, clients) = start_testnet(&dir, 4, base, 2);
    wait_until("all nodes to be synced", WAIT, || {
        clients.iter().all(|c| {
            c.status()
                .is_ok_and(|s| s.finalized_height >= 2 && s.sync == "synced")
        })
    });
    let chain = clients[0].status().unwrap().chain_id;
    let alice = dev_key(0);
    let bob = did(&dev_key(1));

    // ---- One nonce, two transactions, two nodes: both accepted, one wins. ----
    // Submitted at the same moment, each reaches its node before the other's gossip (which
    // would be refused there as `nonce_taken`); tried again with the next nonce when not.
    let mut pair = None;
    for amount in 11..31 {
        let nonce = clients[0].account(&did(&alice)).unwrap().next_nonce;
        let x = transfer(&chain, &alice, &bob, amount, nonce, 1_000_000);
        let y = transfer(&chain, &alice, &bob, amount + 100, nonce, 1_000_000);
        let (rx, ry) = std::thread::scope(|scope| {
            let sx = scope.spawn(|| clients[0].submit(std::slice::from_ref(&x)).unwrap());
            let sy = scope.spawn(|| clients[1].submit(std::slice::from_ref(&y)).unwrap());
            (sx.join().unwrap().results, sy.join().unwrap().results)
        });
        if rx[0].accepted && ry[0].accepted {
            pair = Some((x, y));
            break;
        }
        // One was refused as `nonce_taken`; let the other settle everywhere first.
        for (c, r) in [(&clients[0], &rx[0]), (&clients[1], &ry[0])] {
            if r.accepted {
                c.wait_final(r.id.as_ref().unwrap(), WAIT).unwrap();
            } else {
                assert_eq!(r.error.as_ref().unwrap().code, "nonce_taken", "{r:?}");
            }
        }
        wait_until("the nonce to settle", WAIT, || {
            clients[..2].iter().all(|c| {
                c.account(&did(&alice))
                    .is_ok_and(|a| a.nonce == nonce + 1 && a.next_nonce == nonce + 1)
            })
        });
    }
    let (x, y) = pair.expect("two transactions with one nonce accepted by two nodes");
    let (x_id, y_id) = (hex::encode(x.id().0), hex::encode(y.id().0));
    let xs = clients[0].wait_final(&x_id, WAIT).unwrap();
    let ys = clients[1].wait_final(&y_id, WAIT).unwrap();
    let (winner, loser) = match (xs.status.as_str(), ys.status.as_str()) {
        ("completed", "replaced") => (xs, ys),
        ("replaced", "completed") => (ys, xs),
        other => panic!("one completes and the other is replaced, got {other:?}"),
    };
    assert_eq!(loser.replaced_by.as_deref(), Some(winner.id.as_str()));
    assert_eq!(loser.height, winner.height);
    // A client holding the loser learns the same from any node, even one that never saw it,
    // once that node has finalized the winner's block (before, the answer is "not yet").
    let loser_tx = if loser.id == x_id { &x } else { &y };
    let winner_height = winner.height.expect("a completed transaction has a height");
    wait_for_height(&clients[3..], winner_height, WAIT);
    let derived = clients[3].tx_outcome(loser_tx).unwrap().unwrap();
    assert!(matches!(derived.status.as_str(), "replaced"), "{derived:?}");

    // ---- A transaction that cannot be included expires, with its expiry height. ----
    let next = clients[2].account(&did(&alice)).unwrap().next_nonce;
    let expiry = clients[2].status().unwrap().finalized_height + 3;
    // Nonce `next + 1`: `next` is never sent, so it waits until it expires.
    let stuck = transfer(&chain, &alice, &bob, 5, next + 1, expiry);
    let stuck_id = accepted(&clients[2], &stuck);
    let pending = clients[2].tx(&stuck_id).unwrap().unwrap();
    assert_eq!(
        (pending.status.as_str(), pending.expiry_height),
        ("pending", Some(expiry))
    );
    let s = clients[2].wait_final(&stuck_id, WAIT).unwrap();
    assert_eq!(s.status, "expired", "{s:?}");
    assert_eq!(s.expiry_height, Some(expiry));
    assert!(s.height.unwrap() >= expiry);
    // Every node has passed the expiry, so no mempool still holds the stuck transaction (a node
    // behind would count it in `next_nonce`).
    wait_for_height(&clients, s.height.unwrap(), WAIT);

    // ---- Back to back with next_nonce: both complete. ----
    let first = clients[0]
        .build_tx(&alice, &did(&alice), pay(&bob, 7), 1)
        .unwrap();
    let first_id = accepted(&clients[0], &first);
    let second = clients[0]
        .build_tx(&alice, &did(&alice), pay(&bob, 8), 1)
        .unwrap();
    assert_eq!(
        second.tx.nonce,
        first.tx.nonce + 1,
        "next_nonce counts the waiting one"
    );
    let second_id = accepted(&clients[0], &second);
    for id in [&first_id, &second_id] {
        let s = clients[0].wait_final(id, WAIT).unwrap();
        assert_eq!(s.status, "completed", "{s:?}");
    }

    // ---- Zero amounts are refused at admission. ----
    let zero = clients[0]
        .build_tx(&alice, &did(&alice), pay(&bob, 0), 1)
        .unwrap();
    let r = clients[0].submit(&[zero]).unwrap();
    assert_eq!(r.results[0].error.as_ref().unwrap().code, "zero_amount");

    // ---- A transfer to a did:sovra that does not exist fails and moves nothing. ----
    let nobody = sovra_types::identity::derive_sovra_did(&chain, &bob, 999, 0);
    let before = clients[0].account(&did(&alice)).unwrap().balance;
    let tx = clients[0]
        .build_tx(&alice, &did(&alice), pay(&nobody, 1_000), 1)
        .unwrap();
    let id = accepted(&clients[0], &tx);
    let s = clients[0].wait_final(&id, WAIT).unwrap();
    assert_eq!(s.status, "failed");
    assert_eq!(s.error.unwrap().code, "unknown_recipient");
    assert_eq!(
        clients[0].account(&did(&alice)).unwrap().balance,
        before - 1
    );
    assert_eq!(clients[0].account(&nobody).unwrap().balance, 0);

    // Unknown ids are still a clean 404.
    match clients[0].tx(&"ab".repeat(32)) {
        Ok(None) => {}
        other => panic!("{other:?}"),
    }
}
