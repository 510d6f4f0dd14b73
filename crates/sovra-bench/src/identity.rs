//! `sovra bench identity`: credential proof verifications per second for
//! both cryptosuites beside raw Ed25519 verification of the same key in the
//! same run (the floor), full trust-policy verification through a node's
//! VC-API, and DID resolutions per second over HTTP with latency
//! percentiles, against a real node process on loopback.

use crate::error::{BenchError, Result, bail};
use crate::net::start_bench_node;
use crate::percentile;
use clap::Args;
use serde_json::{Value, json};
use sovra_credentials::{Cryptosuite, ProofOptions, SOVRA_CONTEXT_URL};
use sovra_crypto::{MultikeyType, SigningKey, encode_multikey};
use sovra_types::{
    Action, Did, DidDocument, IdentityAction, RegistryAction, Relationship, Relationships,
    VerificationMethod, identity::derive_sovra_did,
};
use std::time::{Duration, Instant};

/// Options of the identity benchmark.
#[derive(Args, Debug)]
pub struct IdentityBenchArgs {
    /// Proof verifications per cryptosuite.
    #[arg(long, default_value_t = 2_000)]
    pub proofs: usize,
    /// DID resolutions per HTTP client thread.
    #[arg(long, default_value_t = 2_000)]
    pub resolutions: usize,
    /// Concurrent HTTP client threads.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// API port of the benchmark's node.
    #[arg(long, default_value_t = 28745)]
    pub api_port: u16,
    /// p2p port of the benchmark's node.
    #[arg(long, default_value_t = 29745)]
    pub p2p_port: u16,
}

fn health_credential(issuer: &str, subject: &str, i: usize) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", SOVRA_CONTEXT_URL],
        "id": format!("urn:uuid:00000000-0000-4000-8000-{i:012}"),
        "type": ["VerifiableCredential", "HealthTestCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": { "id": subject, "testType": "PCR", "result": "negative" }
    })
}

/// Per-operation latencies (ms) and the rate they give.
struct Timing {
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn time_each(n: usize, mut op: impl FnMut(usize) -> Result<()>) -> Result<Timing> {
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        op(i)?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let total = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    Ok(Timing {
        per_sec: n as f64 / total,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
    })
}

fn print(label: &str, t: &Timing, floor: Option<f64>) {
    let ratio = floor
        .map(|f| format!("  ratio to raw Ed25519 {:.4}", t.per_sec / f))
        .unwrap_or_default();
    println!(
        "  {label:<44} {:>10.1}/s  p50 {:>8.3} ms  p99 {:>8.3} ms{ratio}",
        t.per_sec, t.p50_ms, t.p99_ms
    );
}

/// Runs `per_thread` calls of `op` on `threads` threads at once.
fn concurrent(
    threads: usize,
    per_thread: usize,
    op: impl Fn(usize) -> Result<()> + Sync,
) -> Result<Timing> {
    let start = Instant::now();
    let results: Vec<Result<Vec<f64>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let op = &op;
                s.spawn(move || {
                    let mut lat = Vec::with_capacity(per_thread);
                    for i in 0..per_thread {
                        let start = Instant::now();
                        op(t * per_thread + i)?;
                        lat.push(start.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(lat)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(BenchError::Failed("client thread panicked".to_string()))
                })
            })
            .collect()
    });
    let total = start.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for r in results {
        lat.extend(r?);
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    Ok(Timing {
        per_sec: lat.len() as f64 / total,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
    })
}

/// Runs the benchmark.
pub fn run(args: IdentityBenchArgs) -> Result<()> {
    let issuer_key = SigningKey::from_test_seed(77);
    let raw: [u8; 32] = issuer_key.public_key().as_ref().try_into()?;
    let issuer = Did::from_public_key(&issuer_key.public_key());
    let vm = format!("{issuer}#{}", encode_multikey(MultikeyType::Ed25519, &raw));
    let subject = Did::from_public_key(&SigningKey::from_test_seed(78).public_key());
    println!(
        "identity benchmark: {} proofs per suite, {} resolutions x {} clients",
        args.proofs, args.resolutions, args.clients
    );

    // Floor: raw Ed25519 verification (ed25519-dalek, as the proofs use) of 64-byte messages.
    let dalek = ed25519_dalek::SigningKey::from_bytes(&issuer_key.seed());
    let verifying = dalek.verifying_key();
    let msgs: Vec<[u8; 64]> = (0..args.proofs).map(|i| [(i % 251) as u8; 64]).collect();
    let sigs: Vec<_> = msgs
        .iter()
        .map(|m| ed25519_dalek::Signer::sign(&dalek, m))
        .collect();
    let raw_t = time_each(args.proofs, |i| {
        verifying
            .verify_strict(&msgs[i], &sigs[i])
            .map_err(|e| BenchError::step("raw Ed25519 verification")(e.into()))
    })?;
    print("raw Ed25519 verify (floor)", &raw_t, None);

    for suite in Cryptosuite::ALL {
        let mut options = ProofOptions::assertion(suite, vm.clone());
        options.created = Some("2026-01-01T00:00:00Z".into());
        let signed: Vec<Value> = (0..args.proofs.min(200))
            .map(|i| {
                sovra_credentials::sign(
                    &health_credential(issuer.as_str(), subject.as_str(), i),
                    &issuer_key.seed(),
                    &options,
                )
            })
            .collect::<Result<_, _>>()?;
        let sign_t = time_each(args.proofs.min(200), |i| {
            sovra_credentials::sign(
                &health_credential(issuer.as_str(), subject.as_str(), i),
                &issuer_key.seed(),
                &options,
            )?;
            Ok(())
        })?;
        print(&format!("{} sign", suite.as_str()), &sign_t, None);
        let verify_t = time_each(args.proofs, |i| {
            sovra_credentials::verify(&signed[i % signed.len()], |_| Ok(raw))?;
            Ok(())
        })?;
        print(
            &format!("{} verify (proof only)", suite.as_str()),
            &verify_t,
            Some(raw_t.per_sec),
        );
    }

    // A node: DIDs to resolve, a registered issuer, VC-API verification.
    let node = start_bench_node(args.api_port, args.p2p_port)?;
    let client = &node.client;
    let layout = &node.layout;
    let base = format!("http://{}", node.api);
    let authority = &layout.dev_keys[0];
    let authority_did = Did::from_public_key(&authority.public_key());
    // A did:sovra with three versions, and the issuer in the registry.
    let chain = client.status()?.chain_id;
    let nonce = client.account(&authority_did)?.nonce;
    let doc = |k: &SigningKey| DidDocument {
        methods: vec![VerificationMethod {
            id: "key-1".into(),
            key_type: MultikeyType::Ed25519,
            public_key: k.public_key().as_ref().try_into().expect("32 bytes"),
            relationships: Relationships::of(&[
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityInvocation,
            ]),
        }],
        controllers: vec![authority_did.clone()],
        ..Default::default()
    };
    let send = |actions: Vec<Action>| -> Result<()> {
        let tx = client.build_tx(authority, &authority_did, actions, 1)?;
        let id = client.send_signed(&tx)?;
        let status = client.wait_final(&id, Duration::from_secs(30))?;
        if status.status != "completed" {
            bail!("setup transaction {id} {}", status.status);
        }
        Ok(())
    };
    send(vec![Action::Identity(IdentityAction::Create {
        document: doc(authority),
    })])?;
    let did = derive_sovra_did(&chain, &authority_did, nonce, 0);
    for v in 1..3u64 {
        send(vec![Action::Identity(IdentityAction::Update {
            did: did.clone(),
            previous_version: v,
            document: doc(&SigningKey::from_test_seed(100 + v)),
        })])?;
    }
    send(vec![Action::Registry(RegistryAction::RegisterVerifier {
        verifier: issuer.clone(),
        name: "Bench Labs".into(),
        credential_types: vec!["HealthTestCredential".into()],
    })])?;

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |url: &str| -> Result<()> {
        let mut resp = agent.get(url).call()?;
        let status = resp.status().as_u16();
        resp.body_mut().read_to_vec()?;
        if status != 200 {
            bail!("{url}: HTTP {status}");
        }
        Ok(())
    };
    let url = format!("{base}/1.0/identifiers/{did}");
    let t = concurrent(args.clients, args.resolutions, |_| get(&url))?;
    print("resolve did:sovra (latest) over HTTP", &t, None);
    let url_v = format!("{base}/1.0/identifiers/{did}?versionId=1");
    let t = concurrent(args.clients, args.resolutions, |_| get(&url_v))?;
    print("resolve did:sovra ?versionId=1", &t, None);
    let url_p = format!("{base}/1.0/identifiers/{did}?proof=true");
    let t = concurrent(args.clients, args.resolutions / 4, |_| get(&url_p))?;
    print("resolve did:sovra ?proof=true", &t, None);
    let url_k = format!("{base}/1.0/identifiers/{subject}");
    let t = concurrent(args.clients, args.resolutions, |_| get(&url_k))?;
    print("resolve did:key over HTTP", &t, None);
    let t = concurrent(1, args.resolutions / 20, |_| {
        match client.resolve_verified(&did, sovra_client::DidVersionSelector::Latest)? {
            Ok(_) => Ok(()),
            Err(a) => bail!("{}", a.what),
        }
    })?;
    print("resolve + verify proofs in the client", &t, None);

    // Full policy verification by the node (VC-API), both suites.
    for suite in Cryptosuite::ALL {
        let mut options = ProofOptions::assertion(suite, vm.clone());
        options.created = Some("2026-01-01T00:00:00Z".into());
        let vc = sovra_credentials::sign(
            &health_credential(issuer.as_str(), subject.as_str(), 0),
            &issuer_key.seed(),
            &options,
        )?;
        let body = json!({ "verifiableCredential": vc }).to_string();
        let verify_url = format!("{base}/credentials/verify");
        let t = concurrent(args.clients, (args.resolutions / 10).max(10), |_| {
            let mut resp = agent
                .post(&verify_url)
                .header("content-type", "application/json")
                .send(body.as_bytes())?;
            let status = resp.status().as_u16();
            resp.body_mut().read_to_vec()?;
            if status != 200 {
                bail!("verification failed: HTTP {status}");
            }
            Ok(())
        })?;
        print(
            &format!("POST /credentials/verify ({})", suite.as_str()),
            &t,
            None,
        );
    }
    drop(node);
    Ok(())
}
