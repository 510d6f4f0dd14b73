//! The genesis file: chain id, token, validator set, consensus timing and
//! initial balances. Every validator must start from byte-identical genesis;
//! its hash is the parent of block 1.

use crate::{Did, TypesError, sha256, tx::validate_chain_id};
use serde::{Deserialize, Serialize};

/// A validator named in genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisValidator {
    /// Ed25519 consensus public key, hex.
    pub public_key: String,
    /// Address other validators dial (`host:port`) for consensus p2p.
    pub p2p_address: String,
}

/// An initial balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// The identity.
    pub did: Did,
    /// Its balance.
    pub balance: u64,
}

/// The genesis document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    /// Network name, bound into every transaction.
    pub chain_id: String,
    /// Symbol of the native token.
    #[serde(default = "default_symbol")]
    pub token_symbol: String,
    /// Time of genesis, ms since the Unix epoch.
    pub genesis_time_ms: u64,
    /// Validators.
    pub validators: Vec<GenesisValidator>,
    /// Initial balances.
    pub accounts: Vec<GenesisAccount>,
    /// Minimum fee per transaction.
    #[serde(default)]
    pub min_fee: u64,
    /// Most transactions a proposer puts in one block.
    #[serde(default = "default_max_block_txs")]
    pub max_block_txs: u32,
    /// The identity that may add and remove verifiers in the trust registry
    /// (`RegisterVerifier`, `RemoveVerifier`); without one the registry is fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_authority: Option<Did>,
    /// Staking and governance parameters; every one left out takes its default
    /// ([`Params::default`](crate::Params)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub economy: Option<GenesisEconomy>,
}

/// The staking and governance parameters of a genesis (the rest of [`Params`](crate::Params) is
/// at the top level of the genesis document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisEconomy {
    /// [`Params::epoch_length`](crate::Params::epoch_length).
    pub epoch_length: u64,
    /// [`Params::unbonding_period`](crate::Params::unbonding_period).
    pub unbonding_period: u64,
    /// [`Params::max_validators`](crate::Params::max_validators).
    pub max_validators: u32,
    /// [`Params::voting_period`](crate::Params::voting_period).
    pub voting_period: u64,
    /// [`Params::min_deposit`](crate::Params::min_deposit).
    pub min_deposit: u64,
    /// [`Params::quorum_bps`](crate::Params::quorum_bps).
    pub quorum_bps: u16,
    /// [`Params::threshold_bps`](crate::Params::threshold_bps).
    pub threshold_bps: u16,
    /// [`Params::veto_bps`](crate::Params::veto_bps).
    pub veto_bps: u16,
    /// [`Params::timelock`](crate::Params::timelock).
    pub timelock: u64,
    /// [`Params::issuance_per_block`](crate::Params::issuance_per_block).
    pub issuance_per_block: u64,
}

impl Default for GenesisEconomy {
    fn default() -> Self {
        let p = crate::Params::default();
        Self {
            epoch_length: p.epoch_length,
            unbonding_period: p.unbonding_period,
            max_validators: p.max_validators,
            voting_period: p.voting_period,
            min_deposit: p.min_deposit,
            quorum_bps: p.quorum_bps,
            threshold_bps: p.threshold_bps,
            veto_bps: p.veto_bps,
            timelock: p.timelock,
            issuance_per_block: p.issuance_per_block,
        }
    }
}

fn default_symbol() -> String {
    "SOV".into()
}

fn default_max_block_txs() -> u32 {
    5_000
}

impl Genesis {
    /// Checks the document for mistakes that would make the chain unusable.
    pub fn validate(&self) -> Result<(), TypesError> {
        validate_chain_id(&self.chain_id).map_err(|e| TypesError::GenesisChainId(Box::new(e)))?;
        if self.validators.is_empty() {
            return Err(TypesError::Genesis(
                "at least one validator is required".into(),
            ));
        }
        let mut keys = std::collections::BTreeSet::new();
        for v in &self.validators {
            let bytes = hex::decode(&v.public_key).map_err(|_| {
                TypesError::Genesis(format!("validator key is not hex: {}", v.public_key))
            })?;
            sovra_crypto::keys::public_key_from_bytes(&bytes)
                .map_err(|e| TypesError::Genesis(format!("validator key {}: {e}", v.public_key)))?;
            if !keys.insert(v.public_key.clone()) {
                return Err(TypesError::Genesis(format!(
                    "duplicate validator {}",
                    v.public_key
                )));
            }
        }
        let mut dids = std::collections::BTreeSet::new();
        let mut total: u64 = 0;
        for a in &self.accounts {
            if !dids.insert(a.did.clone()) {
                return Err(TypesError::Genesis(format!("duplicate account {}", a.did)));
            }
            total = total
                .checked_add(a.balance)
                .ok_or_else(|| TypesError::Genesis("total supply overflows u64".into()))?;
        }
        self.params()
            .validate()
            .map_err(|e| TypesError::Genesis(e.to_string()))?;
        if self.token_symbol.is_empty() || self.token_symbol.len() > 12 {
            return Err(TypesError::Genesis(
                "token_symbol must be 1-12 characters".into(),
            ));
        }
        Ok(())
    }

    /// The chain parameters at genesis.
    pub fn params(&self) -> crate::Params {
        let e = self.economy.clone().unwrap_or_default();
        crate::Params {
            min_fee: self.min_fee,
            max_block_txs: self.max_block_txs,
            epoch_length: e.epoch_length,
            unbonding_period: e.unbonding_period,
            max_validators: e.max_validators,
            voting_period: e.voting_period,
            min_deposit: e.min_deposit,
            quorum_bps: e.quorum_bps,
            threshold_bps: e.threshold_bps,
            veto_bps: e.veto_bps,
            timelock: e.timelock,
            registry_authority: self.registry_authority.clone(),
            issuance_per_block: e.issuance_per_block,
        }
    }

    /// Hash of the canonical JSON of this document; the genesis block's parent.
    pub fn hash(&self) -> crate::Digest {
        let json = serde_json::to_vec(self).expect("genesis serializes");
        sha256(&[b"sovra/genesis", &json])
    }

    /// Parses and validates genesis JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TypesError> {
        let g: Genesis = serde_json::from_slice(bytes).map_err(TypesError::GenesisJson)?;
        g.validate()?;
        Ok(g)
    }
}
