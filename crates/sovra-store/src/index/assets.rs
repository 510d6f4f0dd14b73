//! The assets module's part of the index, kept from [`AssetsEvent`]s: the classes each issuer
//! created, what each identity has received (class and token id) and the locks made for it,
//! so a wallet can list an identity's assets. Balances themselves are read from state (with
//! proofs): an entry here says only that the identity once held the token.

use super::{Index, parse_did};
use crate::StoreError;
use redb::{ReadableDatabase, TableDefinition, WriteTransaction};
use sovra_execution::modules::assets::AssetsEvent;
use sovra_types::{AssetClassId, Did};

/// Classes by issuer: (issuer, name).
const CLASSES: TableDefinition<(&str, &str), ()> = TableDefinition::new("asset_classes");
/// What identities received: (holder, class, token id).
const HOLDINGS: TableDefinition<(&str, &str, u64), ()> = TableDefinition::new("asset_holdings");
/// Locks made for identities: (holder, class, lock id).
const LOCKS: TableDefinition<(&str, &str, u64), ()> = TableDefinition::new("asset_locks");

/// Creates the tables.
pub(super) fn create(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(CLASSES)?;
    w.open_table(HOLDINGS)?;
    w.open_table(LOCKS)?;
    Ok(())
}

/// Applies a finalized block's assets events, in order.
pub(super) fn apply(w: &WriteTransaction, events: &[&AssetsEvent]) -> Result<(), StoreError> {
    let mut classes = w.open_table(CLASSES)?;
    let mut holdings = w.open_table(HOLDINGS)?;
    let mut locks = w.open_table(LOCKS)?;
    for event in events {
        match event {
            AssetsEvent::Created { class } => {
                classes.insert((class.issuer.as_str(), class.name.as_str()), ())?;
            }
            AssetsEvent::Received {
                class,
                token,
                holder,
            } => {
                holdings.insert((holder.as_str(), class.to_string().as_str(), *token), ())?;
            }
            AssetsEvent::Locked { class, holder, id } => {
                locks.insert((holder.as_str(), class.to_string().as_str(), *id), ())?;
            }
        }
    }
    Ok(())
}

/// Parses a class stored as text.
fn parse_class(text: &str) -> Result<AssetClassId, StoreError> {
    AssetClassId::parse(text).map_err(super::corrupt("asset class"))
}

impl Index {
    /// The classes `issuer` created, by name, at most `limit`.
    pub fn asset_classes_of(
        &self,
        issuer: &Did,
        limit: usize,
    ) -> Result<Vec<AssetClassId>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(CLASSES)?;
        let mut out = Vec::new();
        for item in t.range((issuer.as_str(), "")..)? {
            let (k, _) = item?;
            let (who, name) = k.value();
            if who != issuer.as_str() || out.len() >= limit {
                break;
            }
            out.push(AssetClassId {
                issuer: parse_did(who.as_bytes(), "asset issuer")?,
                name: name.to_string(),
            });
        }
        Ok(out)
    }

    /// The (class, token id) pairs `holder` has received, at most `limit` (its balances may
    /// since be zero).
    pub fn asset_holdings_of(
        &self,
        holder: &Did,
        limit: usize,
    ) -> Result<Vec<(AssetClassId, u64)>, StoreError> {
        self.listing(HOLDINGS, holder, limit)
    }

    /// The (class, lock id) pairs of the locks made for `holder`, at most `limit` (released
    /// locks are gone from state).
    pub fn asset_locks_of(
        &self,
        holder: &Did,
        limit: usize,
    ) -> Result<Vec<(AssetClassId, u64)>, StoreError> {
        self.listing(LOCKS, holder, limit)
    }

    fn listing(
        &self,
        table: TableDefinition<(&str, &str, u64), ()>,
        holder: &Did,
        limit: usize,
    ) -> Result<Vec<(AssetClassId, u64)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(table)?;
        let mut out = Vec::new();
        for item in t.range((holder.as_str(), "", 0u64)..)? {
            let (k, _) = item?;
            let (who, class, n) = k.value();
            if who != holder.as_str() || out.len() >= limit {
                break;
            }
            out.push((parse_class(class)?, n));
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
    fn holdings_classes_and_locks_are_listed_per_identity() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("i.redb")).unwrap();
        let class = AssetClassId {
            issuer: did(1),
            name: "GOLD".into(),
        };
        let other = AssetClassId {
            issuer: did(1),
            name: "ART".into(),
        };
        index_block(
            &index,
            1,
            &[
                IndexEvent::Assets(AssetsEvent::Created {
                    class: class.clone(),
                }),
                IndexEvent::Assets(AssetsEvent::Created {
                    class: other.clone(),
                }),
                IndexEvent::Assets(AssetsEvent::Received {
                    class: class.clone(),
                    token: 0,
                    holder: did(2),
                }),
                IndexEvent::Assets(AssetsEvent::Received {
                    class: other.clone(),
                    token: 7,
                    holder: did(2),
                }),
                IndexEvent::Assets(AssetsEvent::Received {
                    class: class.clone(),
                    token: 0,
                    holder: did(3),
                }),
                IndexEvent::Assets(AssetsEvent::Locked {
                    class: class.clone(),
                    holder: did(3),
                    id: 99,
                }),
            ],
        );
        assert_eq!(
            index.asset_classes_of(&did(1), 10).unwrap(),
            vec![other.clone(), class.clone()]
        );
        assert!(index.asset_classes_of(&did(2), 10).unwrap().is_empty());
        let mut held = index.asset_holdings_of(&did(2), 10).unwrap();
        held.sort();
        let mut want = vec![(class.clone(), 0), (other.clone(), 7)];
        want.sort();
        assert_eq!(held, want);
        assert_eq!(index.asset_holdings_of(&did(2), 1).unwrap().len(), 1);
        assert_eq!(
            index.asset_holdings_of(&did(3), 10).unwrap(),
            vec![(class.clone(), 0)]
        );
        assert_eq!(
            index.asset_locks_of(&did(3), 10).unwrap(),
            vec![(class, 99)]
        );
        assert!(index.asset_locks_of(&did(2), 10).unwrap().is_empty());
    }
}
