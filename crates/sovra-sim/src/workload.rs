//! The workload of a run: each turn one funded identity signs one transaction of a kind drawn
//! from the run's own generator (transfers, `did:sovra` creations and updates, content pins and
//! unpins, public documents, vault records with their next versions, grants, revocations and
//! erasures, asset classes with mints, transfers, burns, vesting locks and releases, boxes:
//! non-fungible tokens that hold units of those classes and change hands with them, and
//! staking and governance: validator candidates, delegations, unbonding and withdrawals,
//! reward claims, proposals (trust-registry changes among them), votes, finalizations, claims
//! and enactments, see [`economy`]) and submits it to a running
//! validator, with the nonce (and, where an action names one, the record version) that
//! validator sees. Transactions may fail in execution (a version another validator's block
//! moved on, an unfunded signer): a failure is an outcome like any other, and must be the same
//! on every validator.
//!
//! Data goes where a client would put it: before a pin, the file's blocks are uploaded to the
//! validator the pin is submitted to (kept there for a grace period, like an upload through the
//! API); before a vault version or grant, its ciphertext, keys or wrap block is uploaded into
//! the owner's namespace of that validator's vault store.
//!
//! The workload remembers every identity it named, so the invariants can account for every
//! token; every transaction a validator admitted, so they can compare its outcome everywhere;
//! every proposal it submitted, so they can recount its votes; and every file and vault block
//! it uploaded, so they can find every replica and every block that must have been erased.

use std::collections::{BTreeMap, BTreeSet};

use commonware_codec::Encode as _;
use commonware_runtime::deterministic;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use sovra_cas::{Adder, BlockSink, Cid, MemoryBlocks, Profile, car, dag::Scope, raw_cid};
use sovra_consensus::Ledger;
use sovra_node::services::Stores;
use sovra_store::StagedQuota;
use sovra_types::{
    AccountsAction, Action, AssetClassId, AssetKind, AssetsAction, ClassFlags, ClassTerms,
    ContentAction, ContentId, Did, DidRecord, GovernanceAction, IdentityAction, LockSchedule,
    ProposalId, RecordId, SignedTransaction, StateKey, TokenRef, Transaction, TxId, VaultAction,
    VaultRecord,
    assets::lock_id,
    codec::decode_exact,
    identity::{DidDocument, derive_sovra_did, methods_for_key},
    vault::MIN_VAULT_REPLICATION,
};

use crate::net::{CHAIN, DEV_ACCOUNTS, dev_did, dev_key};

mod assets;
pub mod economy;

/// How long (in blocks) a submitted transaction may wait for inclusion.
const EXPIRY_BLOCKS: u64 = 50;

/// Records each funded identity cycles through.
const RECORDS_PER_OWNER: u8 = 3;

/// Content roots the workload pins and unpins.
const PINNED_ROOTS: u64 = 6;

/// How long an upload is kept before something anchors it (simulated milliseconds).
pub const UPLOAD_GRACE_MS: u64 = 5_000;

/// Largest upload the workload makes.
const MAX_UPLOAD_BYTES: u64 = 16 << 20;

/// A file of public content the workload pins: its root, its blocks and its CAR.
pub struct File {
    /// The file's root.
    pub root: Cid,
    /// Every block of the file's DAG.
    pub blocks: Vec<Cid>,
    car: Vec<u8>,
}

impl File {
    /// File `k`: `(k + 1) x 150,000` pseudo-random bytes in UnixFS blocks of 256 KiB (files
    /// from one to four leaves under a root).
    fn new(k: u64) -> Self {
        let mut x = (k as u32).wrapping_mul(2_654_435_761).wrapping_add(1);
        let data: Vec<u8> = (0..(k as usize + 1) * 150_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect();
        let mut blocks = MemoryBlocks::new();
        let root = Adder::new(Profile::Legacy)
            .add_reader(data.as_slice(), &mut blocks)
            .expect("adding bytes from memory succeeds")
            .cid;
        let mut car = Vec::new();
        car::export(&blocks, &root, &[], &root, Scope::All, &mut car)
            .expect("exporting a complete DAG from memory succeeds");
        let mut cids = Cids(Vec::new());
        car::import(car.as_slice(), MAX_UPLOAD_BYTES, &mut cids)
            .expect("a CAR just written reads back");
        Self {
            root,
            blocks: cids.0,
            car,
        }
    }
}

/// The files every run pins, built once per process.
static FILES: std::sync::LazyLock<Vec<File>> =
    std::sync::LazyLock::new(|| (0..PINNED_ROOTS).map(File::new).collect());

/// Collects the CIDs of the blocks it is given.
struct Cids(Vec<Cid>);

impl BlockSink for Cids {
    fn put_block(&mut self, cid: Cid, _data: Vec<u8>) -> Result<(), sovra_cas::CasError> {
        self.0.push(cid);
        Ok(())
    }
}

/// The CAR of one raw block of `data`, and its CID.
fn raw_car(data: &[u8]) -> (Cid, Vec<u8>) {
    let cid = raw_cid(data);
    let mut blocks = MemoryBlocks::new();
    blocks
        .put_block(cid, data.to_vec())
        .expect("memory takes every block");
    let mut car = Vec::new();
    car::export(&blocks, &cid, &[], &cid, Scope::All, &mut car)
        .expect("exporting one block from memory succeeds");
    (cid, car)
}

/// What a transaction needs uploaded to the validator it is submitted to, first.
enum Upload {
    /// File `k`'s blocks, to the content store.
    File(usize),
    /// One vault block of a record, to its owner's namespace of the vault store.
    Vault(RecordId, Vec<u8>),
}

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
    /// The funded identity's asset class and its box class created, and its box minted to it
    /// (once; again fails `class_exists`).
    AssetCreate,
    /// Units of the identity's class minted to a funded identity (while the submitting
    /// validator does not see the class yet, its creation instead).
    AssetMint,
    /// Units of a class the identity holds (as the submitting validator sees it) sent to
    /// another funded identity.
    AssetSend,
    /// Units of a class the identity holds burned.
    AssetBurn,
    /// Units of a class the identity holds locked for another funded identity, vesting over a
    /// few seconds.
    AssetLock,
    /// What has vested of one of the identity's locks released.
    AssetRelease,
    /// Units of a class the identity holds put into the bundle of a box it owns.
    AssetNest,
    /// Units taken out of the bundle of a box the identity owns, to another funded identity.
    AssetUnnest,
    /// A box the identity owns (and what it holds) handed to another funded identity.
    AssetBoxSend,
    /// A funded identity registered as a validator candidate, with a consensus key drawn from
    /// the run's generator (while fewer than two are; a candidate bonds to itself instead, and
    /// another identity delegates).
    StakeRegister,
    /// Stake bonded: by a candidate to itself, by a delegator (a funded identity or one of its
    /// `did:sovra`) to the candidate it delegates to or, delegating nothing, to one drawn (with
    /// no candidate yet, a registration instead).
    StakeDelegate,
    /// Part or all of a delegation undelegated (it unbonds).
    StakeUndelegate,
    /// Unbonded stake whose release height has come withdrawn (with none released, an
    /// undelegation instead).
    StakeWithdraw,
    /// Staking rewards claimed by an identity with some to claim (with none, a bond instead).
    StakeClaim,
    /// Evidence of an equivocation the submitting validator's engines saw reported, naming a
    /// validator not yet slashed (with none, a claim of rewards instead). Not drawn with the
    /// others: while the submitting validator holds evidence, one submission in four is a
    /// report (drawn from a generator of its own, so plans without evidence run the same
    /// workload as before reports existed).
    StakeReport,
    /// A proposal (text, harmless parameter change or small treasury spend) submitted, once
    /// stake is in force (before, a registration or bond instead).
    GovPropose,
    /// A vote on an open proposal by an identity with stake at its snapshot (with none open, a
    /// proposal instead).
    GovVote,
    /// A proposal whose voting has ended finalized.
    GovFinalize,
    /// A refundable deposit or a passed treasury spend claimed (with nothing owed, a
    /// finalization instead).
    GovClaim,
    /// A passed trust-registry proposal enacted once its timelock is over (with none ready, a
    /// finalization instead).
    GovEnact,
}

impl TxKind {
    /// Every kind, with its weight in the draw.
    const WEIGHTED: [(TxKind, u32); 29] = [
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
        (TxKind::AssetCreate, 2),
        (TxKind::AssetMint, 5),
        (TxKind::AssetSend, 6),
        (TxKind::AssetBurn, 2),
        (TxKind::AssetLock, 3),
        (TxKind::AssetRelease, 3),
        (TxKind::AssetNest, 3),
        (TxKind::AssetUnnest, 2),
        (TxKind::AssetBoxSend, 2),
        (TxKind::StakeRegister, 2),
        (TxKind::StakeDelegate, 3),
        (TxKind::StakeUndelegate, 3),
        (TxKind::StakeWithdraw, 3),
        (TxKind::StakeClaim, 3),
        (TxKind::GovPropose, 2),
        (TxKind::GovVote, 10),
        (TxKind::GovFinalize, 3),
        (TxKind::GovClaim, 4),
        (TxKind::GovEnact, 2),
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
            TxKind::AssetCreate => "asset-create",
            TxKind::AssetMint => "asset-mint",
            TxKind::AssetSend => "asset-send",
            TxKind::AssetBurn => "asset-burn",
            TxKind::AssetLock => "asset-lock",
            TxKind::AssetRelease => "asset-release",
            TxKind::AssetNest => "asset-nest",
            TxKind::AssetUnnest => "asset-unnest",
            TxKind::AssetBoxSend => "asset-box-send",
            TxKind::StakeRegister => "stake-register",
            TxKind::StakeDelegate => "stake-delegate",
            TxKind::StakeUndelegate => "stake-undelegate",
            TxKind::StakeWithdraw => "stake-withdraw",
            TxKind::StakeClaim => "stake-claim",
            TxKind::StakeReport => "stake-report",
            TxKind::GovPropose => "gov-propose",
            TxKind::GovVote => "gov-vote",
            TxKind::GovFinalize => "gov-finalize",
            TxKind::GovClaim => "gov-claim",
            TxKind::GovEnact => "gov-enact",
        }
    }

    /// Every kind.
    pub fn all() -> impl Iterator<Item = TxKind> {
        Self::WEIGHTED
            .iter()
            .map(|(k, _)| *k)
            .chain([TxKind::StakeReport])
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
    /// Whether a submission is an evidence report (while there is evidence).
    report_rng: StdRng,
    /// `did:sovra` identities the workload asked to create, with the funded identity (index)
    /// whose key controls each.
    created: BTreeMap<Did, u64>,
    /// Transactions admitted by a validator, with their kinds.
    pub admitted: Vec<(TxId, TxKind)>,
    /// Submissions refused (the validator was behind, the signer unfunded, ...).
    pub refused: u64,
    /// Why submissions were refused, by kind of transaction and reason.
    pub refusals: BTreeMap<(TxKind, String), u64>,
    /// Transactions admitted, by kind.
    pub by_kind: BTreeMap<TxKind, u64>,
    /// The files the workload pins (file `k` is root `k`; the same in every run).
    pub files: &'static [File],
    /// Every vault block uploaded for each record, with its owner (namespace).
    pub vault_uploads: BTreeMap<RecordId, BTreeSet<(Did, Cid)>>,
    /// Every asset lock an admitted transaction asked for: class, holder, lock id (a lock whose
    /// transaction failed, or that was released in full, is absent from state).
    pub locks: Vec<(AssetClassId, Did, u64)>,
    /// Every proposal an admitted transaction submitted, at most
    /// [`economy::MAX_PROPOSALS`] (one whose transaction failed is absent from state).
    pub proposals: Vec<ProposalId>,
}

impl Workload {
    /// The workload of `seed` (its draws are its own, apart from the runtime's).
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_f00d),
            report_rng: StdRng::seed_from_u64(seed ^ 0xe71d_e7ce),
            created: BTreeMap::new(),
            admitted: Vec::new(),
            refused: 0,
            refusals: BTreeMap::new(),
            by_kind: TxKind::all().map(|k| (k, 0)).collect(),
            files: FILES.as_slice(),
            vault_uploads: BTreeMap::new(),
            locks: Vec::new(),
            proposals: Vec::new(),
        }
    }

    /// The fungible asset classes the workload may create: one per funded identity.
    pub fn asset_classes(&self) -> Vec<AssetClassId> {
        (0..DEV_ACCOUNTS).map(asset_class).collect()
    }

    /// The boxes (composable tokens) the workload may mint: one per funded identity. Their
    /// bundles hold only units of [`asset_classes`](Self::asset_classes).
    pub fn boxes(&self) -> Vec<TokenRef> {
        (0..DEV_ACCOUNTS).map(box_of).collect()
    }

    /// Every identity the workload named: the funded ones, every `did:sovra` it asked to
    /// create (tokens can only be where the workload sent them), and the operators of the
    /// validators bonded at genesis (of the largest network a plan draws; the others hold
    /// nothing).
    pub fn identities(&self) -> BTreeSet<Did> {
        (0..DEV_ACCOUNTS)
            .map(dev_did)
            .chain(self.created.keys().cloned())
            .chain((0..crate::plan::MAX_VALIDATORS).map(crate::net::operator_did))
            .collect()
    }

    /// Builds one transaction of a drawn kind as `ledger` sees the chain, uploads what it needs
    /// to `stores` (at `now_ms`), and submits it there.
    pub async fn submit(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        stores: &Stores,
        now_ms: u64,
        turn: u64,
    ) {
        let owner = turn % DEV_ACCOUNTS;
        let reporting =
            !ledger.evidence().list().is_empty() && self.report_rng.random_range(0..4u32) == 0;
        let drawn = if reporting {
            TxKind::StakeReport
        } else {
            TxKind::draw(&mut self.rng)
        };
        let Some((kind, signer, actions, uploads)) = self.actions(ledger, drawn, owner).await
        else {
            let kind = drawn;
            self.refuse(kind, "nothing to do yet");
            return;
        };
        for upload in uploads {
            if let Err(e) = self.upload(stores, &signer, upload, now_ms) {
                self.refuse(kind, &format!("upload: {e}"));
                return;
            }
        }
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
        let lock = match tx.tx.actions.first() {
            Some(Action::Assets(AssetsAction::Lock { class, to, .. })) => {
                Some((class.clone(), to.clone(), lock_id(&id, 0)))
            }
            _ => None,
        };
        let proposal = match tx.tx.actions.first() {
            Some(Action::Governance(GovernanceAction::Propose { .. })) => {
                Some(ProposalId::derive(&id, 0))
            }
            _ => None,
        };
        match ledger.admit(vec![(tx, bytes.len())]).await {
            Ok(results) if results.iter().all(|r| r.is_ok()) => {
                self.admitted.push((id, kind));
                self.locks.extend(lock);
                self.proposals.extend(proposal);
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

    /// Uploads what a transaction of `signer` needs, kept for [`UPLOAD_GRACE_MS`] unless
    /// something anchors it.
    fn upload(
        &mut self,
        stores: &Stores,
        signer: &Did,
        upload: Upload,
        now_ms: u64,
    ) -> Result<(), sovra_store::StoreError> {
        let kept_until = now_ms + UPLOAD_GRACE_MS;
        match upload {
            Upload::File(k) => {
                stores.content.import_car(
                    self.files[k].car.as_slice(),
                    MAX_UPLOAD_BYTES,
                    kept_until,
                )?;
            }
            Upload::Vault(record, data) => {
                let (cid, car) = raw_car(&data);
                stores.vault.import_car(
                    signer,
                    car.as_slice(),
                    MAX_UPLOAD_BYTES,
                    kept_until,
                    StagedQuota {
                        per_identity: u64::MAX,
                        total: u64::MAX,
                    },
                )?;
                self.vault_uploads
                    .entry(record)
                    .or_default()
                    .insert((signer.clone(), cid));
            }
        }
        Ok(())
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
    /// transfer funding the DID instead of an update it could not pay for), with what must be
    /// uploaded before it is submitted, or `None` when there is nothing of that kind to do yet
    /// (no DID to update).
    async fn actions(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        kind: TxKind,
        owner: u64,
    ) -> Option<(TxKind, Did, Vec<Action>, Vec<Upload>)> {
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
        let file = self.rng.random_range(0..PINNED_ROOTS) as usize;
        let root = ContentId::new(self.files[file].root);
        let mut uploads = Vec::new();
        // Minting needs the class: until the submitting validator sees it, create it instead.
        let kind = if kind == TxKind::AssetMint && !self.class_exists(ledger, owner).await {
            TxKind::AssetCreate
        } else {
            kind
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
                    return Some((TxKind::Transfer, me, vec![fund], Vec::new()));
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
                return Some((kind, did, vec![action], Vec::new()));
            }
            TxKind::Pin => {
                uploads.push(Upload::File(file));
                Action::Content(ContentAction::Pin {
                    cid: root,
                    size: self.rng.random_range(1..=1_000_000),
                    replication: self.rng.random_range(1..=3),
                })
            }
            TxKind::Unpin => Action::Content(ContentAction::Unpin { cid: root }),
            TxKind::PublicDocument => Action::Content(ContentAction::SetPublicDocument {
                name: format!("doc-{}", self.rng.random_range(0..3u32)),
                cid: (self.rng.random_range(0..4u32) > 0).then_some(root),
            }),
            TxKind::VaultPut => {
                let version = vault_version(ledger, record).await + 1;
                let tag = format!("{record:?}-{version}");
                let (ciphertext, keys) = (
                    format!("ciphertext-{tag}").into_bytes(),
                    format!("keys-{tag}").into_bytes(),
                );
                let content = ContentId::new(raw_cid(&ciphertext));
                let keys_root = ContentId::new(raw_cid(&keys));
                uploads.push(Upload::Vault(record, ciphertext));
                uploads.push(Upload::Vault(record, keys));
                Action::Vault(VaultAction::Put {
                    record,
                    version,
                    content,
                    size: self.rng.random_range(1..=100_000),
                    keys: keys_root,
                    replication: self
                        .rng
                        .random_range(MIN_VAULT_REPLICATION..=MIN_VAULT_REPLICATION + 2),
                    retain_until_ms: None,
                })
            }
            TxKind::VaultGrant => {
                let wrap = format!("wrap-{record:?}-{other}").into_bytes();
                let root = ContentId::new(raw_cid(&wrap));
                uploads.push(Upload::Vault(record, wrap));
                Action::Vault(VaultAction::Grant {
                    record,
                    wrap: root,
                    grantee: other,
                    until_ms: None,
                })
            }
            TxKind::VaultRevoke => Action::Vault(VaultAction::Revoke {
                record,
                grantee: other,
            }),
            TxKind::VaultDelete => Action::Vault(VaultAction::Delete { record }),
            TxKind::AssetCreate => {
                let terms = |kind, max_supply| ClassTerms {
                    kind,
                    symbol: format!("T{owner}"),
                    title: String::new(),
                    decimals: 0,
                    max_supply,
                    flags: ClassFlags(ClassFlags::TRANSFERABLE | ClassFlags::HOLDER_BURNABLE),
                    metadata: None,
                };
                let b = box_of(owner);
                let actions = vec![
                    Action::Assets(AssetsAction::Create {
                        name: ASSET_CLASS_NAME.into(),
                        terms: terms(AssetKind::Fungible, Some(ASSET_MAX_SUPPLY)),
                    }),
                    Action::Assets(AssetsAction::Create {
                        name: b.class.name.clone(),
                        terms: terms(AssetKind::NonFungible, Some(1)),
                    }),
                    Action::Assets(AssetsAction::Mint {
                        class: b.class,
                        token: b.token,
                        to: me.clone(),
                        amount: 1,
                        metadata: None,
                    }),
                ];
                return Some((kind, me, actions, uploads));
            }
            TxKind::AssetMint => Action::Assets(AssetsAction::Mint {
                class: asset_class(owner),
                token: 0,
                to: if self.rng.random_range(0..2u32) == 0 {
                    me.clone()
                } else {
                    other
                },
                amount: self.rng.random_range(1..=10_000),
                metadata: None,
            }),
            TxKind::AssetSend => {
                let (class, amount) = self.held_units(ledger, &me, 2_000).await?;
                Action::Assets(AssetsAction::Transfer {
                    class,
                    token: 0,
                    to: other,
                    amount,
                })
            }
            TxKind::AssetBurn => {
                let (class, amount) = self.held_units(ledger, &me, 500).await?;
                Action::Assets(AssetsAction::Burn {
                    class,
                    token: 0,
                    holder: me.clone(),
                    amount,
                })
            }
            TxKind::AssetLock => {
                // Block time is the proposer's clock: a schedule around the submitter's now
                // vests during the run (some locks are released before, some after, the end).
                let now_ms = ledger.finalized().header.timestamp_ms;
                let start_ms = now_ms + self.rng.random_range(0..2_000);
                let cliff_ms = start_ms + self.rng.random_range(0..3_000);
                let (class, amount) = self.held_units(ledger, &me, 1_000).await?;
                Action::Assets(AssetsAction::Lock {
                    class,
                    token: 0,
                    to: other,
                    amount,
                    schedule: LockSchedule {
                        start_ms,
                        cliff_ms,
                        end_ms: cliff_ms + self.rng.random_range(0..8_000),
                    },
                })
            }
            TxKind::AssetRelease => {
                let mine: Vec<&(AssetClassId, Did, u64)> = self
                    .locks
                    .iter()
                    .filter(|(_, holder, _)| *holder == me)
                    .collect();
                if mine.is_empty() {
                    return None;
                }
                let (class, _, lock) = mine[self.rng.random_range(0..mine.len())].clone();
                Action::Assets(AssetsAction::Release {
                    class,
                    token: 0,
                    lock,
                })
            }
            TxKind::AssetNest => {
                let parent = self.owned_box(ledger, &me).await?;
                let (class, amount) = self.held_units(ledger, &me, 1_000).await?;
                Action::Assets(AssetsAction::Nest {
                    parent,
                    class,
                    token: 0,
                    amount,
                })
            }
            TxKind::AssetUnnest => {
                let parent = self.owned_box(ledger, &me).await?;
                let (class, amount) = self.bundled_units(ledger, &parent).await?;
                Action::Assets(AssetsAction::Unnest {
                    parent,
                    class,
                    token: 0,
                    amount,
                    to: other,
                })
            }
            TxKind::AssetBoxSend => {
                let b = self.owned_box(ledger, &me).await?;
                Action::Assets(AssetsAction::Transfer {
                    class: b.class,
                    token: b.token,
                    to: other,
                    amount: 1,
                })
            }
            TxKind::StakeRegister
            | TxKind::StakeDelegate
            | TxKind::StakeUndelegate
            | TxKind::StakeWithdraw
            | TxKind::StakeClaim
            | TxKind::StakeReport
            | TxKind::GovPropose
            | TxKind::GovVote
            | TxKind::GovFinalize
            | TxKind::GovClaim
            | TxKind::GovEnact => {
                let (kind, signer, action) = self.economy_action(ledger, kind, owner).await?;
                return Some((kind, signer, vec![action], uploads));
            }
        };
        Some((kind, me, vec![action], uploads))
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

/// The name of every funded identity's asset class.
const ASSET_CLASS_NAME: &str = "SIM";

/// The cap of every workload class (mints run into it in long runs).
const ASSET_MAX_SUPPLY: u128 = 2_000_000;

/// Funded identity `owner`'s box: token 1 of its non-fungible class `BOX`.
fn box_of(owner: u64) -> TokenRef {
    TokenRef {
        class: AssetClassId {
            issuer: dev_did(owner),
            name: "BOX".into(),
        },
        token: 1,
    }
}

/// Funded identity `owner`'s asset class.
fn asset_class(owner: u64) -> AssetClassId {
    AssetClassId {
        issuer: dev_did(owner),
        name: ASSET_CLASS_NAME.into(),
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
