//! Rejoining consensus without a consensus journal. A validator's simplex journal records every
//! vote it signed, so that after a restart it never signs a conflicting one. A validator whose
//! ledger is at genesis when it starts may have lost that journal (a wiped or replaced disk):
//! if it voted before, voting again in the same views (re-proposing as a view's leader, a
//! nullify where it notarized) is equivocation, for which every peer blocks it for good (found
//! by the simulation campaign: a wiped validator never caught up).
//!
//! Such a validator starts guarded. It first listens: it sends no vote and no certificate while
//! it watches its peers' votes and certificates for the highest view the network has reached.
//! The network cannot have been past that view when the validator lost its journal, so it
//! cannot have voted beyond it: once it has seen the network for [`RejoinConfig::settle`] (or
//! heard nothing for [`RejoinConfig::quiet`]), it sends only votes and certificates of later
//! views. A brand-new network is the case where nobody has seen a view past the first (views
//! past the first need a quorum to have voted), so nothing is held back ([`floor`]): a
//! validator that hears its peers at the first view, or nobody at all, votes at once.
//! Meanwhile it follows the chain (blocks are fetched and executed as usual); it only stays out
//! of voting on views it may have voted on before.
//!
//! What it cannot tell apart: a network that never got past its first view (no quorum ever
//! formed) and lost a validator's journal there, and one that is starting. A validator wiped
//! in that state may repeat a first-view vote.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use commonware_actor::{Feedback, Unreliable};
use commonware_consensus::{
    Viewable as _,
    simplex::{
        scheme::ed25519::Scheme,
        types::{Certificate, Vote},
    },
};
use commonware_cryptography::certificate::Verifier;
use commonware_p2p::{CheckedSender, LimitedSender, Message, Receiver, Recipients};
use commonware_runtime::{Clock, IoBufs, Spawner};

use sovra_types::{Digest, codec::decode_exact};

/// Timing of the guard.
#[derive(Clone, Copy, Debug)]
pub struct RejoinConfig {
    /// How long to keep watching after first hearing a peer's vote or certificate, so the
    /// highest view seen is the network's current one.
    pub settle: Duration,
    /// How long to wait, having heard nothing, before voting freely (a new network whose
    /// validators are all starting and waiting for each other, or a network that is down).
    /// Shorter than the leader timeout, so a starting network's first timeout is voted.
    pub quiet: Duration,
}

/// The highest view the guard holds back, given the highest view seen from peers: none (0)
/// when nobody was past the first view (a network starting), else every view up to one past
/// the highest seen (the validator may have been in that view's successor's proposal
/// already).
pub fn floor(max_seen: u64) -> u64 {
    if max_seen <= 1 { 0 } else { max_seen + 1 }
}

#[derive(Debug)]
enum Phase {
    /// Listening: nothing is sent.
    Watching {
        started: SystemTime,
        first_heard: Option<SystemTime>,
        max_seen: u64,
    },
    /// Votes and certificates of views above the floor go out.
    Guarding { floor: u64 },
}

/// What a guarded validator may send; shared by its channels and the task that decides.
#[derive(Clone, Debug)]
pub struct RejoinGuard {
    phase: Arc<Mutex<Phase>>,
    certificate_cfg: <<Scheme as Verifier>::Certificate as commonware_codec::Read>::Cfg,
}

impl RejoinGuard {
    /// A guard of a validator with `scheme`, watching from `now`.
    pub fn new(scheme: &Scheme, now: SystemTime) -> Self {
        Self {
            phase: Arc::new(Mutex::new(Phase::Watching {
                started: now,
                first_heard: None,
                max_seen: 0,
            })),
            certificate_cfg: scheme.certificate_codec_config(),
        }
    }

    /// A guard that holds back views up to `floor` (as if it had decided so).
    pub fn with_floor(scheme: &Scheme, floor: u64) -> Self {
        Self {
            phase: Arc::new(Mutex::new(Phase::Guarding { floor })),
            certificate_cfg: scheme.certificate_codec_config(),
        }
    }

    /// The floor decided, or `None` while watching.
    pub fn decided_floor(&self) -> Option<u64> {
        match *self.phase.lock().expect("rejoin lock") {
            Phase::Watching { .. } => None,
            Phase::Guarding { floor } => Some(floor),
        }
    }

    /// Whether everything may be sent (nothing held back), so messages need not be read.
    fn allows_all(&self) -> bool {
        matches!(
            *self.phase.lock().expect("rejoin lock"),
            Phase::Guarding { floor: 0 }
        )
    }

    /// Whether a vote or certificate of `view` may be sent now.
    fn allows(&self, view: u64) -> bool {
        match *self.phase.lock().expect("rejoin lock") {
            Phase::Watching { .. } => false,
            Phase::Guarding { floor } => view > floor,
        }
    }

    fn watching(&self) -> bool {
        matches!(
            *self.phase.lock().expect("rejoin lock"),
            Phase::Watching { .. }
        )
    }

    /// Notes a peer's vote or certificate of `view` (while watching).
    fn heard(&self, view: u64) {
        if let Phase::Watching { max_seen, .. } = &mut *self.phase.lock().expect("rejoin lock") {
            *max_seen = (*max_seen).max(view);
        }
    }

    /// Moves the guard on at time `now`: notes when peers were first heard, and decides the
    /// floor once `cfg` says enough was seen. Returns the floor once decided.
    pub fn tick(&self, now: SystemTime, cfg: &RejoinConfig) -> Option<u64> {
        let mut phase = self.phase.lock().expect("rejoin lock");
        let decided = match &mut *phase {
            Phase::Guarding { floor } => return Some(*floor),
            Phase::Watching {
                started,
                first_heard,
                max_seen,
            } => {
                if *max_seen > 0 && first_heard.is_none() {
                    *first_heard = Some(now);
                }
                let since = |t: SystemTime| now.duration_since(t).unwrap_or_default();
                match first_heard {
                    // Peers at the first view: a network starting, nothing to hold back.
                    Some(_) if *max_seen <= 1 => Some(0),
                    Some(t) if since(*t) >= cfg.settle => Some(floor(*max_seen)),
                    None if since(*started) >= cfg.quiet => Some(0),
                    _ => None,
                }
            }
        };
        if let Some(floor) = decided {
            *phase = Phase::Guarding { floor };
        }
        decided
    }

    /// Runs the guard's decision on `context`'s clock (every 50 ms) until the floor is decided.
    pub fn start<E: Clock + Spawner>(&self, context: E, cfg: RejoinConfig) {
        let guard = self.clone();
        context.spawn(move |context| async move {
            loop {
                if let Some(floor) = guard.tick(context.current(), &cfg) {
                    tracing::info!(floor, "rejoined consensus: votes of later views go out");
                    return;
                }
                context.sleep(Duration::from_millis(50)).await;
            }
        });
    }

    /// The view of an encoded vote or certificate, if it decodes.
    fn view_of(&self, kind: Kind, bytes: &[u8]) -> Option<u64> {
        match kind {
            Kind::Votes => decode_exact::<Vote<Scheme, Digest>>(bytes, &())
                .ok()
                .map(|v| v.view().get()),
            Kind::Certificates => {
                decode_exact::<Certificate<Scheme, Digest>>(bytes, &self.certificate_cfg)
                    .ok()
                    .map(|c| c.view().get())
            }
        }
    }
}

/// Which of the two guarded channels.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Individual votes.
    Votes,
    /// Certificates (notarizations, nullifications, finalizations).
    Certificates,
}

/// A sender that lets only what the guard allows out (what it holds back is dropped, as a
/// lossy link would).
#[derive(Clone, Debug)]
pub struct GuardedSender<S> {
    inner: S,
    guard: RejoinGuard,
    kind: Kind,
}

impl<S> GuardedSender<S> {
    /// Guards `inner`, a channel of `kind`.
    pub fn new(inner: S, guard: RejoinGuard, kind: Kind) -> Self {
        Self { inner, guard, kind }
    }
}

impl<S: LimitedSender> LimitedSender for GuardedSender<S> {
    type PublicKey = S::PublicKey;
    type Checked<'a>
        = GuardedChecked<'a, S>
    where
        Self: 'a;

    fn check(
        &mut self,
        recipients: Recipients<Self::PublicKey>,
    ) -> Result<Self::Checked<'_>, SystemTime> {
        let (guard, kind) = (self.guard.clone(), self.kind);
        self.inner
            .check(recipients)
            .map(|inner| GuardedChecked { inner, guard, kind })
    }
}

/// A checked send through a [`GuardedSender`].
pub struct GuardedChecked<'a, S: LimitedSender + 'a> {
    inner: S::Checked<'a>,
    guard: RejoinGuard,
    kind: Kind,
}

impl<'a, S: LimitedSender + 'a> CheckedSender for GuardedChecked<'a, S> {
    type PublicKey = S::PublicKey;

    fn recipients(&self) -> Vec<Self::PublicKey> {
        self.inner.recipients()
    }

    fn send(self, message: impl Into<IoBufs> + Send, priority: bool) -> Unreliable<Feedback> {
        if self.guard.allows_all() {
            return self.inner.send(message, priority);
        }
        let message = message.into().coalesce();
        match self.guard.view_of(self.kind, message.as_ref()) {
            Some(view) if self.guard.allows(view) => self.inner.send(message, priority),
            // Held back (or not ours to read: never sent while guarded).
            _ => Unreliable::Outcome(Feedback::Ok),
        }
    }
}

/// A receiver that shows the guard, while it watches, the view of every vote or certificate
/// from peers (the messages themselves pass unchanged).
#[derive(Debug)]
pub struct WatchingReceiver<R> {
    inner: R,
    guard: RejoinGuard,
    kind: Kind,
}

impl<R> WatchingReceiver<R> {
    /// Watches `inner`, a channel of `kind`.
    pub fn new(inner: R, guard: RejoinGuard, kind: Kind) -> Self {
        Self { inner, guard, kind }
    }
}

impl<R: Receiver> Receiver for WatchingReceiver<R> {
    type Error = R::Error;
    type PublicKey = R::PublicKey;

    async fn recv(&mut self) -> Result<Message<Self::PublicKey>, Self::Error> {
        let message = self.inner.recv().await?;
        if self.guard.watching()
            && let Some(view) = self.guard.view_of(self.kind, message.1.as_ref())
        {
            self.guard.heard(view);
        }
        Ok(message)
    }

    fn capacity(&self) -> std::num::NonZeroUsize {
        self.inner.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    const CFG: RejoinConfig = RejoinConfig {
        settle: Duration::from_secs(1),
        quiet: Duration::from_secs(2),
    };

    fn guard() -> RejoinGuard {
        let key = sovra_crypto::SigningKey::from_test_seed(1);
        let scheme = crate::engine::scheme(
            b"test",
            &[key.public_key()],
            Some(key.as_commonware().clone()),
        );
        RejoinGuard::new(&scheme, at(0))
    }

    #[test]
    fn a_starting_network_holds_nothing_back() {
        assert_eq!(floor(0), 0);
        assert_eq!(floor(1), 0);
        assert_eq!(floor(2), 3);
        assert_eq!(floor(40), 41);
    }

    #[test]
    fn nothing_goes_out_while_watching_and_only_later_views_after() {
        let g = guard();
        assert!(!g.allows(1) && !g.allows(1_000));
        g.heard(37);
        g.heard(12);
        // First heard at 100 ms: undecided until a second later.
        assert_eq!(g.tick(at(100), &CFG), None);
        assert_eq!(g.tick(at(1_050), &CFG), None);
        assert!(!g.allows(1_000));
        assert_eq!(g.tick(at(1_100), &CFG), Some(38));
        assert!(!g.allows(37) && !g.allows(38));
        assert!(g.allows(39));
        // Decided for good: later views seen change nothing.
        g.heard(100);
        assert_eq!(g.tick(at(9_000), &CFG), Some(38));
    }

    #[test]
    fn silence_lets_a_starting_validator_vote() {
        let g = guard();
        assert_eq!(g.tick(at(1_999), &CFG), None);
        assert_eq!(g.tick(at(2_000), &CFG), Some(0));
        assert!(g.allows(1));
    }

    #[test]
    fn peers_still_at_the_first_view_mean_a_starting_network() {
        let g = guard();
        g.heard(1);
        assert_eq!(g.tick(at(10), &CFG), Some(0));
        assert!(g.allows(1));
    }

    #[test]
    fn what_does_not_decode_is_never_sent_while_guarded() {
        let g = guard();
        assert_eq!(g.view_of(Kind::Votes, b"not a vote"), None);
        assert_eq!(g.view_of(Kind::Certificates, &[0xff; 8]), None);
    }
}
