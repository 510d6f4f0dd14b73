//! Evidence of equivocation this node's consensus engines saw: simplex's batcher reports two
//! conflicting votes of one validator as an activity; the reporter here keeps them (bounded, one
//! per validator and epoch) so that anyone can fetch them from the node and submit them in a
//! `report_equivocation` transaction.

use crate::engine::Scheme;
use commonware_actor::Feedback;
use commonware_consensus::{Reporter, simplex::types::Activity};
use sovra_types::{Digest, evidence::Equivocation};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

/// Most pieces of evidence a node keeps (the oldest go first).
pub const MAX_EVIDENCE: usize = 64;

/// The evidence seen, oldest first.
#[derive(Clone, Default)]
pub struct EvidencePool {
    seen: Arc<Mutex<VecDeque<Equivocation>>>,
}

impl EvidencePool {
    /// The evidence kept, oldest first.
    pub fn list(&self) -> Vec<Equivocation> {
        self.seen
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Keeps `evidence` unless one of the same validator and epoch is kept.
    pub fn add(&self, evidence: Equivocation) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        let same = |e: &Equivocation| {
            e.epoch() == evidence.epoch() && e.signer_index() == evidence.signer_index()
        };
        if seen.iter().any(same) {
            return;
        }
        if seen.len() >= MAX_EVIDENCE {
            seen.pop_front();
        }
        seen.push_back(evidence);
    }
}

/// The reporter that hands simplex's evidence activities to an [`EvidencePool`].
#[derive(Clone)]
pub struct EvidenceReporter {
    /// Where the evidence goes.
    pub pool: EvidencePool,
}

impl Reporter for EvidenceReporter {
    type Activity = Activity<Scheme, Digest>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        let evidence = match activity {
            Activity::ConflictingNotarize(e) => Equivocation::ConflictingNotarize(e),
            Activity::ConflictingFinalize(e) => Equivocation::ConflictingFinalize(e),
            Activity::NullifyFinalize(e) => Equivocation::NullifyFinalize(e),
            _ => return Feedback::Ok,
        };
        tracing::warn!(
            kind = evidence.kind(),
            epoch = evidence.epoch(),
            view = evidence.view(),
            signer = evidence.signer_index(),
            "a validator equivocated"
        );
        self.pool.add(evidence);
        Feedback::Ok
    }
}
