//! The JSON-LD contexts of Sovra's credentials, served by every node so that
//! third-party verifiers can load them: `GET /contexts` lists them and
//! `GET /contexts/{name}` returns one, as `application/ld+json`, with the
//! exact bytes Sovra's own (offline) verifier loads
//! ([`sovra_credentials::SERVED_CONTEXTS`]).
//!
//! No one serves `https://sovra.dev/ns/credentials/v2` itself: a verifier
//! adds the pair (context URL → `http://<node>/contexts/<name>`, or the
//! bytes) to its JSON-LD document loader. The routes need no state and
//! reveal nothing but these public, immutable documents.

use axum::{
    Json, Router,
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use sovra_api_types::{ContextView, ErrorBody};
use sovra_credentials::contexts::served_context;

use crate::ApiError;

/// The routes of the contexts (stateless; merged into the credentials area's router).
pub(super) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/contexts", get(list_contexts))
        .route("/contexts/{name}", get(get_context))
}

/// List the JSON-LD contexts this node serves.
#[utoipa::path(get, path = "/contexts",
    responses((status = 200, description = "Every context Sovra's credentials use", body = [ContextView])))]
pub(super) async fn list_contexts() -> Json<Vec<ContextView>> {
    Json(
        sovra_credentials::SERVED_CONTEXTS
            .iter()
            .map(|c| ContextView {
                url: c.url.to_owned(),
                path: format!("/contexts/{}", c.name),
                sha256: c.sha256_hex(),
            })
            .collect(),
    )
}

/// A JSON-LD context document, byte for byte as Sovra's verifier loads it
/// (immutable: cacheable for a year).
#[utoipa::path(get, path = "/contexts/{name}",
    params(("name" = String, Path, description = "e.g. `sovra-credentials-v2.jsonld`")),
    responses(
        (status = 200, description = "The context document (`application/ld+json`)"),
        (status = 404, body = ErrorBody),
    ))]
pub(super) async fn get_context(Path(name): Path<String>) -> Result<Response, ApiError> {
    let context = served_context(&name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no context named {name:?}; GET /contexts lists them"
        ))
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/ld+json"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        context.document,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, Option<String>, Vec<u8>) {
        let response = router::<()>()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, content_type, body.to_vec())
    }

    #[tokio::test]
    async fn every_context_is_served_byte_for_byte_as_the_verifier_loads_it() {
        for context in sovra_credentials::SERVED_CONTEXTS {
            let (status, content_type, body) = get(&format!("/contexts/{}", context.name)).await;
            assert_eq!(status, StatusCode::OK, "{}", context.name);
            assert_eq!(content_type.as_deref(), Some("application/ld+json"));
            assert_eq!(body, context.document.as_bytes(), "{}", context.name);
            assert!(
                sovra_credentials::ProofEngine::shared().knows_context(context.url),
                "{}",
                context.url
            );
        }
        // The Sovra context is the one Sovra's verifier loads for its URL.
        let (_, _, body) = get("/contexts/sovra-credentials-v2.jsonld").await;
        assert_eq!(body, sovra_credentials::SOVRA_CONTEXT.as_bytes());
    }

    #[tokio::test]
    async fn the_index_lists_urls_paths_and_hashes() {
        let (status, _, body) = get("/contexts").await;
        assert_eq!(status, StatusCode::OK);
        let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let sovra = list
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["url"] == sovra_credentials::SOVRA_CONTEXT_URL)
            .unwrap();
        assert_eq!(sovra["path"], "/contexts/sovra-credentials-v2.jsonld");
        assert_eq!(sovra["sha256"].as_str().unwrap().len(), 64);
    }

    #[tokio::test]
    async fn unknown_names_are_a_json_404() {
        for path in ["/contexts/nope.jsonld", "/contexts/..%2F..%2Fetc%2Fpasswd"] {
            let (status, content_type, body) = get(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(content_type.as_deref(), Some("application/json"));
            let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(error["code"], "not_found");
        }
    }
}
