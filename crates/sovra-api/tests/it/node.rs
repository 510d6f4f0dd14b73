//! The node area: status, metrics, the OpenAPI document and `/docs`, and what every route
//! shares: JSON 404 for unknown routes, JSON 405 with `Allow`.

use crate::support::{CHAIN_ID, Harness};
use axum::http::{Method, Request, header};
use std::sync::atomic::Ordering;

pub(crate) async fn status(h: &Harness) {
    let v = h.get("/v1/status").await.ok_json(200);
    assert_eq!(v["chain_id"], CHAIN_ID);
    assert_eq!(v["sync"], "synced");
    assert_eq!(v["finalized_height"], 1);
    // A method the route does not have.
    let a = h
        .send(
            Request::builder()
                .method(Method::DELETE)
                .uri("/v1/status")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    a.error(405, "method_not_allowed");
    assert!(a.header(header::ALLOW).contains("GET"), "{:?}", a.headers);
    h.backend.fail.store(true, Ordering::SeqCst);
    h.get("/v1/status").await.error(500, "internal");
}

pub(crate) async fn metrics(h: &Harness) {
    let a = h.get("/metrics").await;
    assert_eq!(a.status, 200);
    assert!(
        a.header(header::CONTENT_TYPE)
            .starts_with("application/openmetrics-text")
    );
    assert!(a.text().ends_with("# EOF\n"), "{}", a.text());
}

#[tokio::test]
async fn unknown_routes_are_a_json_404() {
    let h = Harness::new();
    let m = h.get("/v2/nothing").await.error(404, "not_found");
    assert!(m.contains("/docs"), "{m}");
    h.get("/v1").await.error(404, "not_found");
}

#[tokio::test]
async fn the_openapi_document_and_the_docs_page_are_served() {
    let h = Harness::new();
    let doc = h.get("/openapi.json").await.ok_json(200);
    assert_eq!(doc, serde_json::to_value(sovra_api::api_doc()).unwrap());
    let a = h.get("/docs/").await;
    assert_eq!(a.status, 200);
    assert!(
        a.header(header::CONTENT_SECURITY_POLICY)
            .contains("script-src 'self'")
    );
}
