//! The content area: public content over HTTP: the IPFS trustless gateway
//! (`/ipfs/{cid}[/path]`), CAR uploads (`POST /v1/content`), pin status and named public
//! documents.
//!
//! Gateway responses follow the IPFS Trustless Gateway specification: `application/vnd.ipld.raw`
//! (or `?format=raw`) answers with the one block the path ends at, `application/vnd.ipld.car`
//! (or `?format=car`) with a CAR of the path's blocks followed by the blocks the `dag-scope`
//! selects, and a plain request with the file's bytes or a directory listing. Large answers
//! stream; blocks are verified against their CIDs as they are read.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Body,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{HeaderMap, HeaderValue, header},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sovra_api_types::{
    ContentImportView, ContentStatusView, ErrorBody, PinOwnerView, PublicDocView,
};
use sovra_cas::{
    BlockSource, CasError, Cid,
    car::{self, CAR_MEDIA_TYPE},
    dag::Scope,
    unixfs::{self, EntryKind},
};
use utoipa::OpenApi;

use crate::{
    ApiError, Backend,
    blocking::blocking,
    cas_error,
    extract::{
        Caller,
        path::{check_doc_name, parse_cid, parse_content_id, parse_did},
    },
    stream::{BodyReader, BodyWriter, cat_body},
};

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "content";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(get_ipfs, post_content, get_content_status, get_public_doc),
    components(schemas(ContentImportView, ContentStatusView, PinOwnerView, PublicDocView))
)]
pub(crate) struct Doc;

/// This area's routes. Uploads stream past the API's body limit (the backend bounds them).
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/ipfs/{*path}", get(get_ipfs::<B>))
        .route(
            "/v1/content",
            post(post_content::<B>).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/content/{cid}", get(get_content_status::<B>))
        .route("/v1/accounts/{did}/public/{name}", get(get_public_doc::<B>))
}

/// Most entries of a directory listed as HTML (larger directories: `format=car`).
const MAX_LISTING_ENTRIES: usize = 10_000;

/// The `Content-Security-Policy` of every gateway answer.
const CONTENT_SANDBOX: &str = "sandbox";

/// Media type of a single raw block.
const RAW_MEDIA_TYPE: &str = "application/vnd.ipld.raw";

/// Query parameters of the gateway.
#[derive(Deserialize)]
struct GatewayQuery {
    format: Option<String>,
    #[serde(rename = "dag-scope")]
    dag_scope: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Plain,
    Raw,
    Car,
}

fn response_format(query: &GatewayQuery, headers: &HeaderMap) -> Result<Format, ApiError> {
    match query.format.as_deref() {
        Some("raw") => return Ok(Format::Raw),
        Some("car") => return Ok(Format::Car),
        Some(other) => {
            return Err(ApiError::bad(
                "invalid_format",
                format!("format must be raw or car, not {other:?}"),
            ));
        }
        None => {}
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains(RAW_MEDIA_TYPE) {
        Ok(Format::Raw)
    } else if accept.contains("application/vnd.ipld.car") {
        Ok(Format::Car)
    } else {
        Ok(Format::Plain)
    }
}

/// A file, directory, raw block or CAR from content-addressed storage.
#[utoipa::path(get, path = "/ipfs/{path}",
    params(("path" = String, Path, description = "A CID, optionally followed by a UnixFS path"),
           ("format" = Option<String>, Query, description = "`raw` or `car` (instead of the Accept header)"),
           ("dag-scope" = Option<String>, Query, description = "For CAR answers: `all` (default), `entity` or `block`")),
    responses(
        (status = 200, description = "The file, listing, block (application/vnd.ipld.raw) or CAR (application/vnd.ipld.car)"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_ipfs<B: Backend>(
    State(b): State<Arc<B>>,
    Path(path): Path<String>,
    Query(query): Query<GatewayQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = response_format(&query, &headers)?;
    let scope: Scope = match query.dag_scope.as_deref() {
        None => Scope::All,
        Some(s) => s
            .parse()
            .map_err(|e: CasError| ApiError::bad("invalid_dag_scope", e.to_string()))?,
    };
    let mut segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let root_text = segments
        .next()
        .ok_or_else(|| ApiError::bad("invalid_cid", "missing CID"))?;
    let root = parse_cid(&root_text)?;
    let segments: Vec<String> = segments.collect();
    // Blocks this node lacks are asked of the peers that hold the root first.
    let blocks = b.blocks_for(&root);

    let resolve_blocks = blocks.clone();
    let resolve_segments = segments.clone();
    let resolved = blocking(move || {
        unixfs::resolve_path(&*resolve_blocks, &root, &resolve_segments).map_err(cas_error)
    })
    .await?;
    let ipfs_path = format!("/ipfs/{root}/{}", segments.join("/"));
    let etag = format!("\"{}\"", resolved.cid);

    match format {
        Format::Raw => {
            let cid = resolved.cid;
            let data = blocking(move || blocks.require_block(&cid).map_err(cas_error)).await?;
            Ok(content_response(
                RAW_MEDIA_TYPE,
                &etag,
                &ipfs_path,
                Some(format!("attachment; filename=\"{cid}.bin\"")),
                Body::from(data),
            ))
        }
        Format::Car => {
            let (mut writer, body) = BodyWriter::new();
            let terminal = resolved.cid;
            let path_blocks = resolved.path_blocks;
            // Everything the CAR holds must be here before the 200 starts: a missing or
            // malformed block is an error answer, never a truncated CAR.
            let check = blocks.clone();
            let kind = blocking(move || {
                check.require_block(&terminal).map_err(cas_error)?;
                unixfs::kind(&*check, &terminal).map_err(cas_error)
            })
            .await?;
            let whole_dag = match scope {
                Scope::All => true,
                Scope::Entity => matches!(kind, EntryKind::File { .. }),
                Scope::Block => false,
            };
            if whole_dag {
                b.fetch_dag(root, terminal).await?;
            }
            tokio::task::spawn_blocking(move || {
                if let Err(e) =
                    car::export(&*blocks, &root, &path_blocks, &terminal, scope, &mut writer)
                {
                    tracing::warn!(%root, "CAR export stopped: {e}");
                    writer.fail(e);
                }
            });
            Ok(content_response(
                CAR_MEDIA_TYPE,
                &format!("\"{terminal}.car\""),
                &ipfs_path,
                Some(format!("attachment; filename=\"{terminal}.car\"")),
                body,
            ))
        }
        Format::Plain => {
            let cid = resolved.cid;
            let kind_blocks = blocks.clone();
            let kind =
                blocking(move || unixfs::kind(&*kind_blocks, &cid).map_err(cas_error)).await?;
            match kind {
                EntryKind::File { .. } => {
                    // The whole file is here (or fetched) before the 200 starts.
                    b.fetch_dag(root, cid).await?;
                    let name = segments.last().cloned().unwrap_or_default();
                    Ok(stream_file(blocks, cid, &name, &etag, &ipfs_path))
                }
                EntryKind::Directory => {
                    let list_blocks = blocks.clone();
                    let entries = blocking(move || {
                        unixfs::list_dir_at_most(&*list_blocks, &cid, MAX_LISTING_ENTRIES)
                            .map_err(cas_error)
                    })
                    .await?;
                    if let Some(index) = entries.iter().find(|e| e.name == "index.html") {
                        b.fetch_dag(root, index.cid).await?;
                        return Ok(stream_file(
                            blocks,
                            index.cid,
                            "index.html",
                            &etag,
                            &ipfs_path,
                        ));
                    }
                    let html = directory_listing(&ipfs_path, &entries);
                    Ok(content_response(
                        "text/html; charset=utf-8",
                        &etag,
                        &ipfs_path,
                        None,
                        Body::from(html),
                    ))
                }
                EntryKind::Symlink => Err(ApiError::bad(
                    "symlink",
                    "the path ends at a symbolic link; request it with format=raw",
                )),
                EntryKind::Other => Err(ApiError::bad(
                    "not_unixfs",
                    format!(
                        "{cid} is not a UnixFS file or directory; request it with format=raw or format=car"
                    ),
                )),
            }
        }
    }
}

fn stream_file<S: BlockSource + Send + Sync + 'static>(
    blocks: Arc<S>,
    cid: Cid,
    name: &str,
    etag: &str,
    ipfs_path: &str,
) -> Response {
    let body = cat_body(blocks, cid);
    content_response(media_type_for(name), etag, ipfs_path, None, body)
}

fn content_response(
    media_type: &str,
    etag: &str,
    ipfs_path: &str,
    disposition: Option<String>,
    body: Body,
) -> Response {
    let mut response = Response::new(body);
    let h = response.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("-"));
    h.insert(header::CONTENT_TYPE, value(media_type));
    h.insert(header::ETAG, value(etag));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=29030400, immutable"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Content is served from the API's own origin: a document uploaded by anyone (HTML, SVG)
    // must not run scripts there or reach the API as that origin. `sandbox` gives it an opaque
    // origin and no scripts, as path gateways do without subdomain isolation.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SANDBOX),
    );
    h.insert("x-ipfs-path", value(ipfs_path));
    if let Some(d) = disposition {
        h.insert(header::CONTENT_DISPOSITION, value(&d));
    }
    response
}

/// A media type from a file name's extension (the gateway does not sniff content).
fn media_type_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        Some("css") => "text/css",
        Some("js" | "mjs") => "text/javascript",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn directory_listing(ipfs_path: &str, entries: &[unixfs::DirEntry]) -> String {
    let base = ipfs_path.trim_end_matches('/');
    let mut rows = String::new();
    for e in entries {
        rows.push_str(&format!(
            "<tr><td><a href=\"{}/{}\">{}</a></td><td>{}</td><td><code>{}</code></td></tr>\n",
            html_escape(base),
            html_escape(&percent_encode(&e.name)),
            html_escape(&e.name),
            e.size,
            e.cid
        ));
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0}</title></head>\
         <body><h1>Index of {0}</h1><table><tr><th>Name</th><th>Size</th><th>CID</th></tr>\n{1}</table></body></html>",
        html_escape(ipfs_path),
        rows
    )
}

/// Percent-encodes a path segment (everything but unreserved characters).
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Upload a CAR (`application/vnd.ipld.car`) as a DID-authenticated identity
/// (`Authorization: Bearer`, see `/v1/auth/challenge`): every block is verified and stored
/// atomically; unpinned blocks are kept for a grace period, pinned ones until unpinned. Uploads
/// count against the uploader's and the node's quotas of unpinned bytes (413
/// `quota_exceeded`); one upload is at most the node's upload limit (413 `limit_exceeded`).
/// The uploader's uploads in progress together reserve at most what is left of its quota: one
/// that only those keep out is refused unread (429 `uploads_in_progress`).
#[utoipa::path(post, path = "/v1/content", request_body(content = Vec<u8>, content_type = "application/vnd.ipld.car"),
    responses((status = 200, body = ContentImportView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn post_content<B: Backend>(
    State(b): State<Arc<B>>,
    Caller { did: uploader, .. }: Caller,
    body: Body,
) -> Result<Json<ContentImportView>, ApiError> {
    let reader = BodyReader::spawn(body);
    Ok(Json(b.import_car(uploader, reader).await?))
}

/// Who pins a content root, and whether this node holds all of its blocks.
#[utoipa::path(get, path = "/v1/content/{cid}", params(("cid" = String, Path)),
    responses((status = 200, body = ContentStatusView), (status = 400, body = ErrorBody)))]
async fn get_content_status<B: Backend>(
    State(b): State<Arc<B>>,
    Path(cid): Path<String>,
) -> Result<Json<ContentStatusView>, ApiError> {
    let cid = parse_content_id(&cid)?;
    Ok(Json(b.content_status(cid).await?))
}

/// The CID an identity's named public document points to.
#[utoipa::path(get, path = "/v1/accounts/{did}/public/{name}",
    params(("did" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = PublicDocView), (status = 404, body = ErrorBody), (status = 400, body = ErrorBody)))]
async fn get_public_doc<B: Backend>(
    State(b): State<Arc<B>>,
    Path((did, name)): Path<(String, String)>,
) -> Result<Json<PublicDocView>, ApiError> {
    let owner = parse_did(&did)?;
    check_doc_name(&name)?;
    let cid = b
        .public_doc(owner.clone(), name.clone())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{owner} has no public document {name:?}")))?;
    Ok(Json(PublicDocView {
        owner: owner.to_string(),
        gateway_path: format!("/ipfs/{cid}"),
        name,
        cid: cid.to_string(),
    }))
}
