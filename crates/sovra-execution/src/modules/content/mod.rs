//! Public content: pins of content-addressed DAGs (`PinContent`, `UnpinContent`) and the named
//! public documents of an identity (`SetPublicDocument`).
//!
//! The ledger records who asked for which root to be kept and how widely; nodes read finalized
//! pins to decide what to replicate and what to garbage-collect. The content itself never enters
//! the ledger.

use crate::modules::accounts::{ActionFailure, fail};
use crate::{ExecError, Overlay, StateReader};
use commonware_codec::Encode;
use sovra_types::{
    ContentId, Did, PinRecord, StateKey,
    limits::{MAX_PIN_BYTES, MAX_REPLICATION},
};

/// The state keys an action of this module reads or writes.
pub fn keys(signer: &Did, action: &sovra_types::Action) -> Vec<StateKey> {
    use sovra_types::Action;
    match action {
        Action::PinContent { cid, .. } | Action::UnpinContent { cid } => vec![StateKey::Pin {
            cid: cid.clone(),
            owner: signer.clone(),
        }],
        Action::SetPublicDocument { name, .. } => vec![StateKey::PublicDoc {
            owner: signer.clone(),
            name: name.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Records `owner`'s pin of `cid` (replacing an earlier pin by the same owner).
pub fn pin<R: StateReader>(
    state: &mut Overlay<R>,
    owner: &Did,
    cid: &ContentId,
    size: u64,
    replication: u8,
    height: u64,
) -> Result<Result<(), ActionFailure>, ExecError> {
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
pub fn unpin<R: StateReader>(
    state: &mut Overlay<R>,
    owner: &Did,
    cid: &ContentId,
) -> Result<Result<(), ActionFailure>, ExecError> {
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
    match state.get(&StateKey::Pin {
        cid: cid.clone(),
        owner: owner.clone(),
    })? {
        Some(bytes) => PinRecord::decode(&bytes)
            .map(Some)
            .map_err(|e| ExecError::State(e.to_string())),
        None => Ok(None),
    }
}

/// Points `owner`'s public document `name` at `cid`, or removes it.
pub fn set_public_doc<R: StateReader>(
    state: &mut Overlay<R>,
    owner: &Did,
    name: &str,
    cid: Option<&ContentId>,
) -> Result<Result<(), ActionFailure>, ExecError> {
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
