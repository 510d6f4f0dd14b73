//! The node's private vault blocks, kept per owner.
//!
//! Every vault block is stored in the *namespace* of one identity: its key is
//! [`vault_block_key`]`(owner, cid)` = SHA-256(`"sovra/vault-block"` ‖ owner DID ‖ 0 ‖
//! multihash). Uploads go into the namespace of the DID-authenticated uploader, replication
//! fetches and stores a record's blocks in the namespace of the record's owner, and reads,
//! release, garbage collection and erasure all work within one namespace. So a ledger record
//! can only ever reach blocks its own owner uploaded: naming another owner's CIDs in a record
//! gives access to nothing, and one owner's erasure deletes that owner's copies whoever else
//! names the same CIDs.
//!
//! Uploads not yet reached by a finalized record of their uploader are *staged*: kept for a
//! grace period and counted against a per-identity and a total quota ([`StagedQuota`]). A
//! block is charged once, when it is first stored, with its length plus [`BLOCK_OVERHEAD`];
//! the charge is returned when its grace period ends or a live record of its owner reaches it
//! ([`VaultStore::settle`]). Every block is verified against its CID when it is stored and
//! whenever it is read; a block found corrupt is deleted and reported as absent.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle,
};
use sovra_cas::car::{self, CarImport};
use sovra_cas::{BlockSink, BlockSource, CasError, Cid, verify_block};
use sovra_types::Did;

use crate::block_file::{BlockFile, copy_table};
use crate::spool::Allowance;
use crate::{GcStats, StoreError};

/// redb page cache: vault blocks are read once per request and streamed.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Domain of the namespaced block keys.
const KEY_DOMAIN: &[u8] = b"sovra/vault-block";
/// What a staged block costs beyond its bytes (index entries), so that many tiny blocks
/// cannot slip under the quota.
pub const BLOCK_OVERHEAD: u64 = 256;

/// Blocks: namespaced key -> multihash length (1 byte) ‖ multihash ‖ block bytes.
const BLOCKS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("vault_blocks");
/// Staged uploads: namespaced key -> (end of the grace period in unix ms, bytes charged, owner).
const STAGED: TableDefinition<&[u8; 32], (u64, u64, &str)> = TableDefinition::new("vault_staged");
/// Bytes charged to staged uploads, per owner DID; [`TOTAL`] holds the sum.
const USAGE: TableDefinition<&str, u64> = TableDefinition::new("vault_usage");
/// Flags: [`FREED`] is present once blocks were deleted and until the file is rewritten.
const FLAGS: TableDefinition<&str, u64> = TableDefinition::new("vault_flags");
const FREED: &str = "freed";
/// The key of the total in [`USAGE`] (no DID is empty).
const TOTAL: &str = "";
/// Tables of the store's format before per-owner namespaces (blocks keyed by multihash alone);
/// dropped on open, since nothing says whose blocks they were.
const LEGACY_TABLES: [&str; 3] = ["blocks", "staged", "flags"];

/// The storage key of `cid`'s block in `owner`'s namespace.
pub fn vault_block_key(owner: &Did, cid: &Cid) -> [u8; 32] {
    sovra_types::sha256(&[
        KEY_DOMAIN,
        owner.as_str().as_bytes(),
        &[0],
        &cid.hash().to_bytes(),
    ])
    .0
}

/// Limits on staged (not yet anchored) uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StagedQuota {
    /// Most bytes one identity may have staged.
    pub per_identity: u64,
    /// Most bytes staged by everyone together.
    pub total: u64,
}

/// The node's vault block store.
pub struct VaultStore {
    file: BlockFile,
}

fn encode_value(cid: &Cid, data: &[u8]) -> Vec<u8> {
    let mh = cid.hash().to_bytes();
    let mut v = Vec::with_capacity(1 + mh.len() + data.len());
    v.push(mh.len() as u8);
    v.extend_from_slice(&mh);
    v.extend_from_slice(data);
    v
}

/// Splits a stored value into its multihash bytes and block bytes.
fn decode_value(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = v.split_first()?;
    (rest.len() >= len as usize).then(|| rest.split_at(len as usize))
}

fn cas(e: impl Into<redb::Error>) -> CasError {
    CasError::store(e.into())
}

impl VaultStore {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let file = BlockFile::open(path, CACHE_BYTES, |w| {
            let existing: Vec<String> = w.list_tables()?.map(|t| t.name().to_string()).collect();
            let mut legacy = false;
            for name in LEGACY_TABLES {
                if existing.iter().any(|t| t == name) {
                    let def: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name);
                    w.delete_table(def)?;
                    legacy = true;
                }
            }
            if legacy {
                tracing::warn!(
                    "dropped vault blocks stored before per-owner namespaces: their owners \
                     must upload them again"
                );
            }
            w.open_table(BLOCKS)?;
            w.open_table(STAGED)?;
            w.open_table(USAGE)?;
            let mut flags = w.open_table(FLAGS)?;
            if legacy {
                flags.insert(FREED, 1)?;
            }
            Ok(flags.get(FREED)?.is_some())
        })?;
        Ok(Self { file })
    }

    fn db(&self) -> std::sync::RwLockReadGuard<'_, Database> {
        self.file.db()
    }

    /// Whether blocks were deleted since the file was last rewritten (so their bytes may
    /// still be in freed pages of the file).
    pub fn has_freed_pages(&self) -> bool {
        self.file.has_freed_pages()
    }

    /// Number of corrupt blocks found (and discarded) since the store was opened.
    pub fn corrupt_found(&self) -> u64 {
        self.file.corrupt_found()
    }

    /// Whether `owner`'s namespace holds `cid`'s block (without verifying it).
    pub fn contains(&self, owner: &Did, cid: &Cid) -> Result<bool, StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        Ok(t.get(&vault_block_key(owner, cid))?.is_some())
    }

    /// How many of `roots` `owner`'s namespace holds.
    pub fn held(&self, owner: &Did, roots: &[Cid]) -> Result<u64, StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        let mut held = 0;
        for root in roots {
            if t.get(&vault_block_key(owner, root))?.is_some() {
                held += 1;
            }
        }
        Ok(held)
    }

    /// Reads `cid`'s block from `owner`'s namespace, verified against the CID. A block whose
    /// bytes no longer match is deleted and reported as absent, so that it is fetched again.
    pub fn get(&self, owner: &Did, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        let key = vault_block_key(owner, cid);
        let Some(data) = self.read_value(&key)? else {
            return Ok(None);
        };
        match verify_block(cid, &data) {
            Ok(()) => Ok(Some(data)),
            Err(CasError::HashMismatch(_)) => {
                self.discard_corrupt(&key)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Reads a block by its namespaced key (to answer a peer), verified against the multihash
    /// stored with it; a corrupt block is deleted and reported as absent.
    pub fn get_by_key(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>, CasError> {
        let db = self.db();
        let value = {
            let r = db.begin_read().map_err(cas)?;
            let t = r.open_table(BLOCKS).map_err(cas)?;
            match t.get(key).map_err(cas)? {
                Some(v) => v.value().to_vec(),
                None => return Ok(None),
            }
        };
        drop(db);
        let intact = decode_value(&value).and_then(|(mh, data)| {
            let mh = cid::multihash::Multihash::<64>::from_bytes(mh).ok()?;
            let cid = Cid::new_v1(sovra_cas::block::RAW, mh);
            verify_block(&cid, data).ok().map(|()| data.to_vec())
        });
        match intact {
            Some(data) => Ok(Some(data)),
            None => {
                self.discard_corrupt(key)?;
                Ok(None)
            }
        }
    }

    fn read_value(&self, key: &[u8; 32]) -> Result<Option<Vec<u8>>, CasError> {
        let db = self.db();
        let r = db.begin_read().map_err(cas)?;
        let t = r.open_table(BLOCKS).map_err(cas)?;
        let Some(v) = t.get(key).map_err(cas)? else {
            return Ok(None);
        };
        Ok(decode_value(v.value()).map(|(_, data)| data.to_vec()))
    }

    fn discard_corrupt(&self, key: &[u8; 32]) -> Result<(), CasError> {
        self.file.note_corrupt();
        tracing::warn!(key = %hex_of(key), "discarding corrupt vault block");
        self.remove_key(key).map(|_| ()).map_err(CasError::store)
    }

    fn remove_key(&self, key: &[u8; 32]) -> Result<bool, StoreError> {
        let db = self.db();
        let w = db.begin_write()?;
        let removed = {
            let removed = w.open_table(BLOCKS)?.remove(key)?.is_some();
            if removed {
                w.open_table(FLAGS)?.insert(FREED, 1)?;
            }
            removed
        };
        w.commit()?;
        if removed {
            self.file.note_freed();
        }
        Ok(removed)
    }

    /// Stores one block in `owner`'s namespace after verifying it (replication). Idempotent.
    pub fn put(&self, owner: &Did, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        verify_block(cid, data)?;
        self.insert_unverified(owner, cid, data)
    }

    /// Overwrites a block's bytes without verification. Only for tests and fault injection.
    #[doc(hidden)]
    pub fn corrupt_for_test(&self, owner: &Did, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        self.insert_unverified(owner, cid, data)
    }

    fn insert_unverified(&self, owner: &Did, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        let db = self.db();
        let w = db.begin_write()?;
        w.open_table(BLOCKS)?.insert(
            &vault_block_key(owner, cid),
            encode_value(cid, data).as_slice(),
        )?;
        w.commit()?;
        Ok(())
    }

    /// Imports a CAR of at most `max_bytes` uploaded by `owner` into `owner`'s namespace,
    /// atomically: every block is verified, and nothing is stored unless the whole CAR is valid
    /// and within `quota`. New blocks are staged until `staged_until_ms`; a quota overrun is
    /// [`StoreError::Quota`]. No more of `input` is read than `owner`'s whole quota and the
    /// node's total allow, less what uploads still in progress have reserved of them (the CAR's
    /// bytes, framing included); an upload that only those keep out is [`StoreError::Busy`].
    /// Together, one identity's uploads in progress thus spool at most its quota.
    pub fn import_car(
        &self,
        owner: &Did,
        input: impl Read,
        max_bytes: u64,
        staged_until_ms: u64,
        quota: StagedQuota,
    ) -> Result<CarImport, StoreError> {
        // Blocks already staged cost nothing again, so what an upload will charge is known only
        // once it is read: the spool is bounded by the whole quota, not by what is left of it.
        let spooled = self.file.spool_upload(owner.as_str(), input, || {
            Ok(Allowance {
                max_bytes,
                uploader_left: quota.per_identity,
                total_left: quota.total,
            })
        })?;
        // The spool holds at most one byte past its reservation.
        let limit = max_bytes.min(spooled.limit);
        let db = self.db();
        let w = db.begin_write()?;
        let (imported, charged) = {
            let mut usage = w.open_table(USAGE)?;
            let mut sink = StagingSink {
                blocks: w.open_table(BLOCKS)?,
                staged: w.open_table(STAGED)?,
                owner,
                staged_until_ms,
                quota,
                owner_used: usage.get(owner.as_str())?.map(|v| v.value()).unwrap_or(0),
                total_used: usage.get(TOTAL)?.map(|v| v.value()).unwrap_or(0),
                charged: 0,
                over_quota: None,
            };
            let imported = match car::import(&spooled.file, limit, &mut sink) {
                Ok(imported) => imported,
                Err(CasError::CarTooLarge { .. }) if limit < max_bytes => {
                    return Err(StoreError::Quota(format!(
                        "an upload to the vault may be at most {limit} bytes now ({} per \
                         identity and {} on this node for uploads that no finalized record \
                         names yet, less the uploads in progress)",
                        quota.per_identity, quota.total
                    )));
                }
                Err(e) => {
                    return Err(match sink.over_quota.take() {
                        Some(message) => StoreError::Quota(message),
                        None => StoreError::Content(e),
                    });
                }
            };
            let (owner_used, total_used) = (sink.owner_used, sink.total_used);
            let charged = sink.charged;
            drop(sink);
            usage.insert(owner.as_str(), owner_used)?;
            usage.insert(TOTAL, total_used)?;
            (imported, charged)
        };
        // Dropping `w` on an error above aborts the transaction: nothing is stored.
        w.commit()?;
        // The reservation ends only now that the usage is in the database.
        drop(spooled);
        tracing::debug!(%owner, blocks = imported.blocks, charged, "staged vault upload");
        Ok(imported)
    }

    /// Bytes staged by `owner`, and by everyone.
    pub fn staged_usage(&self, owner: &Did) -> Result<(u64, u64), StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        let t = r.open_table(USAGE)?;
        let get =
            |k: &str| -> Result<u64, StoreError> { Ok(t.get(k)?.map(|v| v.value()).unwrap_or(0)) };
        Ok((get(owner.as_str())?, get(TOTAL)?))
    }

    /// Number of blocks held (all namespaces).
    pub fn block_count(&self) -> Result<u64, StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        Ok(r.open_table(BLOCKS)?.len()?)
    }

    /// Every namespaced key reachable from `roots`, each within its owner's namespace
    /// (blocks missing under a root are skipped).
    fn mark(&self, roots: &[(Did, Cid)]) -> Result<HashSet<[u8; 32]>, StoreError> {
        let mut reached = HashSet::new();
        for (owner, root) in roots {
            let mut stack = vec![(*root, 0usize)];
            while let Some((cid, depth)) = stack.pop() {
                if depth > sovra_cas::limits::MAX_DAG_DEPTH
                    || !reached.insert(vault_block_key(owner, &cid))
                {
                    continue;
                }
                // A raw block links nothing: marking it needs no read (the replicator's scrub
                // verifies held blocks).
                if cid.codec() == sovra_cas::block::RAW {
                    continue;
                }
                let Some(data) = self.get(owner, &cid)? else {
                    continue;
                };
                if let Ok(links) = sovra_cas::links::links(&cid, &data) {
                    stack.extend(links.into_iter().map(|l| (l, depth + 1)));
                }
            }
        }
        Ok(reached)
    }

    /// Ends the grace period of every block of the DAGs under `roots` (each in its owner's
    /// namespace), returning the charges, so the next [`Self::collect_garbage`] deletes them
    /// unless a live root reaches them. Used to erase records promptly. Returns how many of
    /// those blocks are held.
    pub fn unstage(&self, roots: &[(Did, Cid)]) -> Result<u64, StoreError> {
        if roots.is_empty() {
            return Ok(0);
        }
        let reached = self.mark(roots)?;
        let db = self.db();
        let w = db.begin_write()?;
        let held = {
            let mut staged = w.open_table(STAGED)?;
            let mut usage = w.open_table(USAGE)?;
            let blocks = w.open_table(BLOCKS)?;
            let mut held = 0;
            for key in &reached {
                if let Some(entry) = staged.remove(key)? {
                    let (_, charged, owner) = entry.value();
                    refund(&mut usage, owner, charged)?;
                }
                if blocks.get(key)?.is_some() {
                    held += 1;
                }
            }
            held
        };
        w.commit()?;
        Ok(held)
    }

    /// Live roots whose root block is still staged (a record anchored since its upload): ends
    /// the grace period of their DAGs, so the upload no longer counts against the quota (the
    /// live record keeps the blocks now). Returns how many roots were settled.
    pub fn settle(&self, live: &[(Did, Cid)]) -> Result<u64, StoreError> {
        let fresh: Vec<(Did, Cid)> = {
            let db = self.db();
            let r = db.begin_read()?;
            let staged = r.open_table(STAGED)?;
            let mut fresh = Vec::new();
            if staged.is_empty()? {
                return Ok(0);
            }
            for (owner, root) in live {
                if staged.get(&vault_block_key(owner, root))?.is_some() {
                    fresh.push((owner.clone(), *root));
                }
            }
            fresh
        };
        self.unstage(&fresh)?;
        Ok(fresh.len() as u64)
    }

    /// Deletes every block that no root in `live` reaches within its owner's namespace and
    /// whose grace period has ended at `now_ms`, and forgets (refunds) ended grace periods.
    pub fn collect_garbage(&self, live: &[(Did, Cid)], now_ms: u64) -> Result<GcStats, StoreError> {
        let reached = self.mark(live)?;
        let db = self.db();
        let w = db.begin_write()?;
        let mut stats = GcStats::default();
        {
            let mut staged = w.open_table(STAGED)?;
            let mut usage = w.open_table(USAGE)?;
            let mut ended = Vec::new();
            for item in staged.iter()? {
                let (k, v) = item?;
                let (until, charged, owner) = v.value();
                if until <= now_ms {
                    ended.push((*k.value(), charged, owner.to_string()));
                }
            }
            for (key, charged, owner) in &ended {
                staged.remove(key)?;
                refund(&mut usage, owner, *charged)?;
            }
            let mut blocks = w.open_table(BLOCKS)?;
            let mut dead = Vec::new();
            for item in blocks.iter()? {
                let (k, v) = item?;
                if reached.contains(k.value()) || staged.get(k.value())?.is_some() {
                    stats.kept += 1;
                } else {
                    stats.deleted_bytes += v.value().len() as u64;
                    dead.push(*k.value());
                }
            }
            for key in &dead {
                blocks.remove(key)?;
                stats.deleted += 1;
            }
            if stats.deleted > 0 {
                w.open_table(FLAGS)?.insert(FREED, 1)?;
            }
        }
        w.commit()?;
        if stats.deleted > 0 {
            self.file.note_freed();
        }
        Ok(stats)
    }

    /// Rewrites the database into a fresh file holding only what is live and replaces the old
    /// file with it, so no freed page with deleted data survives in the data directory (redb
    /// reuses freed pages but does not overwrite them). Readers wait while it runs. A crash
    /// leaves either the old file or the complete new one.
    pub fn rewrite(&self) -> Result<(), StoreError> {
        self.file.rewrite(|from, to| {
            copy_table(from, to, BLOCKS)?;
            copy_table(from, to, STAGED)?;
            copy_table(from, to, USAGE)?;
            let w = to.begin_write()?;
            w.open_table(FLAGS)?;
            w.commit()?;
            Ok(())
        })
    }

    /// `owner`'s namespace as a [`BlockSource`].
    pub fn view<'a>(&'a self, owner: &'a Did) -> OwnerView<'a> {
        OwnerView { store: self, owner }
    }
}

fn hex_of(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Returns `charged` bytes to `owner`'s and the total staged usage.
fn refund(
    usage: &mut redb::Table<'_, &'static str, u64>,
    owner: &str,
    charged: u64,
) -> Result<(), StoreError> {
    for key in [owner, TOTAL] {
        let left = usage
            .get(key)?
            .map(|v| v.value())
            .unwrap_or(0)
            .saturating_sub(charged);
        if left == 0 {
            usage.remove(key)?;
        } else {
            usage.insert(key, left)?;
        }
    }
    Ok(())
}

/// One owner's namespace of a [`VaultStore`], read as a block source.
pub struct OwnerView<'a> {
    store: &'a VaultStore,
    owner: &'a Did,
}

impl BlockSource for OwnerView<'_> {
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        self.store.get(self.owner, cid)
    }
}

/// Writes an upload's blocks and their grace periods into open tables inside the import's
/// write transaction, charging new blocks to the uploader within the quota.
struct StagingSink<'a, 't> {
    blocks: redb::Table<'t, &'static [u8; 32], &'static [u8]>,
    staged: redb::Table<'t, &'static [u8; 32], (u64, u64, &'static str)>,
    owner: &'a Did,
    staged_until_ms: u64,
    quota: StagedQuota,
    owner_used: u64,
    total_used: u64,
    charged: u64,
    /// Why the upload was refused, when the quota is what refused it.
    over_quota: Option<String>,
}

impl BlockSink for StagingSink<'_, '_> {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        let key = vault_block_key(self.owner, &cid);
        let staged = self.staged.get(&key).map_err(cas)?.map(|v| {
            let (until, charged, _) = v.value();
            (until, charged)
        });
        let (until, charge) = match staged {
            // Already staged (and charged): extend its grace period.
            Some((until, charged)) => (until.max(self.staged_until_ms), charged),
            None => {
                let held = self.blocks.get(&key).map_err(cas)?.is_some();
                // Held and not staged: a live record keeps it; staging it again costs nothing.
                let charge = if held {
                    0
                } else {
                    data.len() as u64 + BLOCK_OVERHEAD
                };
                if self.owner_used + charge > self.quota.per_identity {
                    let message = format!(
                        "{} may have at most {} bytes of vault uploads that no finalized record \
                         of theirs names yet ({} in use); anchor or wait for earlier uploads to \
                         expire",
                        self.owner, self.quota.per_identity, self.owner_used
                    );
                    self.over_quota = Some(message.clone());
                    return Err(CasError::store(message));
                }
                if self.total_used + charge > self.quota.total {
                    let message = format!(
                        "this node holds its limit of {} bytes of unanchored vault uploads; try \
                         again later or another node",
                        self.quota.total
                    );
                    self.over_quota = Some(message.clone());
                    return Err(CasError::store(message));
                }
                self.owner_used += charge;
                self.total_used += charge;
                self.charged += charge;
                if !held {
                    self.blocks
                        .insert(&key, encode_value(&cid, &data).as_slice())
                        .map_err(cas)?;
                }
                (self.staged_until_ms, charge)
            }
        };
        self.staged
            .insert(&key, (until, charge, self.owner.as_str()))
            .map_err(cas)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_cas::{MemoryBlocks, raw_cid};

    fn did(n: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(n).public_key())
    }

    const PLENTY: StagedQuota = StagedQuota {
        per_identity: 1 << 30,
        total: 1 << 32,
    };

    /// CARs of raw blocks, one per block (each its own root), and their CIDs.
    fn car_of(blocks: &[&[u8]]) -> (Vec<Cid>, Vec<Vec<u8>>) {
        blocks
            .iter()
            .map(|b| {
                let cid = raw_cid(b);
                let mut mem = MemoryBlocks::new();
                mem.put_block(cid, b.to_vec()).unwrap();
                let mut car = Vec::new();
                sovra_cas::car::export(&mem, &cid, &[], &cid, sovra_cas::dag::Scope::All, &mut car)
                    .unwrap();
                (cid, car)
            })
            .unzip()
    }

    fn import_all(store: &VaultStore, who: &Did, cars: &[Vec<u8>], until: u64) {
        for car in cars {
            store
                .import_car(who, &car[..], 1 << 20, until, PLENTY)
                .unwrap();
        }
    }

    fn open() -> (tempfile::TempDir, VaultStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = VaultStore::open(&dir.path().join("vault.redb")).unwrap();
        (dir, store)
    }

    /// A reader that hands out `head`, says so on `stalled`, then blocks until `release` is
    /// signalled, then ends: an upload whose client stops sending in the middle of its body.
    struct StalledBody {
        head: std::io::Cursor<Vec<u8>>,
        stalled: std::sync::mpsc::Sender<()>,
        release: std::sync::mpsc::Receiver<()>,
    }

    impl Read for StalledBody {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.head.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            let _ = self.stalled.send(());
            let _ = self.release.recv();
            Ok(0)
        }
    }

    #[test]
    fn a_stalled_upload_does_not_hold_up_other_writers() {
        let (_d, store) = open();
        let store = std::sync::Arc::new(store);
        let (a, b) = (did(1), did(2));
        let (_, cars) = car_of(&[b"a slow upload", b"a quick upload"]);
        let (release, released) = std::sync::mpsc::channel();
        let (stalled, reached_stall) = std::sync::mpsc::channel();
        let slow = {
            let store = store.clone();
            let head = cars[0][..cars[0].len() / 2].to_vec();
            std::thread::spawn(move || {
                let body = StalledBody {
                    head: std::io::Cursor::new(head),
                    stalled,
                    release: released,
                };
                store.import_car(&a, body, 1 << 20, u64::MAX, PLENTY)
            })
        };
        // While A's body is stalled, B's upload and a garbage collection pass go through.
        reached_stall.recv().unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        {
            let store = store.clone();
            let car = cars[1].clone();
            std::thread::spawn(move || {
                let upload = store.import_car(&b, &car[..], 1 << 20, u64::MAX, PLENTY);
                let gc = store.collect_garbage(&[], 0);
                let _ = done.send((upload.is_ok(), gc.is_ok()));
            });
        }
        let outcome = finished.recv_timeout(std::time::Duration::from_secs(20));
        release.send(()).unwrap();
        assert_eq!(
            outcome,
            Ok((true, true)),
            "other writers waited for a stalled upload"
        );
        // The stalled upload ends truncated: refused, nothing stored or charged.
        assert!(slow.join().unwrap().is_err());
        assert_eq!(store.staged_usage(&did(1)).unwrap().0, 0);
    }

    #[test]
    fn namespaces_do_not_share_blocks() {
        let (_d, store) = open();
        let (a, b) = (did(1), did(2));
        let (cids, cars) = car_of(&[b"ciphertext of a", b"keys of a"]);
        import_all(&store, &a, &cars, u64::MAX);
        assert!(store.get(&a, &cids[0]).unwrap().is_some());
        // B names the same CIDs: nothing in B's namespace.
        assert_eq!(store.get(&b, &cids[0]).unwrap(), None);
        assert!(!store.contains(&b, &cids[1]).unwrap());
        assert_eq!(store.held(&a, &cids).unwrap(), 2);
        assert_eq!(store.held(&b, &cids).unwrap(), 0);
        // A peer asking by A's key gets A's block; by B's key, nothing.
        let key_a = vault_block_key(&a, &cids[0]);
        assert_eq!(
            store.get_by_key(&key_a).unwrap().as_deref(),
            Some(&b"ciphertext of a"[..])
        );
        assert_eq!(
            store.get_by_key(&vault_block_key(&b, &cids[0])).unwrap(),
            None
        );
    }

    #[test]
    fn erasing_one_owner_deletes_its_copy_whoever_else_names_the_cids() {
        let (_d, store) = open();
        let (a, b) = (did(1), did(2));
        let (cids, cars) = car_of(&[b"victim ciphertext", b"victim keys"]);
        import_all(&store, &a, &cars, 0);
        // B's live record names A's CIDs; A's record is deleted (no live root of A).
        let live = vec![(b.clone(), cids[0]), (b.clone(), cids[1])];
        let stats = store.collect_garbage(&live, 1).unwrap();
        assert_eq!(stats.deleted, 2);
        assert_eq!(store.held(&a, &cids).unwrap(), 0);
        assert!(store.has_freed_pages());
        store.rewrite().unwrap();
        assert!(!store.has_freed_pages());
    }

    #[test]
    fn whole_dags_are_kept_and_erased_within_one_namespace() {
        let (_d, store) = open();
        let (a, b) = (did(1), did(2));
        let data: Vec<u8> = (0..700_000u32).map(|i| (i * 7 + i / 300) as u8).collect();
        let mut mem = MemoryBlocks::new();
        let root = sovra_cas::Adder::new(sovra_cas::Profile::default())
            .add_reader(&data[..], &mut mem)
            .unwrap()
            .cid;
        let mut car = Vec::new();
        sovra_cas::car::export(
            &mem,
            &root,
            &[],
            &root,
            sovra_cas::dag::Scope::All,
            &mut car,
        )
        .unwrap();
        let imported = store.import_car(&a, &car[..], 1 << 30, 0, PLENTY).unwrap();
        assert!(imported.blocks > 2);
        // A's live record keeps every block of the DAG; B naming the root keeps nothing.
        assert_eq!(
            store
                .collect_garbage(&[(a.clone(), root)], 1)
                .unwrap()
                .deleted,
            0
        );
        assert!(
            sovra_cas::dag::missing_blocks(&store.view(&a), &root, 10)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            sovra_cas::dag::missing_blocks(&store.view(&b), &root, 10).unwrap(),
            vec![root]
        );
        let stats = store.collect_garbage(&[(b.clone(), root)], 1).unwrap();
        assert_eq!(stats.deleted, imported.blocks);
        assert_eq!(store.block_count().unwrap(), 0);
    }

    #[test]
    fn live_roots_keep_their_own_namespace_only() {
        let (_d, store) = open();
        let (a, b) = (did(1), did(2));
        let (cids, cars) = car_of(&[b"same bytes"]);
        import_all(&store, &a, &cars, 0);
        import_all(&store, &b, &cars, 0);
        // Only A's record is live: B's copy goes, A's stays.
        store.collect_garbage(&[(a.clone(), cids[0])], 1).unwrap();
        assert!(store.contains(&a, &cids[0]).unwrap());
        assert!(!store.contains(&b, &cids[0]).unwrap());
        // Unstaging A's dead root and collecting with nothing live erases A's copy too.
        assert_eq!(store.unstage(&[(a.clone(), cids[0])]).unwrap(), 1);
        store.collect_garbage(&[], 1).unwrap();
        assert!(!store.contains(&a, &cids[0]).unwrap());
    }

    #[test]
    fn staged_uploads_are_bounded_per_identity_and_in_total() {
        let (_d, store) = open();
        let (a, b, c) = (did(1), did(2), did(3));
        let block = |n: u8| vec![n; 1000];
        let charge = 1000 + BLOCK_OVERHEAD;
        let quota = StagedQuota {
            per_identity: 2 * charge,
            total: 3 * charge,
        };
        let up = |who: &Did, n: u8| {
            let data = block(n);
            let (_, cars) = car_of(&[&data]);
            store.import_car(who, &cars[0][..], 1 << 20, u64::MAX, quota)
        };
        up(&a, 1).unwrap();
        up(&a, 2).unwrap();
        // The same block again costs nothing more.
        up(&a, 2).unwrap();
        assert_eq!(store.staged_usage(&a).unwrap(), (2 * charge, 2 * charge));
        assert!(matches!(up(&a, 3), Err(StoreError::Quota(_))));
        // Nothing of the refused upload was stored.
        assert!(!store.contains(&a, &raw_cid(&block(3))).unwrap());
        up(&b, 4).unwrap();
        // A third identity finds the node's total reached.
        assert!(matches!(up(&c, 5), Err(StoreError::Quota(_))));
        // A record of A anchoring block 1 settles it: A's charge comes back.
        let root = raw_cid(&block(1));
        assert_eq!(store.settle(&[(a.clone(), root)]).unwrap(), 1);
        assert_eq!(store.settle(&[(a.clone(), root)]).unwrap(), 0);
        assert_eq!(store.staged_usage(&a).unwrap(), (charge, 2 * charge));
        up(&c, 5).unwrap();
        // Ended grace periods are refunded too (block 1 stays: a live root reaches it).
        store
            .collect_garbage(&[(a.clone(), root)], u64::MAX)
            .unwrap();
        assert_eq!(store.staged_usage(&a).unwrap(), (0, 0));
        assert!(store.contains(&a, &root).unwrap());
        assert!(!store.contains(&b, &raw_cid(&block(4))).unwrap());
    }

    #[test]
    fn corrupt_blocks_are_discarded_on_read() {
        let (_d, store) = open();
        let a = did(1);
        let (cids, cars) = car_of(&[b"intact block"]);
        import_all(&store, &a, &cars, u64::MAX);
        store.corrupt_for_test(&a, &cids[0], b"rotten").unwrap();
        assert_eq!(
            store.get_by_key(&vault_block_key(&a, &cids[0])).unwrap(),
            None
        );
        assert!(!store.contains(&a, &cids[0]).unwrap());
        store.put(&a, &cids[0], b"intact block").unwrap();
        store.corrupt_for_test(&a, &cids[0], b"rotten").unwrap();
        assert_eq!(store.get(&a, &cids[0]).unwrap(), None);
        assert_eq!(store.corrupt_found(), 2);
        assert!(store.put(&a, &cids[0], b"not it").is_err());
    }

    #[test]
    fn blocks_of_the_old_format_are_dropped_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.redb");
        {
            let old = crate::ContentStore::open(&path).unwrap();
            old.put(&raw_cid(b"old"), b"old").unwrap();
        }
        let store = VaultStore::open(&path).unwrap();
        assert!(store.has_freed_pages(), "a rewrite must follow");
        assert_eq!(store.block_count().unwrap(), 0);
        store.rewrite().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(!bytes.windows(3).any(|w| w == b"old"));
    }
}
