//! Byzantine validators, for the network tests and the simulation campaign (feature
//! `byzantine`; never in a node): actors from commonware's simplex mocks that hold a validator's
//! key and sign what an honest validator never would.

use std::sync::Arc;

use crate::orchestrator::mux_by_epoch;
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
use commonware_runtime::{Clock, Handle, Spawner, Supervisor};
use futures::FutureExt as _;
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
/// chain's consensus namespace) on the validator's vote and certificate channels, which are
/// multiplexed by epoch as honest validators' are ([`crate::orchestrator`]). The attack starts
/// in epoch 0 and moves to every later epoch whose messages it hears (the validator set is
/// assumed to stay `validators`, as in the simulator, whose validators are bonded at genesis
/// beyond any candidate's reach). The `spare` receiver is unused (the equivocator reads
/// certificates and sends only votes: it gets a vote subchannel nobody sends on).
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
    drop(spare);
    let scheme = crate::engine::scheme(namespace, validators, Some(key));
    context.child("byzantine").spawn(move |context| async move {
        let (mut vote_mux, mut vote_backup) = mux_by_epoch(&context, "vote_mux", votes);
        let (mut certificate_mux, mut certificate_backup) =
            mux_by_epoch(&context, "certificate_mux", certificates);
        let mut epoch = 0u64;
        let mut running: Vec<Handle<()>> = Vec::new();
        loop {
            for handle in running.drain(..) {
                handle.abort();
            }
            let (Ok(votes), Ok(certificates), Ok(spare)) = (
                vote_mux.register(epoch).await,
                certificate_mux.register(epoch).await,
                vote_mux.register(u64::MAX - epoch).await,
            ) else {
                return;
            };
            let context = context.child("epoch").with_attribute("epoch", epoch);
            match attack {
                Attack::Equivocate => {
                    let (sender, incoming) = votes;
                    running.push(
                        conflicter::Conflicter::<_, _, Sha256>::new(
                            context.child("conflicter"),
                            conflicter::Config {
                                scheme: scheme.clone(),
                            },
                        )
                        .start((sender.clone(), incoming)),
                    );
                    running.push(
                        equivocator::Equivocator::<_, _, _, Sha256>::new(
                            context.child("equivocator"),
                            equivocator::Config {
                                scheme: scheme.clone(),
                                elector: RoundRobin::<Sha256>::default(),
                                epoch: Epoch::new(epoch),
                                relay: Arc::new(Relay::new()),
                            },
                        )
                        .start((sender, spare.1), certificates),
                    );
                }
                Attack::NullifyAndFinalize => {
                    running.push(
                        nuller::Nuller::<_, _, Sha256>::new(
                            context.child("nuller"),
                            nuller::Config {
                                scheme: scheme.clone(),
                            },
                        )
                        .start(votes),
                    );
                }
                Attack::Silent => {}
            }
            // Wait for a message of a later epoch (honest validators moved on).
            loop {
                let next = futures::select! {
                    m = vote_backup.recv().fuse() => m,
                    m = certificate_backup.recv().fuse() => m,
                };
                match next {
                    Some((theirs, _)) if theirs > epoch && theirs < u64::MAX / 2 => {
                        epoch = theirs;
                        break;
                    }
                    Some(_) => continue,
                    None => return,
                }
            }
        }
    });
}
