//! A Byzantine leader's block is never voted for: validators re-execute
//! every proposal and refuse a wrong state root, an invalid transaction, a
//! transaction list that does not match the header, or a bad timestamp.
//! (Without votes from 2f+1 validators a block cannot be notarized or finalized.)

use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use futures::stream;
use sovra_consensus::{
    Ledger,
    mempool::{Mempool, MempoolConfig},
};
use sovra_crypto::SigningKey;
use sovra_store::Index;
use sovra_types::{
    Action, Block, BlockHeader, Did, Genesis, GenesisAccount, GenesisValidator, SignedTransaction,
    Transaction, block::tx_root, sha256,
};

fn key(i: u64) -> SigningKey {
    SigningKey::from_test_seed(500 + i)
}

fn genesis() -> Genesis {
    Genesis {
        chain_id: "byz".into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: vec![GenesisValidator {
            public_key: hex::encode(key(9).public_key().as_ref()),
            p2p_address: "127.0.0.1:1".into(),
        }],
        accounts: vec![GenesisAccount {
            did: Did::from_public_key(&key(0).public_key()),
            balance: 1000,
        }],
        min_fee: 1,
        max_block_txs: 100,
        registry_authority: None,
    }
}

fn transfer(nonce: u64) -> SignedTransaction {
    Transaction {
        chain_id: "byz".into(),
        signer: Did::from_public_key(&key(0).public_key()),
        nonce,
        fee: 1,
        expiry_height: 100,
        actions: vec![Action::Transfer {
            to: Did::from_public_key(&key(1).public_key()),
            amount: 10,
        }],
    }
    .sign(&key(0))
}

fn reheader(block: &Block, f: impl FnOnce(&mut BlockHeader)) -> Block {
    let mut h = block.header.clone();
    f(&mut h);
    Block::new(h, block.txs.clone())
}

#[test]
fn invalid_proposals_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    deterministic::Runner::default().start(|context| async move {
        let mut ledgers = Vec::new();
        for name in ["leader", "follower"] {
            let index = Index::open(&dir.path().join(format!("{name}.redb"))).unwrap();
            let ctx = context.child("ledger").with_attribute("n", name);
            ledgers.push(
                Ledger::open(
                    ctx,
                    name,
                    genesis(),
                    index,
                    Mempool::new(MempoolConfig::default()),
                )
                .await
                .unwrap(),
            );
        }
        let follower = ledgers.pop().unwrap();
        let leader = ledgers.pop().unwrap();
        let parent = leader.genesis_block.clone();
        assert_eq!(parent.id(), follower.genesis_block.id());
        let now = 1_000;

        assert!(leader.admit(vec![(transfer(0), 200)]).await[0].is_ok());
        let block = leader
            .propose(&parent, &mut stream::iter(Vec::<Block>::new()), now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(block.txs.len(), 1);
        let none = || stream::iter(Vec::<Block>::new());

        // Wrong state root.
        let bad_root = reheader(&block, |h| h.state_root = sha256(&[b"forged"]));
        assert!(
            !follower
                .verify(&bad_root, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        // A forged transaction (header matches the forged list).
        let mut forged = transfer(0);
        forged.signature = key(1).sign(b"sovra/tx", b"anything");
        let forged_block = Block::new(
            BlockHeader {
                tx_root: tx_root(std::slice::from_ref(&forged)),
                ..block.header.clone()
            },
            vec![forged],
        );
        assert!(
            !follower
                .verify(&forged_block, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        // A replayed nonce.
        let replay = Block::new(
            BlockHeader {
                tx_root: tx_root(&[transfer(0), transfer(0)]),
                tx_count: 2,
                ..block.header.clone()
            },
            vec![transfer(0), transfer(0)],
        );
        assert!(
            !follower
                .verify(&replay, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        // Transactions that do not match the header.
        let mismatched = Block::new(block.header.clone(), vec![transfer(1)]);
        assert!(
            !follower
                .verify(&mismatched, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        // Wrong height, wrong parent, timestamp far in the future.
        let wrong_height = reheader(&block, |h| h.height = 5);
        assert!(
            !follower
                .verify(&wrong_height, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        let wrong_parent = reheader(&block, |h| h.parent = sha256(&[b"x"]));
        assert!(
            !follower
                .verify(&wrong_parent, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        let future = reheader(&block, |h| h.timestamp_ms = now + 3_600_000);
        assert!(
            !follower
                .verify(&future, &parent, &mut none(), now)
                .await
                .unwrap()
        );

        // The honest block verifies, and finalizing it on the follower gives the leader's root.
        assert!(
            follower
                .verify(&block, &parent, &mut none(), now)
                .await
                .unwrap()
        );
        follower.finalize(&block).await.unwrap();
        leader.finalize(&block).await.unwrap();
        assert_eq!(
            follower.finalized().header.state_root,
            block.header.state_root
        );
        let bob = Did::from_public_key(&key(1).public_key());
        assert_eq!(follower.account(&bob).await.unwrap().balance, 10);
        // Finalizing again is a no-op (marshal may redeliver after a restart).
        follower.finalize(&block).await.unwrap();
        assert_eq!(follower.account(&bob).await.unwrap().balance, 10);
        // The included transaction left the leader's mempool.
        assert!(leader.mempool.lock().unwrap().is_empty());
    });
}
