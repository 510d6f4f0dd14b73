//! Node configuration: a TOML file per node (written by `sovra testnet init`
//! or `sovra devnet`), read by `sovra node --config FILE`.

use crate::error::{NodeError, Result};
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
    /// HTTP API limits.
    #[serde(default)]
    pub api: ApiSection,
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
    /// Most bytes one identity may upload within a grace period (`POST /v1/content`; unpinned
    /// uploads, and uploads pinned later, count until their grace period ends).
    pub max_unpinned_bytes_per_identity: u64,
    /// Most bytes all identities together may upload within a grace period.
    pub max_unpinned_bytes: u64,
    /// Least balance an identity must hold on the ledger to upload (0: any authenticated
    /// identity may upload).
    pub min_uploader_balance: u64,
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
            max_unpinned_bytes_per_identity: 4 << 30,
            max_unpinned_bytes: 64 << 30,
            min_uploader_balance: 1,
            gc_interval_secs: 300,
            replication_interval_secs: 2,
            scrub_interval_secs: 600,
            vault_rewrite_interval_secs: 60,
            vault_staged_bytes_per_identity: 4 << 30,
            vault_staged_bytes_total: 32 << 30,
        }
    }
}

/// HTTP API limits: connections, timeouts, request heads, DID authentication.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSection {
    /// Most open API connections; 0 sizes it from the open-file limit (that limit less
    /// `fd_reserve`, at most 4,096). Never more than the limit less the reserve.
    pub max_connections: usize,
    /// Most open API connections from one client address (an IPv6 /64 counts as one).
    pub max_connections_per_client: usize,
    /// File descriptors kept for storage, p2p and everything but API connections.
    pub fd_reserve: u64,
    /// Longest wait for a complete request head, in milliseconds (also how long a kept-alive
    /// connection may stay idle).
    pub header_read_timeout_ms: u64,
    /// Longest time without progress while a request body is read or an answer is written,
    /// in milliseconds.
    pub stall_timeout_ms: u64,
    /// Longest request target (path and query), in bytes.
    pub max_uri_bytes: usize,
    /// Most request header bytes.
    pub max_header_bytes: usize,
    /// Most request header fields.
    pub max_headers: usize,
    /// DID authentication tables.
    pub auth: AuthSection,
}

impl Default for ApiSection {
    fn default() -> Self {
        let d = sovra_api::ServerLimits::default();
        Self {
            max_connections: 0,
            max_connections_per_client: d.max_connections_per_client,
            fd_reserve: 1024,
            header_read_timeout_ms: d.header_read_timeout.as_millis() as u64,
            stall_timeout_ms: d.stall_timeout.as_millis() as u64,
            max_uri_bytes: d.max_uri_bytes,
            max_header_bytes: d.max_header_bytes,
            max_headers: d.max_headers,
            auth: AuthSection::default(),
        }
    }
}

impl ApiSection {
    /// The server's limits, with the connection cap sized for `nofile` open files.
    pub fn server_limits(&self, nofile: u64) -> sovra_api::ServerLimits {
        sovra_api::ServerLimits {
            max_connections: crate::fdlimit::connection_cap(
                self.max_connections,
                nofile,
                self.fd_reserve,
            ),
            max_connections_per_client: self.max_connections_per_client,
            header_read_timeout: std::time::Duration::from_millis(self.header_read_timeout_ms),
            stall_timeout: std::time::Duration::from_millis(self.stall_timeout_ms),
            max_uri_bytes: self.max_uri_bytes,
            max_header_bytes: self.max_header_bytes,
            max_headers: self.max_headers,
        }
    }
}

/// Bounds of the DID-authentication tables (see docs/authentication.md).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// Most challenges waiting for an answer.
    pub max_challenges: usize,
    /// Most challenges one client address waits to answer.
    pub max_challenges_per_client: usize,
    /// Most live tokens.
    pub max_tokens: usize,
    /// Most live tokens obtained from one client address.
    pub max_tokens_per_client: usize,
    /// Most live tokens of one DID.
    pub max_tokens_per_did: usize,
}

impl Default for AuthSection {
    fn default() -> Self {
        let d = sovra_api::auth::AuthLimits::default();
        Self {
            max_challenges: d.max_challenges,
            max_challenges_per_client: d.max_challenges_per_client,
            max_tokens: d.max_tokens,
            max_tokens_per_client: d.max_tokens_per_client,
            max_tokens_per_did: d.max_tokens_per_did,
        }
    }
}

impl AuthSection {
    /// The limits of the node's authentication store.
    pub fn limits(&self) -> sovra_api::auth::AuthLimits {
        sovra_api::auth::AuthLimits {
            max_challenges: self.max_challenges,
            max_challenges_per_client: self.max_challenges_per_client,
            max_tokens: self.max_tokens,
            max_tokens_per_client: self.max_tokens_per_client,
            max_tokens_per_did: self.max_tokens_per_did,
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
    /// Most dropped (replaced or expired) transactions whose status this node remembers.
    pub max_dropped: usize,
}

impl Default for MempoolSection {
    fn default() -> Self {
        let d = sovra_consensus::mempool::MempoolConfig::default();
        Self {
            max_txs: d.max_txs,
            max_bytes: d.max_bytes,
            max_per_sender: d.max_per_sender,
            max_dropped: d.max_dropped,
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
        let text =
            std::fs::read_to_string(path).map_err(NodeError::file("reading config", path))?;
        let mut cfg: NodeConfig =
            toml::from_str(&text).map_err(|source| NodeError::ConfigSyntax {
                path: path.to_path_buf(),
                source,
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut cfg.data_dir, &mut cfg.genesis, &mut cfg.key_file] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if cfg.mempool.max_txs == 0 || cfg.mempool.max_bytes == 0 || cfg.mempool.max_per_sender == 0
        {
            return Err(NodeError::InvalidConfig("mempool limits must be positive"));
        }
        let api = &cfg.api;
        let auth = &api.auth;
        if api.max_connections_per_client == 0
            || api.header_read_timeout_ms == 0
            || api.stall_timeout_ms == 0
            || api.max_uri_bytes == 0
            || api.max_header_bytes == 0
            || api.max_headers == 0
            || auth.max_challenges == 0
            || auth.max_challenges_per_client == 0
            || auth.max_tokens == 0
            || auth.max_tokens_per_client == 0
            || auth.max_tokens_per_did == 0
        {
            return Err(NodeError::InvalidConfig(
                "[api] limits must be positive (max_connections = 0 means: from the open-file limit)",
            ));
        }
        Ok(cfg)
    }

    /// Writes the config as TOML.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, toml::to_string_pretty(self)?)
            .map_err(NodeError::file("writing config", path))
    }
}

/// Reads a validator key file (64 hex characters).
pub fn read_key_file(path: &Path) -> Result<sovra_crypto::SigningKey> {
    let text = std::fs::read_to_string(path).map_err(NodeError::file("reading key file", path))?;
    let bytes = hex::decode(text.trim()).map_err(NodeError::KeyFileHex)?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| NodeError::KeyFileLength)?;
    Ok(sovra_crypto::SigningKey::from_seed(&seed)?)
}

/// Writes a validator key file readable only by the owner (created `0600`; never overwrites).
pub fn write_key_file(path: &Path, key: &sovra_crypto::SigningKey) -> Result<()> {
    write_private_file(path, hex::encode(key.seed().as_ref()).as_bytes())
}

/// Writes a new file readable only by its owner (created `0600` on Unix; fails if `path` exists).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut file = sovra_crypto::keystore::create_private_file(path).map_err(|source| {
        NodeError::CreateNew {
            path: path.to_path_buf(),
            source,
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(NodeError::file("writing", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// Failures name what was done and keep their cause: a missing file's I/O error, the TOML
    /// parser's error, the hex decoder's error.
    #[test]
    fn errors_keep_their_cause() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        let err = NodeConfig::load(&missing).unwrap_err();
        assert!(
            matches!(
                err,
                NodeError::File {
                    what: "reading config",
                    ..
                }
            ),
            "{err:?}"
        );
        let io = err
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "data_dir = [").unwrap();
        let err = NodeConfig::load(&bad).unwrap_err();
        assert!(err.to_string().contains("bad.toml"), "{err}");
        assert!(err.source().unwrap().is::<toml::de::Error>(), "{err:?}");

        let key = dir.path().join("validator.key");
        std::fs::write(&key, "not hex").unwrap();
        let err = read_key_file(&key).unwrap_err();
        assert!(err.source().unwrap().is::<hex::FromHexError>(), "{err:?}");
        std::fs::write(&key, "abcd").unwrap();
        assert!(matches!(read_key_file(&key), Err(NodeError::KeyFileLength)));
    }

    /// Validator key files are created 0600 and never replace an existing file.
    #[cfg(unix)]
    #[test]
    fn validator_key_files_are_created_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator.key");
        let key = sovra_crypto::SigningKey::from_test_seed(1);
        write_key_file(&path, &key).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_key_file(&path).unwrap().public_key(), key.public_key());
        assert!(write_key_file(&path, &sovra_crypto::SigningKey::from_test_seed(2)).is_err());
        assert_eq!(read_key_file(&path).unwrap().public_key(), key.public_key());
    }
}
