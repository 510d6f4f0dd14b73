//! The actions a transaction carries: one enum per execution module, and [`Action`], the
//! transaction's union of them.
//!
//! Each execution module owns its action enum, in a file of its own here. [`Action`] has one
//! variant per module, registered once in the `action_modules!` list below with its module
//! tag.
//!
//! Encoding: an action is its module's tag (one byte) followed by the module action's own
//! encoding, which is the action's tag within the module (one byte) and then its fields.
//! Module tags:
//!
//! | tag | module | actions (tag) |
//! |---|---|---|
//! | 0 | accounts | transfer (0) |
//! | 1 | content | pin (0), unpin (1), set public document (2) |
//! | 2 | identity | create (0), update (1), deactivate (2) |
//! | 3 | registry | register verifier (0), remove verifier (1), anchor status list (2) |
//! | 4 | vault | put (0), grant (1), revoke (2), delete (3) |
//! | 5 | recovery | setup (0), request (1), approve (2), cancel (3), complete (4) |
//! | 6 | assets | create (0), mint (1), burn (2), transfer (3), approve (4), transfer from (5), freeze (6), set mint authority (7), lock (8), release (9), nest (10), unnest (11) |
//! | 7 | staking | register validator (0), delegate (1), undelegate (2), withdraw (3) |
//! | 8 | governance | propose (0), vote (1), finalize (2), claim (3) |
//!
//! Tags are never reused: a new module or action takes the next free tag. The golden vectors
//! in `crates/sovra-types/tests/vectors/encoding.toml` pin the encoding of an example of every
//! action.

pub mod accounts;
pub mod assets;
pub mod content;
pub mod governance;
pub mod identity;
pub mod recovery;
pub mod registry;
pub mod staking;
pub mod vault;

pub use accounts::AccountsAction;
pub use assets::AssetsAction;
pub use content::ContentAction;
pub use governance::GovernanceAction;
pub use identity::IdentityAction;
pub use recovery::RecoveryAction;
pub use registry::RegistryAction;
pub use staking::StakingAction;
pub use vault::VaultAction;

use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// Defines [`Action`] from the list of modules: the enum, its encoding (module tag, then the
/// module's action), its `kind` and a `From` conversion from each module's action.
macro_rules! action_modules {
    ($($(#[$doc:meta])* $tag:literal => $variant:ident($action:ty),)*) => {
        /// One state change requested by a transaction: an action of one execution module.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Action {
            $($(#[$doc])* $variant($action),)*
        }

        impl Action {
            /// The tag of the action's module in the encoding.
            pub fn module_tag(&self) -> u8 {
                match self {
                    $(Action::$variant(_) => $tag,)*
                }
            }

            /// A short name for logs and the API (unique across modules).
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Action::$variant(a) => a.kind(),)*
                }
            }
        }

        $(impl From<$action> for Action {
            fn from(action: $action) -> Self {
                Action::$variant(action)
            }
        })*

        impl Write for Action {
            fn write(&self, buf: &mut impl bytes::BufMut) {
                self.module_tag().write(buf);
                match self {
                    $(Action::$variant(a) => a.write(buf),)*
                }
            }
        }

        impl EncodeSize for Action {
            fn encode_size(&self) -> usize {
                1 + match self {
                    $(Action::$variant(a) => a.encode_size(),)*
                }
            }
        }

        impl Read for Action {
            type Cfg = ();
            fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
                match u8::read(buf)? {
                    $($tag => Ok(Action::$variant(<$action>::read(buf)?)),)*
                    other => Err(Error::InvalidEnum(other)),
                }
            }
        }
    };
}

action_modules! {
    /// Native-token transfers.
    0 => Accounts(AccountsAction),
    /// Pins of public content and named public documents.
    1 => Content(ContentAction),
    /// `did:sovra` identities.
    2 => Identity(IdentityAction),
    /// The trust registry and status-list anchors.
    3 => Registry(RegistryAction),
    /// The signer's private vault (records and grants).
    4 => Vault(VaultAction),
    /// Guardian recovery of an identity.
    5 => Recovery(RecoveryAction),
    /// Native assets: fungible, non-fungible, semi-fungible and soulbound tokens, locks.
    6 => Assets(AssetsAction),
    /// Validator candidates, delegation and unbonding of the native token.
    7 => Staking(StakingAction),
    /// Proposals, stake-weighted votes and their results.
    8 => Governance(GovernanceAction),
}
