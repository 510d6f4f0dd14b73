//! Node-local indexes in redb: finalized blocks by height and id, where each
//! transaction landed and how it ended, and every identity's receipt-chain
//! entries. All of it can be rebuilt from finalized blocks; the authenticated
//! state is the source of truth.

use crate::StoreError;
use commonware_codec::Encode;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sovra_types::{
    Action, Block, ContentId, Did, Digest, ReceiptEntry, ReceiptStatus, TxId, codec::decode_exact,
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

    /// Reads a counter from the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(META)?;
        Ok(t.get(key)?.map(|v| v.value()))
    }
}
