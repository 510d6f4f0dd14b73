//! The whole API: one router merging every area's routes, and one OpenAPI document merging
//! every area's paths, each operation tagged by its area.

use crate::{ApiError, Backend, areas};
use axum::{Router, extract::DefaultBodyLimit};
use std::sync::Arc;
use utoipa::{OpenApi, openapi::tag::TagBuilder};

/// Largest accepted request body (routes that stream uploads lift it; the credentials routes
/// lower it).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The title and description of the OpenAPI document; the paths come from the areas.
#[derive(OpenApi)]
#[openapi(info(
    title = "Sovra node API",
    description = "Submit transactions, read the Sovra ledger, resolve DIDs (W3C DID Resolution), read the trust registry, store and read public content (IPFS trustless gateway), keep a client-side encrypted private vault and recover keys with guardians."
))]
struct ApiDoc;

/// Each area's tag and description in the OpenAPI document.
const AREA_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "ledger",
        "Transactions, blocks, accounts, receipt chains and state proofs",
    ),
    (
        "identity",
        "W3C DID resolution (did:sovra, did:key) and the trust registry of verifiers",
    ),
    (
        "credentials",
        "Verifiable credential and presentation verification, status lists",
    ),
    (
        "content",
        "Public content: CAR uploads, pins, public documents, the IPFS trustless gateway",
    ),
    (
        "vault",
        "The private vault (client-side encrypted records) and guardian recovery",
    ),
    (
        "auth",
        "DID authentication: challenge, signed answer, bearer token",
    ),
    (
        "assets",
        "Native assets: classes, issuers' classes, what an identity holds",
    ),
    (
        "economy",
        "Staking and governance: chain parameters, validators, stake, proposals, votes",
    ),
    ("node", "Node status and metrics"),
];

/// Every area's OpenAPI tag and part of the document.
fn area_docs() -> [(&'static str, utoipa::openapi::OpenApi); 10] {
    [
        (areas::ledger::TAG, areas::ledger::Doc::openapi()),
        (areas::identity::TAG, areas::identity::Doc::openapi()),
        (areas::credentials::TAG, areas::credentials::Doc::openapi()),
        (areas::content::TAG, areas::content::Doc::openapi()),
        (areas::vault::TAG, areas::vault::Doc::openapi()),
        (areas::recovery::TAG, areas::recovery::Doc::openapi()),
        (areas::auth::TAG, areas::auth::Doc::openapi()),
        (areas::assets::TAG, areas::assets::Doc::openapi()),
        (areas::economy::TAG, areas::economy::Doc::openapi()),
        (areas::node::TAG, areas::node::Doc::openapi()),
    ]
}

/// Tags every operation of `doc` with `tag`.
fn tag_operations(doc: &mut utoipa::openapi::OpenApi, tag: &str) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            op.tags = Some(vec![tag.to_string()]);
        }
    }
}

/// The OpenAPI document, its operations tagged by area (ledger, identity,
/// credentials, content, vault, auth, node) instead of by Rust module.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for (tag, mut area) in area_docs() {
        tag_operations(&mut area, tag);
        doc.merge(area);
    }
    doc.tags = Some(
        AREA_DESCRIPTIONS
            .iter()
            .map(|(name, description)| {
                TagBuilder::new()
                    .name(*name)
                    .description(Some(*description))
                    .build()
            })
            .collect(),
    );
    doc
}

/// Builds the router for a backend: every area's routes, a JSON 404 for anything else, the
/// body limit, and the JSON shape for every error answer.
pub fn router<B: Backend>(backend: Arc<B>) -> Router {
    Router::new()
        .merge(areas::ledger::router::<B>())
        .merge(areas::identity::router::<B>())
        .merge(areas::credentials::router::<B>())
        .merge(areas::content::router::<B>())
        .merge(areas::vault::router::<B>())
        .merge(areas::recovery::router::<B>())
        .merge(areas::auth::router::<B>())
        .merge(areas::assets::router::<B>())
        .merge(areas::economy::router::<B>())
        .merge(areas::node::router::<B>(api_doc()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(crate::json_errors))
        .with_state(backend)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /docs".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        body::Body,
        http::{Request, StatusCode, header},
    };
    use tower::ServiceExt as _;

    #[test]
    fn every_operation_is_tagged_by_a_known_area() {
        let doc = api_doc();
        let areas: Vec<&str> = AREA_DESCRIPTIONS.iter().map(|(a, _)| *a).collect();
        assert!(!doc.paths.paths.is_empty());
        for (path, item) in &doc.paths.paths {
            let ops = [&item.get, &item.post, &item.put, &item.delete];
            for op in ops.into_iter().flatten() {
                let tags = op.tags.clone().unwrap_or_default();
                assert_eq!(tags.len(), 1, "{path}: {tags:?}");
                assert!(areas.contains(&tags[0].as_str()), "{path} is in no area");
            }
        }
        for (tag, _) in area_docs() {
            assert!(areas.contains(&tag), "{tag} has no description");
        }
    }

    /// Each area owns its routes and handlers: an area file imports the shared modules (the
    /// extractors, reads, streams, errors), never another area.
    #[test]
    fn areas_do_not_import_each_other() {
        let files = [
            ("ledger", include_str!("areas/ledger.rs")),
            ("identity", include_str!("areas/identity.rs")),
            ("credentials", include_str!("areas/credentials/mod.rs")),
            ("credentials", include_str!("areas/credentials/contexts.rs")),
            ("content", include_str!("areas/content.rs")),
            ("vault", include_str!("areas/vault.rs")),
            ("recovery", include_str!("areas/recovery.rs")),
            ("auth", include_str!("areas/auth.rs")),
            ("assets", include_str!("areas/assets.rs")),
            ("node", include_str!("areas/node.rs")),
        ];
        for (area, text) in files {
            for needle in ["crate::areas", "areas::", "super::super", "crate::router"] {
                assert!(!text.contains(needle), "the {area} area names {needle}");
            }
            for (other, _) in files.iter().filter(|(o, _)| *o != area) {
                assert!(
                    !text.contains(&format!("super::{other}")),
                    "the {area} area imports {other}"
                );
            }
        }
    }

    async fn get_text(router: Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let r = router
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// The `src`/`href` references of an HTML page.
    fn references(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        for attr in ["src=\"", "href=\"", "src='", "href='"] {
            let quote = attr.chars().last().unwrap();
            for part in html.split(attr).skip(1) {
                out.push(part.split(quote).next().unwrap_or("").to_string());
            }
        }
        out
    }

    #[tokio::test]
    async fn the_docs_page_loads_nothing_from_other_hosts() {
        let router: Router = areas::node::docs_router(api_doc());
        let (status, headers, html) = get_text(router.clone(), "/docs/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        let refs = references(&html);
        assert!(!refs.is_empty(), "{html}");
        for r in &refs {
            assert!(
                !r.contains("//") && !r.starts_with("data:text/html"),
                "external reference {r:?} in /docs"
            );
            // Every local asset is served by the node itself.
            let path = format!("/docs/{}", r.trim_start_matches("./"));
            let (status, _, body) = get_text(router.clone(), &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(!body.is_empty(), "{path}");
        }
        let (_, _, init) = get_text(router.clone(), "/docs/swagger-initializer.js").await;
        assert!(init.contains("/openapi.json"), "{init}");
        assert!(
            !init.contains("http://") && !init.contains("https://"),
            "{init}"
        );
        assert!(
            init.replace(' ', "").contains("\"validatorUrl\":\"none\""),
            "{init}"
        );
        let (status, headers, doc) = get_text(router, "/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("json")
        );
        assert!(doc.contains("\"ledger\""));
    }
}
