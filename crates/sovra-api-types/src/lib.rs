//! The JSON shapes of Sovra's HTTP API: request bodies and answers of every area (ledger,
//! identity, credentials, content, vault, recovery, assets, staking and governance, authentication, node), with their OpenAPI
//! schemas (`utoipa`). The server (`sovra-api`) and the client (`sovra-client`) share them so
//! both agree on every field.
//!
//! Nothing here is consensus-critical: the ledger's data model and canonical encodings are in
//! `sovra-types`, which this crate reads only to build views of its records.

pub mod assets;
pub mod auth;
pub mod content;
pub mod credentials;
pub mod economy;
pub mod error;
pub mod identity;
pub mod ledger;
pub mod node;
pub mod recovery;
pub mod vault;

pub use assets::{
    AssetClassListView, AssetClassView, AssetHoldingView, AssetHoldingsView, AssetLockView,
    AssetTokenView, BundleItemView,
};
pub use auth::{ChallengeRequest, ChallengeResponse, SessionView, TokenRequest};
pub use content::{ContentImportView, ContentStatusView, PinOwnerView, PublicDocView};
pub use credentials::ContextView;
pub use economy::{
    MemberView, ParamsView, ProposalListView, ProposalView, ScheduledChangeView, StakeView,
    TallyView, UnbondingView, ValidatorListView, ValidatorSetView, ValidatorSetsView,
    ValidatorView, VoteView,
};
pub use error::ErrorBody;
pub use identity::VerifierView;
pub use ledger::{
    AccountView, BlockView, HeaderView, ProofView, ReceiptPage, ReceiptView, SubmitRequest,
    SubmitResponse, SubmitResult, TxStatusView,
};
pub use node::StatusView;
pub use recovery::{ApprovalView, PendingRecoveryView, RecoveryView};
pub use vault::{
    AccessEntry, AccessLogView, ErasureView, GrantView, VaultRecordPage, VaultRecordView,
};
