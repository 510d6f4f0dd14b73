//! A bounded table of short-lived entries shared fairly among the clients
//! that create them (used for DID-authentication challenges and tokens).
//!
//! Every entry has an owner (the client that created it) and optionally a
//! group (the DID a token authenticates). Three bounds hold at all times:
//! - an owner holds at most `max_per_owner` entries, and a group at most
//!   `max_per_group`: a new entry past either cap replaces that owner's (or
//!   group's) oldest entry, so one client or one DID only ever displaces
//!   its own;
//! - the table holds at most `max_total` entries: when it is full, expired
//!   entries go first, then the oldest entry of the owner holding the most.
//!   A client with few entries is therefore the last to lose one, and
//!   filling the table takes `max_total / max_per_owner` distinct clients,
//!   who then only displace each other.
//!
//! Insertion, removal and expiry cost O(log n) (amortized), never a scan of
//! the table, so a full table is no slower than an empty one.

use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    hash::Hash,
};

/// An entry's id (random, 32 bytes).
pub(crate) type Id = [u8; 32];

struct Slot<O, G, V> {
    owner: O,
    group: Option<G>,
    value: V,
    expires_ms: u64,
}

/// The bounds of a [`FairTable`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub max_total: usize,
    pub max_per_owner: usize,
    pub max_per_group: usize,
}

/// A bounded table of entries that expire, shared fairly among owners.
pub(crate) struct FairTable<O, G, V> {
    bounds: Bounds,
    entries: HashMap<Id, Slot<O, G, V>>,
    owners: HashMap<O, VecDeque<Id>>,
    /// (entries held, owner), to find the owner holding the most.
    sizes: BTreeSet<(usize, O)>,
    groups: HashMap<G, VecDeque<Id>>,
    /// (expiry, id) in insertion order; entries removed early stay here until
    /// their time comes or the queue is compacted.
    expiry: VecDeque<(u64, Id)>,
}

fn remove_id(queue: &mut VecDeque<Id>, id: &Id) {
    if let Some(i) = queue.iter().position(|x| x == id) {
        queue.remove(i);
    }
}

impl<O: Clone + Ord + Hash, G: Clone + Eq + Hash, V> FairTable<O, G, V> {
    /// An empty table (every bound at least 1).
    pub(crate) fn new(bounds: Bounds) -> Self {
        Self {
            bounds: Bounds {
                max_total: bounds.max_total.max(1),
                max_per_owner: bounds.max_per_owner.max(1),
                max_per_group: bounds.max_per_group.max(1),
            },
            entries: HashMap::new(),
            owners: HashMap::new(),
            sizes: BTreeSet::new(),
            groups: HashMap::new(),
            expiry: VecDeque::new(),
        }
    }

    /// Entries held (some may have expired and not been purged yet).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries held by `owner`.
    pub(crate) fn owner_len(&self, owner: &O) -> usize {
        self.owners.get(owner).map_or(0, |q| q.len())
    }

    /// An entry's value and expiry.
    pub(crate) fn get(&self, id: &Id) -> Option<(&V, u64)> {
        self.entries.get(id).map(|s| (&s.value, s.expires_ms))
    }

    /// Removes an entry.
    pub(crate) fn remove(&mut self, id: &Id) -> Option<V> {
        let slot = self.entries.remove(id)?;
        let held = self.owner_len(&slot.owner);
        self.sizes.remove(&(held, slot.owner.clone()));
        if let Some(q) = self.owners.get_mut(&slot.owner) {
            remove_id(q, id);
            if q.is_empty() {
                self.owners.remove(&slot.owner);
            } else {
                self.sizes.insert((q.len(), slot.owner.clone()));
            }
        }
        if let Some(group) = &slot.group
            && let Some(q) = self.groups.get_mut(group)
        {
            remove_id(q, id);
            if q.is_empty() {
                self.groups.remove(group);
            }
        }
        Some(slot.value)
    }

    /// Removes every entry of `group`.
    pub(crate) fn remove_group(&mut self, group: &G) {
        for id in self.groups.get(group).cloned().unwrap_or_default() {
            self.remove(&id);
        }
    }

    /// Removes the entries expired at `now`.
    pub(crate) fn purge_expired(&mut self, now: u64) {
        while let Some(&(expires_ms, id)) = self.expiry.front() {
            if expires_ms > now {
                break;
            }
            self.expiry.pop_front();
            if self.entries.get(&id).is_some_and(|s| s.expires_ms <= now) {
                self.remove(&id);
            }
        }
        // Entries removed early leave their place in the queue; rebuild it
        // before it outgrows the table.
        if self.expiry.len() > 2 * self.bounds.max_total + 64 {
            let mut live: Vec<(u64, Id)> = self
                .entries
                .iter()
                .map(|(id, s)| (s.expires_ms, *id))
                .collect();
            live.sort_unstable();
            self.expiry = live.into();
        }
    }

    fn oldest_of_owner(&self, owner: &O) -> Option<Id> {
        self.owners.get(owner).and_then(|q| q.front().copied())
    }

    /// Adds an entry, first making room within the bounds (see the module
    /// documentation). `id` must be new.
    pub(crate) fn insert(
        &mut self,
        id: Id,
        owner: O,
        group: Option<G>,
        value: V,
        expires_ms: u64,
        now: u64,
    ) {
        self.purge_expired(now);
        if self.owner_len(&owner) >= self.bounds.max_per_owner
            && let Some(oldest) = self.oldest_of_owner(&owner)
        {
            self.remove(&oldest);
        }
        if let Some(g) = &group
            && let Some(oldest) = self
                .groups
                .get(g)
                .filter(|q| q.len() >= self.bounds.max_per_group)
                .and_then(|q| q.front().copied())
        {
            self.remove(&oldest);
        }
        if self.entries.len() >= self.bounds.max_total
            && let Some((_, largest)) = self.sizes.last().cloned()
            && let Some(oldest) = self.oldest_of_owner(&largest)
        {
            self.remove(&oldest);
        }
        let held = self.owner_len(&owner);
        self.sizes.remove(&(held, owner.clone()));
        self.sizes.insert((held + 1, owner.clone()));
        self.owners.entry(owner.clone()).or_default().push_back(id);
        if let Some(g) = &group {
            self.groups.entry(g.clone()).or_default().push_back(id);
        }
        self.expiry.push_back((expires_ms, id));
        self.entries.insert(
            id,
            Slot {
                owner,
                group,
                value,
                expires_ms,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> Id {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&n.to_be_bytes());
        id
    }

    fn table(
        max_total: usize,
        max_per_owner: usize,
        max_per_group: usize,
    ) -> FairTable<u8, u8, ()> {
        FairTable::new(Bounds {
            max_total,
            max_per_owner,
            max_per_group,
        })
    }

    #[test]
    fn an_owner_past_its_cap_replaces_its_own_oldest_entry() {
        let mut t = table(100, 3, 100);
        t.insert(id(0), 9, None, (), 1_000, 0);
        for n in 1..=10 {
            t.insert(id(n), 1, None, (), 1_000, 0);
        }
        assert_eq!(t.owner_len(&1), 3);
        assert!(t.get(&id(0)).is_some(), "another owner's entry stays");
        assert!(t.get(&id(10)).is_some() && t.get(&id(1)).is_none());
    }

    #[test]
    fn a_full_table_evicts_from_the_owner_holding_the_most() {
        let mut t = table(10, 8, 100);
        t.insert(id(0), 1, None, (), 1_000, 0);
        t.insert(id(1), 2, None, (), 1_000, 0);
        for n in 2..10 {
            t.insert(id(n), 3, None, (), 1_000, 0);
        }
        assert_eq!(t.len(), 10);
        // A newcomer displaces owner 3 (8 entries), never owners 1 and 2.
        for n in 100..150 {
            t.insert(id(n), 4 + (n % 7) as u8, None, (), 1_000, 0);
            assert!(t.get(&id(0)).is_some() && t.get(&id(1)).is_some());
            assert!(t.len() <= 10);
        }
    }

    #[test]
    fn a_group_past_its_cap_replaces_its_own_oldest_entry() {
        let mut t = table(100, 100, 2);
        t.insert(id(0), 1, Some(7), (), 1_000, 0);
        t.insert(id(1), 2, Some(7), (), 1_000, 0);
        t.insert(id(2), 3, Some(8), (), 1_000, 0);
        t.insert(id(3), 1, Some(7), (), 1_000, 0);
        assert!(t.get(&id(0)).is_none(), "group 7's oldest");
        assert!(t.get(&id(1)).is_some() && t.get(&id(2)).is_some());
        t.remove_group(&7);
        assert_eq!(t.len(), 1);
        assert_eq!(t.owner_len(&1), 0);
    }

    #[test]
    fn expired_entries_are_purged_and_the_queue_stays_bounded() {
        let mut t = table(4, 4, 4);
        for n in 0..4 {
            t.insert(id(n), 1, None, (), 100, 0);
        }
        t.insert(id(10), 2, None, (), 1_000, 100);
        assert_eq!(t.len(), 1, "the four expired at 100");
        // Churn inside one owner: the expiry queue is compacted, not grown.
        for n in 0..10_000 {
            t.insert(id(1_000 + n), 3, None, (), 5_000, 200);
        }
        assert!(t.expiry.len() <= 2 * 4 + 64 + 1);
        assert!(t.len() <= 4);
    }
}
