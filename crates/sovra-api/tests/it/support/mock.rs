//! An in-memory [`Backend`]: the node behind the API without consensus, storage or network.
//!
//! It keeps finalized state as a map of state keys to encoded values, content and vault blocks
//! in memory (per-owner namespaces for the vault), and applies the same upload rules as the
//! node (least uploader balance, upload limit, quotas of unpinned and unanchored bytes), so the
//! router's answers to every outcome can be driven from a test. It records what the router
//! asked of it (page sizes, submitted transactions) so the tests can check the API's bounds.
//! State proofs are views of the stored value with empty proof bytes: the router passes them
//! through unchanged; real proofs are checked in `sovra-client`'s tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use commonware_codec::Encode;
use sovra_api::auth::{AuthLimits, AuthStore};
use sovra_api::stream::BodyReader;
use sovra_api::{ApiError, Backend, cas_error};
use sovra_api_types::{
    AccessEntry, AccountView, BlockView, ContentImportView, ContentStatusView, ErrorBody,
    HeaderView, ProofView, ReceiptPage, ReceiptView, StatusView, SubmitResult, TxStatusView,
};
use sovra_cas::{BlockSink, BlockSource, CasError, Cid, MemoryBlocks, car, dag};
use sovra_crypto::SigningKey;
use sovra_types::{
    AssetClassId, ContentId, Did, RecordId, SignedTransaction, StateKey, TxId, VaultRecord,
    digest_hex,
};

/// The chain id of the mock.
pub(crate) const CHAIN_ID: &str = "mock-chain";
/// Transactions with a smaller fee are refused (`fee_too_low`).
pub(crate) const MIN_FEE: u64 = 1;

/// A block store behind a lock (the router reads it from blocking tasks).
#[derive(Default)]
pub(crate) struct MockBlocks(Mutex<MemoryBlocks>);

impl MockBlocks {
    /// Stores verified blocks.
    pub(crate) fn put_all(&self, blocks: Vec<(Cid, Vec<u8>)>) {
        let mut store = self.0.lock().unwrap();
        for (cid, data) in blocks {
            store.put_block(cid, data).expect("verified block");
        }
    }

    /// Forgets a block.
    pub(crate) fn remove(&self, cid: &Cid) -> bool {
        self.0.lock().unwrap().remove(cid)
    }

    /// A block's bytes (panics if it is not here).
    pub(crate) fn get(&self, cid: &Cid) -> Vec<u8> {
        self.0.lock().unwrap().get_block(cid).unwrap().unwrap()
    }

    /// Whether a block is here.
    pub(crate) fn has(&self, cid: &Cid) -> bool {
        self.0
            .lock()
            .unwrap()
            .get_block(cid)
            .ok()
            .flatten()
            .is_some()
    }
}

impl BlockSource for MockBlocks {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        self.0.lock().unwrap().get_block(cid)
    }
}

/// Blocks an import produced, kept until the import succeeds as a whole.
#[derive(Default)]
pub(crate) struct Staged(pub Vec<(Cid, Vec<u8>)>);

impl BlockSink for Staged {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        self.0.push((cid, data));
        Ok(())
    }
}

/// What the router asked of the backend, for the tests of its bounds.
#[derive(Default, Debug)]
pub(crate) struct Asked {
    /// `(from, limit)` of every receipts page.
    pub receipts: Vec<(u64, usize)>,
    /// `limit` of every verifier listing.
    pub verifiers: Vec<usize>,
    /// `(after, limit)` of every vault listing.
    pub vault_records: Vec<(Option<RecordId>, usize)>,
    /// `(from, limit)` of every access-log page.
    pub vault_log: Vec<(u64, usize)>,
    /// The size of every submission that reached the backend.
    pub submissions: Vec<usize>,
}

/// The in-memory node's asset index.
#[derive(Default)]
pub(crate) struct AssetIndex {
    /// Classes created.
    pub classes: Vec<AssetClassId>,
    /// `(holder, class, token)` received.
    pub holdings: Vec<(Did, AssetClassId, u64)>,
    /// `(holder, class, lock id)` made.
    pub locks: Vec<(Did, AssetClassId, u64)>,
}

/// The `(class, number)` pairs of `holder` among `entries`, at most `limit`.
fn of_holder(
    entries: &[(Did, AssetClassId, u64)],
    holder: &Did,
    limit: usize,
) -> Vec<(AssetClassId, u64)> {
    entries
        .iter()
        .filter(|(h, ..)| h == holder)
        .take(limit)
        .map(|(_, c, n)| (c.clone(), *n))
        .collect()
}

/// The in-memory node.
pub(crate) struct MockBackend {
    auth: AuthStore,
    key: SigningKey,
    /// Every call that can fail answers a 500 while set.
    pub fail: AtomicBool,
    /// Submissions are refused with 503 `syncing` while set.
    pub syncing: AtomicBool,
    /// Erased data may still sit in freed pages (erasure statements wait) while set.
    pub rewrite_pending: AtomicBool,
    /// Finalized state: the text of each key to its encoded value.
    pub state: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Finalized blocks by height.
    pub blocks: Mutex<Vec<BlockView>>,
    /// The evidence of equivocation the node "saw".
    pub evidence: Mutex<Vec<sovra_types::evidence::Equivocation>>,
    /// Transaction statuses by id (hex).
    pub txs: Mutex<HashMap<String, TxStatusView>>,
    /// Balances by DID.
    pub balances: Mutex<HashMap<String, u64>>,
    /// Receipt chains by DID.
    pub receipts: Mutex<HashMap<String, Vec<ReceiptView>>>,
    /// The registered verifiers, in index order.
    pub verifiers: Mutex<Vec<Did>>,
    /// The asset index: classes created (by issuer), holdings and locks (by holder).
    pub asset_index: Mutex<AssetIndex>,
    /// Public content blocks.
    pub content: Arc<MockBlocks>,
    /// Pins by root CID: `(owner, replication)`.
    pub pins: Mutex<HashMap<String, Vec<(String, u8)>>>,
    /// Named public documents: `(owner, name)` to CID.
    pub docs: Mutex<HashMap<(String, String), ContentId>>,
    /// Vault blocks, one namespace per owner DID.
    pub vault: Mutex<HashMap<String, Arc<MockBlocks>>>,
    /// Access logs by record.
    pub logs: Mutex<HashMap<RecordId, Vec<AccessEntry>>>,
    /// Least balance of an identity that uploads public content.
    pub min_uploader_balance: u64,
    /// Largest upload.
    pub max_upload_bytes: AtomicU64,
    /// Most unpinned (public) or unanchored (vault) bytes one identity may have staged.
    pub staged_quota: AtomicU64,
    /// Staged bytes per uploader.
    pub staged: Mutex<HashMap<String, u64>>,
    /// Uploaders with an upload in progress: as on a node whose quota allows one upload at a
    /// time, a second one is refused unread (429 `uploads_in_progress`) until the first ends.
    pub uploading: Mutex<std::collections::HashSet<String>>,
    /// What the router asked.
    pub asked: Mutex<Asked>,
}

impl Default for MockBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl MockBackend {
    /// An empty node at height 1 (genesis and one block).
    pub(crate) fn new() -> Self {
        let b = Self {
            auth: AuthStore::system(AuthLimits::default()),
            key: SigningKey::from_test_seed(9_999),
            fail: AtomicBool::new(false),
            syncing: AtomicBool::new(false),
            rewrite_pending: AtomicBool::new(false),
            state: Mutex::default(),
            blocks: Mutex::default(),
            evidence: Mutex::default(),
            txs: Mutex::default(),
            balances: Mutex::default(),
            receipts: Mutex::default(),
            verifiers: Mutex::default(),
            asset_index: Mutex::default(),
            content: Arc::default(),
            pins: Mutex::default(),
            docs: Mutex::default(),
            vault: Mutex::default(),
            logs: Mutex::default(),
            min_uploader_balance: 10,
            max_upload_bytes: AtomicU64::new(16 << 20),
            staged_quota: AtomicU64::new(32 << 20),
            staged: Mutex::default(),
            uploading: Mutex::default(),
            asked: Mutex::default(),
        };
        b.finalize(0, vec![]);
        b.finalize(1_000, vec![]);
        b
    }

    /// Appends a finalized block with `txs` (ids, hex) at time `timestamp_ms`.
    pub(crate) fn finalize(&self, timestamp_ms: u64, txs: Vec<String>) {
        let mut blocks = self.blocks.lock().unwrap();
        let height = blocks.len() as u64;
        let parent = blocks
            .last()
            .map_or("00".repeat(32), |b| b.header.id.clone());
        let id = digest_hex(&sovra_types::sha256(&[
            parent.as_bytes(),
            &height.to_be_bytes(),
        ]));
        blocks.push(BlockView {
            header: HeaderView {
                id,
                parent,
                height,
                timestamp_ms,
                tx_root: "00".repeat(32),
                tx_count: txs.len() as u32,
                state_root: "00".repeat(32),
                encoded: String::new(),
            },
            txs,
        });
    }

    /// Sets the finalized value of `key`.
    pub(crate) fn put_state(&self, key: StateKey, value: impl Encode) {
        self.state
            .lock()
            .unwrap()
            .insert(key.to_string(), value.encode().to_vec());
    }

    /// Sets a DID's balance.
    pub(crate) fn fund(&self, did: &Did, balance: u64) {
        self.balances
            .lock()
            .unwrap()
            .insert(did.to_string(), balance);
    }

    /// The vault namespace of `owner`.
    pub(crate) fn namespace(&self, owner: &Did) -> Arc<MockBlocks> {
        self.vault
            .lock()
            .unwrap()
            .entry(owner.to_string())
            .or_default()
            .clone()
    }

    /// The node's consensus key.
    pub(crate) fn node_public_key(&self) -> sovra_crypto::PublicKey {
        self.key.public_key()
    }

    fn check(&self) -> Result<(), ApiError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(ApiError::Internal("the mock node fails".into()));
        }
        Ok(())
    }

    fn header(&self) -> HeaderView {
        self.blocks.lock().unwrap().last().unwrap().header.clone()
    }

    fn balance(&self, did: &Did) -> u64 {
        self.balances
            .lock()
            .unwrap()
            .get(did.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// Imports a CAR within the upload limit and the uploader's quota into `store`, as the node
    /// does: atomically (nothing is stored unless all of it is), a CAR over the limit is 413
    /// `limit_exceeded`, staged bytes over the quota are 413 `quota_code`.
    async fn import(
        &self,
        uploader: &Did,
        body: BodyReader,
        store: Arc<MockBlocks>,
        quota_code: &'static str,
    ) -> Result<ContentImportView, ApiError> {
        if !self.uploading.lock().unwrap().insert(uploader.to_string()) {
            return Err(ApiError::retry_later(
                "uploads_in_progress",
                format!("an upload of {uploader} is in progress; retry when it has finished"),
            ));
        }
        let _in_progress = InProgress(&self.uploading, uploader.to_string());
        let limit = self.max_upload_bytes.load(Ordering::SeqCst);
        let quota = self.staged_quota.load(Ordering::SeqCst);
        let (imported, staged) = tokio::task::spawn_blocking(move || {
            let mut staged = Staged::default();
            car::import(body, limit, &mut staged).map(|i| (i, staged))
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| match e {
            e @ CasError::CarTooLarge { .. } => ApiError::TooLarge {
                code: "limit_exceeded",
                message: e.to_string(),
            },
            other => cas_error(other),
        })?;
        {
            let mut all = self.staged.lock().unwrap();
            let mine = all.entry(uploader.to_string()).or_default();
            if *mine + imported.bytes > quota {
                return Err(ApiError::TooLarge {
                    code: quota_code,
                    message: format!("{uploader} has {mine} bytes staged; the quota is {quota}"),
                });
            }
            *mine += imported.bytes;
        }
        store.put_all(staged.0);
        Ok(ContentImportView {
            roots: imported.roots.iter().map(|c| c.to_string()).collect(),
            blocks: imported.blocks,
            bytes: imported.bytes,
            kept_until_ms: 3_600_000,
        })
    }
}

/// Marks an upload in progress until dropped.
struct InProgress<'a>(&'a Mutex<std::collections::HashSet<String>>, String);

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap().remove(&self.1);
    }
}

impl Backend for MockBackend {
    async fn submit(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> Result<Vec<SubmitResult>, ErrorBody> {
        if self.syncing.load(Ordering::SeqCst) {
            return Err(ErrorBody {
                code: "syncing".into(),
                message: "this node is behind the network".into(),
            });
        }
        self.asked.lock().unwrap().submissions.push(txs.len());
        Ok(txs
            .into_iter()
            .map(|(tx, _)| {
                let id = digest_hex(&tx.id());
                if tx.tx.fee < MIN_FEE {
                    return SubmitResult {
                        id: Some(id),
                        accepted: false,
                        error: Some(ErrorBody {
                            code: "fee_too_low".into(),
                            message: format!("the least fee is {MIN_FEE}"),
                        }),
                    };
                }
                self.txs.lock().unwrap().insert(
                    id.clone(),
                    TxStatusView {
                        id: id.clone(),
                        status: "pending".into(),
                        height: None,
                        index: None,
                        fee: None,
                        error: None,
                        expiry_height: Some(tx.tx.expiry_height),
                        replaced_by: None,
                    },
                );
                SubmitResult {
                    id: Some(id),
                    accepted: true,
                    error: None,
                }
            })
            .collect())
    }

    async fn tx_status(&self, id: TxId) -> Result<Option<TxStatusView>, ApiError> {
        self.check()?;
        Ok(self.txs.lock().unwrap().get(&digest_hex(&id)).cloned())
    }

    async fn block(&self, height: Option<u64>) -> Result<Option<BlockView>, ApiError> {
        self.check()?;
        let blocks = self.blocks.lock().unwrap();
        Ok(match height {
            None => blocks.last().cloned(),
            Some(h) => blocks.get(h as usize).cloned(),
        })
    }

    async fn account(&self, did: Did) -> Result<AccountView, ApiError> {
        self.check()?;
        let receipts = self
            .receipts
            .lock()
            .unwrap()
            .get(did.as_str())
            .map_or(0, |r| r.len() as u64);
        Ok(AccountView {
            balance: self.balance(&did),
            did: did.to_string(),
            nonce: 0,
            next_nonce: 0,
            receipt_head: "00".repeat(32),
            receipt_count: receipts,
            height: self.header().height,
        })
    }

    async fn receipts(&self, did: Did, from: u64, limit: usize) -> Result<ReceiptPage, ApiError> {
        self.check()?;
        self.asked.lock().unwrap().receipts.push((from, limit));
        let all = self
            .receipts
            .lock()
            .unwrap()
            .get(did.as_str())
            .cloned()
            .unwrap_or_default();
        let entries: Vec<ReceiptView> = all
            .iter()
            .skip(from as usize)
            .take(limit)
            .cloned()
            .collect();
        let next = (from as usize + entries.len() < all.len()).then(|| from + entries.len() as u64);
        Ok(ReceiptPage { entries, next })
    }

    async fn status(&self) -> Result<StatusView, ApiError> {
        self.check()?;
        let header = self.header();
        Ok(StatusView {
            chain_id: CHAIN_ID.into(),
            token_symbol: "SOV".into(),
            finalized_height: header.height,
            finalized_id: header.id,
            state_root: header.state_root,
            validators: vec![hex::encode(self.key.public_key().as_ref())],
            node_key: self.node_key(),
            peers: 0,
            mempool_txs: self.txs.lock().unwrap().len(),
            sync: if self.syncing.load(Ordering::SeqCst) {
                "syncing"
            } else {
                "synced"
            }
            .into(),
            network_height: header.height,
            lag: 0,
            tip_age_ms: 0,
        })
    }

    async fn proof(&self, key: StateKey) -> Result<ProofView, ApiError> {
        Ok(self.proofs(vec![key]).await?.remove(0))
    }

    async fn state_value(&self, key: StateKey) -> Result<Option<Vec<u8>>, ApiError> {
        self.check()?;
        Ok(self.state.lock().unwrap().get(&key.to_string()).cloned())
    }

    async fn proofs(&self, keys: Vec<StateKey>) -> Result<Vec<ProofView>, ApiError> {
        self.check()?;
        let header = self.header();
        let state = self.state.lock().unwrap();
        Ok(keys
            .into_iter()
            .map(|key| ProofView {
                key_hash: digest_hex(&key.hash()),
                value: state.get(&key.to_string()).map(hex::encode),
                key: key.to_string(),
                header: header.clone(),
                proof: String::new(),
            })
            .collect())
    }

    async fn verifier_dids(&self, limit: usize) -> Result<Vec<Did>, ApiError> {
        self.check()?;
        self.asked.lock().unwrap().verifiers.push(limit);
        Ok(self
            .verifiers
            .lock()
            .unwrap()
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn asset_classes_of(
        &self,
        issuer: Did,
        limit: usize,
    ) -> Result<Vec<AssetClassId>, ApiError> {
        self.check()?;
        let index = self.asset_index.lock().unwrap();
        Ok(index
            .classes
            .iter()
            .filter(|c| c.issuer == issuer)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn asset_holdings_of(
        &self,
        holder: Did,
        limit: usize,
    ) -> Result<Vec<(AssetClassId, u64)>, ApiError> {
        self.check()?;
        Ok(of_holder(
            &self.asset_index.lock().unwrap().holdings,
            &holder,
            limit,
        ))
    }

    async fn validators(&self, after: Option<Did>, limit: usize) -> Result<Vec<Did>, ApiError> {
        self.check()?;
        // The mock's index is its state: every candidate record, in DID order.
        let state = self.state.lock().unwrap();
        let mut dids: Vec<Did> = state
            .keys()
            .filter_map(|k| k.strip_prefix("validator:"))
            .filter_map(|d| Did::parse(d).ok())
            .filter(|d| after.as_ref().is_none_or(|a| d.as_str() > a.as_str()))
            .collect();
        dids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        dids.truncate(limit);
        Ok(dids)
    }

    async fn proposals(
        &self,
        limit: usize,
    ) -> Result<Vec<(u64, sovra_types::ProposalId)>, ApiError> {
        self.check()?;
        let state = self.state.lock().unwrap();
        let mut out: Vec<(u64, sovra_types::ProposalId)> = state
            .iter()
            .filter_map(|(k, v)| {
                let id = sovra_types::ProposalId::parse(k.strip_prefix("proposal:")?).ok()?;
                Some((sovra_types::Proposal::decode(v).ok()?.submitted_height, id))
            })
            .collect();
        out.sort();
        out.reverse();
        out.truncate(limit);
        Ok(out)
    }

    async fn asset_locks_of(
        &self,
        holder: Did,
        limit: usize,
    ) -> Result<Vec<(AssetClassId, u64)>, ApiError> {
        self.check()?;
        Ok(of_holder(
            &self.asset_index.lock().unwrap().locks,
            &holder,
            limit,
        ))
    }

    fn auth(&self) -> &AuthStore {
        &self.auth
    }

    fn evidence(&self) -> Vec<sovra_types::evidence::Equivocation> {
        self.evidence.lock().unwrap().clone()
    }

    async fn metrics(&self) -> String {
        "# TYPE mock_requests counter\nmock_requests_total 1\n# EOF\n".into()
    }

    type Blocks = MockBlocks;

    fn blocks(&self) -> Arc<MockBlocks> {
        self.content.clone()
    }

    async fn fetch_dag(&self, root: Cid, cid: Cid) -> Result<(), ApiError> {
        self.check()?;
        let blocks = self.content.clone();
        tokio::task::spawn_blocking(move || {
            dag::walk(&*blocks, &cid, dag::Scope::All, |_, _| Ok(())).map_err(|e| match e {
                CasError::NotFound(missing) => ApiError::Unavailable(format!(
                    "block {missing} of {root} is not available on any reachable node"
                )),
                other => cas_error(other),
            })
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
        Ok(())
    }

    async fn import_car(
        &self,
        uploader: Did,
        body: BodyReader,
    ) -> Result<ContentImportView, ApiError> {
        self.check()?;
        let balance = self.balance(&uploader);
        if balance < self.min_uploader_balance {
            return Err(ApiError::Forbidden(format!(
                "{uploader} holds {balance}; uploads need at least {}",
                self.min_uploader_balance
            )));
        }
        self.import(&uploader, body, self.content.clone(), "quota_exceeded")
            .await
    }

    async fn content_status(&self, cid: ContentId) -> Result<ContentStatusView, ApiError> {
        self.check()?;
        let pins = self
            .pins
            .lock()
            .unwrap()
            .get(&cid.to_string())
            .cloned()
            .unwrap_or_default();
        let root = *cid.cid();
        let blocks = self.content.clone();
        let mut missing = Vec::new();
        let walked = dag::walk(&*blocks, &root, dag::Scope::All, |_, _| Ok(()));
        if let Err(CasError::NotFound(m)) = walked {
            missing.push(m.to_string());
        }
        Ok(ContentStatusView {
            cid: cid.to_string(),
            pins: pins
                .into_iter()
                .map(|(owner, replication)| sovra_api_types::PinOwnerView { owner, replication })
                .collect(),
            complete_here: missing.is_empty(),
            missing,
        })
    }

    async fn public_doc(&self, owner: Did, name: String) -> Result<Option<ContentId>, ApiError> {
        self.check()?;
        Ok(self
            .docs
            .lock()
            .unwrap()
            .get(&(owner.to_string(), name))
            .cloned())
    }

    type VaultBlocks = MockBlocks;

    fn vault_blocks(&self, owner: &Did) -> Arc<MockBlocks> {
        self.namespace(owner)
    }

    async fn import_vault_car(
        &self,
        uploader: Did,
        body: BodyReader,
    ) -> Result<ContentImportView, ApiError> {
        self.check()?;
        let balance = self.balance(&uploader);
        if balance < MIN_FEE {
            return Err(ApiError::PaymentRequired {
                code: "insufficient_balance",
                message: format!("{uploader} holds {balance}; uploading needs {MIN_FEE}"),
            });
        }
        let namespace = self.namespace(&uploader);
        self.import(&uploader, body, namespace, "vault_quota_exceeded")
            .await
    }

    async fn vault_records_of(
        &self,
        owner: Did,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, VaultRecord)>, ApiError> {
        self.check()?;
        self.asked
            .lock()
            .unwrap()
            .vault_records
            .push((after, limit));
        let state = self.state.lock().unwrap();
        let mut out: Vec<(RecordId, VaultRecord)> = state
            .iter()
            .filter_map(|(key, value)| {
                let id = RecordId::parse(key.strip_prefix("vault-record:")?).ok()?;
                let record = VaultRecord::decode(value).ok()?;
                (record.owner == owner && after.is_none_or(|a| id > a)).then_some((id, record))
            })
            .collect();
        out.sort_by_key(|(id, _)| *id);
        out.truncate(limit);
        Ok(out)
    }

    async fn vault_log_append(&self, id: RecordId, mut entry: AccessEntry) -> Result<(), ApiError> {
        self.check()?;
        let mut logs = self.logs.lock().unwrap();
        let log = logs.entry(id).or_default();
        entry.seq = log.len() as u64;
        log.push(entry);
        Ok(())
    }

    async fn vault_log(
        &self,
        id: RecordId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<AccessEntry>, ApiError> {
        self.check()?;
        self.asked.lock().unwrap().vault_log.push((from, limit));
        Ok(self
            .logs
            .lock()
            .unwrap()
            .get(&id)
            .map(|l| l.iter().skip(from as usize).take(limit).cloned().collect())
            .unwrap_or_default())
    }

    async fn vault_held(&self, owner: Did, roots: Vec<ContentId>) -> Result<u64, ApiError> {
        self.check()?;
        let namespace = self.namespace(&owner);
        Ok(roots.iter().filter(|c| namespace.has(c.cid())).count() as u64)
    }

    fn vault_rewrite_pending(&self) -> bool {
        self.rewrite_pending.load(Ordering::SeqCst)
    }

    fn node_key(&self) -> String {
        hex::encode(self.key.public_key().as_ref())
    }

    fn node_sign(&self, namespace: &[u8], message: &[u8]) -> String {
        hex::encode(self.key.sign(namespace, message).as_ref())
    }
}
