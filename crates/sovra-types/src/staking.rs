//! Stake records: validator candidates, delegations, unbonding stake and the stake total, with
//! the per-epoch history governance weights votes by.
//!
//! Stake changes take effect at the start of the next epoch: every record keeps
//! [`Checkpoints`], "from the start of epoch `e` the value is `v`", for the last
//! [`SNAPSHOT_EPOCHS`] epochs, so the stake of any identity at the start of any recent epoch is
//! exact, whatever moved since.

use crate::{Did, TypesError, codec::decode_exact, params::SNAPSHOT_EPOCHS};
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};

/// Most unbonding entries one identity has waiting at once.
pub const MAX_UNBONDING_ENTRIES: usize = 8;
/// Longest validator network address (`host:port`), in bytes.
pub const MAX_P2P_ADDRESS_LEN: usize = 256;
/// Domain-separation namespace of the consensus key's proof of possession (it signs the
/// candidate's DID, so nobody registers a key they do not hold).
pub const VALIDATOR_KEY_NAMESPACE: &[u8] = b"sovra/validator-key";
/// What the consensus key signs (under [`VALIDATOR_KEY_NAMESPACE`]) to register `validator` on
/// chain `chain_id`.
pub fn validator_key_message(chain_id: &str, validator: &Did) -> Vec<u8> {
    use commonware_codec::Encode;
    let mut m = Vec::new();
    crate::codec::write_bytes(chain_id.as_bytes(), &mut m);
    m.extend_from_slice(&validator.encode());
    m
}

/// Most checkpoints a history holds: the retained epochs plus the one before them.
const MAX_CHECKPOINTS: usize = SNAPSHOT_EPOCHS as usize + 1;

/// A value's history by epoch: `(e, v)` means "from the start of epoch `e`, `v`". Epochs
/// strictly increase; at most [`SNAPSHOT_EPOCHS`]` + 1` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoints<T> {
    entries: Vec<(u64, T)>,
}

impl<T> Default for Checkpoints<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<T: Clone> Checkpoints<T> {
    /// The value in force at the start of `epoch` (`None` before the first checkpoint). Exact
    /// for every epoch at most [`SNAPSHOT_EPOCHS`]` - 1` before the epoch of the last write.
    pub fn at(&self, epoch: u64) -> Option<&T> {
        let i = self.entries.partition_point(|(e, _)| *e <= epoch);
        i.checked_sub(1).map(|i| &self.entries[i].1)
    }

    /// The entry in force at the start of `epoch`: the epoch it was in force from, and the
    /// value.
    pub fn entry_at(&self, epoch: u64) -> Option<(u64, &T)> {
        let i = self.entries.partition_point(|(e, _)| *e <= epoch);
        i.checked_sub(1)
            .map(|i| (self.entries[i].0, &self.entries[i].1))
    }

    /// The newest value (in force from the next epoch boundary on).
    pub fn latest(&self) -> Option<&T> {
        self.entries.last().map(|(_, v)| v)
    }

    /// Sets the value from the start of the epoch after `current_epoch`, and forgets what no
    /// snapshot of the last [`SNAPSHOT_EPOCHS`] epochs needs.
    pub fn set_next(&mut self, current_epoch: u64, value: T) {
        let from = current_epoch.saturating_add(1);
        match self.entries.last_mut() {
            Some((e, v)) if *e == from => *v = value,
            _ => self.entries.push((from, value)),
        }
        // Keep every entry after the oldest retained epoch, and the one in force at it.
        let oldest = from.saturating_sub(SNAPSHOT_EPOCHS);
        let keep_from = self
            .entries
            .partition_point(|(e, _)| *e <= oldest)
            .saturating_sub(1);
        self.entries.drain(..keep_from);
    }

    /// A history holding `value` from epoch 0 on (genesis stake).
    pub fn from_genesis(value: T) -> Self {
        Self {
            entries: vec![(0, value)],
        }
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[(u64, T)] {
        &self.entries
    }
}

impl<T: Write> Write for Checkpoints<T> {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.entries.write(buf);
    }
}

impl<T: EncodeSize> EncodeSize for Checkpoints<T> {
    fn encode_size(&self) -> usize {
        self.entries.encode_size()
    }
}

impl<T: Read<Cfg = ()>> Read for Checkpoints<T> {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let entries =
            Vec::<(u64, T)>::read_cfg(buf, &(RangeCfg::from(0..=MAX_CHECKPOINTS), ((), ())))?;
        if entries.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Error::Invalid("Checkpoints", "epochs not increasing"));
        }
        Ok(Self { entries })
    }
}

/// Checks a validator's p2p address: `host:port` with a port above 0, no whitespace, at most
/// [`MAX_P2P_ADDRESS_LEN`] bytes.
pub fn check_p2p_address(address: &str) -> Result<(), String> {
    let ok = address.len() <= MAX_P2P_ADDRESS_LEN
        && address.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
    if ok && !address.chars().any(char::is_whitespace) {
        return Ok(());
    }
    Err(format!("a validator address is host:port, not {address:?}"))
}

/// A validator candidate: an identity that registered a consensus key and takes delegations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorRecord {
    /// Ed25519 consensus public key.
    pub consensus_key: [u8; 32],
    /// Address other validators dial for consensus (`host:port`).
    pub p2p_address: String,
    /// Share of delegators' rewards the validator keeps, in basis points.
    pub commission_bps: u16,
    /// Stake delegated to it (its own included), by epoch.
    pub power: Checkpoints<u64>,
    /// The reward index ([`StakeTotal::reward_index`]) up to which its commission on its
    /// delegators' rewards has been credited.
    pub commission_index: u128,
    /// The slash for equivocation, if it was slashed: it is then tombstoned (out of the
    /// candidates for good, takes no new delegation, cannot register again).
    pub slash: Option<SlashRecord>,
    /// The latest release height of any unbonding entry undelegated from it (how long a slash
    /// must be remembered for its unbonding stake: [`SlashLog`]).
    pub latest_release: u64,
}

/// How a validator was slashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlashRecord {
    /// Height of the block that slashed it.
    pub height: u64,
    /// Epoch of that height: its power is cut from the next epoch on.
    pub epoch: u64,
    /// The epoch of the offence.
    pub offence_epoch: u64,
    /// The share of its stake cut, in basis points.
    pub fraction_bps: u16,
    /// The reward index at the slash: its delegations earned on their whole amount up to it,
    /// on what the slash left them after.
    pub reward_index: u128,
}

impl SlashRecord {
    /// What the slash leaves of `amount` (rounded down, so what the delegations keep never
    /// exceeds what the validator's power keeps).
    pub fn keep(&self, amount: u64) -> u64 {
        share_bps(amount, crate::params::BPS.saturating_sub(self.fraction_bps))
    }
}

impl Write for SlashRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.height.write(buf);
        self.epoch.write(buf);
        self.offence_epoch.write(buf);
        self.fraction_bps.write(buf);
        self.reward_index.write(buf);
    }
}

impl EncodeSize for SlashRecord {
    fn encode_size(&self) -> usize {
        8 + 8 + 8 + 2 + 16
    }
}

impl Read for SlashRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let record = Self {
            height: u64::read(buf)?,
            epoch: u64::read(buf)?,
            offence_epoch: u64::read(buf)?,
            fraction_bps: u16::read(buf)?,
            reward_index: u128::read(buf)?,
        };
        if record.fraction_bps > crate::params::BPS {
            return Err(Error::Invalid("SlashRecord", "fraction above 100%"));
        }
        Ok(record)
    }
}

impl ValidatorRecord {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// The commission the validator earned on its power (its latest, which is constant
    /// between two settlements: every change of it settles first) while the reward index
    /// moved from [`ValidatorRecord::commission_index`] to `index`; moves its index there.
    /// `None` (nothing changed) if `index` is behind or the amount overflows.
    pub fn settle_commission(&mut self, index: u128) -> Option<u64> {
        let power = *self.power.latest().unwrap_or(&0);
        let commission = share_bps(
            earned(power, self.commission_index, index)?,
            self.commission_bps,
        );
        self.commission_index = index;
        Some(commission)
    }
}

impl Write for ValidatorRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        3u8.write(buf);
        self.consensus_key.write(buf);
        crate::codec::write_bytes(self.p2p_address.as_bytes(), buf);
        self.commission_bps.write(buf);
        self.power.write(buf);
        self.commission_index.write(buf);
        self.slash.write(buf);
        self.latest_release.write(buf);
    }
}

impl EncodeSize for ValidatorRecord {
    fn encode_size(&self) -> usize {
        1 + 32
            + crate::codec::bytes_size(self.p2p_address.as_bytes())
            + 2
            + self.power.encode_size()
            + 16
            + self.slash.encode_size()
            + 8
    }
}

impl Read for ValidatorRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        // Version 2 (before slashing) has neither a slash nor unbonding stake to remember.
        let version = u8::read(buf)?;
        if version != 2 && version != 3 {
            return Err(Error::Invalid("ValidatorRecord", "unsupported version"));
        }
        let mut record = Self {
            consensus_key: <[u8; 32]>::read(buf)?,
            p2p_address: crate::codec::read_text(buf, 1..=MAX_P2P_ADDRESS_LEN, "p2p address")?,
            commission_bps: u16::read(buf)?,
            power: Checkpoints::read(buf)?,
            commission_index: u128::read(buf)?,
            slash: None,
            latest_release: 0,
        };
        if version == 3 {
            record.slash = Option::<SlashRecord>::read(buf)?;
            record.latest_release = u64::read(buf)?;
        }
        if record.commission_bps > crate::params::BPS {
            return Err(Error::Invalid("ValidatorRecord", "commission above 100%"));
        }
        Ok(record)
    }
}

/// Stake an identity delegates to one validator (a validator's own stake is a delegation to
/// itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stake {
    /// The validator.
    pub validator: Did,
    /// Amount bonded.
    pub amount: u64,
    /// Whether `amount` was written after the validator's slash (it already counts the cut); a
    /// stake written before its validator was slashed counts only what the slash left, from
    /// the epoch after the slash on ([`Delegation::effective_at`]).
    pub after_slash: bool,
}

impl Stake {
    /// A stake of `amount` to `validator`, written before any slash of it.
    pub fn new(validator: Did, amount: u64) -> Self {
        Self {
            validator,
            amount,
            after_slash: false,
        }
    }
}

impl Write for Stake {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.validator.write(buf);
        self.amount.write(buf);
        self.after_slash.write(buf);
    }
}

impl EncodeSize for Stake {
    fn encode_size(&self) -> usize {
        self.validator.encode_size() + 8 + 1
    }
}

impl Read for Stake {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            validator: Did::read(buf)?,
            amount: u64::read(buf)?,
            after_slash: bool::read(buf)?,
        })
    }
}

/// A stake as delegations of version 2 (before slashing) stored it.
struct StakeV2(Stake);

impl Read for StakeV2 {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self(Stake::new(Did::read(buf)?, u64::read(buf)?)))
    }
}

/// An identity's delegation, by epoch. One validator at a time: moving to another takes
/// undelegating everything first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delegation {
    /// The stake, by epoch.
    pub stake: Checkpoints<Stake>,
    /// The reward index ([`StakeTotal::reward_index`]) up to which the rewards of the current
    /// stake have been credited to [`Delegation::rewards`].
    pub reward_index: u128,
    /// Rewards credited and not yet claimed (a validator's commission included).
    pub rewards: u64,
}

impl Delegation {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// The stake from the next epoch boundary on (`None` if it never delegated).
    pub fn current(&self) -> Option<&Stake> {
        self.stake.latest()
    }

    /// The stake at the start of `epoch`, if positive, as written (before any cut of a slash
    /// it has not been settled against: [`Delegation::effective_at`]).
    pub fn at(&self, epoch: u64) -> Option<&Stake> {
        self.stake.at(epoch).filter(|s| s.amount > 0)
    }

    /// The stake at the start of `epoch`, if positive, counting what the slash of its
    /// validator (`slash`, that validator's) left of a stake written before it, from the epoch
    /// after the slash on. What governance weighs votes by.
    pub fn effective_at(&self, epoch: u64, slash: Option<&SlashRecord>) -> Option<Stake> {
        let mut stake = self.at(epoch)?.clone();
        if let Some(slash) = slash
            && !stake.after_slash
            && epoch > slash.epoch
        {
            stake.amount = slash.keep(stake.amount);
            stake.after_slash = true;
        }
        (stake.amount > 0).then_some(stake)
    }

    /// Whether the current stake was written before `slash` (its validator's) and still
    /// counts the amount the slash cut.
    pub fn owes_slash(&self, slash: Option<&SlashRecord>) -> bool {
        slash.is_some()
            && self
                .current()
                .is_some_and(|s| s.amount > 0 && !s.after_slash)
    }

    /// Settles the current stake against its validator's slash if it was written before it:
    /// credits what the whole amount earned up to the slash's reward index (less
    /// `commission_bps`), then cuts the stake to what the slash left, from the epoch after
    /// `current_epoch`. Returns the amount cut; `None` (nothing changed) on overflow or if the
    /// delegation settled past the slash's index already.
    pub fn settle_slash(
        &mut self,
        commission_bps: u16,
        slash: &SlashRecord,
        current_epoch: u64,
    ) -> Option<u64> {
        let Some(stake) = self.current().cloned() else {
            return Some(0);
        };
        if stake.amount == 0 || stake.after_slash {
            return Some(0);
        }
        self.settle(commission_bps, slash.reward_index)?;
        let kept = slash.keep(stake.amount);
        self.stake.set_next(
            current_epoch,
            Stake {
                validator: stake.validator,
                amount: kept,
                after_slash: true,
            },
        );
        Some(stake.amount - kept)
    }

    /// Credits to [`Delegation::rewards`] what the current stake earned while the reward index
    /// moved from [`Delegation::reward_index`] to `index`, less the validator's commission
    /// (`commission_bps`, which the validator earns on its power:
    /// [`ValidatorRecord::settle_commission`]), and moves the delegation's index to `index`.
    /// Every change of the stake settles first, so the stake was constant over that span.
    /// `None` (nothing changed) if `index` is behind or the amount overflows.
    pub fn settle(&mut self, commission_bps: u16, index: u128) -> Option<()> {
        let amount = self.current().map_or(0, |s| s.amount);
        let gross = earned(amount, self.reward_index, index)?;
        // Rounded down on both sides (here and in the commission), so all that is credited
        // never exceeds what the index distributed.
        let net = share_bps(gross, crate::params::BPS.saturating_sub(commission_bps));
        self.rewards = self.rewards.checked_add(net)?;
        self.reward_index = index;
        Some(())
    }
}

impl Write for Delegation {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        3u8.write(buf);
        self.stake.write(buf);
        self.reward_index.write(buf);
        self.rewards.write(buf);
    }
}

impl EncodeSize for Delegation {
    fn encode_size(&self) -> usize {
        1 + self.stake.encode_size() + 16 + 8
    }
}

impl Read for Delegation {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let stake = match u8::read(buf)? {
            // Version 2 (before slashing): no stake was written after a slash.
            2 => {
                let old = Checkpoints::<StakeV2>::read(buf)?;
                Checkpoints {
                    entries: old.entries.into_iter().map(|(e, s)| (e, s.0)).collect(),
                }
            }
            3 => Checkpoints::read(buf)?,
            _ => return Err(Error::Invalid("Delegation", "unsupported version")),
        };
        Ok(Self {
            stake,
            reward_index: u128::read(buf)?,
            rewards: u64::read(buf)?,
        })
    }
}

/// Stake on its way out: it stays slashable until `release_height`, then the owner withdraws
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbondingEntry {
    /// The validator it was delegated to.
    pub validator: Did,
    /// Amount.
    pub amount: u64,
    /// First height at which it can be withdrawn.
    pub release_height: u64,
}

impl Write for UnbondingEntry {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.validator.write(buf);
        self.amount.write(buf);
        self.release_height.write(buf);
    }
}

impl EncodeSize for UnbondingEntry {
    fn encode_size(&self) -> usize {
        self.validator.encode_size() + 16
    }
}

impl Read for UnbondingEntry {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            validator: Did::read(buf)?,
            amount: u64::read(buf)?,
            release_height: u64::read(buf)?,
        })
    }
}

/// An identity's unbonding stake: positive entries in release order, at most
/// [`MAX_UNBONDING_ENTRIES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unbonding {
    /// The entries, earliest release first.
    pub entries: Vec<UnbondingEntry>,
}

impl Unbonding {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for Unbonding {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.entries.write(buf);
    }
}

impl EncodeSize for Unbonding {
    fn encode_size(&self) -> usize {
        self.entries.encode_size()
    }
}

impl Read for Unbonding {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let entries =
            Vec::<UnbondingEntry>::read_cfg(buf, &(RangeCfg::from(1..=MAX_UNBONDING_ENTRIES), ()))?;
        if entries.iter().any(|e| e.amount == 0)
            || entries
                .windows(2)
                .any(|w| w[0].release_height > w[1].release_height)
        {
            return Err(Error::Invalid("Unbonding", "empty or unordered entries"));
        }
        Ok(Self { entries })
    }
}

/// Scale of the reward index: [`StakeTotal::reward_index`] counts native tokens per
/// `REWARD_INDEX_SCALE` units of bonded stake.
pub const REWARD_INDEX_SCALE: u128 = 1_000_000_000_000_000_000;

/// The total stake bonded to all validators, by epoch (the base of governance quorums), and
/// the reward index every bonded unit earns by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StakeTotal {
    /// The total, by epoch.
    pub total: Checkpoints<u64>,
    /// Rewards per bonded unit since genesis, times [`REWARD_INDEX_SCALE`]: each block adds its
    /// rewards times the scale divided by the bonded total, so a stake `s` held while the index
    /// moved from `a` to `b` has earned `s * (b - a) / REWARD_INDEX_SCALE`.
    pub reward_index: u128,
    /// The remainder of that division, carried into the next block's (nothing is lost to
    /// rounding in the index itself; below the largest bonded total so far, so less than one
    /// token).
    pub reward_carry: u64,
}

impl StakeTotal {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl StakeTotal {
    /// The bonded total from the next epoch boundary on: the sum of every delegation's latest
    /// stake, which is what earns rewards now.
    pub fn bonded(&self) -> u64 {
        *self.total.latest().unwrap_or(&0)
    }
}

impl Write for StakeTotal {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        1u8.write(buf);
        self.total.write(buf);
        self.reward_index.write(buf);
        self.reward_carry.write(buf);
    }
}

impl EncodeSize for StakeTotal {
    fn encode_size(&self) -> usize {
        1 + self.total.encode_size() + 16 + 8
    }
}

impl Read for StakeTotal {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != 1 {
            return Err(Error::Invalid("StakeTotal", "unsupported version"));
        }
        Ok(Self {
            total: Checkpoints::read(buf)?,
            reward_index: u128::read(buf)?,
            reward_carry: u64::read(buf)?,
        })
    }
}

/// Most candidates the candidate list holds (and so the largest `max_validators`).
pub const MAX_CANDIDATES: usize = 128;
/// Validator sets kept in [`ValidatorSets`]: the next epoch's, the current one's and the two
/// before (evidence of an equivocation verifies against the set of its epoch while it is kept).
pub const KEPT_VALIDATOR_SETS: usize = 4;

/// A candidate with its stake: an entry of the candidate list and a member of a validator set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The candidate.
    pub validator: Did,
    /// Its Ed25519 consensus key.
    pub consensus_key: [u8; 32],
    /// Its power: in the candidate list, its latest (from the next epoch boundary on); in a
    /// validator set, at the start of the set's epoch.
    pub power: u64,
}

impl Write for Member {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.validator.write(buf);
        self.consensus_key.write(buf);
        self.power.write(buf);
    }
}

impl EncodeSize for Member {
    fn encode_size(&self) -> usize {
        self.validator.encode_size() + 32 + 8
    }
}

impl Read for Member {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let member = Self {
            validator: Did::read(buf)?,
            consensus_key: <[u8; 32]>::read(buf)?,
            power: u64::read(buf)?,
        };
        if member.power == 0 {
            return Err(Error::Invalid("Member", "no power"));
        }
        Ok(member)
    }
}

/// The candidates with bonded stake (latest power above zero), in DID order, at most
/// [`MAX_CANDIDATES`]: each epoch's validator set is chosen from them. When the list is full,
/// a candidate whose power rises above the smallest listed power takes that one's place (the
/// one it replaces re-enters when its own stake next changes, if it then exceeds the smallest).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateList {
    /// The entries, by DID.
    pub entries: Vec<Member>,
}

impl CandidateList {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// Records that `validator` (consensus key `key`) now has latest power `power`: updates its
    /// entry, removes it at zero, or adds it (taking the place of the weakest entry, the
    /// greatest DID among equals, if the list is full and it is stronger). Returns whether it is
    /// listed afterwards.
    pub fn update(&mut self, validator: &Did, key: [u8; 32], power: u64) -> bool {
        let found = self
            .entries
            .binary_search_by(|m| m.validator.cmp(validator));
        match (found, power) {
            (Ok(i), 0) => {
                self.entries.remove(i);
                false
            }
            (Ok(i), _) => {
                self.entries[i].power = power;
                true
            }
            (Err(_), 0) => false,
            (Err(at), _) => {
                let member = Member {
                    validator: validator.clone(),
                    consensus_key: key,
                    power,
                };
                if self.entries.len() < MAX_CANDIDATES {
                    self.entries.insert(at, member);
                    return true;
                }
                let Some((weakest, _)) =
                    self.entries.iter().enumerate().min_by(|(_, a), (_, b)| {
                        a.power.cmp(&b.power).then(b.validator.cmp(&a.validator))
                    })
                else {
                    return false;
                };
                if self.entries[weakest].power >= power {
                    return false;
                }
                self.entries.remove(weakest);
                let at = self
                    .entries
                    .binary_search_by(|m| m.validator.cmp(validator))
                    .unwrap_or_else(|at| at);
                self.entries.insert(at, member);
                true
            }
        }
    }

    /// The validator set of `epoch` chosen from the list: the `max` strongest entries (by
    /// power, then DID), strongest first.
    pub fn choose(&self, epoch: u64, max: usize) -> ValidatorSet {
        let mut members = self.entries.clone();
        members.sort_by(|a, b| b.power.cmp(&a.power).then(a.validator.cmp(&b.validator)));
        members.truncate(max);
        ValidatorSet { epoch, members }
    }
}

impl Write for CandidateList {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        1u8.write(buf);
        self.entries.write(buf);
    }
}

impl EncodeSize for CandidateList {
    fn encode_size(&self) -> usize {
        1 + self.entries.encode_size()
    }
}

impl Read for CandidateList {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != 1 {
            return Err(Error::Invalid("CandidateList", "unsupported version"));
        }
        let entries = Vec::<Member>::read_cfg(buf, &(RangeCfg::from(0..=MAX_CANDIDATES), ()))?;
        if entries.windows(2).any(|w| w[0].validator >= w[1].validator) {
            return Err(Error::Invalid("CandidateList", "entries not in DID order"));
        }
        Ok(Self { entries })
    }
}

/// The validators of one epoch, strongest first (by power at the start of the epoch, then
/// DID); empty while no candidate has stake (the genesis validators go on then).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidatorSet {
    /// The epoch.
    pub epoch: u64,
    /// The members.
    pub members: Vec<Member>,
}

impl Write for ValidatorSet {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.epoch.write(buf);
        self.members.write(buf);
    }
}

impl EncodeSize for ValidatorSet {
    fn encode_size(&self) -> usize {
        8 + self.members.encode_size()
    }
}

impl Read for ValidatorSet {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let set = Self {
            epoch: u64::read(buf)?,
            members: Vec::<Member>::read_cfg(buf, &(RangeCfg::from(0..=MAX_CANDIDATES), ()))?,
        };
        let ordered = set.members.windows(2).all(|w| {
            w[0].power > w[1].power || (w[0].power == w[1].power && w[0].validator < w[1].validator)
        });
        if !ordered {
            return Err(Error::Invalid(
                "ValidatorSet",
                "members not strongest first",
            ));
        }
        Ok(set)
    }
}

/// The validator sets chosen at the last epoch boundaries: at most [`KEPT_VALIDATOR_SETS`],
/// epochs increasing. The set of epoch `e + 1` is chosen at the end of the last block of epoch
/// `e`, from the candidates' latest power (which is their power at the start of `e + 1`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidatorSets {
    /// The sets, oldest first.
    pub sets: Vec<ValidatorSet>,
}

impl ValidatorSets {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// The set of `epoch`, if it is kept.
    pub fn of(&self, epoch: u64) -> Option<&ValidatorSet> {
        self.sets.iter().find(|s| s.epoch == epoch)
    }

    /// Adds the newest set (of a later epoch than any kept), forgetting the oldest beyond
    /// [`KEPT_VALIDATOR_SETS`].
    pub fn push(&mut self, set: ValidatorSet) {
        self.sets.retain(|s| s.epoch < set.epoch);
        self.sets.push(set);
        let excess = self.sets.len().saturating_sub(KEPT_VALIDATOR_SETS);
        self.sets.drain(..excess);
    }
}

impl Write for ValidatorSets {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        1u8.write(buf);
        self.sets.write(buf);
    }
}

impl EncodeSize for ValidatorSets {
    fn encode_size(&self) -> usize {
        1 + self.sets.encode_size()
    }
}

impl Read for ValidatorSets {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != 1 {
            return Err(Error::Invalid("ValidatorSets", "unsupported version"));
        }
        let sets =
            Vec::<ValidatorSet>::read_cfg(buf, &(RangeCfg::from(0..=KEPT_VALIDATOR_SETS), ()))?;
        if sets.windows(2).any(|w| w[0].epoch >= w[1].epoch) {
            return Err(Error::Invalid("ValidatorSets", "epochs not increasing"));
        }
        Ok(Self { sets })
    }
}

/// Most slashes the [`SlashLog`] remembers at once.
pub const MAX_SLASH_LOG: usize = 128;

/// A slash, as long as stake undelegated from its validator before it is unbonding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlashEvent {
    /// The slashed validator.
    pub validator: Did,
    /// Height of the block that slashed it.
    pub height: u64,
    /// The share cut, in basis points.
    pub fraction_bps: u16,
    /// The latest release height of stake undelegated from it before the slash: the event is
    /// forgotten after it.
    pub until: u64,
}

impl Write for SlashEvent {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.validator.write(buf);
        self.height.write(buf);
        self.fraction_bps.write(buf);
        self.until.write(buf);
    }
}

impl EncodeSize for SlashEvent {
    fn encode_size(&self) -> usize {
        self.validator.encode_size() + 8 + 2 + 8
    }
}

impl Read for SlashEvent {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let event = Self {
            validator: Did::read(buf)?,
            height: u64::read(buf)?,
            fraction_bps: u16::read(buf)?,
            until: u64::read(buf)?,
        };
        if event.fraction_bps > crate::params::BPS {
            return Err(Error::Invalid("SlashEvent", "fraction above 100%"));
        }
        Ok(event)
    }
}

/// The slashes whose validators may still have stake unbonding (undelegated before the slash,
/// released after it), which a withdrawal cuts: at most [`MAX_SLASH_LOG`], one per validator
/// (a slashed validator is tombstoned), oldest first. Stake undelegated from a validator after
/// its slash is not unbonding (it returns at once: a tombstoned validator is never slashed
/// again), so every unbonding entry of a logged validator predates its slash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlashLog {
    /// The events, by slash height.
    pub events: Vec<SlashEvent>,
}

impl SlashLog {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// Adds `event` at height `height`, forgetting the events whose stake has all been
    /// released by then; when still full, forgets the one whose stake is released first (its
    /// last unbonding entries then escape the cut). Returns whether one was dropped so.
    pub fn record(&mut self, event: SlashEvent, height: u64) -> bool {
        self.events.retain(|e| e.until > height);
        let mut dropped = false;
        if self.events.len() >= MAX_SLASH_LOG
            && let Some((i, _)) = self.events.iter().enumerate().min_by_key(|(_, e)| e.until)
        {
            self.events.remove(i);
            dropped = true;
        }
        if event.until > height {
            self.events.push(event);
        }
        dropped
    }

    /// The amount a withdrawal cuts from `entry`: what the slash of its validator took, if the
    /// entry was still unbonding when it came.
    pub fn cut(&self, entry: &UnbondingEntry) -> u64 {
        self.events
            .iter()
            .find(|e| e.validator == entry.validator && e.height < entry.release_height)
            .map_or(0, |e| {
                entry.amount
                    - share_bps(
                        entry.amount,
                        crate::params::BPS.saturating_sub(e.fraction_bps),
                    )
            })
    }
}

impl Write for SlashLog {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        1u8.write(buf);
        self.events.write(buf);
    }
}

impl EncodeSize for SlashLog {
    fn encode_size(&self) -> usize {
        1 + self.events.encode_size()
    }
}

impl Read for SlashLog {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        if u8::read(buf)? != 1 {
            return Err(Error::Invalid("SlashLog", "unsupported version"));
        }
        let events = Vec::<SlashEvent>::read_cfg(buf, &(RangeCfg::from(0..=MAX_SLASH_LOG), ()))?;
        Ok(Self { events })
    }
}

/// `stake * (to - from) / REWARD_INDEX_SCALE`, rounded down: what `stake` earned while the
/// reward index moved from `from` to `to` (`None` if `to < from` or it exceeds `u64`).
pub fn earned(stake: u64, from: u128, to: u128) -> Option<u64> {
    let delta = to.checked_sub(from)?;
    let whole = (delta / REWARD_INDEX_SCALE).checked_mul(stake as u128)?;
    // Below 10^18 times below 2^64: fits in u128.
    let part = (delta % REWARD_INDEX_SCALE) * stake as u128 / REWARD_INDEX_SCALE;
    u64::try_from(whole.checked_add(part)?).ok()
}

/// What `claim_rewards` by the owner of `delegation` would pay with the reward index at
/// `index`: its credited rewards, what its stake earned since (net of the commission of
/// `delegated_to`, the record of the validator it delegates to) and, if it is a validator
/// itself (`own`), its commission since. `None` on overflow.
pub fn claimable(
    delegation: &Delegation,
    delegated_to: Option<&ValidatorRecord>,
    own: Option<&ValidatorRecord>,
    index: u128,
) -> Option<u64> {
    let mut d = delegation.clone();
    let commission_bps = delegated_to.map_or(0, |r| r.commission_bps);
    if let Some(slash) = delegated_to.and_then(|r| r.slash.as_ref()) {
        d.settle_slash(commission_bps, slash, slash.epoch)?;
    }
    d.settle(commission_bps, index)?;
    let commission = match own {
        Some(r) => r.clone().settle_commission(index)?,
        None => 0,
    };
    d.rewards.checked_add(commission)
}

/// `amount * bps / BPS`, rounded down.
pub fn share_bps(amount: u64, bps: u16) -> u64 {
    (amount as u128 * bps as u128 / crate::params::BPS as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::Encode;

    #[test]
    fn checkpoints_answer_by_epoch_and_stay_bounded() {
        let mut c = Checkpoints::<u64>::default();
        assert_eq!(c.at(5), None);
        c.set_next(0, 10); // from epoch 1
        c.set_next(0, 12); // same epoch: replaces
        c.set_next(3, 20); // from epoch 4
        assert_eq!(c.at(0), None);
        assert_eq!(c.at(1), Some(&12));
        assert_eq!(c.at(3), Some(&12));
        assert_eq!(c.at(4), Some(&20));
        assert_eq!(c.latest(), Some(&20));
        for e in 4..200 {
            c.set_next(e, e);
            assert!(c.entries().len() <= MAX_CHECKPOINTS);
            // Exact for the retained epochs.
            let from = e + 1;
            for back in 0..SNAPSHOT_EPOCHS {
                let Some(q) = from.checked_sub(back) else {
                    break;
                };
                if q >= 5 {
                    assert_eq!(c.at(q), Some(&(q - 1)), "epoch {q} after {e}");
                }
            }
        }
        let bytes = c.encode();
        assert_eq!(decode_exact::<Checkpoints<u64>>(&bytes, &()).unwrap(), c);
    }

    #[test]
    fn records_round_trip_and_refuse_bad_shapes() {
        let v = Did::sovra(&[1; 16]);
        let mut d = Delegation::default();
        d.stake.set_next(2, Stake::new(v.clone(), 5));
        assert_eq!(Delegation::decode(&d.encode()).unwrap(), d);
        assert!(d.at(2).is_none());
        assert_eq!(d.at(3).unwrap().amount, 5);
        let u = Unbonding {
            entries: vec![UnbondingEntry {
                validator: v,
                amount: 3,
                release_height: 9,
            }],
        };
        assert_eq!(Unbonding::decode(&u.encode()).unwrap(), u);
        assert!(Unbonding::decode(&Unbonding::default().encode()).is_err());
    }

    #[test]
    fn a_full_candidate_list_admits_only_the_stronger_and_chooses_the_strongest() {
        let did = |i: u32| {
            Did::sovra(&[
                (i % 251) as u8,
                (i / 251) as u8,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
            ])
        };
        let mut list = CandidateList::default();
        for i in 0..MAX_CANDIDATES as u32 {
            assert!(list.update(&did(i), [1; 32], 10 + i as u64));
        }
        // Full: a weaker or equal newcomer stays out, a stronger one replaces the weakest.
        assert!(!list.update(&did(1_000), [2; 32], 10));
        assert!(list.update(&did(1_001), [2; 32], 11));
        assert!(list.entries.iter().all(|m| m.validator != did(0)));
        assert_eq!(list.entries.len(), MAX_CANDIDATES);
        // Updates keep DID order; zero power leaves.
        assert!(list.update(&did(5), [1; 32], 1_000));
        assert!(!list.update(&did(6), [1; 32], 0));
        assert_eq!(list.entries.len(), MAX_CANDIDATES - 1);
        assert_eq!(CandidateList::decode(&list.encode()).unwrap(), list);
        let set = list.choose(3, 2);
        assert_eq!(set.members[0].validator, did(5));
        assert_eq!(set.members[1].power, 10 + MAX_CANDIDATES as u64 - 1);
        let mut sets = ValidatorSets::default();
        for e in 3..9 {
            sets.push(list.choose(e, 4));
        }
        assert_eq!(
            sets.sets.iter().map(|s| s.epoch).collect::<Vec<_>>(),
            vec![5, 6, 7, 8]
        );
        assert_eq!(ValidatorSets::decode(&sets.encode()).unwrap(), sets);
        // The decoders refuse what the rules exclude.
        let mut unordered = list.clone();
        unordered.entries.swap(0, 1);
        assert!(CandidateList::decode(&unordered.encode()).is_err());
        let mut weak_first = sets.clone();
        weak_first.sets[0].members.reverse();
        assert!(ValidatorSets::decode(&weak_first.encode()).is_err());
        let mut powerless = list;
        powerless.entries[0].power = 0;
        assert!(CandidateList::decode(&powerless.encode()).is_err());
    }

    fn slash(epoch: u64, bps: u16, index: u128) -> SlashRecord {
        SlashRecord {
            height: epoch * 10 + 5,
            epoch,
            offence_epoch: epoch,
            fraction_bps: bps,
            reward_index: index,
        }
    }

    #[test]
    fn a_stake_written_before_a_slash_counts_what_it_left_from_the_next_epoch() {
        let v = Did::sovra(&[1; 16]);
        let mut d = Delegation::default();
        d.stake.set_next(1, Stake::new(v.clone(), 1_001));
        let s = slash(4, 1_000, 3 * REWARD_INDEX_SCALE);
        // Before and in the slash's epoch the whole stake counts; after it, 90% rounded down.
        assert_eq!(d.effective_at(4, Some(&s)).unwrap().amount, 1_001);
        assert_eq!(d.effective_at(5, Some(&s)).unwrap().amount, 900);
        assert_eq!(d.effective_at(5, None).unwrap().amount, 1_001);
        assert!(d.owes_slash(Some(&s)));
        // Settling: earned on 1,001 up to the slash's index, then cut from epoch 7 on.
        let cut = d.settle_slash(0, &s, 6).unwrap();
        assert_eq!((cut, d.rewards), (101, 3_003));
        assert!(!d.owes_slash(Some(&s)));
        assert_eq!(d.effective_at(6, Some(&s)).unwrap().amount, 900);
        assert_eq!(d.effective_at(7, Some(&s)).unwrap().amount, 900);
        assert_eq!(d.settle_slash(0, &s, 6), Some(0), "settled once");
        // Version-2 records decode as written before any slash.
        let mut v2 = vec![2u8];
        let entries: Vec<(u64, (Did, u64))> = vec![(2, (v.clone(), 7))];
        entries.write(&mut v2);
        0u128.write(&mut v2);
        0u64.write(&mut v2);
        let old = Delegation::decode(&v2).unwrap();
        assert_eq!(old.current(), Some(&Stake::new(v, 7)));
    }

    #[test]
    fn the_slash_log_cuts_only_entries_unbonding_at_the_slash_and_stays_bounded() {
        let v = Did::sovra(&[1; 16]);
        let entry = |release_height| UnbondingEntry {
            validator: v.clone(),
            amount: 1_000,
            release_height,
        };
        let mut log = SlashLog::default();
        assert!(!log.record(
            SlashEvent {
                validator: v.clone(),
                height: 50,
                fraction_bps: 500,
                until: 80,
            },
            50,
        ));
        assert_eq!(log.cut(&entry(51)), 50);
        assert_eq!(log.cut(&entry(50)), 0, "released at the slash");
        let other = UnbondingEntry {
            validator: Did::sovra(&[2; 16]),
            ..entry(60)
        };
        assert_eq!(log.cut(&other), 0);
        // Forgotten once its stake is all released; full: the earliest release goes.
        for i in 0..MAX_SLASH_LOG as u64 {
            log.record(
                SlashEvent {
                    validator: Did::sovra(&[3; 16]),
                    height: 90,
                    fraction_bps: 1,
                    until: 1_000 + i,
                },
                90,
            );
        }
        assert_eq!(log.events.len(), MAX_SLASH_LOG);
        assert!(log.events.iter().all(|e| e.validator != v));
        assert!(log.record(
            SlashEvent {
                validator: v.clone(),
                height: 95,
                fraction_bps: 1,
                until: 5_000,
            },
            95,
        ));
        assert!(log.events.iter().all(|e| e.until != 1_000));
        assert_eq!(SlashLog::decode(&log.encode()).unwrap(), log);
    }

    proptest::proptest! {
        /// What a validator's delegators are credited plus its commission never exceeds what
        /// its power earned, whatever the commission and the rounding.
        #[test]
        fn credited_rewards_never_exceed_what_the_power_earned(
            stakes in proptest::collection::vec(1u64..1_000_000, 1..8),
            commission in 0u16..=crate::params::BPS,
            delta in 0u128..(1u128 << 80),
        ) {
            let v = Did::sovra(&[1; 16]);
            let mut record = ValidatorRecord {
                consensus_key: [0; 32],
                p2p_address: "h:1".into(),
                commission_bps: commission,
                power: Checkpoints::default(),
                commission_index: 0,
                slash: None,
                latest_release: 0,
            };
            let power: u64 = stakes.iter().sum();
            record.power.set_next(0, power);
            let mut credited = 0u128;
            for amount in &stakes {
                let mut d = Delegation::default();
                d.stake.set_next(0, Stake::new(v.clone(), *amount));
                d.settle(commission, delta).unwrap();
                credited += d.rewards as u128;
            }
            credited += record.settle_commission(delta).unwrap() as u128;
            // Exactly what the power earned, as a fraction: power * delta / SCALE.
            let earned_scaled = power as u128 * delta;
            proptest::prop_assert!(credited * REWARD_INDEX_SCALE <= earned_scaled);
            // And rounding (down, twice per record) loses under two units per record.
            proptest::prop_assert!(
                (credited + 2 * stakes.len() as u128 + 2) * REWARD_INDEX_SCALE >= earned_scaled
            );
        }
    }
}
