//! State store tests on the deterministic runtime: speculative roots equal
//! committed roots, forks do not interfere, proofs verify (and tampered ones
//! do not), and state survives a restart.

use commonware_runtime::{Runner as _, Supervisor as _, deterministic};
use sovra_crypto::SigningKey;
use sovra_execution::Changes;
use sovra_store::StateStore;
use sovra_types::{Did, StateKey, proof::verify_state_proof, state::MetaKey};

fn account_key(seed: u64) -> StateKey {
    StateKey::Account(Did::from_public_key(
        &SigningKey::from_test_seed(seed).public_key(),
    ))
}

fn changes(pairs: &[(StateKey, &[u8])]) -> Changes {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.to_vec())))
        .collect()
}

#[test]
fn speculate_apply_prove_and_restart() {
    deterministic::Runner::default().start(|context| async move {
        let mut store = StateStore::open(context.child("state"), "t").await.unwrap();
        assert_eq!(store.committed_height().await.unwrap(), None);
        let base = store.committed().await.unwrap();

        // Two competing children of the same parent, and a grandchild.
        let a = store
            .speculate(&base, &changes(&[(account_key(1), b"one")]), 1)
            .await
            .unwrap();
        let b = store
            .speculate(&base, &changes(&[(account_key(1), b"uno")]), 1)
            .await
            .unwrap();
        assert_ne!(a.root, b.root);
        let a2 = store
            .speculate(&a, &changes(&[(account_key(2), b"two")]), 2)
            .await
            .unwrap();
        let read = store
            .read(&a2, &[account_key(1), account_key(2), account_key(3)])
            .await
            .unwrap();
        assert_eq!(read.values.get(&account_key(1)).unwrap(), b"one");
        assert_eq!(read.values.get(&account_key(2)).unwrap(), b"two");
        assert!(!read.values.contains_key(&account_key(3)));

        store.apply(&a).await.unwrap();
        assert_eq!(store.root(), a.root);
        store.apply(&a2).await.unwrap();
        assert_eq!(store.root(), a2.root);
        assert_eq!(store.committed_height().await.unwrap(), Some(2));
        // The losing fork can no longer be applied.
        assert!(store.apply(&b).await.is_err());
        assert_eq!(store.root(), a2.root);

        // Inclusion proof.
        let p = store.prove(&account_key(1)).await.unwrap();
        assert_eq!(p.value.as_deref(), Some(&b"one"[..]));
        assert!(verify_state_proof(
            &account_key(1),
            Some(b"one"),
            &p.proof,
            &a2.root
        ));
        assert!(!verify_state_proof(
            &account_key(1),
            Some(b"uno"),
            &p.proof,
            &a2.root
        ));
        assert!(!verify_state_proof(
            &account_key(2),
            Some(b"one"),
            &p.proof,
            &a2.root
        ));
        assert!(!verify_state_proof(
            &account_key(1),
            Some(b"one"),
            &p.proof,
            &a.root
        ));
        let mut tampered = p.proof.clone();
        let last = tampered.len() - 1;
        tampered[last / 2] ^= 1;
        assert!(!verify_state_proof(
            &account_key(1),
            Some(b"one"),
            &tampered,
            &a2.root
        ));
        // Exclusion proof.
        let p = store.prove(&account_key(9)).await.unwrap();
        assert!(p.value.is_none());
        assert!(verify_state_proof(
            &account_key(9),
            None,
            &p.proof,
            &a2.root
        ));
        assert!(!verify_state_proof(
            &account_key(1),
            None,
            &p.proof,
            &a2.root
        ));
        let meta = StateKey::Meta(MetaKey::Supply);
        let p = store.prove(&meta).await.unwrap();
        assert!(verify_state_proof(&meta, None, &p.proof, &a2.root));

        // Uncommitted speculation is lost on restart; committed state is not.
        let root = store.root();
        let _pending = store
            .speculate(&a2, &changes(&[(account_key(5), b"five")]), 3)
            .await
            .unwrap();
        drop(store);
        let store = StateStore::open(context.child("state2"), "t")
            .await
            .unwrap();
        assert_eq!(store.root(), root);
        assert_eq!(store.committed_height().await.unwrap(), Some(2));
        assert_eq!(
            store.get(&account_key(2)).await.unwrap().as_deref(),
            Some(&b"two"[..])
        );
        assert_eq!(store.get(&account_key(5)).await.unwrap(), None);
    });
}
