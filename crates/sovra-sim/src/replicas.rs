//! What must hold of the data outside the ledger once a run is healed, checked on the honest
//! validators' content and vault stores (the services that keep them run as in `sovra node`):
//!
//! - replicas: every pinned file and every live vault root that some honest validator holds
//!   whole reaches every honest validator assigned to hold it (its replication factor), within
//!   [`REPLICATION_BOUND`]. A root no honest validator holds was lost before it was replicated
//!   (its only copy wiped, or its upload's grace over before its pin was final) and is counted
//!   as lost, not as a violation;
//! - erasure: no validator holds a block of a file nobody pins, nor a vault block no live record
//!   names in its owner's namespace (deleted records, superseded versions, revoked grants),
//!   once the uploads' grace is over, within [`ERASURE_BOUND`]. A validator that was down or
//!   wiped when the erasure was decided must not bring the data back.
//!
//! Both are judged against the finalized index of one honest validator (all stand at one
//! height) and waited for in simulated time, since replication and collection run in passes.

use std::collections::BTreeSet;
use std::time::Duration;

use commonware_runtime::{Clock, deterministic};
use sovra_cas::Cid;
use sovra_node::replication::{assigned_holders, assigned_holders_of};
use sovra_node::services::Stores;
use sovra_node::vault::{live_roots, net::fetch_key};
use sovra_store::ContentStore;
use sovra_types::Did;

use crate::invariants::Violation;
use crate::net::SimNet;
use crate::workload::Workload;

/// How long, in simulated time, replicas have to reach their holders after healing.
pub const REPLICATION_BOUND: Duration = Duration::from_secs(60);

/// How long, in simulated time, dead data has to disappear from every validator.
pub const ERASURE_BOUND: Duration = Duration::from_secs(30);

/// How often the conditions are looked at while waiting.
const POLL: Duration = Duration::from_millis(500);

/// What the replica and erasure checks covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Replicas found where they belong (root x assigned holder).
    pub replicas: u64,
    /// Pinned or live roots no honest validator held (lost before replication).
    pub lost: u64,
    /// Blocks found erased from every validator (block x validator).
    pub erased: u64,
}

/// Whether `store` holds the whole DAG under `root`.
fn complete_file(store: &ContentStore, root: &Cid) -> bool {
    sovra_cas::dag::missing_blocks(store, root, 1).is_ok_and(|m| m.is_empty())
}

/// Whether `stores` holds the whole vault DAG under `root` in `owner`'s namespace.
fn complete_vault(stores: &Stores, owner: &Did, root: &Cid) -> bool {
    sovra_cas::dag::missing_blocks(&stores.vault.view(owner), root, 1).is_ok_and(|m| m.is_empty())
}

/// The honest running validators' stores, by validator index.
fn honest_stores(net: &SimNet) -> Vec<(usize, Stores)> {
    net.running_nodes()
        .into_iter()
        .filter(|(i, _)| net.is_honest(*i))
        .map(|(i, r)| (i, r.stores.clone()))
        .collect()
}

/// One look at the replicas: the ones missing (described), and the coverage of what is there.
fn look_at_replicas(net: &SimNet) -> Result<(Vec<String>, Coverage), Violation> {
    let stores = honest_stores(net);
    let Some((_, ledger)) = net.running().into_iter().find(|(i, _)| net.is_honest(*i)) else {
        return Ok((Vec::new(), Coverage::default()));
    };
    let index = ledger.index();
    let at = |i: usize| stores.iter().find(|(j, _)| *j == i).map(|(_, s)| s);
    let holder_index = |k: &commonware_cryptography::ed25519::PublicKey| {
        net.keys
            .iter()
            .position(|x| x == k)
            .expect("holders are validators")
    };
    let (mut missing, mut coverage) = (Vec::new(), Coverage::default());
    let pins = index
        .pinned_roots()
        .map_err(|e| Violation(format!("reading pins: {e}")))?;
    for (root, replication) in pins {
        let root = *root.cid();
        if !stores.iter().any(|(_, s)| complete_file(&s.content, &root)) {
            coverage.lost += 1;
            continue;
        }
        for holder in assigned_holders(&root, replication, &net.keys) {
            let h = holder_index(&holder);
            match at(h) {
                Some(s) if complete_file(&s.content, &root) => coverage.replicas += 1,
                Some(_) => missing.push(format!(
                    "pinned file {root} (replication {replication}) is not whole on its holder, \
                     validator {h}"
                )),
                // A Byzantine holder keeps nothing.
                None => {}
            }
        }
    }
    let live = live_roots(index, ledger.finalized().header.timestamp_ms)
        .map_err(|e| Violation(format!("reading live vault roots: {e}")))?;
    for (owner, root, replication) in live {
        if !stores.iter().any(|(_, s)| complete_vault(s, &owner, &root)) {
            coverage.lost += 1;
            continue;
        }
        let key = fetch_key(&owner, &root);
        for holder in assigned_holders_of(&key.0, replication, &net.keys) {
            let h = holder_index(&holder);
            match at(h) {
                Some(s) if complete_vault(s, &owner, &root) => coverage.replicas += 1,
                Some(_) => missing.push(format!(
                    "vault root {root} of {owner} (replication {replication}) is not whole on \
                     its holder, validator {h}"
                )),
                None => {}
            }
        }
    }
    Ok((missing, coverage))
}

/// One look at erasure: the blocks held that must be gone (described), and how many absences
/// were confirmed.
fn look_at_erasure(net: &SimNet, workload: &Workload) -> Result<(Vec<String>, u64), Violation> {
    let stores = honest_stores(net);
    let Some((_, ledger)) = net.running().into_iter().find(|(i, _)| net.is_honest(*i)) else {
        return Ok((Vec::new(), 0));
    };
    let index = ledger.index();
    let pinned: BTreeSet<Cid> = index
        .pinned_roots()
        .map_err(|e| Violation(format!("reading pins: {e}")))?
        .into_iter()
        .map(|(c, _)| *c.cid())
        .collect();
    let live: BTreeSet<(Did, Cid)> = live_roots(index, ledger.finalized().header.timestamp_ms)
        .map_err(|e| Violation(format!("reading live vault roots: {e}")))?
        .into_iter()
        .map(|(owner, root, _)| (owner, root))
        .collect();
    let (mut held, mut erased) = (Vec::new(), 0);
    for file in workload.files.iter().filter(|f| !pinned.contains(&f.root)) {
        for (i, s) in &stores {
            for block in &file.blocks {
                match s.content.contains(block) {
                    Ok(false) => erased += 1,
                    Ok(true) => held.push(format!(
                        "validator {i} holds block {block} of file {}, which nobody pins",
                        file.root
                    )),
                    Err(e) => return Err(Violation(format!("validator {i}: content store: {e}"))),
                }
            }
        }
    }
    for (record, blocks) in &workload.vault_uploads {
        for (owner, cid) in blocks.iter().filter(|b| !live.contains(b)) {
            for (i, s) in &stores {
                match s.vault.contains(owner, cid) {
                    Ok(false) => erased += 1,
                    Ok(true) => held.push(format!(
                        "validator {i} holds vault block {cid} of record {record} of {owner}, \
                         which no live record names"
                    )),
                    Err(e) => return Err(Violation(format!("validator {i}: vault store: {e}"))),
                }
            }
        }
    }
    Ok((held, erased))
}

/// Looks with `look` every [`POLL`] until it finds nothing wrong, and returns what it counted
/// then; past `bound`, the first wrong thing it found is the violation (with `what` went
/// wrong, for how many).
async fn wait_for<T>(
    context: &deterministic::Context,
    bound: Duration,
    what: &str,
    look: impl Fn() -> Result<(Vec<String>, T), Violation>,
) -> Result<T, Violation> {
    let started = context.current();
    loop {
        let (wrong, counted) = look()?;
        let Some(first) = wrong.first() else {
            return Ok(counted);
        };
        if context
            .current()
            .duration_since(started)
            .unwrap_or_default()
            > bound
        {
            return Err(Violation(format!(
                "{} s on, {} {what}, first: {first}",
                bound.as_secs(),
                wrong.len()
            )));
        }
        context.sleep(POLL).await;
    }
}

/// Waits until every replica is where it belongs, up to [`REPLICATION_BOUND`] after healing.
pub async fn replicas_placed(
    context: &deterministic::Context,
    net: &SimNet,
) -> Result<Coverage, Violation> {
    wait_for(context, REPLICATION_BOUND, "replicas are missing", || {
        look_at_replicas(net)
    })
    .await
}

/// Waits until no validator holds dead data, up to [`ERASURE_BOUND`]; returns the absences
/// confirmed.
pub async fn erasure_holds(
    context: &deterministic::Context,
    net: &SimNet,
    workload: &Workload,
) -> Result<u64, Violation> {
    wait_for(
        context,
        ERASURE_BOUND,
        "blocks that must be erased are still held",
        || look_at_erasure(net, workload),
    )
    .await
}
