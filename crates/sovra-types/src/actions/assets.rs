//! Actions of the assets module: creating asset classes, minting, burning, moving, approving,
//! freezing and locking tokens (the records are in [`crate::assets`]).

use crate::{
    ContentId, Did,
    assets::{
        AssetClassId, ClassTerms, LockSchedule, MAX_CLASS_NAME_LEN, bundle::TokenRef,
        validate_class_name,
    },
    codec::{bytes_size, read_text, write_bytes},
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to native assets. `token` is the token id within the class (0 in a fungible
/// class); amounts are units of the class's smallest denomination (1 for a non-fungible
/// token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetsAction {
    /// Create the class `<signer>/<name>`; the signer is its issuer and mint authority.
    Create {
        /// The class's name among the signer's classes.
        name: String,
        /// What the class is and allows.
        terms: ClassTerms,
    },
    /// Mint `amount` of `token` to `to` (the mint authority only). A non-fungible token is
    /// minted once, with amount 1; `metadata` is set at a token's first mint.
    Mint {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
        /// Recipient.
        to: Did,
        /// Units minted.
        amount: u128,
        /// The token's metadata (non-fungible and semi-fungible classes).
        metadata: Option<ContentId>,
    },
    /// Burn `amount` of `holder`'s `token`: the holder itself if the class is holder-burnable,
    /// the issuer if it is issuer-burnable.
    Burn {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
        /// Whose tokens.
        holder: Did,
        /// Units burned.
        amount: u128,
    },
    /// Move `amount` of the signer's `token` to `to` (transferable classes only).
    Transfer {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
        /// Recipient.
        to: Did,
        /// Units moved.
        amount: u128,
    },
    /// Allow `spender` to move up to `amount` units of the signer's tokens of the class (every
    /// token id together); replaces the previous allowance (0 removes it).
    Approve {
        /// The class.
        class: AssetClassId,
        /// Who may spend.
        spender: Did,
        /// Units it may move.
        amount: u128,
    },
    /// Move `amount` of `from`'s `token` to `to` within the allowance `from` gave the signer.
    TransferFrom {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
        /// Whose tokens.
        from: Did,
        /// Recipient.
        to: Did,
        /// Units moved.
        amount: u128,
    },
    /// Freeze or unfreeze `holder` (the issuer of a freezable class only).
    Freeze {
        /// The class.
        class: AssetClassId,
        /// The holder.
        holder: Did,
        /// Frozen (true) or not.
        frozen: bool,
    },
    /// Hand minting to another identity, or close it for good (`None`; the mint authority
    /// only).
    SetMintAuthority {
        /// The class.
        class: AssetClassId,
        /// The new mint authority.
        authority: Option<Did>,
    },
    /// Lock `amount` of the signer's `token` for `to`, released as `schedule` vests. The lock's
    /// id is [`lock_id`](crate::assets::lock_id) of the transaction and this action's index.
    Lock {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
        /// The holder the tokens vest to.
        to: Did,
        /// Units locked.
        amount: u128,
        /// When they vest.
        schedule: LockSchedule,
    },
    /// Release what has vested of the signer's lock `lock` (of token `token`) into its
    /// balance.
    Release {
        /// The class.
        class: AssetClassId,
        /// The locked token id (0 in a fungible class).
        token: u64,
        /// The lock's id.
        lock: u64,
    },
    /// Put `amount` of the signer's `token` into the bundle of `parent`, a non-fungible token
    /// the signer owns (composable tokens: the parent then carries them wherever it goes).
    Nest {
        /// The non-fungible token that receives them.
        parent: TokenRef,
        /// The class of the tokens put in.
        class: AssetClassId,
        /// Their token id.
        token: u64,
        /// Units put in (1 for a non-fungible token).
        amount: u128,
    },
    /// Take `amount` of `token` out of the bundle of `parent` (its owner only) and give them
    /// to `to`.
    Unnest {
        /// The non-fungible token that holds them.
        parent: TokenRef,
        /// The class of the tokens taken out.
        class: AssetClassId,
        /// Their token id.
        token: u64,
        /// Units taken out.
        amount: u128,
        /// Who receives them.
        to: Did,
    },
}

impl AssetsAction {
    const CREATE: u8 = 0;
    const MINT: u8 = 1;
    const BURN: u8 = 2;
    const TRANSFER: u8 = 3;
    const APPROVE: u8 = 4;
    const TRANSFER_FROM: u8 = 5;
    const FREEZE: u8 = 6;
    const SET_MINT_AUTHORITY: u8 = 7;
    const LOCK: u8 = 8;
    const RELEASE: u8 = 9;
    const NEST: u8 = 10;
    const UNNEST: u8 = 11;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            AssetsAction::Create { .. } => "create_asset_class",
            AssetsAction::Mint { .. } => "mint_asset",
            AssetsAction::Burn { .. } => "burn_asset",
            AssetsAction::Transfer { .. } => "transfer_asset",
            AssetsAction::Approve { .. } => "approve_asset",
            AssetsAction::TransferFrom { .. } => "transfer_asset_from",
            AssetsAction::Freeze { .. } => "freeze_asset_holder",
            AssetsAction::SetMintAuthority { .. } => "set_mint_authority",
            AssetsAction::Lock { .. } => "lock_asset",
            AssetsAction::Release { .. } => "release_asset",
            AssetsAction::Nest { .. } => "nest_asset",
            AssetsAction::Unnest { .. } => "unnest_asset",
        }
    }

    /// The class the action is about (for a `Create`, `None`: the class is `<signer>/<name>`).
    pub fn class(&self) -> Option<&AssetClassId> {
        match self {
            AssetsAction::Create { .. } => None,
            AssetsAction::Mint { class, .. }
            | AssetsAction::Burn { class, .. }
            | AssetsAction::Transfer { class, .. }
            | AssetsAction::Approve { class, .. }
            | AssetsAction::TransferFrom { class, .. }
            | AssetsAction::Freeze { class, .. }
            | AssetsAction::SetMintAuthority { class, .. }
            | AssetsAction::Lock { class, .. }
            | AssetsAction::Release { class, .. }
            | AssetsAction::Nest { class, .. }
            | AssetsAction::Unnest { class, .. } => Some(class),
        }
    }
}

impl Write for AssetsAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            AssetsAction::Create { name, terms } => {
                Self::CREATE.write(buf);
                write_bytes(name.as_bytes(), buf);
                terms.write(buf);
            }
            AssetsAction::Mint {
                class,
                token,
                to,
                amount,
                metadata,
            } => {
                Self::MINT.write(buf);
                class.write(buf);
                token.write(buf);
                to.write(buf);
                amount.write(buf);
                metadata.write(buf);
            }
            AssetsAction::Burn {
                class,
                token,
                holder,
                amount,
            } => {
                Self::BURN.write(buf);
                class.write(buf);
                token.write(buf);
                holder.write(buf);
                amount.write(buf);
            }
            AssetsAction::Transfer {
                class,
                token,
                to,
                amount,
            } => {
                Self::TRANSFER.write(buf);
                class.write(buf);
                token.write(buf);
                to.write(buf);
                amount.write(buf);
            }
            AssetsAction::Approve {
                class,
                spender,
                amount,
            } => {
                Self::APPROVE.write(buf);
                class.write(buf);
                spender.write(buf);
                amount.write(buf);
            }
            AssetsAction::TransferFrom {
                class,
                token,
                from,
                to,
                amount,
            } => {
                Self::TRANSFER_FROM.write(buf);
                class.write(buf);
                token.write(buf);
                from.write(buf);
                to.write(buf);
                amount.write(buf);
            }
            AssetsAction::Freeze {
                class,
                holder,
                frozen,
            } => {
                Self::FREEZE.write(buf);
                class.write(buf);
                holder.write(buf);
                frozen.write(buf);
            }
            AssetsAction::SetMintAuthority { class, authority } => {
                Self::SET_MINT_AUTHORITY.write(buf);
                class.write(buf);
                authority.write(buf);
            }
            AssetsAction::Lock {
                class,
                token,
                to,
                amount,
                schedule,
            } => {
                Self::LOCK.write(buf);
                class.write(buf);
                token.write(buf);
                to.write(buf);
                amount.write(buf);
                schedule.write(buf);
            }
            AssetsAction::Release { class, token, lock } => {
                Self::RELEASE.write(buf);
                class.write(buf);
                token.write(buf);
                lock.write(buf);
            }
            AssetsAction::Nest {
                parent,
                class,
                token,
                amount,
            } => {
                Self::NEST.write(buf);
                parent.write(buf);
                class.write(buf);
                token.write(buf);
                amount.write(buf);
            }
            AssetsAction::Unnest {
                parent,
                class,
                token,
                amount,
                to,
            } => {
                Self::UNNEST.write(buf);
                parent.write(buf);
                class.write(buf);
                token.write(buf);
                amount.write(buf);
                to.write(buf);
            }
        }
    }
}

impl EncodeSize for AssetsAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            AssetsAction::Create { name, terms } => {
                bytes_size(name.as_bytes()) + terms.encode_size()
            }
            AssetsAction::Mint {
                class,
                to,
                metadata,
                ..
            } => class.encode_size() + 8 + to.encode_size() + 16 + metadata.encode_size(),
            AssetsAction::Burn { class, holder, .. } => {
                class.encode_size() + 8 + holder.encode_size() + 16
            }
            AssetsAction::Transfer { class, to, .. } => {
                class.encode_size() + 8 + to.encode_size() + 16
            }
            AssetsAction::Approve { class, spender, .. } => {
                class.encode_size() + spender.encode_size() + 16
            }
            AssetsAction::TransferFrom {
                class, from, to, ..
            } => class.encode_size() + 8 + from.encode_size() + to.encode_size() + 16,
            AssetsAction::Freeze { class, holder, .. } => {
                class.encode_size() + holder.encode_size() + 1
            }
            AssetsAction::SetMintAuthority { class, authority } => {
                class.encode_size() + authority.encode_size()
            }
            AssetsAction::Lock {
                class,
                to,
                schedule,
                ..
            } => class.encode_size() + 8 + to.encode_size() + 16 + schedule.encode_size(),
            AssetsAction::Release { class, .. } => class.encode_size() + 8 + 8,
            AssetsAction::Nest { parent, class, .. } => {
                parent.encode_size() + class.encode_size() + 8 + 16
            }
            AssetsAction::Unnest {
                parent, class, to, ..
            } => parent.encode_size() + class.encode_size() + 8 + 16 + to.encode_size(),
        }
    }
}

impl Read for AssetsAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::CREATE => {
                let name = read_text(buf, 1..=MAX_CLASS_NAME_LEN, "class name")?;
                validate_class_name(&name)
                    .map_err(|_| Error::Invalid("class name", "bad characters"))?;
                Ok(AssetsAction::Create {
                    name,
                    terms: ClassTerms::read(buf)?,
                })
            }
            Self::MINT => Ok(AssetsAction::Mint {
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                to: Did::read(buf)?,
                amount: u128::read(buf)?,
                metadata: Option::<ContentId>::read(buf)?,
            }),
            Self::BURN => Ok(AssetsAction::Burn {
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                holder: Did::read(buf)?,
                amount: u128::read(buf)?,
            }),
            Self::TRANSFER => Ok(AssetsAction::Transfer {
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                to: Did::read(buf)?,
                amount: u128::read(buf)?,
            }),
            Self::APPROVE => Ok(AssetsAction::Approve {
                class: AssetClassId::read(buf)?,
                spender: Did::read(buf)?,
                amount: u128::read(buf)?,
            }),
            Self::TRANSFER_FROM => Ok(AssetsAction::TransferFrom {
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                from: Did::read(buf)?,
                to: Did::read(buf)?,
                amount: u128::read(buf)?,
            }),
            Self::FREEZE => Ok(AssetsAction::Freeze {
                class: AssetClassId::read(buf)?,
                holder: Did::read(buf)?,
                frozen: bool::read(buf)?,
            }),
            Self::SET_MINT_AUTHORITY => Ok(AssetsAction::SetMintAuthority {
                class: AssetClassId::read(buf)?,
                authority: Option::<Did>::read(buf)?,
            }),
            Self::LOCK => Ok(AssetsAction::Lock {
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                to: Did::read(buf)?,
                amount: u128::read(buf)?,
                schedule: LockSchedule::read(buf)?,
            }),
            Self::RELEASE => Ok(AssetsAction::Release {
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                lock: u64::read(buf)?,
            }),
            Self::NEST => Ok(AssetsAction::Nest {
                parent: TokenRef::read(buf)?,
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                amount: u128::read(buf)?,
            }),
            Self::UNNEST => Ok(AssetsAction::Unnest {
                parent: TokenRef::read(buf)?,
                class: AssetClassId::read(buf)?,
                token: u64::read(buf)?,
                amount: u128::read(buf)?,
                to: Did::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
