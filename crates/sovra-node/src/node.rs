//! Runs one node: the commonware tokio runtime, authenticated p2p to the
//! validators named in genesis, the ledger, the consensus engine and the
//! HTTP API.

use crate::error::{NodeError, Result};
use crate::replication::NetworkBlocks;
use crate::services::{self, ServiceTimings, StoreChannels, Stores};
use crate::{
    backend::NodeBackend,
    config::{NodeConfig, read_key_file},
};
use commonware_cryptography::{ChaCha20Poly1305, ed25519::PublicKey};
use commonware_p2p::{Address, AddressableManager as _, authenticated::lookup};
use commonware_runtime::{Metrics as _, Quota, Runner as _, Supervisor as _, tokio as cw_tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZU32, NZUsize, ordered::Map};
use sovra_consensus::{
    Ledger,
    engine::{self, Channels, EngineConfig},
    mempool::{Mempool, MempoolConfig},
};
use sovra_store::{ContentStore, Index, VaultLog, VaultStore};
use sovra_types::{Genesis, limits::MAX_BLOCK_BYTES};
use std::{sync::Arc, time::Duration};

/// Largest p2p message: a full block plus framing.
const MAX_MESSAGE_SIZE: u32 = (MAX_BLOCK_BYTES + 64 * 1024) as u32;

/// Parses the validator keys of a genesis.
pub fn validator_keys(genesis: &Genesis) -> Result<Vec<PublicKey>> {
    genesis
        .validators
        .iter()
        .map(|v| {
            let bytes = hex::decode(&v.public_key).map_err(NodeError::ValidatorKeyHex)?;
            Ok(sovra_crypto::keys::public_key_from_bytes(&bytes)?)
        })
        .collect()
}

/// Whether an address is not routable on the internet (loopback, private, link-local, ...).
fn is_private(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_private(v4.into()),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Most p2p handshakes in progress at once: only genesis validators' addresses may
/// connect at all (unregistered addresses are dropped before any handshake), so a few per
/// validator suffice; this bounds the descriptors p2p can take.
fn max_handshakes(validators: usize) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new((validators as u32).saturating_mul(4).max(16)).unwrap_or(NZU32!(16))
}

/// Runs a node until the process is stopped.
pub fn run(cfg: NodeConfig) -> Result<()> {
    // Descriptors: raise the soft limit, and size the API's connection cap so storage and
    // p2p always keep `fd_reserve` of them whatever HTTP clients do.
    let nofile = crate::fdlimit::raise_nofile_limit().unwrap_or_else(|e| {
        tracing::warn!("reading the open-file limit: {e}; assuming 1024");
        1024
    });
    let api_limits = cfg.api.server_limits(nofile);
    tracing::info!(
        open_files = nofile,
        fd_reserve = cfg.api.fd_reserve,
        max_connections = api_limits.max_connections,
        per_client = api_limits.max_connections_per_client,
        "API connection limits"
    );
    let genesis_bytes =
        std::fs::read(&cfg.genesis).map_err(NodeError::file("reading genesis", &cfg.genesis))?;
    let genesis = Genesis::from_json(&genesis_bytes)?;
    let key = read_key_file(&cfg.key_file)?;
    let validators = validator_keys(&genesis)?;
    let me = key.public_key();
    if !validators.contains(&me) {
        // Not a genesis validator: it follows the chain and validates in the epochs whose set
        // (chosen by stake) holds its key; until it is a candidate, peers do not accept it.
        tracing::warn!(key = %me, "this node's key is not a genesis validator");
    }
    let params = genesis.params();
    let max_peers = (validators.len() + params.max_validators as usize)
        .min(validators.len() + sovra_types::staking::MAX_CANDIDATES);
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(NodeError::file("creating data directory", &cfg.data_dir))?;
    let index = Index::open(&cfg.data_dir.join("index.redb")).map_err(NodeError::store(
        "opening the index (is another node using this data directory?)",
    ))?;
    let content = Arc::new(
        ContentStore::open(&cfg.data_dir.join("content.redb"))
            .map_err(NodeError::store("opening the content store"))?,
    );
    let vault = Arc::new(
        VaultStore::open(&cfg.data_dir.join("vault.redb"))
            .map_err(NodeError::store("opening the vault store"))?,
    );
    let vault_log = Arc::new(
        VaultLog::open(&cfg.data_dir.join("vault-log.redb"))
            .map_err(NodeError::store("opening the vault access log"))?,
    );

    let runtime_cfg = cw_tokio::Config::new()
        .with_storage_directory(cfg.data_dir.join("chain"))
        .with_worker_threads(2)
        .with_catch_panics(false);
    let runner = cw_tokio::Runner::new(runtime_cfg);
    runner.start(|context| async move {
        let ledger_slot = crate::shutdown::LedgerSlot::default();
        crate::shutdown::spawn_on_signal(context.child("shutdown"), ledger_slot.clone())?;
        let namespace = format!("sovra/p2p/{}", genesis.chain_id);
        let signer = key.as_commonware().clone();
        let mut p2p_cfg = lookup::Config::local(
            Cups::<_, ChaCha20Poly1305>::new(
                Sake {
                    signer: signer.clone(),
                    synchrony_bound: Duration::from_secs(5),
                    max_handshake_age: Duration::from_secs(10),
                    version: sake::Version::V1,
                },
                cups::Version::V1,
            ),
            namespace.as_bytes(),
            cfg.p2p_listen,
            std::num::NonZeroUsize::new(max_peers).unwrap_or(NZUsize!(1)),
            MAX_MESSAGE_SIZE,
            NZUsize!(1024),
        );
        // `local` suits loopback testnets; bound what it leaves open. Inbound connections from
        // addresses not in genesis are refused before any handshake (`bypass_ip_check` false);
        // private addresses are accepted only when genesis itself uses them.
        p2p_cfg.bypass_ip_check = false;
        p2p_cfg.allow_private_ips = genesis.validators.iter().any(|v| {
            v.p2p_address
                .parse::<std::net::SocketAddr>()
                .is_ok_and(|a| is_private(a.ip()))
        });
        p2p_cfg.max_concurrent_handshakes = max_handshakes(max_peers);
        // The current epoch's peers and the previous epoch's, while the network moves over.
        p2p_cfg.tracked_peer_sets = NZUsize!(2);
        p2p_cfg.handshake_timeout = Duration::from_secs(5);
        let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p_cfg);
        let mut peers = Vec::new();
        for (v, pk) in genesis.validators.iter().zip(&validators) {
            let addr: std::net::SocketAddr =
                v.p2p_address
                    .parse()
                    .map_err(|source| NodeError::P2pAddress {
                        address: v.p2p_address.clone(),
                        source,
                    })?;
            peers.push((pk.clone(), Address::from(addr)));
        }
        let peers: Map<PublicKey, Address> = peers
            .try_into()
            .map_err(|_| NodeError::DuplicateValidators)?;
        oracle.track(0, peers.clone());
        let current_peers = Arc::new(std::sync::Mutex::new(peers));
        // After a pause of the process, drop the p2p backlog and reconnect, as a restart would.
        sovra_consensus::pause::spawn_watchdog(
            context.child("pause_watchdog"),
            oracle.clone(),
            current_peers.clone(),
        );
        // Each channel's inbound mailbox, and the router's outbound one, hold `validators x burst`
        // messages, allocated up front: the quota bounds memory as well as per-peer message rate.
        let quota = Quota::per_second(NZU32!(sovra_consensus::engine::CHANNEL_MESSAGES_PER_SEC));
        let channels = Channels {
            votes: network.register(0, quota),
            certificates: network.register(1, quota),
            resolver: network.register(2, quota),
            broadcast: network.register(3, quota),
            backfill: network.register(4, quota),
            txs: network.register(5, quota),
        };
        let content_channel = network.register(6, quota);
        let vault_channel = network.register(7, quota);
        network.start();

        // Block replication: a resolver per store, each over its own channel (public content
        // and private vault blocks never mix; vault blocks are fetched, served and stored per
        // owner namespace).
        let stores = Stores {
            content: content.clone(),
            vault: vault.clone(),
            vault_log: vault_log.clone(),
        };
        let timings = ServiceTimings {
            replication_interval: Duration::from_secs(cfg.content.replication_interval_secs.max(1)),
            scrub_interval: Duration::from_secs(cfg.content.scrub_interval_secs.max(1)),
            gc_interval: Duration::from_secs(cfg.content.gc_interval_secs.max(1)),
            vault_rewrite_interval: Duration::from_secs(cfg.content.vault_rewrite_interval_secs),
            fetch_timeout: Duration::from_secs(5),
        };
        let fetchers = services::start_resolvers(
            &context,
            oracle.clone(),
            oracle.clone(),
            me.clone(),
            &stores,
            StoreChannels {
                content: content_channel,
                vault: vault_channel,
            },
            timings.fetch_timeout,
        );

        let mempool = Mempool::new(MempoolConfig {
            max_txs: cfg.mempool.max_txs,
            max_bytes: cfg.mempool.max_bytes,
            max_per_sender: cfg.mempool.max_per_sender,
            max_dropped: cfg.mempool.max_dropped,
        });
        let ledger = Ledger::open(
            context.child("ledger"),
            "sovra",
            genesis.clone(),
            index,
            mempool,
        )
        .await?;
        let f = ledger.finalized();
        tracing::info!(height = f.header.height, chain = %genesis.chain_id, "ledger opened");
        let _ = ledger_slot.set(ledger.clone());

        let mut engine_cfg = EngineConfig::new(&genesis.chain_id, "sovra");
        engine_cfg.leader_timeout = Duration::from_millis(cfg.consensus.leader_timeout_ms);
        engine_cfg.certification_timeout =
            Duration::from_millis(cfg.consensus.notarization_timeout_ms);
        engine_cfg.timeout_retry = Duration::from_millis(cfg.consensus.nullify_retry_ms);
        engine_cfg.max_peers = max_peers;
        engine::start(
            context.child("engine"),
            engine_cfg,
            ledger.clone(),
            signer,
            oracle.clone(),
            oracle.clone(),
            crate::peers::LookupPeers::new(oracle, current_peers),
            channels,
        )
        .await?;

        // Housekeeping tasks, each on a dedicated thread of the runtime.
        services::spawn_housekeeping(
            &context,
            &stores,
            &ledger,
            &fetchers,
            me.clone(),
            validators.clone(),
            timings,
        );
        let metrics_ctx = context.child("api");
        let backend = NodeBackend {
            blocks: Arc::new(NetworkBlocks {
                content: content.clone(),
                fetcher: (validators.len() > 1).then_some(fetchers.content),
                timeout: Duration::from_secs(10),
                holders: Some(crate::replication::pin_holders(
                    ledger.index().clone(),
                    validators.clone(),
                    me.clone(),
                )),
                targets: Vec::new(),
            }),
            content,
            vault_fetcher: (validators.len() > 1).then_some(fetchers.vault),
            vault,
            vault_log,
            signer: key.clone(),
            content_cfg: cfg.content.clone(),
            ledger,
            node_key: hex::encode(me.as_ref()),
            metrics: Arc::new(move || metrics_ctx.encode()),
            peers: Arc::new(move || validators.len().saturating_sub(1)),
            auth: sovra_api::auth::AuthStore::system(cfg.api.auth.limits()),
        };
        let listener = tokio::net::TcpListener::bind(cfg.api_listen)
            .await
            .map_err(|source| NodeError::Io {
                what: format!("binding the API to {}", cfg.api_listen),
                source,
            })?;
        tracing::info!(api = %cfg.api_listen, p2p = %cfg.p2p_listen, "node running");
        sovra_api::serve(listener, sovra_api::router(Arc::new(backend)), api_limits).await;
        Ok::<(), NodeError>(())
    })
}
