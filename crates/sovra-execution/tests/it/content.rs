//! Execution of the public-content actions: pins and unpins, named public documents, and the
//! failures that are still included and charged.

use sovra_crypto::SigningKey;
use sovra_types::{Action, ContentAction, ContentId, PinRecord, ReceiptStatus, StateKey};

use crate::common::{Chain, code, did, identity_cid};

impl Chain {
    /// Runs one action as the next transaction of the did:key of `key`; returns its status.
    fn run_content(&mut self, key: &SigningKey, action: Action) -> ReceiptStatus {
        self.run_key(key, vec![action]).status
    }
}

/// A chain with one funded key.
fn setup() -> (SigningKey, Chain) {
    let (mut ks, c) = Chain::new(&[1_000]);
    (ks.remove(0), c)
}

fn cid(text: &str) -> ContentId {
    ContentId::parse(text).unwrap()
}

const FILE: &str = "bafybeihbcun7kmnclprneohnrau2px4fzejewfpwyzx4kv3mha5j5wnvty";

#[test]
fn pin_unpin_and_failures() {
    let (key, mut c) = setup();
    let owner = did(&key);
    let pin = Action::Content(ContentAction::Pin {
        cid: cid(FILE),
        size: 262_145,
        replication: 3,
    });
    assert_eq!(c.run_content(&key, pin), ReceiptStatus::Completed);
    let key_of_pin = StateKey::Pin {
        cid: cid(FILE),
        owner: owner.clone(),
    };
    let record = PinRecord::decode(c.state.values.get(&key_of_pin).unwrap()).unwrap();
    assert_eq!(
        (record.size, record.replication, record.height),
        (262_145, 3, 1)
    );

    // Replication out of range, oversized pins and non-sha256 CIDs fail (and are charged).
    let bad_replication = Action::Content(ContentAction::Pin {
        cid: cid(FILE),
        size: 1,
        replication: 0,
    });
    assert_eq!(
        code(c.run_content(&key, bad_replication)),
        "invalid_replication"
    );
    let too_large = Action::Content(ContentAction::Pin {
        cid: cid(FILE),
        size: u64::MAX,
        replication: 1,
    });
    assert_eq!(code(c.run_content(&key, too_large)), "pin_too_large");
    // An identity-hash CID (inline data) is not replicated content.
    let inline = identity_cid();
    let unsupported = Action::Content(ContentAction::Pin {
        cid: inline,
        size: 1,
        replication: 1,
    });
    assert_eq!(code(c.run_content(&key, unsupported)), "unsupported_cid");

    // Unpin removes the record; unpinning again fails.
    let unpin = Action::Content(ContentAction::Unpin { cid: cid(FILE) });
    assert_eq!(c.run_content(&key, unpin.clone()), ReceiptStatus::Completed);
    assert!(!c.state.values.contains_key(&key_of_pin));
    assert_eq!(code(c.run_content(&key, unpin)), "not_pinned");
}

#[test]
fn public_documents_point_to_content() {
    let (key, mut c) = setup();
    let owner = did(&key);
    let set = Action::Content(ContentAction::SetPublicDocument {
        name: "profile".into(),
        cid: Some(cid(FILE)),
    });
    assert_eq!(c.run_content(&key, set), ReceiptStatus::Completed);
    let doc = StateKey::PublicDoc {
        owner: owner.clone(),
        name: "profile".into(),
    };
    assert_eq!(
        ContentId::from_bytes(c.state.values.get(&doc).unwrap()).unwrap(),
        cid(FILE)
    );
    let remove = Action::Content(ContentAction::SetPublicDocument {
        name: "profile".into(),
        cid: None,
    });
    assert_eq!(
        c.run_content(&key, remove.clone()),
        ReceiptStatus::Completed
    );
    assert!(!c.state.values.contains_key(&doc));
    assert_eq!(code(c.run_content(&key, remove)), "no_such_document");
}
