//! Reading state and buffering writes: [`StateReader`] is how execution sees
//! committed state; an [`Overlay`] layers uncommitted changes on top and can
//! be checkpointed so a failed transaction's actions are undone exactly.

use crate::ExecError;
use sovra_types::{StateKey, TypesError};
use std::{
    any::Any,
    cell::RefCell,
    collections::{BTreeMap, HashMap},
    rc::Rc,
};

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
    /// Values decoded by [`Overlay::get_shared`], until their key is written or rolled back.
    decoded: RefCell<HashMap<StateKey, Rc<dyn Any>>>,
}

impl<R: StateReader> Overlay<R> {
    /// An empty overlay over `base`.
    pub fn new(base: R) -> Self {
        Self {
            base,
            committed: Changes::new(),
            pending: Changes::new(),
            decoded: RefCell::default(),
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

    /// [`Overlay::get_decoded`] for records many transactions of a block read and few write
    /// (an asset class): decoded once, then shared until the key is written or a rollback
    /// drops a write of it. `T` must be the only type `key` is read as.
    pub fn get_shared<T: 'static>(
        &self,
        key: &StateKey,
        decode: impl FnOnce(&[u8]) -> Result<T, TypesError>,
    ) -> Result<Option<Rc<T>>, ExecError> {
        if let Some(hit) = self.decoded.borrow().get(key)
            && let Ok(value) = hit.clone().downcast::<T>()
        {
            return Ok(Some(value));
        }
        let Some(value) = self.get_decoded(key, decode)? else {
            return Ok(None);
        };
        let value = Rc::new(value);
        self.decoded
            .borrow_mut()
            .insert(key.clone(), value.clone() as Rc<dyn Any>);
        Ok(Some(value))
    }

    /// Buffers a write.
    pub fn set(&mut self, key: StateKey, value: Vec<u8>) {
        self.decoded.get_mut().remove(&key);
        self.pending.insert(key, Some(value));
    }

    /// Buffers a deletion.
    pub fn delete(&mut self, key: StateKey) {
        self.decoded.get_mut().remove(&key);
        self.pending.insert(key, None);
    }

    /// Keeps the pending writes.
    pub fn checkpoint(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.committed.extend(pending);
    }

    /// Drops the pending writes.
    pub fn rollback(&mut self) {
        let decoded = self.decoded.get_mut();
        for key in self.pending.keys() {
            decoded.remove(key);
        }
        self.pending.clear();
    }

    /// All kept writes (pending ones are dropped).
    pub fn into_changes(self) -> Changes {
        self.committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_types::state::{MetaKey, decode_u64, encode_u64};

    /// A shared decoded value follows every write, checkpoint and rollback of its key.
    #[test]
    fn shared_values_follow_writes_and_rollbacks() {
        let key = StateKey::Meta(MetaKey::Supply);
        let mut base = MemoryState::default();
        base.values.insert(key.clone(), encode_u64(1));
        let mut o = Overlay::new(&base);
        let read = |o: &Overlay<&MemoryState>| *o.get_shared(&key, decode_u64).unwrap().unwrap();
        assert_eq!(read(&o), 1);
        assert_eq!(read(&o), 1, "cached");
        o.set(key.clone(), encode_u64(2));
        assert_eq!(read(&o), 2, "a write replaces the cached value");
        o.rollback();
        assert_eq!(read(&o), 1, "a rollback drops the written value");
        o.set(key.clone(), encode_u64(3));
        assert_eq!(read(&o), 3);
        o.checkpoint();
        assert_eq!(read(&o), 3, "a checkpoint keeps it");
        o.delete(key.clone());
        assert!(o.get_shared(&key, decode_u64).unwrap().is_none());
        o.rollback();
        assert_eq!(read(&o), 3);
    }
}
