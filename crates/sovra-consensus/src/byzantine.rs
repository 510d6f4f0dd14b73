//! Byzantine validators, for the network tests and the simulation campaign (feature
//! `byzantine`; never in a node): actors from commonware's simplex mocks that hold a validator's
//! key and sign what an honest validator never would.

use std::sync::Arc;

use commonware_consensus::{
    simplex::{
        elector::RoundRobin,
        mocks::{conflicter, equivocator, nuller, relay::Relay},
    },
    types::Epoch,
};
use commonware_cryptography::{
    Sha256,
    ed25519::{PrivateKey, PublicKey},
};
use commonware_p2p::{Receiver, Sender};
use commonware_runtime::{Clock, Spawner, Supervisor};
use rand_core::CryptoRng;

/// What a Byzantine validator does in place of the honest engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attack {
    /// Equivocating votes (for every vote it sees, it signs one for a random block of the same
    /// view and one for the block voted: `mocks::conflicter`) and conflicting proposals (when it
    /// leads, one block to one validator and another to the rest: `mocks::equivocator`).
    Equivocate,
    /// A nullify and a finalize for every view it sees voted (`mocks::nuller`).
    NullifyAndFinalize,
    /// Connected and silent: it never proposes when it leads, and never votes.
    Silent,
}

impl Attack {
    /// Every attack.
    pub const ALL: [Attack; 3] = [
        Attack::Equivocate,
        Attack::NullifyAndFinalize,
        Attack::Silent,
    ];

    /// The attack's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Attack::Equivocate => "equivocate",
            Attack::NullifyAndFinalize => "nullify-and-finalize",
            Attack::Silent => "silent",
        }
    }
}

/// Starts `attack` with validator `key` of `validators` (votes signed under `namespace`, the
/// chain's consensus namespace) on the validator's vote and certificate channels. The
/// equivocator reads certificates and sends only votes: `spare` is a receiver of a channel of
/// its own that it never reads.
#[allow(clippy::too_many_arguments)]
pub fn start<E, S, R>(
    context: &E,
    attack: Attack,
    namespace: &[u8],
    validators: &[PublicKey],
    key: PrivateKey,
    votes: (S, R),
    certificates: (S, R),
    spare: R,
) where
    E: Clock + CryptoRng + Spawner + Supervisor,
    S: Sender<PublicKey = PublicKey> + Clone,
    R: Receiver<PublicKey = PublicKey>,
{
    let scheme = crate::engine::scheme(namespace, validators, Some(key));
    let context = context.child("byzantine");
    match attack {
        Attack::Equivocate => {
            let (sender, incoming) = votes;
            conflicter::Conflicter::<_, _, Sha256>::new(
                context.child("conflicter"),
                conflicter::Config {
                    scheme: scheme.clone(),
                },
            )
            .start((sender.clone(), incoming));
            equivocator::Equivocator::<_, _, _, Sha256>::new(
                context.child("equivocator"),
                equivocator::Config {
                    scheme,
                    elector: RoundRobin::<Sha256>::default(),
                    epoch: Epoch::zero(),
                    relay: Arc::new(Relay::new()),
                },
            )
            .start((sender, spare), certificates);
        }
        Attack::NullifyAndFinalize => {
            nuller::Nuller::<_, _, Sha256>::new(context.child("nuller"), nuller::Config { scheme })
                .start(votes);
        }
        Attack::Silent => {}
    }
}
