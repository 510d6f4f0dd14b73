//! Size padding of private records, so that what nodes and the ledger see of a record (the
//! ciphertext size, the number and sizes of its blocks) tells only a size *bucket*, not the
//! exact plaintext length.
//!
//! A record's plaintext is padded with zero bytes, before encryption, to [`padded_len`]: the
//! Padmé length of the PURBs paper (Nikitin et al., PETS 2019), at least [`MIN_PADDED`] bytes.
//! Padmé keeps the overhead under 12 % and leaks O(log log L) bits of the length L: a 1 MiB
//! record is rounded up to a multiple of 32 KiB, a 1 GiB one to a multiple of 32 MiB, and
//! everything up to 4 KiB looks the same. The real length travels in the record's sealed
//! metadata; the padding is encrypted and authenticated with the rest of the stream, and the
//! reader checks it is all zeros and exactly as long as the length says.

use std::io::{Read, Write};

/// Smallest padded plaintext: every record of at most this many bytes has the same size.
pub const MIN_PADDED: u64 = 4096;

/// The padded length of a plaintext of `len` bytes: Padmé, at least [`MIN_PADDED`].
pub fn padded_len(len: u64) -> u64 {
    if len <= MIN_PADDED {
        return MIN_PADDED;
    }
    // E = floor(log2 L), S = floor(log2 E) + 1; the lowest E - S bits are rounded up.
    let e = 63 - u64::from(len.leading_zeros());
    let s = 64 - u64::from(e.leading_zeros());
    let mask = (1u64 << (e - s)) - 1;
    len.checked_add(mask).map_or(!mask, |v| v & !mask)
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Reads exactly `len` bytes from the input, then yields zeros up to [`padded_len`]`(len)`.
/// Fails if the input ends early or goes on beyond `len` (a file that changed while it was
/// read), so the sealed length always matches the metadata.
pub struct PaddingReader<R: Read> {
    inner: R,
    len: u64,
    padded: u64,
    /// Bytes produced so far (input, then zeros).
    pos: u64,
}

impl<R: Read> PaddingReader<R> {
    /// Pads `inner`, which must hold exactly `len` bytes.
    pub fn new(inner: R, len: u64) -> Self {
        Self {
            inner,
            len,
            padded: padded_len(len),
            pos: 0,
        }
    }
}

impl<R: Read> Read for PaddingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pos < self.len {
            let want = buf
                .len()
                .min((self.len - self.pos).min(usize::MAX as u64) as usize);
            let n = self.inner.read(&mut buf[..want])?;
            if n == 0 {
                return Err(invalid(format!(
                    "the input ended after {} of its {} bytes",
                    self.pos, self.len
                )));
            }
            self.pos += n as u64;
            if self.pos == self.len {
                let mut probe = [0u8; 1];
                if self.inner.read(&mut probe)? != 0 {
                    return Err(invalid(format!(
                        "the input is longer than its {} bytes",
                        self.len
                    )));
                }
            }
            return Ok(n);
        }
        if self.len == 0 && self.pos == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? != 0 {
                return Err(invalid("the input is longer than its 0 bytes".into()));
            }
        }
        let n = buf
            .len()
            .min((self.padded - self.pos).min(usize::MAX as u64) as usize);
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Writes the first `len` bytes it is given to the inner writer and checks that the rest is
/// zero padding; [`UnpaddingWriter::finish`] checks the padding was exactly as long as
/// [`padded_len`]`(len)` says.
pub struct UnpaddingWriter<W: Write> {
    inner: W,
    len: u64,
    padded: u64,
    seen: u64,
}

impl<W: Write> UnpaddingWriter<W> {
    /// Strips the padding of a record of `len` plaintext bytes.
    pub fn new(inner: W, len: u64) -> Self {
        Self {
            inner,
            len,
            padded: padded_len(len),
            seen: 0,
        }
    }

    /// Checks the padded stream ended where it should; returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        if self.seen != self.padded {
            return Err(invalid(format!(
                "the padded record has {} bytes, a record of {} bytes pads to {}",
                self.seen, self.len, self.padded
            )));
        }
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for UnpaddingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let data = (self.len.saturating_sub(self.seen)).min(buf.len() as u64) as usize;
        if data > 0 {
            self.inner.write_all(&buf[..data])?;
        }
        let padding = &buf[data..];
        if self.seen + buf.len() as u64 > self.padded {
            return Err(invalid(format!(
                "the padded record is longer than the {} bytes a record of {} bytes pads to",
                self.padded, self.len
            )));
        }
        if padding.iter().any(|&b| b != 0) {
            return Err(invalid("the record's padding is not zeros".into()));
        }
        self.seen += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{open_stream, seal_stream};
    use proptest::prelude::*;

    fn pad(data: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        PaddingReader::new(data, data.len() as u64).read_to_end(&mut out)?;
        Ok(out)
    }

    fn unpad(padded: &[u8], len: u64) -> std::io::Result<Vec<u8>> {
        let mut w = UnpaddingWriter::new(Vec::new(), len);
        w.write_all(padded)?;
        w.finish()
    }

    #[test]
    fn padme_lengths() {
        assert_eq!(padded_len(0), MIN_PADDED);
        assert_eq!(padded_len(1), MIN_PADDED);
        assert_eq!(padded_len(MIN_PADDED), MIN_PADDED);
        // 4097: E = 12, S = 4, multiples of 256.
        assert_eq!(padded_len(4097), 4352);
        // 1 MiB + 1: E = 20, S = 5, multiples of 32 KiB.
        assert_eq!(padded_len((1 << 20) + 1), (1 << 20) + (32 << 10));
        assert_eq!(padded_len(1 << 30), 1 << 30);
        for len in [4097u64, 10_000, 123_456, 1 << 20, 5_000_000_000, 1 << 40] {
            let p = padded_len(len);
            assert!(p >= len && (p - len) * 100 <= len * 12, "{len} -> {p}");
        }
        assert!(padded_len(u64::MAX) > 0);
    }

    #[test]
    fn plaintexts_in_one_bucket_seal_to_equal_sizes_and_round_trip() {
        let key = [8u8; 32];
        let sizes = |a: usize, b: usize| {
            let (x, y) = (vec![1u8; a], vec![2u8; b]);
            let mut sealed = [Vec::new(), Vec::new()];
            for (data, out) in [&x, &y].into_iter().zip(sealed.iter_mut()) {
                seal_stream(&key, 64 * 1024, &pad(data).unwrap()[..], &mut *out).unwrap();
                let mut opened = Vec::new();
                open_stream(&key, &out[..], &mut opened).unwrap();
                assert_eq!(&unpad(&opened, data.len() as u64).unwrap(), data);
            }
            (sealed[0].len(), sealed[1].len())
        };
        // Everything up to 4 KiB looks alike; so do 100,001 and 100,200 bytes (one bucket).
        let (a, b) = sizes(3, 4000);
        assert_eq!(a, b);
        assert_eq!(padded_len(100_001), padded_len(100_200));
        let (a, b) = sizes(100_001, 100_200);
        assert_eq!(a, b);
        // Different buckets differ.
        let (a, b) = sizes(3, 200_000);
        assert_ne!(a, b);
    }

    #[test]
    fn inputs_of_the_wrong_length_are_refused() {
        let short = PaddingReader::new(&b"abc"[..], 4).read_to_end(&mut Vec::new());
        assert!(short.is_err());
        let long = PaddingReader::new(&b"abcde"[..], 4).read_to_end(&mut Vec::new());
        assert!(long.is_err());
        let not_empty = PaddingReader::new(&b"a"[..], 0).read_to_end(&mut Vec::new());
        assert!(not_empty.is_err());
        assert_eq!(pad(b"").unwrap(), vec![0u8; MIN_PADDED as usize]);
    }

    #[test]
    fn bad_padding_is_refused() {
        let padded = pad(b"hello").unwrap();
        assert_eq!(unpad(&padded, 5).unwrap(), b"hello");
        // A non-zero padding byte, a padding cut short or extended, a wrong length.
        let mut flipped = padded.clone();
        *flipped.last_mut().unwrap() = 1;
        assert!(unpad(&flipped, 5).is_err());
        assert!(unpad(&padded[..padded.len() - 1], 5).is_err());
        let mut longer = padded.clone();
        longer.push(0);
        assert!(unpad(&longer, 5).is_err());
        // Told a shorter length, the fifth byte ('o') would be padding, and is not zero.
        assert!(unpad(&padded, 4).is_err());
    }

    proptest! {
        #[test]
        fn any_length_pads_and_unpads(data in proptest::collection::vec(any::<u8>(), 0..9000)) {
            let padded = pad(&data).unwrap();
            prop_assert_eq!(padded.len() as u64, padded_len(data.len() as u64));
            prop_assert_eq!(unpad(&padded, data.len() as u64).unwrap(), data);
        }
    }
}
