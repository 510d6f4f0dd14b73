//! Keys and values of the authenticated ledger state.
//!
//! Each module owns a one-byte key prefix. Keys are hashed to 32 bytes
//! ([`StateKey::hash`]) before they enter the authenticated store, so proofs
//! are about fixed-size keys; the client recomputes the hash from the
//! logical key it asked for.

use crate::{AssetClassId, ContentId, Did, Digest, codec::decode_exact, sha256};
use commonware_codec::{Buf, Encode, Error, FixedSize, Read, ReadExt, Write};

/// A logical key in the ledger state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateKey {
    /// An identity's account record ([`Account`]).
    Account(Did),
    /// A chain-wide counter (`u64`): see [`MetaKey`].
    Meta(MetaKey),
    /// One identity's pin of a content root ([`PinRecord`](crate::PinRecord)).
    Pin {
        /// The pinned root.
        cid: ContentId,
        /// The identity that pinned it.
        owner: Did,
    },
    /// The CID an identity's named public document points to (binary CID).
    PublicDoc {
        /// The identity.
        owner: Did,
        /// The document name.
        name: String,
    },
    /// The current version of a `did:sovra` ([`DidRecord`](crate::DidRecord)).
    Did(Did),
    /// A past or current version of a `did:sovra` ([`DidRecord`](crate::DidRecord)).
    DidVersion {
        /// The DID.
        did: Did,
        /// Its version number (from 1).
        version: u64,
    },
    /// A registered verifier ([`VerifierRecord`](crate::VerifierRecord)).
    Verifier(Did),
    /// The anchor of an issuer's status list ([`StatusListAnchor`](crate::StatusListAnchor)).
    StatusList {
        /// The issuer.
        issuer: Did,
        /// The list's id.
        list_id: String,
    },
    /// A private vault record's anchor ([`VaultRecord`](crate::VaultRecord)).
    VaultRecord(crate::RecordId),
    /// An identity's guardian recovery ([`RecoveryConfig`](crate::RecoveryConfig)).
    Recovery(Did),
    /// An asset class ([`AssetClass`](crate::AssetClass)).
    AssetClass(AssetClassId),
    /// A holder's balance of one token id of a class, and in the token-0 record whether it is
    /// frozen in the class ([`HolderBalance`](crate::HolderBalance)).
    AssetBalance {
        /// The class.
        class: AssetClassId,
        /// The token id (0 in a fungible class).
        token: u64,
        /// The holder.
        holder: Did,
    },
    /// One token id of a non-fungible or semi-fungible class ([`TokenRecord`](crate::TokenRecord)).
    AssetToken {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
    },
    /// What `spender` may still move of `owner`'s tokens of a class (`u128`).
    AssetAllowance {
        /// The class.
        class: AssetClassId,
        /// Whose tokens.
        owner: Did,
        /// Who may move them.
        spender: Did,
    },
    /// Tokens locked for a holder ([`TokenLock`](crate::TokenLock)).
    AssetLock {
        /// The class.
        class: AssetClassId,
        /// The holder they vest to.
        holder: Did,
        /// The lock's id ([`lock_id`](crate::assets::lock_id)).
        id: u64,
    },
    /// What a non-fungible token holds ([`Bundle`](crate::assets::bundle::Bundle)).
    AssetBundle {
        /// The holding token's class.
        class: AssetClassId,
        /// The holding token's id.
        token: u64,
    },
    /// The chain parameters ([`ParamsRecord`](crate::ParamsRecord)).
    Params,
    /// A validator candidate ([`ValidatorRecord`](crate::ValidatorRecord)).
    Validator(Did),
    /// The candidate that registered a consensus key (its DID).
    ConsensusKey([u8; 32]),
    /// An identity's delegation ([`Delegation`](crate::Delegation)).
    Delegation(Did),
    /// An identity's unbonding stake ([`Unbonding`](crate::Unbonding)).
    Unbonding(Did),
    /// The total bonded stake by epoch ([`StakeTotal`](crate::StakeTotal)).
    StakeTotal,
    /// The candidates with bonded stake, the pool each epoch's validator set is chosen from
    /// ([`CandidateList`](crate::staking::CandidateList)).
    Candidates,
    /// The validator sets chosen for the next epoch, the current one and the two before
    /// ([`ValidatorSets`](crate::staking::ValidatorSets)).
    ValidatorSets,
    /// The slashes whose validators still have stake unbonding
    /// ([`SlashLog`](crate::staking::SlashLog)).
    SlashLog,
    /// A governance proposal ([`Proposal`](crate::Proposal)).
    Proposal(crate::ProposalId),
    /// One identity's part in a proposal's vote ([`VoteRecord`](crate::VoteRecord)).
    Vote {
        /// The proposal.
        proposal: crate::ProposalId,
        /// The voter (or the validator whose delegators voted).
        voter: Did,
    },
}

/// Chain-wide counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetaKey {
    /// Total native tokens in existence.
    Supply = 1,
    /// Total fees burned.
    Burned = 2,
    /// Native tokens bonded or unbonding (part of the supply, in no balance).
    Staked = 3,
    /// Native tokens held as proposal deposits.
    Deposits = 4,
    /// Native tokens in the community treasury.
    Treasury = 5,
    /// Staking rewards credited to the reward index and not yet claimed (part of the supply,
    /// in no balance).
    Rewards = 6,
    /// Total native tokens issued as staking rewards since genesis (so the supply plus the
    /// burned fees equals the genesis balances plus this).
    Issued = 7,
}

impl MetaKey {
    /// Every counter, with its name in the text form `meta:<name>`.
    pub const ALL: [(MetaKey, &'static str); 7] = [
        (MetaKey::Supply, "supply"),
        (MetaKey::Burned, "burned"),
        (MetaKey::Staked, "staked"),
        (MetaKey::Deposits, "deposits"),
        (MetaKey::Treasury, "treasury"),
        (MetaKey::Rewards, "rewards"),
        (MetaKey::Issued, "issued"),
    ];

    /// The counter's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }
}

impl StateKey {
    const ACCOUNT: u8 = 0x01;
    const META: u8 = 0x02;
    const PARAMS: u8 = 0x03;
    const PIN: u8 = 0x10;
    const PUBLIC_DOC: u8 = 0x11;
    const DID: u8 = 0x20;
    const DID_VERSION: u8 = 0x21;
    const VERIFIER: u8 = 0x30;
    const STATUS_LIST: u8 = 0x31;
    const VAULT_RECORD: u8 = 0x40;
    const RECOVERY: u8 = 0x41;
    const ASSET_CLASS: u8 = 0x50;
    const ASSET_BALANCE: u8 = 0x51;
    const ASSET_TOKEN: u8 = 0x52;
    const ASSET_ALLOWANCE: u8 = 0x53;
    // 0x54 was the freeze marker of a holder, now part of its token-0 balance record.
    const ASSET_LOCK: u8 = 0x55;
    const ASSET_BUNDLE: u8 = 0x56;
    const VALIDATOR: u8 = 0x60;
    const CONSENSUS_KEY: u8 = 0x61;
    const DELEGATION: u8 = 0x62;
    const UNBONDING: u8 = 0x63;
    const STAKE_TOTAL: u8 = 0x64;
    const CANDIDATES: u8 = 0x65;
    const VALIDATOR_SETS: u8 = 0x66;
    const SLASH_LOG: u8 = 0x67;
    const PROPOSAL: u8 = 0x70;
    const VOTE: u8 = 0x71;

    /// A prefix byte followed by a DID's encoding.
    fn did_key(prefix: u8, did: &Did) -> Vec<u8> {
        let mut v = vec![prefix];
        v.extend_from_slice(&did.encode());
        v
    }

    /// The key's canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            StateKey::Account(did) => {
                let mut v = vec![Self::ACCOUNT];
                v.extend_from_slice(&did.encode());
                v
            }
            StateKey::Meta(m) => vec![Self::META, *m as u8],
            StateKey::Pin { cid, owner } => {
                let mut v = vec![Self::PIN];
                v.extend_from_slice(&cid.encode());
                v.extend_from_slice(&owner.encode());
                v
            }
            StateKey::PublicDoc { owner, name } => {
                let mut v = vec![Self::PUBLIC_DOC];
                v.extend_from_slice(&owner.encode());
                crate::codec::write_bytes(name.as_bytes(), &mut v);
                v
            }
            StateKey::Did(did) => {
                let mut v = vec![Self::DID];
                v.extend_from_slice(&did.encode());
                v
            }
            StateKey::DidVersion { did, version } => {
                let mut v = vec![Self::DID_VERSION];
                v.extend_from_slice(&did.encode());
                v.extend_from_slice(&version.to_be_bytes());
                v
            }
            StateKey::Verifier(did) => {
                let mut v = vec![Self::VERIFIER];
                v.extend_from_slice(&did.encode());
                v
            }
            StateKey::StatusList { issuer, list_id } => {
                let mut v = vec![Self::STATUS_LIST];
                v.extend_from_slice(&issuer.encode());
                crate::codec::write_bytes(list_id.as_bytes(), &mut v);
                v
            }
            StateKey::VaultRecord(id) => {
                let mut v = vec![Self::VAULT_RECORD];
                v.extend_from_slice(&id.0);
                v
            }
            StateKey::Recovery(did) => {
                let mut v = vec![Self::RECOVERY];
                v.extend_from_slice(&did.encode());
                v
            }
            StateKey::AssetClass(class) => {
                let mut v = vec![Self::ASSET_CLASS];
                v.extend_from_slice(&class.encode());
                v
            }
            StateKey::AssetBalance {
                class,
                token,
                holder,
            } => {
                let mut v = vec![Self::ASSET_BALANCE];
                v.extend_from_slice(&class.encode());
                v.extend_from_slice(&token.to_be_bytes());
                v.extend_from_slice(&holder.encode());
                v
            }
            StateKey::AssetToken { class, token } => {
                let mut v = vec![Self::ASSET_TOKEN];
                v.extend_from_slice(&class.encode());
                v.extend_from_slice(&token.to_be_bytes());
                v
            }
            StateKey::AssetAllowance {
                class,
                owner,
                spender,
            } => {
                let mut v = vec![Self::ASSET_ALLOWANCE];
                v.extend_from_slice(&class.encode());
                v.extend_from_slice(&owner.encode());
                v.extend_from_slice(&spender.encode());
                v
            }
            StateKey::AssetLock { class, holder, id } => {
                let mut v = vec![Self::ASSET_LOCK];
                v.extend_from_slice(&class.encode());
                v.extend_from_slice(&holder.encode());
                v.extend_from_slice(&id.to_be_bytes());
                v
            }
            StateKey::AssetBundle { class, token } => {
                let mut v = vec![Self::ASSET_BUNDLE];
                v.extend_from_slice(&class.encode());
                v.extend_from_slice(&token.to_be_bytes());
                v
            }
            StateKey::Params => vec![Self::PARAMS],
            StateKey::Validator(did) => Self::did_key(Self::VALIDATOR, did),
            StateKey::ConsensusKey(key) => {
                let mut v = vec![Self::CONSENSUS_KEY];
                v.extend_from_slice(key);
                v
            }
            StateKey::Delegation(did) => Self::did_key(Self::DELEGATION, did),
            StateKey::Unbonding(did) => Self::did_key(Self::UNBONDING, did),
            StateKey::StakeTotal => vec![Self::STAKE_TOTAL],
            StateKey::Candidates => vec![Self::CANDIDATES],
            StateKey::ValidatorSets => vec![Self::VALIDATOR_SETS],
            StateKey::SlashLog => vec![Self::SLASH_LOG],
            StateKey::Proposal(id) => {
                let mut v = vec![Self::PROPOSAL];
                v.extend_from_slice(&id.0);
                v
            }
            StateKey::Vote { proposal, voter } => {
                let mut v = vec![Self::VOTE];
                v.extend_from_slice(&proposal.0);
                v.extend_from_slice(&voter.encode());
                v
            }
        }
    }

    /// The 32-byte key under which the value is stored and proven.
    pub fn hash(&self) -> Digest {
        sha256(&[b"sovra/state-key", &self.to_bytes()])
    }

    /// Parses the text form used by the API: `account:<did>`, `meta:supply`, `meta:burned`,
    /// `pin:<cid>/<did>`, `doc:<did>/<name>`, `did-doc:<did>`, `did-version:<did>/<n>`,
    /// `verifier:<did>`, `status-list:<did>/<list-id>`, `vault-record:<id>`, `recovery:<did>`,
    /// and for assets (`<class>` is `<issuer DID>/<name>`): `asset-class:<class>`,
    /// `asset-balance:<class>/<token>/<holder>`, `asset-token:<class>/<token>`,
    /// `asset-allowance:<class>/<owner>/<spender>`,
    /// `asset-lock:<class>/<holder>/<id>`, `asset-bundle:<class>/<token>`; for staking and
    /// governance: `params`, `meta:staked`, `meta:deposits`, `meta:treasury`,
    /// `validator:<did>`, `consensus-key:<hex>`, `delegation:<did>`, `unbonding:<did>`,
    /// `stake-total`, `candidates`, `validator-sets`, `proposal:<id>`, `vote:<id>/<did>`.
    pub fn parse(s: &str) -> Result<Self, crate::TypesError> {
        if let Some(key) = parse_asset_key(s)? {
            return Ok(key);
        }
        if let Some(key) = parse_economy_key(s)? {
            return Ok(key);
        }
        if let Some(rest) = s.strip_prefix("did-version:") {
            let (did, version) = rest.rsplit_once('/').ok_or_else(|| {
                crate::TypesError::Invalid("expected did-version:<did>/<n>".into())
            })?;
            let version = version
                .parse()
                .map_err(|_| crate::TypesError::Invalid(format!("bad version {version:?}")))?;
            return Ok(StateKey::DidVersion {
                did: Did::parse(did)?,
                version,
            });
        }
        if let Some(rest) = s.strip_prefix("vault-record:") {
            return Ok(StateKey::VaultRecord(crate::RecordId::parse(rest)?));
        }
        if let Some(rest) = s.strip_prefix("recovery:") {
            return Ok(StateKey::Recovery(Did::parse(rest)?));
        }
        if let Some(rest) = s.strip_prefix("verifier:") {
            return Ok(StateKey::Verifier(Did::parse(rest)?));
        }
        if let Some(rest) = s.strip_prefix("status-list:") {
            let (issuer, list_id) = rest.rsplit_once('/').ok_or_else(|| {
                crate::TypesError::Invalid("expected status-list:<did>/<list-id>".into())
            })?;
            crate::registry::validate_status_list_id(list_id)?;
            return Ok(StateKey::StatusList {
                issuer: Did::parse(issuer)?,
                list_id: list_id.to_string(),
            });
        }
        if let Some(rest) = s.strip_prefix("did-doc:") {
            return Ok(StateKey::Did(Did::parse(rest)?));
        }
        if let Some(did) = s.strip_prefix("account:") {
            return Ok(StateKey::Account(Did::parse(did)?));
        }
        if let Some(rest) = s.strip_prefix("pin:") {
            let (cid, owner) = rest
                .split_once('/')
                .ok_or_else(|| crate::TypesError::Invalid("expected pin:<cid>/<did>".into()))?;
            return Ok(StateKey::Pin {
                cid: ContentId::parse(cid)?,
                owner: Did::parse(owner)?,
            });
        }
        if let Some(rest) = s.strip_prefix("doc:") {
            let (owner, name) = rest
                .rsplit_once('/')
                .ok_or_else(|| crate::TypesError::Invalid("expected doc:<did>/<name>".into()))?;
            crate::content::validate_doc_name(name)?;
            return Ok(StateKey::PublicDoc {
                owner: Did::parse(owner)?,
                name: name.to_string(),
            });
        }
        if let Some(name) = s.strip_prefix("meta:")
            && let Some((key, _)) = MetaKey::ALL.iter().find(|(_, n)| *n == name)
        {
            return Ok(StateKey::Meta(*key));
        }
        Err(crate::TypesError::Invalid(format!(
            "unknown state key {s:?} (expected account:<did>, meta:<counter>, pin:<cid>/<did>, doc:<did>/<name>, did-doc:<did>, did-version:<did>/<n>, verifier:<did>, status-list:<did>/<id>, vault-record:<id>, recovery:<did>, an asset-* key or a staking or governance key)"
        )))
    }
}

/// Parses the staking and governance text forms of [`StateKey::parse`]; `None` for any other.
fn parse_economy_key(s: &str) -> Result<Option<StateKey>, crate::TypesError> {
    let key = match s.split_once(':') {
        None if s == "params" => StateKey::Params,
        None if s == "stake-total" => StateKey::StakeTotal,
        None if s == "candidates" => StateKey::Candidates,
        None if s == "validator-sets" => StateKey::ValidatorSets,
        None if s == "slash-log" => StateKey::SlashLog,
        Some(("validator", did)) => StateKey::Validator(Did::parse(did)?),
        Some(("delegation", did)) => StateKey::Delegation(Did::parse(did)?),
        Some(("unbonding", did)) => StateKey::Unbonding(Did::parse(did)?),
        Some(("consensus-key", hex_key)) => {
            let bytes = hex::decode(hex_key)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| {
                    crate::TypesError::Invalid(format!(
                        "a consensus key is 64 hex characters: {hex_key:?}"
                    ))
                })?;
            StateKey::ConsensusKey(bytes)
        }
        Some(("proposal", id)) => StateKey::Proposal(crate::ProposalId::parse(id)?),
        Some(("vote", rest)) => {
            let (id, voter) = rest.split_once('/').ok_or_else(|| {
                crate::TypesError::Invalid("expected vote:<proposal id>/<did>".into())
            })?;
            StateKey::Vote {
                proposal: crate::ProposalId::parse(id)?,
                voter: Did::parse(voter)?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(key))
}

/// Parses the `asset-*` text forms of [`StateKey::parse`]; `None` for any other prefix.
fn parse_asset_key(s: &str) -> Result<Option<StateKey>, crate::TypesError> {
    use crate::TypesError::Invalid;
    let Some((prefix, rest)) = s.split_once(':') else {
        return Ok(None);
    };
    // The class is `<issuer DID>/<name>`: DIDs hold no '/', so the parts split cleanly.
    let parts: Vec<&str> = rest.split('/').collect();
    let expect = |n: usize, form: &str| {
        if parts.len() == n {
            Ok(())
        } else {
            Err(Invalid(format!("expected {prefix}:{form}")))
        }
    };
    let class = || AssetClassId::parse(&format!("{}/{}", parts[0], parts[1]));
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| Invalid(format!("not a number: {s:?}")))
    };
    let key = match prefix {
        "asset-class" => {
            expect(2, "<issuer>/<name>")?;
            StateKey::AssetClass(class()?)
        }
        "asset-balance" => {
            expect(4, "<issuer>/<name>/<token>/<holder>")?;
            StateKey::AssetBalance {
                class: class()?,
                token: number(parts[2])?,
                holder: Did::parse(parts[3])?,
            }
        }
        "asset-token" => {
            expect(3, "<issuer>/<name>/<token>")?;
            StateKey::AssetToken {
                class: class()?,
                token: number(parts[2])?,
            }
        }
        "asset-allowance" => {
            expect(4, "<issuer>/<name>/<owner>/<spender>")?;
            StateKey::AssetAllowance {
                class: class()?,
                owner: Did::parse(parts[2])?,
                spender: Did::parse(parts[3])?,
            }
        }
        "asset-lock" => {
            expect(4, "<issuer>/<name>/<holder>/<id>")?;
            StateKey::AssetLock {
                class: class()?,
                holder: Did::parse(parts[2])?,
                id: number(parts[3])?,
            }
        }
        "asset-bundle" => {
            expect(3, "<issuer>/<name>/<token>")?;
            StateKey::AssetBundle {
                class: class()?,
                token: number(parts[2])?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(key))
}

impl std::fmt::Display for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateKey::Account(d) => write!(f, "account:{d}"),
            StateKey::Meta(m) => write!(f, "meta:{}", m.name()),
            StateKey::Pin { cid, owner } => write!(f, "pin:{cid}/{owner}"),
            StateKey::PublicDoc { owner, name } => write!(f, "doc:{owner}/{name}"),
            StateKey::Did(did) => write!(f, "did-doc:{did}"),
            StateKey::DidVersion { did, version } => write!(f, "did-version:{did}/{version}"),
            StateKey::Verifier(did) => write!(f, "verifier:{did}"),
            StateKey::StatusList { issuer, list_id } => write!(f, "status-list:{issuer}/{list_id}"),
            StateKey::VaultRecord(id) => write!(f, "vault-record:{id}"),
            StateKey::Recovery(did) => write!(f, "recovery:{did}"),
            StateKey::AssetClass(class) => write!(f, "asset-class:{class}"),
            StateKey::AssetBalance {
                class,
                token,
                holder,
            } => write!(f, "asset-balance:{class}/{token}/{holder}"),
            StateKey::AssetToken { class, token } => write!(f, "asset-token:{class}/{token}"),
            StateKey::AssetAllowance {
                class,
                owner,
                spender,
            } => write!(f, "asset-allowance:{class}/{owner}/{spender}"),
            StateKey::AssetLock { class, holder, id } => {
                write!(f, "asset-lock:{class}/{holder}/{id}")
            }
            StateKey::AssetBundle { class, token } => write!(f, "asset-bundle:{class}/{token}"),
            StateKey::Params => f.write_str("params"),
            StateKey::Validator(did) => write!(f, "validator:{did}"),
            StateKey::ConsensusKey(key) => write!(f, "consensus-key:{}", hex::encode(key)),
            StateKey::Delegation(did) => write!(f, "delegation:{did}"),
            StateKey::Unbonding(did) => write!(f, "unbonding:{did}"),
            StateKey::StakeTotal => f.write_str("stake-total"),
            StateKey::Candidates => f.write_str("candidates"),
            StateKey::ValidatorSets => f.write_str("validator-sets"),
            StateKey::SlashLog => f.write_str("slash-log"),
            StateKey::Proposal(id) => write!(f, "proposal:{id}"),
            StateKey::Vote { proposal, voter } => write!(f, "vote:{proposal}/{voter}"),
        }
    }
}

/// An identity's account: balance, replay-protection nonce and receipt chain head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Native token balance.
    pub balance: u64,
    /// Number of transactions this identity has signed that were included.
    pub nonce: u64,
    /// Hash of the newest receipt-chain entry (zeros when empty).
    pub receipt_head: Digest,
    /// Number of receipt-chain entries.
    pub receipt_count: u64,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            balance: 0,
            nonce: 0,
            receipt_head: crate::ZERO_DIGEST,
            receipt_count: 0,
        }
    }
}

impl Account {
    /// Decodes an account record.
    pub fn decode(bytes: &[u8]) -> Result<Self, crate::TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for Account {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        1u8.write(buf);
        self.balance.write(buf);
        self.nonce.write(buf);
        self.receipt_head.write(buf);
        self.receipt_count.write(buf);
    }
}

impl FixedSize for Account {
    const SIZE: usize = 1 + 8 + 8 + 32 + 8;
}

impl Read for Account {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != 1 {
            return Err(Error::Invalid("Account", "unsupported version"));
        }
        Ok(Self {
            balance: u64::read(buf)?,
            nonce: u64::read(buf)?,
            receipt_head: Digest::read(buf)?,
            receipt_count: u64::read(buf)?,
        })
    }
}

/// Encodes a `u64` state value.
pub fn encode_u64(v: u64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Decodes a `u64` state value.
pub fn decode_u64(bytes: &[u8]) -> Result<u64, crate::TypesError> {
    Ok(decode_exact(bytes, &())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key's text form parses back to the same key.
    #[test]
    fn text_forms_round_trip() {
        let key_did =
            Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(1).public_key());
        let sovra = Did::sovra(&[7; 16]);
        let cid = ContentId::parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
            .unwrap();
        let class = AssetClassId {
            issuer: sovra.clone(),
            name: "GOLD".into(),
        };
        for key in [
            StateKey::Account(key_did.clone()),
            StateKey::Meta(MetaKey::Supply),
            StateKey::Meta(MetaKey::Burned),
            StateKey::Pin {
                cid: cid.clone(),
                owner: key_did.clone(),
            },
            StateKey::PublicDoc {
                owner: sovra.clone(),
                name: "profile".into(),
            },
            StateKey::Did(sovra.clone()),
            StateKey::DidVersion {
                did: sovra.clone(),
                version: 12,
            },
            StateKey::Verifier(key_did.clone()),
            StateKey::StatusList {
                issuer: sovra.clone(),
                list_id: "revocation-1".into(),
            },
            StateKey::VaultRecord(crate::RecordId([9; 16])),
            StateKey::Recovery(sovra.clone()),
            StateKey::AssetClass(class.clone()),
            StateKey::AssetBalance {
                class: class.clone(),
                token: 7,
                holder: key_did.clone(),
            },
            StateKey::AssetToken {
                class: class.clone(),
                token: u64::MAX,
            },
            StateKey::AssetAllowance {
                class: class.clone(),
                owner: key_did.clone(),
                spender: sovra.clone(),
            },
            StateKey::AssetLock {
                class: class.clone(),
                holder: key_did.clone(),
                id: 42,
            },
            StateKey::AssetBundle {
                class: class.clone(),
                token: 9,
            },
            StateKey::Params,
            StateKey::Meta(MetaKey::Treasury),
            StateKey::Meta(MetaKey::Rewards),
            StateKey::Meta(MetaKey::Issued),
            StateKey::Validator(sovra.clone()),
            StateKey::ConsensusKey([7; 32]),
            StateKey::Delegation(key_did.clone()),
            StateKey::Unbonding(key_did.clone()),
            StateKey::StakeTotal,
            StateKey::Candidates,
            StateKey::ValidatorSets,
            StateKey::SlashLog,
            StateKey::Proposal(crate::ProposalId([1; 16])),
            StateKey::Vote {
                proposal: crate::ProposalId([1; 16]),
                voter: sovra.clone(),
            },
        ] {
            assert_eq!(StateKey::parse(&key.to_string()).unwrap(), key, "{key}");
        }
        for bad in [
            "asset-class:GOLD",
            "asset-balance:did:sovra:x/GOLD/1",
            "asset-token:not-a-did/GOLD/1",
            "asset-lock:{sovra}/GOLD/{sovra}/minus",
        ] {
            assert!(StateKey::parse(bad).is_err(), "{bad}");
        }
    }
}
