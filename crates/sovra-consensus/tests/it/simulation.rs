//! Multi-validator simulations on the deterministic runtime and simulated
//! p2p network: 4 validators agree on the same blocks and state roots while
//! executing transfers; progress continues with one validator cut off; a
//! partition of 2 of 4 halts finality, which resumes after healing. Several
//! seeds each.

use crate::common::{
    Validator, assert_agree, dev_did, link_all, runner, start_cut_off, start_linked, start_network,
    transfer, transfer_until, wait_height,
};
use commonware_runtime::{Clock, Runner as _, deterministic};
use std::time::Duration;

#[test]
fn four_validators_agree_and_execute_transfers() {
    for seed in 0..3u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_network(&context, dir.path(), 4).await;
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            // Transfers submitted to different validators' mempools; some fail.
            for n in 0..10 {
                let target = &vs[n as usize % 4].ledger;
                let r = target.admit(vec![transfer(0, 1, n, 100)]).await.unwrap();
                assert!(r[0].is_ok(), "{:?}", r[0]);
            }
            let r = vs[1]
                .ledger
                .admit(vec![transfer(2, 3, 0, 5_000_000)])
                .await
                .unwrap();
            assert!(r[0].is_ok());
            assert!(
                wait_height(&context, &all, 15, Duration::from_secs(120)).await,
                "seed {seed}: no progress"
            );
            let h = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .min()
                .unwrap();
            assert_agree(&all, h);
            for v in &vs {
                let a = v.ledger.account(&dev_did(1)).await.unwrap();
                let b = v.ledger.account(&dev_did(2)).await.unwrap();
                assert_eq!(a.balance, 1_000_000 + 1000, "seed {seed}");
                // The failed transfer used its nonce and paid its fee.
                assert_eq!((b.balance, b.nonce), (1_000_000 - 1, 1), "seed {seed}");
            }
        });
    }
}

#[test]
fn progress_with_one_validator_cut_off() {
    for seed in 10..12u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_cut_off(&context, dir.path()).await;
            let live: Vec<&Validator> = vs.iter().take(3).collect();
            // Reconnect the fourth: it catches up through backfill.
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            let target = live[0].ledger.finalized().header.height;
            assert!(
                wait_height(&context, &[&vs[3]], target, Duration::from_secs(180)).await,
                "seed {seed}: no catch-up"
            );
            assert_agree(&all, target);
        });
    }
}

#[test]
fn partition_of_two_halts_finality_until_healed() {
    for seed in 20..22u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_linked(&context, dir.path(), 5).await;
            let all: Vec<&Validator> = vs.iter().collect();
            // Split into {0,1} and {2,3}.
            for a in 0..4 {
                for b in 0..4 {
                    if (a < 2) != (b < 2) {
                        oracle
                            .remove_link(vs[a].key.clone(), vs[b].key.clone())
                            .await
                            .unwrap();
                    }
                }
            }
            context.sleep(Duration::from_secs(3)).await;
            let stalled = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .max()
                .unwrap();
            context.sleep(Duration::from_secs(20)).await;
            let later = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .max()
                .unwrap();
            assert_eq!(
                stalled, later,
                "seed {seed}: finality must halt without a quorum"
            );
            // Heal.
            link_all(&oracle, &all).await;
            assert!(
                wait_height(&context, &all, later + 5, Duration::from_secs(180)).await,
                "seed {seed}: no recovery"
            );
            let h = all
                .iter()
                .map(|v| v.ledger.finalized().header.height)
                .min()
                .unwrap();
            assert_agree(&all, h);
        });
    }
}

/// The whole network stops uncleanly (a runtime checkpoint keeps only what
/// reached storage) while validator 3 is cut off and behind; after restart
/// every validator resumes from its own storage, validator 3 catches up, and
/// all agree on blocks and state roots.
#[test]
fn validators_restart_from_storage_and_catch_up() {
    for seed in 30..32u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let (before, checkpoint) = runner(seed).start_and_recover(|context| {
            let path = path.clone();
            async move {
                let (oracle, vs) = start_network(&context, &path, 4).await;
                let all: Vec<&Validator> = vs.iter().collect();
                link_all(&oracle, &all).await;
                assert!(wait_height(&context, &all, 3, Duration::from_secs(120)).await);
                for other in 0..3 {
                    oracle
                        .remove_link(vs[3].key.clone(), vs[other].key.clone())
                        .await
                        .unwrap();
                    oracle
                        .remove_link(vs[other].key.clone(), vs[3].key.clone())
                        .await
                        .unwrap();
                }
                for n in 0..5 {
                    assert!(
                        vs[0]
                            .ledger
                            .admit(vec![transfer(0, 1, n, 7)])
                            .await
                            .unwrap()[0]
                            .is_ok()
                    );
                }
                let live: Vec<&Validator> = vs.iter().take(3).collect();
                assert!(wait_height(&context, &live, 12, Duration::from_secs(120)).await);
                vs.iter()
                    .map(|v| v.ledger.finalized().header.height)
                    .collect::<Vec<_>>()
            }
        });
        assert!(
            before[3] < before[0],
            "seed {seed}: validator 3 should be behind"
        );
        deterministic::Runner::from(checkpoint).start(|context| {
            let path = path.clone();
            async move {
                let (oracle, vs) = start_network(&context, &path, 4).await;
                // Every validator reopened at (at least) the height it had committed.
                for (v, h) in vs.iter().zip(&before) {
                    assert!(
                        v.ledger.finalized().header.height >= *h,
                        "seed {seed}: lost finalized blocks"
                    );
                }
                let all: Vec<&Validator> = vs.iter().collect();
                link_all(&oracle, &all).await;
                let target = before[0] + 5;
                assert!(
                    wait_height(&context, &all, target, Duration::from_secs(180)).await,
                    "seed {seed}: no recovery"
                );
                assert_agree(&all, target);
                for v in &vs {
                    let a = v.ledger.account(&dev_did(1)).await.unwrap();
                    assert_eq!(a.balance, 1_000_000 + 35, "seed {seed}");
                }
            }
        });
    }
}

/// A validator cut off from the others knows it is behind (its tip grows old), refuses
/// submissions instead of admitting them against stale state, and once reconnected catches up,
/// says it is synced and admits again.
#[test]
fn a_validator_behind_the_network_says_syncing_and_refuses_submissions() {
    for seed in 40..42u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (oracle, vs) = start_cut_off(&context, dir.path()).await;
            let live: Vec<&Validator> = vs.iter().take(3).collect();
            // Long enough for the cut-off validator's tip (genesis) to grow old.
            context.sleep(Duration::from_secs(20)).await;
            let behind = &vs[3].ledger;
            let status = behind.sync_status();
            assert!(status.syncing, "seed {seed}: {status:?}");
            assert_eq!(status.committed_height, 0);
            let refused = behind.admit(vec![transfer(0, 1, 0, 5)]).await;
            assert!(refused.is_err(), "seed {seed}: admitted while behind");
            assert!(
                refused.unwrap_err().to_string().contains("catching up"),
                "seed {seed}"
            );
            assert_eq!(behind.mempool_len(), 0);
            // The live validators are synced and admit.
            assert!(!vs[0].ledger.sync_status().syncing);

            // Reconnected, it learns the network's height and catches up.
            let all: Vec<&Validator> = vs.iter().collect();
            link_all(&oracle, &all).await;
            let target = live[0].ledger.finalized().header.height;
            let mut max_lag = 0;
            let start = context.current();
            while behind.finalized().header.height < target {
                max_lag = max_lag.max(behind.sync_status().lag);
                assert!(
                    context.current().duration_since(start).unwrap() < Duration::from_secs(180),
                    "seed {seed}: no catch-up"
                );
                context.sleep(Duration::from_millis(5)).await;
            }
            assert!(
                max_lag > 0,
                "seed {seed}: the network's height was never seen ahead"
            );
            assert!(wait_height(&context, &[&vs[3]], target + 2, Duration::from_secs(60)).await);
            let status = behind.sync_status();
            assert!(!status.syncing, "seed {seed}: {status:?}");
            let r = behind.admit(vec![transfer(0, 1, 0, 5)]).await.unwrap();
            assert!(r[0].is_ok(), "seed {seed}: {:?}", r[0]);
            let id = *r[0].as_ref().unwrap();
            let h = behind.finalized().header.height;
            assert!(wait_height(&context, &all, h + 5, Duration::from_secs(60)).await);
            for v in &vs {
                assert!(v.ledger.index().tx(&id).unwrap().is_some(), "seed {seed}");
            }
        });
    }
}

/// A node that falls behind only by height (it has heard of newer finalizations that it has not
/// committed yet) is syncing too.
#[test]
fn a_lag_beyond_the_bound_closes_admission() {
    let dir = tempfile::tempdir().unwrap();
    runner(50).start(|context| async move {
        let (_oracle, vs) = start_linked(&context, dir.path(), 3).await;
        let ledger = &vs[0].ledger;
        assert!(!ledger.sync_status().syncing);
        let h = ledger.finalized().header.height;
        let bound = sovra_consensus::sync::SyncBounds::default().max_lag;
        ledger.observe_network_height(h + bound + 50);
        let status = ledger.sync_status();
        assert!(status.syncing);
        assert!(status.lag > bound, "{status:?}");
        assert!(ledger.admit(vec![transfer(0, 1, 0, 5)]).await.is_err());
    });
}

/// Two transactions with one nonce, accepted by two different validators: one completes, the
/// other is reported `replaced` (by the winner) by the validator that accepted it, never lost.
#[test]
fn one_nonce_at_two_validators_one_completes_and_the_other_is_replaced() {
    use sovra_consensus::{dropped::Dropped, mempool::PoolStatus};
    for seed in 60..63u64 {
        let dir = tempfile::tempdir().unwrap();
        runner(seed).start(|context| async move {
            let (_oracle, vs) = start_linked(&context, dir.path(), 2).await;
            let all: Vec<&Validator> = vs.iter().collect();
            // Same signer and nonce, different amounts: two different transactions.
            let x = vs[0]
                .ledger
                .admit(vec![transfer(0, 1, 0, 11)])
                .await
                .unwrap()[0]
                .clone();
            let y = vs[1]
                .ledger
                .admit(vec![transfer(0, 1, 0, 22)])
                .await
                .unwrap()[0]
                .clone();
            let (x, y) = (x.expect("x accepted"), y.expect("y accepted"));
            let h = vs[0].ledger.finalized().header.height;
            assert!(wait_height(&context, &all, h + 6, Duration::from_secs(120)).await);
            let included = |id| vs[0].ledger.index().tx(id).unwrap().is_some();
            let (winner, loser, loser_node) = match (included(&x), included(&y)) {
                (true, false) => (x, y, 1),
                (false, true) => (y, x, 0),
                other => panic!("seed {seed}: exactly one must be included, got {other:?}"),
            };
            match vs[loser_node].ledger.pool_status(&loser) {
                Some(PoolStatus::Dropped(Dropped::Replaced { by, height })) => {
                    assert_eq!(by, Some(winner), "seed {seed}");
                    let at = vs[0].ledger.index().tx(&winner).unwrap().unwrap().height;
                    assert_eq!(height, at, "seed {seed}");
                }
                other => panic!("seed {seed}: the loser must be replaced, got {other:?}"),
            }
            // Nobody still holds it as pending.
            for v in &vs {
                assert!(!v.ledger.in_mempool(&loser));
            }
        });
    }
}

/// A transaction that cannot be included (its nonce leaves a gap) is dropped once its expiry
/// height is final and reported `expired` with that height; `next_nonce` counts only the
/// signer's contiguous waiting transactions, and two transactions sent back to back with it
/// both complete.
#[test]
fn expired_transactions_say_so_and_next_nonce_counts_waiting_ones() {
    use sovra_consensus::{dropped::Dropped, mempool::PoolStatus};
    let dir = tempfile::tempdir().unwrap();
    runner(70).start(|context| async move {
        let (_oracle, vs) = start_linked(&context, dir.path(), 2).await;
        let all: Vec<&Validator> = vs.iter().collect();
        let ledger = &vs[0].ledger;
        let signer = dev_did(2);
        let (account, next, _) = ledger.account_with_next_nonce(&signer).await.unwrap();
        assert_eq!((account.nonce, next), (0, 0));

        // Nonce 1 with nonce 0 missing: it waits, then expires.
        let expiry = ledger.finalized().header.height + 3;
        let stuck = ledger
            .admit(vec![transfer_until(2, 1, 5, expiry)])
            .await
            .unwrap()[0]
            .clone()
            .unwrap();
        assert_eq!(
            ledger.pool_status(&stuck),
            Some(PoolStatus::Waiting {
                expiry_height: expiry
            })
        );
        let (_, next, _) = ledger.account_with_next_nonce(&signer).await.unwrap();
        assert_eq!(next, 0, "a gap is not counted");
        assert!(wait_height(&context, &all, expiry + 1, Duration::from_secs(120)).await);
        match ledger.pool_status(&stuck) {
            Some(PoolStatus::Dropped(Dropped::Expired {
                expiry_height,
                height,
            })) => {
                assert_eq!(expiry_height, expiry);
                assert!(height >= expiry);
            }
            other => panic!("expected expired, got {other:?}"),
        }
        assert!(ledger.index().tx(&stuck).unwrap().is_none());

        // Back to back with next_nonce: both complete.
        let mut ids = Vec::new();
        for amount in [7, 8] {
            let (_, next, _) = ledger.account_with_next_nonce(&signer).await.unwrap();
            let id = ledger
                .admit(vec![transfer_until(2, next, amount, 1_000_000)])
                .await
                .unwrap()[0]
                .clone()
                .unwrap();
            ids.push(id);
        }
        let (account, next, _) = ledger.account_with_next_nonce(&signer).await.unwrap();
        assert_eq!(next, account.nonce + 2);
        let h = ledger.finalized().header.height;
        assert!(wait_height(&context, &all, h + 5, Duration::from_secs(120)).await);
        for id in &ids {
            let loc = ledger.index().tx(id).unwrap().expect("included");
            assert_eq!(loc.status, sovra_types::ReceiptStatus::Completed);
        }
    });
}
