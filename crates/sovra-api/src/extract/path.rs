//! Parsers of the values a request names in its path or query (DIDs, record ids, CIDs,
//! transaction ids, heights, state keys, names): each refuses bad input with a 400 and a code
//! of its own, before any handler reads state.

use crate::{ApiError, cas_error};
use sovra_types::{
    ContentId, Did, RecordId, StateKey, TxId, content::validate_doc_name, parse_digest,
    registry::validate_status_list_id,
};

/// A DID (`invalid_did`).
pub(crate) fn parse_did(s: &str) -> Result<Did, ApiError> {
    Did::parse(s).map_err(|e| ApiError::bad("invalid_did", e.to_string()))
}

/// A vault record id, 32 hex characters (`invalid_record_id`).
pub(crate) fn parse_record(s: &str) -> Result<RecordId, ApiError> {
    RecordId::parse(s).map_err(|e| ApiError::bad("invalid_record_id", e.to_string()))
}

/// A content id as the ledger names content (`invalid_cid`).
pub(crate) fn parse_content_id(s: &str) -> Result<ContentId, ApiError> {
    ContentId::parse(s).map_err(|e| ApiError::bad("invalid_cid", e.to_string()))
}

/// Any CID the gateway may serve (refused as [`cas_error`] maps it).
pub(crate) fn parse_cid(s: &str) -> Result<sovra_cas::Cid, ApiError> {
    sovra_cas::parse_cid(s).map_err(cas_error)
}

/// A transaction id, 64 hex characters (`invalid_id`).
pub(crate) fn parse_tx_id(s: &str) -> Result<TxId, ApiError> {
    parse_digest(s).map_err(|e| ApiError::bad("invalid_id", e.to_string()))
}

/// A block height, or `latest` (`None`) (`invalid_height`).
pub(crate) fn parse_height(s: &str) -> Result<Option<u64>, ApiError> {
    if s == "latest" {
        return Ok(None);
    }
    s.parse::<u64>()
        .map(Some)
        .map_err(|_| ApiError::bad("invalid_height", "height is a number or `latest`"))
}

/// A state key in its text form, e.g. `account:<did>` (`invalid_key`).
pub(crate) fn parse_state_key(s: &str) -> Result<StateKey, ApiError> {
    StateKey::parse(s).map_err(|e| ApiError::bad("invalid_key", e.to_string()))
}

/// The name of a public document (`invalid_name`).
pub(crate) fn check_doc_name(name: &str) -> Result<(), ApiError> {
    validate_doc_name(name).map_err(|e| ApiError::bad("invalid_name", e.to_string()))
}

/// The id of a status list (`invalid_status_list`).
pub(crate) fn check_status_list_id(list_id: &str) -> Result<(), ApiError> {
    validate_status_list_id(list_id)
        .map_err(|e| ApiError::bad("invalid_status_list", e.to_string()))
}
