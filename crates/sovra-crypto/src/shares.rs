//! Threshold backup of a person's vault key with guardians: Feldman verifiable
//! secret sharing (VSS) over the Ristretto group, done by the `vsss-rs` crate.
//!
//! # The secret and the vault key
//!
//! What is shared is a [`VaultSecret`]: a uniformly random, non-zero scalar
//! `s` of the Ristretto255 group (the prime-order group built on
//! Curve25519, order `ℓ ≈ 2^252`). The 32-byte vault key is derived from it,
//! never shared directly:
//!
//! ```text
//! vault_key = SHA-256("sovra/vault-key/v1" || s as 32 canonical little-endian bytes)
//! ```
//!
//! Sharing the scalar rather than the key itself is needed because 32
//! arbitrary bytes are not a scalar (`ℓ < 2^253`), and Feldman commitments are
//! only defined for scalars. Deriving the key through a hash also means that
//! the public commitment `s·G` (below) says nothing usable about the key.
//!
//! The owner keeps the [`VaultSecret`] (its [`VaultSecret::to_bytes`] form is
//! for the owner's own encrypted backup). To replace or add guardians later,
//! the owner calls [`split`] on the same secret with a new threshold and
//! guardian count: the vault key stays the same, so nothing encrypted under it
//! has to be re-encrypted. Old shares stay valid for the old commitments, so a
//! re-sharing should go with telling the old guardians to delete theirs.
//!
//! # The scheme
//!
//! [`split_new`] / [`split`] pick a random polynomial
//! `f(x) = s + a₁x + … + a_{t-1}x^{t-1}` over the scalar field and give
//! guardian `i` (for `i = 1..=n`) the share `f(i)`. The [`Commitments`] are
//! the points `Cⱼ = aⱼ·G` (with `a₀ = s`), `G` the Ristretto base point. A
//! guardian checks its share with [`verify_share`]: `f(i)·G = Σ Cⱼ·iʲ`.
//! [`combine`] checks every share it is given the same way before Lagrange
//! interpolation at 0, and checks the result against `C₀`, so a wrong or
//! tampered share is named rather than silently producing a wrong key.
//! Polynomial evaluation, the commitments, verification and interpolation are
//! all `vsss-rs` (`feldman::split_secret_with_participant_ids_iter`,
//! `FeldmanVerifierSet::verify_share`, `ReadableShareSet::combine`); this
//! module fixes the group, the bounds and the byte formats.
//!
//! # What a guardian learns
//!
//! - From its own share, or from any set of fewer than `t` shares: nothing
//!   about `s` (Shamir's sharing is information-theoretically hiding: every
//!   value of `s` is equally consistent with `t - 1` points).
//! - From the commitments: `s·G` and `aⱼ·G`. Recovering `s` from them is the
//!   discrete-logarithm problem in Ristretto255, so under that assumption they
//!   reveal nothing about the secret beyond what the shares do. Because the
//!   vault key is a hash of `s` (not `s·G`), the commitments do not give the
//!   key either. (Feldman, unlike Pedersen VSS, is only computationally
//!   hiding: an adversary able to take discrete logs would learn `s`.)
//! - With `t` shares: the secret, by design.
//!
//! # Bounds
//!
//! `1 ≤ threshold ≤ n ≤ 16` ([`MAX_GUARDIANS`]): a guardian set is a handful
//! of people. A threshold of 1 is allowed (for any `n ≥ 1`) but is not a
//! sharing: the polynomial is the constant `s`, every guardian holds the whole
//! secret, and the only commitment is `s·G`. It fits a single trusted backup
//! location; `vsss-rs` itself refuses thresholds below 2, so this case is
//! handled here (one scalar multiplication, no polynomial arithmetic).
//!
//! # Byte formats (version 1)
//!
//! ```text
//! Share:       0x01 | index (u8, 1..=16) | f(index) (32-byte canonical scalar)     = 34 bytes
//! Commitments: 0x01 | threshold (u8) | n (u8) | C₀ … C_{t-1} (32-byte compressed
//!              Ristretto points)                                                   = 3 + 32·t bytes
//! VaultSecret: 0x01 | s (32-byte canonical scalar)                                = 33 bytes
//! ```
//!
//! Decoding takes exactly these lengths, rejects non-canonical scalars and
//! points, zero scalars, the identity point and out-of-range indices or
//! bounds, and never panics.
//!
//! Share values, the secret and the vault key are zeroized on drop. (The
//! polynomial coefficients live briefly inside `vsss-rs`, which does not wipe
//! them when it frees its buffers.)

use crate::CryptoError;
use curve25519_dalek::{
    constants::RISTRETTO_BASEPOINT_POINT,
    ristretto::{CompressedRistretto, RistrettoPoint},
    scalar::Scalar,
    traits::Identity,
};
use sha2::{Digest, Sha256};
use vsss_rs::{
    DefaultShare, FeldmanVerifierSet, IdentifierPrimeField, ReadableShareSet, ShareVerifierGroup,
};
use zeroize::{Zeroize, Zeroizing};

/// Largest number of guardians (and so of shares, and the largest threshold).
pub const MAX_GUARDIANS: u8 = 16;

/// Version byte that starts every encoding of this module.
const VERSION: u8 = 1;
/// Domain separation of the vault-key derivation.
const VAULT_KEY_DOMAIN: &[u8] = b"sovra/vault-key/v1";

/// Encoded length of a [`Share`].
pub const SHARE_LEN: usize = 1 + 1 + 32;
/// Encoded length of a [`VaultSecret`].
pub const VAULT_SECRET_LEN: usize = 1 + 32;
/// Length of the [`Commitments`] header (version, threshold, n).
const COMMITMENTS_HEADER: usize = 3;

/// A `vsss-rs` share: identifier and value are scalars.
type VShare = DefaultShare<IdentifierPrimeField<Scalar>, IdentifierPrimeField<Scalar>>;
/// A `vsss-rs` Feldman verifier: a Ristretto point.
type VVerifier = ShareVerifierGroup<RistrettoPoint>;

fn malformed(m: impl Into<String>) -> CryptoError {
    CryptoError::MalformedShareData(m.into())
}

fn check_params(threshold: u8, n: u8) -> Result<(), CryptoError> {
    if threshold == 0 || threshold > n || n > MAX_GUARDIANS {
        return Err(CryptoError::InvalidSharingParameters { threshold, n });
    }
    Ok(())
}

/// Reads a canonical, non-zero scalar.
fn scalar_from(bytes: &[u8], what: &str) -> Result<Scalar, CryptoError> {
    let mut arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| malformed(format!("{what}: expected 32 bytes")))?;
    let scalar: Option<Scalar> = Scalar::from_canonical_bytes(arr).into();
    arr.zeroize();
    match scalar {
        Some(s) if s != Scalar::ZERO => Ok(s),
        Some(_) => Err(malformed(format!("{what}: zero scalar"))),
        None => Err(malformed(format!("{what}: not a canonical scalar"))),
    }
}

/// The owner's vault secret: the shared scalar from which the vault key is
/// derived. Keep it (encrypted) to re-share the same vault key with new
/// guardians; zeroized on drop.
pub struct VaultSecret {
    scalar: Scalar,
}

impl VaultSecret {
    /// A fresh uniformly random non-zero secret from the OS CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        loop {
            // 64 bytes reduced modulo ℓ: a negligible (about 2^-260) bias.
            let wide = Zeroizing::new(crate::random_bytes::<64>()?);
            let scalar = Scalar::from_bytes_mod_order_wide(&wide);
            if scalar != Scalar::ZERO {
                return Ok(Self { scalar });
            }
        }
    }

    /// The 32-byte vault key: `SHA-256("sovra/vault-key/v1" || s)`.
    pub fn vault_key(&self) -> Zeroizing<[u8; 32]> {
        let mut s = self.scalar.to_bytes();
        let mut hasher = Sha256::new();
        hasher.update(VAULT_KEY_DOMAIN);
        hasher.update(s);
        s.zeroize();
        Zeroizing::new(hasher.finalize().into())
    }

    /// Canonical encoding (`0x01 | s`), for the owner's own backup. Secret:
    /// store it only encrypted.
    pub fn to_bytes(&self) -> Zeroizing<[u8; VAULT_SECRET_LEN]> {
        let mut out = Zeroizing::new([0u8; VAULT_SECRET_LEN]);
        out[0] = VERSION;
        out[1..].copy_from_slice(self.scalar.as_bytes());
        out
    }

    /// Decodes [`VaultSecret::to_bytes`]: exactly 33 bytes, version 1, a
    /// canonical non-zero scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != VAULT_SECRET_LEN {
            return Err(malformed(format!(
                "vault secret: expected {VAULT_SECRET_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        if bytes[0] != VERSION {
            return Err(malformed(format!(
                "vault secret: unknown version {}",
                bytes[0]
            )));
        }
        Ok(Self {
            scalar: scalar_from(&bytes[1..], "vault secret")?,
        })
    }
}

impl Drop for VaultSecret {
    fn drop(&mut self) {
        self.scalar.zeroize();
    }
}

impl std::fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultSecret(<redacted>)")
    }
}

/// One guardian's share: its index (`1..=n`) and the value `f(index)`.
/// Secret to everyone but its guardian; zeroized on drop.
#[derive(Clone)]
pub struct Share {
    index: u8,
    value: Scalar,
}

impl Share {
    /// The guardian's index, `1..=n`.
    pub fn index(&self) -> u8 {
        self.index
    }

    /// Canonical encoding (`0x01 | index | value`).
    pub fn to_bytes(&self) -> Zeroizing<[u8; SHARE_LEN]> {
        let mut out = Zeroizing::new([0u8; SHARE_LEN]);
        out[0] = VERSION;
        out[1] = self.index;
        out[2..].copy_from_slice(self.value.as_bytes());
        out
    }

    /// Decodes [`Share::to_bytes`]: exactly 34 bytes, version 1, an index in
    /// `1..=16`, a canonical non-zero scalar.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != SHARE_LEN {
            return Err(malformed(format!(
                "share: expected {SHARE_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        if bytes[0] != VERSION {
            return Err(malformed(format!("share: unknown version {}", bytes[0])));
        }
        let index = bytes[1];
        if index == 0 || index > MAX_GUARDIANS {
            return Err(malformed(format!("share: index {index} out of range")));
        }
        Ok(Self {
            index,
            value: scalar_from(&bytes[2..], "share")?,
        })
    }

    /// This share as `vsss-rs` sees it (the caller wipes it after use).
    fn to_vsss(&self) -> VShare {
        VShare {
            identifier: IdentifierPrimeField(Scalar::from(u64::from(self.index))),
            value: IdentifierPrimeField(self.value),
        }
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Share")
            .field("index", &self.index)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Public Feldman commitments to the sharing polynomial (`Cⱼ = aⱼ·G`, `t` of
/// them) with the threshold and guardian count. Anyone can check a share
/// against them; they reveal nothing about the secret under the
/// discrete-log assumption.
#[derive(Clone, PartialEq, Eq)]
pub struct Commitments {
    threshold: u8,
    n: u8,
    points: Vec<RistrettoPoint>,
}

impl Commitments {
    /// Shares needed to recover the secret.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Number of guardians the secret was split among (valid indices are
    /// `1..=n`).
    pub fn guardians(&self) -> u8 {
        self.n
    }

    /// Canonical encoding: `0x01 | threshold | n | C₀ … C_{t-1}` (compressed
    /// Ristretto points).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(COMMITMENTS_HEADER + 32 * self.points.len());
        out.extend_from_slice(&[VERSION, self.threshold, self.n]);
        for p in &self.points {
            out.extend_from_slice(p.compress().as_bytes());
        }
        out
    }

    /// Decodes [`Commitments::to_bytes`]: version 1, `1 ≤ threshold ≤ n ≤
    /// 16`, exactly `threshold` canonical non-identity points, no trailing
    /// bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let Some((&[version, threshold, n], rest)) =
            bytes.split_first_chunk::<COMMITMENTS_HEADER>()
        else {
            return Err(malformed("commitments: truncated header"));
        };
        if version != VERSION {
            return Err(malformed(format!("commitments: unknown version {version}")));
        }
        check_params(threshold, n)
            .map_err(|_| malformed(format!("commitments: bad bounds {threshold}-of-{n}")))?;
        if rest.len() != 32 * usize::from(threshold) {
            return Err(malformed(format!(
                "commitments: expected {} point bytes for threshold {threshold}, got {}",
                32 * usize::from(threshold),
                rest.len()
            )));
        }
        let points = rest
            .chunks_exact(32)
            .map(|chunk| {
                let point = CompressedRistretto::from_slice(chunk)
                    .ok()
                    .and_then(|c| c.decompress())
                    .ok_or_else(|| malformed("commitments: not a canonical Ristretto point"))?;
                if point == RistrettoPoint::identity() {
                    // A zero coefficient: the real threshold would be lower
                    // than the one claimed.
                    return Err(malformed("commitments: identity point"));
                }
                Ok(point)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            threshold,
            n,
            points,
        })
    }

    /// The `vsss-rs` verifier set: the generator followed by the commitments.
    fn verifier_set(&self) -> Vec<VVerifier> {
        let verifiers: Vec<VVerifier> = self.points.iter().copied().map(VVerifier::from).collect();
        <Vec<VVerifier> as FeldmanVerifierSet<VShare, VVerifier>>::feldman_set_with_generator_and_verifiers(
            VVerifier::from(RISTRETTO_BASEPOINT_POINT),
            &verifiers,
        )
    }
}

impl std::fmt::Debug for Commitments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commitments")
            .field("threshold", &self.threshold)
            .field("n", &self.n)
            .field("bytes", &hex::encode(self.to_bytes()))
            .finish()
    }
}

/// An error of the sharing library, `vsss-rs` (which does not implement
/// [`std::error::Error`] itself), kept as the cause of
/// [`CryptoError::SharingLibrary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharingError(pub vsss_rs::Error);

impl std::fmt::Display for SharingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for SharingError {}

/// The OS CSPRNG as the `rand_core` 0.10 RNG `vsss-rs` asks for. Those traits
/// are infallible, so a failure of the OS source is recorded (and zeros
/// returned); [`split`] checks the flag and discards everything drawn.
struct OsRng {
    failure: Option<getrandom::Error>,
}

impl OsRng {
    fn fill(&mut self, dst: &mut [u8]) {
        if let Err(e) = getrandom::fill(dst) {
            dst.fill(0);
            self.failure.get_or_insert(e);
        }
    }
}

impl rand_core::TryRng for OsRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for OsRng {}

/// Creates a fresh random [`VaultSecret`] and splits it `threshold`-of-`n`.
/// The vault key is `secret.vault_key()`; keep the secret (encrypted) to
/// re-share the same key later with [`split`].
pub fn split_new(
    threshold: u8,
    n: u8,
) -> Result<(VaultSecret, Vec<Share>, Commitments), CryptoError> {
    check_params(threshold, n)?;
    let secret = VaultSecret::generate()?;
    let (shares, commitments) = split(&secret, threshold, n)?;
    Ok((secret, shares, commitments))
}

/// Splits `secret` `threshold`-of-`n` with a fresh random polynomial: shares
/// for guardians `1..=n` and the commitments to publish or hand out with
/// them. Splitting the same secret again gives unrelated shares for the same
/// vault key.
pub fn split(
    secret: &VaultSecret,
    threshold: u8,
    n: u8,
) -> Result<(Vec<Share>, Commitments), CryptoError> {
    check_params(threshold, n)?;
    if threshold == 1 {
        // Degenerate constant polynomial (vsss-rs needs t ≥ 2): every share
        // is the secret, the one commitment is s·G.
        let shares = (1..=n)
            .map(|index| Share {
                index,
                value: secret.scalar,
            })
            .collect();
        let commitments = Commitments {
            threshold,
            n,
            points: vec![RISTRETTO_BASEPOINT_POINT * secret.scalar],
        };
        return Ok((shares, commitments));
    }
    // A uniformly random polynomial has a zero coefficient or a zero share
    // with probability about n·2^-252; redraw rather than emit commitments or
    // shares that the decoders and verification reject.
    loop {
        let mut rng = OsRng { failure: None };
        let mut intercept = IdentifierPrimeField(secret.scalar);
        let result = vsss_rs::feldman::split_secret_with_participant_ids_iter::<VShare, VVerifier>(
            usize::from(threshold),
            usize::from(n),
            &intercept,
            None,
            &mut rng,
            (1..=n).map(|i| IdentifierPrimeField(Scalar::from(u64::from(i)))),
        );
        intercept.0.zeroize();
        let (mut vshares, verifiers) = result.map_err(|e| CryptoError::SharingLibrary {
            step: "split",
            source: SharingError(e),
        })?;
        let shares: Vec<Share> = vshares
            .iter()
            .zip(1..=n)
            .map(|(vs, index)| Share {
                index,
                value: vs.value.0,
            })
            .collect();
        let ids_ok = vshares
            .iter()
            .zip(1..=n)
            .all(|(vs, index)| vs.identifier.0 == Scalar::from(u64::from(index)));
        for vs in &mut vshares {
            vs.value.0.zeroize();
        }
        if let Some(e) = rng.failure {
            return Err(CryptoError::Randomness(e));
        }
        let points: Vec<RistrettoPoint> =
            FeldmanVerifierSet::<VShare, VVerifier>::verifiers(&verifiers)
                .iter()
                .map(|v| v.0)
                .collect();
        if !ids_ok || shares.len() != usize::from(n) || points.len() != usize::from(threshold) {
            return Err(CryptoError::SecretSharing(
                "split: unexpected share or commitment layout".into(),
            ));
        }
        let degenerate = points.iter().any(|p| *p == RistrettoPoint::identity())
            || shares.iter().any(|s| s.value == Scalar::ZERO);
        if !degenerate {
            return Ok((
                shares,
                Commitments {
                    threshold,
                    n,
                    points,
                },
            ));
        }
    }
}

/// Checks a share against the commitments (Feldman verification):
/// `value·G = Σ Cⱼ·indexʲ`, with the index within `1..=n`.
pub fn verify_share(share: &Share, commitments: &Commitments) -> bool {
    if share.index == 0 || share.index > commitments.n {
        return false;
    }
    let mut vshare = share.to_vsss();
    let ok = commitments.verifier_set().verify_share(&vshare).is_ok();
    vshare.value.0.zeroize();
    ok
}

/// Recombines shares into the vault secret. Needs at least `threshold`
/// shares with distinct indices, each of which must pass [`verify_share`];
/// the recovered secret is checked against the commitments too.
pub fn combine(shares: &[Share], commitments: &Commitments) -> Result<VaultSecret, CryptoError> {
    let need = commitments.threshold;
    if shares.len() < usize::from(need) {
        return Err(CryptoError::NotEnoughShares {
            have: shares.len(),
            need,
        });
    }
    let mut seen = [false; MAX_GUARDIANS as usize + 1];
    for share in shares {
        let slot = seen.get_mut(usize::from(share.index));
        match slot {
            Some(true) => return Err(CryptoError::DuplicateShare(share.index)),
            Some(slot) => *slot = true,
            None => return Err(CryptoError::InvalidShare(share.index)),
        }
        if !verify_share(share, commitments) {
            return Err(CryptoError::InvalidShare(share.index));
        }
    }
    let scalar = if need == 1 {
        // Constant polynomial: a verified share is the secret.
        shares[0].value
    } else {
        let mut vshares: Vec<VShare> = shares[..usize::from(need)]
            .iter()
            .map(Share::to_vsss)
            .collect();
        let result = vshares.combine();
        for vs in &mut vshares {
            vs.value.0.zeroize();
        }
        result
            .map_err(|e| CryptoError::SharingLibrary {
                step: "combine",
                source: SharingError(e),
            })?
            .0
    };
    let secret = VaultSecret { scalar };
    if secret.scalar == Scalar::ZERO
        || RISTRETTO_BASEPOINT_POINT * secret.scalar != commitments.points[0]
    {
        return Err(CryptoError::SecretSharing(
            "recovered secret does not match the commitments".into(),
        ));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key_of(shares: &[Share], c: &Commitments) -> [u8; 32] {
        *combine(shares, c).expect("combine").vault_key()
    }

    fn pick(shares: &[Share], idx: &[usize]) -> Vec<Share> {
        idx.iter().map(|&i| shares[i].clone()).collect()
    }

    #[test]
    fn two_of_three() {
        let (secret, shares, c) = split_new(2, 3).unwrap();
        let key = *secret.vault_key();
        assert_eq!(shares.len(), 3);
        assert_eq!(c.threshold(), 2);
        assert_eq!(c.guardians(), 3);
        for (i, s) in shares.iter().enumerate() {
            assert_eq!(usize::from(s.index()), i + 1);
            assert!(verify_share(s, &c));
        }
        for pair in [[0, 1], [0, 2], [1, 2], [2, 0], [1, 0]] {
            assert_eq!(key_of(&pick(&shares, &pair), &c), key);
        }
        assert_eq!(key_of(&shares, &c), key);
        for i in 0..3 {
            assert!(matches!(
                combine(&pick(&shares, &[i]), &c),
                Err(CryptoError::NotEnoughShares { have: 1, need: 2 })
            ));
        }
        assert!(matches!(
            combine(&[], &c),
            Err(CryptoError::NotEnoughShares { have: 0, need: 2 })
        ));
    }

    #[test]
    fn vault_key_is_derived_from_secret() {
        let (secret, _, _) = split_new(2, 2).unwrap();
        let mut h = Sha256::new();
        h.update(b"sovra/vault-key/v1");
        h.update(secret.scalar.to_bytes());
        let expected: [u8; 32] = h.finalize().into();
        assert_eq!(*secret.vault_key(), expected);
        let (other, _, _) = split_new(2, 2).unwrap();
        assert_ne!(*other.vault_key(), expected);
    }

    #[test]
    fn tampered_value_is_rejected() {
        let (_, shares, c) = split_new(2, 3).unwrap();
        let mut bad = shares[0].clone();
        bad.value += Scalar::ONE;
        assert!(!verify_share(&bad, &c));
        assert!(matches!(
            combine(&[bad.clone(), shares[1].clone()], &c),
            Err(CryptoError::InvalidShare(1))
        ));
        // Also when it is not needed for the threshold.
        assert!(matches!(
            combine(&[shares[1].clone(), shares[2].clone(), bad], &c),
            Err(CryptoError::InvalidShare(1))
        ));
    }

    #[test]
    fn tampered_index_is_rejected() {
        let (_, shares, c) = split_new(2, 3).unwrap();
        let mut moved = shares[0].clone();
        moved.index = 3;
        assert!(!verify_share(&moved, &c));
        assert!(matches!(
            combine(&[moved, shares[1].clone()], &c),
            Err(CryptoError::InvalidShare(3))
        ));
        // An index beyond n, even one whose value is right for that point.
        let mut out_of_range = shares[0].clone();
        out_of_range.index = 4;
        assert!(!verify_share(&out_of_range, &c));
        let mut zero = shares[0].clone();
        zero.index = 0;
        assert!(!verify_share(&zero, &c));
        assert!(combine(&[zero, shares[1].clone()], &c).is_err());
    }

    #[test]
    fn duplicate_indices_are_rejected() {
        let (_, shares, c) = split_new(2, 3).unwrap();
        assert!(matches!(
            combine(&[shares[1].clone(), shares[1].clone()], &c),
            Err(CryptoError::DuplicateShare(2))
        ));
    }

    #[test]
    fn shares_of_another_sharing_fail() {
        let (secret, shares_a, ca) = split_new(2, 3).unwrap();
        let (_, shares_b, cb) = split_new(2, 3).unwrap();
        for s in &shares_b {
            assert!(!verify_share(s, &ca));
        }
        for s in &shares_a {
            assert!(!verify_share(s, &cb));
        }
        assert!(combine(&[shares_a[0].clone(), shares_b[1].clone()], &ca).is_err());
        assert!(combine(&shares_a[..2], &cb).is_err());
        // A re-sharing of the same secret is another sharing too.
        let (shares_c, cc) = split(&secret, 2, 3).unwrap();
        assert!(!verify_share(&shares_c[0], &ca));
        assert!(combine(&[shares_a[0].clone(), shares_c[1].clone()], &ca).is_err());
        assert!(combine(&[shares_a[0].clone(), shares_c[1].clone()], &cc).is_err());
    }

    #[test]
    fn resplit_keeps_the_vault_key() {
        let (secret, shares, c) = split_new(2, 3).unwrap();
        let key = *secret.vault_key();
        // The owner restores the secret from a backup and picks new guardians.
        let restored = VaultSecret::from_bytes(&secret.to_bytes()[..]).unwrap();
        let (new_shares, new_c) = split(&restored, 3, 5).unwrap();
        assert_ne!(new_c, c);
        assert_eq!(new_c.threshold(), 3);
        assert_eq!(key_of(&pick(&new_shares, &[4, 0, 2]), &new_c), key);
        assert_eq!(key_of(&shares[1..], &c), key);
        // Shares differ even at the same index.
        assert_ne!(*new_shares[0].to_bytes(), *shares[0].to_bytes());
    }

    #[test]
    fn threshold_one() {
        let (secret, shares, c) = split_new(1, 3).unwrap();
        assert_eq!(c.threshold(), 1);
        for s in &shares {
            assert!(verify_share(s, &c));
            assert_eq!(key_of(std::slice::from_ref(s), &c), *secret.vault_key());
        }
        assert_eq!(key_of(&shares, &c), *secret.vault_key());
        let (_, single, c1) = split_new(1, 1).unwrap();
        assert_eq!(single.len(), 1);
        assert!(combine(&single, &c1).is_ok());
        let mut bad = shares[0].clone();
        bad.value += Scalar::ONE;
        assert!(!verify_share(&bad, &c));
        assert!(combine(&[bad], &c).is_err());
    }

    #[test]
    fn bounds() {
        for (t, n) in [
            (0, 0),
            (0, 3),
            (3, 2),
            (2, 17),
            (17, 17),
            (1, 0),
            (255, 255),
        ] {
            assert!(
                matches!(
                    split_new(t, n),
                    Err(CryptoError::InvalidSharingParameters { .. })
                ),
                "{t}-of-{n}"
            );
        }
        let (_, shares, c) = split_new(16, 16).unwrap();
        assert_eq!(shares.len(), 16);
        assert!(combine(&shares, &c).is_ok());
        assert!(combine(&shares[1..], &c).is_err());
    }

    #[test]
    fn round_trips() {
        let (secret, shares, c) = split_new(3, 4).unwrap();
        let cb = c.to_bytes();
        assert_eq!(cb[0], 1);
        assert_eq!(cb.len(), 3 + 32 * 3);
        let c2 = Commitments::from_bytes(&cb).unwrap();
        assert_eq!(c2, c);
        assert_eq!(c2.to_bytes(), cb);
        let decoded: Vec<Share> = shares
            .iter()
            .map(|s| {
                let b = s.to_bytes();
                assert_eq!(b[0], 1);
                let d = Share::from_bytes(&b[..]).unwrap();
                assert_eq!(*d.to_bytes(), *b);
                assert_eq!(d.index(), s.index());
                d
            })
            .collect();
        assert_eq!(key_of(&decoded[1..], &c2), *secret.vault_key());
        let sb = secret.to_bytes();
        assert_eq!(sb[0], 1);
        let s2 = VaultSecret::from_bytes(&sb[..]).unwrap();
        assert_eq!(*s2.vault_key(), *secret.vault_key());
        assert_eq!(*s2.to_bytes(), *sb);
        // Debug output keeps secrets out.
        let dbg = format!("{:?} {:?}", shares[0], secret);
        assert!(!dbg.contains(&hex::encode(&shares[0].to_bytes()[2..])));
        assert!(!dbg.contains(&hex::encode(&sb[1..])));
    }

    #[test]
    fn malformed_bytes_are_errors() {
        let (secret, shares, c) = split_new(2, 3).unwrap();
        let sb = shares[0].to_bytes();
        let cb = c.to_bytes();
        let vb = secret.to_bytes();
        let mal = |r: Result<(), CryptoError>| {
            assert!(
                matches!(r, Err(CryptoError::MalformedShareData(_))),
                "{r:?}"
            )
        };
        let share = |b: &[u8]| Share::from_bytes(b).map(|_| ());
        let comm = |b: &[u8]| Commitments::from_bytes(b).map(|_| ());
        let vault = |b: &[u8]| VaultSecret::from_bytes(b).map(|_| ());

        // Truncated and oversized, at every length.
        for len in 0..sb.len() {
            mal(share(&sb[..len]));
        }
        mal(share(&[&sb[..], &[0]].concat()));
        for len in 0..cb.len() {
            mal(comm(&cb[..len]));
        }
        mal(comm(&[&cb[..], &[0]].concat()));
        mal(comm(&[&cb[..], &cb[3..35]].concat()));
        for len in 0..vb.len() {
            mal(vault(&vb[..len]));
        }
        mal(vault(&[&vb[..], &[0]].concat()));

        // Wrong version.
        for v in [0u8, 2, 255] {
            let mut b = *sb;
            b[0] = v;
            mal(share(&b));
            let mut b = cb.clone();
            b[0] = v;
            mal(comm(&b));
            let mut b = *vb;
            b[0] = v;
            mal(vault(&b));
        }

        // Share: index out of range, non-canonical or zero value.
        for idx in [0u8, 17, 255] {
            let mut b = *sb;
            b[1] = idx;
            mal(share(&b));
        }
        let mut b = *sb;
        b[2..].copy_from_slice(&[0xff; 32]);
        mal(share(&b));
        b[2..].copy_from_slice(&[0; 32]);
        mal(share(&b));
        let mut b = *vb;
        b[1..].copy_from_slice(&[0xff; 32]);
        mal(vault(&b));
        b[1..].copy_from_slice(&[0; 32]);
        mal(vault(&b));

        // Commitments: bad bounds, threshold/length mismatch, bad points.
        for (t, n) in [(0u8, 3u8), (3, 2), (2, 17), (17, 17)] {
            let mut b = cb.clone();
            b[1] = t;
            b[2] = n;
            mal(comm(&b));
        }
        let mut b = cb.clone();
        b[1] = 3;
        b[2] = 3;
        mal(comm(&b));
        let mut b = cb.clone();
        b[3..35].copy_from_slice(&[0xff; 32]);
        mal(comm(&b));
        let mut b = cb.clone();
        b[35..67].copy_from_slice(&[0; 32]); // the identity's encoding
        mal(comm(&b));
        let mut b = cb.clone();
        b[3] ^= 1; // not a canonical encoding (or another point): never a panic
        let _ = comm(&b);
    }

    #[test]
    fn tampered_commitments_reject_shares() {
        let (_, shares, c) = split_new(2, 3).unwrap();
        let (_, _, other) = split_new(2, 3).unwrap();
        let mut b = c.to_bytes();
        b[35..67].copy_from_slice(&other.to_bytes()[35..67]);
        let forged = Commitments::from_bytes(&b).unwrap();
        assert!(shares.iter().all(|s| !verify_share(s, &forged)));
        assert!(combine(&shares, &forged).is_err());
        // Claiming more guardians does not make real shares fail, and a
        // smaller n rejects the indices beyond it.
        let mut b = c.to_bytes();
        b[2] = 2;
        let fewer = Commitments::from_bytes(&b).unwrap();
        assert!(verify_share(&shares[1], &fewer));
        assert!(!verify_share(&shares[2], &fewer));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn any_threshold_subset_recombines(
            (t, n, perm) in (1u8..=8)
                .prop_flat_map(|n| (1u8..=n, Just(n)))
                .prop_flat_map(|(t, n)| {
                    (Just(t), Just(n), Just((0..usize::from(n)).collect::<Vec<_>>()).prop_shuffle())
                })
        ) {
            let (secret, shares, c) = split_new(t, n).unwrap();
            let key = *secret.vault_key();
            let t = usize::from(t);
            let subset = pick(&shares, &perm[..t]);
            prop_assert_eq!(key_of(&subset, &c), key);
            if t > 1 {
                let short = pick(&shares, &perm[..t - 1]);
                let too_few = matches!(
                    combine(&short, &c),
                    Err(CryptoError::NotEnoughShares { .. })
                );
                prop_assert!(too_few);
            }
            // More than t (all distinct) still works.
            prop_assert_eq!(key_of(&pick(&shares, &perm), &c), key);
        }

        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Share::from_bytes(&bytes);
            let _ = Commitments::from_bytes(&bytes);
            let _ = VaultSecret::from_bytes(&bytes);
        }
    }
}
