//! Execution tests: fees, failures, receipt chains, rejections, and property
//! tests that random transfer sequences conserve supply.

use proptest::prelude::*;
use sovra_crypto::SigningKey;
use sovra_execution::{ExecError, MemoryState, Rejection};
use sovra_types::{
    AccountsAction, Action, Did, IdentityAction, ReceiptStatus, SignedTransaction, StateKey,
    Transaction,
    receipt::verify_chain,
    state::{MetaKey, decode_u64},
};

use crate::common::{CHAIN, account, at, did, setup};

fn transfer(from: &SigningKey, to: &Did, amount: u64, nonce: u64, fee: u64) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN.into(),
        signer: did(from),
        nonce,
        fee,
        expiry_height: 100,
        actions: vec![Action::Accounts(AccountsAction::Transfer {
            to: to.clone(),
            amount,
        })],
    }
    .sign(from)
}

fn meta(state: &MemoryState, m: MetaKey) -> u64 {
    decode_u64(state.values.get(&StateKey::Meta(m)).unwrap()).unwrap()
}

#[test]
fn transfer_moves_funds_burns_fee_and_extends_receipt_chains() {
    let (ks, exec, mut state) = setup(&[1000, 0]);
    let (a, b) = (did(&ks[0]), did(&ks[1]));
    let t = transfer(&ks[0], &b, 300, 0, 2);
    let out = exec
        .execute_block(&state, at(1), std::slice::from_ref(&t))
        .unwrap();
    state.apply(&out.changes);
    assert_eq!(account(&state, &a).balance, 698);
    assert_eq!(account(&state, &b).balance, 300);
    assert_eq!(account(&state, &a).nonce, 1);
    assert_eq!(meta(&state, MetaKey::Burned), 2);
    assert_eq!(meta(&state, MetaKey::Supply), 998);
    assert_eq!(out.outcomes[0].status, ReceiptStatus::Completed);
    // Both identities got a chain entry that links to their head.
    for (d, entry) in &out.outcomes[0].entries {
        assert!(verify_chain(
            std::slice::from_ref(entry),
            &account(&state, d).receipt_head
        ));
    }
    assert_eq!(out.outcomes[0].entries.len(), 2);
}

#[test]
fn failed_action_is_included_charged_and_recorded() {
    let (ks, exec, mut state) = setup(&[100, 0]);
    let b = did(&ks[1]);
    let t = transfer(&ks[0], &b, 1000, 0, 5);
    let out = exec.execute_block(&state, at(1), &[t]).unwrap();
    state.apply(&out.changes);
    let a = account(&state, &did(&ks[0]));
    assert_eq!((a.balance, a.nonce, a.receipt_count), (95, 1, 1));
    assert_eq!(account(&state, &b).balance, 0);
    match &out.outcomes[0].status {
        ReceiptStatus::Failed { code, .. } => assert_eq!(code, "insufficient_balance"),
        s => panic!("expected failure, got {s:?}"),
    }
}

#[test]
fn rejections_make_a_block_invalid_and_are_dropped_when_building() {
    let (ks, exec, state) = setup(&[100, 100]);
    let b = did(&ks[1]);
    let good = transfer(&ks[0], &b, 1, 0, 1);
    let replay_nonce = transfer(&ks[0], &b, 1, 0, 1);
    let mut wrong_chain = transfer(&ks[0], &b, 1, 1, 1);
    wrong_chain.tx.chain_id = "other".into();
    let wrong_chain = wrong_chain.tx.sign(&ks[0]);
    let mut expired = transfer(&ks[0], &b, 1, 1, 1);
    expired.tx.expiry_height = 0;
    let expired = expired.tx.sign(&ks[0]);
    let mut forged = transfer(&ks[0], &b, 1, 1, 1);
    forged.signature = ks[1].sign(b"sovra/tx", b"x");
    let low_fee = transfer(&ks[0], &b, 1, 1, 0);

    let cases: Vec<(SignedTransaction, &str)> = vec![
        (replay_nonce, "bad_nonce"),
        (wrong_chain, "wrong_chain"),
        (expired, "expired"),
        (forged, "bad_signature"),
        (low_fee, "fee_too_low"),
    ];
    for (bad, code) in cases {
        let err = exec
            .execute_block(&state, at(1), &[good.clone(), bad.clone()])
            .unwrap_err();
        match err {
            ExecError::Rejected { index, rejection } => {
                assert_eq!(index, 1);
                assert_eq!(rejection.code(), code, "{rejection}");
            }
            e => panic!("unexpected {e}"),
        }
        // Building trusts the mempool's signature check, so only stateful
        // and stateless rejections are filtered here.
        if code != "bad_signature" {
            let (included, _) = exec
                .build_block(&state, at(1), vec![good.clone(), bad])
                .unwrap();
            assert_eq!(included, vec![good.clone()]);
        }
    }
    // A key that does not match the did:key is rejected too.
    let mut stolen = transfer(&ks[0], &b, 1, 0, 1);
    stolen.public_key = ks[1].public_key();
    assert!(matches!(
        exec.execute_block(&state, at(1), &[stolen]),
        Err(ExecError::Rejected {
            rejection: Rejection::BadSignature(_),
            ..
        })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any sequence of transfers keeps sum(balances) == supply and
    /// supply + burned == the genesis total.
    #[test]
    fn random_transfers_conserve_supply(
        balances in proptest::collection::vec(0u64..10_000, 2..6),
        ops in proptest::collection::vec((0usize..6, 0usize..6, 0u64..5_000, 0u64..4), 1..60),
    ) {
        let (ks, exec, mut state) = setup(&balances);
        let total: u64 = balances.iter().sum();
        let n = ks.len();
        let mut nonces = vec![0u64; n];
        for (height, chunk) in (1u64..).zip(ops.chunks(7)) {
            let candidates: Vec<_> = chunk.iter().map(|(f, t, amount, fee)| {
                let (f, t) = (f % n, t % n);
                let tx = transfer(&ks[f], &did(&ks[t]), *amount, nonces[f], *fee);
                nonces[f] += 1;
                tx
            }).collect();
            let (included, out) = exec.build_block(&state, at(height), candidates).unwrap();
            // Re-execution by a validator gives the same changes.
            let again = exec.execute_block(&state, at(height), &included).unwrap();
            prop_assert_eq!(&again, &out);
            state.apply(&out.changes);
            // Nonces of dropped transactions were not used.
            for (i, k) in ks.iter().enumerate() {
                nonces[i] = account(&state, &did(k)).nonce;
            }
        }
        let sum: u64 = ks.iter().map(|k| account(&state, &did(k)).balance).sum();
        prop_assert_eq!(sum, meta(&state, MetaKey::Supply));
        prop_assert_eq!(sum + meta(&state, MetaKey::Burned), total);
    }
}

#[test]
fn partial_verification_reports_the_right_index() {
    let (ks, exec, state) = setup(&[100, 100]);
    let b = did(&ks[1]);
    let good = transfer(&ks[0], &b, 1, 0, 1);
    let mut forged = transfer(&ks[0], &b, 1, 1, 1);
    forged.signature = ks[1].sign(b"sovra/tx", b"x");
    let txs = vec![good.clone(), good.clone(), forged];
    // Index 0 is marked verified; the forged one at index 2 is still caught and named.
    match exec.execute_block_with(&state, at(1), &txs, |i| i == 0) {
        Err(ExecError::Rejected {
            index,
            rejection: Rejection::BadSignature(_),
        }) => assert_eq!(index, 2),
        other => panic!("expected a bad signature at index 2, got {other:?}"),
    }
    // With nothing skipped the verdict is the same.
    assert!(matches!(
        exec.execute_block(&state, at(1), &txs),
        Err(ExecError::Rejected {
            index: 2,
            rejection: Rejection::BadSignature(_)
        })
    ));
}

/// Balances of `dids` and the chain-wide supply, to show that nothing moved.
fn holdings(c: &crate::common::Chain, dids: &[&Did]) -> (Vec<u64>, u64) {
    (
        dids.iter().map(|d| account(&c.state, d).balance).collect(),
        meta(&c.state, MetaKey::Supply),
    )
}

#[test]
fn transfer_to_an_unknown_did_sovra_fails_and_moves_nothing() {
    let (ks, mut c) = crate::common::Chain::new(&[1_000]);
    let payer = did(&ks[0]);
    // The did:sovra that the payer's next CreateDid would create: well-formed, not on the ledger.
    let nobody = sovra_types::identity::derive_sovra_did(
        CHAIN,
        &payer,
        account(&c.state, &payer).nonce + 5,
        0,
    );
    let (before, supply) = holdings(&c, &[&payer, &nobody]);
    let outcome = c.exec(c.pay(&payer, &ks[0], &nobody, 100)).unwrap();
    assert_eq!(crate::common::code(outcome.status), "unknown_recipient");
    // Only the fee left the payer; the unknown DID holds nothing.
    let (after, supply_after) = holdings(&c, &[&payer, &nobody]);
    assert_eq!(after, vec![before[0] - 1, 0]);
    assert_eq!(supply_after, supply - 1);
}

#[test]
fn transfer_to_a_deactivated_did_sovra_fails_and_moves_nothing() {
    let (ks, mut c) = crate::common::Chain::new(&[1_000]);
    let payer = did(&ks[0]);
    let gone = c.create_did(&ks[0], crate::common::doc_for(&ks[0]));
    // A live did:sovra receives funds.
    c.fund(&ks[0], &gone, 50);
    assert_eq!(account(&c.state, &gone).balance, 50);
    let deactivate = c.run_all(
        &gone,
        &ks[0],
        vec![Action::Identity(IdentityAction::Deactivate {
            did: gone.clone(),
            previous_version: 1,
        })],
    );
    assert_eq!(deactivate.status, ReceiptStatus::Completed);
    let (before, supply) = holdings(&c, &[&payer, &gone]);
    let outcome = c.exec(c.pay(&payer, &ks[0], &gone, 100)).unwrap();
    assert_eq!(crate::common::code(outcome.status), "recipient_deactivated");
    let (after, supply_after) = holdings(&c, &[&payer, &gone]);
    assert_eq!(after, vec![before[0] - 1, before[1]]);
    assert_eq!(supply_after, supply - 1);
}

#[test]
fn zero_amount_transfer_fails_in_execution() {
    let (ks, mut c) = crate::common::Chain::new(&[1_000, 0]);
    let (a, b) = (did(&ks[0]), did(&ks[1]));
    let outcome = c.exec(c.pay(&a, &ks[0], &b, 0)).unwrap();
    assert_eq!(crate::common::code(outcome.status), "zero_amount");
    assert_eq!(account(&c.state, &a).balance, 999);
    assert_eq!(account(&c.state, &b).balance, 0);
}
