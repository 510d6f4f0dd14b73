//! Node configuration: a TOML file per node (written by `sovra testnet init`
//! or `sovra devnet`), read by `sovra node --config FILE`.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// Everything a node needs to run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Directory for all node data (consensus journals, state, indexes).
    pub data_dir: PathBuf,
    /// Path of the genesis file.
    pub genesis: PathBuf,
    /// Path of the file holding this validator's consensus key seed (hex).
    pub key_file: PathBuf,
    /// HTTP API listen address.
    pub api_listen: SocketAddr,
    /// Consensus p2p listen address.
    pub p2p_listen: SocketAddr,
    /// Mempool limits.
    #[serde(default)]
    pub mempool: MempoolSection,
    /// Consensus timing.
    #[serde(default)]
    pub consensus: ConsensusSection,
    /// Public content storage.
    #[serde(default)]
    pub content: ContentSection,
    /// Log filter (tracing EnvFilter syntax).
    #[serde(default = "default_log")]
    pub log: String,
}

fn default_log() -> String {
    "info".into()
}

/// Public content storage limits and housekeeping.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContentSection {
    /// Largest CAR accepted by `POST /v1/content`, in bytes.
    pub max_upload_bytes: u64,
    /// How long uploaded blocks are kept without a pin, in seconds.
    pub upload_grace_secs: u64,
    /// How often unpinned blocks are garbage-collected, in seconds.
    pub gc_interval_secs: u64,
    /// Pause between replication passes over the pins assigned to this node, in seconds.
    pub replication_interval_secs: u64,
    /// How often complete pinned DAGs are re-read and verified (to repair corruption), in seconds.
    pub scrub_interval_secs: u64,
    /// Least time between two rewrites of the vault store after erasures, in seconds (a rewrite
    /// copies the live vault blocks into a fresh file so no freed page keeps erased data).
    pub vault_rewrite_interval_secs: u64,
    /// Most bytes of vault uploads one identity may have on this node that no finalized record
    /// or recovery of theirs names yet (each block counts its size plus 256 bytes).
    pub vault_staged_bytes_per_identity: u64,
    /// Most bytes of such unanchored vault uploads on this node, all identities together.
    pub vault_staged_bytes_total: u64,
}

impl Default for ContentSection {
    fn default() -> Self {
        Self {
            max_upload_bytes: 4 << 30,
            upload_grace_secs: 3600,
            gc_interval_secs: 300,
            replication_interval_secs: 2,
            scrub_interval_secs: 600,
            vault_rewrite_interval_secs: 60,
            vault_staged_bytes_per_identity: 4 << 30,
            vault_staged_bytes_total: 32 << 30,
        }
    }
}

/// Mempool limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolSection {
    /// Most waiting transactions.
    pub max_txs: usize,
    /// Most waiting bytes.
    pub max_bytes: usize,
    /// Most waiting transactions per sender.
    pub max_per_sender: usize,
}

impl Default for MempoolSection {
    fn default() -> Self {
        let d = sovra_consensus::mempool::MempoolConfig::default();
        Self {
            max_txs: d.max_txs,
            max_bytes: d.max_bytes,
            max_per_sender: d.max_per_sender,
        }
    }
}

/// Consensus timeouts in milliseconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusSection {
    /// How long to wait for a leader's proposal.
    pub leader_timeout_ms: u64,
    /// How long to wait for a view to be notarized.
    pub notarization_timeout_ms: u64,
    /// How often to retry nullification.
    pub nullify_retry_ms: u64,
}

impl Default for ConsensusSection {
    fn default() -> Self {
        Self {
            leader_timeout_ms: 1_000,
            notarization_timeout_ms: 2_000,
            nullify_retry_ms: 5_000,
        }
    }
}

impl NodeConfig {
    /// Reads and checks a config file. Relative paths are relative to the file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let mut cfg: NodeConfig =
            toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut cfg.data_dir, &mut cfg.genesis, &mut cfg.key_file] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if cfg.mempool.max_txs == 0 || cfg.mempool.max_bytes == 0 || cfg.mempool.max_per_sender == 0
        {
            bail!("mempool limits must be positive");
        }
        Ok(cfg)
    }

    /// Writes the config as TOML.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, toml::to_string_pretty(self)?)
            .with_context(|| format!("writing config {}", path.display()))
    }
}

/// Reads a validator key file (64 hex characters).
pub fn read_key_file(path: &Path) -> Result<sovra_crypto::SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    let bytes = hex::decode(text.trim()).context("key file is not hex")?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("key file must hold a 32-byte seed"))?;
    Ok(sovra_crypto::SigningKey::from_seed(&seed)?)
}

/// Writes a validator key file readable only by the owner.
pub fn write_key_file(path: &Path, key: &sovra_crypto::SigningKey) -> Result<()> {
    std::fs::write(path, hex::encode(key.seed().as_ref()))
        .with_context(|| format!("writing key file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
