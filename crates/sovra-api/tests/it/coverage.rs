//! Every route of the OpenAPI document has a route test, and that test saw every answer the
//! document promises for the route (and every route test is of a documented route).

use crate::routes::ROUTE_TESTS;
use crate::support::Harness;
use std::collections::{BTreeMap, BTreeSet};

/// `(method, path)` of every documented operation, with its documented statuses.
fn documented() -> BTreeMap<(String, String), BTreeSet<u16>> {
    let doc = serde_json::to_value(sovra_api::api_doc()).unwrap();
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let statuses = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|s| s.parse().unwrap())
                .collect();
            out.insert((method.clone(), path.clone()), statuses);
        }
    }
    out
}

/// The OpenAPI form of an axum route (`{*rest}` is `{rest}`).
fn openapi_path(route: &str) -> String {
    route.replace("{*", "{")
}

#[test]
fn every_documented_route_has_a_route_test_and_no_test_is_of_an_undocumented_route() {
    let documented: BTreeSet<(String, String)> = documented().into_keys().collect();
    let tested: BTreeSet<(String, String)> = ROUTE_TESTS
        .iter()
        .map(|t| (t.method.to_string(), t.path.to_string()))
        .collect();
    let untested: Vec<_> = documented.difference(&tested).collect();
    assert!(untested.is_empty(), "routes without a test: {untested:?}");
    let undocumented: Vec<_> = tested.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "tests of undocumented routes: {undocumented:?}"
    );
    assert_eq!(ROUTE_TESTS.len(), tested.len(), "a route is listed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_test_sees_every_documented_answer_of_its_route() {
    let documented = documented();
    let mut missing = Vec::new();
    for test in ROUTE_TESTS {
        let h = Harness::new();
        (test.run)(&h).await;
        let seen: BTreeSet<u16> = h
            .seen()
            .into_iter()
            .filter(|(m, r, _)| {
                m.as_str().eq_ignore_ascii_case(test.method) && openapi_path(r) == test.path
            })
            .map(|(_, _, s)| s)
            .collect();
        let key = (test.method.to_string(), test.path.to_string());
        let Some(promised) = documented.get(&key) else {
            continue;
        };
        for status in promised.difference(&seen) {
            missing.push(format!(
                "{} {} never answered {status} in {}",
                test.method, test.path, test.name
            ));
        }
        // A test that never reached its route proves nothing.
        assert!(
            !seen.is_empty(),
            "{} never reached {}",
            test.name,
            test.path
        );
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
