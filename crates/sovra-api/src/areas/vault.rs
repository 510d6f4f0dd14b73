//! The vault area: the private vault over HTTP.
//!
//! Everything here is DID-authenticated (`Authorization: Bearer`, see [`crate::auth`]) except
//! the erasure statements. A record's anchor (owner, CIDs, padded size,
//! version, grants, retention, times) is shown to its owner, and to a current grantee with the
//! other grantees left out; everything that could help decrypt a record, the ciphertext, the
//! keys block and the grantees' wrapped keys, is released only to the owner or to an identity
//! holding a current, unexpired grant for the current version, and every release is appended
//! to the node's access log of the record. Erased records and records past their retention
//! date are released to nobody.
//!
//! Blocks are read from one owner's namespace only (see `sovra_store::vault_store`): a
//! record's blocks from its owner's. A record naming CIDs its owner never uploaded reaches
//! nothing.

use crate::{
    ApiError, Backend,
    extract::{
        Caller, Query, authenticate,
        path::{parse_did, parse_record},
    },
    reads::{decoded, vault_block},
    respond::octets,
    stream::{BodyReader, cat_body},
};
use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sovra_api_types::{
    AccessEntry, AccessLogView, ContentImportView, ErasureView, ErrorBody, GrantView,
    VaultRecordPage, VaultRecordView,
    vault::{ERASURE_NAMESPACE, erasure_statement},
};
use sovra_types::{Did, RecordId, StateKey, VaultRecord};
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "vault";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        post_blocks,
        list_records,
        get_record,
        get_content,
        get_keys,
        get_grant,
        get_log,
        get_erasure
    ),
    components(schemas(
        VaultRecordView,
        VaultRecordPage,
        GrantView,
        AccessEntry,
        AccessLogView,
        ErasureView
    ))
)]
pub(crate) struct Doc;

/// This area's routes. Uploads stream past the API's body limit (the backend bounds them).
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route(
            "/v1/vault/blocks",
            post(post_blocks::<B>).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/vault/records", get(list_records::<B>))
        .route("/v1/vault/records/{id}", get(get_record::<B>))
        .route("/v1/vault/records/{id}/content", get(get_content::<B>))
        .route("/v1/vault/records/{id}/keys", get(get_keys::<B>))
        .route("/v1/vault/records/{id}/grant", get(get_grant::<B>))
        .route("/v1/vault/records/{id}/log", get(get_log::<B>))
        .route("/v1/vault/records/{id}/erasure", get(get_erasure::<B>))
}

/// Most records per page of a listing.
const MAX_RECORDS_PAGE: usize = 500;
/// Most access-log entries per page.
const MAX_LOG_PAGE: usize = 1_000;

/// The record's anchor at the newest finalized state, and that state's time.
async fn anchor<B: Backend>(b: &B, id: &RecordId) -> Result<(VaultRecord, u64), ApiError> {
    let record = decoded(b, StateKey::VaultRecord(*id), VaultRecord::decode)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no vault record {id}")))?;
    Ok((record, finalized_ms(b).await?))
}

async fn finalized_ms<B: Backend>(b: &B) -> Result<u64, ApiError> {
    Ok(b.block(None)
        .await?
        .map(|blk| blk.header.timestamp_ms)
        .unwrap_or(0))
}

/// What `caller` may see of `record`'s anchor at wall-clock time `now_ms` (`finalized_ms` for
/// `expired`): its owner everything, a current grantee the anchor with only its own grant, and
/// anyone else nothing.
fn visible_view(
    id: &RecordId,
    record: &VaultRecord,
    caller: &Did,
    now_ms: u64,
    finalized_ms: u64,
) -> Option<VaultRecordView> {
    let mut view = VaultRecordView::new(id, record, finalized_ms);
    if &record.owner == caller {
        return Some(view);
    }
    record.grant_for(caller, now_ms)?;
    view.grants.retain(|g| g.grantee == caller.as_str());
    Some(view)
}

/// Who `did` is to `record` (`owner` or `grantee`), or why it gets nothing.
fn role(
    id: &RecordId,
    record: &VaultRecord,
    did: &Did,
    now_ms: u64,
) -> Result<&'static str, ApiError> {
    if record.erased_height.is_some() {
        return Err(ApiError::NotFound(format!("vault record {id} was erased")));
    }
    if record.is_expired(now_ms) {
        return Err(ApiError::NotFound(format!(
            "vault record {id} is past its retention date and erased"
        )));
    }
    if &record.owner == did {
        return Ok("owner");
    }
    if record.grant_for(did, now_ms).is_some() {
        return Ok("grantee");
    }
    match record.grants.iter().find(|g| &g.grantee == did) {
        Some(g) if g.version != record.version => Err(ApiError::Forbidden(format!(
            "{did}'s grant is for version {}, the record is at version {}",
            g.version, record.version
        ))),
        Some(_) => Err(ApiError::Forbidden(format!("{did}'s grant has expired"))),
        None => Err(ApiError::Forbidden(format!(
            "{did} is neither the owner of vault record {id} nor a grantee"
        ))),
    }
}

/// Authenticates the request, checks it may read `id`, logs the release of `part`.
async fn release<B: Backend>(
    b: &B,
    headers: &HeaderMap,
    id: &RecordId,
    part: &str,
) -> Result<(VaultRecord, Did), ApiError> {
    let (did, _) = authenticate(b, headers).await?;
    let (record, _) = anchor(b, id).await?;
    let now = crate::now_ms();
    let role = role(id, &record, &did, now)?;
    if part == "grant" && role != "grantee" {
        return Err(ApiError::Forbidden(
            "only a grantee has a grant block; the owner reads the keys block".into(),
        ));
    }
    b.vault_log_append(
        *id,
        AccessEntry {
            seq: 0,
            accessor: did.to_string(),
            role: role.into(),
            part: part.into(),
            version: record.version,
            time_ms: now,
        },
    )
    .await?;
    Ok((record, did))
}

/// Upload vault blocks as a CAR (DID-authenticated) into the caller's own namespace: only
/// records, grants and recovery blocks the caller anchors can reach them. Blocks are kept for a
/// grace period until a finalized record or recovery setup of the caller names them, and until
/// then count against the caller's quota of unanchored uploads (413 `vault_quota_exceeded`).
/// The caller's account must be able to pay a fee (402 `insufficient_balance`). The caller's
/// uploads in progress together spool at most its quota: one that only those keep out is
/// refused unread (429 `uploads_in_progress`).
#[utoipa::path(post, path = "/v1/vault/blocks", request_body(content = Vec<u8>, content_type = "application/vnd.ipld.car"),
    responses((status = 200, body = ContentImportView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, body = ErrorBody), (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn post_blocks<B: Backend>(
    State(b): State<Arc<B>>,
    Caller { did: uploader, .. }: Caller,
    body: Body,
) -> Result<Json<ContentImportView>, ApiError> {
    let reader = BodyReader::spawn(body);
    Ok(Json(b.import_vault_car(uploader, reader).await?))
}

/// Query of a record listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ListQuery {
    /// The owner whose records to list.
    owner: String,
    /// Continue after this record id.
    after: Option<String>,
    /// Page size (at most 500).
    limit: Option<usize>,
}

/// An owner's vault records (anchors only), erased ones included (DID-authenticated). The owner
/// gets every record; anyone else only the records they hold a current grant on, each with
/// only their own grant (for a stranger: an empty page).
#[utoipa::path(get, path = "/v1/vault/records", params(ListQuery),
    responses((status = 200, body = VaultRecordPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn list_records<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
    Caller { did: caller, .. }: Caller,
) -> Result<Json<VaultRecordPage>, ApiError> {
    let owner = parse_did(&q.owner)?;
    let after = q.after.as_deref().map(parse_record).transpose()?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_RECORDS_PAGE);
    let finalized = finalized_ms(&*b).await?;
    let now = crate::now_ms();
    let records = b.vault_records_of(owner, after, limit).await?;
    let next = (records.len() == limit)
        .then(|| records.last().map(|(id, _)| id.to_string()))
        .flatten();
    Ok(Json(VaultRecordPage {
        records: records
            .iter()
            .filter_map(|(id, r)| visible_view(id, r, &caller, now, finalized))
            .collect(),
        next,
    }))
}

/// A vault record's anchor at the newest finalized state (DID-authenticated): all of it for
/// the owner, only their own grant for a current grantee, 403 for anyone else.
#[utoipa::path(get, path = "/v1/vault/records/{id}", params(("id" = String, Path)),
    responses((status = 200, body = VaultRecordView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_record<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Caller { did: caller, .. }: Caller,
) -> Result<Json<VaultRecordView>, ApiError> {
    let id = parse_record(&id)?;
    let (record, finalized) = anchor(&*b, &id).await?;
    visible_view(&id, &record, &caller, crate::now_ms(), finalized)
        .map(Json)
        .ok_or_else(|| {
            ApiError::Forbidden(format!(
                "{caller} is neither the owner of vault record {id} nor a current grantee"
            ))
        })
}

/// The record's ciphertext (owner or grantee; DID-authenticated; logged).
#[utoipa::path(get, path = "/v1/vault/records/{id}/content", params(("id" = String, Path)),
    responses((status = 200, description = "The ciphertext stream", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_content<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_record(&id)?;
    let (record, _) = release(&*b, &headers, &id, "content").await?;
    // The root first: when the owner's namespace has no such DAG (anywhere reachable), the
    // answer is a clear 503, not a 200 that breaks off.
    vault_block(&*b, &record.owner, &record.content).await?;
    let body: Body = cat_body(b.vault_blocks(&record.owner), *record.content.cid());
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_LENGTH, record.size.to_string()),
        ],
        body,
    )
        .into_response())
}

/// The record's keys block: the record key wrapped to the owner's vault key and the sealed
/// metadata (owner or grantee; DID-authenticated; logged).
#[utoipa::path(get, path = "/v1/vault/records/{id}/keys", params(("id" = String, Path)),
    responses((status = 200, description = "The keys block", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_keys<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_record(&id)?;
    let (record, _) = release(&*b, &headers, &id, "keys").await?;
    Ok(octets(vault_block(&*b, &record.owner, &record.keys).await?))
}

/// The caller's grant block: the record key wrapped to the grantee (grantee only; logged).
#[utoipa::path(get, path = "/v1/vault/records/{id}/grant", params(("id" = String, Path)),
    responses((status = 200, description = "The wrapped key", content_type = "application/octet-stream"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_grant<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_record(&id)?;
    let (record, did) = release(&*b, &headers, &id, "grant").await?;
    let grant = record
        .grant_for(&did, crate::now_ms())
        .ok_or_else(|| ApiError::Forbidden("no current grant".into()))?;
    // The owner uploads the wrap: it is read from the owner's namespace.
    Ok(octets(vault_block(&*b, &record.owner, &grant.wrap).await?))
}

/// Query of an access log page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct LogQuery {
    /// First sequence number.
    from: Option<u64>,
    /// Page size (at most 1000).
    limit: Option<usize>,
}

/// This node's log of releases of the record (owner only).
#[utoipa::path(get, path = "/v1/vault/records/{id}/log", params(("id" = String, Path), LogQuery),
    responses((status = 200, body = AccessLogView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_log<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Json<AccessLogView>, ApiError> {
    let id = parse_record(&id)?;
    let (did, _) = authenticate(&*b, &headers).await?;
    let (record, _) = anchor(&*b, &id).await?;
    if record.owner != did {
        return Err(ApiError::Forbidden(
            "only the owner reads a record's access log".into(),
        ));
    }
    let entries = b
        .vault_log(
            id,
            q.from.unwrap_or(0),
            q.limit.unwrap_or(100).clamp(1, MAX_LOG_PAGE),
        )
        .await?;
    Ok(Json(AccessLogView {
        record: id.to_string(),
        node: b.node_key(),
        entries,
    }))
}

/// Whether this node has erased the record; when it has, a statement signed by the node's key.
#[utoipa::path(get, path = "/v1/vault/records/{id}/erasure", params(("id" = String, Path)),
    responses((status = 200, body = ErasureView), (status = 404, body = ErrorBody)))]
async fn get_erasure<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Json<ErasureView>, ApiError> {
    let id = parse_record(&id)?;
    let (record, now) = anchor(&*b, &id).await?;
    // Only the owner's namespace counts: another owner's record naming the same CIDs holds
    // its own copies (if it uploaded any), never this owner's.
    let held_roots = b
        .vault_held(
            record.owner.clone(),
            record.roots().into_iter().cloned().collect(),
        )
        .await?;
    let erased = record.erased_height.is_some();
    let expired = record.is_expired(now);
    let rewrite_pending = b.vault_rewrite_pending();
    let confirmed = (erased || expired) && held_roots == 0 && !rewrite_pending;
    let node = b.node_key();
    let (statement, signature) = if confirmed {
        let chain_id = b.status().await?.chain_id;
        let statement = erasure_statement(&chain_id, &id, &node);
        let signature = b.node_sign(ERASURE_NAMESPACE, statement.as_bytes());
        (Some(statement), Some(signature))
    } else {
        (None, None)
    };
    Ok(Json(ErasureView {
        record: id.to_string(),
        node,
        erased,
        expired,
        held_roots,
        rewrite_pending,
        confirmed,
        statement,
        signature,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_types::{ContentId, vault::Grant};

    fn did(n: u64) -> Did {
        Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(n).public_key())
    }

    fn record() -> VaultRecord {
        let cid = ContentId::new(sovra_cas::raw_cid(b"x"));
        VaultRecord {
            owner: did(1),
            version: 2,
            content: cid.clone(),
            size: 1,
            keys: cid.clone(),
            replication: 3,
            retain_until_ms: Some(1_000),
            created_height: 1,
            updated_height: 2,
            updated_ms: 0,
            erased_height: None,
            grants: vec![
                Grant {
                    grantee: did(2),
                    version: 2,
                    until_ms: Some(500),
                    wrap: cid.clone(),
                },
                Grant {
                    grantee: did(3),
                    version: 1,
                    until_ms: None,
                    wrap: cid,
                },
            ],
        }
    }

    #[test]
    fn only_owner_and_current_grantees_are_released_to() {
        let id = RecordId([1; 16]);
        let r = record();
        assert_eq!(role(&id, &r, &did(1), 0).unwrap(), "owner");
        assert_eq!(role(&id, &r, &did(2), 499).unwrap(), "grantee");
        // Expired grant, stale grant (older version), stranger.
        assert!(matches!(
            role(&id, &r, &did(2), 500),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            role(&id, &r, &did(3), 0),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            role(&id, &r, &did(4), 0),
            Err(ApiError::Forbidden(_))
        ));
        // Past retention or erased: nobody, not even the owner.
        assert!(matches!(
            role(&id, &r, &did(1), 1_000),
            Err(ApiError::NotFound(_))
        ));
        let mut erased = r.clone();
        erased.erased_height = Some(3);
        assert!(matches!(
            role(&id, &erased, &did(1), 0),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn anchors_are_shown_to_the_owner_and_current_grantees_only() {
        let id = RecordId([1; 16]);
        let r = record();
        // The owner sees every grant.
        let owner = visible_view(&id, &r, &did(1), 0, 0).unwrap();
        assert_eq!(owner.grants.len(), 2);
        // A current grantee sees the anchor with only its own grant.
        let grantee = visible_view(&id, &r, &did(2), 499, 0).unwrap();
        assert_eq!(grantee.grants.len(), 1);
        assert_eq!(grantee.grants[0].grantee, did(2).as_str());
        assert_eq!(grantee.content, owner.content);
        // An expired grant, a grant for an older version, a stranger: nothing.
        assert!(visible_view(&id, &r, &did(2), 500, 0).is_none());
        assert!(visible_view(&id, &r, &did(3), 0, 0).is_none());
        assert!(visible_view(&id, &r, &did(4), 0, 0).is_none());
    }
}
