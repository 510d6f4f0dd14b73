//! Receipt chains: every identity's hash-linked history of the transactions
//! that touched it. The head (hash of the newest entry) and the length are
//! kept in the identity's account record in the authenticated state, so
//! anyone holding a finalized header can verify a whole history.

use crate::{
    Digest, TxId,
    codec::{bytes_size, read_text, write_bytes},
    limits::MAX_REASON_LEN,
    sha256,
};
use commonware_codec::{Buf, Encode, EncodeSize, Error, Read, ReadExt, Write};

/// Outcome recorded in a receipt-chain entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// Accepted for a multi-block operation that has not finished yet.
    Pending,
    /// Executed; every action applied.
    Completed,
    /// Included and charged its fee, but the actions were not applied.
    Failed {
        /// Machine-readable reason code (for example `insufficient_balance`).
        code: String,
        /// Human-readable explanation.
        message: String,
    },
    /// A private vault record of this identity was erased (deleted by its
    /// owner, or past its retention date): every node deletes its ciphertext
    /// and wrapped keys.
    Erased {
        /// The erased record.
        record: crate::RecordId,
    },
}

impl ReceiptStatus {
    /// `pending`, `completed` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            ReceiptStatus::Pending => "pending",
            ReceiptStatus::Completed => "completed",
            ReceiptStatus::Failed { .. } => "failed",
            ReceiptStatus::Erased { .. } => "erased",
        }
    }
}

impl Write for ReceiptStatus {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            ReceiptStatus::Pending => 0u8.write(buf),
            ReceiptStatus::Completed => 1u8.write(buf),
            ReceiptStatus::Failed { code, message } => {
                2u8.write(buf);
                write_bytes(code.as_bytes(), buf);
                write_bytes(message.as_bytes(), buf);
            }
            ReceiptStatus::Erased { record } => {
                3u8.write(buf);
                record.write(buf);
            }
        }
    }
}

impl EncodeSize for ReceiptStatus {
    fn encode_size(&self) -> usize {
        1 + match self {
            ReceiptStatus::Failed { code, message } => {
                bytes_size(code.as_bytes()) + bytes_size(message.as_bytes())
            }
            ReceiptStatus::Erased { .. } => 16,
            _ => 0,
        }
    }
}

impl Read for ReceiptStatus {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            0 => Ok(ReceiptStatus::Pending),
            1 => Ok(ReceiptStatus::Completed),
            2 => Ok(ReceiptStatus::Failed {
                code: read_text(buf, 1..=64, "receipt code")?,
                message: read_text(buf, 0..=MAX_REASON_LEN, "receipt message")?,
            }),
            3 => Ok(ReceiptStatus::Erased {
                record: crate::RecordId::read(buf)?,
            }),
            t => Err(Error::InvalidEnum(t)),
        }
    }
}

/// One entry of an identity's receipt chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptEntry {
    /// Position in the chain, starting at 0.
    pub index: u64,
    /// The transaction.
    pub tx_id: TxId,
    /// Block height where it was executed.
    pub height: u64,
    /// Outcome.
    pub status: ReceiptStatus,
    /// Hash of the previous entry (all zeros for the first).
    pub prev: Digest,
}

impl ReceiptEntry {
    /// Hash of this entry; the next entry's `prev` and, for the newest, the chain head.
    pub fn hash(&self) -> Digest {
        sha256(&[b"sovra/receipt", &self.encode()])
    }
}

impl Write for ReceiptEntry {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        self.index.write(buf);
        self.tx_id.write(buf);
        self.height.write(buf);
        self.status.write(buf);
        self.prev.write(buf);
    }
}

impl EncodeSize for ReceiptEntry {
    fn encode_size(&self) -> usize {
        8 + 32 + 8 + self.status.encode_size() + 32
    }
}

impl Read for ReceiptEntry {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        Ok(Self {
            index: u64::read(buf)?,
            tx_id: Digest::read(buf)?,
            height: u64::read(buf)?,
            status: ReceiptStatus::read(buf)?,
            prev: Digest::read(buf)?,
        })
    }
}

/// Checks that `entries` (oldest first, starting at index 0) link up to `head`.
pub fn verify_chain(entries: &[ReceiptEntry], head: &Digest) -> bool {
    let mut prev = crate::ZERO_DIGEST;
    for (i, e) in entries.iter().enumerate() {
        if e.index != i as u64 || e.prev != prev {
            return false;
        }
        prev = e.hash();
    }
    &prev == head
}
