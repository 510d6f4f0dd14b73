//! The vault module's part of the index: record anchors as last finalized (by id and by
//! owner) and the dead roots nodes must purge, kept from [`VaultEvent`]s.

use super::{Index, corrupt, parse_did};
use crate::StoreError;
use commonware_codec::Encode;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use sovra_execution::modules::vault::VaultEvent;
use sovra_types::{ContentId, Did, RecordId, VaultRecord};

/// Vault record anchors as last finalized: record id -> `VaultRecord` encoding.
const VAULT: TableDefinition<&[u8; 16], &[u8]> = TableDefinition::new("vault");
/// Vault records by owner: owner DID, 0, record id -> ().
const VAULT_OWNERS: TableDefinition<&[u8], ()> = TableDefinition::new("vault_owners");
/// Roots of vault blocks no live record of their owner references any more (erased
/// records, superseded versions, revoked grants), in the owner's namespace: owner DID, 0,
/// CID bytes -> record id. Nodes purge them and then forget them.
const VAULT_DEAD: TableDefinition<&[u8], &[u8; 16]> = TableDefinition::new("vault_dead_roots");
/// The dead-roots table of the format before per-owner namespaces (keyed by CID alone);
/// dropped on open.
const LEGACY_VAULT_DEAD: &str = "vault_dead";

/// Creates the tables and drops the legacy one.
pub(super) fn create(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(VAULT)?;
    w.open_table(VAULT_OWNERS)?;
    w.open_table(VAULT_DEAD)?;
    let legacy = w
        .list_tables()?
        .any(|t| redb::TableHandle::name(&t) == LEGACY_VAULT_DEAD);
    if legacy {
        w.delete_table(TableDefinition::<&[u8], &[u8; 16]>::new(LEGACY_VAULT_DEAD))?;
    }
    Ok(())
}

/// Applies a finalized block's vault events, in order: each written anchor replaces the
/// previous one, and the roots it no longer references (all of them once erased) become dead
/// in its owner's namespace.
pub(super) fn apply(w: &WriteTransaction, events: &[&VaultEvent]) -> Result<(), StoreError> {
    let mut vault = w.open_table(VAULT)?;
    let mut owners = w.open_table(VAULT_OWNERS)?;
    let mut dead = w.open_table(VAULT_DEAD)?;
    for event in events {
        let VaultEvent::RecordWritten { id, record } = event;
        let previous = match vault.get(&id.0)? {
            Some(v) => Some(VaultRecord::decode(v.value()).map_err(corrupt("vault record"))?),
            None => None,
        };
        let live: Vec<&ContentId> = if record.erased_height.is_some() {
            Vec::new()
        } else {
            record.roots()
        };
        let mut gone: Vec<&ContentId> = previous.as_ref().map(|p| p.roots()).unwrap_or_default();
        if record.erased_height.is_some() {
            gone.extend(record.roots());
        }
        // Within the owner's namespace only: another owner's record naming the same CIDs
        // neither keeps nor revives this owner's blocks.
        let owner = &record.owner;
        for cid in gone.into_iter().filter(|c| !live.contains(c)) {
            dead.insert(vault_dead_key(owner, cid).as_slice(), &id.0)?;
        }
        for cid in live {
            dead.remove(vault_dead_key(owner, cid).as_slice())?;
        }
        vault.insert(&id.0, record.encode().as_ref())?;
        owners.insert(vault_owner_key(&record.owner, id).as_slice(), ())?;
    }
    Ok(())
}

/// Key of a dead root in `owner`'s namespace.
fn vault_dead_key(owner: &Did, cid: &ContentId) -> Vec<u8> {
    let mut k = owner.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&cid.cid().to_bytes());
    k
}

fn parse_vault_dead_key(key: &[u8]) -> Result<(Did, ContentId), StoreError> {
    let split = key
        .iter()
        .position(|&b| b == 0)
        .ok_or(StoreError::Malformed(
            "vault dead-root key without separator",
        ))?;
    let owner = parse_did(&key[..split], "vault dead-root owner")?;
    let cid = ContentId::from_bytes(&key[split + 1..]).map_err(corrupt("vault dead-root CID"))?;
    Ok((owner, cid))
}

fn vault_owner_key(owner: &Did, id: &RecordId) -> Vec<u8> {
    let mut k = owner.as_str().as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&id.0);
    k
}

impl Index {
    /// A vault record's anchor as last finalized.
    pub fn vault_record(&self, id: &RecordId) -> Result<Option<VaultRecord>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VAULT)?;
        match t.get(&id.0)? {
            Some(v) => Ok(Some(
                VaultRecord::decode(v.value()).map_err(corrupt("vault record"))?,
            )),
            None => Ok(None),
        }
    }

    /// The vault records of `owner` (erased ones included), in id order, from
    /// after `after`, at most `limit`.
    pub fn vault_records_of(
        &self,
        owner: &Did,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, VaultRecord)>, StoreError> {
        let r = self.db.begin_read()?;
        let owners = r.open_table(VAULT_OWNERS)?;
        let vault = r.open_table(VAULT)?;
        let start = vault_owner_key(owner, after.unwrap_or(&RecordId([0; 16])));
        let end = vault_owner_key(owner, &RecordId([0xff; 16]));
        let mut out = Vec::new();
        for item in owners.range(start.as_slice()..=end.as_slice())? {
            if out.len() >= limit {
                break;
            }
            let (k, _) = item?;
            let key = k.value();
            let bytes: [u8; 16] = key
                .len()
                .checked_sub(16)
                .and_then(|at| key[at..].try_into().ok())
                .ok_or(StoreError::Malformed(
                    "vault owner key shorter than a record id",
                ))?;
            let id = RecordId(bytes);
            if Some(&id) == after {
                continue;
            }
            if let Some(v) = vault.get(&id.0)? {
                let record = VaultRecord::decode(v.value()).map_err(corrupt("vault record"))?;
                out.push((id, record));
            }
        }
        Ok(out)
    }

    /// Every vault record that is not erased (some may be past retention), for replication
    /// and retention sweeps.
    pub fn vault_unerased(&self) -> Result<Vec<(RecordId, VaultRecord)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VAULT)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let record = VaultRecord::decode(v.value()).map_err(corrupt("vault record"))?;
            if record.erased_height.is_none() {
                out.push((RecordId(*k.value()), record));
            }
        }
        Ok(out)
    }

    /// Roots of vault blocks that must be purged: the namespace (owner) they are in, the
    /// root, and its record.
    pub fn vault_dead_roots(&self) -> Result<Vec<(Did, ContentId, RecordId)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VAULT_DEAD)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let (owner, cid) = parse_vault_dead_key(k.value())?;
            out.push((owner, cid, RecordId(*v.value())));
        }
        Ok(out)
    }

    /// Forgets purged roots (each in its owner's namespace).
    pub fn forget_vault_dead_roots(&self, roots: &[(Did, ContentId)]) -> Result<(), StoreError> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(VAULT_DEAD)?;
            for (owner, cid) in roots {
                t.remove(vault_dead_key(owner, cid).as_slice())?;
            }
        }
        w.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::index_block;
    use super::*;

    fn did(n: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(n).public_key())
    }

    fn cid(tag: &[u8]) -> ContentId {
        ContentId::new(sovra_cas::raw_cid(tag))
    }

    fn record(owner: &Did, content: &ContentId, keys: &ContentId) -> VaultRecord {
        VaultRecord {
            owner: owner.clone(),
            version: 1,
            content: content.clone(),
            size: 1,
            keys: keys.clone(),
            replication: 3,
            retain_until_ms: None,
            created_height: 1,
            updated_height: 1,
            updated_ms: 0,
            erased_height: None,
            grants: vec![],
        }
    }

    /// Indexes an empty block at `height` whose transactions wrote `records`.
    fn index_records(index: &Index, height: u64, records: Vec<(RecordId, VaultRecord)>) {
        let events: Vec<sovra_execution::IndexEvent> = records
            .into_iter()
            .map(|(id, record)| VaultEvent::RecordWritten { id, record }.into())
            .collect();
        index_block(index, height, &events);
    }

    #[test]
    fn dead_roots_stay_in_their_owners_namespace_whoever_names_the_cids() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.redb")).unwrap();
        let (victim, squatter) = (did(1), did(2));
        let (content, keys) = (cid(b"content"), cid(b"keys"));
        let (a, b) = (RecordId([1; 16]), RecordId([2; 16]));
        index_records(&index, 1, vec![(a, record(&victim, &content, &keys))]);
        // The victim deletes its record while the squatter anchors one naming the same CIDs.
        let mut erased = record(&victim, &content, &keys);
        erased.erased_height = Some(2);
        index_records(
            &index,
            2,
            vec![(a, erased), (b, record(&squatter, &content, &keys))],
        );
        let mut dead = index.vault_dead_roots().unwrap();
        dead.sort_by_key(|(_, c, _)| c.to_string());
        let mut expected = vec![
            (victim.clone(), content.clone(), a),
            (victim.clone(), keys.clone(), a),
        ];
        expected.sort_by_key(|(_, c, _)| c.to_string());
        assert_eq!(dead, expected);
        // A later change of the squatter's record does not revive the victim's roots either.
        let mut changed = record(&squatter, &content, &keys);
        changed.updated_height = 3;
        index_records(&index, 3, vec![(b, changed)]);
        assert_eq!(index.vault_dead_roots().unwrap().len(), 2);
        index
            .forget_vault_dead_roots(&[(victim.clone(), content), (victim, keys)])
            .unwrap();
        assert!(index.vault_dead_roots().unwrap().is_empty());
    }
}
