//! The chain parameters governance may change, and how they are stored.
//!
//! The parameters live in the authenticated state (key `params`, record [`ParamsRecord`]): the
//! values in force now and the changes passed proposals scheduled for later heights. The
//! executor reads the record once per block and applies every scheduled change whose height
//! has come ([`ParamsRecord::effective_at`]), so a change takes effect at exactly its height on
//! every node, with no transaction at that height.

use crate::{Did, TypesError, codec::decode_exact};
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};

/// Basis points in one whole (100%).
pub const BPS: u16 = 10_000;
/// Most parameter changes one proposal carries.
pub const MAX_PARAM_CHANGES: usize = 8;
/// Most scheduled changes waiting in the parameters record.
pub const MAX_SCHEDULED_CHANGES: usize = 16;
/// Epochs of stake history kept for governance snapshots: a proposal's votes are weighted by
/// stake at the start of the epoch it was submitted in, so its voting period must end within
/// this many epochs ([`Params::validate`]).
pub const SNAPSHOT_EPOCHS: u64 = 16;

/// The parameters of the chain that governance may change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// Minimum fee per transaction.
    pub min_fee: u64,
    /// Most transactions in one block.
    pub max_block_txs: u32,
    /// Blocks per epoch: stake changes take effect at the next epoch boundary (fixed at
    /// genesis: no proposal changes it).
    pub epoch_length: u64,
    /// Blocks unbonded stake waits before it can be withdrawn.
    pub unbonding_period: u64,
    /// Most validators in the active set (used when stake chooses the set).
    pub max_validators: u32,
    /// Blocks a proposal is open for votes.
    pub voting_period: u64,
    /// Smallest deposit that opens a proposal.
    pub min_deposit: u64,
    /// Share of the stake that must vote (yes, no, abstain or veto) for a result to count, in
    /// basis points.
    pub quorum_bps: u16,
    /// Share of yes among yes, no and veto votes a proposal needs to pass, in basis points
    /// (strictly more than this).
    pub threshold_bps: u16,
    /// Share of veto among all votes that rejects a proposal and forfeits its deposit to the
    /// community treasury, in basis points (strictly more than this).
    pub veto_bps: u16,
    /// Blocks between the end of voting and the execution of a passed proposal.
    pub timelock: u64,
    /// The identity that may add and remove verifiers in the trust registry.
    pub registry_authority: Option<Did>,
    /// Native tokens minted every block as staking rewards (besides the block's fees), shared
    /// by all bonded stake; none while nothing is bonded.
    pub issuance_per_block: u64,
    /// Share of a validator's stake (its delegators' included, and what is unbonding from it)
    /// that evidence of an equivocation cuts, in basis points.
    pub slash_fraction_bps: u16,
}

/// The default [`Params::slash_fraction_bps`]: 5%.
pub const DEFAULT_SLASH_FRACTION_BPS: u16 = 500;

impl Default for Params {
    fn default() -> Self {
        Self {
            min_fee: 0,
            max_block_txs: 5_000,
            epoch_length: 600,
            unbonding_period: 3_000,
            max_validators: 100,
            voting_period: 1_200,
            min_deposit: 1_000,
            quorum_bps: 3_340,
            threshold_bps: 5_000,
            veto_bps: 3_340,
            timelock: 300,
            registry_authority: None,
            issuance_per_block: 0,
            slash_fraction_bps: DEFAULT_SLASH_FRACTION_BPS,
        }
    }
}

impl Params {
    /// Checks the values are usable together.
    pub fn validate(&self) -> Result<(), TypesError> {
        let bad = |what: String| Err(TypesError::Invalid(what));
        if self.max_block_txs == 0 || self.max_block_txs as usize > crate::limits::MAX_BLOCK_TXS {
            return bad(format!(
                "max_block_txs must be 1..={}",
                crate::limits::MAX_BLOCK_TXS
            ));
        }
        if self.epoch_length == 0 {
            return bad("epoch_length must be at least 1".into());
        }
        if self.voting_period == 0 {
            return bad("voting_period must be at least 1".into());
        }
        // A vote reads stake at the start of the proposal's epoch, kept for SNAPSHOT_EPOCHS.
        let max_voting = self.epoch_length.saturating_mul(SNAPSHOT_EPOCHS - 2);
        if self.voting_period > max_voting {
            return bad(format!(
                "voting_period must be at most {} epochs ({max_voting} blocks)",
                SNAPSHOT_EPOCHS - 2
            ));
        }
        if self.max_validators == 0 || self.max_validators as usize > crate::staking::MAX_CANDIDATES
        {
            return bad(format!(
                "max_validators must be 1..={}",
                crate::staking::MAX_CANDIDATES
            ));
        }
        for (name, v) in [
            ("quorum_bps", self.quorum_bps),
            ("threshold_bps", self.threshold_bps),
            ("veto_bps", self.veto_bps),
            ("slash_fraction_bps", self.slash_fraction_bps),
        ] {
            if v > BPS {
                return bad(format!("{name} must be at most {BPS}"));
            }
        }
        Ok(())
    }

    /// The epoch a height falls in.
    pub fn epoch_of(&self, height: u64) -> u64 {
        height / self.epoch_length.max(1)
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &ParamChange) {
        match change {
            ParamChange::MinFee(v) => self.min_fee = *v,
            ParamChange::MaxBlockTxs(v) => self.max_block_txs = *v,
            ParamChange::UnbondingPeriod(v) => self.unbonding_period = *v,
            ParamChange::MaxValidators(v) => self.max_validators = *v,
            ParamChange::VotingPeriod(v) => self.voting_period = *v,
            ParamChange::MinDeposit(v) => self.min_deposit = *v,
            ParamChange::QuorumBps(v) => self.quorum_bps = *v,
            ParamChange::ThresholdBps(v) => self.threshold_bps = *v,
            ParamChange::VetoBps(v) => self.veto_bps = *v,
            ParamChange::Timelock(v) => self.timelock = *v,
            ParamChange::RegistryAuthority(v) => self.registry_authority = v.clone(),
            ParamChange::IssuancePerBlock(v) => self.issuance_per_block = *v,
            ParamChange::SlashFractionBps(v) => self.slash_fraction_bps = *v,
        }
    }
}

impl Write for Params {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        3u8.write(buf);
        self.min_fee.write(buf);
        self.max_block_txs.write(buf);
        self.epoch_length.write(buf);
        self.unbonding_period.write(buf);
        self.max_validators.write(buf);
        self.voting_period.write(buf);
        self.min_deposit.write(buf);
        self.quorum_bps.write(buf);
        self.threshold_bps.write(buf);
        self.veto_bps.write(buf);
        self.timelock.write(buf);
        self.registry_authority.write(buf);
        self.issuance_per_block.write(buf);
        self.slash_fraction_bps.write(buf);
    }
}

impl EncodeSize for Params {
    fn encode_size(&self) -> usize {
        1 + 8
            + 4
            + 8
            + 8
            + 4
            + 8
            + 8
            + 2
            + 2
            + 2
            + 8
            + self.registry_authority.encode_size()
            + 8
            + 2
    }
}

impl Read for Params {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        // Version 2 had no slashing: it reads with the default fraction.
        let version = u8::read(buf)?;
        if version != 2 && version != 3 {
            return Err(Error::Invalid("Params", "unsupported version"));
        }
        let mut params = Self {
            min_fee: u64::read(buf)?,
            max_block_txs: u32::read(buf)?,
            epoch_length: u64::read(buf)?,
            unbonding_period: u64::read(buf)?,
            max_validators: u32::read(buf)?,
            voting_period: u64::read(buf)?,
            min_deposit: u64::read(buf)?,
            quorum_bps: u16::read(buf)?,
            threshold_bps: u16::read(buf)?,
            veto_bps: u16::read(buf)?,
            timelock: u64::read(buf)?,
            registry_authority: Option::<Did>::read(buf)?,
            issuance_per_block: u64::read(buf)?,
            slash_fraction_bps: DEFAULT_SLASH_FRACTION_BPS,
        };
        if version == 3 {
            params.slash_fraction_bps = u16::read(buf)?;
        }
        params
            .validate()
            .map_err(|_| Error::Invalid("Params", "values out of range"))?;
        Ok(params)
    }
}

/// A change of one parameter, as a proposal carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamChange {
    /// [`Params::min_fee`].
    MinFee(u64),
    /// [`Params::max_block_txs`].
    MaxBlockTxs(u32),
    /// [`Params::unbonding_period`].
    UnbondingPeriod(u64),
    /// [`Params::max_validators`].
    MaxValidators(u32),
    /// [`Params::voting_period`].
    VotingPeriod(u64),
    /// [`Params::min_deposit`].
    MinDeposit(u64),
    /// [`Params::quorum_bps`].
    QuorumBps(u16),
    /// [`Params::threshold_bps`].
    ThresholdBps(u16),
    /// [`Params::veto_bps`].
    VetoBps(u16),
    /// [`Params::timelock`].
    Timelock(u64),
    /// [`Params::registry_authority`] (`none` removes it: the registry is then fixed until a
    /// later proposal names one).
    RegistryAuthority(Option<Did>),
    /// [`Params::issuance_per_block`].
    IssuancePerBlock(u64),
    /// [`Params::slash_fraction_bps`].
    SlashFractionBps(u16),
}

impl ParamChange {
    /// The parameter's name, as in the genesis file and `name=value`.
    pub fn name(&self) -> &'static str {
        match self {
            ParamChange::MinFee(_) => "min_fee",
            ParamChange::MaxBlockTxs(_) => "max_block_txs",
            ParamChange::UnbondingPeriod(_) => "unbonding_period",
            ParamChange::MaxValidators(_) => "max_validators",
            ParamChange::VotingPeriod(_) => "voting_period",
            ParamChange::MinDeposit(_) => "min_deposit",
            ParamChange::QuorumBps(_) => "quorum_bps",
            ParamChange::ThresholdBps(_) => "threshold_bps",
            ParamChange::VetoBps(_) => "veto_bps",
            ParamChange::Timelock(_) => "timelock",
            ParamChange::RegistryAuthority(_) => "registry_authority",
            ParamChange::IssuancePerBlock(_) => "issuance_per_block",
            ParamChange::SlashFractionBps(_) => "slash_fraction_bps",
        }
    }

    /// The names [`ParamChange::parse`] accepts.
    pub const NAMES: &'static [&'static str] = &[
        "min_fee",
        "max_block_txs",
        "unbonding_period",
        "max_validators",
        "voting_period",
        "min_deposit",
        "quorum_bps",
        "threshold_bps",
        "veto_bps",
        "timelock",
        "registry_authority",
        "issuance_per_block",
        "slash_fraction_bps",
    ];

    /// Parses `name=value` (e.g. `min_fee=5`, `registry_authority=did:key:z6Mk…` or
    /// `registry_authority=none`).
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| TypesError::Invalid(format!("expected name=value, got {s:?}")))?;
        let invalid = || TypesError::Invalid(format!("{name}: not a valid value: {value:?}"));
        let n64 = || value.parse::<u64>().map_err(|_| invalid());
        let n32 = || value.parse::<u32>().map_err(|_| invalid());
        let n16 = || value.parse::<u16>().map_err(|_| invalid());
        Ok(match name {
            "min_fee" => ParamChange::MinFee(n64()?),
            "max_block_txs" => ParamChange::MaxBlockTxs(n32()?),
            "unbonding_period" => ParamChange::UnbondingPeriod(n64()?),
            "max_validators" => ParamChange::MaxValidators(n32()?),
            "voting_period" => ParamChange::VotingPeriod(n64()?),
            "min_deposit" => ParamChange::MinDeposit(n64()?),
            "quorum_bps" => ParamChange::QuorumBps(n16()?),
            "threshold_bps" => ParamChange::ThresholdBps(n16()?),
            "veto_bps" => ParamChange::VetoBps(n16()?),
            "timelock" => ParamChange::Timelock(n64()?),
            "issuance_per_block" => ParamChange::IssuancePerBlock(n64()?),
            "slash_fraction_bps" => ParamChange::SlashFractionBps(n16()?),
            "registry_authority" => ParamChange::RegistryAuthority(match value {
                "none" => None,
                did => Some(Did::parse(did)?),
            }),
            other => {
                return Err(TypesError::Invalid(format!(
                    "unknown parameter {other:?} (one of: {})",
                    Self::NAMES.join(", ")
                )));
            }
        })
    }

    fn tag(&self) -> u8 {
        match self {
            ParamChange::MinFee(_) => 0,
            ParamChange::MaxBlockTxs(_) => 1,
            ParamChange::UnbondingPeriod(_) => 2,
            ParamChange::MaxValidators(_) => 3,
            ParamChange::VotingPeriod(_) => 4,
            ParamChange::MinDeposit(_) => 5,
            ParamChange::QuorumBps(_) => 6,
            ParamChange::ThresholdBps(_) => 7,
            ParamChange::VetoBps(_) => 8,
            ParamChange::Timelock(_) => 9,
            ParamChange::RegistryAuthority(_) => 10,
            ParamChange::IssuancePerBlock(_) => 11,
            ParamChange::SlashFractionBps(_) => 12,
        }
    }
}

impl std::fmt::Display for ParamChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}=", self.name())?;
        match self {
            ParamChange::MinFee(v)
            | ParamChange::UnbondingPeriod(v)
            | ParamChange::VotingPeriod(v)
            | ParamChange::MinDeposit(v)
            | ParamChange::Timelock(v)
            | ParamChange::IssuancePerBlock(v) => write!(f, "{v}"),
            ParamChange::MaxBlockTxs(v) | ParamChange::MaxValidators(v) => write!(f, "{v}"),
            ParamChange::QuorumBps(v)
            | ParamChange::ThresholdBps(v)
            | ParamChange::VetoBps(v)
            | ParamChange::SlashFractionBps(v) => {
                write!(f, "{v}")
            }
            ParamChange::RegistryAuthority(None) => f.write_str("none"),
            ParamChange::RegistryAuthority(Some(did)) => write!(f, "{did}"),
        }
    }
}

impl Write for ParamChange {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.tag().write(buf);
        match self {
            ParamChange::MinFee(v)
            | ParamChange::UnbondingPeriod(v)
            | ParamChange::VotingPeriod(v)
            | ParamChange::MinDeposit(v)
            | ParamChange::Timelock(v)
            | ParamChange::IssuancePerBlock(v) => v.write(buf),
            ParamChange::MaxBlockTxs(v) | ParamChange::MaxValidators(v) => v.write(buf),
            ParamChange::QuorumBps(v)
            | ParamChange::ThresholdBps(v)
            | ParamChange::VetoBps(v)
            | ParamChange::SlashFractionBps(v) => v.write(buf),
            ParamChange::RegistryAuthority(v) => v.write(buf),
        }
    }
}

impl EncodeSize for ParamChange {
    fn encode_size(&self) -> usize {
        1 + match self {
            ParamChange::MinFee(_)
            | ParamChange::UnbondingPeriod(_)
            | ParamChange::VotingPeriod(_)
            | ParamChange::MinDeposit(_)
            | ParamChange::Timelock(_)
            | ParamChange::IssuancePerBlock(_) => 8,
            ParamChange::MaxBlockTxs(_) | ParamChange::MaxValidators(_) => 4,
            ParamChange::QuorumBps(_)
            | ParamChange::ThresholdBps(_)
            | ParamChange::VetoBps(_)
            | ParamChange::SlashFractionBps(_) => 2,
            ParamChange::RegistryAuthority(v) => v.encode_size(),
        }
    }
}

impl Read for ParamChange {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(match u8::read(buf)? {
            0 => ParamChange::MinFee(u64::read(buf)?),
            1 => ParamChange::MaxBlockTxs(u32::read(buf)?),
            2 => ParamChange::UnbondingPeriod(u64::read(buf)?),
            3 => ParamChange::MaxValidators(u32::read(buf)?),
            4 => ParamChange::VotingPeriod(u64::read(buf)?),
            5 => ParamChange::MinDeposit(u64::read(buf)?),
            6 => ParamChange::QuorumBps(u16::read(buf)?),
            7 => ParamChange::ThresholdBps(u16::read(buf)?),
            8 => ParamChange::VetoBps(u16::read(buf)?),
            9 => ParamChange::Timelock(u64::read(buf)?),
            10 => ParamChange::RegistryAuthority(Option::<Did>::read(buf)?),
            11 => ParamChange::IssuancePerBlock(u64::read(buf)?),
            12 => ParamChange::SlashFractionBps(u16::read(buf)?),
            other => return Err(Error::InvalidEnum(other)),
        })
    }
}

/// Reads a list of 1 to [`MAX_PARAM_CHANGES`] parameter changes.
pub fn read_param_changes(buf: &mut impl Buf) -> Result<Vec<ParamChange>, Error> {
    Vec::<ParamChange>::read_cfg(buf, &(RangeCfg::from(1..=MAX_PARAM_CHANGES), ()))
}

/// Parameter changes that take effect at a height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledChange {
    /// The first height at which the changes are in force.
    pub height: u64,
    /// The changes, applied in order.
    pub changes: Vec<ParamChange>,
}

impl Write for ScheduledChange {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.height.write(buf);
        self.changes.write(buf);
    }
}

impl EncodeSize for ScheduledChange {
    fn encode_size(&self) -> usize {
        8 + self.changes.encode_size()
    }
}

impl Read for ScheduledChange {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            height: u64::read(buf)?,
            changes: read_param_changes(buf)?,
        })
    }
}

/// The stored parameters: those in force since the record was last written, and changes
/// scheduled for later heights (sorted by height, at most [`MAX_SCHEDULED_CHANGES`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamsRecord {
    /// The parameters before any scheduled change.
    pub current: Params,
    /// Changes waiting for their height, in height order.
    pub scheduled: Vec<ScheduledChange>,
}

impl ParamsRecord {
    /// A record with `params` and nothing scheduled.
    pub fn new(params: Params) -> Self {
        Self {
            current: params,
            scheduled: Vec::new(),
        }
    }

    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// The parameters in force at `height`.
    pub fn effective_at(&self, height: u64) -> Params {
        let mut params = self.current.clone();
        for s in self.scheduled.iter().take_while(|s| s.height <= height) {
            for c in &s.changes {
                params.apply(c);
            }
        }
        params
    }

    /// Folds the changes in force at `height` into [`Self::current`].
    pub fn settle(&mut self, height: u64) {
        self.current = self.effective_at(height);
        self.scheduled.retain(|s| s.height > height);
    }

    /// Schedules `changes` for `height` (after the changes already scheduled for it). Refuses
    /// (changing nothing) when the schedule is full or the parameters the changes would give,
    /// after everything scheduled before them, are not valid.
    pub fn schedule(&mut self, height: u64, changes: Vec<ParamChange>) -> Result<(), TypesError> {
        if self.scheduled.len() >= MAX_SCHEDULED_CHANGES {
            return Err(TypesError::Invalid(format!(
                "{MAX_SCHEDULED_CHANGES} parameter changes are already scheduled"
            )));
        }
        let at = self.scheduled.partition_point(|s| s.height <= height);
        let mut next = self.clone();
        next.scheduled
            .insert(at, ScheduledChange { height, changes });
        // Every later point of the schedule must stay valid.
        for s in &next.scheduled[at..] {
            next.effective_at(s.height).validate()?;
        }
        *self = next;
        Ok(())
    }
}

impl Write for ParamsRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.current.write(buf);
        self.scheduled.write(buf);
    }
}

impl EncodeSize for ParamsRecord {
    fn encode_size(&self) -> usize {
        self.current.encode_size() + self.scheduled.encode_size()
    }
}

impl Read for ParamsRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let current = Params::read(buf)?;
        let scheduled = Vec::<ScheduledChange>::read_cfg(
            buf,
            &(RangeCfg::from(0..=MAX_SCHEDULED_CHANGES), ()),
        )?;
        if scheduled.windows(2).any(|w| w[0].height > w[1].height) {
            return Err(Error::Invalid(
                "ParamsRecord",
                "schedule not in height order",
            ));
        }
        Ok(Self { current, scheduled })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let p = Params::default();
        p.validate().unwrap();
        let bytes = p.encode();
        assert_eq!(decode_exact::<Params>(&bytes, &()).unwrap(), p);
    }

    #[test]
    fn changes_parse_print_and_encode() {
        let did = Did::sovra(&[3; 16]);
        for c in [
            ParamChange::MinFee(5),
            ParamChange::MaxBlockTxs(100),
            ParamChange::QuorumBps(2_000),
            ParamChange::RegistryAuthority(None),
            ParamChange::RegistryAuthority(Some(did)),
        ] {
            assert_eq!(ParamChange::parse(&c.to_string()).unwrap(), c);
            assert_eq!(decode_exact::<ParamChange>(&c.encode(), &()).unwrap(), c);
        }
        for bad in ["min_fee", "min_fee=-1", "nope=1", "quorum_bps=70000"] {
            assert!(ParamChange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedule_applies_at_its_height_and_refuses_invalid_results() {
        let mut r = ParamsRecord::new(Params::default());
        r.schedule(10, vec![ParamChange::MinFee(7)]).unwrap();
        r.schedule(5, vec![ParamChange::MinFee(3)]).unwrap();
        assert_eq!(r.effective_at(4).min_fee, 0);
        assert_eq!(r.effective_at(5).min_fee, 3);
        assert_eq!(r.effective_at(10).min_fee, 7);
        let before = r.clone();
        assert!(r.schedule(6, vec![ParamChange::MaxBlockTxs(0)]).is_err());
        assert!(
            r.schedule(6, vec![ParamChange::QuorumBps(BPS + 1)])
                .is_err()
        );
        assert_eq!(r, before, "a refused schedule changes nothing");
        r.settle(7);
        assert_eq!(r.current.min_fee, 3);
        assert_eq!(r.scheduled.len(), 1);
        assert_eq!(decode_exact::<ParamsRecord>(&r.encode(), &()).unwrap(), r);
    }
}
