//! What the asset kinds of the workload are built from: the submitting validator's view of
//! whether the signer's class exists, of the signer's holdings (the workload's fungible classes it holds units of, with the amounts), the
//! boxes it owns and what a box holds, so that sends, burns, locks and nesting mostly name
//! something the signer has (they still fail when another validator's block moved it first).

use commonware_runtime::deterministic;
use rand::RngExt as _;
use sovra_consensus::Ledger;
use sovra_types::{AssetClassId, Bundle, Did, HolderBalance, StateKey, TokenRecord, TokenRef};

use super::{Workload, asset_class, box_of, economy::read};
use crate::net::DEV_ACCOUNTS;

/// The workload's fungible classes `holder` holds units of, with the amounts.
async fn holdings(
    ledger: &Ledger<deterministic::Context>,
    holder: &Did,
) -> Vec<(AssetClassId, u128)> {
    let mut held = Vec::new();
    for owner in 0..DEV_ACCOUNTS {
        let class = asset_class(owner);
        let key = StateKey::AssetBalance {
            class: class.clone(),
            token: 0,
            holder: holder.clone(),
        };
        if let Some(balance) = read(ledger, key, HolderBalance::decode).await
            && balance.amount > 0
            && !balance.frozen
        {
            held.push((class, balance.amount));
        }
    }
    held
}

impl Workload {
    /// Whether funded identity `owner`'s fungible class exists.
    pub(super) async fn class_exists(
        &self,
        ledger: &Ledger<deterministic::Context>,
        owner: u64,
    ) -> bool {
        matches!(
            ledger
                .state_value(&StateKey::AssetClass(asset_class(owner)))
                .await,
            Ok(Some(_))
        )
    }

    /// A class `holder` holds and an amount of it between 1 and `max` (at most what it holds);
    /// `None` when it holds none.
    pub(super) async fn held_units(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        holder: &Did,
        max: u128,
    ) -> Option<(AssetClassId, u128)> {
        let held = holdings(ledger, holder).await;
        let (class, amount) = self.pick(&held)?;
        let amount = self.rng.random_range(1..=amount.min(max));
        Some((class, amount))
    }

    /// A box (of any funded identity) that `holder` owns now; `None` when it owns none.
    pub(super) async fn owned_box(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        holder: &Did,
    ) -> Option<TokenRef> {
        let mut owned = Vec::new();
        for owner in 0..DEV_ACCOUNTS {
            let b = box_of(owner);
            let key = StateKey::AssetToken {
                class: b.class.clone(),
                token: b.token,
            };
            if let Some(token) = read(ledger, key, TokenRecord::decode).await
                && token.owner.as_ref() == Some(holder)
            {
                owned.push(b);
            }
        }
        self.pick(&owned)
    }

    /// Fungible units a box holds (class and an amount of it between 1 and what it holds);
    /// `None` when it holds none.
    pub(super) async fn bundled_units(
        &mut self,
        ledger: &Ledger<deterministic::Context>,
        parent: &TokenRef,
    ) -> Option<(AssetClassId, u128)> {
        let key = StateKey::AssetBundle {
            class: parent.class.clone(),
            token: parent.token,
        };
        let bundle = read(ledger, key, Bundle::decode).await?;
        let items: Vec<(AssetClassId, u128)> = bundle
            .items
            .into_iter()
            .filter(|(r, _)| r.token == 0)
            .map(|(r, amount)| (r.class, amount))
            .collect();
        let (class, amount) = self.pick(&items)?;
        Some((class, self.rng.random_range(1..=amount)))
    }
}
