//! Governance records: proposals, what they propose, their tallies and the votes cast on them.
//!
//! A proposal is voted on with stake as it stood at the start of the epoch it was submitted
//! in (the snapshot). A validator's vote counts the stake delegated to it, except the stake of
//! delegators who voted themselves; the tally is kept up to date vote by vote, so the result is
//! read off the proposal when voting ends.

use crate::{
    Did, TypesError,
    codec::{decode_exact, read_text, write_bytes},
    params::{ParamChange, read_param_changes},
    sha256,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// Longest proposal title, in bytes.
pub const MAX_TITLE_LEN: usize = 140;
/// Longest proposal description, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 2_048;

/// A proposal's id: derived from the transaction and action that submitted it, so nobody
/// chooses or takes another's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProposalId(pub [u8; 16]);

impl ProposalId {
    /// The id of the proposal submitted by action `index` of transaction `tx_id`.
    pub fn derive(tx_id: &crate::TxId, index: usize) -> Self {
        let digest = sha256(&[
            b"sovra/proposal",
            tx_id.as_ref(),
            &(index as u32).to_be_bytes(),
        ]);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest.as_ref()[..16]);
        Self(id)
    }

    /// Parses 32 hex characters.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        let bytes = hex::decode(s)
            .map_err(|_| TypesError::Invalid(format!("a proposal id is hex: {s:?}")))?;
        Ok(Self(bytes.try_into().map_err(|_| {
            TypesError::Invalid(format!(
                "a proposal id is 16 bytes (32 hex characters): {s:?}"
            ))
        })?))
    }
}

impl std::fmt::Display for ProposalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Write for ProposalId {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.0.write(buf);
    }
}

impl EncodeSize for ProposalId {
    fn encode_size(&self) -> usize {
        16
    }
}

impl Read for ProposalId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self(<[u8; 16]>::read(buf)?))
    }
}

/// What a proposal asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProposalContent {
    /// Nothing on the ledger changes: the vote is the record (a signal, a statement, an
    /// upgrade plan).
    Text,
    /// Change chain parameters: in force from the proposal's execution height.
    ChangeParams(Vec<ParamChange>),
    /// Pay `amount` from the community treasury to `to`, once, at or after the execution
    /// height.
    TreasurySpend {
        /// Recipient.
        to: Did,
        /// Amount of the native token.
        amount: u64,
    },
    /// Register or remove a verifier in the trust registry (a `register_verifier` or
    /// `remove_verifier` action, never a status-list anchor), enacted once at or after the
    /// execution height by anyone's `enact`.
    Registry(crate::RegistryAction),
}

impl ProposalContent {
    /// A short name for the API.
    pub fn kind(&self) -> &'static str {
        match self {
            ProposalContent::Text => "text",
            ProposalContent::ChangeParams(_) => "change-params",
            ProposalContent::TreasurySpend { .. } => "treasury-spend",
            ProposalContent::Registry(_) => "registry",
        }
    }

    /// The verifier a registry proposal changes.
    pub fn registry_verifier(&self) -> Option<&Did> {
        match self {
            ProposalContent::Registry(
                crate::RegistryAction::RegisterVerifier { verifier, .. }
                | crate::RegistryAction::RemoveVerifier { verifier },
            ) => Some(verifier),
            _ => None,
        }
    }
}

impl Write for ProposalContent {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            ProposalContent::Text => 0u8.write(buf),
            ProposalContent::ChangeParams(changes) => {
                1u8.write(buf);
                changes.write(buf);
            }
            ProposalContent::TreasurySpend { to, amount } => {
                2u8.write(buf);
                to.write(buf);
                amount.write(buf);
            }
            ProposalContent::Registry(action) => {
                3u8.write(buf);
                action.write(buf);
            }
        }
    }
}

impl EncodeSize for ProposalContent {
    fn encode_size(&self) -> usize {
        1 + match self {
            ProposalContent::Text => 0,
            ProposalContent::ChangeParams(changes) => changes.encode_size(),
            ProposalContent::TreasurySpend { to, .. } => to.encode_size() + 8,
            ProposalContent::Registry(action) => action.encode_size(),
        }
    }
}

impl Read for ProposalContent {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => ProposalContent::Text,
            1 => ProposalContent::ChangeParams(read_param_changes(buf)?),
            2 => ProposalContent::TreasurySpend {
                to: Did::read(buf)?,
                amount: u64::read(buf)?,
            },
            3 => {
                let action = crate::RegistryAction::read(buf)?;
                if matches!(action, crate::RegistryAction::AnchorStatusList { .. }) {
                    return Err(Error::Invalid(
                        "ProposalContent",
                        "a registry proposal registers or removes a verifier",
                    ));
                }
                ProposalContent::Registry(action)
            }
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

/// A vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VoteOption {
    /// For.
    Yes = 0,
    /// Against.
    No = 1,
    /// Counts toward the quorum only.
    Abstain = 2,
    /// Against, and if vetoes pass the veto share the deposit goes to the treasury.
    Veto = 3,
}

impl VoteOption {
    /// Parses `yes`, `no`, `abstain` or `veto`.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        Ok(match s {
            "yes" => VoteOption::Yes,
            "no" => VoteOption::No,
            "abstain" => VoteOption::Abstain,
            "veto" => VoteOption::Veto,
            other => {
                return Err(TypesError::Invalid(format!(
                    "a vote is yes, no, abstain or veto, not {other:?}"
                )));
            }
        })
    }

    /// The option's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            VoteOption::Yes => "yes",
            VoteOption::No => "no",
            VoteOption::Abstain => "abstain",
            VoteOption::Veto => "veto",
        }
    }
}

impl Write for VoteOption {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        (*self as u8).write(buf);
    }
}

impl EncodeSize for VoteOption {
    fn encode_size(&self) -> usize {
        1
    }
}

impl Read for VoteOption {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => VoteOption::Yes,
            1 => VoteOption::No,
            2 => VoteOption::Abstain,
            3 => VoteOption::Veto,
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

/// Stake counted for each option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Yes.
    pub yes: u64,
    /// No.
    pub no: u64,
    /// Abstain.
    pub abstain: u64,
    /// Veto.
    pub veto: u64,
}

impl Tally {
    /// The count of `option`.
    pub fn get_mut(&mut self, option: VoteOption) -> &mut u64 {
        match option {
            VoteOption::Yes => &mut self.yes,
            VoteOption::No => &mut self.no,
            VoteOption::Abstain => &mut self.abstain,
            VoteOption::Veto => &mut self.veto,
        }
    }

    /// All stake that voted.
    pub fn turnout(&self) -> u128 {
        self.yes as u128 + self.no as u128 + self.abstain as u128 + self.veto as u128
    }
}

impl Write for Tally {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.yes.write(buf);
        self.no.write(buf);
        self.abstain.write(buf);
        self.veto.write(buf);
    }
}

impl EncodeSize for Tally {
    fn encode_size(&self) -> usize {
        32
    }
}

impl Read for Tally {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            yes: u64::read(buf)?,
            no: u64::read(buf)?,
            abstain: u64::read(buf)?,
            veto: u64::read(buf)?,
        })
    }
}

/// Where a proposal is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Open for votes until its voting end.
    Voting,
    /// Passed: a parameter change takes effect at the execution height by itself; a treasury
    /// spend is paid when its recipient claims it, from the execution height on.
    Passed,
    /// Did not get enough yes votes; the deposit went back.
    Rejected,
    /// Vetoed; the deposit went to the community treasury.
    Vetoed,
    /// Too little stake voted; the deposit went to the community treasury.
    NoQuorum,
    /// Passed, and its treasury spend was paid.
    Executed,
    /// Passed but could not be carried out (the parameters it would give are not valid).
    Failed,
}

impl ProposalStatus {
    /// The status's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProposalStatus::Voting => "voting",
            ProposalStatus::Passed => "passed",
            ProposalStatus::Rejected => "rejected",
            ProposalStatus::Vetoed => "vetoed",
            ProposalStatus::NoQuorum => "no-quorum",
            ProposalStatus::Executed => "executed",
            ProposalStatus::Failed => "failed",
        }
    }
}

impl Write for ProposalStatus {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        (*self as u8).write(buf);
    }
}

impl EncodeSize for ProposalStatus {
    fn encode_size(&self) -> usize {
        1
    }
}

impl Read for ProposalStatus {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => ProposalStatus::Voting,
            1 => ProposalStatus::Passed,
            2 => ProposalStatus::Rejected,
            3 => ProposalStatus::Vetoed,
            4 => ProposalStatus::NoQuorum,
            5 => ProposalStatus::Executed,
            6 => ProposalStatus::Failed,
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

/// What became of a proposal's deposit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStatus {
    /// Held while the proposal is voted on.
    Held = 0,
    /// The proposer may claim it back.
    Refundable = 1,
    /// Claimed back by the proposer.
    Refunded = 2,
    /// Went to the community treasury (vetoed, or no quorum).
    Forfeited = 3,
}

impl DepositStatus {
    /// The status's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            DepositStatus::Held => "held",
            DepositStatus::Refundable => "refundable",
            DepositStatus::Refunded => "refunded",
            DepositStatus::Forfeited => "forfeited",
        }
    }
}

impl Write for DepositStatus {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        (*self as u8).write(buf);
    }
}

impl EncodeSize for DepositStatus {
    fn encode_size(&self) -> usize {
        1
    }
}

impl Read for DepositStatus {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => DepositStatus::Held,
            1 => DepositStatus::Refundable,
            2 => DepositStatus::Refunded,
            3 => DepositStatus::Forfeited,
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

/// The voting rules a proposal was submitted under (from the parameters then in force).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VotingRules {
    /// Quorum, basis points of [`Proposal::total_stake`].
    pub quorum_bps: u16,
    /// Pass threshold, basis points of yes + no + veto.
    pub threshold_bps: u16,
    /// Veto share, basis points of all votes.
    pub veto_bps: u16,
}

/// A governance proposal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Who submitted it (and gets the deposit back unless it is vetoed or misses quorum).
    pub proposer: Did,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// What it asks for.
    pub content: ProposalContent,
    /// Deposit.
    pub deposit: u64,
    /// What became of the deposit.
    pub deposit_status: DepositStatus,
    /// Height of the block that submitted it.
    pub submitted_height: u64,
    /// Votes are weighted by stake at the start of this epoch.
    pub snapshot_epoch: u64,
    /// Total stake at the snapshot (the base of the quorum).
    pub total_stake: u64,
    /// Last height at which votes count.
    pub voting_end: u64,
    /// First height at which it takes effect if it passes.
    pub execution_height: u64,
    /// Its voting rules.
    pub rules: VotingRules,
    /// Stake counted per option so far.
    pub tally: Tally,
    /// Where it is.
    pub status: ProposalStatus,
}

impl Proposal {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for Proposal {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        1u8.write(buf);
        self.proposer.write(buf);
        write_bytes(self.title.as_bytes(), buf);
        write_bytes(self.description.as_bytes(), buf);
        self.content.write(buf);
        self.deposit.write(buf);
        self.deposit_status.write(buf);
        self.submitted_height.write(buf);
        self.snapshot_epoch.write(buf);
        self.total_stake.write(buf);
        self.voting_end.write(buf);
        self.execution_height.write(buf);
        self.rules.quorum_bps.write(buf);
        self.rules.threshold_bps.write(buf);
        self.rules.veto_bps.write(buf);
        self.tally.write(buf);
        self.status.write(buf);
    }
}

impl EncodeSize for Proposal {
    fn encode_size(&self) -> usize {
        1 + self.proposer.encode_size()
            + crate::codec::bytes_size(self.title.as_bytes())
            + crate::codec::bytes_size(self.description.as_bytes())
            + self.content.encode_size()
            + 8 * 6
            + 1
            + 6
            + self.tally.encode_size()
            + 1
    }
}

impl Read for Proposal {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != 1 {
            return Err(Error::Invalid("Proposal", "unsupported version"));
        }
        Ok(Self {
            proposer: Did::read(buf)?,
            title: read_text(buf, 1..=MAX_TITLE_LEN, "proposal title")?,
            description: read_text(buf, 0..=MAX_DESCRIPTION_LEN, "proposal description")?,
            content: ProposalContent::read(buf)?,
            deposit: u64::read(buf)?,
            deposit_status: DepositStatus::read(buf)?,
            submitted_height: u64::read(buf)?,
            snapshot_epoch: u64::read(buf)?,
            total_stake: u64::read(buf)?,
            voting_end: u64::read(buf)?,
            execution_height: u64::read(buf)?,
            rules: VotingRules {
                quorum_bps: u16::read(buf)?,
                threshold_bps: u16::read(buf)?,
                veto_bps: u16::read(buf)?,
            },
            tally: Tally::read(buf)?,
            status: ProposalStatus::read(buf)?,
        })
    }
}

/// One identity's part in a proposal's vote. For a validator, `overridden` is the stake of
/// its delegators who voted themselves (its own vote counts the rest of its stake); for a
/// delegator, `weight` is the stake its vote counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VoteRecord {
    /// Its vote, if it voted.
    pub option: Option<VoteOption>,
    /// The stake its own vote counts (a delegator's; 0 for a validator, whose count is its
    /// stake less `overridden`).
    pub weight: u64,
    /// Stake of delegators of this validator who voted themselves.
    pub overridden: u64,
}

impl VoteRecord {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for VoteRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.option.write(buf);
        self.weight.write(buf);
        self.overridden.write(buf);
    }
}

impl EncodeSize for VoteRecord {
    fn encode_size(&self) -> usize {
        self.option.encode_size() + 16
    }
}

impl Read for VoteRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            option: Option::<VoteOption>::read(buf)?,
            weight: u64::read(buf)?,
            overridden: u64::read(buf)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;

    #[test]
    fn proposal_round_trips() {
        let p = Proposal {
            proposer: Did::sovra(&[2; 16]),
            title: "Lower the fee".into(),
            description: "".into(),
            content: ProposalContent::ChangeParams(vec![ParamChange::MinFee(1)]),
            deposit: 10,
            deposit_status: DepositStatus::Held,
            submitted_height: 3,
            snapshot_epoch: 0,
            total_stake: 100,
            voting_end: 40,
            execution_height: 50,
            rules: VotingRules {
                quorum_bps: 3340,
                threshold_bps: 5000,
                veto_bps: 3340,
            },
            tally: Tally {
                yes: 1,
                no: 2,
                abstain: 3,
                veto: 4,
            },
            status: ProposalStatus::Voting,
        };
        assert_eq!(Proposal::decode(&p.encode()).unwrap(), p);
        let v = VoteRecord {
            option: Some(VoteOption::Veto),
            weight: 5,
            overridden: 0,
        };
        assert_eq!(VoteRecord::decode(&v.encode()).unwrap(), v);
        let id = ProposalId::derive(&crate::ZERO_DIGEST, 1);
        assert_eq!(ProposalId::parse(&id.to_string()).unwrap(), id);
        assert_ne!(id, ProposalId::derive(&crate::ZERO_DIGEST, 0));
    }
}
