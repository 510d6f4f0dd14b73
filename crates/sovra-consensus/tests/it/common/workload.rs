//! A workload of transactions that touches every kind of state a block can change (balances,
//! a `did:sovra` created and then paid, a pin and a public document, a vault record and its
//! next version, a failed transfer that still uses its nonce and pays its fee), and what it
//! leaves in a validator's state, read so that it does not depend on timing.
//!
//! The actions are built here only, so a change of the `Action` shape is made in one place.

use super::{CHAIN, Validator, dev, dev_did, signed};
use sovra_types::{
    Account, AccountsAction, Action, ContentAction, ContentId, Did, DidDocument, DidRecord,
    IdentityAction, PinRecord, ReceiptStatus, RecordId, SignedTransaction, StateKey, TxId,
    VaultAction, VaultRecord,
    identity::{derive_sovra_did, methods_for_key},
};

/// A raw-codec sha2-256 CIDv1 of `tag`.
pub(crate) fn cid(tag: &str) -> ContentId {
    ContentId::raw_sha256(tag.as_bytes())
}

/// The vault record of the workload.
pub(crate) const RECORD: RecordId = RecordId([7; 16]);

/// The did:sovra that dev key 2 creates with its first transaction.
pub(crate) fn created_did() -> Did {
    derive_sovra_did(CHAIN, &dev_did(2), 0, 0)
}

fn vault_put(version: u64) -> Action {
    Action::Vault(VaultAction::Put {
        record: RECORD,
        version,
        content: cid(&format!("ciphertext-{version}")),
        size: 1_000 * version,
        keys: cid(&format!("keys-{version}")),
        replication: 3,
        retain_until_ms: None,
    })
}

fn document() -> DidDocument {
    let key: [u8; 32] = dev(2).public_key().as_ref().try_into().unwrap();
    DidDocument {
        methods: methods_for_key(&key, 1).unwrap(),
        ..Default::default()
    }
}

/// The workload's transactions in two phases (the second needs the first included: the
/// nonces follow on, the created DID is paid, the vault record gets its next version).
/// `phase` is 0 or 1.
pub(crate) fn phase(phase: usize) -> Vec<SignedTransaction> {
    let to = |i| {
        Action::Accounts(AccountsAction::Transfer {
            to: dev_did(i),
            amount: 100 * (i + 1),
        })
    };
    let txs = match phase {
        0 => vec![
            signed(0, 0, 1_000_000, vec![to(1), to(2)]),
            signed(1, 0, 1_000_000, vec![vault_put(1)]),
            signed(
                2,
                0,
                1_000_000,
                vec![Action::Identity(IdentityAction::Create {
                    document: document(),
                })],
            ),
            signed(
                3,
                0,
                1_000_000,
                vec![Action::Content(ContentAction::Pin {
                    cid: cid("pinned"),
                    size: 4_096,
                    replication: 3,
                })],
            ),
        ],
        _ => vec![
            signed(0, 1, 1_000_000, vec![to(3)]),
            signed(1, 1, 1_000_000, vec![vault_put(2)]),
            signed(
                2,
                1,
                1_000_000,
                vec![Action::Accounts(AccountsAction::Transfer {
                    to: created_did(),
                    amount: 500,
                })],
            ),
            signed(
                3,
                1,
                1_000_000,
                vec![Action::Content(ContentAction::SetPublicDocument {
                    name: "profile".into(),
                    cid: Some(cid("profile")),
                })],
            ),
            // More than dev key 3 has: fails, uses its nonce and pays its fee.
            signed(
                3,
                2,
                1_000_000,
                vec![Action::Accounts(AccountsAction::Transfer {
                    to: dev_did(0),
                    amount: 5_000_000,
                })],
            ),
        ],
    };
    txs.into_iter().map(|(tx, _)| tx).collect()
}

/// Submits `txs` round-robin to the validators' mempools (so every validator's gossip and
/// proposals take part); returns their ids.
pub(crate) async fn submit(vs: &[&Validator], txs: Vec<SignedTransaction>) -> Vec<TxId> {
    let mut ids = Vec::new();
    for (n, tx) in txs.into_iter().enumerate() {
        let r = vs[n % vs.len()]
            .ledger
            .admit(vec![(tx, 200)])
            .await
            .unwrap();
        ids.push(r[0].clone().expect("admitted"));
    }
    ids
}

/// Whether every validator has finalized every one of `ids`.
pub(crate) fn all_included(vs: &[&Validator], ids: &[TxId]) -> bool {
    vs.iter().all(|v| {
        ids.iter()
            .all(|id| v.ledger.index().tx(id).unwrap().is_some())
    })
}

/// What the workload left in one validator's state, without what depends on timing (heights,
/// block times, receipt hashes, which include the height).
#[derive(Debug, PartialEq)]
pub(crate) struct Results {
    /// Balance, nonce and receipt count of dev keys 0..4 and the created DID.
    pub accounts: Vec<(Did, u64, u64, u64)>,
    /// Version and document of the created DID.
    pub did: Option<(u64, DidDocument)>,
    /// Size and replication of dev key 3's pin.
    pub pin: Option<(u64, u8)>,
    /// The CID bytes of dev key 3's public document `profile`.
    pub public_doc: Option<Vec<u8>>,
    /// Owner, version, content and size of the vault record.
    pub vault: Option<(Did, u64, ContentId, u64)>,
    /// The outcome of each transaction.
    pub statuses: Vec<Option<ReceiptStatus>>,
}

/// Reads [`Results`] from `v`'s committed state and index.
pub(crate) async fn results(v: &Validator, ids: &[TxId]) -> Results {
    let ledger = &v.ledger;
    let mut accounts = Vec::new();
    for did in (0..4).map(dev_did).chain([created_did()]) {
        let Account {
            balance,
            nonce,
            receipt_count,
            ..
        } = ledger.account(&did).await.unwrap();
        accounts.push((did, balance, nonce, receipt_count));
    }
    let value = async |key: StateKey| ledger.state_value(&key).await.unwrap();
    let did = value(StateKey::Did(created_did()))
        .await
        .map(|b| DidRecord::decode(&b).unwrap())
        .map(|r| (r.version, r.document));
    let pin = value(StateKey::Pin {
        cid: cid("pinned"),
        owner: dev_did(3),
    })
    .await
    .map(|b| PinRecord::decode(&b).unwrap())
    .map(|p| (p.size, p.replication));
    let public_doc = value(StateKey::PublicDoc {
        owner: dev_did(3),
        name: "profile".into(),
    })
    .await;
    let vault = value(StateKey::VaultRecord(RECORD))
        .await
        .map(|b| VaultRecord::decode(&b).unwrap())
        .map(|r| (r.owner, r.version, r.content, r.size));
    let statuses = ids
        .iter()
        .map(|id| ledger.index().tx(id).unwrap().map(|l| l.status))
        .collect();
    Results {
        accounts,
        did,
        pin,
        public_doc,
        vault,
        statuses,
    }
}

/// The workload's effects, as they must be after both phases whatever the timing.
pub(crate) fn assert_applied(r: &Results) {
    let account = |i: usize| (r.accounts[i].1, r.accounts[i].2, r.accounts[i].3);
    // A transfer adds a receipt entry to its signer and to each recipient, also when it fails;
    // the other actions to the signer (and `CreateDid` to the DID it creates).
    // dev 0: sent 100 * (2 + 3), then 400, paid 2 fees; its 2 transactions and dev 3's failed
    // transfer to it.
    assert_eq!(account(0), (1_000_000 - 900 - 2, 2, 3));
    // dev 1: received 200, paid 2 fees (the vault puts).
    assert_eq!(account(1), (1_000_000 + 200 - 2, 2, 3));
    // dev 2: received 300, paid 500 to the DID it created and 2 fees.
    assert_eq!(account(2), (1_000_000 + 300 - 500 - 2, 2, 3));
    // dev 3: received 400, paid 3 fees; its big transfer failed.
    assert_eq!(account(3), (1_000_000 + 400 - 3, 3, 4));
    // The created DID: created, then paid.
    assert_eq!(account(4), (500, 0, 2));
    assert_eq!(r.did.as_ref().map(|d| d.0), Some(1));
    assert_eq!(r.pin, Some((4_096, 3)));
    assert_eq!(
        r.public_doc.as_deref(),
        Some(cid("profile").cid().to_bytes().as_slice())
    );
    let (owner, version, content, size) = r.vault.clone().expect("the vault record");
    assert_eq!(
        (owner, version, content, size),
        (dev_did(1), 2, cid("ciphertext-2"), 2_000)
    );
    let failed = r
        .statuses
        .iter()
        .filter(|s| matches!(s, Some(ReceiptStatus::Failed { .. })))
        .count();
    assert_eq!(failed, 1, "{:?}", r.statuses);
    assert!(r.statuses.iter().all(Option::is_some), "{:?}", r.statuses);
}
