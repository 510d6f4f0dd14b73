//! Public content: pins of content-addressed DAGs (`Pin`, `Unpin`) and the named public
//! documents of an identity (`SetPublicDocument`).
//!
//! The ledger records who asked for which root to be kept and how widely; nodes read finalized
//! pins (from the [`ContentEvent`]s the index keeps) to decide what to replicate and what to
//! garbage-collect. The content itself never enters the ledger.

use crate::{
    ActionResult, ApplyContext, ExecError, ExecutionModule, KeySet, Overlay, Parties, StateReader,
    TxContext, fail,
};
use commonware_codec::Encode;
use sovra_types::{
    ContentAction, ContentId, Did, PinRecord, StateKey,
    limits::{MAX_PIN_BYTES, MAX_REPLICATION},
};

/// The content module.
pub struct Content;

/// What the content module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentEvent {
    /// `owner` pinned `cid` (replacing an earlier pin of theirs).
    Pinned {
        /// The pinned root.
        cid: ContentId,
        /// Who pinned it.
        owner: Did,
        /// How many nodes must hold it.
        replication: u8,
    },
    /// `owner` released its pin of `cid`.
    Unpinned {
        /// The root.
        cid: ContentId,
        /// Whose pin ended.
        owner: Did,
    },
}

impl ExecutionModule for Content {
    type Action = ContentAction;

    fn keys(ctx: &TxContext<'_>, action: &ContentAction, keys: &mut KeySet) {
        let signer = ctx.signer();
        match action {
            ContentAction::Pin { cid, .. } | ContentAction::Unpin { cid } => {
                keys.insert(StateKey::Pin {
                    cid: cid.clone(),
                    owner: signer.clone(),
                });
            }
            ContentAction::SetPublicDocument { name, .. } => {
                keys.insert(StateKey::PublicDoc {
                    owner: signer.clone(),
                    name: name.clone(),
                });
            }
        }
    }

    fn parties(_: &TxContext<'_>, action: &ContentAction, _: &mut Parties) {
        match action {
            ContentAction::Pin { .. }
            | ContentAction::Unpin { .. }
            | ContentAction::SetPublicDocument { .. } => {}
        }
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &ContentAction,
    ) -> ActionResult {
        let owner = ctx.signer();
        match action {
            ContentAction::Pin {
                cid,
                size,
                replication,
            } => {
                if let Err(f) = pin(ctx.state, owner, cid, *size, *replication, ctx.env.height)? {
                    return Ok(Err(f));
                }
                ctx.emit(ContentEvent::Pinned {
                    cid: cid.clone(),
                    owner: owner.clone(),
                    replication: *replication,
                });
                Ok(Ok(()))
            }
            ContentAction::Unpin { cid } => {
                if let Err(f) = unpin(ctx.state, owner, cid)? {
                    return Ok(Err(f));
                }
                ctx.emit(ContentEvent::Unpinned {
                    cid: cid.clone(),
                    owner: owner.clone(),
                });
                Ok(Ok(()))
            }
            ContentAction::SetPublicDocument { name, cid } => {
                set_public_doc(ctx.state, owner, name, cid.as_ref())
            }
        }
    }
}

/// Records `owner`'s pin of `cid` (replacing an earlier pin by the same owner).
fn pin<R: StateReader>(
    state: &mut Overlay<R>,
    owner: &Did,
    cid: &ContentId,
    size: u64,
    replication: u8,
    height: u64,
) -> ActionResult {
    if !cid.is_sha256() {
        return fail(
            "unsupported_cid",
            format!("{cid}: only sha2-256 content can be pinned"),
        );
    }
    if !matches!(cid.cid().codec(), 0x55 | 0x70 | 0x71 | 0x0129) {
        return fail(
            "unsupported_cid",
            format!(
                "{cid}: codec 0x{:x} cannot be replicated",
                cid.cid().codec()
            ),
        );
    }
    if replication == 0 || replication > MAX_REPLICATION {
        return fail(
            "invalid_replication",
            format!("replication must be 1 to {MAX_REPLICATION}, not {replication}"),
        );
    }
    if size > MAX_PIN_BYTES {
        return fail(
            "pin_too_large",
            format!("declared size {size} exceeds the limit of {MAX_PIN_BYTES} bytes"),
        );
    }
    let record = PinRecord {
        size,
        replication,
        height,
    };
    state.set(
        StateKey::Pin {
            cid: cid.clone(),
            owner: owner.clone(),
        },
        record.encode().to_vec(),
    );
    Ok(Ok(()))
}

/// Removes `owner`'s pin of `cid`.
fn unpin<R: StateReader>(state: &mut Overlay<R>, owner: &Did, cid: &ContentId) -> ActionResult {
    let key = StateKey::Pin {
        cid: cid.clone(),
        owner: owner.clone(),
    };
    if state.get(&key)?.is_none() {
        return fail("not_pinned", format!("{owner} has no pin of {cid}"));
    }
    state.delete(key);
    Ok(Ok(()))
}

/// Reads `owner`'s pin of `cid`.
pub fn pin_record<R: StateReader>(
    state: &Overlay<R>,
    owner: &Did,
    cid: &ContentId,
) -> Result<Option<PinRecord>, ExecError> {
    state.get_decoded(
        &StateKey::Pin {
            cid: cid.clone(),
            owner: owner.clone(),
        },
        PinRecord::decode,
    )
}

/// Points `owner`'s public document `name` at `cid`, or removes it.
fn set_public_doc<R: StateReader>(
    state: &mut Overlay<R>,
    owner: &Did,
    name: &str,
    cid: Option<&ContentId>,
) -> ActionResult {
    let key = StateKey::PublicDoc {
        owner: owner.clone(),
        name: name.to_string(),
    };
    match cid {
        Some(cid) => state.set(key, cid.cid().to_bytes()),
        None => {
            if state.get(&key)?.is_none() {
                return fail(
                    "no_such_document",
                    format!("{owner} has no document {name:?}"),
                );
            }
            state.delete(key);
        }
    }
    Ok(Ok(()))
}
