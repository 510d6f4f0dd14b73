//! The content module's part of the index: finalized pins, kept from [`ContentEvent`]s, for
//! replication and garbage collection.

use super::{Index, corrupt};
use crate::StoreError;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use sovra_execution::modules::content::ContentEvent;
use sovra_types::{ContentId, Did};

/// Finalized pins: CID bytes, 0, owner DID -> replication factor.
const PINS: TableDefinition<&[u8], u8> = TableDefinition::new("pins");

/// Creates the tables.
pub(super) fn create(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(PINS)?;
    Ok(())
}

/// Applies a finalized block's content events, in order.
pub(super) fn apply(w: &WriteTransaction, events: &[&ContentEvent]) -> Result<(), StoreError> {
    let mut pins = w.open_table(PINS)?;
    for event in events {
        match event {
            ContentEvent::Pinned {
                cid,
                owner,
                replication,
            } => {
                pins.insert(pin_key(cid, owner).as_slice(), *replication)?;
            }
            ContentEvent::Unpinned { cid, owner } => {
                pins.remove(pin_key(cid, owner).as_slice())?;
            }
        }
    }
    Ok(())
}

fn pin_key(cid: &ContentId, owner: &Did) -> Vec<u8> {
    let mut k = cid.cid().to_bytes();
    k.push(0);
    k.extend_from_slice(owner.as_str().as_bytes());
    k
}

/// The CID at the start of a pin key (CID bytes are self-delimiting).
fn pin_key_cid(key: &[u8]) -> Result<ContentId, StoreError> {
    let cid = cid::Cid::read_bytes(key).map_err(corrupt("pin key"))?;
    if key.get(cid.encoded_len()) != Some(&0) {
        return Err(StoreError::Malformed("pin key without separator"));
    }
    Ok(ContentId::new(cid))
}

impl Index {
    /// Every finalized pinned root with the highest replication factor any owner asked for.
    pub fn pinned_roots(&self) -> Result<Vec<(ContentId, u8)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PINS)?;
        let mut out: Vec<(ContentId, u8)> = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let cid = pin_key_cid(k.value())?;
            match out.last_mut() {
                Some((last, factor)) if *last == cid => *factor = (*factor).max(v.value()),
                _ => out.push((cid, v.value())),
            }
        }
        Ok(out)
    }

    /// The owners pinning `cid`.
    pub fn pin_owners(&self, cid: &ContentId) -> Result<Vec<(Did, u8)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PINS)?;
        let mut prefix = cid.cid().to_bytes();
        prefix.push(0);
        let mut out = Vec::new();
        for item in t.range(prefix.as_slice()..)? {
            let (k, v) = item?;
            let Some(owner) = k.value().strip_prefix(prefix.as_slice()) else {
                break;
            };
            out.push((super::parse_did(owner, "pin owner")?, v.value()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::index_block;
    use super::*;
    use sovra_execution::IndexEvent;

    fn did(n: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(n).public_key())
    }

    #[test]
    fn pins_follow_the_events_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.redb")).unwrap();
        let root = ContentId::new(sovra_cas::raw_cid(b"root"));
        let pinned = |owner: Did, replication| -> IndexEvent {
            ContentEvent::Pinned {
                cid: root.clone(),
                owner,
                replication,
            }
            .into()
        };
        let unpinned = |owner: Did| -> IndexEvent {
            ContentEvent::Unpinned {
                cid: root.clone(),
                owner,
            }
            .into()
        };
        index_block(&index, 1, &[pinned(did(1), 2), pinned(did(2), 5)]);
        assert_eq!(index.pinned_roots().unwrap(), vec![(root.clone(), 5)]);
        let mut owners = index.pin_owners(&root).unwrap();
        owners.sort();
        let mut expected = vec![(did(1), 2), (did(2), 5)];
        expected.sort();
        assert_eq!(owners, expected);
        // Within a block, events apply in order: pinned again after unpinned stays pinned.
        index_block(
            &index,
            2,
            &[unpinned(did(2)), unpinned(did(1)), pinned(did(1), 3)],
        );
        assert_eq!(index.pin_owners(&root).unwrap(), vec![(did(1), 3)]);
        index_block(&index, 3, &[unpinned(did(1))]);
        assert!(index.pinned_roots().unwrap().is_empty());
    }
}
