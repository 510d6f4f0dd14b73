//! The registry module's part of the index: registered verifiers (for listing; each record is
//! read from state), kept from [`RegistryEvent`]s.

use super::{Index, parse_did};
use crate::StoreError;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use sovra_execution::modules::registry::RegistryEvent;
use sovra_types::Did;

/// Registered verifiers: DID -> height of the registration.
const VERIFIERS: TableDefinition<&str, u64> = TableDefinition::new("verifiers");

/// Creates the tables.
pub(super) fn create(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(VERIFIERS)?;
    Ok(())
}

/// Applies the registry events of the finalized block at `height`, in order.
pub(super) fn apply(
    w: &WriteTransaction,
    height: u64,
    events: &[&RegistryEvent],
) -> Result<(), StoreError> {
    let mut verifiers = w.open_table(VERIFIERS)?;
    for event in events {
        match event {
            RegistryEvent::VerifierRegistered { verifier } => {
                verifiers.insert(verifier.as_str(), height)?;
            }
            RegistryEvent::VerifierRemoved { verifier } => {
                verifiers.remove(verifier.as_str())?;
            }
        }
    }
    Ok(())
}

impl Index {
    /// Identities registered as verifiers, in DID order, at most `limit`.
    pub fn verifiers(&self, limit: usize) -> Result<Vec<Did>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VERIFIERS)?;
        let mut out = Vec::new();
        for item in t.iter()?.take(limit) {
            let (k, _) = item?;
            out.push(parse_did(k.value().as_bytes(), "verifier")?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::index_block;
    use super::*;
    use sovra_execution::IndexEvent;

    #[test]
    fn verifiers_follow_the_events() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.redb")).unwrap();
        let (a, b) = (Did::sovra(&[1; 16]), Did::sovra(&[2; 16]));
        let registered = |verifier: &Did| -> IndexEvent {
            RegistryEvent::VerifierRegistered {
                verifier: verifier.clone(),
            }
            .into()
        };
        let removed = |verifier: &Did| -> IndexEvent {
            RegistryEvent::VerifierRemoved {
                verifier: verifier.clone(),
            }
            .into()
        };
        index_block(&index, 1, &[registered(&b), registered(&a)]);
        assert_eq!(index.verifiers(10).unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(index.verifiers(1).unwrap(), vec![a.clone()]);
        index_block(&index, 2, &[removed(&a)]);
        assert_eq!(index.verifiers(10).unwrap(), vec![b]);
    }
}
