//! Reading state and buffering writes: [`StateReader`] is how execution sees
//! committed state; an [`Overlay`] layers uncommitted changes on top and can
//! be checkpointed so a failed transaction's actions are undone exactly.

use crate::ExecError;
use sovra_types::{StateKey, TypesError};
use std::collections::BTreeMap;

/// Changes to state: `Some(value)` writes, `None` deletes.
pub type Changes = BTreeMap<StateKey, Option<Vec<u8>>>;

/// Read access to a state version.
pub trait StateReader {
    /// The value stored under `key`, if any.
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, ExecError>;
}

impl<T: StateReader + ?Sized> StateReader for &T {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, ExecError> {
        (**self).get(key)
    }
}

/// A state held entirely in memory (tests, genesis, simulations).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryState {
    /// Current values.
    pub values: BTreeMap<StateKey, Vec<u8>>,
}

impl MemoryState {
    /// Applies a change set.
    pub fn apply(&mut self, changes: &Changes) {
        for (k, v) in changes {
            match v {
                Some(v) => {
                    self.values.insert(k.clone(), v.clone());
                }
                None => {
                    self.values.remove(k);
                }
            }
        }
    }
}

impl StateReader for MemoryState {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, ExecError> {
        Ok(self.values.get(key).cloned())
    }
}

/// Uncommitted writes over a base state.
pub struct Overlay<R> {
    base: R,
    committed: Changes,
    pending: Changes,
}

impl<R: StateReader> Overlay<R> {
    /// An empty overlay over `base`.
    pub fn new(base: R) -> Self {
        Self {
            base,
            committed: Changes::new(),
            pending: Changes::new(),
        }
    }

    /// Reads through pending, then committed writes, then the base.
    pub fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, ExecError> {
        if let Some(v) = self.pending.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.committed.get(key) {
            return Ok(v.clone());
        }
        self.base.get(key)
    }

    /// Reads `key` and decodes its value with `decode`; a value that does not decode is an
    /// error (the state is corrupt), never taken for an absent one.
    pub fn get_decoded<T>(
        &self,
        key: &StateKey,
        decode: impl FnOnce(&[u8]) -> Result<T, TypesError>,
    ) -> Result<Option<T>, ExecError> {
        self.get(key)?
            .map(|bytes| {
                decode(&bytes).map_err(|source| ExecError::Corrupt {
                    key: Box::new(key.clone()),
                    source,
                })
            })
            .transpose()
    }

    /// Buffers a write.
    pub fn set(&mut self, key: StateKey, value: Vec<u8>) {
        self.pending.insert(key, Some(value));
    }

    /// Buffers a deletion.
    pub fn delete(&mut self, key: StateKey) {
        self.pending.insert(key, None);
    }

    /// Keeps the pending writes.
    pub fn checkpoint(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.committed.extend(pending);
    }

    /// Drops the pending writes.
    pub fn rollback(&mut self) {
        self.pending.clear();
    }

    /// All kept writes (pending ones are dropped).
    pub fn into_changes(self) -> Changes {
        self.committed
    }
}
