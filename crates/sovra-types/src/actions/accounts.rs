//! Actions of the accounts module: moving the native token.

use crate::Did;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to native-token balances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountsAction {
    /// Move `amount` of the native token from the signer to `to`.
    Transfer {
        /// Recipient.
        to: Did,
        /// Amount in the smallest unit.
        amount: u64,
    },
}

impl AccountsAction {
    const TRANSFER: u8 = 0;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            AccountsAction::Transfer { .. } => "transfer",
        }
    }
}

impl Write for AccountsAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            AccountsAction::Transfer { to, amount } => {
                Self::TRANSFER.write(buf);
                to.write(buf);
                amount.write(buf);
            }
        }
    }
}

impl EncodeSize for AccountsAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            AccountsAction::Transfer { to, amount } => to.encode_size() + amount.encode_size(),
        }
    }
}

impl Read for AccountsAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::TRANSFER => Ok(AccountsAction::Transfer {
                to: Did::read(buf)?,
                amount: u64::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
