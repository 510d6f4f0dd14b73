//! Execution of the private-vault actions (`Action::Vault`): creating and
//! versioning record anchors, grants and their expiry, revocation, erasure
//! (with its receipt entry), retention dates, and the all-or-nothing rule;
//! plus a property test running random vault histories of several signers
//! against a reference model.

use crate::common::{Chain, account, cid, code, did, identity_cid};
use proptest::prelude::*;
use sovra_crypto::SigningKey;
use sovra_types::{
    AccountsAction, Action, ContentId, Did, ReceiptStatus, RecordId, StateKey, VaultAction,
    VaultRecord, vault::MAX_GRANTS_PER_RECORD,
};

/// Vault conveniences: here every signer is the did:key of its key.
impl Chain {
    /// Runs one vault action of the did:key of `key`; returns its status.
    fn run_vault(&mut self, key: &SigningKey, action: VaultAction) -> ReceiptStatus {
        self.run_key(key, vec![Action::Vault(action)]).status
    }

    fn record(&self, id: &RecordId) -> Option<VaultRecord> {
        self.state
            .values
            .get(&StateKey::VaultRecord(*id))
            .map(|b| VaultRecord::decode(b).unwrap())
    }

    fn raw_record(&self, id: &RecordId) -> Option<Vec<u8>> {
        self.state.values.get(&StateKey::VaultRecord(*id)).cloned()
    }
}

/// A CID with a sha2-512 multihash.
fn sha512_cid() -> ContentId {
    ContentId::new(cid::Cid::new_v1(
        0x70,
        cid::multihash::Multihash::<64>::wrap(0x13, &[7u8; 64]).unwrap(),
    ))
}

fn rid(n: u8) -> RecordId {
    RecordId([n; 16])
}

fn put(record: RecordId, version: u64) -> VaultAction {
    put_retained(record, version, None)
}

fn put_retained(record: RecordId, version: u64, retain_until_ms: Option<u64>) -> VaultAction {
    VaultAction::Put {
        record,
        version,
        content: cid(&format!("content-{record}-{version}")),
        size: version.saturating_mul(1_000).min(1 << 30),
        keys: cid(&format!("keys-{record}-{version}")),
        replication: 3,
        retain_until_ms,
    }
}

fn grant(record: RecordId, grantee: &Did, until_ms: Option<u64>) -> VaultAction {
    VaultAction::Grant {
        record,
        grantee: grantee.clone(),
        until_ms,
        wrap: cid(&format!("wrap-{record}-{grantee}-{until_ms:?}")),
    }
}

fn revoke(record: RecordId, grantee: &Did) -> VaultAction {
    VaultAction::Revoke {
        record,
        grantee: grantee.clone(),
    }
}

fn delete(record: RecordId) -> VaultAction {
    VaultAction::Delete { record }
}

#[test]
fn a_record_is_created_at_version_one_and_the_owner_puts_each_next_version() {
    let (ks, mut c) = Chain::new(&[1_000]);
    let owner = did(&ks[0]);
    let id = rid(1);
    assert_eq!(
        c.run_vault(&ks[0], put_retained(id, 1, Some(1_000_000))),
        ReceiptStatus::Completed
    );
    let v1 = c.record(&id).unwrap();
    assert_eq!(
        v1,
        VaultRecord {
            owner: owner.clone(),
            version: 1,
            content: cid(&format!("content-{id}-1")),
            size: 1_000,
            keys: cid(&format!("keys-{id}-1")),
            replication: 3,
            retain_until_ms: Some(1_000_000),
            created_height: 1,
            updated_height: 1,
            updated_ms: 1_000,
            erased_height: None,
            grants: Vec::new(),
        }
    );
    assert!(v1.is_live(c.now_ms));
    assert_eq!(
        v1.roots(),
        vec![
            &cid(&format!("content-{id}-1")),
            &cid(&format!("keys-{id}-1"))
        ]
    );

    // The owner puts version 2: content, keys and retention follow, creation stays.
    assert_eq!(c.run_vault(&ks[0], put(id, 2)), ReceiptStatus::Completed);
    let v2 = c.record(&id).unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.owner, owner);
    assert_eq!(v2.content, cid(&format!("content-{id}-2")));
    assert_eq!(v2.keys, cid(&format!("keys-{id}-2")));
    assert_eq!(v2.size, 2_000);
    assert_eq!(v2.retain_until_ms, None);
    assert_eq!((v2.created_height, v2.updated_height), (1, 2));
    assert_eq!(v2.updated_ms, 2_000);

    // Any version but the next one conflicts and changes nothing.
    let before = c.raw_record(&id);
    for wrong in [0, 1, 2, 4, u64::MAX] {
        assert_eq!(
            code(c.run_vault(&ks[0], put(id, wrong))),
            "version_conflict",
            "version {wrong}"
        );
        assert_eq!(c.raw_record(&id), before);
    }
    assert_eq!(c.run_vault(&ks[0], put(id, 3)), ReceiptStatus::Completed);
    assert_eq!(c.record(&id).unwrap().version, 3);

    // A record that does not exist starts at version 1.
    assert_eq!(
        code(c.run_vault(&ks[0], put(rid(2), 2))),
        "version_conflict"
    );
    assert!(c.record(&rid(2)).is_none());
    // Every other action needs an existing record.
    for action in [
        grant(rid(2), &did(&SigningKey::from_test_seed(50)), None),
        revoke(rid(2), &did(&SigningKey::from_test_seed(50))),
        delete(rid(2)),
    ] {
        assert_eq!(code(c.run_vault(&ks[0], action)), "record_not_found");
    }
    assert!(c.record(&rid(2)).is_none());
}

#[test]
fn only_the_owner_changes_a_record() {
    let (ks, mut c) = Chain::new(&[1_000, 1_000, 0]);
    let (owner, stranger, reader) = (did(&ks[0]), &ks[1], did(&ks[2]));
    let id = rid(1);
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &reader, None)),
        ReceiptStatus::Completed
    );
    let before = c.raw_record(&id);
    for action in [
        put(id, 1),
        put(id, 2),
        grant(id, &did(stranger), None),
        grant(id, &reader, Some(1_000_000)),
        revoke(id, &reader),
        delete(id),
    ] {
        let kind = action.kind();
        let fee_before = account(&c.state, &did(stranger)).balance;
        assert_eq!(code(c.run_vault(stranger, action)), "not_owner", "{kind}");
        // Included and charged, but the record is untouched.
        assert_eq!(account(&c.state, &did(stranger)).balance, fee_before - 1);
        assert_eq!(c.raw_record(&id), before, "{kind}");
    }
    assert_eq!(c.record(&id).unwrap().owner, owner);
}

#[test]
fn a_grant_lets_the_grantee_read_the_current_version_until_it_ends() {
    let (ks, mut c) = Chain::new(&[1_000, 0, 0]);
    let (reader, other) = (did(&ks[1]), did(&ks[2]));
    let id = rid(1);
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    let until = c.next_ms() + 10_000;
    let outcome = c.run_key(&ks[0], vec![Action::Vault(grant(id, &reader, Some(until)))]);
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    // The grantee is a party: its receipt chain records the grant.
    assert!(outcome.entries.iter().any(|(d, _)| d == &reader));
    assert_eq!(account(&c.state, &reader).receipt_count, 1);

    let record = c.record(&id).unwrap();
    let g = record.grant_for(&reader, c.now_ms).expect("granted");
    assert_eq!(
        (g.version, g.until_ms, &g.wrap),
        (
            1,
            Some(until),
            &cid(&format!("wrap-{id}-{reader}-{:?}", Some(until)))
        )
    );
    assert!(record.roots().contains(&&g.wrap));
    assert!(record.grant_for(&reader, until - 1).is_some());
    assert!(record.grant_for(&reader, until).is_none());
    assert!(record.grant_for(&reader, u64::MAX).is_none());
    assert!(record.grant_for(&other, c.now_ms).is_none());
    assert!(record.grant_for(&did(&ks[0]), c.now_ms).is_none());

    // Granting again replaces the grant (here: without an end).
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &reader, None)),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert_eq!(record.grants.len(), 1);
    assert!(record.grant_for(&reader, u64::MAX).is_some());

    // A grant to the owner, or one that ends by the block time, is refused.
    let before = c.raw_record(&id);
    assert_eq!(
        code(c.run_vault(&ks[0], grant(id, &did(&ks[0]), None))),
        "invalid_grant"
    );
    let now = c.next_ms();
    assert_eq!(
        code(c.run_vault(&ks[0], grant(id, &other, Some(now)))),
        "invalid_grant"
    );
    assert_eq!(c.raw_record(&id), before);
    // A grant ending just after the block is accepted.
    let soon = c.next_ms() + 1;
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &other, Some(soon))),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert!(record.grant_for(&other, soon - 1).is_some());
    assert!(record.grant_for(&other, soon).is_none());
}

#[test]
fn a_record_has_at_most_max_grants() {
    let (ks, mut c) = Chain::new(&[10_000]);
    let id = rid(1);
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    let grantees: Vec<Did> = (0..=MAX_GRANTS_PER_RECORD as u8)
        .map(|i| Did::sovra(&[i; 16]))
        .collect();
    for g in &grantees[..MAX_GRANTS_PER_RECORD] {
        assert_eq!(
            c.run_vault(&ks[0], grant(id, g, None)),
            ReceiptStatus::Completed
        );
    }
    assert_eq!(c.record(&id).unwrap().grants.len(), MAX_GRANTS_PER_RECORD);
    let before = c.raw_record(&id);
    let last = &grantees[MAX_GRANTS_PER_RECORD];
    assert_eq!(
        code(c.run_vault(&ks[0], grant(id, last, None))),
        "too_many_grants"
    );
    assert_eq!(c.raw_record(&id), before);
    // Replacing an existing grant is fine when full.
    let first = &grantees[0];
    let later = c.next_ms() + 5_000;
    assert_eq!(
        c.run_vault(&ks[0], grant(id, first, Some(later))),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert_eq!(record.grants.len(), MAX_GRANTS_PER_RECORD);
    assert_eq!(record.grant_for(first, 0).unwrap().until_ms, Some(later));
    // After a revoke there is room again.
    assert_eq!(
        c.run_vault(&ks[0], revoke(id, first)),
        ReceiptStatus::Completed
    );
    assert_eq!(
        c.run_vault(&ks[0], grant(id, last, None)),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert_eq!(record.grants.len(), MAX_GRANTS_PER_RECORD);
    // The record still encodes and decodes (the decoder's bound is the same).
    assert_eq!(
        VaultRecord::decode(&c.raw_record(&id).unwrap()).unwrap(),
        record
    );
}

#[test]
fn revoke_removes_a_grant_once() {
    let (ks, mut c) = Chain::new(&[1_000, 0, 0]);
    let (reader, other) = (did(&ks[1]), did(&ks[2]));
    let id = rid(1);
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &reader, None)),
        ReceiptStatus::Completed
    );
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &other, None)),
        ReceiptStatus::Completed
    );
    assert_eq!(
        c.run_vault(&ks[0], revoke(id, &reader)),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert!(record.grant_for(&reader, c.now_ms).is_none());
    assert!(record.grants.iter().all(|g| g.grantee != reader));
    assert!(record.grant_for(&other, c.now_ms).is_some());
    assert_eq!(record.updated_height, c.height);
    let before = c.raw_record(&id);
    assert_eq!(code(c.run_vault(&ks[0], revoke(id, &reader))), "no_grant");
    assert_eq!(
        code(c.run_vault(&ks[0], revoke(id, &did(&ks[0])))),
        "no_grant"
    );
    assert_eq!(c.raw_record(&id), before);
}

#[test]
fn a_new_version_ends_the_grants_to_the_old_key_until_granted_again() {
    let (ks, mut c) = Chain::new(&[1_000, 0]);
    let reader = did(&ks[1]);
    let id = rid(1);
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &reader, None)),
        ReceiptStatus::Completed
    );
    assert!(
        c.record(&id)
            .unwrap()
            .grant_for(&reader, c.now_ms)
            .is_some()
    );
    assert_eq!(c.run_vault(&ks[0], put(id, 2)), ReceiptStatus::Completed);
    // The grant wrapped version 1's key: it ends with that version.
    let record = c.record(&id).unwrap();
    assert!(record.grants.is_empty());
    assert!(record.grant_for(&reader, c.now_ms).is_none());
    assert_eq!(code(c.run_vault(&ks[0], revoke(id, &reader))), "no_grant");
    // Granting again binds the grant to version 2.
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &reader, None)),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert_eq!(record.grants.len(), 1);
    assert_eq!(record.grant_for(&reader, c.now_ms).unwrap().version, 2);
    // Put and re-grant in one transaction (what a revocation with re-keying does).
    assert_eq!(
        c.run_key(
            &ks[0],
            vec![
                Action::Vault(put(id, 3)),
                Action::Vault(grant(id, &reader, None))
            ]
        )
        .status,
        ReceiptStatus::Completed
    );
    assert_eq!(
        c.record(&id)
            .unwrap()
            .grant_for(&reader, c.now_ms)
            .unwrap()
            .version,
        3
    );
}

#[test]
fn delete_erases_the_record_and_records_it_on_the_owners_chain() {
    let (ks, mut c) = Chain::new(&[1_000, 1_000]);
    let (owner, reader) = (did(&ks[0]), did(&ks[1]));
    let id = rid(1);
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    assert_eq!(
        c.run_vault(&ks[0], grant(id, &reader, None)),
        ReceiptStatus::Completed
    );
    let count = account(&c.state, &owner).receipt_count;
    let before = c.record(&id).unwrap();

    let outcome = c.run_key(&ks[0], vec![Action::Vault(delete(id))]);
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    // One completed entry and one erasure entry, both on the owner's chain, in order.
    assert_eq!(outcome.entries.len(), 2, "{:?}", outcome.entries);
    let (d0, e0) = &outcome.entries[0];
    let (d1, e1) = &outcome.entries[1];
    assert_eq!((d0, &e0.status), (&owner, &ReceiptStatus::Completed));
    assert_eq!(
        (d1, &e1.status),
        (&owner, &ReceiptStatus::Erased { record: id })
    );
    assert_eq!((e0.index, e1.index), (count, count + 1));
    assert_eq!(e1.prev, e0.hash());
    assert_eq!((e0.tx_id, e1.tx_id), (outcome.tx_id, outcome.tx_id));
    let owner_account = account(&c.state, &owner);
    assert_eq!(owner_account.receipt_count, count + 2);
    assert_eq!(owner_account.receipt_head, e1.hash());
    // The grantee is not a party to the erasure.
    assert_eq!(account(&c.state, &reader).receipt_count, 1);
    assert!(outcome.entries.iter().all(|(d, _)| d != &reader));

    let erased = c.record(&id).unwrap();
    assert_eq!(erased.erased_height, Some(c.height));
    assert!(!erased.is_live(c.now_ms));
    // Everything else is kept, so nodes know every block to delete.
    assert_eq!(
        VaultRecord {
            erased_height: None,
            updated_height: before.updated_height,
            updated_ms: before.updated_ms,
            ..erased.clone()
        },
        before
    );
    assert_eq!(erased.roots(), before.roots());

    // Nothing can change an erased record, not even its owner.
    let frozen = c.raw_record(&id);
    for action in [
        put(id, 1),
        put(id, 2),
        grant(id, &reader, None),
        revoke(id, &reader),
        delete(id),
    ] {
        let kind = action.kind();
        let outcome = c.run_key(&ks[0], vec![Action::Vault(action)]);
        assert_eq!(code(outcome.status), "record_erased", "{kind}");
        assert!(
            outcome
                .entries
                .iter()
                .all(|(_, e)| !matches!(e.status, ReceiptStatus::Erased { .. })),
            "no erasure entry for a failure"
        );
        assert_eq!(c.raw_record(&id), frozen, "{kind}");
    }
    // A stranger still gets not_owner.
    assert_eq!(code(c.run_vault(&ks[1], delete(id))), "not_owner");
}

#[test]
fn retention_dates_must_be_in_the_future_and_end_everything_but_delete() {
    let (ks, mut c) = Chain::new(&[1_000, 0]);
    let reader = did(&ks[1]);
    let id = rid(1);
    let now = c.next_ms();
    for past in [0, now - 1, now] {
        assert_eq!(
            code(c.run_vault(&ks[0], put_retained(id, 1, Some(past)))),
            "retention_passed",
            "retain until {past}"
        );
        assert!(c.record(&id).is_none());
    }
    let until = c.next_ms() + 1;
    assert_eq!(
        c.run_vault(&ks[0], put_retained(id, 1, Some(until))),
        ReceiptStatus::Completed
    );
    let record = c.record(&id).unwrap();
    assert!(!record.is_expired(until - 1) && record.is_expired(until));
    // A new version may not move the date into the past either.
    let now = c.next_ms();
    assert_eq!(
        code(c.run_vault(&ks[0], put_retained(id, 2, Some(now)))),
        "retention_passed"
    );
    // Past the date, the record refuses changes ...
    assert!(c.next_ms() >= until);
    let frozen = c.raw_record(&id);
    for action in [grant(id, &reader, None), put(id, 2), revoke(id, &reader)] {
        let kind = action.kind();
        assert_eq!(
            code(c.run_vault(&ks[0], action)),
            "record_expired",
            "{kind}"
        );
        assert_eq!(c.raw_record(&id), frozen);
    }
    // ... but its owner may still delete it, which is recorded.
    let outcome = c.run_key(&ks[0], vec![Action::Vault(delete(id))]);
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    assert!(
        outcome
            .entries
            .iter()
            .any(|(_, e)| e.status == ReceiptStatus::Erased { record: id })
    );
    assert_eq!(c.record(&id).unwrap().erased_height, Some(c.height));
    // The date is exact: the block just before it may still grant, the block at it may not.
    let id3 = rid(3);
    let until = c.next_ms() + 10_000;
    assert_eq!(
        c.run_vault(&ks[0], put_retained(id3, 1, Some(until))),
        ReceiptStatus::Completed
    );
    c.set_next_ms(until - 1);
    assert_eq!(
        c.run_vault(&ks[0], grant(id3, &reader, None)),
        ReceiptStatus::Completed
    );
    c.set_next_ms(until);
    assert_eq!(
        code(c.run_vault(&ks[0], revoke(id3, &reader))),
        "record_expired"
    );
    assert_eq!(code(c.run_vault(&ks[0], put(id3, 2))), "record_expired");
    assert_eq!(c.run_vault(&ks[0], delete(id3)), ReceiptStatus::Completed);
    // Retention can also be lifted by a new version before the date passes.
    let id2 = rid(2);
    let until = c.next_ms() + 5_000;
    assert_eq!(
        c.run_vault(&ks[0], put_retained(id2, 1, Some(until))),
        ReceiptStatus::Completed
    );
    assert_eq!(c.run_vault(&ks[0], put(id2, 2)), ReceiptStatus::Completed);
    c.wait(10_000);
    assert_eq!(
        c.run_vault(&ks[0], grant(id2, &reader, None)),
        ReceiptStatus::Completed
    );
}

#[test]
fn only_sha256_blocks_are_accepted() {
    let (ks, mut c) = Chain::new(&[1_000, 0]);
    let id = rid(1);
    for bad in [identity_cid(), sha512_cid()] {
        // `put(id, 1)` with the bad CID as its content, or as its keys.
        let (mut bad_content, mut bad_keys) = (put(id, 1), put(id, 1));
        let VaultAction::Put { content, .. } = &mut bad_content else {
            unreachable!()
        };
        *content = bad.clone();
        let VaultAction::Put { keys, .. } = &mut bad_keys else {
            unreachable!()
        };
        *keys = bad.clone();
        assert_eq!(code(c.run_vault(&ks[0], bad_content)), "unsupported_cid");
        assert_eq!(code(c.run_vault(&ks[0], bad_keys)), "unsupported_cid");
        assert!(c.record(&id).is_none());
    }
    assert_eq!(c.run_vault(&ks[0], put(id, 1)), ReceiptStatus::Completed);
    let before = c.raw_record(&id);
    for bad in [identity_cid(), sha512_cid()] {
        let bad_wrap = VaultAction::Grant {
            record: id,
            grantee: did(&ks[1]),
            until_ms: None,
            wrap: bad,
        };
        assert_eq!(code(c.run_vault(&ks[0], bad_wrap)), "unsupported_cid");
        assert_eq!(c.raw_record(&id), before);
    }
}

#[test]
fn a_failed_action_undoes_the_whole_transaction() {
    let (ks, mut c) = Chain::new(&[1_000, 0, 0]);
    let (owner, reader, other) = (did(&ks[0]), did(&ks[1]), did(&ks[2]));
    let id = rid(1);
    // Put + a grant to the owner itself: no record is left.
    let before = account(&c.state, &owner);
    let outcome = c.run_key(
        &ks[0],
        vec![
            Action::Vault(put(id, 1)),
            Action::Vault(grant(id, &owner, None)),
        ],
    );
    assert_eq!(code(outcome.status), "invalid_grant");
    assert!(c.record(&id).is_none());
    // The fee and nonce are still taken.
    let after = account(&c.state, &owner);
    assert_eq!(
        (after.balance, after.nonce),
        (before.balance - 1, before.nonce + 1)
    );

    // Put + two grants succeeds together.
    let outcome = c.run_key(
        &ks[0],
        vec![
            Action::Vault(put(id, 1)),
            Action::Vault(grant(id, &reader, None)),
            Action::Vault(grant(id, &other, None)),
        ],
    );
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    let parties: Vec<&Did> = outcome.entries.iter().map(|(d, _)| d).collect();
    assert_eq!(parties, vec![&owner, &reader, &other]);
    let committed = c.raw_record(&id);

    // A new version and a revoke, then a failing revoke: none of it stays.
    let outcome = c.run_key(
        &ks[0],
        vec![
            Action::Vault(put(id, 2)),
            Action::Vault(revoke(id, &reader)),
            Action::Vault(revoke(id, &reader)),
        ],
    );
    assert_eq!(code(outcome.status), "no_grant");
    assert_eq!(c.raw_record(&id), committed);

    // A delete followed by a failing action: not erased, no erasure entry.
    let count = account(&c.state, &owner).receipt_count;
    let outcome = c.run_key(
        &ks[0],
        vec![Action::Vault(delete(id)), Action::Vault(put(id, 2))],
    );
    assert_eq!(code(outcome.status), "record_erased");
    assert!(
        outcome
            .entries
            .iter()
            .all(|(_, e)| !matches!(e.status, ReceiptStatus::Erased { .. }))
    );
    assert_eq!(account(&c.state, &owner).receipt_count, count + 1);
    assert_eq!(c.raw_record(&id), committed);
    assert_eq!(c.record(&id).unwrap().erased_height, None);

    // A vault action after a failing transfer is undone too.
    let outcome = c.run_key(
        &ks[0],
        vec![
            Action::Vault(put(rid(2), 1)),
            Action::Accounts(AccountsAction::Transfer {
                to: reader.clone(),
                amount: u64::MAX,
            }),
        ],
    );
    assert!(matches!(outcome.status, ReceiptStatus::Failed { .. }));
    assert!(c.record(&rid(2)).is_none());

    // Two deletes of different records in one transaction: two erasure entries.
    let outcome = c.run_key(
        &ks[0],
        vec![
            Action::Vault(put(rid(3), 1)),
            Action::Vault(delete(rid(3))),
            Action::Vault(delete(id)),
        ],
    );
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    let erased: Vec<&ReceiptStatus> = outcome
        .entries
        .iter()
        .filter(|(d, _)| d == &owner)
        .map(|(_, e)| &e.status)
        .filter(|s| matches!(s, ReceiptStatus::Erased { .. }))
        .collect();
    assert_eq!(
        erased,
        vec![
            &ReceiptStatus::Erased { record: rid(3) },
            &ReceiptStatus::Erased { record: id }
        ]
    );
    assert!(c.record(&rid(3)).unwrap().erased_height.is_some());
    assert!(c.record(&id).unwrap().erased_height.is_some());
}

// ---------------------------------------------------------------------------
// Random histories against a reference model.

/// Signers of the random histories (test keys by index).
const SIGNERS: usize = 3;
/// Records the histories use.
const RECORDS: u8 = 3;

/// One vault action of a random history, by whoever signs its transaction.
#[derive(Clone, Debug)]
enum Op {
    /// `version_offset` is added to the correct next version (1 for a new record).
    Put {
        rec: u8,
        version_offset: i8,
        /// Retention as an offset from the block time, in seconds (0 or less: passed).
        retain: Option<i8>,
    },
    /// `grantee` indexes [signers..., two outsiders].
    Grant {
        rec: u8,
        grantee: usize,
        /// End as an offset from the block time, in seconds.
        until: Option<i8>,
    },
    /// `pick` chooses among the record's grantees (if any), else among all identities.
    Revoke {
        rec: u8,
        pick: usize,
    },
    Delete {
        rec: u8,
    },
}

/// A transaction of a random history.
#[derive(Clone, Debug)]
struct Step {
    /// Signer (test key index), unless `as_owner` and the first action's record has an owner.
    signer: usize,
    /// Whether the owner of the first action's record signs (if it has one).
    as_owner: bool,
    ops: Vec<Op>,
    /// Extra seconds before the block.
    wait_s: u8,
}

fn op() -> impl Strategy<Value = Op> {
    let rec = 0..RECORDS;
    let grantee = 0..SIGNERS + 2;
    prop_oneof![
        5 => (rec.clone(), prop_oneof![6 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)],
              proptest::option::weighted(0.3, -2i8..20))
            .prop_map(|(rec, version_offset, retain)| Op::Put { rec, version_offset, retain }),
        4 => (rec.clone(), grantee.clone(), proptest::option::weighted(0.5, -2i8..20))
            .prop_map(|(rec, grantee, until)| Op::Grant { rec, grantee, until }),
        2 => (rec.clone(), 0..SIGNERS + 2).prop_map(|(rec, pick)| Op::Revoke { rec, pick }),
        1 => rec.prop_map(|rec| Op::Delete { rec }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        0..SIGNERS,
        proptest::bool::weighted(0.75),
        prop_oneof![
            3 => proptest::collection::vec(op(), 1..2),
            1 => proptest::collection::vec(op(), 2..4),
        ],
        prop_oneof![4 => Just(0u8), 1 => 1u8..15],
    )
        .prop_map(|(signer, as_owner, ops, wait_s)| Step {
            signer,
            as_owner,
            ops,
            wait_s,
        })
}

/// The model of a record: what the ledger should hold.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    owner: Did,
    version: u64,
    retain_until_ms: Option<u64>,
    /// (grantee, version, until).
    grants: Vec<(Did, u64, Option<u64>)>,
    erased: bool,
}

fn offset(now: u64, s: i8) -> u64 {
    (now as i64 + i64::from(s) * 1_000).max(0) as u64
}

/// Whether `signer` may change the modelled record at `now`.
fn owned(m: &Option<Model>, signer: &Did, now: u64) -> bool {
    m.as_ref().is_some_and(|m| {
        &m.owner == signer && !m.erased && m.retain_until_ms.is_none_or(|t| now < t)
    })
}

/// Applies `action` by `signer` at block time `now` to the model; `false` if it must fail.
fn model_apply(models: &mut [Option<Model>], signer: &Did, action: &VaultAction, now: u64) -> bool {
    let slot = &mut models[action.record().0[0] as usize];
    match action {
        VaultAction::Put {
            version,
            retain_until_ms,
            ..
        } => {
            if retain_until_ms.is_some_and(|t| t <= now) {
                return false;
            }
            match slot {
                None if *version == 1 => {
                    *slot = Some(Model {
                        owner: signer.clone(),
                        version: 1,
                        retain_until_ms: *retain_until_ms,
                        grants: Vec::new(),
                        erased: false,
                    });
                    true
                }
                None => false,
                Some(m) => {
                    if !owned(&Some(m.clone()), signer, now) || *version != m.version + 1 {
                        return false;
                    }
                    m.version += 1;
                    m.retain_until_ms = *retain_until_ms;
                    m.grants.clear();
                    true
                }
            }
        }
        VaultAction::Grant {
            grantee, until_ms, ..
        } => {
            if !owned(slot, signer, now) || grantee == signer || until_ms.is_some_and(|t| t <= now)
            {
                return false;
            }
            let m = slot.as_mut().unwrap();
            let grant = (grantee.clone(), m.version, *until_ms);
            let full = m.grants.len() >= MAX_GRANTS_PER_RECORD;
            match m.grants.iter_mut().find(|g| &g.0 == grantee) {
                Some(g) => *g = grant,
                None if full => return false,
                None => m.grants.push(grant),
            }
            true
        }
        VaultAction::Revoke { grantee, .. } => {
            if !owned(slot, signer, now) {
                return false;
            }
            let m = slot.as_mut().unwrap();
            let before = m.grants.len();
            m.grants.retain(|g| &g.0 != grantee);
            m.grants.len() != before
        }
        VaultAction::Delete { .. } => match slot {
            Some(m) if &m.owner == signer && !m.erased => {
                m.erased = true;
                true
            }
            _ => false,
        },
    }
}

/// The action for `op`, with a Put's version relative to the modelled record
/// as the transaction's earlier actions left it.
fn to_action(
    op: &Op,
    models: &[Option<Model>],
    dids: &[Did],
    now: u64,
    salt: usize,
) -> VaultAction {
    match op {
        Op::Put {
            rec,
            version_offset,
            retain,
        } => {
            let next = models[*rec as usize].as_ref().map_or(1, |m| m.version + 1);
            let version = (next as i64 + i64::from(*version_offset)).max(0) as u64;
            VaultAction::Put {
                record: rid(*rec),
                version,
                content: cid(&format!("content-{rec}-{salt}")),
                size: salt as u64,
                keys: cid(&format!("keys-{rec}-{salt}")),
                replication: 3 + (salt % 14) as u8,
                retain_until_ms: retain.map(|s| offset(now, s)),
            }
        }
        Op::Grant {
            rec,
            grantee,
            until,
        } => VaultAction::Grant {
            record: rid(*rec),
            grantee: dids[*grantee].clone(),
            until_ms: until.map(|s| offset(now, s)),
            wrap: cid(&format!("wrap-{rec}-{grantee}-{salt}")),
        },
        Op::Revoke { rec, pick } => {
            let grantees: Vec<&Did> = models[*rec as usize]
                .iter()
                .flat_map(|m| m.grants.iter().map(|g| &g.0))
                .collect();
            let grantee = if grantees.is_empty() {
                &dids[*pick]
            } else {
                grantees[*pick % grantees.len()]
            };
            revoke(rid(*rec), grantee)
        }
        Op::Delete { rec } => delete(rid(*rec)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random multi-signer histories: every record matches the model after
    /// every transaction (which applies all its actions or none), the owner
    /// never changes, versions only grow by one, grants stay within the
    /// bound, an erased record stays erased, and every successful delete
    /// adds exactly one erasure entry to the owner's chain.
    #[test]
    fn random_vault_histories_keep_the_invariants(steps in proptest::collection::vec(step(), 1..30)) {
        let (ks, mut c) = Chain::new(&[1_000_000; SIGNERS]);
        let mut dids: Vec<Did> = ks.iter().map(did).collect();
        dids.push(Did::sovra(&[0xAA; 16]));
        dids.push(did(&SigningKey::from_test_seed(77)));
        let mut models: Vec<Option<Model>> = vec![None; RECORDS as usize];
        for (n, s) in steps.iter().enumerate() {
            c.wait(u64::from(s.wait_s) * 1_000);
            let now = c.next_ms();
            let rec_of = |op: &Op| match op {
                Op::Put { rec, .. }
                | Op::Grant { rec, .. }
                | Op::Revoke { rec, .. }
                | Op::Delete { rec } => *rec as usize,
            };
            let owner = models[rec_of(&s.ops[0])]
                .as_ref()
                .map(|m| dids.iter().position(|d| d == &m.owner).unwrap());
            let signer_index = match owner {
                Some(o) if s.as_owner => o,
                _ => s.signer,
            };
            let signer = &dids[signer_index];
            let before: Vec<Option<VaultRecord>> = (0..RECORDS).map(|r| c.record(&rid(r))).collect();
            // The model applies the whole transaction or none of it.
            let mut next = models.clone();
            let mut ok = true;
            let mut actions = Vec::new();
            for (i, op) in s.ops.iter().enumerate() {
                let action = to_action(op, &next, &dids, now, n * 10 + i);
                ok = ok && model_apply(&mut next, signer, &action, now);
                actions.push(Action::Vault(action));
            }
            let receipts_before = account(&c.state, signer).receipt_count;
            let outcome = c.run_key(&ks[signer_index], actions);
            prop_assert_eq!(c.now_ms, now);
            prop_assert_eq!(
                outcome.status == ReceiptStatus::Completed,
                ok,
                "step {} {:?}: {:?}", n, s, outcome.status
            );
            let deletes = s.ops.iter().filter(|op| matches!(op, Op::Delete { .. })).count() as u64;
            let erasures: Vec<_> = outcome
                .entries
                .iter()
                .filter(|(_, e)| matches!(e.status, ReceiptStatus::Erased { .. }))
                .collect();
            if ok {
                models = next;
                prop_assert_eq!(erasures.len() as u64, deletes);
                prop_assert!(erasures.iter().all(|(d, _)| d == signer));
            } else {
                prop_assert!(erasures.is_empty());
            }
            let expected_receipts = 1 + if ok { deletes } else { 0 };
            prop_assert_eq!(account(&c.state, signer).receipt_count, receipts_before + expected_receipts);

            for r in 0..RECORDS {
                let after = c.record(&rid(r));
                let prev = &before[r as usize];
                // Each Put of this record in the transaction adds exactly one.
                let puts = s
                    .ops
                    .iter()
                    .filter(|op| matches!(op, Op::Put { rec, .. } if *rec == r))
                    .count() as u64;
                if !ok {
                    prop_assert_eq!(&after, prev, "a failed transaction changed record {}", r);
                }
                match (&models[r as usize], &after) {
                    (None, None) => {}
                    (Some(m), Some(a)) => {
                        prop_assert_eq!(&a.owner, &m.owner);
                        prop_assert_eq!(a.version, m.version);
                        prop_assert_eq!(a.retain_until_ms, m.retain_until_ms);
                        prop_assert_eq!(a.erased_height.is_some(), m.erased);
                        let grants: Vec<(Did, u64, Option<u64>)> = a
                            .grants
                            .iter()
                            .map(|g| (g.grantee.clone(), g.version, g.until_ms))
                            .collect();
                        prop_assert_eq!(&grants, &m.grants);
                        prop_assert!(a.grants.len() <= MAX_GRANTS_PER_RECORD);
                        // Grants are unique per grantee and never for the owner or a future version.
                        for (i, g) in a.grants.iter().enumerate() {
                            prop_assert!(g.grantee != a.owner);
                            prop_assert!(g.version <= a.version);
                            prop_assert!(a.grants[i + 1..].iter().all(|h| h.grantee != g.grantee));
                        }
                        for d in &dids {
                            let readable = a.grant_for(d, now).is_some();
                            let expected = m.grants.iter().any(|(g, v, until)| {
                                g == d && *v == m.version && until.is_none_or(|t| now < t)
                            });
                            prop_assert_eq!(readable, expected);
                        }
                    }
                    (m, a) => prop_assert!(false, "model {:?} vs ledger {:?}", m, a),
                }
                if let (Some(p), Some(a)) = (prev, &after) {
                    prop_assert_eq!(&a.owner, &p.owner, "the owner changed");
                    prop_assert!(a.version >= p.version && a.version - p.version <= puts);
                    prop_assert_eq!(a.created_height, p.created_height);
                    if let Some(h) = p.erased_height {
                        prop_assert_eq!(a, p, "an erased record changed");
                        prop_assert_eq!(a.erased_height, Some(h));
                    }
                    if a != p {
                        prop_assert_eq!(a.updated_height, c.height);
                        prop_assert_eq!(a.updated_ms, now);
                    }
                }
                if let (None, Some(a)) = (prev, &after) {
                    prop_assert!(a.version >= 1 && a.version <= puts);
                    prop_assert_eq!(a.created_height, c.height);
                }
            }
        }
    }
}
