//! The assets area: asset classes, and what an identity holds and has locked. Amounts are
//! decimal strings (they are 128-bit, beyond what JSON numbers carry exactly).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use sovra_types::{AssetClass, AssetClassId, AssetKind, Bundle, TokenLock, TokenRecord};

/// An asset class as the ledger holds it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AssetClassView {
    /// `<issuer DID>/<name>`.
    pub class: String,
    /// `fungible`, `non-fungible` or `semi-fungible`.
    pub kind: String,
    /// Ticker symbol.
    pub symbol: String,
    /// Human-readable title.
    pub title: String,
    /// Decimals (display only).
    pub decimals: u8,
    /// Most tokens that may exist at once, if capped (decimal string).
    pub max_supply: Option<String>,
    /// What the class allows: `transferable`, `holder-burnable`, `issuer-burnable`,
    /// `freezable` (no `transferable`: soulbound).
    pub flags: Vec<String>,
    /// The class's metadata CID.
    pub metadata: Option<String>,
    /// Who may mint (absent once minting is closed).
    pub mint_authority: Option<String>,
    /// Tokens in existence (decimal string).
    pub supply: String,
}

impl AssetClassView {
    /// The view of class `id`.
    pub fn new(id: &AssetClassId, class: &AssetClass) -> Self {
        let t = &class.terms;
        Self {
            class: id.to_string(),
            kind: t.kind.as_str().into(),
            symbol: t.symbol.clone(),
            title: t.title.clone(),
            decimals: t.decimals,
            max_supply: t.max_supply.map(|m| m.to_string()),
            flags: t.flags.names().into_iter().map(String::from).collect(),
            metadata: t.metadata.as_ref().map(|c| c.to_string()),
            mint_authority: class.mint_authority.as_ref().map(|d| d.to_string()),
            supply: class.supply.to_string(),
        }
    }
}

/// A positive balance of one token id of a class.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AssetHoldingView {
    /// `<issuer DID>/<name>`.
    pub class: String,
    /// The token id (0 in a fungible class).
    pub token: u64,
    /// Units held (decimal string).
    pub balance: String,
}

/// Tokens locked for an identity, released as they vest.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AssetLockView {
    /// `<issuer DID>/<name>`.
    pub class: String,
    /// The lock's id (for `release`).
    pub id: u64,
    /// The token id.
    pub token: u64,
    /// Who locked them.
    pub from: String,
    /// Units locked in total (decimal string).
    pub amount: String,
    /// Units already released (decimal string).
    pub released: String,
    /// Vesting starts (unix ms).
    pub start_ms: u64,
    /// Nothing vests before this (unix ms).
    pub cliff_ms: u64,
    /// Everything has vested (unix ms).
    pub end_ms: u64,
}

impl AssetLockView {
    /// The view of lock `id` of class `class`.
    pub fn new(class: &AssetClassId, id: u64, lock: &TokenLock) -> Self {
        Self {
            class: class.to_string(),
            id,
            token: lock.token,
            from: lock.from.to_string(),
            amount: lock.amount.to_string(),
            released: lock.released.to_string(),
            start_ms: lock.schedule.start_ms,
            cliff_ms: lock.schedule.cliff_ms,
            end_ms: lock.schedule.end_ms,
        }
    }
}

/// What an identity holds: its positive balances and its open locks.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AssetHoldingsView {
    /// The identity.
    pub did: String,
    /// Positive balances.
    pub holdings: Vec<AssetHoldingView>,
    /// Locks not yet released in full.
    pub locks: Vec<AssetLockView>,
}

/// The classes an issuer created.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AssetClassListView {
    /// The issuer.
    pub issuer: String,
    /// Its classes, by name.
    pub classes: Vec<AssetClassView>,
}

/// One entry of a token's bundle.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BundleItemView {
    /// `<issuer DID>/<name>`.
    pub class: String,
    /// The token id.
    pub token: u64,
    /// Units held in the bundle (decimal string).
    pub amount: String,
}

/// One token of a non-fungible or semi-fungible class, with what it holds.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AssetTokenView {
    /// `<issuer DID>/<name>`.
    pub class: String,
    /// The token id.
    pub token: u64,
    /// `owned`, `nested` (inside another token's bundle), `burned` (a non-fungible token) or
    /// `issued` (a semi-fungible token: see balances).
    pub status: String,
    /// The owner of an owned non-fungible token.
    pub owner: Option<String>,
    /// Units in existence (decimal string).
    pub supply: String,
    /// The metadata CID.
    pub metadata: Option<String>,
    /// What the token holds (composable tokens).
    pub bundle: Vec<BundleItemView>,
}

impl AssetTokenView {
    /// The view of `token` of class `class` holding `bundle`.
    pub fn new(
        class: &AssetClassId,
        kind: AssetKind,
        token: u64,
        record: &TokenRecord,
        bundle: &Bundle,
    ) -> Self {
        let status = match (&record.owner, kind, record.supply) {
            (Some(_), ..) => "owned",
            (None, AssetKind::NonFungible, 0) => "burned",
            (None, AssetKind::NonFungible, _) => "nested",
            (None, ..) => "issued",
        };
        Self {
            class: class.to_string(),
            token,
            status: status.into(),
            owner: record.owner.as_ref().map(|o| o.to_string()),
            supply: record.supply.to_string(),
            metadata: record.metadata.as_ref().map(|c| c.to_string()),
            bundle: bundle
                .items
                .iter()
                .map(|(item, amount)| BundleItemView {
                    class: item.class.to_string(),
                    token: item.token,
                    amount: amount.to_string(),
                })
                .collect(),
        }
    }
}
