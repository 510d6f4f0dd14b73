//! Actions of the staking module: validator candidates, delegation, unbonding.

use crate::{
    Did,
    codec::{bytes_size, read_text, write_bytes},
    staking::MAX_P2P_ADDRESS_LEN,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};
use sovra_crypto::{PublicKey, Signature};

/// A change to the signer's stake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StakingAction {
    /// Make the signer a validator candidate: others may then delegate to it (and it to
    /// itself).
    RegisterValidator(Box<ValidatorRegistration>),
    /// Bond `amount` of the signer's native tokens to `validator` (from the next epoch on).
    Delegate {
        /// The validator candidate.
        validator: Did,
        /// Amount.
        amount: u64,
    },
    /// Start unbonding `amount` of the signer's delegation: it leaves the validator at the
    /// next epoch and can be withdrawn after the unbonding period.
    Undelegate {
        /// The validator the signer delegates to (a check: the action fails if it is another).
        validator: Did,
        /// Amount.
        amount: u64,
    },
    /// Move every unbonding entry whose release height has come back to the signer's balance.
    Withdraw,
    /// Move the signer's staking rewards (and, for a validator, its commission) to its balance.
    ClaimRewards {
        /// The validator the signer delegates to, if it delegates (the action reads that
        /// validator's commission rate, and fails if the signer delegates to another).
        validator: Option<Did>,
    },
    /// Report that `validator` equivocated: the evidence's two votes are verified against the
    /// validator set of its epoch, and the validator is slashed and tombstoned.
    ReportEquivocation {
        /// The validator that signed both votes (a hint for the state keys: the action fails
        /// if the evidence names another).
        validator: Did,
        /// The two conflicting votes.
        evidence: Box<crate::evidence::Equivocation>,
    },
}

/// What a validator candidate registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorRegistration {
    /// Its Ed25519 consensus key.
    pub consensus_key: PublicKey,
    /// Address other validators dial (`host:port`).
    pub p2p_address: String,
    /// Share of delegators' rewards it keeps, in basis points.
    pub commission_bps: u16,
    /// The consensus key's signature over the chain id and the signer's DID
    /// ([`validator_key_message`](crate::staking::validator_key_message)), proving the signer
    /// holds it.
    pub proof: Signature,
}

impl StakingAction {
    const REGISTER_VALIDATOR: u8 = 0;
    const DELEGATE: u8 = 1;
    const UNDELEGATE: u8 = 2;
    const WITHDRAW: u8 = 3;
    const CLAIM_REWARDS: u8 = 4;
    const REPORT_EQUIVOCATION: u8 = 5;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            StakingAction::RegisterValidator(_) => "register_validator",
            StakingAction::Delegate { .. } => "delegate",
            StakingAction::Undelegate { .. } => "undelegate",
            StakingAction::Withdraw => "withdraw_stake",
            StakingAction::ClaimRewards { .. } => "claim_rewards",
            StakingAction::ReportEquivocation { .. } => "report_equivocation",
        }
    }
}

impl Write for StakingAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            StakingAction::RegisterValidator(r) => {
                Self::REGISTER_VALIDATOR.write(buf);
                r.consensus_key.write(buf);
                write_bytes(r.p2p_address.as_bytes(), buf);
                r.commission_bps.write(buf);
                r.proof.write(buf);
            }
            StakingAction::Delegate { validator, amount } => {
                Self::DELEGATE.write(buf);
                validator.write(buf);
                amount.write(buf);
            }
            StakingAction::Undelegate { validator, amount } => {
                Self::UNDELEGATE.write(buf);
                validator.write(buf);
                amount.write(buf);
            }
            StakingAction::Withdraw => Self::WITHDRAW.write(buf),
            StakingAction::ClaimRewards { validator } => {
                Self::CLAIM_REWARDS.write(buf);
                validator.write(buf);
            }
            StakingAction::ReportEquivocation {
                validator,
                evidence,
            } => {
                Self::REPORT_EQUIVOCATION.write(buf);
                validator.write(buf);
                evidence.write(buf);
            }
        }
    }
}

impl EncodeSize for StakingAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            StakingAction::RegisterValidator(r) => {
                r.consensus_key.encode_size()
                    + bytes_size(r.p2p_address.as_bytes())
                    + 2
                    + r.proof.encode_size()
            }
            StakingAction::Delegate { validator, .. } => validator.encode_size() + 8,
            StakingAction::Undelegate { validator, .. } => validator.encode_size() + 8,
            StakingAction::Withdraw => 0,
            StakingAction::ClaimRewards { validator } => validator.encode_size(),
            StakingAction::ReportEquivocation {
                validator,
                evidence,
            } => validator.encode_size() + evidence.encode_size(),
        }
    }
}

impl Read for StakingAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::REGISTER_VALIDATOR => Ok(StakingAction::RegisterValidator(Box::new(
                ValidatorRegistration {
                    consensus_key: PublicKey::read(buf)?,
                    p2p_address: read_text(buf, 1..=MAX_P2P_ADDRESS_LEN, "p2p address")?,
                    commission_bps: u16::read(buf)?,
                    proof: Signature::read(buf)?,
                },
            ))),
            Self::DELEGATE => Ok(StakingAction::Delegate {
                validator: Did::read(buf)?,
                amount: u64::read(buf)?,
            }),
            Self::UNDELEGATE => Ok(StakingAction::Undelegate {
                validator: Did::read(buf)?,
                amount: u64::read(buf)?,
            }),
            Self::WITHDRAW => Ok(StakingAction::Withdraw),
            Self::CLAIM_REWARDS => Ok(StakingAction::ClaimRewards {
                validator: Option::<Did>::read(buf)?,
            }),
            Self::REPORT_EQUIVOCATION => Ok(StakingAction::ReportEquivocation {
                validator: Did::read(buf)?,
                evidence: Box::new(crate::evidence::Equivocation::read(buf)?),
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
