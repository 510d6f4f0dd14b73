//! The lock a running node holds on its data directory (`<data_dir>/LOCK`, an exclusive
//! advisory lock released when the process ends), so a second `sovra node` or `sovra devnet` on
//! a directory in use fails at once instead of starting half-way.

use std::fs::{File, TryLockError};
use std::path::Path;

use crate::error::{NodeError, Result};

/// Name of the lock file inside a data directory.
pub const LOCK_FILE: &str = "LOCK";

/// A held data-directory lock; dropping it releases the lock.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes the lock of `data_dir` (created if missing), or fails saying it is in use.
pub fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock> {
    std::fs::create_dir_all(data_dir)
        .map_err(NodeError::file("creating data directory", data_dir))?;
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(NodeError::file("opening", &path))?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(NodeError::DataDirInUse(data_dir.to_path_buf())),
        Err(TryLockError::Error(e)) => Err(NodeError::file("locking", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_dir_is_locked_by_one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_data_dir(dir.path()).unwrap();
        let err = lock_data_dir(dir.path()).unwrap_err().to_string();
        assert!(err.contains("in use"), "{err}");
        drop(first);
        lock_data_dir(dir.path()).unwrap();
    }
}
