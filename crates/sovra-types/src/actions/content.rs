//! Actions of the content module: pins of public content and named public documents.

use crate::{
    ContentId,
    codec::{bytes_size, write_bytes},
    content::read_doc_name,
};
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};

/// A change to the signer's pins or public documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentAction {
    /// Ask the network to keep the DAG under `cid` on `replication` nodes until unpinned.
    Pin {
        /// Root of the DAG.
        cid: ContentId,
        /// Declared total size of the DAG in bytes.
        size: u64,
        /// How many nodes must hold it (1 to [`MAX_REPLICATION`](crate::limits::MAX_REPLICATION)).
        replication: u8,
    },
    /// Release the signer's pin of `cid`; the content is garbage-collected once nobody pins it.
    Unpin {
        /// Root of the DAG.
        cid: ContentId,
    },
    /// Point the signer's public document `name` at `cid`, or remove it when `cid` is `None`.
    SetPublicDocument {
        /// Document name (`profile`, `app-config`, ...).
        name: String,
        /// The content it points to.
        cid: Option<ContentId>,
    },
}

impl ContentAction {
    const PIN: u8 = 0;
    const UNPIN: u8 = 1;
    const SET_PUBLIC_DOCUMENT: u8 = 2;

    /// A short name for logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            ContentAction::Pin { .. } => "pin_content",
            ContentAction::Unpin { .. } => "unpin_content",
            ContentAction::SetPublicDocument { .. } => "set_public_document",
        }
    }
}

impl Write for ContentAction {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            ContentAction::Pin {
                cid,
                size,
                replication,
            } => {
                Self::PIN.write(buf);
                cid.write(buf);
                size.write(buf);
                replication.write(buf);
            }
            ContentAction::Unpin { cid } => {
                Self::UNPIN.write(buf);
                cid.write(buf);
            }
            ContentAction::SetPublicDocument { name, cid } => {
                Self::SET_PUBLIC_DOCUMENT.write(buf);
                write_bytes(name.as_bytes(), buf);
                cid.write(buf);
            }
        }
    }
}

impl EncodeSize for ContentAction {
    fn encode_size(&self) -> usize {
        1 + match self {
            ContentAction::Pin { cid, .. } => cid.encode_size() + 8 + 1,
            ContentAction::Unpin { cid } => cid.encode_size(),
            ContentAction::SetPublicDocument { name, cid } => {
                bytes_size(name.as_bytes()) + cid.encode_size()
            }
        }
    }
}

impl Read for ContentAction {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::PIN => Ok(ContentAction::Pin {
                cid: ContentId::read(buf)?,
                size: u64::read(buf)?,
                replication: u8::read(buf)?,
            }),
            Self::UNPIN => Ok(ContentAction::Unpin {
                cid: ContentId::read(buf)?,
            }),
            Self::SET_PUBLIC_DOCUMENT => Ok(ContentAction::SetPublicDocument {
                name: read_doc_name(buf)?,
                cid: Option::<ContentId>::read(buf)?,
            }),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}
