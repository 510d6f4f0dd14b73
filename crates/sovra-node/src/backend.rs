//! The node's implementation of the API backend: reads from the ledger, the
//! index and the mempool.

use commonware_codec::Encode;
use sovra_api::stream::BodyReader;
use sovra_api::{ApiError, Backend};
use sovra_api_types::{
    AccessEntry, AccountView, BlockView, ContentImportView, ContentStatusView, ErrorBody,
    HeaderView, PinOwnerView, ProofView, ReceiptPage, ReceiptView, StatusView, SubmitResult,
    TxStatusView,
};
use sovra_consensus::{Ledger, TxStatus, dropped::Dropped, mempool::PoolStatus};
use sovra_store::ContentStore;
use sovra_types::{
    Block, BlockHeader, Did, ReceiptStatus, SignedTransaction, StateKey, TxId, digest_hex,
};
use sovra_types::{ContentId, RecordId, VaultRecord};
use std::sync::Arc;

/// What the API reads from.
pub struct NodeBackend<E: commonware_storage::Context + commonware_runtime::Spawner> {
    /// The ledger.
    pub ledger: Ledger<E>,
    /// Content blocks held by this node.
    pub content: Arc<ContentStore>,
    /// Content blocks here or, fetched on demand, at peers.
    pub blocks: Arc<crate::replication::NetworkBlocks>,
    /// Content limits.
    pub content_cfg: crate::config::ContentSection,
    /// This node's consensus key (hex).
    pub node_key: String,
    /// Renders the runtime's metrics.
    pub metrics: Arc<dyn Fn() -> String + Send + Sync>,
    /// Counts connected peers.
    pub peers: Arc<dyn Fn() -> usize + Send + Sync>,
    /// Challenges and tokens of DID-authenticated requests.
    pub auth: sovra_api::auth::AuthStore,
    /// Private vault blocks held by this node, in per-owner namespaces.
    pub vault: Arc<sovra_store::VaultStore>,
    /// Fetches vault blocks from peers on demand; `None` on a single-node network.
    pub vault_fetcher: Option<crate::vault::net::VaultFetcher>,
    /// This node's access log of vault records.
    pub vault_log: Arc<sovra_store::VaultLog>,
    /// This node's consensus key, for signing erasure confirmations.
    pub signer: sovra_crypto::SigningKey,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The API error of a refused upload.
fn upload_error(e: sovra_store::StoreError) -> ApiError {
    match e {
        sovra_store::StoreError::Content(e @ sovra_cas::CasError::CarTooLarge { .. }) => {
            ApiError::TooLarge {
                code: "limit_exceeded",
                message: e.to_string(),
            }
        }
        sovra_store::StoreError::Content(e) => ApiError::bad("invalid_content", e.to_string()),
        sovra_store::StoreError::Quota(m) => ApiError::TooLarge {
            code: "quota_exceeded",
            message: m,
        },
        sovra_store::StoreError::TooLarge(m) => ApiError::TooLarge {
            code: "limit_exceeded",
            message: m,
        },
        sovra_store::StoreError::Busy(message) => {
            ApiError::retry_later("uploads_in_progress", message)
        }
        other => internal(other),
    }
}

/// What an upload stored, and until when it is kept without a pin or record.
fn import_view(imported: &sovra_cas::car::CarImport, kept_until_ms: u64) -> ContentImportView {
    ContentImportView {
        roots: imported.roots.iter().map(|c| c.to_string()).collect(),
        blocks: imported.blocks,
        bytes: imported.bytes,
        kept_until_ms,
    }
}

/// Imports a public upload by `uploader`: the identity must hold the configured least balance,
/// and the upload is charged to its quota and the node's total of unpinned uploads.
async fn import_public(
    store: Arc<ContentStore>,
    cfg: &crate::config::ContentSection,
    balance: u64,
    uploader: Did,
    body: BodyReader,
) -> Result<ContentImportView, ApiError> {
    if balance < cfg.min_uploader_balance {
        return Err(ApiError::Forbidden(format!(
            "{uploader} holds {balance} on the ledger; this node accepts uploads from identities holding at least {}",
            cfg.min_uploader_balance
        )));
    }
    let charge = sovra_store::UploadCharge {
        uploader: uploader.to_string(),
        per_identity: cfg.max_unpinned_bytes_per_identity,
        total: cfg.max_unpinned_bytes,
        grace_ms: cfg.upload_grace_secs.saturating_mul(1000),
        now_ms: crate::content::now_ms(),
    };
    let kept_until_ms = charge.now_ms.saturating_add(charge.grace_ms);
    let limit = cfg.max_upload_bytes;
    let imported =
        tokio::task::spawn_blocking(move || store.import_car_charged(body, limit, &charge))
            .await
            .map_err(internal)?
            .map_err(upload_error)?;
    Ok(import_view(&imported, kept_until_ms))
}

/// Imports a CAR uploaded by `uploader` into `uploader`'s namespace of the vault store, within
/// the upload limit and the quota of unanchored uploads, kept for the grace period. Only an
/// identity whose account can pay a fee may upload (identities cost nothing to make; accounts
/// that can pay do), so the quota is one per funded account, not per throwaway key.
async fn import_vault<E>(
    backend: &NodeBackend<E>,
    uploader: Did,
    body: BodyReader,
) -> Result<ContentImportView, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner + commonware_runtime::Clock,
{
    let min_fee = backend.ledger.genesis().min_fee.max(1);
    let balance = backend
        .ledger
        .account(&uploader)
        .await
        .map_err(internal)?
        .balance;
    if balance < min_fee {
        return Err(ApiError::PaymentRequired {
            code: "insufficient_balance",
            message: format!(
                "{uploader} holds {balance}; uploading to the vault needs an account that can \
                 pay a transaction fee ({min_fee}) to anchor what it uploads"
            ),
        });
    }
    let cfg = &backend.content_cfg;
    let limit = cfg.max_upload_bytes;
    let kept_until_ms = crate::content::now_ms() + cfg.upload_grace_secs * 1000;
    let quota = sovra_store::StagedQuota {
        per_identity: cfg.vault_staged_bytes_per_identity,
        total: cfg.vault_staged_bytes_total,
    };
    let store = backend.vault.clone();
    let imported = tokio::task::spawn_blocking(move || {
        store.import_car(&uploader, body, limit, kept_until_ms, quota)
    })
    .await
    .map_err(internal)?
    .map_err(|e| match e {
        sovra_store::StoreError::Quota(m) => ApiError::TooLarge {
            code: "vault_quota_exceeded",
            message: m,
        },
        other => upload_error(other),
    })?;
    Ok(import_view(&imported, kept_until_ms))
}

/// JSON view of a header.
pub fn header_view(h: &BlockHeader) -> HeaderView {
    HeaderView::new(h)
}

fn error_of(status: &ReceiptStatus) -> Option<ErrorBody> {
    match status {
        ReceiptStatus::Failed { code, message } => Some(ErrorBody {
            code: code.clone(),
            message: message.clone(),
        }),
        _ => None,
    }
}

fn block_view(b: &Block) -> BlockView {
    BlockView {
        header: header_view(&b.header),
        txs: b.txs.iter().map(|t| digest_hex(&t.id())).collect(),
    }
}

impl<E> Backend for NodeBackend<E>
where
    E: commonware_storage::Context + commonware_runtime::Spawner + commonware_runtime::Clock,
{
    async fn submit(
        &self,
        txs: Vec<(SignedTransaction, usize)>,
    ) -> Result<Vec<SubmitResult>, ErrorBody> {
        let ids: Vec<TxId> = txs.iter().map(|(t, _)| t.id()).collect();
        let results = self.ledger.admit(txs).await.map_err(|e| ErrorBody {
            code: e.code().into(),
            message: e.to_string(),
        })?;
        Ok(results
            .into_iter()
            .zip(ids)
            .map(|(r, id)| match r {
                Ok(_) => SubmitResult {
                    id: Some(digest_hex(&id)),
                    accepted: true,
                    error: None,
                },
                Err(e) => SubmitResult {
                    id: Some(digest_hex(&id)),
                    accepted: false,
                    error: Some(ErrorBody {
                        code: e.code().to_string(),
                        message: e.to_string(),
                    }),
                },
            })
            .collect())
    }

    async fn tx_status(&self, id: TxId) -> Result<Option<TxStatusView>, ApiError> {
        let view = |status: &str| TxStatusView {
            id: digest_hex(&id),
            status: status.to_string(),
            height: None,
            index: None,
            fee: None,
            error: None,
            expiry_height: None,
            replaced_by: None,
        };
        Ok(match self.ledger.tx_status(&id).map_err(internal)? {
            Some(TxStatus::Pool(PoolStatus::Waiting { expiry_height })) => Some(TxStatusView {
                expiry_height: Some(expiry_height),
                ..view("pending")
            }),
            Some(TxStatus::Pool(PoolStatus::Dropped(d @ Dropped::Replaced { by, height }))) => {
                Some(TxStatusView {
                    height: Some(height),
                    replaced_by: by.as_ref().map(digest_hex),
                    ..view(d.name())
                })
            }
            Some(TxStatus::Pool(PoolStatus::Dropped(
                d @ Dropped::Expired {
                    expiry_height,
                    height,
                },
            ))) => Some(TxStatusView {
                height: Some(height),
                expiry_height: Some(expiry_height),
                ..view(d.name())
            }),
            Some(TxStatus::Final(loc)) => Some(TxStatusView {
                height: Some(loc.height),
                index: Some(loc.index),
                fee: Some(loc.fee),
                error: error_of(&loc.status),
                ..view(loc.status.name())
            }),
            None => None,
        })
    }

    async fn block(&self, height: Option<u64>) -> Result<Option<BlockView>, ApiError> {
        let h = height.unwrap_or_else(|| self.ledger.finalized().header.height);
        Ok(self
            .ledger
            .index()
            .block(h)
            .map_err(internal)?
            .as_ref()
            .map(block_view))
    }

    async fn account(&self, did: Did) -> Result<AccountView, ApiError> {
        let (a, next_nonce, height) = self
            .ledger
            .account_with_next_nonce(&did)
            .await
            .map_err(internal)?;
        Ok(AccountView {
            did: did.to_string(),
            balance: a.balance,
            nonce: a.nonce,
            next_nonce,
            receipt_head: digest_hex(&a.receipt_head),
            receipt_count: a.receipt_count,
            height,
        })
    }

    async fn receipts(&self, did: Did, from: u64, limit: usize) -> Result<ReceiptPage, ApiError> {
        let entries = self
            .ledger
            .index()
            .receipts(&did, from, limit + 1)
            .map_err(internal)?;
        let next = (entries.len() > limit).then(|| from + limit as u64);
        Ok(ReceiptPage {
            entries: entries
                .iter()
                .take(limit)
                .map(|e| ReceiptView {
                    index: e.index,
                    tx_id: digest_hex(&e.tx_id),
                    height: e.height,
                    status: e.status.name().to_string(),
                    error: error_of(&e.status),
                    record: match &e.status {
                        ReceiptStatus::Erased { record } => Some(record.to_string()),
                        _ => None,
                    },
                    prev: digest_hex(&e.prev),
                    hash: digest_hex(&e.hash()),
                    encoded: hex::encode(e.encode()),
                })
                .collect(),
            next,
        })
    }

    async fn status(&self) -> Result<StatusView, ApiError> {
        let f = self.ledger.finalized();
        let sync = self.ledger.sync_status();
        let mempool_txs = self.ledger.mempool_len();
        // The set that validates the next block: its epoch's, as the committed state says.
        let epoch = self
            .ledger
            .genesis()
            .params()
            .epoch_of(f.header.height.saturating_add(1));
        let validators = self
            .ledger
            .validator_set(epoch)
            .await
            .map_err(internal)?
            .iter()
            .map(|k| hex::encode(k.as_ref()))
            .collect();
        Ok(StatusView {
            sync: if sync.syncing { "syncing" } else { "synced" }.into(),
            network_height: sync.network_height.max(f.header.height),
            lag: sync.network_height.saturating_sub(f.header.height),
            tip_age_ms: sync.tip_age_ms,
            chain_id: self.ledger.genesis().chain_id.clone(),
            token_symbol: self.ledger.genesis().token_symbol.clone(),
            finalized_height: f.header.height,
            finalized_id: digest_hex(&f.id),
            state_root: digest_hex(&f.header.state_root),
            validators,
            node_key: self.node_key.clone(),
            peers: (self.peers)(),
            mempool_txs,
        })
    }

    async fn proof(&self, key: StateKey) -> Result<ProofView, ApiError> {
        let mut proofs = self.proofs(vec![key]).await?;
        proofs.pop().ok_or_else(|| internal("no proof produced"))
    }

    async fn proofs(&self, keys: Vec<StateKey>) -> Result<Vec<ProofView>, ApiError> {
        let (proofs, header) = self.ledger.prove(&keys).await.map_err(internal)?;
        if proofs.iter().any(|p| p.root != header.state_root) {
            return Err(ApiError::Unavailable(
                "state is being committed; retry".into(),
            ));
        }
        Ok(keys
            .iter()
            .zip(proofs)
            .map(|(key, proof)| ProofView {
                key: key.to_string(),
                key_hash: digest_hex(&proof.key_hash),
                value: proof.value.as_ref().map(hex::encode),
                header: header_view(&header),
                proof: hex::encode(&proof.proof),
            })
            .collect())
    }

    async fn state_value(&self, key: StateKey) -> Result<Option<Vec<u8>>, ApiError> {
        self.ledger.state_value(&key).await.map_err(internal)
    }

    fn auth(&self) -> &sovra_api::auth::AuthStore {
        &self.auth
    }

    async fn verifier_dids(&self, limit: usize) -> Result<Vec<Did>, ApiError> {
        self.ledger.index().verifiers(limit).map_err(internal)
    }

    async fn asset_classes_of(
        &self,
        issuer: Did,
        limit: usize,
    ) -> Result<Vec<sovra_types::AssetClassId>, ApiError> {
        self.ledger
            .index()
            .asset_classes_of(&issuer, limit)
            .map_err(internal)
    }

    async fn asset_holdings_of(
        &self,
        holder: Did,
        limit: usize,
    ) -> Result<Vec<(sovra_types::AssetClassId, u64)>, ApiError> {
        self.ledger
            .index()
            .asset_holdings_of(&holder, limit)
            .map_err(internal)
    }

    async fn validators(&self, after: Option<Did>, limit: usize) -> Result<Vec<Did>, ApiError> {
        self.ledger
            .index()
            .validators(after.as_ref(), limit)
            .map_err(internal)
    }

    async fn proposals(
        &self,
        limit: usize,
    ) -> Result<Vec<(u64, sovra_types::ProposalId)>, ApiError> {
        self.ledger.index().proposals(limit).map_err(internal)
    }

    async fn asset_locks_of(
        &self,
        holder: Did,
        limit: usize,
    ) -> Result<Vec<(sovra_types::AssetClassId, u64)>, ApiError> {
        self.ledger
            .index()
            .asset_locks_of(&holder, limit)
            .map_err(internal)
    }

    fn evidence(&self) -> Vec<sovra_types::evidence::Equivocation> {
        self.ledger.evidence().list()
    }

    async fn metrics(&self) -> String {
        let mut text = (self.metrics)();
        // Content-store counters, in the same exposition (before the final `# EOF`).
        let eof = text.rfind("# EOF").unwrap_or(text.len());
        let content = format!(
            "# HELP sovra_content_corrupt_blocks Content blocks found corrupt on read and discarded since start.\n\
             # TYPE sovra_content_corrupt_blocks counter\n\
             sovra_content_corrupt_blocks_total {}\n",
            self.content.corrupt_found()
        );
        text.insert_str(eof, &content);
        text
    }

    type Blocks = crate::replication::NetworkBlocks;

    fn blocks(&self) -> Arc<crate::replication::NetworkBlocks> {
        self.blocks.clone()
    }

    fn blocks_for(&self, root: &sovra_cas::Cid) -> Arc<crate::replication::NetworkBlocks> {
        Arc::new(self.blocks.for_root(root))
    }

    async fn fetch_dag(&self, root: sovra_cas::Cid, cid: sovra_cas::Cid) -> Result<(), ApiError> {
        let blocks = self.blocks.for_root(&root);
        tokio::task::spawn_blocking(move || blocks.ensure_complete(&cid))
            .await
            .map_err(internal)?
            .map_err(sovra_api::cas_error)
    }

    async fn import_car(
        &self,
        uploader: Did,
        body: BodyReader,
    ) -> Result<ContentImportView, ApiError> {
        let balance = self
            .ledger
            .account(&uploader)
            .await
            .map_err(internal)?
            .balance;
        import_public(
            self.content.clone(),
            &self.content_cfg,
            balance,
            uploader,
            body,
        )
        .await
    }

    async fn content_status(&self, cid: ContentId) -> Result<ContentStatusView, ApiError> {
        let pins = self.ledger.index().pin_owners(&cid).map_err(internal)?;
        let content = self.content.clone();
        let root = *cid.cid();
        let missing = tokio::task::spawn_blocking(move || {
            sovra_cas::dag::absent_blocks(&*content, &root, 100)
        })
        .await
        .map_err(internal)?
        // A DAG over the traversal limits is the request's problem (400), not the node's.
        .map_err(sovra_api::cas_error)?;
        Ok(ContentStatusView {
            cid: cid.to_string(),
            pins: pins
                .into_iter()
                .map(|(owner, replication)| PinOwnerView {
                    owner: owner.to_string(),
                    replication,
                })
                .collect(),
            complete_here: missing.is_empty(),
            missing: missing.iter().map(|c| c.to_string()).collect(),
        })
    }

    async fn public_doc(&self, owner: Did, name: String) -> Result<Option<ContentId>, ApiError> {
        let value = self
            .ledger
            .state_value(&StateKey::PublicDoc { owner, name })
            .await
            .map_err(internal)?;
        value
            .map(|bytes| ContentId::from_bytes(&bytes).map_err(internal))
            .transpose()
    }

    type VaultBlocks = crate::vault::net::NetworkVaultBlocks;

    fn vault_blocks(&self, owner: &Did) -> Arc<crate::vault::net::NetworkVaultBlocks> {
        Arc::new(crate::vault::net::NetworkVaultBlocks {
            store: self.vault.clone(),
            owner: owner.clone(),
            fetcher: self.vault_fetcher.clone(),
            timeout: std::time::Duration::from_secs(10),
        })
    }

    async fn import_vault_car(
        &self,
        uploader: Did,
        body: BodyReader,
    ) -> Result<ContentImportView, ApiError> {
        import_vault(self, uploader, body).await
    }

    async fn vault_records_of(
        &self,
        owner: Did,
        after: Option<RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, VaultRecord)>, ApiError> {
        self.ledger
            .index()
            .vault_records_of(&owner, after.as_ref(), limit)
            .map_err(internal)
    }

    async fn vault_log_append(&self, id: RecordId, entry: AccessEntry) -> Result<(), ApiError> {
        let log = self.vault_log.clone();
        tokio::task::spawn_blocking(move || log.append(&id, entry))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        Ok(())
    }

    async fn vault_log(
        &self,
        id: RecordId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<AccessEntry>, ApiError> {
        self.vault_log.entries(&id, from, limit).map_err(internal)
    }

    async fn vault_held(&self, owner: Did, roots: Vec<ContentId>) -> Result<u64, ApiError> {
        let roots: Vec<sovra_cas::Cid> = roots.iter().map(|c| *c.cid()).collect();
        self.vault.held(&owner, &roots).map_err(internal)
    }

    fn vault_rewrite_pending(&self) -> bool {
        self.vault.has_freed_pages()
    }

    fn node_key(&self) -> String {
        self.node_key.clone()
    }

    fn node_sign(&self, namespace: &[u8], message: &[u8]) -> String {
        hex::encode(self.signer.sign(namespace, message).as_ref())
    }
}
