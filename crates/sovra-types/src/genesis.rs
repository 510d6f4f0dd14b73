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
    /// The identity that operates the validator and owns its genesis stake: with it, the
    /// validator starts as a staking candidate bonded with [`GenesisValidator::stake`] (either
    /// every genesis validator is bonded or none is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Did>,
    /// Native tokens bonded by the operator to the validator at genesis (created as stake,
    /// besides the accounts' balances).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stake: u64,
}

impl GenesisValidator {
    /// The consensus key's bytes (`None` if it is not 32 bytes of hex).
    pub fn key_bytes(&self) -> Option<[u8; 32]> {
        hex::decode(&self.public_key).ok()?.try_into().ok()
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
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
    /// [`Params::slash_fraction_bps`](crate::Params::slash_fraction_bps) (left out of the JSON,
    /// so of the genesis hash, at its default).
    #[serde(skip_serializing_if = "is_default_slash_fraction")]
    pub slash_fraction_bps: u16,
}

fn is_default_slash_fraction(v: &u16) -> bool {
    *v == crate::params::DEFAULT_SLASH_FRACTION_BPS
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
            slash_fraction_bps: p.slash_fraction_bps,
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
        let bonded = self
            .validators
            .iter()
            .filter(|v| v.operator.is_some())
            .count();
        if bonded != 0 && bonded != self.validators.len() {
            return Err(TypesError::Genesis(
                "either every genesis validator has an operator and stake or none has".into(),
            ));
        }
        let mut operators = std::collections::BTreeSet::new();
        for v in &self.validators {
            match &v.operator {
                Some(operator) => {
                    if v.stake == 0 {
                        return Err(TypesError::Genesis(format!(
                            "validator {} has an operator and no stake",
                            v.public_key
                        )));
                    }
                    if !operators.insert(operator.clone()) {
                        return Err(TypesError::Genesis(format!(
                            "{operator} operates more than one validator"
                        )));
                    }
                    if operator.method() != crate::DidMethod::Key {
                        return Err(TypesError::Genesis(format!(
                            "operator {operator} must be a did:key (no did:sovra exists at genesis)"
                        )));
                    }
                }
                None if v.stake != 0 => {
                    return Err(TypesError::Genesis(format!(
                        "validator {} has stake and no operator",
                        v.public_key
                    )));
                }
                None => {}
            }
            crate::staking::check_p2p_address(&v.p2p_address)
                .map_err(|e| TypesError::Genesis(format!("validator {}: {e}", v.public_key)))?;
        }
        if bonded > self.params().max_validators as usize {
            return Err(TypesError::Genesis(format!(
                "{bonded} bonded validators is more than max_validators ({})",
                self.params().max_validators
            )));
        }
        if self.total_supply().is_none() {
            return Err(TypesError::Genesis("total supply overflows u64".into()));
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
        if self.params().epoch_length < 2 {
            // Consensus epochs (commonware's `FixedEpocher`): the first holds genesis and a block.
            return Err(TypesError::Genesis(
                "epoch_length must be at least 2".into(),
            ));
        }
        if self.token_symbol.is_empty() || self.token_symbol.len() > 12 {
            return Err(TypesError::Genesis(
                "token_symbol must be 1-12 characters".into(),
            ));
        }
        Ok(())
    }

    /// Every native token at genesis: the accounts' balances and the validators' stake
    /// (`None` if it overflows).
    pub fn total_supply(&self) -> Option<u64> {
        self.accounts
            .iter()
            .map(|a| a.balance)
            .chain(self.validators.iter().map(|v| v.stake))
            .try_fold(0u64, |t, v| t.checked_add(v))
    }

    /// Whether the genesis validators are staking candidates bonded at genesis.
    pub fn bonded(&self) -> bool {
        self.validators.iter().any(|v| v.operator.is_some())
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
            slash_fraction_bps: e.slash_fraction_bps,
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

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_crypto::SigningKey;

    fn genesis(bonded: &[Option<(u64, u64)>]) -> Genesis {
        Genesis {
            chain_id: "test".into(),
            token_symbol: "SOV".into(),
            genesis_time_ms: 0,
            validators: bonded
                .iter()
                .enumerate()
                .map(|(i, b)| GenesisValidator {
                    public_key: hex::encode(
                        SigningKey::from_test_seed(i as u64).public_key().as_ref(),
                    ),
                    p2p_address: "127.0.0.1:9000".into(),
                    operator: b.map(|(o, _)| {
                        Did::from_public_key(&SigningKey::from_test_seed(100 + o).public_key())
                    }),
                    stake: b.map_or(0, |(_, s)| s),
                })
                .collect(),
            accounts: vec![],
            min_fee: 0,
            max_block_txs: 10,
            registry_authority: None,
            economy: None,
        }
    }

    fn refused(g: &Genesis) -> String {
        g.validate().unwrap_err().to_string()
    }

    #[test]
    fn bonded_validators_are_all_or_none_with_distinct_operators_and_stake() {
        assert!(genesis(&[None, None]).validate().is_ok());
        let g = genesis(&[Some((0, 5)), Some((1, 7))]);
        assert!(g.validate().is_ok());
        assert!(g.bonded());
        assert_eq!(g.total_supply(), Some(12));
        assert!(refused(&genesis(&[Some((0, 5)), None])).contains("every genesis validator"));
        assert!(refused(&genesis(&[Some((0, 5)), Some((0, 5))])).contains("more than one"));
        assert!(refused(&genesis(&[Some((0, 0))])).contains("no stake"));
        let mut g = genesis(&[None]);
        g.validators[0].stake = 3;
        assert!(refused(&g).contains("no operator"));
        let mut g = genesis(&[Some((0, 5))]);
        g.validators[0].operator = Some(Did::sovra(&[7; crate::did::SOVRA_ID_BYTES]));
        assert!(refused(&g).contains("did:key"));
        let mut g = genesis(&[Some((0, u64::MAX)), Some((1, 1))]);
        assert!(refused(&g).contains("overflows"));
        g.validators.truncate(1);
        g.economy = Some(GenesisEconomy {
            max_validators: 1,
            ..GenesisEconomy::default()
        });
        assert!(g.validate().is_ok());
        g.validators = genesis(&[Some((0, 1)), Some((1, 1))]).validators;
        assert!(refused(&g).contains("max_validators"));
    }

    #[test]
    fn addresses_and_epochs_are_checked() {
        let mut g = genesis(&[None]);
        g.validators[0].p2p_address = "no port".into();
        assert!(refused(&g).contains("host:port"));
        let mut g = genesis(&[None]);
        g.economy = Some(GenesisEconomy {
            epoch_length: 1,
            voting_period: 1,
            ..GenesisEconomy::default()
        });
        assert!(refused(&g).contains("epoch_length must be at least 2"));
    }

    #[test]
    fn an_unbonded_genesis_keeps_its_json_and_hash() {
        let g = genesis(&[None]);
        let json = serde_json::to_string(&g).unwrap();
        assert!(
            !json.contains("operator") && !json.contains("stake"),
            "{json}"
        );
    }
}
