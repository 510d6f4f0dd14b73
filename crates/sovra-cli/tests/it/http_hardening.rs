//! The HTTP API under hostile clients, against real `sovra node` processes on
//! loopback: random requests to every route of the OpenAPI document (no 5xx,
//! every error JSON, the node healthy afterwards); thousands of idle and
//! half-open connections while consensus keeps finalizing and a normal client
//! is served; DID-authentication floods from one address and one DID that
//! lock nobody else out; tokens refused once their key is rotated out or the
//! DID deactivated; JSON bodies for 413/414/415/431/405 and rejected queries
//! and bodies; the Bearer scheme in any case; bad DID resolution options.
//!
//! Loopback has many addresses (127.0.0.0/8): clients bind to 127.0.0.2 and
//! up to be different client addresses for the per-address quotas.

use crate::common::{
    Node, PORT_STRIDE, TestDir, dev_key, did_doc, init_testnet_ports, port_base, run_tx,
    start_limited, test_dir, transfer_completes, wait_until,
};
use proptest::prelude::*;
use serde_json::Value;
use sovra_client::Client;
use sovra_crypto::SigningKey;
use sovra_types::{AccountsAction, Action, Did, IdentityAction, identity::derive_sovra_did};
use std::{
    net::{IpAddr, SocketAddr},
    path::Path,
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-validator testnet in `dir` with 4 funded dev keys; `edit` may change node 0's config.
fn init(dir: &Path, edit: impl FnOnce(&mut toml::Table)) -> u16 {
    let api = port_base();
    init_testnet_ports(dir, 1, 4, api, api + PORT_STRIDE);
    let path = dir.join("node0/config.toml");
    let mut cfg: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    edit(&mut cfg);
    std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
    api
}

/// Sets `[api]` option `key` (or `[api.auth]` option with `auth.` before it).
fn set_api(cfg: &mut toml::Table, key: &str, value: i64) {
    let api = cfg
        .entry("api")
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
        .unwrap();
    match key.strip_prefix("auth.") {
        Some(k) => {
            api.entry("auth")
                .or_insert_with(|| toml::Value::Table(Default::default()))
                .as_table_mut()
                .unwrap()
                .insert(k.into(), toml::Value::Integer(value));
        }
        None => {
            api.insert(key.into(), toml::Value::Integer(value));
        }
    }
}

/// A running one-validator testnet.
struct OneNode {
    _guard: TestDir,
    dir: std::path::PathBuf,
    node: Node,
    port: u16,
    client: Client,
}

/// Starts test `index`'s one-validator testnet (config changed by `edit`, open-file limit
/// `nofile` if given) and waits for its first block.
fn one_node(nofile: Option<u32>, edit: impl FnOnce(&mut toml::Table)) -> OneNode {
    let (guard, dir) = test_dir();
    let port = init(&dir, edit);
    let node = start_limited(&dir, 0, nofile);
    let client = Client::new(&format!("http://127.0.0.1:{port}"));
    wait_ready(&client);
    OneNode {
        _guard: guard,
        dir,
        node,
        port,
        client,
    }
}

fn wait_ready(client: &Client) {
    wait_until("node API", Duration::from_secs(60), || {
        client.status().is_ok_and(|s| s.finalized_height > 0)
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A TCP connection to `port` from the loopback address `from`.
async fn connect(from: [u8; 4], port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::from(from), 0))?;
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} answer is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&data[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        data = &data[end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[(size + 2).min(data.len())..];
    }
    out
}

fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut answer = Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if answer
        .header("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        answer.body = dechunk(&answer.body);
    }
    Some(answer)
}

/// Sends one request (it should say `connection: close`) and reads the answer to the end.
async fn request_from(from: [u8; 4], port: u16, request: &[u8]) -> Option<Answer> {
    let mut stream = connect(from, port).await.ok()?;
    stream.write_all(request).await.ok()?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw))
        .await
        .ok()?
        .ok()?;
    parse_answer(&raw)
}

fn http_request(method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" || method == "PATCH" {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn did_key(k: &SigningKey) -> Did {
    Did::from_public_key(&k.public_key())
}

/// Asserts an error answer has the API's JSON error shape with `code`.
fn assert_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{a:?}");
    assert!(
        a.header("content-type").is_some_and(|t| t.contains("json")),
        "{a:?}"
    );
    let v = a.json();
    assert_eq!(v["code"], code, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

// ------------------------------------------------------------------ fuzzing

/// Values for path parameters: some meaningful, some hostile.
fn segment() -> impl Strategy<Value = String> {
    let dev = did_key(&dev_key(0)).to_string();
    prop_oneof![
        Just(dev.clone()),
        Just("did:sovra:7aEe9mqMdj3p5wXsnN4Tvt".to_string()),
        Just("did:web:example.com".to_string()),
        Just("latest".to_string()),
        Just("0".to_string()),
        Just("18446744073709551615".to_string()),
        Just("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku".to_string()),
        Just("000102030405060708090a0b0c0d0e0f".to_string()),
        "[0-9a-f]{64}",
        "[a-zA-Z0-9:._-]{0,40}",
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| percent(&b)),
        Just("%2e%2e%2f%2e%2e".to_string()),
        Just(format!("{dev}/profile")),
    ]
}

fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(b) {
                (*b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A query string made of documented and random parameters.
fn query(names: Vec<String>) -> impl Strategy<Value = String> {
    let name = prop_oneof![
        proptest::sample::select(if names.is_empty() {
            vec!["x".to_string()]
        } else {
            names
        }),
        "[a-zA-Z_-]{1,12}",
    ];
    let value = prop_oneof![
        segment(),
        Just("true".to_string()),
        Just("abc".to_string()),
        Just("-1".to_string()),
        Just("2026-01-01T00:00:00Z".to_string()),
        Just("garbage".to_string()),
        Just("car".to_string()),
        Just("raw".to_string()),
        Just("account:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt".to_string()),
    ];
    proptest::collection::vec((name, value), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(n, v)| format!("{}={}", percent(n.as_bytes()), v))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let header = prop_oneof![
        "[0-9a-f]{64}".prop_map(|t| ("authorization".to_string(), format!("Bearer {t}"))),
        "[ -~]{0,40}".prop_map(|t| ("authorization".to_string(), t)),
        prop_oneof![
            Just("application/json"),
            Just("application/vnd.ipld.car"),
            Just("text/plain"),
            Just("multipart/form-data; boundary=x"),
            Just("application/json; charset=utf-8"),
        ]
        .prop_map(|t| ("content-type".to_string(), t.to_string())),
        prop_oneof![
            Just("application/vnd.ipld.car"),
            Just("application/vnd.ipld.raw"),
            Just("application/did+ld+json"),
            Just("text/html"),
            Just("*/*"),
        ]
        .prop_map(|t| ("accept".to_string(), t.to_string())),
        "bytes=[0-9]{0,4}-[0-9]{0,4}".prop_map(|r| ("range".to_string(), r)),
        "\"[ -!#-~]{0,20}\"".prop_map(|e| ("if-none-match".to_string(), e)),
    ];
    proptest::collection::vec(header, 0..4)
}

fn body(valid_tx: String) -> impl Strategy<Value = Vec<u8>> {
    let did = did_key(&dev_key(1)).to_string();
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..2048),
        Just(format!("{{\"tx\":\"{valid_tx}\"}}").into_bytes()),
        (0usize..valid_tx.len()).prop_map(move |i| {
            // A valid transaction with one hex digit changed.
            let mut t = valid_tx.clone().into_bytes();
            t[i] = if t[i] == b'0' { b'1' } else { b'0' };
            format!("{{\"tx\":\"{}\"}}", String::from_utf8(t).unwrap()).into_bytes()
        }),
        Just(format!("{{\"did\":\"{did}\"}}").into_bytes()),
        "[0-9a-f]{0,80}".prop_map(|h| format!("{{\"txs\":[\"{h}\",\"\"]}}").into_bytes()),
        "[ -~]{0,64}".prop_map(|s| {
            format!(
                "{{\"did\":\"{s}\",\"verification_method\":\"{s}#k\",\"challenge\":\"{s}\",\"signature\":\"{s}\"}}"
            )
            .into_bytes()
        }),
        Just(b"{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":[\"VerifiableCredential\"]}".to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_vec()),
        Just(vec![0x3a, 0xa2, 0x65, 0x72, 0x6f, 0x6f, 0x74, 0x73]),
    ]
}

/// (method, path template, query parameter names) of every operation in the OpenAPI document.
fn routes(doc: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let names = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            out.push((method.to_uppercase(), path.clone(), names));
        }
    }
    out
}

/// Fills `{param}` and `{*param}` of a path template.
fn fill(template: &str, values: &[String]) -> String {
    let mut out = String::new();
    let mut values = values.iter().cycle();
    for part in template.split('/') {
        if part.is_empty() {
            continue;
        }
        out.push('/');
        if part.starts_with('{') && part.ends_with('}') {
            out.push_str(values.next().map(String::as_str).unwrap_or("x"));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Whether a 5xx is what a standard mandates (W3C DID Resolution: 501 methodNotSupported).
fn mandated_5xx(method: &str, path: &str, a: &Answer) -> bool {
    // A HEAD answer has no body to say why; the same request as GET must say it.
    let unsupported_method =
        |did: &str| !did.starts_with("did:sovra:") && !did.starts_with("did:key:");
    a.status == 501
        && path.starts_with("/1.0/identifiers/")
        && if method == "HEAD" {
            unsupported_method(&path["/1.0/identifiers/".len()..])
        } else {
            serde_json::from_slice::<Value>(&a.body)
                .is_ok_and(|v| v["didResolutionMetadata"]["error"] == "methodNotSupported")
        }
}

#[test]
fn random_requests_to_every_route_get_no_5xx_and_json_errors() {
    let OneNode { port, client, .. } = &one_node(None, |_| {});
    let (port, client) = (*port, client);
    let rt = runtime();
    let doc = rt
        .block_on(request_from(
            [127, 0, 0, 1],
            port,
            &http_request("GET", "/openapi.json", &[], b""),
        ))
        .unwrap()
        .json();
    let routes = routes(&doc);
    assert!(routes.len() >= 30, "{} routes", routes.len());
    let payer = dev_key(0);
    let valid_tx = hex::encode(commonware_codec::Encode::encode(
        &client
            .build_tx(
                &payer,
                &did_key(&payer),
                vec![Action::Accounts(AccountsAction::Transfer {
                    to: did_key(&dev_key(1)),
                    amount: 1,
                })],
                1,
            )
            .unwrap(),
    ));
    let start_height = client.status().unwrap().finalized_height;

    let cases: u32 = std::env::var("SOVRA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let strategy = (0..routes.len()).prop_flat_map(move |i| {
        let (method, template, names) = routes[i].clone();
        (
            prop_oneof![
                8 => Just(method),
                1 => proptest::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
                    .prop_map(String::from),
            ],
            Just(template),
            proptest::collection::vec(segment(), 1..3),
            query(names),
            headers(),
            body(valid_tx.clone()),
            0u8..4,
        )
    });
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..Default::default()
    });
    let seen = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u32>::new());
    runner
        .run(
            &strategy,
            |(method, template, values, query, headers, body, from)| {
                let path = fill(&template, &values);
                let target = if query.is_empty() {
                    path.clone()
                } else {
                    format!("{path}?{query}")
                };
                let request = http_request(&method, &target, &headers, &body);
                // A 503 is a transient state (a block being committed): it must pass on retry.
                let mut answer = None;
                for _ in 0..5 {
                    let a = rt
                        .block_on(request_from([127, 0, 0, 2 + from], port, &request))
                        .ok_or_else(|| {
                            TestCaseError::fail(format!("no answer to {method} {target}"))
                        })?;
                    let transient = a.status == 503;
                    answer = Some(a);
                    if !transient {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
                let a = answer.unwrap();
                *seen.borrow_mut().entry(a.status).or_default() += 1;
                prop_assert!(
                    a.status < 500 || mandated_5xx(&method, &path, &a),
                    "{method} {target} -> {} {:?}",
                    a.status,
                    String::from_utf8_lossy(&a.body)
                );
                if a.status >= 400 && method != "HEAD" {
                    let json = a.header("content-type").is_some_and(|t| t.contains("json"));
                    prop_assert!(
                        json,
                        "{method} {target} -> {} without JSON: {a:?}",
                        a.status
                    );
                    let v: Value = serde_json::from_slice(&a.body).map_err(|e| {
                        TestCaseError::fail(format!("{method} {target}: {e}: {a:?}"))
                    })?;
                    // The error shape, or a documented result shape that lists the errors:
                    // a submission's per-transaction results, a verification's `errors`, a
                    // DID resolution result.
                    prop_assert!(
                        v["code"].is_string()
                            || v["results"].is_array()
                            || v["errors"].is_array()
                            || v["didResolutionMetadata"]["error"].is_string(),
                        "{method} {target}: {v}"
                    );
                }
                Ok(())
            },
        )
        .unwrap();
    let seen = seen.into_inner();
    eprintln!("statuses seen: {seen:?}");
    assert!(seen.keys().any(|s| *s < 300), "some requests succeeded");
    // The node is healthy: it answers, keeps finalizing and includes a transaction.
    wait_until(
        "finalized blocks after the fuzzing",
        Duration::from_secs(30),
        || {
            client
                .status()
                .is_ok_and(|s| s.finalized_height > start_height + 2)
        },
    );
    transfer_completes(client, &dev_key(2), &did_key(&dev_key(3)), 5);
}

// ------------------------------------------------------------ connection flood

/// Descriptors the process `pid` has open.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

#[test]
fn a_connection_flood_leaves_consensus_finalizing_and_clients_served() {
    const NOFILE: u32 = 1024;
    const FLOOD: usize = 3_000;
    let mut net = one_node(Some(NOFILE), |_| {});
    let (port, client) = (net.port, &net.client);
    let pid = net.node.0.id();
    let rt = runtime();
    // 3,000 connections from 60 addresses (50 each): half say nothing, half send a
    // request line and stop. More than the node's whole open-file limit.
    let flood: Vec<tokio::net::TcpStream> = rt.block_on(async {
        let mut out = Vec::new();
        for i in 0..FLOOD {
            let from = [127, 0, 1 + (i / 50 / 250) as u8, 2 + (i / 50 % 250) as u8];
            if let Ok(mut s) = connect(from, port).await {
                if i % 2 == 1 {
                    let _ = s.write_all(b"GET /v1/status HTTP/1.1\r\n").await;
                }
                out.push(s);
            }
        }
        out
    });
    let log = || std::fs::read_to_string(net.dir.join("node0.log")).unwrap_or_default();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        net.node.0.try_wait().unwrap().is_none(),
        "the node died under the flood: {}",
        log()
    );
    assert!(flood.len() > FLOOD / 2, "{} connected", flood.len());
    let flooded_at = client.status().unwrap().finalized_height;
    // While the flood holds its sockets, blocks keep being finalized and committed,
    // a transaction is included, and a normal client is served.
    let start = Instant::now();
    transfer_completes(client, &dev_key(0), &did_key(&dev_key(1)), 7);
    wait_until("blocks during the flood", Duration::from_secs(30), || {
        client
            .status()
            .is_ok_and(|s| s.finalized_height >= flooded_at + 5)
    });
    assert!(
        open_fds(pid) < NOFILE as usize,
        "{} descriptors open",
        open_fds(pid)
    );
    assert!(
        net.node.0.try_wait().unwrap().is_none(),
        "the node died: {}",
        log()
    );
    eprintln!("served during the flood in {:?}", start.elapsed());
    drop(flood);
    // And after it.
    let h = client.status().unwrap().finalized_height;
    wait_until("blocks after the flood", Duration::from_secs(30), || {
        client.status().is_ok_and(|s| s.finalized_height > h)
    });
    let log = log();
    assert!(!log.contains("Too many open files"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

// --------------------------------------------------------- authentication

fn session_status(port: u16, auth: &str) -> Answer {
    runtime()
        .block_on(request_from(
            [127, 0, 0, 1],
            port,
            &http_request(
                "GET",
                "/v1/auth/session",
                &[("authorization".into(), auth.into())],
                b"",
            ),
        ))
        .unwrap()
}

#[test]
fn a_token_is_refused_once_its_key_is_rotated_out_or_its_did_deactivated() {
    let OneNode { port, client, .. } = &one_node(None, |_| {});
    let port = *port;
    // The creator's key is the DID's first key (the signer-key rule); k2 replaces it.
    let (payer, k2) = (dev_key(0), SigningKey::from_test_seed(72));
    let k1 = payer.clone();
    let payer_did = did_key(&payer);
    let chain = client.status().unwrap().chain_id;
    let nonce = client.account(&payer_did).unwrap().nonce;
    assert_eq!(
        run_tx(
            client,
            &payer,
            &payer_did,
            vec![Action::Identity(IdentityAction::Create {
                document: did_doc(&k1, &[])
            })]
        ),
        "completed"
    );
    let did = derive_sovra_did(&chain, &payer_did, nonce, 0);
    transfer_completes(client, &payer, &did, 1_000);
    let method = format!("{did}#key-1");
    let t1 = client
        .authenticate(&k1, &did, Some(&method))
        .unwrap()
        .token
        .unwrap();
    assert_eq!(session_status(port, &format!("Bearer {t1}")).status, 200);

    // Rotation: the document now lists k2 as #key-2 (ids are never reused) and no longer k1.
    let mut rotated = did_doc(&k2, &[]);
    rotated.methods[0].id = "key-2".into();
    assert_eq!(
        run_tx(
            client,
            &k1,
            &did,
            vec![Action::Identity(IdentityAction::Update {
                did: did.clone(),
                previous_version: 1,
                document: rotated,
            })]
        ),
        "completed"
    );
    let refused = session_status(port, &format!("Bearer {t1}"));
    assert_error(&refused, 401, "unauthorized");
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    // Forgotten, not only refused: it stays refused.
    assert_error(
        &session_status(port, &format!("Bearer {t1}")),
        401,
        "unauthorized",
    );
    let t2 = client
        .authenticate(&k2, &did, Some(&format!("{did}#key-2")))
        .unwrap()
        .token
        .unwrap();
    assert_eq!(session_status(port, &format!("Bearer {t2}")).status, 200);

    // Deactivation ends every session of the DID.
    assert_eq!(
        run_tx(
            client,
            &k2,
            &did,
            vec![Action::Identity(IdentityAction::Deactivate {
                did: did.clone(),
                previous_version: 2,
            })]
        ),
        "completed"
    );
    assert_error(
        &session_status(port, &format!("Bearer {t2}")),
        401,
        "unauthorized",
    );
}

/// Sends `count` challenge requests from `from` over `connections` kept-alive connections.
async fn challenge_flood(from: [u8; 4], port: u16, did: &str, count: usize, connections: usize) {
    let body = format!("{{\"did\":\"{did}\"}}");
    let request = format!(
        "POST /v1/auth/challenge HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut stream = connect(from, port).await.unwrap();
            let mut buf = vec![0u8; 4096];
            for _ in 0..count / connections {
                stream.write_all(request.as_bytes()).await.unwrap();
                // Read one answer: head, then content-length bytes.
                let mut got = Vec::new();
                loop {
                    let n = stream.read(&mut buf).await.unwrap();
                    assert!(n > 0, "connection closed");
                    got.extend_from_slice(&buf[..n]);
                    if let Some(a) = parse_answer(&got) {
                        let len: usize = a
                            .header("content-length")
                            .and_then(|l| l.parse().ok())
                            .unwrap_or(0);
                        if a.body.len() >= len {
                            assert_eq!(a.status, 200, "{a:?}");
                            break;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[test]
fn authentication_floods_from_one_address_or_one_did_lock_nobody_else_out() {
    // A small token table, so one DID could fill it many times over.
    let OneNode { port, client, .. } = &one_node(None, |cfg| set_api(cfg, "auth.max_tokens", 40));
    let port = *port;
    let rt = runtime();
    // One address asks for more challenges than the node's whole table holds.
    let flooder = did_key(&dev_key(3)).to_string();
    rt.block_on(challenge_flood([127, 0, 0, 2], port, &flooder, 10_400, 4));
    // Another client logs in at once.
    let alice = dev_key(1);
    let session = client.authenticate(&alice, &did_key(&alice), None).unwrap();
    assert_eq!(
        client.session(&session.token.unwrap()).unwrap().did,
        did_key(&alice).to_string()
    );

    // One throwaway did:key makes more tokens than the table holds.
    let throwaway = SigningKey::from_test_seed(99);
    let tokens: Vec<String> = (0..60)
        .map(|_| {
            client
                .authenticate(&throwaway, &did_key(&throwaway), None)
                .unwrap()
                .token
                .unwrap()
        })
        .collect();
    assert!(client.session(&tokens[0]).is_err(), "its oldest made room");
    assert!(client.session(tokens.last().unwrap()).is_ok());
    // Another DID still logs in, and alice's session from before is still there.
    let bob = dev_key(2);
    let bob_token = client
        .authenticate(&bob, &did_key(&bob), None)
        .unwrap()
        .token
        .unwrap();
    assert!(client.session(&bob_token).is_ok());
}

// ------------------------------------------------------------- JSON errors

#[test]
fn error_bodies_are_json_and_options_and_schemes_are_checked() {
    let OneNode { port, client, .. } = &one_node(None, |_| {});
    let port = *port;
    let rt = runtime();
    let send = |method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]| {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        rt.block_on(request_from(
            [127, 0, 0, 1],
            port,
            &http_request(method, target, &headers, body),
        ))
        .unwrap()
    };
    let json = [("content-type", "application/json")];
    // Bodies of /v1/auth/*: wrong type, bad JSON, missing fields.
    assert_error(
        &send(
            "POST",
            "/v1/auth/challenge",
            &[("content-type", "text/plain")],
            b"{}",
        ),
        415,
        "unsupported_media_type",
    );
    assert_error(
        &send("POST", "/v1/auth/challenge", &json, b"{\"did\":"),
        400,
        "malformed",
    );
    assert_error(
        &send("POST", "/v1/auth/token", &json, b"{}"),
        400,
        "malformed",
    );
    // Query strings.
    let dev = did_key(&dev_key(0)).to_string();
    assert_error(
        &send(
            "GET",
            &format!("/v1/accounts/{dev}/receipts?limit=abc"),
            &[],
            b"",
        ),
        400,
        "invalid_query",
    );
    assert_error(
        &send("GET", "/v1/state/proof", &[], b""),
        400,
        "invalid_query",
    );
    let vault = send("GET", "/v1/vault/records?limit=-1", &[], b"");
    assert_eq!(vault.status, 400);
    assert!(vault.json()["code"].is_string());
    // 413, 414, 431, 405, unknown route.
    let big = vec![b'x'; 9 * 1024 * 1024];
    assert_error(&send("POST", "/v1/txs", &json, &big), 413, "body_too_large");
    assert_error(
        &send(
            "GET",
            &format!("/v1/status?{}", "a".repeat(10_000)),
            &[],
            b"",
        ),
        414,
        "uri_too_long",
    );
    let long = "v".repeat(20_000);
    assert_error(
        &send("GET", "/v1/status", &[("x-long", long.as_str())], b""),
        431,
        "headers_too_large",
    );
    assert_error(
        &send("DELETE", "/v1/status", &[], b""),
        405,
        "method_not_allowed",
    );
    assert_error(&send("GET", "/nowhere", &[], b""), 404, "not_found");

    // The Bearer scheme in any case.
    let alice = dev_key(1);
    let token = client
        .authenticate(&alice, &did_key(&alice), None)
        .unwrap()
        .token
        .unwrap();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let a = send(
            "GET",
            "/v1/auth/session",
            &[("authorization", &format!("{scheme} {token}"))],
            b"",
        );
        assert_eq!(a.status, 200, "{scheme}: {a:?}");
    }
    assert_error(
        &send(
            "GET",
            "/v1/auth/session",
            &[("authorization", &format!("Basic {token}"))],
            b"",
        ),
        401,
        "unauthorized",
    );

    // DID resolution options are checked whatever the DID.
    let unknown_sovra = "did:sovra:7aEe9mqMdj3p5wXsnN4Tvt";
    for did in [dev.as_str(), unknown_sovra] {
        for q in [
            "versionTime=garbage",
            "versionId=abc",
            "versionId=0",
            "proof=maybe",
        ] {
            let a = send("GET", &format!("/1.0/identifiers/{did}?{q}"), &[], b"");
            assert_eq!(a.status, 400, "{did}?{q}: {a:?}");
            assert_eq!(
                a.json()["didResolutionMetadata"]["error"],
                "invalidOptions",
                "{did}?{q}"
            );
        }
    }
}
