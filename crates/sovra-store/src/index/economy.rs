//! The staking and governance modules' part of the index, kept from [`StakingEvent`]s and
//! [`GovernanceEvent`]s: the validator candidates, and the proposals in the order they were
//! submitted, so the API can list them. Their records (stake, tallies, status) are read from
//! state, with proofs.

use super::{Index, parse_did};
use crate::StoreError;
use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use sovra_execution::modules::{governance::GovernanceEvent, staking::StakingEvent};
use sovra_types::{Did, ProposalId};

/// Validator candidates: DID.
const VALIDATORS: TableDefinition<&str, ()> = TableDefinition::new("staking_validators");
/// Proposals: (height submitted, id).
const PROPOSALS: TableDefinition<(u64, &[u8; 16]), ()> = TableDefinition::new("gov_proposals");

/// Creates the tables.
pub(super) fn create(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(VALIDATORS)?;
    w.open_table(PROPOSALS)?;
    Ok(())
}

/// Applies a finalized block's staking and governance events, in order.
pub(super) fn apply(
    w: &WriteTransaction,
    height: u64,
    staking: &[&StakingEvent],
    governance: &[&GovernanceEvent],
) -> Result<(), StoreError> {
    let mut validators = w.open_table(VALIDATORS)?;
    for event in staking {
        match event {
            StakingEvent::ValidatorRegistered { validator } => {
                validators.insert(validator.as_str(), ())?;
            }
        }
    }
    let mut proposals = w.open_table(PROPOSALS)?;
    for event in governance {
        match event {
            GovernanceEvent::Submitted { proposal } => {
                proposals.insert((height, &proposal.0), ())?;
            }
        }
    }
    Ok(())
}

impl Index {
    /// Validator candidates in DID order, starting after `after`, at most `limit`.
    pub fn validators(&self, after: Option<&Did>, limit: usize) -> Result<Vec<Did>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(VALIDATORS)?;
        let mut out = Vec::new();
        let start = after.map_or("", |d| d.as_str());
        for item in t.range(start..)? {
            let (k, _) = item?;
            if after.is_some_and(|a| a.as_str() == k.value()) {
                continue;
            }
            if out.len() >= limit {
                break;
            }
            out.push(parse_did(k.value().as_bytes(), "validator")?);
        }
        Ok(out)
    }

    /// Proposals, newest first, at most `limit`, with the height each was submitted at.
    pub fn proposals(&self, limit: usize) -> Result<Vec<(u64, ProposalId)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PROPOSALS)?;
        let mut out = Vec::new();
        for item in t.iter()?.rev().take(limit) {
            let (k, _) = item?;
            let (height, id) = k.value();
            out.push((height, ProposalId(*id)));
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
    fn lists_validators_and_proposals() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open(&dir.path().join("index.redb")).unwrap();
        let (a, b) = (Did::sovra(&[1; 16]), Did::sovra(&[2; 16]));
        index_block(
            &index,
            1,
            &[
                IndexEvent::Staking(StakingEvent::ValidatorRegistered {
                    validator: b.clone(),
                }),
                IndexEvent::Staking(StakingEvent::ValidatorRegistered {
                    validator: a.clone(),
                }),
                IndexEvent::Governance(GovernanceEvent::Submitted {
                    proposal: ProposalId([1; 16]),
                }),
            ],
        );
        index_block(
            &index,
            2,
            &[IndexEvent::Governance(GovernanceEvent::Submitted {
                proposal: ProposalId([0; 16]),
            })],
        );
        assert_eq!(
            index.validators(None, 10).unwrap(),
            vec![a.clone(), b.clone()]
        );
        assert_eq!(index.validators(Some(&a), 10).unwrap(), vec![b]);
        assert_eq!(index.validators(None, 1).unwrap(), vec![a]);
        assert_eq!(
            index.proposals(10).unwrap(),
            vec![(2, ProposalId([0; 16])), (1, ProposalId([1; 16]))]
        );
    }
}
