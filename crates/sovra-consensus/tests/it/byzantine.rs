//! A Byzantine leader's block is never voted for: validators re-execute
//! every proposal and refuse a wrong state root, an invalid transaction, a
//! transaction list that does not match the header, or a bad timestamp.
//! (Without votes from 2f+1 validators a block cannot be notarized or finalized.)
//! Also: a validator that never saw a proposal's ancestors re-executes them from the ancestry
//! marshal hands it, to verify the proposal or to build on it.

use commonware_runtime::{Clock as _, Runner as _, Spawner as _, Supervisor as _, deterministic};
use futures::stream;
use sovra_consensus::{
    Ledger,
    mempool::{Mempool, MempoolConfig},
};
use sovra_crypto::SigningKey;
use sovra_store::Index;
use sovra_types::{
    AccountsAction, Action, Block, BlockHeader, Did, Genesis, GenesisAccount, GenesisValidator,
    SignedTransaction, Transaction, block::tx_root, sha256,
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
            operator: None,
            stake: 0,
        }],
        accounts: vec![GenesisAccount {
            did: Did::from_public_key(&key(0).public_key()),
            balance: 1000,
        }],
        min_fee: 1,
        max_block_txs: 100,
        registry_authority: None,
        economy: None,
    }
}

fn transfer(nonce: u64) -> SignedTransaction {
    Transaction {
        chain_id: "byz".into(),
        signer: Did::from_public_key(&key(0).public_key()),
        nonce,
        fee: 1,
        expiry_height: 100,
        actions: vec![Action::Accounts(AccountsAction::Transfer {
            to: Did::from_public_key(&key(1).public_key()),
            amount: 10,
        })],
    }
    .sign(&key(0))
}

fn reheader(block: &Block, f: impl FnOnce(&mut BlockHeader)) -> Block {
    let mut h = block.header.clone();
    f(&mut h);
    Block::new(h, block.txs.clone())
}

/// One ledger per name, each with its own storage, on the same runtime.
async fn open_ledgers(
    context: &deterministic::Context,
    dir: &std::path::Path,
    names: &[&str],
) -> Vec<Ledger<deterministic::Context>> {
    let mut ledgers = Vec::new();
    for name in names {
        let index = Index::open(&dir.join(format!("{name}.redb"))).unwrap();
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
    ledgers
}

/// Genesis and three blocks `leader` proposes on each other, one transfer each (nonces 0, 1,
/// 2), none finalized.
async fn unfinalized_chain(leader: &Ledger<deterministic::Context>) -> Vec<Block> {
    let mut chain = vec![leader.genesis_block().clone()];
    for nonce in 0..3 {
        assert!(leader.admit(vec![(transfer(nonce), 200)]).await.unwrap()[0].is_ok());
        let parent = chain.last().unwrap().clone();
        let block = leader
            .propose(
                &parent,
                &mut stream::iter(Vec::<Block>::new()),
                1_000 + nonce,
            )
            .await
            .unwrap()
            .unwrap();
        chain.push(block);
    }
    chain
}

#[test]
fn invalid_proposals_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    deterministic::Runner::default().start(|context| async move {
        let mut ledgers = open_ledgers(&context, dir.path(), &["leader", "follower"]).await;
        let follower = ledgers.pop().unwrap();
        let leader = ledgers.pop().unwrap();
        let parent = leader.genesis_block().clone();
        assert_eq!(parent.id(), follower.genesis_block().id());
        let now = 1_000;

        assert!(leader.admit(vec![(transfer(0), 200)]).await.unwrap()[0].is_ok());
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
        assert_eq!(leader.mempool_len(), 0);
    });
}

#[test]
fn unseen_ancestors_are_re_executed() {
    let dir = tempfile::tempdir().unwrap();
    deterministic::Runner::default().start(|context| async move {
        let mut ledgers = open_ledgers(
            &context,
            dir.path(),
            &["leader", "verifier", "builder", "stranded"],
        )
        .await;
        let stranded = ledgers.pop().unwrap();
        let builder = ledgers.pop().unwrap();
        let verifier = ledgers.pop().unwrap();
        let leader = ledgers.pop().unwrap();
        let none = || stream::iter(Vec::<Block>::new());

        // The leader builds three blocks, one transfer each; none is final yet, so each
        // proposal must skip the nonces its unfinalized ancestors already used.
        let chain = unfinalized_chain(&leader).await;
        for (nonce, block) in chain[1..].iter().enumerate() {
            let nonces: Vec<u64> = block.txs.iter().map(|t| t.tx.nonce).collect();
            assert_eq!(nonces, vec![nonce as u64]);
        }
        let (b1, b2, b3) = (&chain[1], &chain[2], &chain[3]);

        // The verifier saw none of them: it re-executes b2 and b1 (given newest first).
        assert!(
            verifier
                .verify(b3, b2, &mut stream::iter(vec![b1.clone()]), 2_000)
                .await
                .unwrap()
        );
        // The builder leads the next view on top of b2 without having verified b1 or b2.
        assert!(builder.admit(vec![(transfer(2), 200)]).await.unwrap()[0].is_ok());
        let built = builder
            .propose(b2, &mut stream::iter(vec![b1.clone()]), 2_000)
            .await
            .unwrap()
            .expect("a proposal on re-executed ancestors");
        assert_eq!(built.height(), 3);
        assert_eq!(built.header.state_root, b3.header.state_root);
        // Without the ancestry nothing can be checked: no vote.
        assert!(!stranded.verify(b3, b2, &mut none(), 2_000).await.unwrap());
        assert!(
            !stranded
                .verify(b3, b2, &mut stream::iter(vec![b3.clone()]), 2_000)
                .await
                .unwrap()
        );

        for b in [b1, b2, b3] {
            verifier.finalize(b).await.unwrap();
        }
        assert_eq!(verifier.finalized().header.state_root, b3.header.state_root);
    });
}

/// A validator cut off from its peers waits for a proposal's ancestry (marshal fetches it)
/// without holding the ledger: account reads, admission and the node's API go on meanwhile,
/// and the verification completes once the ancestry arrives. (Campaign seed 359: a wiped,
/// then partitioned validator held its state lock until the partition healed.)
#[test]
fn waiting_for_ancestors_does_not_hold_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    deterministic::Runner::default().start(|context| async move {
        let mut ledgers = open_ledgers(&context, dir.path(), &["leader", "cut-off"]).await;
        let cut_off = ledgers.pop().unwrap();
        let leader = ledgers.pop().unwrap();
        let chain = unfinalized_chain(&leader).await;
        let (b1, b2, b3) = (chain[1].clone(), chain[2].clone(), chain[3].clone());

        // The ancestry is not there yet: the verification waits for it.
        let (send_ancestor, mut ancestry) = futures::channel::mpsc::unbounded::<Block>();
        let verifying = context.child("verify").spawn({
            let cut_off = cut_off.clone();
            move |_| async move { cut_off.verify(&b3, &b2, &mut ancestry, 2_000).await }
        });
        context.sleep(std::time::Duration::from_millis(10)).await;
        // Meanwhile the ledger answers and admits.
        let signer = Did::from_public_key(&key(0).public_key());
        assert_eq!(cut_off.account(&signer).await.unwrap().balance, 1000);
        assert!(cut_off.admit(vec![(transfer(0), 200)]).await.unwrap()[0].is_ok());
        // The ancestry arrives: the proposal is re-executed on it and accepted.
        send_ancestor.unbounded_send(b1).unwrap();
        assert!(verifying.await.unwrap().unwrap());
    });
}
