//! Small helpers for reading bounded byte strings and text with
//! `commonware-codec`, and for decoding a whole buffer strictly.

use commonware_codec::{Buf, Decode, EncodeSize, Error, RangeCfg, Read, Write};

/// Writes a byte string as a varint length followed by the bytes.
pub fn write_bytes(bytes: &[u8], buf: &mut impl bytes::BufMut) {
    bytes.to_vec().write(buf);
}

/// Encoded size of [`write_bytes`].
pub fn bytes_size(bytes: &[u8]) -> usize {
    // A Vec<u8> is a varint length prefix followed by the bytes.
    commonware_codec::varint::UInt(bytes.len() as u32).encode_size() + bytes.len()
}

/// Reads a byte string of length within `range`.
pub fn read_bytes(
    buf: &mut impl Buf,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Vec<u8>, Error> {
    Vec::<u8>::read_cfg(buf, &(RangeCfg::from(range), ()))
}

/// Reads UTF-8 text of byte length within `range`.
pub fn read_text(
    buf: &mut impl Buf,
    range: std::ops::RangeInclusive<usize>,
    what: &'static str,
) -> Result<String, Error> {
    String::from_utf8(read_bytes(buf, range)?).map_err(|_| Error::Invalid(what, "not UTF-8"))
}

/// Decodes exactly one value from `bytes`, rejecting trailing data.
pub fn decode_exact<T: Decode>(bytes: &[u8], cfg: &T::Cfg) -> Result<T, Error> {
    T::decode_cfg(bytes.to_vec(), cfg)
}
