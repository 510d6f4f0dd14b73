//! Node-local indexes in redb: finalized blocks by height and id, where each
//! transaction landed and how it ended, every identity's receipt-chain
//! entries, and each execution module's tables, kept from the typed
//! [`IndexEvent`]s of finalized blocks (one file per module: `content`,
//! `registry`, `vault`, `recovery`, `assets`, `economy`). All of it can be rebuilt from
//! finalized blocks; the authenticated state is the source of truth.

mod assets;
mod content;
mod economy;
mod recovery;
mod registry;
mod vault;

use crate::StoreError;
use commonware_codec::Encode;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sovra_execution::IndexEvent;
use sovra_types::{Block, Did, Digest, ReceiptEntry, ReceiptStatus, TxId, codec::decode_exact};
use std::path::Path;

const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const BLOCK_IDS: TableDefinition<&[u8; 32], u64> = TableDefinition::new("block_ids");
const TXS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("txs");
const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// A stored value or key that does not decode as `what`.
pub(crate) fn corrupt<E: std::error::Error + Send + Sync + 'static>(
    what: &'static str,
) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::Corrupt {
        what,
        source: Box::new(e),
    }
}

/// Parses a DID stored as bytes (a key or a key part) as `what`.
fn parse_did(bytes: &[u8], what: &'static str) -> Result<Did, StoreError> {
    let text = std::str::from_utf8(bytes).map_err(corrupt(what))?;
    Did::parse(text).map_err(corrupt(what))
}

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
            return Err(StoreError::Malformed("short tx index entry"));
        }
        Ok(Self {
            height: u64::from_be_bytes(b[0..8].try_into().expect("8 bytes")),
            index: u32::from_be_bytes(b[8..12].try_into().expect("4 bytes")),
            fee: u64::from_be_bytes(b[12..20].try_into().expect("8 bytes")),
            status: decode_exact(&b[20..], &()).map_err(corrupt("tx index entry"))?,
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
    /// The index events of the block's transactions, in block order.
    pub events: Vec<&'a IndexEvent>,
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
            content::create(&w)?;
            registry::create(&w)?;
            vault::create(&w)?;
            recovery::create(&w)?;
            assets::create(&w)?;
            economy::create(&w)?;
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

    /// Records a finalized block atomically: the block, its transactions' outcomes and
    /// receipts, and its index events. Idempotent for the same block.
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
            apply_events(&w, height, &b.events)?;
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
                decode_exact(v.value(), &()).map_err(corrupt("indexed block"))?,
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
            out.push(decode_exact(v.value(), &()).map_err(corrupt("receipt entry"))?);
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

/// Applies a finalized block's index events: each module's events, in order, to that
/// module's tables. The one dispatch of the index over the modules' events.
fn apply_events(
    w: &redb::WriteTransaction,
    height: u64,
    events: &[&IndexEvent],
) -> Result<(), StoreError> {
    let (mut pins, mut registry, mut vault, mut recovery, mut assets) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut staking, mut governance) = (Vec::new(), Vec::new());
    for event in events {
        match event {
            IndexEvent::Content(e) => pins.push(e),
            IndexEvent::Registry(e) => registry.push(e),
            IndexEvent::Vault(e) => vault.push(e),
            IndexEvent::Recovery(e) => recovery.push(e),
            IndexEvent::Assets(e) => assets.push(e),
            IndexEvent::Staking(e) => staking.push(e),
            IndexEvent::Governance(e) => governance.push(e),
        }
    }
    content::apply(w, &pins)?;
    registry::apply(w, height, &registry)?;
    vault::apply(w, &vault)?;
    recovery::apply(w, &recovery)?;
    assets::apply(w, &assets)?;
    economy::apply(w, height, &staking, &governance)?;
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use sovra_types::BlockHeader;

    /// Indexes a block at `height` without transactions whose execution left `events`.
    pub(crate) fn index_block(index: &Index, height: u64, events: &[IndexEvent]) {
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
                events: events.iter().collect(),
            })
            .unwrap();
    }
}
