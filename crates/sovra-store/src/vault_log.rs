//! The access log of private vault records on this node: one entry each time
//! the node released a record's ciphertext or keys to an authenticated
//! identity. Node-local (each node logs what it released), bounded per
//! record, and erased with the record.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sovra_api_types::AccessEntry;
use sovra_types::RecordId;

use crate::StoreError;

/// Most entries kept per record; older ones are dropped first.
pub const MAX_LOG_ENTRIES_PER_RECORD: u64 = 10_000;

/// Entries: record id ‖ sequence number (big-endian) -> JSON entry.
const ENTRIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("entries");
/// Next sequence number and count per record: record id -> (next, count).
const COUNTERS: TableDefinition<&[u8; 16], (u64, u64)> = TableDefinition::new("counters");

/// The node's vault access log.
pub struct VaultLog {
    db: Database,
}

fn entry_key(id: &RecordId, seq: u64) -> [u8; 24] {
    let mut k = [0u8; 24];
    k[..16].copy_from_slice(&id.0);
    k[16..].copy_from_slice(&seq.to_be_bytes());
    k
}

impl VaultLog {
    /// Opens or creates the log at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        let w = db.begin_write()?;
        {
            w.open_table(ENTRIES)?;
            w.open_table(COUNTERS)?;
        }
        w.commit()?;
        Ok(Self { db })
    }

    /// Appends an entry for `id` (its `seq` is assigned here); drops the oldest beyond the bound.
    pub fn append(&self, id: &RecordId, mut entry: AccessEntry) -> Result<u64, StoreError> {
        let w = self.db.begin_write()?;
        let seq = {
            let mut counters = w.open_table(COUNTERS)?;
            let (next, count) = counters.get(&id.0)?.map(|v| v.value()).unwrap_or((0, 0));
            let mut entries = w.open_table(ENTRIES)?;
            entry.seq = next;
            let json = serde_json::to_vec(&entry).map_err(|source| StoreError::Encode {
                what: "access log entry",
                source,
            })?;
            entries.insert(entry_key(id, next).as_slice(), json.as_slice())?;
            let mut count = count + 1;
            if count > MAX_LOG_ENTRIES_PER_RECORD {
                entries.remove(entry_key(id, next + 1 - count).as_slice())?;
                count -= 1;
            }
            counters.insert(&id.0, (next + 1, count))?;
            next
        };
        w.commit()?;
        Ok(seq)
    }

    /// Entries of `id` from sequence number `from`, at most `limit`.
    pub fn entries(
        &self,
        id: &RecordId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<AccessEntry>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(ENTRIES)?;
        let start = entry_key(id, from);
        let end = entry_key(id, u64::MAX);
        let mut out = Vec::new();
        for item in t.range(start.as_slice()..=end.as_slice())?.take(limit) {
            let (_, v) = item?;
            out.push(
                serde_json::from_slice(v.value())
                    .map_err(crate::index::corrupt("access log entry"))?,
            );
        }
        Ok(out)
    }

    /// Deletes every entry of `id` (when the record is erased).
    pub fn erase(&self, id: &RecordId) -> Result<(), StoreError> {
        {
            let r = self.db.begin_read()?;
            if r.open_table(COUNTERS)?.get(&id.0)?.is_none() {
                return Ok(());
            }
        }
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(ENTRIES)?;
            let start = entry_key(id, 0);
            let end = entry_key(id, u64::MAX);
            t.retain_in(start.as_slice()..=end.as_slice(), |_, _| false)?;
            w.open_table(COUNTERS)?.remove(&id.0)?;
        }
        w.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(who: &str) -> AccessEntry {
        AccessEntry {
            seq: 0,
            accessor: who.into(),
            role: "owner".into(),
            part: "content".into(),
            version: 1,
            time_ms: 5,
        }
    }

    #[test]
    fn appends_reads_and_erases_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let log = VaultLog::open(&dir.path().join("log.redb")).unwrap();
        let (a, b) = (RecordId([1; 16]), RecordId([2; 16]));
        assert_eq!(log.append(&a, entry("x")).unwrap(), 0);
        assert_eq!(log.append(&a, entry("y")).unwrap(), 1);
        log.append(&b, entry("z")).unwrap();
        let got = log.entries(&a, 0, 10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].seq, got[1].accessor.as_str()), (0, "y"));
        assert_eq!(log.entries(&a, 1, 10).unwrap().len(), 1);
        log.erase(&a).unwrap();
        assert!(log.entries(&a, 0, 10).unwrap().is_empty());
        assert_eq!(log.entries(&b, 0, 10).unwrap().len(), 1);
        // Sequence numbers restart after erasure; other records are untouched.
        assert_eq!(log.append(&a, entry("w")).unwrap(), 0);
    }
}
