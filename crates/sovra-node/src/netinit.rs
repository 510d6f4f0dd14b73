//! Creating networks: `sovra testnet init` (N validators on loopback) and
//! the single-validator devnet layout. Both write keys, a genesis file and
//! one node config per validator.

use crate::config::{ConsensusSection, MempoolSection, NodeConfig, write_key_file};
use crate::error::{NodeError, Result};
use sovra_crypto::SigningKey;
use sovra_types::{Did, Genesis, GenesisAccount, GenesisEconomy, GenesisValidator};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

/// Stake each validator of a development network is bonded with at genesis by its operator:
/// development key `i` operates validator `i` (so `dev0` operates a devnet's validator), the
/// `did:key` of its own consensus key operates a validator beyond the development keys.
pub const DEV_VALIDATOR_STAKE: u64 = 1_000_000;

/// Balance of each development key.
pub const DEV_BALANCE: u64 = 1_000_000_000_000;

/// A development key: deterministic from its index, funded in genesis.
/// Never use these outside development networks.
pub fn dev_key(i: u32) -> SigningKey {
    SigningKey::from_test_seed(0x5eed_0000 + i as u64)
}

/// What `init_network` wrote.
pub struct NetworkLayout {
    /// Per validator: its config file and API address.
    pub nodes: Vec<(PathBuf, SocketAddr)>,
    /// Funded development keys.
    pub dev_keys: Vec<SigningKey>,
}

/// The staking and governance periods of development networks: short, so a walkthrough sees
/// stake take effect, a vote end and a change come into force within a minute or two (empty
/// blocks come about every 500 ms): epochs of 20 blocks, voting for 60, a timelock of 10,
/// unbonding for 60; deposits of at least 100; 10 tokens issued per block to bonded stake. The
/// genesis validators are bonded ([`DEV_VALIDATOR_STAKE`] each) and at most 3 more candidates
/// enter the validator set.
pub fn dev_economy() -> GenesisEconomy {
    GenesisEconomy {
        epoch_length: 20,
        unbonding_period: 60,
        voting_period: 60,
        min_deposit: 100,
        timelock: 10,
        issuance_per_block: 10,
        ..GenesisEconomy::default()
    }
}

/// Writes keys, genesis and configs for `validators` nodes under `dir`.
pub fn init_network(
    dir: &Path,
    chain_id: &str,
    validators: u32,
    api_addrs: &[SocketAddr],
    p2p_addrs: &[SocketAddr],
    dev_keys: u32,
) -> Result<NetworkLayout> {
    if validators == 0 || validators > 100 {
        return Err(NodeError::ValidatorCount);
    }
    if dir.join("genesis.json").exists() {
        return Err(NodeError::NetworkExists(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(NodeError::file("creating", dir))?;
    let keys: Vec<SigningKey> = (0..validators)
        .map(|_| SigningKey::generate())
        .collect::<Result<_, _>>()?;
    let dev: Vec<SigningKey> = (0..dev_keys).map(dev_key).collect();
    let genesis = Genesis {
        chain_id: chain_id.to_string(),
        token_symbol: "SOV".into(),
        genesis_time_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        validators: keys
            .iter()
            .zip(p2p_addrs)
            .enumerate()
            .map(|(i, (k, a))| GenesisValidator {
                public_key: hex::encode(k.public_key().as_ref()),
                p2p_address: a.to_string(),
                operator: Some(Did::from_public_key(
                    &dev.get(i)
                        .map_or_else(|| k.public_key(), |d| d.public_key()),
                )),
                stake: DEV_VALIDATOR_STAKE,
            })
            .collect(),
        accounts: dev
            .iter()
            .map(|k| GenesisAccount {
                did: Did::from_public_key(&k.public_key()),
                balance: DEV_BALANCE,
            })
            .collect(),
        min_fee: 1,
        max_block_txs: 5_000,
        // On development networks the first development key runs the trust registry.
        registry_authority: dev.first().map(|k| Did::from_public_key(&k.public_key())),
        // Room for a few candidates besides the genesis validators (each one a p2p peer).
        economy: Some(GenesisEconomy {
            max_validators: validators + 3,
            ..dev_economy()
        }),
    };
    genesis.validate()?;
    let genesis_path = dir.join("genesis.json");
    std::fs::write(&genesis_path, serde_json::to_vec_pretty(&genesis)?)
        .map_err(NodeError::file("writing", &genesis_path))?;
    let mut nodes = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let node_dir = dir.join(format!("node{i}"));
        std::fs::create_dir_all(&node_dir).map_err(NodeError::file("creating", &node_dir))?;
        write_key_file(&node_dir.join("validator.key"), key)?;
        let cfg = NodeConfig {
            data_dir: PathBuf::from("data"),
            genesis: PathBuf::from("../genesis.json"),
            key_file: PathBuf::from("validator.key"),
            api_listen: api_addrs[i],
            p2p_listen: p2p_addrs[i],
            mempool: MempoolSection::default(),
            consensus: ConsensusSection::default(),
            content: crate::config::ContentSection::default(),
            api: crate::config::ApiSection::default(),
            log: "info".into(),
        };
        let path = node_dir.join("config.toml");
        cfg.save(&path)?;
        nodes.push((path, api_addrs[i]));
    }
    Ok(NetworkLayout {
        nodes,
        dev_keys: dev,
    })
}
