//! What became of transactions this node admitted and then dropped without including them.
//!
//! A transaction leaves the mempool either in a finalized block (its outcome is then in the
//! index) or because it can never be included any more: another transaction of its signer used
//! its nonce (`replaced`), or its expiry height passed (`expired`). Without a record, such a
//! transaction would vanish (`404` everywhere) although this node answered `202` for it. The
//! record is node-local, in memory, and bounded: the oldest entries go first.

use sovra_types::TxId;
use std::collections::{HashMap, VecDeque};

/// Why a waiting transaction was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// Another transaction of the same signer used its nonce.
    Replaced {
        /// That transaction, when this node saw it in the block that used the nonce.
        by: Option<TxId>,
        /// The finalized height at which the nonce was found used.
        height: u64,
    },
    /// Its expiry height was finalized without it.
    Expired {
        /// The transaction's expiry height.
        expiry_height: u64,
        /// The finalized height at which it was dropped (at or above the expiry height).
        height: u64,
    },
}

impl Dropped {
    /// The status name the API shows: `replaced` or `expired`.
    pub fn name(&self) -> &'static str {
        match self {
            Dropped::Replaced { .. } => "replaced",
            Dropped::Expired { .. } => "expired",
        }
    }
}

/// A bounded record of dropped transactions, oldest evicted first.
pub struct DroppedLog {
    capacity: usize,
    entries: HashMap<TxId, Dropped>,
    order: VecDeque<TxId>,
}

impl DroppedLog {
    /// An empty record holding at most `capacity` transactions (0 keeps nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Records that `id` was dropped.
    pub fn record(&mut self, id: TxId, why: Dropped) {
        if self.capacity == 0 {
            return;
        }
        if let Some(existing) = self.entries.get_mut(&id) {
            *existing = why;
            return;
        }
        while self.order.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(id, why);
        self.order.push_back(id);
    }

    /// Why `id` was dropped, if it was and is still remembered.
    pub fn get(&self, id: &TxId) -> Option<Dropped> {
        self.entries.get(id).copied()
    }

    /// Number of remembered transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u8) -> TxId {
        commonware_cryptography::sha256::Digest([i; 32])
    }

    #[test]
    fn the_record_is_bounded_and_forgets_the_oldest_first() {
        let mut log = DroppedLog::new(2);
        let expired = |h| Dropped::Expired {
            expiry_height: h,
            height: h,
        };
        log.record(id(1), expired(1));
        log.record(id(2), expired(2));
        log.record(id(2), expired(3)); // an update, not a new entry
        log.record(id(3), expired(4));
        assert_eq!(log.len(), 2);
        assert_eq!(log.get(&id(1)), None);
        assert_eq!(log.get(&id(2)), Some(expired(3)));
        assert_eq!(log.get(&id(3)), Some(expired(4)));
        let mut none = DroppedLog::new(0);
        none.record(id(1), expired(1));
        assert!(none.is_empty());
    }
}
