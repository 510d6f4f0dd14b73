//! What must hold after every run, checked on every validator once the network is healed and
//! every validator has caught up to the same height:
//!
//! - agreement: no two validators hold different blocks at one height;
//! - one history: each validator's blocks form one chain from genesis, and its committed state is
//!   the one its tip's header names (so the state root at a height is the same everywhere);
//! - the same accounts: every development account (balance, nonce, receipt-chain head and
//!   length) is identical on every validator, so every identity's receipt chain is identical and
//!   hash-linked alike;
//! - conservation: the native supply plus the fees burned equals genesis, and the accounts
//!   hold the whole supply (the workload moves tokens only between them).

use commonware_runtime::deterministic;
use sovra_consensus::Ledger;
use sovra_types::StateKey;
use sovra_types::state::{MetaKey, decode_u64};

use crate::net::{DEV_ACCOUNTS, DEV_BALANCE, dev_did};

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
/// `height`.
pub async fn check(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    height: u64,
) -> Result<(), Violation> {
    agreement(ledgers, height)?;
    for (v, ledger) in ledgers {
        one_history(*v, ledger, height).await?;
        conservation(*v, ledger).await?;
    }
    same_accounts(ledgers).await
}

/// No two validators hold different blocks at any height up to `height`.
fn agreement(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
    height: u64,
) -> Result<(), Violation> {
    for h in 0..=height {
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

/// Validator `v`'s supply plus burned fees equals genesis, and the accounts hold the supply.
async fn conservation(v: usize, ledger: &Ledger<deterministic::Context>) -> Result<(), Violation> {
    let genesis_total = DEV_ACCOUNTS * DEV_BALANCE;
    let supply = meta(v, ledger, MetaKey::Supply).await?;
    let burned = meta(v, ledger, MetaKey::Burned).await?;
    if supply + burned != genesis_total {
        return Err(violation(format!(
            "validator {v}: supply {supply} + burned {burned} != genesis {genesis_total}"
        )));
    }
    let mut held = 0;
    for i in 0..DEV_ACCOUNTS {
        held += account(v, ledger, i).await?.balance;
    }
    if held != supply {
        return Err(violation(format!(
            "validator {v}: the accounts hold {held}, the supply is {supply}"
        )));
    }
    Ok(())
}

async fn account(
    v: usize,
    ledger: &Ledger<deterministic::Context>,
    i: u64,
) -> Result<sovra_types::Account, Violation> {
    ledger
        .account(&dev_did(i))
        .await
        .map_err(|e| violation(format!("validator {v}: reading account {i}: {e}")))
}

/// Every development account is identical on every validator.
async fn same_accounts(
    ledgers: &[(usize, &Ledger<deterministic::Context>)],
) -> Result<(), Violation> {
    for i in 0..DEV_ACCOUNTS {
        let mut first: Option<(usize, sovra_types::Account)> = None;
        for (v, ledger) in ledgers {
            let a = account(*v, ledger, i).await?;
            match &first {
                None => first = Some((*v, a)),
                Some((w, b)) if *b != a => {
                    return Err(violation(format!(
                        "account {i} differs: validator {w} has {b:?}, validator {v} has {a:?}"
                    )));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
