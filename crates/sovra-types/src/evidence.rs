//! Evidence that a validator equivocated: two consensus votes it signed that no honest
//! validator signs together, as commonware simplex reports them (its batcher detects them and
//! hands them to the reporter).
//!
//! The evidence is commonware's own types, encoded with its codec; the state machine verifies
//! both signatures against the set of the evidence's epoch ([`Equivocation::verify`]), under the
//! consensus namespace of the chain ([`consensus_namespace`]), the same namespace the validators
//! sign votes under.

use crate::Digest;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};
use commonware_consensus::{
    Epochable, Viewable,
    simplex::{
        scheme::ed25519::Scheme,
        types::{Attributable, ConflictingFinalize, ConflictingNotarize, NullifyFinalize},
    },
    types::Participant,
};
use commonware_cryptography::ed25519::PublicKey;
use commonware_utils::ordered::{Quorum, Set};

/// The namespace validators of chain `chain_id` sign consensus votes under (so a vote on one
/// chain never counts on another).
pub fn consensus_namespace(chain_id: &str) -> Vec<u8> {
    format!("sovra/consensus/{chain_id}").into_bytes()
}

/// Two conflicting consensus messages signed by one validator in one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Equivocation {
    /// Notarize votes for two different proposals in the same view.
    ConflictingNotarize(ConflictingNotarize<Scheme, Digest>),
    /// Finalize votes for two different proposals in the same view.
    ConflictingFinalize(ConflictingFinalize<Scheme, Digest>),
    /// A nullify vote and a finalize vote for the same view.
    NullifyFinalize(NullifyFinalize<Scheme, Digest>),
}

impl Equivocation {
    const CONFLICTING_NOTARIZE: u8 = 0;
    const CONFLICTING_FINALIZE: u8 = 1;
    const NULLIFY_FINALIZE: u8 = 2;

    /// The epoch the votes were cast in.
    pub fn epoch(&self) -> u64 {
        match self {
            Self::ConflictingNotarize(e) => e.epoch().get(),
            Self::ConflictingFinalize(e) => e.epoch().get(),
            Self::NullifyFinalize(e) => e.epoch().get(),
        }
    }

    /// The view the votes were cast in.
    pub fn view(&self) -> u64 {
        match self {
            Self::ConflictingNotarize(e) => e.view().get(),
            Self::ConflictingFinalize(e) => e.view().get(),
            Self::NullifyFinalize(e) => e.view().get(),
        }
    }

    /// A short name of the offence for receipts, logs and the API.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ConflictingNotarize(_) => "conflicting_notarize",
            Self::ConflictingFinalize(_) => "conflicting_finalize",
            Self::NullifyFinalize(_) => "nullify_finalize",
        }
    }

    /// The signer's index in its epoch's set (sorted by key).
    pub fn signer_index(&self) -> u32 {
        self.signer().get()
    }

    fn signer(&self) -> Participant {
        match self {
            Self::ConflictingNotarize(e) => e.signer(),
            Self::ConflictingFinalize(e) => e.signer(),
            Self::NullifyFinalize(e) => e.signer(),
        }
    }

    /// The validator that signed both votes, if the evidence verifies against the set of its
    /// epoch in `sets` under chain `chain_id`'s consensus namespace (what the state machine
    /// checks before slashing; `None` if that set is not kept or the evidence does not verify).
    pub fn signer_in(
        &self,
        chain_id: &str,
        sets: &crate::staking::ValidatorSets,
    ) -> Option<crate::Did> {
        let set = sets.of(self.epoch())?;
        let keys: Vec<PublicKey> = set
            .members
            .iter()
            .filter_map(|m| sovra_crypto::keys::public_key_from_bytes(&m.consensus_key).ok())
            .collect();
        let signer = self.verify(&consensus_namespace(chain_id), &keys)?;
        set.members
            .iter()
            .find(|m| m.consensus_key.as_slice() == signer.as_ref())
            .map(|m| m.validator.clone())
    }

    /// Verifies both signatures against the validator set `keys` (the consensus keys of the
    /// evidence's epoch, in any order) under `namespace`; returns the key that signed both, or
    /// `None` if either signature does not verify or the signer is not in the set.
    pub fn verify(&self, namespace: &[u8], keys: &[PublicKey]) -> Option<PublicKey> {
        use commonware_parallel::Sequential;
        use rand::SeedableRng;
        let participants: Set<PublicKey> = Set::from_iter_dedup(keys.iter().cloned());
        let scheme = Scheme::verifier(namespace, participants.clone());
        // Ed25519 attestations verify one by one, without randomness; a fixed seed keeps the
        // call deterministic whatever commonware does with it.
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let valid = match self {
            Self::ConflictingNotarize(e) => e.verify(&mut rng, &scheme, &Sequential),
            Self::ConflictingFinalize(e) => e.verify(&mut rng, &scheme, &Sequential),
            Self::NullifyFinalize(e) => e.verify(&mut rng, &scheme, &Sequential),
        };
        if !valid {
            return None;
        }
        participants.key(self.signer()).cloned()
    }
}

impl Equivocation {
    /// Two notarize votes of `signer` (one of `keys`, the set of `epoch`) for different
    /// payloads in `view`: what an equivocating validator signs. For tests, the simulator and
    /// tools that check evidence handling; `None` if `signer` is not in the set.
    pub fn conflicting_notarize(
        namespace: &[u8],
        keys: &[PublicKey],
        signer: commonware_cryptography::ed25519::PrivateKey,
        epoch: u64,
        view: u64,
    ) -> Option<Self> {
        use commonware_consensus::{
            simplex::types::{Notarize, Proposal},
            types::{Epoch, Round, View},
        };
        let participants: Set<PublicKey> = Set::from_iter_dedup(keys.iter().cloned());
        let scheme = Scheme::signer(namespace, participants, signer)?;
        let round = Round::new(Epoch::new(epoch), View::new(view));
        let parent = View::new(view.saturating_sub(1));
        let vote = |payload: &[u8]| {
            Notarize::sign(
                &scheme,
                Proposal::new(round, parent, crate::sha256(&[payload])),
            )
        };
        Some(Self::ConflictingNotarize(ConflictingNotarize::new(
            vote(b"one")?,
            vote(b"two")?,
        )))
    }
}

impl Write for Equivocation {
    fn write(&self, buf: &mut impl bytes::BufMut) {
        match self {
            Self::ConflictingNotarize(e) => {
                Self::CONFLICTING_NOTARIZE.write(buf);
                e.write(buf);
            }
            Self::ConflictingFinalize(e) => {
                Self::CONFLICTING_FINALIZE.write(buf);
                e.write(buf);
            }
            Self::NullifyFinalize(e) => {
                Self::NULLIFY_FINALIZE.write(buf);
                e.write(buf);
            }
        }
    }
}

impl EncodeSize for Equivocation {
    fn encode_size(&self) -> usize {
        1 + match self {
            Self::ConflictingNotarize(e) => e.encode_size(),
            Self::ConflictingFinalize(e) => e.encode_size(),
            Self::NullifyFinalize(e) => e.encode_size(),
        }
    }
}

impl Read for Equivocation {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            Self::CONFLICTING_NOTARIZE => {
                Ok(Self::ConflictingNotarize(ConflictingNotarize::read(buf)?))
            }
            Self::CONFLICTING_FINALIZE => {
                Ok(Self::ConflictingFinalize(ConflictingFinalize::read(buf)?))
            }
            Self::NULLIFY_FINALIZE => Ok(Self::NullifyFinalize(NullifyFinalize::read(buf)?)),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_exact;
    use commonware_codec::Encode;
    use sovra_crypto::SigningKey;

    fn keys(seeds: &[u64]) -> Vec<PublicKey> {
        seeds
            .iter()
            .map(|s| SigningKey::from_test_seed(*s).public_key())
            .collect()
    }

    #[test]
    fn evidence_verifies_only_against_its_set_and_namespace() {
        let ns = consensus_namespace("chain");
        let set = keys(&[1, 2, 3, 4]);
        let signer = SigningKey::from_test_seed(3);
        let e = Equivocation::conflicting_notarize(&ns, &set, signer.as_commonware().clone(), 5, 9)
            .unwrap();
        assert_eq!(
            (e.epoch(), e.view(), e.kind()),
            (5, 9, "conflicting_notarize")
        );
        // The set in any order gives the same signer.
        let mut shuffled = set.clone();
        shuffled.reverse();
        assert_eq!(e.verify(&ns, &shuffled), Some(signer.public_key()));
        // Another chain's namespace, or another set, verifies nothing.
        assert_eq!(e.verify(&consensus_namespace("other"), &set), None);
        assert_eq!(e.verify(&ns, &keys(&[1, 2, 5, 6])), None);
        assert_eq!(e.verify(&ns, &keys(&[1, 2])), None);
        // Round trip; two copies of one vote are not evidence.
        let bytes = e.encode();
        assert_eq!(decode_exact::<Equivocation>(&bytes, &()).unwrap(), e);
        let Equivocation::ConflictingNotarize(c) = &e else {
            unreachable!()
        };
        let one = c.encode();
        let half = one.len() / 2;
        let mut same = vec![0u8];
        same.extend_from_slice(&one[..half]);
        same.extend_from_slice(&one[..half]);
        assert!(decode_exact::<Equivocation>(&same, &()).is_err());
        // A flipped signature bit fails verification.
        let mut tampered = bytes.to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        if let Ok(t) = decode_exact::<Equivocation>(&tampered, &()) {
            assert_eq!(t.verify(&ns, &set), None);
        }
    }
}
