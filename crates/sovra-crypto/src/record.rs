//! Encrypting private records on the client: a fresh random 256-bit key per
//! record, the content sealed as a stream of XChaCha20-Poly1305 chunks (the
//! STREAM construction of the `aead` crate, `StreamBE32`: each chunk has its
//! own nonce from a random prefix, a counter and a last-chunk flag), so files
//! of any size encrypt and decrypt in constant memory and any reordering,
//! truncation, extension or change is detected.
//!
//! Sealed stream layout (version 1):
//!
//! ```text
//! "SVRC" | version (1) | chunk size (u32 BE) | nonce prefix (19 bytes) | chunk* | last chunk
//! chunk = ciphertext of `chunk size` plaintext bytes + 16-byte tag; the last one may be shorter
//! ```
//!
//! The header is authenticated as associated data of every chunk. Small
//! values (a record's metadata: name, type, labels) are sealed in one piece
//! with [`seal_bytes`] (random 24-byte nonce, then ciphertext and tag).

use crate::CryptoError;
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{
        Aead, Payload,
        stream::{DecryptorBE32, EncryptorBE32},
    },
};
use std::io::{Read, Write};
use zeroize::Zeroizing;

const MAGIC: &[u8; 4] = b"SVRC";
const VERSION: u8 = 1;
/// Length of the STREAM nonce prefix for XChaCha20-Poly1305 (24 - 5 bytes).
const PREFIX_LEN: usize = 19;
const HEADER_LEN: usize = 4 + 1 + 4 + PREFIX_LEN;
const TAG_LEN: usize = 16;
/// Default plaintext bytes per chunk.
pub const DEFAULT_CHUNK: u32 = 64 * 1024;
/// Largest chunk a sealed stream may declare (bounds memory when opening).
pub const MAX_CHUNK: u32 = 4 * 1024 * 1024;
/// Domain of [`seal_bytes`] associated data.
const BYTES_AAD: &[u8] = b"sovra/record-bytes/v1";

/// A record's 256-bit data key.
pub type RecordKey = Zeroizing<[u8; 32]>;

/// A fresh random record key.
pub fn new_record_key() -> Result<RecordKey, CryptoError> {
    Ok(Zeroizing::new(crate::random_bytes::<32>()?))
}

fn bad(m: impl Into<String>) -> CryptoError {
    CryptoError::Sealed(m.into())
}

fn io(e: std::io::Error) -> CryptoError {
    CryptoError::SealedIo(e)
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, CryptoError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(n)
}

/// Encrypts everything `input` yields into `output` with `key`, in chunks of
/// `chunk` plaintext bytes. Returns the number of plaintext bytes.
pub fn seal_stream(
    key: &[u8; 32],
    chunk: u32,
    input: impl Read,
    mut output: impl Write,
) -> Result<u64, CryptoError> {
    let mut reader = SealingReader::new(key, chunk, input)?;
    std::io::copy(&mut reader, &mut output).map_err(|e| match e.downcast::<CryptoError>() {
        Ok(inner) => inner,
        Err(e) => io(e),
    })?;
    output.flush().map_err(io)?;
    Ok(reader.plaintext_bytes())
}

/// A reader of the sealed form of `input`: pulls plaintext as it is read and
/// yields the header and then each sealed chunk, so a consumer (an importer,
/// an upload) encrypts as it goes, on its own thread, in constant memory.
/// Chunks are encrypted in place in reused buffers (one chunk of lookahead
/// tells whether a chunk is the last).
pub struct SealingReader<R: Read> {
    input: R,
    encryptor: Option<EncryptorBE32<XChaCha20Poly1305>>,
    header: Vec<u8>,
    chunk: usize,
    /// Sealed bytes ready to be read, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    /// The next plaintext chunk (its first `current_len` bytes), and a spare buffer.
    current: Vec<u8>,
    current_len: usize,
    spare: Vec<u8>,
    started: bool,
    plaintext: u64,
}

impl<R: Read> SealingReader<R> {
    /// Seals `input` with `key` in chunks of `chunk` plaintext bytes (a fresh random nonce prefix).
    pub fn new(key: &[u8; 32], chunk: u32, input: R) -> Result<Self, CryptoError> {
        if chunk == 0 || chunk > MAX_CHUNK {
            return Err(bad(format!("chunk size must be 1..={MAX_CHUNK}")));
        }
        let prefix: [u8; PREFIX_LEN] = crate::random_bytes()?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.push(VERSION);
        header.extend_from_slice(&chunk.to_be_bytes());
        header.extend_from_slice(&prefix);
        let aead = XChaCha20Poly1305::new(key.into());
        let size = chunk as usize;
        Ok(Self {
            input,
            encryptor: Some(EncryptorBE32::from_aead(aead, prefix.as_slice().into())),
            header,
            chunk: size,
            out: Vec::with_capacity(size + TAG_LEN),
            out_pos: 0,
            current: Vec::with_capacity(size + TAG_LEN),
            current_len: 0,
            spare: Vec::with_capacity(size + TAG_LEN),
            started: false,
            plaintext: 0,
        })
    }

    /// Plaintext bytes read from the input so far.
    pub fn plaintext_bytes(&self) -> u64 {
        self.plaintext
    }

    /// Fills `out` with the next piece of the sealed stream; false at its end.
    fn produce(&mut self) -> Result<bool, CryptoError> {
        if !self.started {
            self.started = true;
            self.out.clear();
            self.out.extend_from_slice(&self.header);
            self.current.resize(self.chunk, 0);
            self.current_len = read_full(&mut self.input, &mut self.current)?;
            self.plaintext += self.current_len as u64;
            self.out_pos = 0;
            return Ok(true);
        }
        if self.encryptor.is_none() {
            return Ok(false);
        }
        let next_len = if self.current_len == self.chunk {
            self.spare.resize(self.chunk, 0);
            read_full(&mut self.input, &mut self.spare)?
        } else {
            0
        };
        self.current.truncate(self.current_len);
        if next_len == 0 {
            let last = self.encryptor.take().ok_or_else(|| bad("stream ended"))?;
            last.encrypt_last_in_place(&self.header, &mut self.current)
                .map_err(|_| bad("encryption failed"))?;
        } else {
            self.encryptor
                .as_mut()
                .ok_or_else(|| bad("stream ended"))?
                .encrypt_next_in_place(&self.header, &mut self.current)
                .map_err(|_| bad("encryption failed"))?;
        }
        // out <- the sealed chunk; current <- the lookahead chunk; spare <- the old out buffer.
        std::mem::swap(&mut self.out, &mut self.current);
        std::mem::swap(&mut self.current, &mut self.spare);
        self.current_len = next_len;
        self.plaintext += next_len as u64;
        self.out_pos = 0;
        Ok(true)
    }
}

impl<R: Read> Read for SealingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if !self.produce().map_err(std::io::Error::other)? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Decrypts a sealed stream into `output`. Fails, having written only
/// authenticated chunks, if anything was changed, reordered, cut short or
/// appended. Returns the number of plaintext bytes.
pub fn open_stream(
    key: &[u8; 32],
    mut input: impl Read,
    mut output: impl Write,
) -> Result<u64, CryptoError> {
    let mut header = [0u8; HEADER_LEN];
    if read_full(&mut input, &mut header)? != HEADER_LEN || &header[..4] != MAGIC {
        return Err(bad("not a sealed Sovra record"));
    }
    if header[4] != VERSION {
        return Err(bad(format!(
            "unsupported sealed record version {}",
            header[4]
        )));
    }
    let chunk = u32::from_be_bytes(header[5..9].try_into().expect("4 bytes"));
    if chunk == 0 || chunk > MAX_CHUNK {
        return Err(bad(format!("declared chunk size {chunk} is out of range")));
    }
    let aead = XChaCha20Poly1305::new(key.into());
    let mut decryptor = DecryptorBE32::from_aead(aead, header[9..].into());
    let sealed_len = chunk as usize + TAG_LEN;
    // Chunks are decrypted in place in two reused buffers.
    let mut current = vec![0u8; sealed_len];
    let mut next = vec![0u8; sealed_len];
    let mut current_len = read_full(&mut input, &mut current)?;
    let mut total = 0u64;
    loop {
        if current_len < TAG_LEN {
            return Err(bad("truncated sealed record"));
        }
        let next_len = if current_len == sealed_len {
            next.resize(sealed_len, 0);
            read_full(&mut input, &mut next)?
        } else {
            0
        };
        current.truncate(current_len);
        if next_len == 0 {
            decryptor
                .decrypt_last_in_place(&header, &mut current)
                .map_err(|_| bad("wrong key, or the record was altered or truncated"))?;
            output.write_all(&current).map_err(io)?;
            total += current.len() as u64;
            break;
        }
        decryptor
            .decrypt_next_in_place(&header, &mut current)
            .map_err(|_| bad("wrong key, or the record was altered or reordered"))?;
        output.write_all(&current).map_err(io)?;
        total += current.len() as u64;
        std::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    output.flush().map_err(io)?;
    Ok(total)
}

/// Seals a small value in one piece: random nonce, ciphertext and tag.
pub fn seal_bytes(key: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce: [u8; 24] = crate::random_bytes()?;
    let aead = XChaCha20Poly1305::new(key.into());
    let ct = aead
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: BYTES_AAD,
            },
        )
        .map_err(|_| bad("encryption failed"))?;
    let mut out = Vec::with_capacity(24 + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens a value sealed by [`seal_bytes`].
pub fn open_bytes(key: &[u8; 32], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < 24 + TAG_LEN {
        return Err(bad("sealed value too short"));
    }
    let aead = XChaCha20Poly1305::new(key.into());
    aead.decrypt(
        XNonce::from_slice(&sealed[..24]),
        Payload {
            msg: &sealed[24..],
            aad: BYTES_AAD,
        },
    )
    .map(Zeroizing::new)
    .map_err(|_| bad("wrong key, or the value was altered"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seal(key: &[u8; 32], chunk: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        seal_stream(key, chunk, data, &mut out).unwrap();
        out
    }

    fn open(key: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::new();
        open_stream(key, sealed, &mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_chunk_boundaries_and_empty() {
        let key = [7u8; 32];
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 64, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let sealed = seal(&key, 16, &data);
            assert_eq!(open(&key, &sealed).unwrap(), data, "len {len}");
            // Expected size: header + ceil(len/16) chunks (at least one) of tags.
            let chunks = len.div_ceil(16).max(1);
            assert_eq!(
                sealed.len(),
                HEADER_LEN + len + chunks * TAG_LEN,
                "len {len}"
            );
        }
    }

    #[test]
    fn detects_tampering_truncation_extension_reordering_and_wrong_keys() {
        let key = [1u8; 32];
        let data: Vec<u8> = (0..100u8).collect();
        let sealed = seal(&key, 16, &data);
        assert!(open(&[2u8; 32], &sealed).is_err(), "wrong key");
        for i in [0, 5, HEADER_LEN, HEADER_LEN + 20, sealed.len() - 1] {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(open(&key, &t).is_err(), "flip at {i}");
        }
        // Drop the last chunk: the previous one is not marked last.
        assert!(open(&key, &sealed[..sealed.len() - (100 % 16 + TAG_LEN)]).is_err());
        // Cut exactly at a full chunk boundary.
        assert!(open(&key, &sealed[..HEADER_LEN + 2 * (16 + TAG_LEN)]).is_err());
        let mut longer = sealed.clone();
        longer.extend_from_slice(&[0u8; 40]);
        assert!(open(&key, &longer).is_err(), "extended");
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + 32);
        let first: Vec<u8> = swapped[a..a + 32].to_vec();
        let second: Vec<u8> = swapped[b..b + 32].to_vec();
        swapped[a..a + 32].copy_from_slice(&second);
        swapped[b..b + 32].copy_from_slice(&first);
        assert!(open(&key, &swapped).is_err(), "reordered");
        assert!(open(&key, b"SVRC").is_err());
        assert!(open(&key, b"").is_err());
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let key = [3u8; 32];
        assert_ne!(seal(&key, 16, b"hello"), seal(&key, 16, b"hello"));
        assert_ne!(
            seal_bytes(&key, b"meta").unwrap(),
            seal_bytes(&key, b"meta").unwrap()
        );
    }

    #[test]
    fn small_values_round_trip_and_detect_changes() {
        let key = [4u8; 32];
        let sealed = seal_bytes(&key, br#"{"name":"scan.pdf"}"#).unwrap();
        assert_eq!(
            &open_bytes(&key, &sealed).unwrap()[..],
            br#"{"name":"scan.pdf"}"#
        );
        let mut t = sealed.clone();
        t[30] ^= 1;
        assert!(open_bytes(&key, &t).is_err());
        assert!(open_bytes(&[5u8; 32], &sealed).is_err());
        assert!(open_bytes(&key, &sealed[..10]).is_err());
    }

    proptest! {
        #[test]
        fn any_data_any_chunk_round_trips(data in proptest::collection::vec(any::<u8>(), 0..3000), chunk in 1u32..700) {
            let key = [9u8; 32];
            let sealed = seal(&key, chunk, &data);
            prop_assert_eq!(open(&key, &sealed).unwrap(), data);
        }
    }
}
