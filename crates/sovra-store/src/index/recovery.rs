//! The recovery module's part of the index: recovery setups as last finalized, kept from
//! [`RecoveryEvent`]s, so nodes replicate the blocks recovery needs.

use super::{Index, corrupt, parse_did};
use crate::StoreError;
use commonware_codec::Encode;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use sovra_execution::modules::recovery::RecoveryEvent;
use sovra_types::{ContentId, Did, RecoveryConfig};

/// Guardian recovery setups as last finalized: DID -> `RecoveryConfig` encoding.
const RECOVERY: TableDefinition<&str, &[u8]> = TableDefinition::new("recovery");

/// Creates the tables.
pub(super) fn create(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(RECOVERY)?;
    Ok(())
}

/// Applies a finalized block's recovery events, in order.
pub(super) fn apply(w: &WriteTransaction, events: &[&RecoveryEvent]) -> Result<(), StoreError> {
    let mut recovery = w.open_table(RECOVERY)?;
    for event in events {
        match event {
            RecoveryEvent::SetupWritten { did, config } => {
                recovery.insert(did.as_str(), config.encode().as_ref())?;
            }
        }
    }
    Ok(())
}

impl Index {
    /// The blocks guardian recovery needs replicated, each with the namespace it lives in:
    /// every setup's shares block (uploaded by the identity itself) and every pending
    /// approval's share block (uploaded by its guardian).
    pub fn recovery_roots(&self) -> Result<Vec<(Did, ContentId)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(RECOVERY)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let did = parse_did(k.value().as_bytes(), "recovery setup key")?;
            let config = RecoveryConfig::decode(v.value()).map_err(corrupt("recovery setup"))?;
            out.push((did, config.shares));
            if let Some(p) = config.pending {
                out.extend(p.approvals.into_iter().map(|a| (a.guardian, a.share)));
            }
        }
        Ok(out)
    }
}
