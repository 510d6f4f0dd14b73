//! Node-local indexes in redb: finalized blocks by height and id, where each
//! transaction landed and how it ended, and every identity's receipt-chain
//! entries. All of it can be rebuilt from finalized blocks; the authenticated
//! state is the source of truth.

use crate::StoreError;
use commonware_codec::Encode;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sovra_types::{
    Action, Block, ContentId, Did, Digest, ReceiptEntry, ReceiptStatus, RecordId, RecoveryConfig,
    TxId, VaultRecord, codec::decode_exact,
};
use std::path::Path;

const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const BLOCK_IDS: TableDefinition<&[u8; 32], u64> = TableDefinition::new("block_ids");
const TXS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("txs");
const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Finalized pins: CID bytes, 0, owner DID -> replication factor.
const PINS: TableDefinition<&[u8], u8> = TableDefinition::new("pins");
/// Registered verifiers: DID -> height of the registration.
const VERIFIERS: TableDefinition<&str, u64> = TableDefinition::new("verifiers");
/// Vault record anchors as last finalized: record id -> `VaultRecord` encoding.
const VAULT: TableDefinition<&[u8; 16], &[u8]> = TableDefinition::new("vault");
/// Vault records by owner: owner DID, 0, record id -> ().
const VAULT_OWNERS: TableDefinition<&[u8], ()> = TableDefinition::new("vault_owners");
/// Roots of vault blocks no live record of their owner references any more (erased
/// records, superseded versions, revoked grants), in the owner's namespace: owner DID, 0,
/// CID bytes -> record id. Nodes purge them and then forget them.
const VAULT_DEAD: TableDefinition<&[u8], &[u8; 16]> = TableDefinition::new("vault_dead_roots");
/// The dead-roots table of the format before per-owner namespaces (keyed by CID alone);
/// dropped on open.
const LEGACY_VAULT_DEAD: &str = "vault_dead";
/// Guardian recovery setups as last finalized: DID -> `RecoveryConfig` encoding.
const RECOVERY: TableDefinition<&str, &[u8]> = TableDefinition::new("recovery");

/// Where a finalized transaction is and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Outcome.
    pub status: ReceiptStatus,
    /// Fee charged.
    pub fee: u64,
}

impl TxLocation {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.height.to_be_bytes());
        v.extend_from_slice(&self.index.to_be_bytes());
        v.extend_from_slice(&self.fee.to_be_bytes());
        v.extend_from_slice(&self.status.encode());
        v
    }

    fn decode(b: &[u8]) -> Result<Self, StoreError> {
        if b.len() < 20 {
            return Err(StoreError::Corrupt("short tx index entry".into()));
        }
        Ok(Self {
            height: u64::from_be_bytes(b[0..8].try_into().expect("8 bytes")),
            index: u32::from_be_bytes(b[8..12].try_into().expect("4 bytes")),
            fee: u64::from_be_bytes(b[12..20].try_into().expect("8 bytes")),
            status: decode_exact(&b[20..], &()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        })
    }
}

/// What a finalized block adds to the indexes.
pub struct IndexedBlock<'a> {
    /// The block.
    pub block: &'a Block,
    /// Per transaction: id, outcome, fee.
    pub txs: Vec<(TxId, ReceiptStatus, u64)>,
    /// Receipt-chain entries appended, per identity.
    pub receipts: Vec<(&'a Did, &'a ReceiptEntry)>,
    /// Vault record anchors the block changed, as they are after it.
    pub vault_records: Vec<(RecordId, VaultRecord)>,
    /// Recovery setups the block changed, as they are after it.
    pub recoveries: Vec<(Did, RecoveryConfig)>,
}

/// Key of a dead root in `owner`'s namespace.
fn vault_dead_key(owner: &Did, cid: &ContentId) -> Vec<u8> {
    let mut k = owner.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&cid.cid().to_bytes());
    k
}

fn parse_vault_dead_key(key: &[u8]) -> Result<(Did, ContentId), StoreError> {
    let corrupt = || StoreError::Corrupt("vault dead-root key".into());
    let split = key.iter().position(|&b| b == 0).ok_or_else(corrupt)?;
    let owner = std::str::from_utf8(&key[..split])
        .ok()
        .and_then(|s| Did::parse(s).ok())
        .ok_or_else(corrupt)?;
    let cid = ContentId::from_bytes(&key[split + 1..]).map_err(|_| corrupt())?;
    Ok((owner, cid))
}

fn vault_owner_key(owner: &Did, id: &RecordId) -> Vec<u8> {
    let mut k = owner.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&id.0);
    k
}

/// The redb-backed index.
pub struct Index {
    db: Database,
}

fn receipt_key(did: &Did, index: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(did.as_str().len() + 9);
    k.extend_from_slice(did.as_str().as_bytes());
    k.push(0);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

fn pin_key(cid: &ContentId, owner: &Did) -> Vec<u8> {
    let mut k = cid.cid().to_bytes();
    k.push(0);
    k.extend_from_slice(owner.as_str().as_bytes());
    k
}

/// The CID at the start of a pin key (CID bytes are self-delimiting).
fn pin_key_cid(key: &[u8]) -> Result<ContentId, StoreError> {
    let cid =
        cid::Cid::read_bytes(key).map_err(|e| StoreError::Corrupt(format!("pin key: {e}")))?;
    if key.get(cid.encoded_len()) != Some(&0) {
        return Err(StoreError::Corrupt("pin key without separator".into()));
    }
    Ok(ContentId::new(cid))
}

impl Index {
    /// Opens or creates the index database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        let w = db.begin_write()?;
        {
            w.open_table(BLOCKS)?;
            w.open_table(BLOCK_IDS)?;
            w.open_table(TXS)?;
            w.open_table(RECEIPTS)?;
            w.open_table(META)?;
            w.open_table(PINS)?;
            w.open_table(VERIFIERS)?;
            w.open_table(VAULT)?;
            w.open_table(VAULT_OWNERS)?;
            w.open_table(VAULT_DEAD)?;
            w.open_table(RECOVERY)?;
            let legacy = w
                .list_tables()?
                .any(|t| redb::TableHandle::name(&t) == LEGACY_VAULT_DEAD);
            if legacy {
                w.delete_table(TableDefinition::<&[u8], &[u8; 16]>::new(LEGACY_VAULT_DEAD))?;
            }
        }
        w.commit()?;
        Ok(Self { db })
    }

    /// Height of the newest indexed block (None before any).
    pub fn tip(&self) -> Result<Option<u64>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        Ok(t.last()?.map(|(k, _)| k.value()))
    }

    /// Records a finalized block atomically. Idempotent for the same block.
    pub fn insert(&self, b: &IndexedBlock<'_>) -> Result<(), StoreError> {
        let w = self.db.begin_write()?;
        {
            let height = b.block.height();
            let mut blocks = w.open_table(BLOCKS)?;
            blocks.insert(height, b.block.encode().as_ref())?;
            let mut ids = w.open_table(BLOCK_IDS)?;
            ids.insert(&b.block.id().0, height)?;
            let mut txs = w.open_table(TXS)?;
            for (i, (id, status, fee)) in b.txs.iter().enumerate() {
                let loc = TxLocation {
                    height,
                    index: i as u32,
                    status: status.clone(),
                    fee: *fee,
                };
                txs.insert(&id.0, loc.encode().as_slice())?;
            }
            let mut pins = w.open_table(PINS)?;
            let mut verifiers = w.open_table(VERIFIERS)?;
            for (t, (_, status, _)) in b.block.txs.iter().zip(&b.txs) {
                if *status != ReceiptStatus::Completed {
                    continue;
                }
                for action in &t.tx.actions {
                    match action {
                        Action::PinContent {
                            cid, replication, ..
                        } => {
                            pins.insert(pin_key(cid, &t.tx.signer).as_slice(), *replication)?;
                        }
                        Action::UnpinContent { cid } => {
                            pins.remove(pin_key(cid, &t.tx.signer).as_slice())?;
                        }
                        Action::RegisterVerifier { verifier, .. } => {
                            verifiers.insert(verifier.as_str(), height)?;
                        }
                        Action::RemoveVerifier { verifier } => {
                            verifiers.remove(verifier.as_str())?;
                        }
                        _ => {}
                    }
                }
            }
            let mut vault = w.open_table(VAULT)?;
            let mut owners = w.open_table(VAULT_OWNERS)?;
            let mut dead = w.open_table(VAULT_DEAD)?;
            for (id, record) in &b.vault_records {
                let previous = match vault.get(&id.0)? {
                    Some(v) => Some(
                        VaultRecord::decode(v.value())
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    ),
                    None => None,
                };
                let live: Vec<&ContentId> = if record.erased_height.is_some() {
                    Vec::new()
                } else {
                    record.roots()
                };
                let mut gone: Vec<&ContentId> =
                    previous.as_ref().map(|p| p.roots()).unwrap_or_default();
                if record.erased_height.is_some() {
                    gone.extend(record.roots());
                }
                // Within the owner's namespace only: another owner's record naming the same
                // CIDs neither keeps nor revives this owner's blocks.
                let owner = &record.owner;
                for cid in gone.into_iter().filter(|c| !live.contains(c)) {
                    dead.insert(vault_dead_key(owner, cid).as_slice(), &id.0)?;
                }
                for cid in live {
                    dead.remove(vault_dead_key(owner, cid).as_slice())?;
                }
                vault.insert(&id.0, record.encode().as_ref())?;
                owners.insert(vault_owner_key(&record.owner, id).as_slice(), ())?;
            }
            let mut recovery = w.open_table(RECOVERY)?;
            for (did, config) in &b.recoveries {
                recovery.insert(did.as_str(), config.encode().as_ref())?;
            }
            let mut receipts = w.open_table(RECEIPTS)?;
            for (did, entry) in &b.receipts {
                receipts.insert(
                    receipt_key(did, entry.index).as_slice(),
                    entry.encode().as_ref(),
                )?;
            }
        }
        w.commit()?;
        Ok(())
    }

    /// A finalized block by height.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        match t.get(height)? {
            Some(v) => Ok(Some(
                decode_exact(v.value(), &()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }

    /// Height of a finalized block by id.
    pub fn height_of(&self, id: &Digest) -> Result<Option<u64>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(BLOCK_IDS)?;
        Ok(t.get(&id.0)?.map(|v| v.value()))
    }

    /// Where a finalized transaction landed.
    pub fn tx(&self, id: &TxId) -> Result<Option<TxLocation>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(TXS)?;
        match t.get(&id.0)? {
            Some(v) => Ok(Some(TxLocation::decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Receipt-chain entries of `did` from index `from`, at most `limit`.
    pub fn receipts(
        &self,
        did: &Did,
        from: u64,
        limit: usize,
    ) -> Result<Vec<ReceiptEntry>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(RECEIPTS)?;
        let start = receipt_key(did, from);
        let end = receipt_key(did, u64::MAX);
        let mut out = Vec::new();
        for item in t.range(start.as_slice()..=end.as_slice())?.take(limit) {
            let (_, v) = item?;
            out.push(decode_exact(v.value(), &()).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    /// Every finalized pinned root with the highest replication factor any owner asked for.
    pub fn pinned_roots(&self) -> Result<Vec<(ContentId, u8)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PINS)?;
        let mut out: Vec<(ContentId, u8)> = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let cid = pin_key_cid(k.value())?;
            match out.last_mut() {
                Some((last, factor)) if *last == cid => *factor = (*factor).max(v.value()),
                _ => out.push((cid, v.value())),
            }
        }
        Ok(out)
    }

    /// The owners pinning `cid`.
    pub fn pin_owners(&self, cid: &ContentId) -> Result<Vec<(Did, u8)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PINS)?;
        let mut prefix = cid.cid().to_bytes();
        prefix.push(0);
        let mut out = Vec::new();
        for item in t.range(prefix.as_slice()..)? {
            let (k, v) = item?;
            let Some(owner) = k.value().strip_prefix(prefix.as_slice()) else {
                break;
            };
            let owner = std::str::from_utf8(owner)
                .ok()
                .and_then(|s| Did::parse(s).ok())
                .ok_or_else(|| StoreError::Corrupt("pin owner".into()))?;
            out.push((owner, v.value()));
        }
        Ok(out)
    }

    /// Identities registered as verifiers, in DID order, at most `limit`.
    pub fn verifiers(&self, limit: usize) -> Result<Vec<Did>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VERIFIERS)?;
        let mut out = Vec::new();
        for item in t.iter()?.take(limit) {
            let (k, _) = item?;
            out.push(Did::parse(k.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    /// A vault record's anchor as last finalized.
    pub fn vault_record(&self, id: &RecordId) -> Result<Option<VaultRecord>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VAULT)?;
        match t.get(&id.0)? {
            Some(v) => Ok(Some(
                VaultRecord::decode(v.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }

    /// The vault records of `owner` (erased ones included), in id order, from
    /// after `after`, at most `limit`.
    pub fn vault_records_of(
        &self,
        owner: &Did,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, VaultRecord)>, StoreError> {
        let r = self.db.begin_read()?;
        let owners = r.open_table(VAULT_OWNERS)?;
        let vault = r.open_table(VAULT)?;
        let start = vault_owner_key(owner, after.unwrap_or(&RecordId([0; 16])));
        let end = vault_owner_key(owner, &RecordId([0xff; 16]));
        let mut out = Vec::new();
        for item in owners.range(start.as_slice()..=end.as_slice())? {
            if out.len() >= limit {
                break;
            }
            let (k, _) = item?;
            let bytes: [u8; 16] = k.value()[k.value().len() - 16..]
                .try_into()
                .map_err(|_| StoreError::Corrupt("vault owner key".into()))?;
            let id = RecordId(bytes);
            if Some(&id) == after {
                continue;
            }
            if let Some(v) = vault.get(&id.0)? {
                let record = VaultRecord::decode(v.value())
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                out.push((id, record));
            }
        }
        Ok(out)
    }

    /// Every vault record that is not erased (some may be past retention), for replication
    /// and retention sweeps.
    pub fn vault_unerased(&self) -> Result<Vec<(RecordId, VaultRecord)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VAULT)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let record =
                VaultRecord::decode(v.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if record.erased_height.is_none() {
                out.push((RecordId(*k.value()), record));
            }
        }
        Ok(out)
    }

    /// Roots of vault blocks that must be purged: the namespace (owner) they are in, the
    /// root, and its record.
    pub fn vault_dead_roots(&self) -> Result<Vec<(Did, ContentId, RecordId)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VAULT_DEAD)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let (owner, cid) = parse_vault_dead_key(k.value())?;
            out.push((owner, cid, RecordId(*v.value())));
        }
        Ok(out)
    }

    /// Forgets purged roots (each in its owner's namespace).
    pub fn forget_vault_dead_roots(&self, roots: &[(Did, ContentId)]) -> Result<(), StoreError> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(VAULT_DEAD)?;
            for (owner, cid) in roots {
                t.remove(vault_dead_key(owner, cid).as_slice())?;
            }
        }
        w.commit()?;
        Ok(())
    }

    /// The blocks guardian recovery needs replicated, each with the namespace it lives in:
    /// every setup's shares block (uploaded by the identity itself) and every pending
    /// approval's share block (uploaded by its guardian).
    pub fn recovery_roots(&self) -> Result<Vec<(Did, ContentId)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(RECOVERY)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let did = Did::parse(k.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let config = RecoveryConfig::decode(v.value())
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.push((did, config.shares));
            if let Some(p) = config.pending {
                out.extend(p.approvals.into_iter().map(|a| (a.guardian, a.share)));
            }
        }
        Ok(out)
    }

    /// Reads a counter from the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(META)?;
        Ok(t.get(key)?.map(|v| v.value()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_types::BlockHeader;

    fn did(n: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(n).public_key())
    }

    fn cid(tag: &[u8]) -> ContentId {
        ContentId::new(sovra_cas::raw_cid(tag))
    }

    fn record(owner: &Did, content: &ContentId, keys: &ContentId) -> VaultRecord {
        VaultRecord {
            owner: owner.clone(),
            version: 1,
            content: content.clone(),
            size: 1,
            keys: keys.clone(),
            replication: 3,
            retain_until_ms: None,
            created_height: 1,
            updated_height: 1,
            updated_ms: 0,
            erased_height: None,
            grants: vec![],
        }
    }

    fn index_block(index: &Index, height: u64, vault_records: Vec<(RecordId, VaultRecord)>) {
        let header = BlockHeader {
            parent: sovra_types::ZERO_DIGEST,
            height,
            timestamp_ms: height,
            tx_root: sovra_types::ZERO_DIGEST,
            tx_count: 0,
            state_root: sovra_types::ZERO_DIGEST,
        };
        let block = Block::new(header, vec![]);
        index
            .insert(&IndexedBlock {
                block: &block,
                txs: vec![],
                receipts: vec![],
                vault_records,
                recoveries: vec![],
            })
            .unwrap();
    }

    #[test]
    fn dead_roots_stay_in_their_owners_namespace_whoever_names_the_cids() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.redb")).unwrap();
        let (victim, squatter) = (did(1), did(2));
        let (content, keys) = (cid(b"content"), cid(b"keys"));
        let (a, b) = (RecordId([1; 16]), RecordId([2; 16]));
        index_block(&index, 1, vec![(a, record(&victim, &content, &keys))]);
        // The victim deletes its record while the squatter anchors one naming the same CIDs.
        let mut erased = record(&victim, &content, &keys);
        erased.erased_height = Some(2);
        index_block(
            &index,
            2,
            vec![(a, erased), (b, record(&squatter, &content, &keys))],
        );
        let mut dead = index.vault_dead_roots().unwrap();
        dead.sort_by_key(|(_, c, _)| c.to_string());
        let mut expected = vec![
            (victim.clone(), content.clone(), a),
            (victim.clone(), keys.clone(), a),
        ];
        expected.sort_by_key(|(_, c, _)| c.to_string());
        assert_eq!(dead, expected);
        // A later change of the squatter's record does not revive the victim's roots either.
        let mut changed = record(&squatter, &content, &keys);
        changed.updated_height = 3;
        index_block(&index, 3, vec![(b, changed)]);
        assert_eq!(index.vault_dead_roots().unwrap().len(), 2);
        index
            .forget_vault_dead_roots(&[(victim.clone(), content), (victim, keys)])
            .unwrap();
        assert!(index.vault_dead_roots().unwrap().is_empty());
    }
}
