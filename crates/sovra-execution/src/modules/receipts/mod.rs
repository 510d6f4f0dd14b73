//! Receipt chains: appends an entry to an identity's hash-linked history and
//! moves the head kept in its account record.

use crate::{ExecError, Overlay, StateReader, modules::accounts};
use sovra_types::{Did, ReceiptEntry, ReceiptStatus, TxId};

/// Appends an entry for `tx_id` to `did`'s receipt chain and returns it.
pub fn append<R: StateReader>(
    state: &mut Overlay<R>,
    did: &Did,
    tx_id: TxId,
    height: u64,
    status: ReceiptStatus,
) -> Result<ReceiptEntry, ExecError> {
    let mut account = accounts::load(state, did)?;
    let entry = ReceiptEntry {
        index: account.receipt_count,
        tx_id,
        height,
        status,
        prev: account.receipt_head,
    };
    account.receipt_head = entry.hash();
    account.receipt_count += 1;
    accounts::store(state, did, &account);
    Ok(entry)
}
