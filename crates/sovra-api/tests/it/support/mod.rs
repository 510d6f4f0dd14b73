//! The test harness: the router over a [`MockBackend`], requests and answers, identities and
//! fixtures, and the table of route tests that [`crate::coverage`] checks against the OpenAPI
//! document.

pub(crate) mod mock;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::{
    Router,
    body::Body,
    extract::{MatchedPath, Request},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use commonware_codec::Encode;
use futures::StreamExt as _;
use serde_json::Value;
use sovra_api::Backend as _;
use sovra_api::extract::ClientKey;
use sovra_cas::{Adder, Cid, MemoryBlocks, Profile, dag::Scope};
use sovra_crypto::SigningKey;
use sovra_types::{AccountsAction, Action, Did, SignedTransaction, Transaction};
use tower::ServiceExt as _;

pub(crate) use mock::{CHAIN_ID, MockBackend};

/// A request the router answered: its method, the route it matched and the status.
pub(crate) type Seen = (Method, String, u16);

/// The router over a fresh mock node, recording what each route answered.
pub(crate) struct Harness {
    /// The node behind the router.
    pub backend: Arc<MockBackend>,
    router: Router,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// An answer of the router.
pub(crate) struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value.
    pub(crate) fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// Checks the answer is the API's JSON error with `status` and `code`; returns its message.
    #[track_caller]
    pub(crate) fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        assert!(
            self.header(header::CONTENT_TYPE)
                .starts_with("application/json"),
            "{:?}",
            self.headers
        );
        let v = self.json();
        assert_eq!(v["code"], code, "{v}");
        let message = v["message"].as_str().expect("a message").to_string();
        assert!(!message.is_empty());
        if status == 401 {
            assert_eq!(self.header(header::WWW_AUTHENTICATE), "Bearer");
        }
        message
    }

    /// Checks the status is `status` and returns the JSON body.
    #[track_caller]
    pub(crate) fn ok_json(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        self.json()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// The router over a new mock node.
    pub(crate) fn new() -> Self {
        Self::over(MockBackend::new())
    }

    /// The router over `backend`.
    pub(crate) fn over(backend: MockBackend) -> Self {
        let backend = Arc::new(backend);
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let record = seen.clone();
        let router = sovra_api::router(backend.clone()).layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let record = record.clone();
                async move {
                    let method = req.method().clone();
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|m| m.as_str().to_string());
                    let response: Response = next.run(req).await;
                    if let Some(route) = route {
                        record
                            .lock()
                            .unwrap()
                            .push((method, route, response.status().as_u16()));
                    }
                    response
                }
            },
        ));
        Self {
            backend,
            router,
            seen,
        }
    }

    /// What the routes answered so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Sends a request.
    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), 256 << 20)
            .await
            .expect("a complete body")
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// `GET uri`.
    pub(crate) async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// `GET uri` with a bearer token.
    pub(crate) async fn get_as(&self, uri: &str, token: &str) -> Answer {
        self.send(
            Request::get(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// `GET uri` with an `Accept` header.
    pub(crate) async fn get_accept(&self, uri: &str, accept: &str) -> Answer {
        self.send(
            Request::get(uri)
                .header(header::ACCEPT, accept)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// `POST uri` with a JSON body.
    pub(crate) async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        self.post(uri, "application/json", None, body.to_string().into_bytes())
            .await
    }

    /// `POST uri` with a body of `content_type`, with a bearer token when given.
    pub(crate) async fn post(
        &self,
        uri: &str,
        content_type: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = Request::post(uri).header(header::CONTENT_TYPE, content_type);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Uploads `first` to `uri` as `uploader` (with `token`), its body stalled halfway, and
    /// while it is in progress uploads `second`; then lets the first finish. Returns both
    /// answers.
    pub(crate) async fn upload_during_upload(
        &self,
        uri: &str,
        uploader: &Did,
        token: &str,
        first: Vec<u8>,
        second: Vec<u8>,
    ) -> (Answer, Answer) {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let tail = first[first.len() / 2..].to_vec();
        let head = first[..first.len() / 2].to_vec();
        let body = futures::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from(head))])
            .chain(futures::stream::once(async move {
                let _ = released.await;
                Ok(axum::body::Bytes::from(tail))
            }));
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/vnd.ipld.car")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from_stream(body))
            .unwrap();
        let during = async {
            let started = std::time::Instant::now();
            while !self
                .backend
                .uploading
                .lock()
                .unwrap()
                .contains(uploader.as_str())
            {
                assert!(
                    started.elapsed().as_secs() < 10,
                    "the first upload never started"
                );
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let answer = self
                .post(uri, "application/vnd.ipld.car", Some(token), second)
                .await;
            let _ = release.send(());
            answer
        };
        tokio::join!(self.send(request), during)
    }

    /// A live bearer token of `did` (a `did:key`), as `POST /v1/auth/token` would issue.
    pub(crate) fn token_for(&self, did: &Did) -> String {
        self.backend
            .auth()
            .issue_token(
                ClientKey::Unknown,
                did.clone(),
                format!("{did}#key"),
                [0; 32],
            )
            .unwrap()
            .token
            .unwrap()
    }
}

/// The signing key and `did:key` of a test seed.
pub(crate) fn identity(seed: u64) -> (SigningKey, Did) {
    let key = SigningKey::from_test_seed(seed);
    let did = Did::from_public_key(&key.public_key());
    (key, did)
}

/// A transfer signed by `seed` with `fee`, for the mock chain.
pub(crate) fn transfer(seed: u64, nonce: u64, fee: u64) -> SignedTransaction {
    let (key, did) = identity(seed);
    Transaction {
        chain_id: CHAIN_ID.into(),
        signer: did,
        nonce,
        fee,
        expiry_height: 100,
        actions: vec![Action::Accounts(AccountsAction::Transfer {
            to: identity(seed + 1).1,
            amount: 1,
        })],
    }
    .sign(&key)
}

/// The hex of a signed transaction's encoding.
pub(crate) fn tx_hex(tx: &SignedTransaction) -> String {
    hex::encode(tx.encode())
}

/// `data` imported as a UnixFS file: its root and blocks.
pub(crate) fn file_blocks(data: &[u8]) -> (Cid, Vec<(Cid, Vec<u8>)>) {
    let mut staged = mock::Staged::default();
    let added = Adder::new(Profile::default())
        .add_reader(data, &mut staged)
        .unwrap();
    (added.cid, staged.0)
}

/// A CAR of `blocks` under `root`.
pub(crate) fn car_of(root: &Cid, blocks: &[(Cid, Vec<u8>)]) -> Vec<u8> {
    let mut store = MemoryBlocks::new();
    for (cid, data) in blocks {
        sovra_cas::BlockSink::put_block(&mut store, *cid, data.clone()).unwrap();
    }
    let mut out = Vec::new();
    sovra_cas::car::export(&store, root, &[], root, Scope::All, &mut out).unwrap();
    out
}

/// One route test: the documented route it covers and the test itself.
pub(crate) struct RouteTest {
    /// The HTTP method, lower case (as the OpenAPI document has it).
    pub method: &'static str,
    /// The route's path template.
    pub path: &'static str,
    /// The test's name.
    pub name: &'static str,
    /// Runs the test against a harness.
    pub run: fn(&Harness) -> Pin<Box<dyn Future<Output = ()> + '_>>,
}

/// Declares the route tests: each `method "path" => area::test` becomes a `#[tokio::test]`
/// (named `routes::area::test`) and an entry of `ROUTE_TESTS`, which the coverage test checks
/// against every route of the OpenAPI document and every answer it documents.
#[macro_export]
macro_rules! route_tests {
    ($($area:ident { $($method:ident $path:literal => $test:ident),* $(,)? })*) => {
        /// Every route test, by documented route.
        pub(crate) const ROUTE_TESTS: &[$crate::support::RouteTest] = &[
            $($($crate::support::RouteTest {
                method: stringify!($method),
                path: $path,
                name: concat!(stringify!($area), "::", stringify!($test)),
                run: |h| Box::pin($crate::$area::$test(h)),
            },)*)*
        ];

        $(
            mod $area {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $test() {
                        $crate::$area::$test(&$crate::support::Harness::new()).await;
                    }
                )*
            }
        )*
    };
}

/// When version 1 of a [`sovra_did`] was made (2023-11-14T22:13:20Z).
pub(crate) const CREATED_MS: u64 = 1_700_000_000_000;
/// When version 2 was made (100 s later).
pub(crate) const UPDATED_MS: u64 = CREATED_MS + 100_000;

/// A version of a `did:sovra` whose document holds the key of `key_seed`.
pub(crate) fn did_record(version: u64, key_seed: u64, deactivated: bool) -> sovra_types::DidRecord {
    let (key, _) = identity(key_seed);
    let public: [u8; 32] = key.public_key().as_ref().try_into().unwrap();
    sovra_types::DidRecord {
        version,
        created_ms: CREATED_MS,
        updated_ms: if version == 1 { CREATED_MS } else { UPDATED_MS },
        created_height: 1,
        updated_height: version,
        tx_id: sovra_types::ZERO_DIGEST,
        deactivated,
        document: sovra_types::DidDocument {
            methods: sovra_types::identity::methods_for_key(&public, 1).unwrap(),
            services: vec![],
            controllers: vec![],
            also_known_as: vec![],
        },
    }
}

/// Registers `did:sovra` number `n` on the mock ledger: version 1 with the key of `key_seed`,
/// version 2 (current) with the key of `key_seed` again, deactivated if asked.
pub(crate) fn sovra_did(h: &Harness, n: u8, key_seed: u64, deactivated: bool) -> Did {
    use sovra_types::StateKey;
    let did = Did::sovra(&[n; 16]);
    let v1 = did_record(1, key_seed, false);
    let v2 = did_record(2, key_seed, deactivated);
    for (version, record) in [(1, &v1), (2, &v2)] {
        h.backend.put_state(
            StateKey::DidVersion {
                did: did.clone(),
                version,
            },
            record.clone(),
        );
    }
    h.backend.put_state(StateKey::Did(did.clone()), v2);
    did
}
