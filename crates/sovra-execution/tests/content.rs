//! Execution of the public-content actions: pins and unpins, named public documents, and the
//! failures that are still included and charged.

use sovra_crypto::SigningKey;
use sovra_execution::{Executor, MemoryState};
use sovra_types::{Action, ContentId, Did, PinRecord, ReceiptStatus, StateKey, Transaction};

mod common;
use common::{CHAIN, at};

fn setup() -> (SigningKey, Executor, MemoryState) {
    let (mut ks, exec, state) = common::setup(&[1_000]);
    (ks.remove(0), exec, state)
}

/// Executes one action as the next transaction of `key`; returns its status.
fn run(
    exec: &Executor,
    state: &mut MemoryState,
    key: &SigningKey,
    nonce: u64,
    action: Action,
) -> ReceiptStatus {
    let t = Transaction {
        chain_id: CHAIN.into(),
        signer: Did::from_public_key(&key.public_key()),
        nonce,
        fee: 1,
        expiry_height: 100,
        actions: vec![action],
    }
    .sign(key);
    let out = exec.execute_block(&*state, at(nonce + 1), &[t]).unwrap();
    state.apply(&out.changes);
    out.outcomes[0].status.clone()
}

fn failure_code(status: ReceiptStatus) -> String {
    match status {
        ReceiptStatus::Failed { code, .. } => code,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn cid(text: &str) -> ContentId {
    ContentId::parse(text).unwrap()
}

const FILE: &str = "bafybeihbcun7kmnclprneohnrau2px4fzejewfpwyzx4kv3mha5j5wnvty";

#[test]
fn pin_unpin_and_failures() {
    let (key, exec, mut state) = setup();
    let owner = Did::from_public_key(&key.public_key());
    let pin = Action::PinContent {
        cid: cid(FILE),
        size: 262_145,
        replication: 3,
    };
    assert_eq!(
        run(&exec, &mut state, &key, 0, pin),
        ReceiptStatus::Completed
    );
    let key_of_pin = StateKey::Pin {
        cid: cid(FILE),
        owner: owner.clone(),
    };
    let record = PinRecord::decode(state.values.get(&key_of_pin).unwrap()).unwrap();
    assert_eq!(
        (record.size, record.replication, record.height),
        (262_145, 3, 1)
    );

    // Replication out of range, oversized pins and non-sha256 CIDs fail (and are charged).
    let bad_replication = Action::PinContent {
        cid: cid(FILE),
        size: 1,
        replication: 0,
    };
    assert_eq!(
        failure_code(run(&exec, &mut state, &key, 1, bad_replication)),
        "invalid_replication"
    );
    let too_large = Action::PinContent {
        cid: cid(FILE),
        size: u64::MAX,
        replication: 1,
    };
    assert_eq!(
        failure_code(run(&exec, &mut state, &key, 2, too_large)),
        "pin_too_large"
    );
    // An identity-hash CID (inline data) is not replicated content.
    let inline = ContentId::new(identity_cid());
    let unsupported = Action::PinContent {
        cid: inline,
        size: 1,
        replication: 1,
    };
    assert_eq!(
        failure_code(run(&exec, &mut state, &key, 3, unsupported)),
        "unsupported_cid"
    );

    // Unpin removes the record; unpinning again fails.
    let unpin = Action::UnpinContent { cid: cid(FILE) };
    assert_eq!(
        run(&exec, &mut state, &key, 4, unpin.clone()),
        ReceiptStatus::Completed
    );
    assert!(!state.values.contains_key(&key_of_pin));
    assert_eq!(
        failure_code(run(&exec, &mut state, &key, 5, unpin)),
        "not_pinned"
    );
}

/// A CIDv1 (raw) with the identity multihash over "hi".
fn identity_cid() -> cid::Cid {
    cid::Cid::new_v1(
        0x55,
        cid::multihash::Multihash::<64>::wrap(0x00, b"hi").unwrap(),
    )
}

#[test]
fn public_documents_point_to_content() {
    let (key, exec, mut state) = setup();
    let owner = Did::from_public_key(&key.public_key());
    let set = Action::SetPublicDocument {
        name: "profile".into(),
        cid: Some(cid(FILE)),
    };
    assert_eq!(
        run(&exec, &mut state, &key, 0, set),
        ReceiptStatus::Completed
    );
    let doc = StateKey::PublicDoc {
        owner: owner.clone(),
        name: "profile".into(),
    };
    assert_eq!(
        ContentId::from_bytes(state.values.get(&doc).unwrap()).unwrap(),
        cid(FILE)
    );
    let remove = Action::SetPublicDocument {
        name: "profile".into(),
        cid: None,
    };
    assert_eq!(
        run(&exec, &mut state, &key, 1, remove.clone()),
        ReceiptStatus::Completed
    );
    assert!(!state.values.contains_key(&doc));
    assert_eq!(
        failure_code(run(&exec, &mut state, &key, 2, remove)),
        "no_such_document"
    );
}
