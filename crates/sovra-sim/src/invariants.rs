//! What must hold after every run, checked on every validator once the network is healed and
//! every validator has caught up to the same height:
//!
//! - agreement: no two validators hold different blocks at one height;
//! - one history: each validator's blocks form one chain from genesis, and its committed state is
//!   the one its tip's header names (so the state root at a height is the same everywhere);
//! - the same outcomes: every finalized transaction has the same position, outcome and fee on
//!   every validator;
//! - the same accounts: every identity the workload named (balance, nonce, receipt-chain head
//!   and length) is identical on every validator, and its receipt chain, read entry by entry,
//!   is hash-linked up to that head (so it is identical everywhere);
//! - conservation: the native supply plus the fees burned equals genesis, and the identities
//!   the workload named hold the whole supply (tokens only move where the workload sends them);
//! - assets: every asset class's supply is what the named identities hold of it plus what its
//!   locks and the boxes' bundles still hold, and is the same on every validator.
//!
//! [`agreement`] is also checked while a run goes on, over the validators running then; and the
//! run checks that no honest validator was blocked by another (only Byzantine ones give cause).

use std::collections::BTreeSet;

use commonware_runtime::deterministic;
use sovra_consensus::Ledger;
use sovra_types::state::{MetaKey, decode_u64};
use sovra_types::{
    AssetClass, Bundle, Did, HolderBalance, StateKey, TokenLock, TokenRef, receipt::verify_chain,
};

use crate::net::{DEV_ACCOUNTS, DEV_BALANCE};
use crate::workload::Workload;

/// Most receipt-chain entries read per identity and check (runs are far shorter).
const MAX_RECEIPTS: usize = 100_000;

/// A broken invariant: which, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn violation(message: impl Into<String>) -> Violation {
    Violation(message.into())
}

/// Checks every invariant over `ledgers` (validator index and ledger), all at committed height
/// `height`, against what `workload` did.
pub async fn check(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    height: u64,
    workload: &Workload,
) -> Result<(), Violation> {
    let identities = &workload.identities();
    agreement(ledgers, 0, height)?;
    same_outcomes(ledgers, height)?;
    let mut supplies: Option<(usize, Vec<u128>)> = None;
    for (v, ledger) in ledgers {
        one_history(*v, ledger, height).await?;
        conservation(*v, ledger, identities).await?;
        receipt_chains(*v, ledger, identities).await?;
        let mine = asset_supplies(*v, ledger, workload).await?;
        match &supplies {
            Some((w, theirs)) if *theirs != mine => {
                return Err(violation(format!(
                    "asset supplies differ: validator {w} has {theirs:?}, validator {v} has {mine:?}"
                )));
            }
            Some(_) => {}
            None => supplies = Some((*v, mine)),
        }
    }
    same_accounts(ledgers, identities).await
}

/// On validator `v`, every class the workload may have created has a supply equal to what the
/// named identities hold of it plus what the workload's locks of it and the boxes' bundles
/// still hold; returns the supplies, class by class.
async fn asset_supplies(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    workload: &Workload,
) -> Result<Vec<u128>, Violation> {
    let read = |key: StateKey| async move {
        ledger
            .state_value(&key)
            .await
            .map_err(|e| violation(format!("validator {v}: reading {key}: {e}")))
    };
    let identities = workload.identities();
    let mut supplies = Vec::new();
    for class in workload.asset_classes() {
        let supply = match read(StateKey::AssetClass(class.clone())).await? {
            Some(b) => {
                AssetClass::decode(&b)
                    .map_err(|e| violation(format!("validator {v}: class {class}: {e}")))?
                    .supply
            }
            None => 0,
        };
        let mut held: u128 = 0;
        for holder in &identities {
            let key = StateKey::AssetBalance {
                class: class.clone(),
                token: 0,
                holder: holder.clone(),
            };
            if let Some(b) = read(key).await? {
                held += HolderBalance::decode(&b)
                    .map_err(|e| violation(format!("validator {v}: a balance of {class}: {e}")))?
                    .amount;
            }
        }
        for (c, holder, id) in workload.locks.iter().filter(|(c, ..)| *c == class) {
            let key = StateKey::AssetLock {
                class: c.clone(),
                holder: holder.clone(),
                id: *id,
            };
            if let Some(b) = read(key).await? {
                held += TokenLock::decode(&b)
                    .map_err(|e| violation(format!("validator {v}: a lock of {class}: {e}")))?
                    .remaining();
            }
        }
        for parent in workload.boxes() {
            let key = StateKey::AssetBundle {
                class: parent.class.clone(),
                token: parent.token,
            };
            if let Some(b) = read(key).await? {
                let bundle = Bundle::decode(&b).map_err(|e| {
                    violation(format!("validator {v}: the bundle of {parent}: {e}"))
                })?;
                held += bundle.amount(&TokenRef {
                    class: class.clone(),
                    token: 0,
                });
            }
        }
        if held != supply {
            return Err(violation(format!(
                "validator {v}: the supply of {class} is {supply}, its holders, locks and bundles hold {held}"
            )));
        }
        supplies.push(supply);
    }
    Ok(supplies)
}

/// No two validators hold different blocks at any height from `from` to `height`.
pub fn agreement(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    from: u64,
    height: u64,
) -> Result<(), Violation> {
    for h in from..=height {
        let mut first: Option<(usize, sovra_types::Digest)> = None;
        for (v, ledger) in ledgers {
            let block = ledger
                .index()
                .block(h)
                .map_err(|e| violation(format!("validator {v}: reading block {h}: {e}")))?
                .ok_or_else(|| violation(format!("validator {v} lacks finalized block {h}")))?;
            match &first {
                None => first = Some((*v, block.id())),
                Some((w, id)) if *id != block.id() => {
                    return Err(violation(format!(
                        "fork at height {h}: validators {w} and {v} finalized different blocks"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Validator `v`'s blocks up to `height` form one chain, and its committed state is its tip's.
async fn one_history(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    height: u64,
) -> Result<(), Violation> {
    let mut parent = None;
    for h in 0..=height {
        let block = ledger
            .index()
            .block(h)
            .map_err(|e| violation(format!("validator {v}: reading block {h}: {e}")))?
            .ok_or_else(|| violation(format!("validator {v} lacks block {h}")))?;
        if block.height() != h {
            return Err(violation(format!(
                "validator {v}: block at {h} says height {}",
                block.height()
            )));
        }
        if let Some(parent) = parent
            && block.header.parent != parent
        {
            return Err(violation(format!(
                "validator {v}: block {h} does not extend block {}",
                h - 1
            )));
        }
        parent = Some(block.id());
    }
    let (committed, root) = ledger.committed_root().await;
    let tip = ledger
        .index()
        .block(committed)
        .map_err(|e| violation(format!("validator {v}: reading its tip: {e}")))?
        .ok_or_else(|| violation(format!("validator {v}: its committed tip is not indexed")))?;
    if tip.header.state_root != root {
        return Err(violation(format!(
            "validator {v}: committed state at {committed} is not the one its block names"
        )));
    }
    Ok(())
}

/// Reads a chain-wide counter of validator `v`'s committed state.
async fn meta(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    key: MetaKey,
) -> Result<u64, Violation> {
    let bytes = ledger
        .state_value(&StateKey::Meta(key))
        .await
        .map_err(|e| violation(format!("validator {v}: reading {key:?}: {e}")))?;
    match bytes {
        None => Ok(0),
        Some(b) => decode_u64(&b).map_err(|e| violation(format!("validator {v}: {key:?}: {e}"))),
    }
}

/// Validator `v`'s supply plus burned fees equals genesis, and `identities` hold the supply.
async fn conservation(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    identities: &BTreeSet<Did>,
) -> Result<(), Violation> {
    let genesis_total = DEV_ACCOUNTS * DEV_BALANCE;
    let supply = meta(v, ledger, MetaKey::Supply).await?;
    let burned = meta(v, ledger, MetaKey::Burned).await?;
    if supply + burned != genesis_total {
        return Err(violation(format!(
            "validator {v}: supply {supply} + burned {burned} != genesis {genesis_total}"
        )));
    }
    let mut held = 0u64;
    for did in identities {
        held = held
            .checked_add(account(v, ledger, did).await?.balance)
            .ok_or_else(|| violation(format!("validator {v}: balances overflow")))?;
    }
    if held != supply {
        return Err(violation(format!(
            "validator {v}: the identities hold {held}, the supply is {supply}"
        )));
    }
    Ok(())
}

async fn account(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    did: &Did,
) -> Result<sovra_types::Account, Violation> {
    ledger
        .account(did)
        .await
        .map_err(|e| violation(format!("validator {v}: reading account {did}: {e}")))
}

/// Every identity's account is identical on every validator.
async fn same_accounts(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    identities: &BTreeSet<Did>,
) -> Result<(), Violation> {
    for did in identities {
        let mut first: Option<(usize, sovra_types::Account)> = None;
        for (v, ledger) in ledgers {
            let a = account(*v, ledger, did).await?;
            match &first {
                None => first = Some((*v, a)),
                Some((w, b)) if *b != a => {
                    return Err(violation(format!(
                        "account {did} differs: validator {w} has {b:?}, validator {v} has {a:?}"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// Every identity's receipt chain on validator `v`, read entry by entry, links up to the head
/// its account names.
async fn receipt_chains(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    identities: &BTreeSet<Did>,
) -> Result<(), Violation> {
    for did in identities {
        let a = account(v, ledger, did).await?;
        let entries = ledger
            .index()
            .receipts(did, 0, MAX_RECEIPTS)
            .map_err(|e| violation(format!("validator {v}: receipts of {did}: {e}")))?;
        if entries.len() as u64 != a.receipt_count || !verify_chain(&entries, &a.receipt_head) {
            return Err(violation(format!(
                "validator {v}: the receipt chain of {did} ({} entries read, {} counted) does not \
                 link up to its head",
                entries.len(),
                a.receipt_count
            )));
        }
    }
    Ok(())
}

/// Every transaction in the finalized blocks up to `height` has the same position, outcome and
/// fee on every validator.
fn same_outcomes(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    height: u64,
) -> Result<(), Violation> {
    let Some((first_v, first)) = ledgers.first() else {
        return Ok(());
    };
    for h in 1..=height {
        let block = first
            .index()
            .block(h)
            .map_err(|e| violation(format!("validator {first_v}: reading block {h}: {e}")))?
            .ok_or_else(|| violation(format!("validator {first_v} lacks block {h}")))?;
        for tx in &block.txs {
            let id = tx.id();
            let mut seen = None;
            for (v, ledger) in ledgers {
                let at = ledger
                    .index()
                    .tx(&id)
                    .map_err(|e| violation(format!("validator {v}: reading tx {id}: {e}")))?
                    .ok_or_else(|| {
                        violation(format!(
                            "validator {v} lacks finalized tx {id} of block {h}"
                        ))
                    })?;
                if at.height != h {
                    return Err(violation(format!(
                        "validator {v}: tx {id} of block {h} is indexed at height {}",
                        at.height
                    )));
                }
                match &seen {
                    None => seen = Some((*v, at)),
                    Some((w, other)) if *other != at => {
                        return Err(violation(format!(
                            "tx {id}: validator {w} has {other:?}, validator {v} has {at:?}"
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}
