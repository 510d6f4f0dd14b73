//! The node's private vault service: which vault blocks this node must hold
//! (for replication), and the keeper that erases what the ledger says must
//! go, promptly and without anyone asking:
//!
//! - records deleted by their owner and every root a record no longer uses
//!   (superseded versions, revoked grants): listed by the index as dead roots
//!   when their block is finalized;
//! - records past their retention date, judged against the newest finalized
//!   block's time, so every node reaches the same decision.
//!
//! Everything is judged within one owner's namespace of the vault store
//! (`sovra_store::vault_store`): a record's roots in its owner's, a recovery's
//! shares in the identity's, an approval in its guardian's. Another identity's
//! record naming the same CIDs neither keeps an owner's blocks alive nor
//! counts toward its erasure.
//!
//! Each pass also *settles* uploads a live record now names, so they stop
//! counting against their uploader's quota of unanchored uploads.
//!
//! Erasing a root ends the upload grace period of every block under it and
//! garbage-collects everything no live record or recovery setup reaches;
//! the record's access log on this node is erased too. Then the store's file
//! is rewritten with only live blocks (at most once per rewrite interval), so
//! no freed database page keeps erased ciphertext or wrapped keys. A node that was
//! offline does the same when it catches up, since the dead roots come from
//! the finalized blocks it replays.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use commonware_runtime::{Clock, Handle, Spawner};

use sovra_cas::Cid;
use sovra_store::{Index, VaultLog, VaultStore};
use sovra_types::{Did, RecordId, limits::DEFAULT_REPLICATION};

pub mod net;

use crate::housekeeping::{since, unix_ms};
use net::VaultRootsFn;

/// Every vault root that must be kept at finalized time `now_ms`, each with the namespace it
/// lives in and its replication factor: the content, keys and grant blocks of live records (in
/// the owner's namespace: the owner uploads all three), the shares block of each recovery setup
/// (the identity's namespace) and each pending approval's block (its guardian's namespace).
pub fn live_roots(index: &Index, now_ms: u64) -> crate::error::Result<Vec<(Did, Cid, u8)>> {
    let mut roots = Vec::new();
    for (_, record) in index.vault_unerased()? {
        if record.is_live(now_ms) {
            roots.extend(
                record
                    .roots()
                    .into_iter()
                    .map(|c| (record.owner.clone(), *c.cid(), record.replication)),
            );
        }
    }
    roots.extend(
        index
            .recovery_roots()?
            .into_iter()
            .map(|(did, c)| (did, *c.cid(), DEFAULT_REPLICATION)),
    );
    Ok(roots)
}

/// [`live_roots`] as the replicator's source of roots.
pub fn replication_roots(
    index: Arc<Index>,
    finalized_ms: Arc<dyn Fn() -> u64 + Send + Sync>,
) -> VaultRootsFn {
    Box::new(move || live_roots(&index, finalized_ms()))
}

/// What one keeper pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KeeperStats {
    /// Records erased (deleted or expired) whose data this pass removed.
    pub records_erased: u64,
    /// Blocks deleted.
    pub blocks_deleted: u64,
}

/// Erases dead and expired vault data on this node.
pub struct VaultKeeper {
    /// Vault blocks.
    pub store: Arc<VaultStore>,
    /// Finalized anchors and dead roots.
    pub index: Arc<Index>,
    /// The access log.
    pub log: Arc<VaultLog>,
    /// Time of the newest finalized block.
    pub finalized_ms: Arc<dyn Fn() -> u64 + Send + Sync>,
    /// Pause between passes.
    pub interval: Duration,
    /// How often unreferenced uploads past their grace period are collected.
    pub gc_interval: Duration,
    /// Least time between two rewrites of the store after erasures.
    pub rewrite_interval: Duration,
}

impl VaultKeeper {
    /// Runs passes forever on a dedicated task of `context`: a pass every `interval` (a full
    /// collection every `gc_interval`), and a rewrite of the store after erasures at most every
    /// `rewrite_interval`.
    pub fn spawn<C: Spawner + Clock>(self, context: C) -> Handle<()> {
        context.dedicated().spawn(move |context| async move {
            let mut last_gc = context.current();
            let mut last_rewrite: Option<SystemTime> = None;
            loop {
                let now = context.current();
                let full_gc = since(now, last_gc) >= self.gc_interval;
                match self.pass(full_gc, unix_ms(now)) {
                    Ok(stats) if stats.blocks_deleted > 0 || stats.records_erased > 0 => {
                        tracing::info!(
                            records = stats.records_erased,
                            blocks = stats.blocks_deleted,
                            "erased private vault data"
                        )
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("vault keeper pass failed: {e}"),
                }
                if full_gc {
                    last_gc = now;
                }
                let due = last_rewrite.is_none_or(|t| since(now, t) >= self.rewrite_interval);
                if due && self.store.has_freed_pages() {
                    let started = std::time::Instant::now();
                    match self.store.rewrite() {
                        Ok(()) => tracing::info!(
                            ms = started.elapsed().as_millis() as u64,
                            "rewrote the vault store without freed pages"
                        ),
                        Err(e) => tracing::warn!("rewriting the vault store failed: {e}"),
                    }
                    last_rewrite = Some(context.current());
                }
                context.sleep(self.interval).await;
            }
        })
    }

    /// One pass at `now_ms`: erases dead roots and expired records, settles uploads that a
    /// live record now names (they no longer count against the upload quota); with `full_gc`,
    /// also collects unreferenced uploads whose grace period ended. Everything is judged within
    /// each root's namespace: another owner naming the same CIDs keeps nothing alive.
    pub fn pass(&self, full_gc: bool, now_ms: u64) -> crate::error::Result<KeeperStats> {
        let now = (self.finalized_ms)();
        let dead = self.index.vault_dead_roots()?;
        let mut doomed: Vec<(Did, Cid)> = dead
            .iter()
            .map(|(owner, c, _)| (owner.clone(), *c.cid()))
            .collect();
        let mut erased_records: Vec<RecordId> = Vec::new();
        for (id, record) in self.index.vault_unerased()? {
            if record.is_expired(now) {
                doomed.extend(
                    record
                        .roots()
                        .into_iter()
                        .map(|c| (record.owner.clone(), *c.cid())),
                );
                erased_records.push(id);
            }
        }
        for (_, _, id) in &dead {
            if let Some(r) = self.index.vault_record(id)?
                && r.erased_height.is_some()
            {
                erased_records.push(*id);
            }
        }
        erased_records.sort();
        erased_records.dedup();
        let mut stats = KeeperStats::default();
        let held = self.store.unstage(&doomed)?;
        let live: Vec<(Did, Cid)> = live_roots(&self.index, now)?
            .into_iter()
            .map(|(owner, c, _)| (owner, c))
            .collect();
        self.store.settle(&live)?;
        if held > 0 || full_gc {
            stats.blocks_deleted = self.store.collect_garbage(&live, now_ms)?.deleted;
        }
        for id in &erased_records {
            self.log.erase(id)?;
        }
        if held > 0 {
            stats.records_erased = erased_records.len() as u64;
        }
        let forgotten: Vec<(Did, sovra_types::ContentId)> =
            dead.into_iter().map(|(owner, c, _)| (owner, c)).collect();
        if !forgotten.is_empty() {
            self.index.forget_vault_dead_roots(&forgotten)?;
        }
        Ok(stats)
    }
}
