//! Composable tokens (ERC-998 style): a non-fungible token that holds other tokens. What a
//! token holds is its [`Bundle`], stored under the token itself, so whoever owns the token
//! owns the bundle and moving the token moves everything in it at once.
//!
//! A token placed in a bundle has no owner of its own while it is there (its record's owner
//! is `None` and no balance holds it): only a token with an owner can receive a bundle, so a
//! token can never end up inside itself or inside one of its own contents.

use crate::{AssetClassId, TypesError, codec::decode_exact};
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};

/// Most entries (distinct class and token id pairs) one bundle holds.
pub const MAX_BUNDLE_ITEMS: usize = 32;

/// One token id of a class: what a bundle belongs to, or one of its entries.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenRef {
    /// The class.
    pub class: AssetClassId,
    /// The token id within it (0 in a fungible class).
    pub token: u64,
}

impl std::fmt::Display for TokenRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.class, self.token)
    }
}

impl TokenRef {
    /// Parses `<issuer DID>/<name>#<token>`.
    pub fn parse(s: &str) -> Result<Self, TypesError> {
        let (class, token) = s.rsplit_once('#').ok_or_else(|| {
            TypesError::Invalid(format!("expected <issuer>/<name>#<token>, got {s:?}"))
        })?;
        Ok(Self {
            class: AssetClassId::parse(class)?,
            token: token
                .parse()
                .map_err(|_| TypesError::Invalid(format!("not a token id: {token:?}")))?,
        })
    }
}

impl Write for TokenRef {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.class.write(buf);
        self.token.write(buf);
    }
}

impl EncodeSize for TokenRef {
    fn encode_size(&self) -> usize {
        self.class.encode_size() + 8
    }
}

impl Read for TokenRef {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            class: AssetClassId::read(buf)?,
            token: u64::read(buf)?,
        })
    }
}

/// What a non-fungible token holds: positive amounts of other tokens, sorted by token and
/// without repeats (so every bundle has one encoding), at most [`MAX_BUNDLE_ITEMS`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    /// The entries, in [`TokenRef`] order.
    pub items: Vec<(TokenRef, u128)>,
}

impl Bundle {
    /// Decodes a stored bundle.
    pub fn decode(bytes: &[u8]) -> Result<Self, TypesError> {
        Ok(decode_exact(bytes, &())?)
    }

    /// Units of `item` in the bundle.
    pub fn amount(&self, item: &TokenRef) -> u128 {
        match self.items.binary_search_by(|(r, _)| r.cmp(item)) {
            Ok(i) => self.items[i].1,
            Err(_) => 0,
        }
    }

    /// Adds `amount` of `item`; `None` if the amount would overflow or a new entry would pass
    /// [`MAX_BUNDLE_ITEMS`].
    pub fn add(&mut self, item: &TokenRef, amount: u128) -> Option<()> {
        match self.items.binary_search_by(|(r, _)| r.cmp(item)) {
            Ok(i) => self.items[i].1 = self.items[i].1.checked_add(amount)?,
            Err(i) => {
                if self.items.len() >= MAX_BUNDLE_ITEMS {
                    return None;
                }
                self.items.insert(i, (item.clone(), amount));
            }
        }
        Some(())
    }

    /// Takes `amount` of `item` out; `None` (and no change) if the bundle holds less.
    pub fn take(&mut self, item: &TokenRef, amount: u128) -> Option<()> {
        let i = self.items.binary_search_by(|(r, _)| r.cmp(item)).ok()?;
        let left = self.items[i].1.checked_sub(amount)?;
        if left == 0 {
            self.items.remove(i);
        } else {
            self.items[i].1 = left;
        }
        Some(())
    }
}

impl Write for Bundle {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.items.write(buf);
    }
}

impl EncodeSize for Bundle {
    fn encode_size(&self) -> usize {
        self.items.encode_size()
    }
}

impl Read for Bundle {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let items = Vec::<(TokenRef, u128)>::read_cfg(
            buf,
            &(RangeCfg::from(0..=MAX_BUNDLE_ITEMS), ((), ())),
        )?;
        if items.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(Error::Invalid("Bundle", "entries not sorted or repeated"));
        }
        if items.iter().any(|(_, amount)| *amount == 0) {
            return Err(Error::Invalid("Bundle", "an entry of zero units"));
        }
        Ok(Self { items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Did;
    use commonware_codec::Encode;

    fn item(token: u64) -> TokenRef {
        TokenRef {
            class: AssetClassId {
                issuer: Did::sovra(&[3; 16]),
                name: "GEM".into(),
            },
            token,
        }
    }

    #[test]
    fn bundles_stay_sorted_bounded_and_canonical() {
        let mut b = Bundle::default();
        for t in (0..MAX_BUNDLE_ITEMS as u64).rev() {
            b.add(&item(t), 2).unwrap();
        }
        assert!(b.add(&item(999), 1).is_none(), "a 33rd entry is refused");
        b.add(&item(3), 5).unwrap();
        assert_eq!(b.amount(&item(3)), 7);
        assert!(b.add(&item(3), u128::MAX).is_none(), "overflow is refused");
        assert!(
            b.take(&item(4), 3).is_none(),
            "taking more than held changes nothing"
        );
        assert_eq!(b.amount(&item(4)), 2);
        b.take(&item(4), 2).unwrap();
        assert_eq!(b.amount(&item(4)), 0);
        assert_eq!(b.items.len(), MAX_BUNDLE_ITEMS - 1);
        assert_eq!(Bundle::decode(&b.encode()).unwrap(), b);

        let unsorted = Bundle {
            items: vec![(item(2), 1), (item(1), 1)],
        };
        assert!(Bundle::decode(&unsorted.encode()).is_err());
        let zero = Bundle {
            items: vec![(item(1), 0)],
        };
        assert!(Bundle::decode(&zero.encode()).is_err());
    }

    #[test]
    fn token_refs_parse_their_text_form() {
        let r = item(42);
        assert_eq!(TokenRef::parse(&r.to_string()).unwrap(), r);
        assert!(TokenRef::parse("did:sovra:x/GEM").is_err());
        assert!(TokenRef::parse(&format!("{}#x", r.class)).is_err());
    }
}
