//! Index events: what a completed transaction tells the node's index, typed per module.
//!
//! The executor returns them in each transaction's outcome; the index (`sovra-store`) and the
//! ledger (`sovra-consensus`) consume them without knowing the modules' actions or state keys.

use crate::modules::{
    assets::AssetsEvent, content::ContentEvent, governance::GovernanceEvent,
    recovery::RecoveryEvent, registry::RegistryEvent, staking::StakingEvent, vault::VaultEvent,
};

/// One event of a module, for the index. A module without events has no variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexEvent {
    /// Pins of public content.
    Content(ContentEvent),
    /// The trust registry.
    Registry(RegistryEvent),
    /// Vault record anchors.
    Vault(VaultEvent),
    /// Recovery setups.
    Recovery(RecoveryEvent),
    /// Asset classes, holdings and locks.
    Assets(AssetsEvent),
    /// Validator candidates.
    Staking(StakingEvent),
    /// Proposals.
    Governance(GovernanceEvent),
}

impl From<StakingEvent> for IndexEvent {
    fn from(e: StakingEvent) -> Self {
        IndexEvent::Staking(e)
    }
}

impl From<GovernanceEvent> for IndexEvent {
    fn from(e: GovernanceEvent) -> Self {
        IndexEvent::Governance(e)
    }
}

impl From<AssetsEvent> for IndexEvent {
    fn from(e: AssetsEvent) -> Self {
        IndexEvent::Assets(e)
    }
}

impl From<ContentEvent> for IndexEvent {
    fn from(e: ContentEvent) -> Self {
        IndexEvent::Content(e)
    }
}

impl From<RegistryEvent> for IndexEvent {
    fn from(e: RegistryEvent) -> Self {
        IndexEvent::Registry(e)
    }
}

impl From<VaultEvent> for IndexEvent {
    fn from(e: VaultEvent) -> Self {
        IndexEvent::Vault(e)
    }
}

impl From<RecoveryEvent> for IndexEvent {
    fn from(e: RecoveryEvent) -> Self {
        IndexEvent::Recovery(e)
    }
}
