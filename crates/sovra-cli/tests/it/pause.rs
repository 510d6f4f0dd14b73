//! Real processes on loopback: a validator paused with SIGSTOP for 40 s while the other three
//! finalize catches up after SIGCONT about as fast as one restarted after the same outage (it
//! used to replay the pause's backlog for 12-25 s); a validator behind the network says
//! `syncing` on `/v1/status` and refuses submissions with 503 `syncing` until it has caught up.

use crate::common::{Node, dev_key, pay, port_base, start, start_testnet, test_dir, wait_until};
use sovra_client::{Client, ClientError};
use sovra_types::Did;
use std::time::{Duration, Instant};

fn height(c: &Client) -> u64 {
    c.status().map(|s| s.finalized_height).unwrap_or(0)
}

/// Sends `signal` (`STOP` or `CONT`) to a node process.
fn signal(node: &Node, signal: &str) {
    let ok = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(node.0.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

/// Waits until `c` has committed `target`; returns how long that took.
fn time_to_reach(c: &Client, target: u64, limit: Duration) -> Duration {
    let start = Instant::now();
    while height(c) < target {
        assert!(
            start.elapsed() < limit,
            "no catch-up to {target} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

#[test]
fn a_paused_validator_catches_up_quickly_and_refuses_submissions_while_behind() {
    let (_guard, dir) = test_dir();
    let base = port_base();
    let (mut nodes, clients) = start_testnet(&dir, 4, base, 3);
    let sender = dev_key(0);
    let recipient = Did::from_public_key(&dev_key(1).public_key());
    let s = clients[3].status().unwrap();
    assert_eq!(s.sync, "synced", "{s:?}");

    // ---- Pause: SIGSTOP node 3 for 40 s while the others finalize transfers. ----
    signal(&nodes[3], "STOP");
    let paused_at = Instant::now();
    let mut last = String::new();
    for _ in 0..10 {
        last = clients[0].send(&sender, pay(&recipient, 3), 1).unwrap();
        clients[0]
            .wait_final(&last, Duration::from_secs(60))
            .unwrap();
    }
    std::thread::sleep(Duration::from_secs(40).saturating_sub(paused_at.elapsed()));
    let target = height(&clients[0]);
    signal(&nodes[3], "CONT");
    let paused = time_to_reach(&clients[3], target, Duration::from_secs(120));
    eprintln!("catch-up after a 40 s pause: {paused:?} to height {target}");
    // Before the fix this took about half the pause (20 s); a restart takes about a second.
    assert!(
        paused < Duration::from_secs(10),
        "a paused validator took {paused:?} to catch up"
    );
    assert_eq!(
        clients[3].tx(&last).unwrap().map(|s| s.status).as_deref(),
        Some("completed")
    );

    // ---- Behind: node 3 stopped for 20 s, restarted while the others are frozen. ----
    drop(nodes.pop()); // SIGKILL
    std::thread::sleep(Duration::from_secs(20));
    let network = height(&clients[0]);
    for n in &nodes {
        signal(n, "STOP");
    }
    nodes.push(start(&dir, 3));
    wait_until("the restarted node's API", Duration::from_secs(60), || {
        clients[3].status().is_ok()
    });
    let s = clients[3].status().unwrap();
    assert_eq!(s.sync, "syncing", "{s:?}");
    assert!(s.tip_age_ms > 15_000, "{s:?}");
    let before = s.mempool_txs;
    // Built against node 3's stale state: exactly what must not be admitted.
    let stale = clients[3]
        .build_tx(
            &sender,
            &Did::from_public_key(&sender.public_key()),
            pay(&recipient, 4),
            1,
        )
        .unwrap();
    match clients[3].submit(&[stale]) {
        Err(ClientError::Api { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (503, "syncing"))
        }
        other => panic!("a node behind the network must refuse with 503 syncing: {other:?}"),
    }
    assert_eq!(clients[3].status().unwrap().mempool_txs, before);

    // The network resumes; node 3 catches up, says synced, and admits again.
    for n in &nodes[..3] {
        signal(n, "CONT");
    }
    let restarted = time_to_reach(&clients[3], network, Duration::from_secs(120));
    eprintln!("catch-up after a restart (network frozen meanwhile): {restarted:?}");
    wait_until("node 3 to say synced", Duration::from_secs(60), || {
        clients[3].status().is_ok_and(|s| s.sync == "synced")
    });
    let id = clients[3].send(&sender, pay(&recipient, 5), 1).unwrap();
    let s = clients[3].wait_final(&id, Duration::from_secs(60)).unwrap();
    assert_eq!(s.status, "completed", "{s:?}");
    // Nothing final was lost: every node agrees on the blocks so far.
    let h = height(&clients[3]);
    wait_until(
        "every node to finalize node 3's height",
        Duration::from_secs(60),
        || clients.iter().all(|c| c.block(Some(h)).is_ok()),
    );
    let ids: Vec<String> = clients
        .iter()
        .map(|c| c.block(Some(h)).unwrap().header.id)
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
}
