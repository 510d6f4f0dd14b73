//! Execution modules, and their registration.
//!
//! Each module owns its actions, its state keys, its rules and its index events, behind
//! [`ExecutionModule`]; modules talk through the small typed functions they export (e.g.
//! [`identity::load`]), not through each other's keys. `receipts` is the executor's own
//! (every transaction extends the receipt chains of the identities it touches).
//!
//! The `modules!` list below is the one place a module is registered: it generates the
//! dispatch over [`Action`]'s variants (an exhaustive `match`, so a module left out does not
//! compile) that the executor uses.

pub mod accounts;
pub mod assets;
pub mod content;
pub mod governance;
pub mod identity;
pub mod receipts;
pub mod recovery;
pub mod registry;
pub mod staking;
pub mod vault;

use crate::{
    ActionFailure, ActionResult, ApplyContext, BlockContext, Changes, ExecError, ExecutionModule,
    KeySet, Parties, StateReader, TxContext,
};
use sovra_types::{Action, Genesis};

/// Registers the execution modules: each line names the [`Action`] variant of a module and the
/// type implementing [`ExecutionModule`] for its actions.
macro_rules! modules {
    ($($variant:ident => $module:ty,)*) => {
        /// Adds the state keys applying `action` may touch ([`ExecutionModule::keys`]).
        pub(crate) fn keys(ctx: &TxContext<'_>, action: &Action, keys: &mut KeySet) {
            match action {
                $(Action::$variant(a) => <$module>::keys(ctx, a, keys),)*
            }
        }

        /// Adds the parties of `action` ([`ExecutionModule::parties`]).
        pub(crate) fn parties(ctx: &TxContext<'_>, action: &Action, parties: &mut Parties) {
            match action {
                $(Action::$variant(a) => <$module>::parties(ctx, a, parties),)*
            }
        }

        /// The admission check of `action`'s module ([`ExecutionModule::check_admission`]).
        pub(crate) fn check_admission(action: &Action) -> Result<(), ActionFailure> {
            match action {
                $(Action::$variant(a) => <$module>::check_admission(a),)*
            }
        }

        /// Applies `action` with its module ([`ExecutionModule::apply`]).
        pub(crate) fn apply<R: StateReader>(
            ctx: &mut ApplyContext<'_, R>,
            action: &Action,
        ) -> ActionResult {
            match action {
                $(Action::$variant(a) => <$module>::apply(ctx, a),)*
            }
        }

        /// The state keys every module's end-of-block work touches
        /// ([`ExecutionModule::end_block_keys`]).
        pub(crate) fn end_block_keys(keys: &mut KeySet) {
            $(<$module>::end_block_keys(keys);)*
        }

        /// Every module's end-of-block work, in module order ([`ExecutionModule::end_block`]).
        pub(crate) fn end_block<R: StateReader>(
            ctx: &mut BlockContext<'_, R>,
        ) -> Result<(), ExecError> {
            $(<$module>::end_block(ctx)?;)*
            Ok(())
        }

        /// The state every module's genesis section creates ([`ExecutionModule::genesis`]).
        pub(crate) fn genesis(genesis: &Genesis, changes: &mut Changes) {
            $(<$module>::genesis(genesis, changes);)*
        }
    };
}

modules! {
    Accounts => accounts::Accounts,
    Content => content::Content,
    Identity => identity::Identity,
    Registry => registry::Registry,
    Vault => vault::Vault,
    Recovery => recovery::Recovery,
    Assets => assets::Assets,
    Staking => staking::Staking,
    Governance => governance::Governance,
}
