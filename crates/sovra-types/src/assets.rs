//! Native assets: classes of tokens issued by identities, and the records the assets module
//! keeps in state. Its actions are the [`AssetsAction`](crate::AssetsAction)s.
//!
//! A class is named by its issuer and a short name ([`AssetClassId`]): nobody but the issuer
//! can create a class under its DID. A class is fungible (one balance per holder), non-fungible
//! (a collection: each token id has one owner and a metadata CID) or semi-fungible (a balance
//! per token id and holder, ERC-1155 style). What holders may expect is fixed at creation in
//! [`ClassFlags`]: whether tokens move at all (soulbound when not), who may burn, whether the
//! issuer may freeze holders. Amounts are 128-bit; arithmetic that would overflow fails.
//!
//! A [`TokenLock`] holds tokens for a holder until a time, or vests them linearly between a
//! start and an end (nothing before the cliff); the ledger releases only what has vested.
//!
//! A non-fungible token can hold other tokens ([`bundle`]) and moves with everything it holds.

pub mod bundle;

use crate::{
    ContentId, Did, TxId, TypesError,
    codec::{bytes_size, decode_exact, read_text, write_bytes},
    sha256,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// Longest class name, in bytes (`[A-Za-z0-9._-]`).
pub const MAX_CLASS_NAME_LEN: usize = 32;
/// Longest ticker symbol, in bytes.
pub const MAX_SYMBOL_LEN: usize = 16;
/// Longest human-readable title of a class, in bytes.
pub const MAX_TITLE_LEN: usize = 64;
/// Most decimals a fungible class may have (10^38 still fits in 128 bits).
pub const MAX_DECIMALS: u8 = 38;
/// Longest lock or vesting schedule (100 years, in ms).
pub const MAX_LOCK_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// The name of an asset class: its issuer and a short name unique among the issuer's classes.
/// Text form `<issuer DID>/<name>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssetClassId {
    /// The identity that created the class.
    pub issuer: Did,
    /// Its name among the issuer's classes.
    pub name: String,
}

impl AssetClassId {
    /// Parses `<issuer DID>/<name>`.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        let (issuer, name) = s.rsplit_once('/').ok_or_else(|| {
            TypesError::Invalid(format!("an asset class is <issuer DID>/<name>: {s:?}"))
        })?;
        validate_class_name(name)?;
        Ok(Self {
            issuer: Did::parse(issuer)?,
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for AssetClassId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.issuer, self.name)
    }
}

/// Checks a class name: 1 to 32 bytes of `[A-Za-z0-9._-]`.
pub fn validate_class_name(name: &str) -> Result<(), TypesError> {
    if name.is_empty()
        || name.len() > MAX_CLASS_NAME_LEN
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(TypesError::Invalid(format!(
            "a class name is 1 to {MAX_CLASS_NAME_LEN} characters of A-Z a-z 0-9 . _ -: {name:?}"
        )));
    }
    Ok(())
}

impl Write for AssetClassId {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.issuer.write(buf);
        write_bytes(self.name.as_bytes(), buf);
    }
}

impl EncodeSize for AssetClassId {
    fn encode_size(&self) -> usize {
        self.issuer.encode_size() + bytes_size(self.name.as_bytes())
    }
}

impl Read for AssetClassId {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let issuer = Did::read(buf)?;
        let name = read_text(buf, 1..=MAX_CLASS_NAME_LEN, "class name")?;
        validate_class_name(&name).map_err(|_| Error::Invalid("class name", "bad characters"))?;
        Ok(Self { issuer, name })
    }
}

/// What kind of tokens a class has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssetKind {
    /// Interchangeable units: one balance per holder (token id 0).
    Fungible = 0,
    /// A collection of unique tokens: each token id has one owner and its own metadata.
    NonFungible = 1,
    /// A balance per token id and holder (ERC-1155 style).
    SemiFungible = 2,
}

impl AssetKind {
    /// The kind's name in the API and CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Fungible => "fungible",
            AssetKind::NonFungible => "non-fungible",
            AssetKind::SemiFungible => "semi-fungible",
        }
    }

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        match s {
            "fungible" => Ok(AssetKind::Fungible),
            "non-fungible" | "nft" => Ok(AssetKind::NonFungible),
            "semi-fungible" | "sft" => Ok(AssetKind::SemiFungible),
            _ => Err(TypesError::Invalid(format!(
                "unknown asset kind {s:?} (fungible, non-fungible, semi-fungible)"
            ))),
        }
    }
}

impl Write for AssetKind {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        (*self as u8).write(buf);
    }
}

impl EncodeSize for AssetKind {
    fn encode_size(&self) -> usize {
        1
    }
}

impl Read for AssetKind {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            0 => Ok(AssetKind::Fungible),
            1 => Ok(AssetKind::NonFungible),
            2 => Ok(AssetKind::SemiFungible),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}

/// What a class allows, fixed when it is created (holders can see it before they accept
/// tokens). Unknown bits are refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassFlags(pub u8);

impl ClassFlags {
    /// Holders may transfer, approve and lock tokens. Without it the class is soulbound:
    /// tokens stay with the identity they were minted to.
    pub const TRANSFERABLE: u8 = 1;
    /// A holder may burn its own tokens.
    pub const HOLDER_BURNABLE: u8 = 2;
    /// The issuer may burn any holder's tokens (e.g. revoke a soulbound credential token).
    pub const ISSUER_BURNABLE: u8 = 4;
    /// The issuer may freeze a holder: a frozen holder neither sends nor receives the class.
    pub const FREEZABLE: u8 = 8;
    /// Every defined bit.
    pub const ALL: u8 = 15;

    /// Whether `flag` is set.
    pub fn has(self, flag: u8) -> bool {
        self.0 & flag == flag
    }

    /// The names of the set flags (API and CLI).
    pub fn names(self) -> Vec<&'static str> {
        [
            (Self::TRANSFERABLE, "transferable"),
            (Self::HOLDER_BURNABLE, "holder-burnable"),
            (Self::ISSUER_BURNABLE, "issuer-burnable"),
            (Self::FREEZABLE, "freezable"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.has(*bit))
        .map(|(_, name)| name)
        .collect()
    }

    /// Parses a flag's name into its bit.
    pub fn parse_name(name: &str) -> Result<u8, TypesError> {
        match name {
            "transferable" => Ok(Self::TRANSFERABLE),
            "holder-burnable" => Ok(Self::HOLDER_BURNABLE),
            "issuer-burnable" => Ok(Self::ISSUER_BURNABLE),
            "freezable" => Ok(Self::FREEZABLE),
            _ => Err(TypesError::Invalid(format!(
                "unknown class flag {name:?} (transferable, holder-burnable, issuer-burnable, freezable)"
            ))),
        }
    }
}

impl Write for ClassFlags {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.0.write(buf);
    }
}

impl EncodeSize for ClassFlags {
    fn encode_size(&self) -> usize {
        1
    }
}

impl Read for ClassFlags {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let bits = u8::read(buf)?;
        if bits & !Self::ALL != 0 {
            return Err(Error::Invalid("ClassFlags", "unknown flag bits"));
        }
        Ok(Self(bits))
    }
}

/// What a class is, as created: the part of [`AssetClass`] its creator chooses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassTerms {
    /// Fungible, non-fungible or semi-fungible.
    pub kind: AssetKind,
    /// Ticker symbol, 1 to 16 bytes.
    pub symbol: String,
    /// Human-readable title, up to 64 bytes.
    pub title: String,
    /// Decimals of a fungible class (display only); 0 for the other kinds.
    pub decimals: u8,
    /// Most tokens that may ever exist at once (all token ids together), if capped.
    pub max_supply: Option<u128>,
    /// What the class allows.
    pub flags: ClassFlags,
    /// Metadata of the class (public content), if any.
    pub metadata: Option<ContentId>,
}

impl ClassTerms {
    /// Checks the terms' fields (lengths are bounded by the encoding too).
    pub fn validate(&self) -> Result<(), TypesError> {
        if self.symbol.is_empty() || self.symbol.len() > MAX_SYMBOL_LEN {
            return Err(TypesError::Invalid(format!(
                "a symbol is 1 to {MAX_SYMBOL_LEN} bytes"
            )));
        }
        if self.title.len() > MAX_TITLE_LEN {
            return Err(TypesError::Invalid(format!(
                "a title is at most {MAX_TITLE_LEN} bytes"
            )));
        }
        if self.kind == AssetKind::Fungible && self.decimals > MAX_DECIMALS {
            return Err(TypesError::Invalid(format!(
                "at most {MAX_DECIMALS} decimals"
            )));
        }
        if self.kind != AssetKind::Fungible && self.decimals != 0 {
            return Err(TypesError::Invalid(
                "only fungible classes have decimals".into(),
            ));
        }
        if self.max_supply == Some(0) {
            return Err(TypesError::Invalid("a max supply is positive".into()));
        }
        Ok(())
    }
}

impl Write for ClassTerms {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.kind.write(buf);
        write_bytes(self.symbol.as_bytes(), buf);
        write_bytes(self.title.as_bytes(), buf);
        self.decimals.write(buf);
        self.max_supply.write(buf);
        self.flags.write(buf);
        self.metadata.write(buf);
    }
}

impl EncodeSize for ClassTerms {
    fn encode_size(&self) -> usize {
        1 + bytes_size(self.symbol.as_bytes())
            + bytes_size(self.title.as_bytes())
            + 1
            + self.max_supply.encode_size()
            + 1
            + self.metadata.encode_size()
    }
}

impl Read for ClassTerms {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let terms = Self {
            kind: AssetKind::read(buf)?,
            symbol: read_text(buf, 1..=MAX_SYMBOL_LEN, "symbol")?,
            title: read_text(buf, 0..=MAX_TITLE_LEN, "title")?,
            decimals: u8::read(buf)?,
            max_supply: Option::<u128>::read(buf)?,
            flags: ClassFlags::read(buf)?,
            metadata: Option::<ContentId>::read(buf)?,
        };
        terms
            .validate()
            .map_err(|_| Error::Invalid("ClassTerms", "invalid terms"))?;
        Ok(terms)
    }
}

/// An asset class in state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetClass {
    /// What the class is.
    pub terms: ClassTerms,
    /// Who may mint; `None` once minting is closed for good.
    pub mint_authority: Option<Did>,
    /// Tokens in existence (balances and locks, every token id).
    pub supply: u128,
}

impl AssetClass {
    /// Decodes a stored class.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for AssetClass {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.terms.write(buf);
        self.mint_authority.write(buf);
        self.supply.write(buf);
    }
}

impl EncodeSize for AssetClass {
    fn encode_size(&self) -> usize {
        self.terms.encode_size() + self.mint_authority.encode_size() + 16
    }
}

impl Read for AssetClass {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            terms: ClassTerms::read(buf)?,
            mint_authority: Option::<Did>::read(buf)?,
            supply: u128::read(buf)?,
        })
    }
}

/// One token id of a non-fungible or semi-fungible class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The owner of a non-fungible token (`None` for semi-fungible ones).
    pub owner: Option<Did>,
    /// Units of this id in existence (1 for a non-fungible token).
    pub supply: u128,
    /// The token's metadata (public content), set at its first mint.
    pub metadata: Option<ContentId>,
}

impl TokenRecord {
    /// Decodes a stored token record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }
}

impl Write for TokenRecord {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.owner.write(buf);
        self.supply.write(buf);
        self.metadata.write(buf);
    }
}

impl EncodeSize for TokenRecord {
    fn encode_size(&self) -> usize {
        self.owner.encode_size() + 16 + self.metadata.encode_size()
    }
}

impl Read for TokenRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            owner: Option::<Did>::read(buf)?,
            supply: u128::read(buf)?,
            metadata: Option::<ContentId>::read(buf)?,
        })
    }
}

/// When locked tokens become the holder's: linear vesting from `start_ms` to `end_ms`, nothing
/// before `cliff_ms`. A plain time lock has all three equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockSchedule {
    /// Vesting starts (unix ms, block time).
    pub start_ms: u64,
    /// Nothing vests before this (`start_ms <= cliff_ms <= end_ms`).
    pub cliff_ms: u64,
    /// Everything has vested.
    pub end_ms: u64,
}

impl LockSchedule {
    /// Checks the order of the times and the schedule's length.
    pub fn validate(&self) -> Result<(), TypesError> {
        if !(self.start_ms <= self.cliff_ms && self.cliff_ms <= self.end_ms) {
            return Err(TypesError::Invalid(
                "a schedule needs start <= cliff <= end".into(),
            ));
        }
        if self.end_ms - self.start_ms > MAX_LOCK_MS {
            return Err(TypesError::Invalid(
                "a schedule is at most 100 years long".into(),
            ));
        }
        Ok(())
    }

    /// How much of `amount` has vested at `now_ms` (exact, rounded down; never more than
    /// `amount`).
    pub fn vested(&self, amount: u128, now_ms: u64) -> u128 {
        if now_ms < self.cliff_ms {
            return 0;
        }
        if now_ms >= self.end_ms {
            return amount;
        }
        // start <= cliff <= now < end, so the span is positive and below 2^64.
        let span = u128::from(self.end_ms - self.start_ms);
        let elapsed = u128::from(now_ms - self.start_ms);
        // amount * elapsed / span without overflow: (q * span + r) * elapsed / span.
        let (q, r) = (amount / span, amount % span);
        q * elapsed + r * elapsed / span
    }
}

impl Write for LockSchedule {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.start_ms.write(buf);
        self.cliff_ms.write(buf);
        self.end_ms.write(buf);
    }
}

impl EncodeSize for LockSchedule {
    fn encode_size(&self) -> usize {
        24
    }
}

impl Read for LockSchedule {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let schedule = Self {
            start_ms: u64::read(buf)?,
            cliff_ms: u64::read(buf)?,
            end_ms: u64::read(buf)?,
        };
        schedule
            .validate()
            .map_err(|_| Error::Invalid("LockSchedule", "invalid schedule"))?;
        Ok(schedule)
    }
}

/// Tokens locked for a holder, released as they vest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLock {
    /// The token id (0 for a fungible class).
    pub token: u64,
    /// Who locked them.
    pub from: Did,
    /// Units locked in total.
    pub amount: u128,
    /// Units already released to the holder.
    pub released: u128,
    /// When they vest.
    pub schedule: LockSchedule,
}

impl TokenLock {
    /// Decodes a stored lock.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// Units still locked (counted in the class's supply).
    pub fn remaining(&self) -> u128 {
        self.amount.saturating_sub(self.released)
    }
}

impl Write for TokenLock {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.token.write(buf);
        self.from.write(buf);
        self.amount.write(buf);
        self.released.write(buf);
        self.schedule.write(buf);
    }
}

impl EncodeSize for TokenLock {
    fn encode_size(&self) -> usize {
        8 + self.from.encode_size() + 16 + 16 + 24
    }
}

impl Read for TokenLock {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let lock = Self {
            token: u64::read(buf)?,
            from: Did::read(buf)?,
            amount: u128::read(buf)?,
            released: u128::read(buf)?,
            schedule: LockSchedule::read(buf)?,
        };
        if lock.released > lock.amount {
            return Err(Error::Invalid("TokenLock", "released more than locked"));
        }
        Ok(lock)
    }
}

/// The id of the lock made by action `index` of transaction `tx`: the first 8 bytes of
/// `SHA-256("sovra/asset-lock" ‖ tx ‖ index)`, big-endian (a client computes it from its
/// transaction).
pub fn lock_id(tx: &TxId, index: usize) -> u64 {
    let digest = sha256(&[
        b"sovra/asset-lock",
        tx.as_ref(),
        &(index as u32).to_be_bytes(),
    ]);
    let bytes: &[u8] = digest.as_ref();
    u64::from_be_bytes(bytes[..8].try_into().expect("a digest has 32 bytes"))
}

/// A holder's record of one token id of a class (the value of
/// [`StateKey::AssetBalance`](crate::StateKey::AssetBalance)): its balance and, in the record of
/// token id 0, whether the issuer has frozen the holder in the whole class. Token id 0 is the
/// balance of a fungible class; non-fungible and semi-fungible classes number their tokens from
/// 1, so their token-0 record carries the freeze alone. An absent record is
/// [`HolderBalance::default`] (nothing held, not frozen); that value is never stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HolderBalance {
    /// Units held.
    pub amount: u128,
    /// Frozen by the issuer (meaningful in the token-0 record only).
    pub frozen: bool,
}

impl HolderBalance {
    /// Decodes a stored record.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// Whether the record holds nothing (and is deleted rather than stored).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Write for HolderBalance {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.amount.write(buf);
        self.frozen.write(buf);
    }
}

impl EncodeSize for HolderBalance {
    fn encode_size(&self) -> usize {
        17
    }
}

impl Read for HolderBalance {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let record = Self {
            amount: u128::read(buf)?,
            frozen: bool::read(buf)?,
        };
        if record.is_empty() {
            return Err(Error::Invalid(
                "HolderBalance",
                "an empty record is never stored",
            ));
        }
        Ok(record)
    }
}

/// Encodes an allowance (`u128`, big-endian).
pub fn encode_amount(v: u128) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Decodes an allowance.
pub fn decode_amount(bytes: &[u8]) -> Result<u128, TypesError> {
    Ok(decode_exact(bytes, &())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vesting_is_exact_and_never_overpays() {
        let s = LockSchedule {
            start_ms: 1_000,
            cliff_ms: 2_000,
            end_ms: 11_000,
        };
        assert_eq!(s.vested(100, 1_999), 0);
        assert_eq!(s.vested(100, 2_000), 10);
        assert_eq!(s.vested(100, 6_000), 50);
        assert_eq!(s.vested(100, 11_000), 100);
        assert_eq!(
            s.vested(u128::MAX, 10_999),
            u128::MAX / 10_000 * 9_999 + (u128::MAX % 10_000) * 9_999 / 10_000
        );
        assert!(s.vested(u128::MAX, 10_999) < u128::MAX);
        let lock_at = LockSchedule {
            start_ms: 5,
            cliff_ms: 5,
            end_ms: 5,
        };
        assert_eq!(lock_at.vested(7, 4), 0);
        assert_eq!(lock_at.vested(7, 5), 7);
    }

    #[test]
    fn class_ids_round_trip_and_refuse_bad_names() {
        let issuer =
            Did::from_public_key(&sovra_crypto::SigningKey::from_test_seed(1).public_key());
        let id = AssetClassId::parse(&format!("{issuer}/GOLD-1")).unwrap();
        assert_eq!(id.issuer, issuer);
        assert_eq!(AssetClassId::parse(&id.to_string()).unwrap(), id);
        assert!(AssetClassId::parse(&format!("{issuer}/a b")).is_err());
        assert!(AssetClassId::parse("GOLD").is_err());
        assert!(validate_class_name("a b").is_err());
        assert!(validate_class_name("").is_err());
        assert!(validate_class_name(&"x".repeat(33)).is_err());
        assert!(validate_class_name("Gold.v1_x-2").is_ok());
    }
}
