//! Upload spooling under reservations: an upload is copied into an anonymous temporary file
//! before its import takes the store's one write transaction (so that a client sending its body
//! slowly cannot stall every writer), and the bytes it may copy are reserved first against what
//! is left of its uploader's quota and of the node's total, minus what uploads still in
//! progress have reserved. The temporary disk one identity can fill is therefore bounded by
//! what it may still store, however many uploads it runs at once, and all uploads together by
//! what the node may still accept; an upload that only the reservations of others in progress
//! keep out is refused as busy, to be retried.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::StoreError;

/// Bytes reserved by uploads in progress, per uploader and in all.
#[derive(Default)]
struct Book {
    by_uploader: HashMap<String, u64>,
    total: u64,
}

/// The reservations of one store's uploads in progress.
#[derive(Default)]
pub(crate) struct Reservations {
    book: Arc<Mutex<Book>>,
}

/// What an upload may take before uploads in progress are counted.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Allowance {
    /// The most bytes one upload may have.
    pub(crate) max_bytes: u64,
    /// What is left of the uploader's quota.
    pub(crate) uploader_left: u64,
    /// What is left of the node's total.
    pub(crate) total_left: u64,
}

impl Allowance {
    /// The most this upload may take with nothing else in progress.
    fn alone(&self) -> u64 {
        self.max_bytes.min(self.uploader_left).min(self.total_left)
    }
}

/// An upload copied to a temporary file, with its reservation (released when dropped).
pub(crate) struct Spooled {
    /// The copy, rewound; removed by the system when closed (or after a crash).
    pub(crate) file: File,
    /// The bytes reserved for it: the file holds at most one byte more, which makes the
    /// importer, given this as its limit, report the upload as too large.
    pub(crate) limit: u64,
    _reservation: Reservation,
}

/// Bytes reserved for one upload in progress.
struct Reservation {
    book: Arc<Mutex<Book>>,
    uploader: String,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut book = lock(&self.book);
        book.total = book.total.saturating_sub(self.bytes);
        if let Some(mine) = book.by_uploader.get_mut(&self.uploader) {
            *mine = mine.saturating_sub(self.bytes);
            if *mine == 0 {
                book.by_uploader.remove(&self.uploader);
            }
        }
    }
}

fn lock(book: &Mutex<Book>) -> MutexGuard<'_, Book> {
    book.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Reservations {
    /// Reserves what `uploader`'s next upload may take and copies the upload into a temporary
    /// file in `dir`. `allowance` is read under the reservations' lock, and the reservation is
    /// released only after the import's transaction has committed or aborted (the caller
    /// drops [`Spooled`] after it), so usage read here counts every finished upload exactly
    /// once or, briefly, twice, never not at all.
    ///
    /// Refused, with nothing read: [`StoreError::Busy`] when uploads of this uploader (or of
    /// anyone, for the node's total) in progress hold all that is left. Refused after reading:
    /// [`StoreError::Busy`] when the upload is larger than its reservation but would fit with
    /// nothing else in progress. Otherwise the importer checks the size against
    /// [`Spooled::limit`] and says which limit an upload over it exceeds.
    pub(crate) fn spool(
        &self,
        dir: &Path,
        uploader: &str,
        input: impl Read,
        allowance: impl FnOnce() -> Result<Allowance, StoreError>,
    ) -> Result<Spooled, StoreError> {
        let (reservation, (mine, all), alone) = {
            let mut book = lock(&self.book);
            let allowance = allowance()?;
            let alone = allowance.alone();
            let (mine, all) = (
                book.by_uploader.get(uploader).copied().unwrap_or(0),
                book.total,
            );
            let bytes = alone
                .min(allowance.uploader_left.saturating_sub(mine))
                .min(allowance.total_left.saturating_sub(all));
            if bytes == 0 && alone > 0 {
                return Err(busy(uploader, mine, all));
            }
            *book.by_uploader.entry(uploader.to_string()).or_default() += bytes;
            book.total = all.saturating_add(bytes);
            let reservation = Reservation {
                book: self.book.clone(),
                uploader: uploader.to_string(),
                bytes,
            };
            (reservation, (mine, all), alone)
        };
        let (file, len) = copy_to_temp(dir, input, reservation.bytes.saturating_add(1))?;
        if len > reservation.bytes && reservation.bytes < alone {
            return Err(busy(uploader, mine, all));
        }
        Ok(Spooled {
            file,
            limit: reservation.bytes,
            _reservation: reservation,
        })
    }
}

fn busy(uploader: &str, mine: u64, all: u64) -> StoreError {
    StoreError::Busy(format!(
        "uploads in progress hold {mine} bytes of {uploader}'s quota and {all} bytes of this \
         node's; retry when they have finished"
    ))
}

/// Copies at most `max_bytes` of `input` into an anonymous file in `dir` (removed when closed,
/// and by the system after a crash); returns it rewound, with its length. A failing read is the
/// upload's error (a client that went away), a failing write the node's.
pub(crate) fn copy_to_temp(
    dir: &Path,
    input: impl Read,
    max_bytes: u64,
) -> Result<(File, u64), StoreError> {
    let err = |source| StoreError::Spool {
        dir: dir.to_path_buf(),
        source,
    };
    let mut file = tempfile::tempfile_in(dir).map_err(err)?;
    let mut input = input.take(max_bytes);
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StoreError::Content(sovra_cas::CasError::CarRead(e))),
        };
        file.write_all(&buf[..n]).map_err(err)?;
        len += n as u64;
    }
    file.seek(SeekFrom::Start(0)).map_err(err)?;
    Ok((file, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowance(max_bytes: u64, uploader_left: u64, total_left: u64) -> Allowance {
        Allowance {
            max_bytes,
            uploader_left,
            total_left,
        }
    }

    #[test]
    fn a_second_upload_gets_only_what_the_first_left() {
        let dir = tempfile::tempdir().unwrap();
        let r = Reservations::default();
        let first = r
            .spool(dir.path(), "alice", &[1u8; 10][..], || {
                Ok(allowance(100, 60, 1000))
            })
            .unwrap();
        assert_eq!(first.limit, 60);
        // Alice's second upload may take nothing more while the first is in progress.
        let err = r
            .spool(dir.path(), "alice", &[1u8; 10][..], || {
                Ok(allowance(100, 60, 1000))
            })
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Busy(_)), "{err}");
        // Bob is not held up by Alice.
        let bob = r
            .spool(dir.path(), "bob", &[1u8; 10][..], || {
                Ok(allowance(100, 60, 1000))
            })
            .unwrap();
        assert_eq!(bob.limit, 60);
        drop(first);
        let again = r
            .spool(dir.path(), "alice", &[1u8; 10][..], || {
                Ok(allowance(100, 60, 1000))
            })
            .unwrap();
        assert_eq!(again.limit, 60);
    }

    #[test]
    fn the_node_total_bounds_everyone_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let r = Reservations::default();
        let a = r
            .spool(dir.path(), "a", &[0u8; 5][..], || {
                Ok(allowance(100, 100, 70))
            })
            .unwrap();
        assert_eq!(a.limit, 70);
        let err = r
            .spool(dir.path(), "b", &[0u8; 5][..], || {
                Ok(allowance(100, 100, 70))
            })
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Busy(_)), "{err}");
        drop(a);
        assert!(r.lock_is_empty());
    }

    #[test]
    fn a_spool_copies_at_most_one_byte_past_its_reservation() {
        let dir = tempfile::tempdir().unwrap();
        let r = Reservations::default();
        // Alone, the upload is over the uploader's quota: the importer reports it.
        let mut s = r
            .spool(dir.path(), "a", &[7u8; 1000][..], || {
                Ok(allowance(100, 10, 1000))
            })
            .unwrap();
        assert_eq!(s.limit, 10);
        let mut copied = Vec::new();
        s.file.read_to_end(&mut copied).unwrap();
        assert_eq!(copied.len(), 11);
        drop(s);
        // Over a reservation that others in progress made smaller: busy.
        let _held = r
            .spool(dir.path(), "a", &[7u8; 5][..], || {
                Ok(allowance(100, 30, 1000))
            })
            .unwrap();
        // The first reserved all 30; a fresh allowance of 40 leaves 10 for this one.
        let err = r
            .spool(dir.path(), "a", &[7u8; 20][..], || {
                Ok(allowance(100, 40, 1000))
            })
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Busy(_)), "{err}");
    }

    #[test]
    fn an_exhausted_quota_reserves_nothing_and_leaves_it_to_the_importer() {
        let dir = tempfile::tempdir().unwrap();
        let r = Reservations::default();
        let s = r
            .spool(dir.path(), "a", &[7u8; 5][..], || {
                Ok(allowance(100, 0, 1000))
            })
            .unwrap();
        assert_eq!(s.limit, 0);
        drop(s);
        assert!(r.lock_is_empty());
    }

    impl Reservations {
        fn lock_is_empty(&self) -> bool {
            let book = lock(&self.book);
            book.total == 0 && book.by_uploader.is_empty()
        }
    }
}
