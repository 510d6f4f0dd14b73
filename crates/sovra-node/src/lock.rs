//! The lock a running node holds on its data directory (`<data_dir>/LOCK`, an exclusive
//! advisory lock released when the process ends), so a second `sovra node` or `sovra devnet` on
//! a directory in use fails at once instead of starting half-way.

use std::fs::{File, TryLockError};
use std::path::Path;

use anyhow::{Context as _, Result, bail};

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
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => bail!(
            "the data directory {} is in use by another running node (stop it first)",
            data_dir.display()
        ),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("locking {}", path.display()))
        }
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
