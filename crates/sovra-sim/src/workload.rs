//! The workload of a run: each turn one funded identity signs one transaction of a kind drawn
//! from the run's own generator (transfers, `did:sovra` creations and updates, content pins and
//! unpins, public documents, vault records with their next versions, grants, revocations and
//! erasures) and submits it to a running validator, with the nonce (and, where an action names
//! one, the record version) that validator sees. Transactions may fail in execution (a version
//! another validator's block moved on, an unfunded signer): a failure is an outcome like any
//! other, and must be the same on every validator.
//!
//! The workload remembers every identity it named, so the invariants can account for every
//! token, and every transaction a validator admitted, so they can compare its outcome everywhere.

use std::collections::{BTreeMap, BTreeSet};

use commonware_codec::Encode as _;
use commonware_runtime::deterministic;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use sovra_consensus::Ledger;
use sovra_types::{
    AccountsAction, Action, ContentAction, ContentId, Did, DidRecord, IdentityAction, RecordId,
    SignedTransaction, StateKey, Transaction, TxId, VaultAction, VaultRecord,
    codec::decode_exact,
    identity::{DidDocument, derive_sovra_did, methods_for_key},
    vault::MIN_VAULT_REPLICATION,
};

use crate::net::{CHAIN, DEV_ACCOUNTS, dev_did, dev_key};

/// How long (in blocks) a submitted transaction may wait for inclusion.
const EXPIRY_BLOCKS: u64 = 50;

/// Records each funded identity cycles through.
const RECORDS_PER_OWNER: u8 = 3;

/// Content roots the workload pins and unpins.
const PINNED_ROOTS: u64 = 6;

/// The kinds of transaction the workload submits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxKind {
    /// A transfer between funded identities, or to a `did:sovra` the workload created.
    Transfer,
    /// A new `did:sovra`.
    CreateDid,
    /// The next version of a `did:sovra`'s document, signed by the DID itself.
    UpdateDid,
    /// A pin of a content root.
    Pin,
    /// The release of a pin.
    Unpin,
    /// A named public document set or cleared.
    PublicDocument,
    /// A vault record's first or next version.
    VaultPut,
    /// A grant of a vault record to another identity.
    VaultGrant,
    /// A grant revoked.
    VaultRevoke,
    /// A vault record erased.
    VaultDelete,
}

impl TxKind {
    /// Every kind, with its weight in the draw.
    const WEIGHTED: [(TxKind, u32); 10] = [
        (TxKind::Transfer, 36),
        (TxKind::CreateDid, 6),
        (TxKind::UpdateDid, 8),
        (TxKind::Pin, 10),
        (TxKind::Unpin, 5),
        (TxKind::PublicDocument, 5),
        (TxKind::VaultPut, 12),
        (TxKind::VaultGrant, 8),
        (TxKind::VaultRevoke, 5),
        (TxKind::VaultDelete, 5),
    ];

    /// The kind's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            TxKind::Transfer => "transfer",
            TxKind::CreateDid => "create-did",
            TxKind::UpdateDid => "update-did",
            TxKind::Pin => "pin",
            TxKind::Unpin => "unpin",
            TxKind::PublicDocument => "public-document",
            TxKind::VaultPut => "vault-put",
            TxKind::VaultGrant => "vault-grant",
            TxKind::VaultRevoke => "vault-revoke",
            TxKind::VaultDelete => "vault-delete",
        }
    }

    /// Every kind.
    pub fn all() -> impl Iterator<Item = TxKind> {
        Self::WEIGHTED.iter().map(|(k, _)| *k)
    }

    fn draw(rng: &mut StdRng) -> TxKind {
        let total: u32 = Self::WEIGHTED.iter().map(|(_, w)| w).sum();
        let mut pick = rng.random_range(0..total);
        for (kind, weight) in Self::WEIGHTED {
            if pick < weight {
                return kind;
            }
            pick -= weight;
        }
        TxKind::Transfer
    }
}

/// The workload's generator and what it has done.
pub struct Workload {
    rng: StdRng,
    /// `did:sovra` identities the workload asked to create, with the funded identity (index)
    /// whose key controls each.
    created: BTreeMap<Did, u64>,
    /// Transactions admitted by a validator.
    pub admitted: Vec<TxId>,
    /// Submissions refused (the validator was behind, the signer unfunded, ...).
    pub refused: u64,
    /// Why submissions were refused, by kind of transaction and reason.
    pub refusals: BTreeMap<(TxKind, String), u64>,
    /// Transactions admitted, by kind.
    pub by_kind: BTreeMap<TxKind, u64>,
}

impl Workload {
    /// The workload of `seed` (its draws are its own, apart from the runtime's).
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_f00d),
            created: BTreeMap::new(),
            admitted: Vec::new(),
            refused: 0,
            refusals: BTreeMap::new(),
            by_kind: TxKind::all().map(|k| (k, 0)).collect(),
        }
    }

    /// Every identity the workload named: the funded ones and every `did:sovra` it asked to
    /// create (tokens can only be where the workload sent them).
    pub fn identities(&self) -> BTreeSet<Did> {
        (0..DEV_ACCOUNTS)
            .map(dev_did)
            .chain(self.created.keys().cloned())
            .collect()
    }

    /// Builds one transaction of a drawn kind as `ledger` sees the chain, and submits it there.
    pub async fn submit(&mut self, ledger: &Ledger<deterministic::Context>, turn: u64) {
        let owner = turn % DEV_ACCOUNTS;
        let drawn = TxKind::draw(&mut self.rng);
        let Some((kind, signer, actions)) = self.actions(ledger, drawn, owner).await else {
            let kind = drawn;
            self.refuse(kind, "nothing to do yet");
            return;
        };
        let (nonce, height) = match ledger.account_with_next_nonce(&signer).await {
            Ok((_, nonce, height)) => (nonce, height),
            Err(e) => {
                self.refuse(kind, &e.to_string());
                return;
            }
        };
        if kind == TxKind::CreateDid {
            self.created
                .insert(derive_sovra_did(CHAIN, &signer, nonce, 0), owner);
        }
        let tx = Transaction {
            chain_id: CHAIN.into(),
            signer,
            nonce,
            fee: 1,
            expiry_height: height + EXPIRY_BLOCKS,
            actions,
        }
        .sign(&dev_key(owner));
        // Submitted as a client's bytes are: decoded first, so what the codec refuses (and no
        // peer could decode in a block) is refused here too.
        let bytes = tx.encode();
        let tx = match SignedTransaction::decode(&bytes) {
            Ok(tx) => tx,
            Err(e) => {
                self.refuse(kind, &e.to_string());
                return;
            }
        };
        let id = tx.id();
        match ledger.admit(vec![(tx, bytes.len())]).await {
            Ok(results) if results.iter().all(|r| r.is_ok()) => {
                self.admitted.push(id);
                *self.by_kind.entry(kind).or_default() += 1;
            }
            Ok(results) => {
                let reason = results
                    .into_iter()
                    .find_map(|r| r.err())
                    .map_or_else(|| "refused".to_string(), |e| e.to_string());
                self.refuse(kind, &reason);
            }
            Err(e) => self.refuse(kind, &e.to_string()),
        }
    }

    /// Counts a refusal of a `kind` transaction for `reason` (its words up to the first digit,
    /// so that reasons differing only in numbers count together).
    fn refuse(&mut self, kind: TxKind, reason: &str) {
        self.refused += 1;
        let reason: String = reason
            .split(|c: char| c.is_ascii_digit())
            .next()
            .unwrap_or(reason)
            .trim()
            .to_string();
        *self.refusals.entry((kind, reason)).or_default() += 1;
    }

    /// The kind, signer and actions of a `kind` transaction of funded identity `owner` (a
    /// transfer funding the DID instead of an update it could not pay for), or `None` when there
    /// is nothing of that kind to do yet (no DID to update).
    async fn actions(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        kind: TxKind,
        owner: u64,
    ) -> Option<(TxKind, Did, Vec<Action>)> {
        let me = dev_did(owner);
        let other =
            dev_did((owner + 1 + self.rng.random_range(0..DEV_ACCOUNTS - 1)) % DEV_ACCOUNTS);
        let record = RecordId([
            owner as u8,
            self.rng.random_range(0..RECORDS_PER_OWNER),
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        let root = |rng: &mut StdRng| {
            ContentId::raw_sha256(format!("root-{}", rng.random_range(0..PINNED_ROOTS)).as_bytes())
        };
        let action = match kind {
            TxKind::Transfer => {
                // Now and then pay a created DID.
                let to = match self.created_by(owner) {
                    Some(did) if self.rng.random_range(0..4u32) == 0 => did,
                    _ => other,
                };
                Action::Accounts(AccountsAction::Transfer {
                    to,
                    amount: self.rng.random_range(1..=500),
                })
            }
            TxKind::CreateDid => Action::Identity(IdentityAction::Create {
                document: document(owner, 1),
            }),
            TxKind::UpdateDid => {
                let did = self.created_by(owner)?;
                if ledger.account(&did).await.map_or(0, |a| a.balance) < 10 {
                    let fund = Action::Accounts(AccountsAction::Transfer {
                        to: did,
                        amount: 1_000,
                    });
                    return Some((TxKind::Transfer, me, vec![fund]));
                }
                let version = match ledger.state_value(&StateKey::Did(did.clone())).await {
                    Ok(Some(bytes)) => decode_exact::<DidRecord>(&bytes, &())
                        .map(|r| r.version)
                        .unwrap_or(0),
                    _ => 0,
                };
                let action = Action::Identity(IdentityAction::Update {
                    did: did.clone(),
                    previous_version: version,
                    document: document(owner, 1 + self.rng.random_range(0..3)),
                });
                return Some((kind, did, vec![action]));
            }
            TxKind::Pin => Action::Content(ContentAction::Pin {
                cid: root(&mut self.rng),
                size: self.rng.random_range(1..=1_000_000),
                replication: self.rng.random_range(1..=3),
            }),
            TxKind::Unpin => Action::Content(ContentAction::Unpin {
                cid: root(&mut self.rng),
            }),
            TxKind::PublicDocument => Action::Content(ContentAction::SetPublicDocument {
                name: format!("doc-{}", self.rng.random_range(0..3u32)),
                cid: (self.rng.random_range(0..4u32) > 0).then(|| root(&mut self.rng)),
            }),
            TxKind::VaultPut => {
                let version = vault_version(ledger, record).await + 1;
                let tag = format!("{record:?}-{version}");
                Action::Vault(VaultAction::Put {
                    record,
                    version,
                    content: ContentId::raw_sha256(format!("ciphertext-{tag}").as_bytes()),
                    size: self.rng.random_range(1..=100_000),
                    keys: ContentId::raw_sha256(format!("keys-{tag}").as_bytes()),
                    replication: self
                        .rng
                        .random_range(MIN_VAULT_REPLICATION..=MIN_VAULT_REPLICATION + 2),
                    retain_until_ms: None,
                })
            }
            TxKind::VaultGrant => Action::Vault(VaultAction::Grant {
                record,
                wrap: ContentId::raw_sha256(format!("wrap-{record:?}-{other}").as_bytes()),
                grantee: other,
                until_ms: None,
            }),
            TxKind::VaultRevoke => Action::Vault(VaultAction::Revoke {
                record,
                grantee: other,
            }),
            TxKind::VaultDelete => Action::Vault(VaultAction::Delete { record }),
        };
        Some((kind, me, vec![action]))
    }

    /// One of the DIDs funded identity `owner` asked to create, drawn.
    fn created_by(&mut self, owner: u64) -> Option<Did> {
        let mine: Vec<&Did> = self
            .created
            .iter()
            .filter(|(_, o)| **o == owner)
            .map(|(d, _)| d)
            .collect();
        if mine.is_empty() {
            return None;
        }
        Some(mine[self.rng.random_range(0..mine.len())].clone())
    }
}

/// A document with `methods` verification methods of funded identity `owner`'s key.
fn document(owner: u64, methods: usize) -> DidDocument {
    let key: [u8; 32] = dev_key(owner)
        .public_key()
        .as_ref()
        .try_into()
        .expect("an Ed25519 public key is 32 bytes");
    DidDocument {
        methods: methods_for_key(&key, methods).expect("the funded keys are valid Ed25519 keys"),
        ..Default::default()
    }
}

/// The current version of vault record `record` as `ledger` sees it (0 when absent).
async fn vault_version(ledger: &Ledger<deterministic::Context>, record: RecordId) -> u64 {
    match ledger.state_value(&StateKey::VaultRecord(record)).await {
        Ok(Some(bytes)) => decode_exact::<VaultRecord>(&bytes, &())
            .map(|r| r.version)
            .unwrap_or(0),
        _ => 0,
    }
}
