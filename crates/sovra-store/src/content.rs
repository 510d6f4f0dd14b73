//! Node-local content blocks in redb: every block keyed by its multihash, verified against its
//! CID on every read, with staged uploads, pinned-root bookkeeping and garbage collection.
//!
//! A block found corrupt on read is deleted at once and reported as absent, so the caller
//! fetches it again from a peer (self-healing). Deleting a block really removes its bytes from
//! the database file's live pages (redb reuses the freed pages).

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use sovra_cas::car::{self, CarImport};
use sovra_cas::{BlockSink, BlockSource, CasError, Cid, block::block_key, verify_block};

use crate::StoreError;
use crate::block_file::{BlockFile, copy_table};
use crate::spool::Allowance;

/// redb page cache of the content store: content is read once per request and streamed, so a
/// small cache is enough and bounds the node's memory during large uploads.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
/// Blocks uploaded recently: block key -> end of their grace period (unix milliseconds). Until
/// then garbage collection keeps them even if nothing pins them, so a client can upload first
/// and pin after.
const STAGED: TableDefinition<&[u8], u64> = TableDefinition::new("staged");
/// Bytes of unpinned uploads charged to an uploader: (uploader DID, end of the charge in unix
/// milliseconds) -> bytes. Ends are rounded up to a time bucket (see [`UploadCharge`]), so an
/// uploader has few rows.
const CHARGES: TableDefinition<(&[u8], u64), u64> = TableDefinition::new("upload_charges");
/// The same charges summed over all uploaders: end of the charge -> bytes.
const CHARGES_TOTAL: TableDefinition<u64, u64> = TableDefinition::new("upload_charges_total");
/// Time buckets per grace period: a charge outlives its upload's grace period by at most
/// 1/16 of it, and each uploader has at most 17 live charge rows.
const BUCKETS_PER_GRACE: u64 = 16;
/// Flags: `freed` is present once blocks were deleted and until the file is rewritten, so the
/// need for a rewrite survives a restart.
const FLAGS: TableDefinition<&str, u64> = TableDefinition::new("flags");
const FREED: &str = "freed";

/// Counts from a garbage collection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GcStats {
    /// Blocks kept (reachable from a pinned or staged root).
    pub kept: u64,
    /// Blocks deleted.
    pub deleted: u64,
    /// Bytes deleted.
    pub deleted_bytes: u64,
}

/// Who pays for an upload, and the bounds on unpinned uploads: bytes uploaded within the grace
/// period count against the uploader's quota and the node's total, pinned later or not, until
/// the grace period of their upload ends.
#[derive(Debug, Clone)]
pub struct UploadCharge {
    /// The uploader (a DID, as text).
    pub uploader: String,
    /// Most bytes one uploader may have within the grace period.
    pub per_identity: u64,
    /// Most bytes all uploaders together may have within the grace period.
    pub total: u64,
    /// The upload grace period, in milliseconds.
    pub grace_ms: u64,
    /// Now, in unix milliseconds.
    pub now_ms: u64,
}

impl UploadCharge {
    /// When a charge made now ends: the end of the grace period, rounded up to a time bucket.
    fn ends_ms(&self) -> u64 {
        let bucket_ms = (self.grace_ms / BUCKETS_PER_GRACE).max(1);
        (self.now_ms / bucket_ms)
            .saturating_add(1)
            .saturating_mul(bucket_ms)
            .saturating_add(self.grace_ms)
    }

    /// Whether a charge ending at `ends_ms` still counts.
    fn live(&self, ends_ms: u64) -> bool {
        ends_ms > self.now_ms
    }
}

/// The node's content block store.
pub struct ContentStore {
    file: BlockFile,
}

impl ContentStore {
    /// Opens or creates the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let file = BlockFile::open(path, CACHE_BYTES, |w| {
            w.open_table(BLOCKS)?;
            w.open_table(STAGED)?;
            w.open_table(CHARGES)?;
            w.open_table(CHARGES_TOTAL)?;
            Ok(w.open_table(FLAGS)?.get(FREED)?.is_some())
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

    /// Rewrites the database into a fresh file holding only live blocks and replaces the old
    /// file with it, so no freed page with deleted data survives in the data directory (redb
    /// reuses freed pages but does not overwrite them). Readers wait while it runs. A crash
    /// leaves either the old file or the complete new one.
    pub fn rewrite(&self) -> Result<(), StoreError> {
        self.file.rewrite(|from, to| {
            copy_table(from, to, BLOCKS)?;
            copy_table(from, to, STAGED)?;
            copy_table(from, to, CHARGES)?;
            copy_table(from, to, CHARGES_TOTAL)
        })
    }

    /// Number of corrupt blocks found (and discarded) since the store was opened.
    pub fn corrupt_found(&self) -> u64 {
        self.file.corrupt_found()
    }

    /// Whether the block's bytes are held (without verifying them).
    pub fn contains(&self, cid: &Cid) -> Result<bool, StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        Ok(t.get(block_key(cid).as_slice())?.is_some())
    }

    /// Stores one block after verifying it. Idempotent.
    pub fn put(&self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        verify_block(cid, data).map_err(cas_err)?;
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        {
            let mut t = w.open_table(BLOCKS)?;
            t.insert(block_key(cid).as_slice(), data)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Deletes one block; returns whether it was held.
    pub fn remove(&self, cid: &Cid) -> Result<bool, StoreError> {
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        let removed = {
            let mut t = w.open_table(BLOCKS)?;
            let removed = t.remove(block_key(cid).as_slice())?.is_some();
            if removed {
                w.open_table(FLAGS)?.insert(FREED, 1)?;
            }
            removed
        };
        if removed {
            self.file.note_freed();
        }
        w.commit()?;
        Ok(removed)
    }

    /// Overwrites a block's bytes without verification. Only for tests and fault injection.
    #[doc(hidden)]
    pub fn corrupt_for_test(&self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        {
            let mut t = w.open_table(BLOCKS)?;
            t.insert(block_key(cid).as_slice(), data)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Imports a CAR of at most `max_bytes` from a trusted local source (uploads go through
    /// [`Self::import_car_charged`]) atomically: every block is verified, and nothing is stored
    /// unless the whole CAR is valid. Its blocks are kept at least until `staged_until_ms`.
    pub fn import_car(
        &self,
        input: impl Read,
        max_bytes: u64,
        staged_until_ms: u64,
    ) -> Result<CarImport, StoreError> {
        let input = self.file.spool(input, max_bytes)?;
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        let imported = {
            let mut blocks = w.open_table(BLOCKS)?;
            let mut staged = w.open_table(STAGED)?;
            let mut sink = TableSink {
                blocks: &mut blocks,
                staged: &mut staged,
                staged_until_ms,
            };
            car::import(input, max_bytes, &mut sink).map_err(cas_err)?
        };
        // Dropping `w` on an error above aborts the transaction: nothing is stored.
        w.commit()?;
        Ok(imported)
    }

    /// Imports an upload like [`Self::import_car`], charged to `charge.uploader`: the CAR may be
    /// no larger than `max_bytes` nor than what is left of the uploader's quota and of the
    /// node's total, less what the uploader's (and, for the total, everyone's) uploads still in
    /// progress have reserved ([`StoreError::Busy`] when only those keep it out); no more than
    /// that is read from `input`. Its block bytes are charged in the same transaction. A
    /// refused upload stores and charges nothing.
    pub fn import_car_charged(
        &self,
        input: impl Read,
        max_bytes: u64,
        charge: &UploadCharge,
    ) -> Result<CarImport, StoreError> {
        let spooled = self.file.spool_upload(&charge.uploader, input, || {
            let (mine, all) = self.charged(charge)?;
            Ok(Allowance {
                max_bytes,
                uploader_left: charge.per_identity.saturating_sub(mine),
                total_left: charge.total.saturating_sub(all),
            })
        })?;
        let input = &spooled.file;
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        let imported = {
            let mut charges = w.open_table(CHARGES)?;
            let mut totals = w.open_table(CHARGES_TOTAL)?;
            let uploader = charge.uploader.as_bytes();
            // Forget this uploader's and the node's expired charges, and sum the live ones.
            let mut used_by_uploader = 0u64;
            let mut expired = Vec::new();
            for item in charges.range((uploader, 0)..=(uploader, u64::MAX))? {
                let (k, v) = item?;
                let bucket = k.value().1;
                if charge.live(bucket) {
                    used_by_uploader = used_by_uploader.saturating_add(v.value());
                } else {
                    expired.push(bucket);
                }
            }
            for bucket in expired {
                charges.remove((uploader, bucket))?;
            }
            totals.retain(|bucket, _| charge.live(bucket))?;
            let used_total = live_sum(
                totals
                    .iter()?
                    .map(|item| item.map(|(k, v)| (k.value(), v.value()))),
                charge,
            )?;
            let left_uploader = charge.per_identity.saturating_sub(used_by_uploader);
            let left_total = charge.total.saturating_sub(used_total);
            let quota_left = left_uploader.min(left_total);
            let quota_message = || {
                if left_uploader <= left_total {
                    format!(
                        "{} has {used_by_uploader} of its {} bytes of unpinned uploads in use (uploads count for {} s)",
                        charge.uploader,
                        charge.per_identity,
                        charge.grace_ms / 1000
                    )
                } else {
                    format!(
                        "this node holds {used_total} of its {} bytes of unpinned uploads; retry later",
                        charge.total
                    )
                }
            };
            if quota_left == 0 {
                return Err(StoreError::Quota(quota_message()));
            }
            // The spool holds at most one byte past its reservation, which may be less than
            // this transaction finds left (charges expired meanwhile).
            let limit = max_bytes.min(quota_left).min(spooled.limit);
            let mut blocks = w.open_table(BLOCKS)?;
            let mut staged = w.open_table(STAGED)?;
            let mut sink = TableSink {
                blocks: &mut blocks,
                staged: &mut staged,
                staged_until_ms: charge.now_ms.saturating_add(charge.grace_ms),
            };
            let imported = match car::import(input, limit, &mut sink) {
                Ok(imported) => imported,
                Err(CasError::CarTooLarge { .. }) => {
                    return Err(if limit < max_bytes {
                        StoreError::Quota(quota_message())
                    } else {
                        StoreError::TooLarge(format!("uploads are limited to {max_bytes} bytes"))
                    });
                }
                Err(e) => return Err(cas_err(e)),
            };
            let bucket = charge.ends_ms();
            let prev = charges
                .get((uploader, bucket))?
                .map(|v| v.value())
                .unwrap_or(0);
            charges.insert((uploader, bucket), prev.saturating_add(imported.bytes))?;
            let prev = totals.get(bucket)?.map(|v| v.value()).unwrap_or(0);
            totals.insert(bucket, prev.saturating_add(imported.bytes))?;
            imported
        };
        // Dropping `w` on an error above aborts the transaction: nothing is stored or charged.
        w.commit()?;
        // The reservation ends only now that the charge is in the database.
        drop(spooled);
        Ok(imported)
    }

    /// Bytes of unpinned uploads still charged to `uploader` at `charge.now_ms`, and to all.
    pub fn charged(&self, charge: &UploadCharge) -> Result<(u64, u64), StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        let uploader = charge.uploader.as_bytes();
        let mine = live_sum(
            r.open_table(CHARGES)?
                .range((uploader, 0)..=(uploader, u64::MAX))?
                .map(|item| item.map(|(k, v)| (k.value().1, v.value()))),
            charge,
        )?;
        let all = live_sum(
            r.open_table(CHARGES_TOTAL)?
                .iter()?
                .map(|item| item.map(|(k, v)| (k.value(), v.value()))),
            charge,
        )?;
        Ok((mine, all))
    }

    /// Number of blocks and their total bytes.
    pub fn usage(&self) -> Result<(u64, u64), StoreError> {
        let db = self.db();
        let r = db.begin_read()?;
        let t = r.open_table(BLOCKS)?;
        let mut bytes = 0u64;
        for item in t.iter()? {
            let (_, v) = item?;
            bytes += v.value().len() as u64;
        }
        Ok((t.len()?, bytes))
    }

    /// Deletes every block that is neither reachable from `roots` (the pinned roots) nor within
    /// its upload grace period at `now_ms`, and forgets expired grace periods. Blocks missing
    /// under a root are skipped, not an error: replication fetches them separately.
    pub fn collect_garbage(&self, roots: &[Cid], now_ms: u64) -> Result<GcStats, StoreError> {
        let mut live: HashSet<Vec<u8>> = HashSet::new();
        for root in roots {
            self.mark(root, &mut live)?;
        }
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        let mut stats = GcStats::default();
        {
            let mut staged = w.open_table(STAGED)?;
            staged.retain(|_, until| until > now_ms)?;
            w.open_table(CHARGES)?
                .retain(|(_, ends), _| ends > now_ms)?;
            w.open_table(CHARGES_TOTAL)?
                .retain(|ends, _| ends > now_ms)?;
            let mut t = w.open_table(BLOCKS)?;
            let mut dead = Vec::new();
            for item in t.iter()? {
                let (k, v) = item?;
                if live.contains(k.value()) || staged.get(k.value())?.is_some() {
                    stats.kept += 1;
                } else {
                    stats.deleted_bytes += v.value().len() as u64;
                    dead.push(k.value().to_vec());
                }
            }
            for key in dead {
                t.remove(key.as_slice())?;
                stats.deleted += 1;
            }
            if stats.deleted > 0 {
                w.open_table(FLAGS)?.insert(FREED, 1)?;
                self.file.note_freed();
            }
        }
        w.commit()?;
        Ok(stats)
    }

    /// Ends the upload grace period of every block of the DAGs under `roots` (those held), so
    /// the next [`Self::collect_garbage`] deletes them unless a live root still reaches them.
    /// Used to erase private records promptly. Returns how many blocks were held.
    pub fn unstage(&self, roots: &[Cid]) -> Result<u64, StoreError> {
        let mut reached = HashSet::new();
        for root in roots {
            self.mark(root, &mut reached)?;
        }
        // The guard keeps a rewrite from swapping the file before this commits.
        let db = self.db();
        let w = db.begin_write()?;
        let mut held = 0;
        {
            let mut staged = w.open_table(STAGED)?;
            let blocks = w.open_table(BLOCKS)?;
            for key in &reached {
                staged.remove(key.as_slice())?;
                if blocks.get(key.as_slice())?.is_some() {
                    held += 1;
                }
            }
        }
        w.commit()?;
        Ok(held)
    }

    fn mark(&self, root: &Cid, live: &mut HashSet<Vec<u8>>) -> Result<(), StoreError> {
        let mut stack = vec![(*root, 0usize)];
        while let Some((cid, depth)) = stack.pop() {
            if depth > sovra_cas::limits::MAX_DAG_DEPTH || !live.insert(block_key(&cid)) {
                continue;
            }
            // A raw block links nothing: marking it needs no read (the replicator's scrub
            // verifies held blocks).
            if cid.codec() == sovra_cas::block::RAW {
                continue;
            }
            let Some(data) = self.get_block(&cid).map_err(cas_err)? else {
                continue;
            };
            if let Ok(links) = sovra_cas::links::links(&cid, &data) {
                stack.extend(links.into_iter().map(|l| (l, depth + 1)));
            }
        }
        Ok(())
    }
}

impl BlockSource for ContentStore {
    fn has_block(&self, cid: &Cid) -> Result<bool, CasError> {
        if cid.hash().code() == sovra_cas::block::IDENTITY {
            return Ok(true);
        }
        self.contains(cid).map_err(CasError::store)
    }

    /// Reads and verifies a block. A block whose bytes no longer match is deleted and reported
    /// as absent, so that it is fetched again.
    fn get_block(&self, cid: &Cid) -> Result<Option<Vec<u8>>, CasError> {
        let data = {
            let r = self.db().begin_read().map_err(store_cas_err)?;
            let t = r.open_table(BLOCKS).map_err(store_cas_err)?;
            match t.get(block_key(cid).as_slice()).map_err(store_cas_err)? {
                Some(v) => v.value().to_vec(),
                None => return Ok(None),
            }
        };
        match verify_block(cid, &data) {
            Ok(()) => Ok(Some(data)),
            Err(CasError::HashMismatch(_)) => {
                self.file.note_corrupt();
                tracing::warn!(%cid, "discarding corrupt content block");
                self.remove(cid).map_err(CasError::store)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// Writes blocks, and their grace period, into open redb tables inside the caller's transaction.
struct TableSink<'a, 't> {
    blocks: &'a mut redb::Table<'t, &'static [u8], &'static [u8]>,
    staged: &'a mut redb::Table<'t, &'static [u8], u64>,
    staged_until_ms: u64,
}

impl BlockSink for TableSink<'_, '_> {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        let key = block_key(&cid);
        self.blocks
            .insert(key.as_slice(), data.as_slice())
            .map_err(store_cas_err)?;
        self.staged
            .insert(key.as_slice(), self.staged_until_ms)
            .map_err(store_cas_err)?;
        Ok(())
    }
}

/// Stores blocks one by one as they are produced (used by `sovra add` on the node side).
impl BlockSink for &ContentStore {
    fn put_block(&mut self, cid: Cid, data: Vec<u8>) -> Result<(), CasError> {
        self.put(&cid, &data).map_err(CasError::store)
    }
}

/// The sum of the charges (end, bytes) that are still live.
fn live_sum(
    charges: impl Iterator<Item = Result<(u64, u64), redb::StorageError>>,
    charge: &UploadCharge,
) -> Result<u64, StoreError> {
    let mut sum = 0u64;
    for item in charges {
        let (ends, bytes) = item?;
        if charge.live(ends) {
            sum = sum.saturating_add(bytes);
        }
    }
    Ok(sum)
}

fn cas_err(e: CasError) -> StoreError {
    StoreError::Content(e)
}

fn store_cas_err(e: impl Into<redb::Error>) -> CasError {
    CasError::store(e.into())
}
