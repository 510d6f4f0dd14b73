//! The redb file of a block store (public content, vault), with what both stores need around
//! it: a lock that lets a rewrite swap the file, the count of corrupt blocks found, and whether
//! deleted data may still sit in freed pages. Rewriting copies what is live into a fresh file,
//! so that no freed page of the old one (redb reuses freed pages but does not overwrite them)
//! survives in the data directory.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, TableDefinition, Value, WriteTransaction,
};

use crate::StoreError;
use crate::spool::{Allowance, Reservations, Spooled, copy_to_temp};

/// A block store's database file.
pub(crate) struct BlockFile {
    /// The database; replaced by [`BlockFile::rewrite`].
    db: RwLock<Database>,
    path: PathBuf,
    cache_bytes: usize,
    corrupt_found: AtomicU64,
    /// Blocks were deleted since the file was last rewritten: their bytes may still sit in
    /// freed pages of the file.
    freed: AtomicBool,
    /// Bytes reserved by uploads being spooled or imported.
    uploads: Reservations,
}

impl BlockFile {
    /// Opens or creates the database at `path`; `init` creates its tables in the first write
    /// transaction and says whether a rewrite is still due (a flag the store keeps on disk).
    pub(crate) fn open(
        path: &Path,
        cache_bytes: usize,
        init: impl FnOnce(&WriteTransaction) -> Result<bool, StoreError>,
    ) -> Result<Self, StoreError> {
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(path)?;
        let w = db.begin_write()?;
        let freed = init(&w)?;
        w.commit()?;
        Ok(Self {
            db: RwLock::new(db),
            path: path.to_path_buf(),
            cache_bytes,
            corrupt_found: AtomicU64::new(0),
            freed: AtomicBool::new(freed),
            uploads: Reservations::default(),
        })
    }

    /// The directory of the database, where uploads are spooled.
    fn spool_dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Copies at most `max_bytes + 1` bytes of a trusted local input into an anonymous file
    /// beside the database and returns it rewound (see [`Self::spool_upload`] for uploads).
    pub(crate) fn spool(&self, input: impl Read, max_bytes: u64) -> Result<File, StoreError> {
        copy_to_temp(self.spool_dir(), input, max_bytes.saturating_add(1)).map(|(file, _)| file)
    }

    /// Copies an upload of `uploader` into an anonymous file beside the database, within a
    /// reservation against `allowance` (see [`Reservations::spool`]), and returns it rewound.
    ///
    /// Imports read the upload from this file, never from the network, while they hold the
    /// database's write transaction: redb has one writer at a time, so a client that sends its
    /// body slowly would otherwise stall every write of the store (other uploads, replication,
    /// garbage collection) for as long as it likes. Keep the returned [`Spooled`] until the
    /// import's transaction has committed or aborted: it holds the reservation.
    pub(crate) fn spool_upload(
        &self,
        uploader: &str,
        input: impl Read,
        allowance: impl FnOnce() -> Result<Allowance, StoreError>,
    ) -> Result<Spooled, StoreError> {
        self.uploads
            .spool(self.spool_dir(), uploader, input, allowance)
    }

    /// The database. Holding the guard keeps a rewrite from swapping the file meanwhile.
    pub(crate) fn db(&self) -> RwLockReadGuard<'_, Database> {
        self.db
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether blocks were deleted since the file was last rewritten.
    pub(crate) fn has_freed_pages(&self) -> bool {
        self.freed.load(Ordering::SeqCst)
    }

    /// Notes that blocks were deleted (after the deleting transaction commits).
    pub(crate) fn note_freed(&self) {
        self.freed.store(true, Ordering::SeqCst);
    }

    /// Counts a corrupt block found (and discarded).
    pub(crate) fn note_corrupt(&self) {
        self.corrupt_found.fetch_add(1, Ordering::Relaxed);
    }

    /// Corrupt blocks found since the file was opened.
    pub(crate) fn corrupt_found(&self) -> u64 {
        self.corrupt_found.load(Ordering::Relaxed)
    }

    /// Replaces the file by a fresh one holding what `copy` copies (see [`copy_table`]).
    /// Readers wait while it runs.
    pub(crate) fn rewrite(
        &self,
        copy: impl FnOnce(&ReadTransaction, &Database) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut guard = self.db.write().unwrap_or_else(|p| p.into_inner());
        self.freed.store(false, Ordering::SeqCst);
        rewrite_database(&mut guard, &self.path, self.cache_bytes, copy)
    }
}

/// Bytes copied per write transaction of the fresh file.
const BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// Replaces `db` (whose file is `path`) by a fresh database holding what `copy` copies from a
/// read transaction of the old one. A crash leaves either the old file or the complete new one.
fn rewrite_database(
    db: &mut Database,
    path: &Path,
    cache_bytes: usize,
    copy: impl FnOnce(&ReadTransaction, &Database) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let tmp = path.with_extension("rewrite");
    let _ = std::fs::remove_file(&tmp);
    {
        let fresh = Database::builder()
            .set_cache_size(cache_bytes)
            .create(&tmp)?;
        copy(&db.begin_read()?, &fresh)?;
    }
    std::fs::rename(&tmp, path).map_err(|source| StoreError::Replace {
        path: path.to_path_buf(),
        source,
    })?;
    *db = Database::builder()
        .set_cache_size(cache_bytes)
        .create(path)?;
    Ok(())
}

/// Copies every entry of `table` from `from` into `to`, in write transactions of bounded size
/// (the table is created in `to` even when it is empty).
pub(crate) fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &Database,
    table: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let source = from.open_table(table)?;
    let mut items = redb::ReadableTable::iter(&source)?;
    loop {
        let w = to.begin_write()?;
        let mut more = false;
        {
            let mut t = w.open_table(table)?;
            let mut copied = 0u64;
            for item in items.by_ref() {
                let (k, v) = item?;
                let value = v.value();
                copied += V::as_bytes(&value).as_ref().len() as u64;
                t.insert(k.value(), value)?;
                if copied >= BATCH_BYTES {
                    more = true;
                    break;
                }
            }
        }
        w.commit()?;
        if !more {
            return Ok(());
        }
    }
}
