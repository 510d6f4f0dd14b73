//! Rejoining consensus without a consensus journal. A validator's simplex journal records every
//! vote it signed, so that after a restart it never signs a conflicting one. A validator whose
//! ledger is at genesis when it starts may have lost that journal (a wiped or replaced disk):
//! if it voted before, voting again in the same views (re-proposing as a view's leader, a
//! nullify where it notarized) is equivocation, for which every peer blocks it for good (found
//! by the simulation campaign: a wiped validator never caught up).
//!
//! Such a validator starts guarded. It first listens: it sends no vote and no certificate while
//! it watches its peers' votes and certificates for the highest view the network has reached
//! (the (f + 1)-th highest view its peers are at, so that f Byzantine peers claiming far views
//! cannot keep it, or a starting network, from ever voting).
//! The network cannot have been past that view when the validator lost its journal, so it
//! cannot have voted beyond it: once it has seen the network for [`RejoinConfig::settle`], it
//! sends votes and certificates of later views,
//! nothing of earlier ones, and of the views in between (the highest seen, and the next, which
//! it may have entered first) only nullify votes and nullifications. Those are what an honest
//! validator sends in a view it already voted in (a nullify after a notarize, when the view
//! times out), and they let the network move past a view it is stuck in: were a guarded
//! validator to withhold them, two of them (or one and a crashed peer) could hold a network
//! below quorum in that view for good (found by the campaign: seed 590, two wiped validators of
//! five). A brand-new network is the case where nobody has seen a view past the first (views
//! past the first need a quorum to have voted), so nothing is held back ([`guarded_views`]): a
//! validator that hears more than f peers at the first view votes at once (one that hears
//! fewer, after settling). Silence alone decides nothing: a network stalled in a view whose
//! votes are all out, waiting to retry, is as silent as one starting (found by the campaign:
//! seed 867, a wiped validator took a stalled network for a starting one and finalized a view
//! it had nullified before losing its disk). After [`RejoinConfig::quiet`] of silence, only
//! messages of the first view go out, so that a starting network, every validator guarded,
//! speaks and hears itself.
//! Meanwhile it follows the chain (blocks are fetched and executed as usual); it only stays out
//! of voting on views it may have voted on before.
//!
//! What it cannot tell apart: a network that never got past its first view (no quorum ever
//! formed) and lost a validator's journal there, and one that is starting. A validator wiped
//! in that state may repeat a first-view vote.

use std::collections::BTreeMap;
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
use commonware_cryptography::certificate::{Scheme as _, Verifier};
use commonware_cryptography::ed25519::PublicKey;
use commonware_p2p::{CheckedSender, LimitedSender, Message, Receiver, Recipients};
use commonware_runtime::{Clock, IoBufs, Spawner};

use sovra_types::{Digest, codec::decode_exact};

/// Timing of the guard.
#[derive(Clone, Copy, Debug)]
pub struct RejoinConfig {
    /// How long to keep watching after first hearing a peer's vote or certificate, so the
    /// highest view seen is the network's current one.
    pub settle: Duration,
    /// How long to wait, having heard nothing, before letting out messages of the first view
    /// (a new network whose validators are all starting and waiting for each other). Shorter
    /// than the leader timeout, so a starting network's first timeout is voted.
    pub quiet: Duration,
    /// Most time to wait after first hearing a peer for more than f peers past the first view
    /// (so that f Byzantine peers claiming far views cannot keep a validator from ever
    /// deciding).
    pub patience: Duration,
}

/// The views the guard holds back, given the highest view seen from peers: none when nobody
/// was past the first view (a network starting); else views below the highest seen entirely,
/// and the highest seen and the next (the validator may have entered it first) but for
/// nullifies.
pub fn guarded_views(max_seen: u64) -> Guarded {
    if max_seen <= 1 {
        Guarded { low: 0, floor: 0 }
    } else {
        Guarded {
            low: max_seen,
            floor: max_seen + 1,
        }
    }
}

/// How far past its floor a guarded validator's own messages must be before the guard opens
/// for good (twice the views simplex keeps in memory, `view_retention` in `engine::start`).
pub const RELEASE_AFTER_VIEWS: u64 = 20;

impl Guarded {
    /// The same, holding back from `low` instead.
    const fn below(self, low: u64) -> Self {
        Self {
            low,
            floor: self.floor,
        }
    }
}

/// The views a decided guard holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guarded {
    /// Views below this: nothing is sent.
    pub low: u64,
    /// Views from `low` to this: only nullify votes and nullifications are sent. Later views:
    /// everything.
    pub floor: u64,
}

/// The decision at `now` of a guard which first heard a peer at
/// `first_heard` and has heard the highest `views` from each, among `n` validators (so at most
/// f = (n - 1) / 3 Byzantine): `None` to keep watching.
///
/// The view it guards up to is the (f + 1)-th highest heard, peers not heard counting as the
/// first view: at least one honest validator was there, so f Byzantine peers claiming a far
/// view cannot silence a rejoining validator (nor, at genesis, a whole network).
fn decide(
    now: SystemTime,
    first_heard: Option<SystemTime>,
    views: &BTreeMap<PublicKey, u64>,
    n: usize,
    cfg: &RejoinConfig,
    starting_possible: bool,
) -> Option<Guarded> {
    let since = |t: SystemTime| now.duration_since(t).unwrap_or_default();
    // Silence decides nothing: a network starting and a network stalled in a view whose votes
    // are all out (waiting to retry) look alike. The first view is let out meanwhile (see
    // `RejoinGuard::allows`), so a starting network speaks and is heard.
    let first_heard = first_heard?;
    let f = n.saturating_sub(1) / 3;
    let waited = since(first_heard);
    // Everyone heard is at the first view: a network starting. Believed at once from more than
    // f peers, else after settling (a Byzantine peer speaking first cannot open the guard).
    if views.values().all(|v| *v <= 1)
        && (more_than_f_at_first_view(views, f) || waited >= cfg.settle)
    {
        return Some(if starting_possible {
            guarded_views(0)
        } else {
            guarded_views(2).below(1)
        });
    }
    let past_first = views.values().filter(|v| **v > 1).count();
    if waited < cfg.settle || (past_first <= f && waited < cfg.patience) {
        return None;
    }
    let mut highest: Vec<u64> = views.values().copied().collect();
    highest.sort_unstable_by(|a, b| b.cmp(a));
    let credible = highest.get(f).copied().unwrap_or(0);
    Some(if starting_possible || credible > 1 {
        guarded_views(credible)
    } else {
        guarded_views(2).below(1)
    })
}

/// Whether more than f peers were heard and all at the first view: a network starting (at
/// least one of them is honest, and views past the first need a quorum).
fn more_than_f_at_first_view(views: &BTreeMap<PublicKey, u64>, f: usize) -> bool {
    views.len() > f && views.values().all(|v| *v <= 1)
}

/// What a vote or certificate is, as far as the guard cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    view: u64,
    /// A nullify vote or a nullification.
    nullify: bool,
}

#[derive(Debug)]
enum Phase {
    /// Listening: nothing is sent, but for the first view once nothing was heard for
    /// [`RejoinConfig::quiet`].
    Watching {
        started: SystemTime,
        first_heard: Option<SystemTime>,
        /// Whether messages of the first view may go out: nothing was heard for the quiet time
        /// (a network starting, every validator waiting for the others).
        first_view_open: bool,
        /// The highest view heard from each peer (by the peer's authenticated key, never by
        /// what a message claims).
        views: BTreeMap<PublicKey, u64>,
    },
    /// Decided: see [`Guarded`].
    Guarding(Guarded),
}

/// What a guarded validator may send; shared by its channels and the task that decides.
#[derive(Clone, Debug)]
pub struct RejoinGuard {
    phase: Arc<Mutex<Phase>>,
    /// Whether the validator is known to take part in the epoch live ([`RejoinGuard::live`]).
    live: Arc<std::sync::atomic::AtomicBool>,
    /// The peers heard in the epoch (until it is live).
    peers_heard: Arc<Mutex<std::collections::BTreeSet<PublicKey>>>,
    /// Whether the epoch may be starting as the guard watches (see [`RejoinGuard::new`]).
    starting_possible: bool,
    /// Whether a vote (not a nullify) past the decided floor went out.
    voted_past_floor: Arc<std::sync::atomic::AtomicBool>,
    /// The validators (only their views count).
    participants: Arc<Vec<PublicKey>>,
    certificate_cfg: <<Scheme as Verifier>::Certificate as commonware_codec::Read>::Cfg,
}

impl RejoinGuard {
    /// A guard of a validator with `scheme`, watching from `now`, for the first epoch of a
    /// network (which may be starting as it watches: peers heard only at the first view, or
    /// silence, mean a start, and nothing is held back).
    pub fn new(scheme: &Scheme, now: SystemTime) -> Self {
        Self::watching_from(scheme, now, true)
    }

    /// A guard for a later epoch, which may have been under way, even stalled at its first
    /// view, when the validator lost its journal: the first view is guarded like any other
    /// (its notarize and finalize votes held back, nullifies let out), silence lets nothing out.
    /// (With the first view of every epoch taken for a start, a wiped validator repeated a
    /// first-view vote: campaign seed 867 with epochs.)
    pub fn for_later_epoch(scheme: &Scheme, now: SystemTime) -> Self {
        Self::watching_from(scheme, now, false)
    }

    fn watching_from(scheme: &Scheme, now: SystemTime, starting_possible: bool) -> Self {
        Self {
            phase: Arc::new(Mutex::new(Phase::Watching {
                started: now,
                first_heard: None,
                first_view_open: false,
                views: BTreeMap::new(),
            })),
            live: Arc::default(),
            peers_heard: Arc::default(),
            starting_possible,
            voted_past_floor: Arc::default(),
            participants: Arc::new(scheme.participants().iter().cloned().collect()),
            certificate_cfg: scheme.certificate_codec_config(),
        }
    }

    /// A guard that holds nothing back (a validator with finalized blocks keeps its journal).
    pub fn open(scheme: &Scheme) -> Self {
        Self {
            phase: Arc::new(Mutex::new(Phase::Guarding(Guarded { low: 0, floor: 0 }))),
            live: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            peers_heard: Arc::default(),
            starting_possible: true,
            voted_past_floor: Arc::default(),
            participants: Arc::new(scheme.participants().iter().cloned().collect()),
            certificate_cfg: scheme.certificate_codec_config(),
        }
    }

    /// Whether the validator is known to be taking part in its epoch as it happens (so the
    /// epoch after it begins after the process started, and holds no vote a lost journal had):
    /// the guard was open from the start, or it opened for good after its own messages went
    /// [`RELEASE_AFTER_VIEWS`] views past its floor, or it has heard all but f of its peers in
    /// the epoch and holds nothing back or has voted past its floor (campaign seed 169: a
    /// validator of a new network that decided a floor at the first epoch, needed for the
    /// quorum, stalled the next one, guarded again). Hearing fewer is not enough: validators catching up
    /// through an old epoch together hear each other there (campaign seed 867, two wiped
    /// validators of six).
    pub fn live(&self) -> bool {
        self.live.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Live once the guard holds nothing back and all but f peers were heard in the epoch.
    fn check_live(&self) {
        let n = self.participants.len();
        let f = n.saturating_sub(1) / 3;
        let heard = self.peers_heard.lock().expect("rejoin lock").len();
        let voting = self.allows_all()
            || self
                .voted_past_floor
                .load(std::sync::atomic::Ordering::Relaxed);
        if heard + f + 1 >= n && voting {
            self.live.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Whether incoming messages are still of interest (watching, or not yet live).
    fn listening(&self) -> bool {
        self.watching() || !self.live()
    }

    /// What the guard decided to hold back, or `None` while watching.
    pub fn decided(&self) -> Option<Guarded> {
        match *self.phase.lock().expect("rejoin lock") {
            Phase::Watching { .. } => None,
            Phase::Guarding(guarded) => Some(guarded),
        }
    }

    /// Whether everything may be sent (nothing held back), so messages need not be read.
    fn allows_all(&self) -> bool {
        self.decided().is_some_and(|g| g.floor == 0)
    }

    /// Whether a vote or certificate `seen` may be sent now.
    ///
    /// Once the validator sends something [`RELEASE_AFTER_VIEWS`] views past the floor, the views
    /// held back are long decided and out of every peer's memory: the guard opens for good and
    /// stops reading what is sent.
    fn allows(&self, seen: Seen) -> bool {
        let mut phase = self.phase.lock().expect("rejoin lock");
        match &mut *phase {
            Phase::Watching {
                first_view_open, ..
            } => *first_view_open && seen.view <= 1,
            Phase::Guarding(g) => {
                if seen.view > g.floor.saturating_add(RELEASE_AFTER_VIEWS) {
                    *g = Guarded { low: 0, floor: 0 };
                    self.live.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                let allowed = seen.view > g.floor || (seen.view >= g.low && seen.nullify);
                if allowed && seen.view > g.floor && !seen.nullify && !self.live() {
                    self.voted_past_floor
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    drop(phase);
                    self.check_live();
                }
                allowed
            }
        }
    }

    /// Whether this validator may propose and vote for a proposal in `view`: false in the views a
    /// decided guard holds notarize and finalize votes back. The application asks before it
    /// proposes or verifies and declines there, so the validator's engine does not count a vote
    /// of its own that its peers never receive: it would build certificates from it that the
    /// guard may not forward, and wait in a later view while its peers wait in this one
    /// (campaign seed 590 with the asset workload). Nullifies go out as before. While still
    /// watching, the engine votes as usual and the sender holds the votes back; simplex sends
    /// them again on its retries, once they may go out.
    pub fn votes_go_out(&self, view: u64) -> bool {
        self.watching()
            || self.allows(Seen {
                view,
                nullify: false,
            })
    }

    fn watching(&self) -> bool {
        matches!(
            *self.phase.lock().expect("rejoin lock"),
            Phase::Watching { .. }
        )
    }

    /// Notes a vote or certificate of `view` from validator `peer` (while watching; anyone else
    /// is not counted).
    fn heard(&self, peer: &PublicKey, view: u64) {
        if !self.participants.contains(peer) {
            return;
        }
        if !self.live() {
            self.peers_heard
                .lock()
                .expect("rejoin lock")
                .insert(peer.clone());
        }
        let f = self.participants.len().saturating_sub(1) / 3;
        let mut phase = self.phase.lock().expect("rejoin lock");
        if let Phase::Watching {
            views,
            first_view_open,
            ..
        } = &mut *phase
        {
            let seen = views.entry(peer.clone()).or_default();
            *seen = (*seen).max(view);
            // A starting network heard: open at once, before the second view's messages.
            if *first_view_open && self.starting_possible && more_than_f_at_first_view(views, f) {
                *phase = Phase::Guarding(guarded_views(0));
            }
        }
        drop(phase);
        self.check_live();
    }

    /// Moves the guard on at time `now`: notes when peers were first heard, and decides what to
    /// hold back once `cfg` says enough was seen. Returns the decision once made.
    pub fn tick(&self, now: SystemTime, cfg: &RejoinConfig) -> Option<Guarded> {
        let mut phase = self.phase.lock().expect("rejoin lock");
        let decided = match &mut *phase {
            Phase::Guarding(guarded) => return Some(*guarded),
            Phase::Watching {
                started,
                first_heard,
                first_view_open,
                views,
            } => {
                if !views.is_empty() && first_heard.is_none() {
                    *first_heard = Some(now);
                }
                if first_heard.is_none()
                    && self.starting_possible
                    && now.duration_since(*started).unwrap_or_default() >= cfg.quiet
                {
                    *first_view_open = true;
                }
                decide(
                    now,
                    *first_heard,
                    views,
                    self.participants.len(),
                    cfg,
                    self.starting_possible,
                )
            }
        };
        let guarded = decided?;
        *phase = Phase::Guarding(guarded);
        drop(phase);
        self.check_live();
        Some(guarded)
    }

    /// Runs the guard's decision on `context`'s clock (every 50 ms) until the floor is decided or
    /// nothing else holds the guard any more.
    pub fn start<E: Clock + Spawner>(&self, context: E, cfg: RejoinConfig) {
        let guard = self.clone();
        context.spawn(move |context| async move {
            loop {
                // Nothing else holds the guard: its epoch's engine stopped undecided (a guarded
                // epoch that stayed silent, passed while catching up). Stop with it rather than
                // tick for good, one task per such epoch.
                if Arc::strong_count(&guard.phase) == 1 {
                    return;
                }
                if let Some(g) = guard.tick(context.current(), &cfg) {
                    tracing::info!(
                        low = g.low,
                        floor = g.floor,
                        "rejoined consensus: votes of later views go out"
                    );
                    return;
                }
                context.sleep(Duration::from_millis(50)).await;
            }
        });
    }

    /// The view and kind of an encoded vote or certificate, if it decodes.
    fn seen(&self, kind: Kind, bytes: &[u8]) -> Option<Seen> {
        match kind {
            Kind::Votes => decode_exact::<Vote<Scheme, Digest>>(bytes, &())
                .ok()
                .map(|v| Seen {
                    view: v.view().get(),
                    nullify: matches!(v, Vote::Nullify(_)),
                }),
            Kind::Certificates => {
                decode_exact::<Certificate<Scheme, Digest>>(bytes, &self.certificate_cfg)
                    .ok()
                    .map(|c| Seen {
                        view: c.view().get(),
                        nullify: matches!(c, Certificate::Nullification(_)),
                    })
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
        match self.guard.seen(self.kind, message.as_ref()) {
            Some(seen) if self.guard.allows(seen) => self.inner.send(message, priority),
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

impl<R: Receiver<PublicKey = PublicKey>> Receiver for WatchingReceiver<R> {
    type Error = R::Error;
    type PublicKey = R::PublicKey;

    async fn recv(&mut self) -> Result<Message<Self::PublicKey>, Self::Error> {
        let message = self.inner.recv().await?;
        if self.guard.listening()
            && let Some(seen) = self.guard.seen(self.kind, message.1.as_ref())
        {
            self.guard.heard(&message.0, seen.view);
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
        quiet: Duration::from_millis(750),
        patience: Duration::from_secs(5),
    };

    fn key(i: u64) -> sovra_crypto::SigningKey {
        sovra_crypto::SigningKey::from_test_seed(i)
    }

    fn peer(i: u64) -> PublicKey {
        key(i).public_key()
    }

    /// The scheme of validator 0 of five (f = 1).
    fn scheme_of_five() -> Scheme {
        crate::engine::scheme(
            b"test",
            &(0..5).map(peer).collect::<Vec<_>>(),
            Some(key(0).as_commonware().clone()),
        )
    }

    /// The guard of validator 0 of five (f = 1).
    fn guard() -> RejoinGuard {
        let scheme = scheme_of_five();
        RejoinGuard::new(&scheme, at(0))
    }

    fn vote(view: u64) -> Seen {
        Seen {
            view,
            nullify: false,
        }
    }

    fn nullify(view: u64) -> Seen {
        Seen {
            view,
            nullify: true,
        }
    }

    #[test]
    fn a_starting_network_holds_nothing_back() {
        assert_eq!(guarded_views(0), Guarded { low: 0, floor: 0 });
        assert_eq!(guarded_views(1), Guarded { low: 0, floor: 0 });
        assert_eq!(guarded_views(2), Guarded { low: 2, floor: 3 });
        assert_eq!(guarded_views(40), Guarded { low: 40, floor: 41 });
    }

    #[test]
    fn a_decided_guard_keeps_the_validator_from_voting_in_its_views() {
        let g = guard();
        // Watching: the engine votes, the sender holds the votes back (and simplex resends).
        assert!(g.votes_go_out(5));
        g.heard(&peer(1), 72);
        g.heard(&peer(2), 72);
        assert_eq!(g.tick(at(100), &CFG), None);
        assert_eq!(
            g.tick(at(1_100), &CFG),
            Some(Guarded { low: 72, floor: 73 })
        );
        // Decided: no proposal and no verdict where notarize votes are held back, so the
        // engine cannot count a vote of its own its peers never get.
        assert!(!g.votes_go_out(71) && !g.votes_go_out(72) && !g.votes_go_out(73));
        assert!(g.votes_go_out(74));
    }

    #[test]
    fn nothing_goes_out_while_watching_and_only_nullifies_or_later_views_after() {
        let g = guard();
        assert!(!g.allows(vote(1)) && !g.allows(nullify(1_000)));
        g.heard(&peer(1), 37);
        g.heard(&peer(2), 36);
        g.heard(&peer(1), 12);
        // First heard at 100 ms: undecided until a second later.
        assert_eq!(g.tick(at(100), &CFG), None);
        assert_eq!(g.tick(at(1_050), &CFG), None);
        assert!(!g.allows(vote(1_000)));
        // Two peers (f + 1) past the first view: the second highest counts.
        let decided = Guarded { low: 36, floor: 37 };
        assert_eq!(g.tick(at(1_100), &CFG), Some(decided));
        // Earlier views: nothing. The highest credible and the next: nullifies only. Later: all.
        assert!(!g.allows(vote(35)) && !g.allows(nullify(35)));
        assert!(!g.allows(vote(36)) && !g.allows(vote(37)));
        assert!(g.allows(nullify(36)) && g.allows(nullify(37)));
        assert!(g.allows(vote(38)) && g.allows(nullify(38)));
        // Decided for good: later views seen change nothing.
        g.heard(&peer(3), 100);
        assert_eq!(g.tick(at(9_000), &CFG), Some(decided));
        // Once it sends far past the floor, the guard opens and stops reading messages.
        assert!(!g.allows_all());
        assert!(g.allows(vote(37 + RELEASE_AFTER_VIEWS)));
        assert!(!g.allows_all());
        assert!(g.allows(vote(38 + RELEASE_AFTER_VIEWS)));
        assert!(g.allows_all() && g.allows(vote(36)));
    }

    #[test]
    fn one_byzantine_peer_claiming_a_far_view_silences_nobody() {
        // At genesis: the liar speaks, the honest peers are silent (they are watching too).
        let g = guard();
        g.heard(&peer(4), u64::MAX / 2);
        assert_eq!(g.tick(at(10), &CFG), None);
        assert_eq!(g.tick(at(2_000), &CFG), None, "waits for f + 1 peers");
        assert_eq!(g.tick(at(5_010), &CFG), Some(Guarded { low: 0, floor: 0 }));
        // In a running network: the liar's view is not the one guarded.
        let g = guard();
        g.heard(&peer(4), u64::MAX / 2);
        for i in 1..4 {
            g.heard(&peer(i), 40);
        }
        assert_eq!(g.tick(at(10), &CFG), None);
        assert_eq!(
            g.tick(at(1_010), &CFG),
            Some(Guarded { low: 40, floor: 41 })
        );
        // Someone who is not a validator is not counted: still silence.
        let g = guard();
        g.heard(&peer(9), 40);
        assert_eq!(g.tick(at(800), &CFG), None);
        assert!(g.allows(vote(1)) && !g.allows(vote(2)));
    }

    #[test]
    fn live_only_when_open_from_the_start_heard_all_but_f_or_released() {
        let scheme = scheme_of_five();
        assert!(RejoinGuard::open(&scheme).live());
        // Two validators catching up through an old epoch hear each other at its first view:
        // they open, but are not live there (campaign seed 867).
        let g = guard();
        g.heard(&peer(1), 1);
        assert_eq!(g.tick(at(100), &CFG), None);
        assert_eq!(g.tick(at(1_100), &CFG), Some(Guarded { low: 0, floor: 0 }));
        assert!(g.allows_all() && !g.live());
        // A starting epoch heard from all but f of the peers (3 of 4; f = 1): live.
        let g = guard();
        assert_eq!(g.tick(at(750), &CFG), None);
        for i in 1..4 {
            g.heard(&peer(i), 1);
        }
        assert!(g.allows_all() && g.live());
        // A rejoin in a running network: live once its messages go far past the floor.
        let g = guard();
        for i in 1..5 {
            g.heard(&peer(i), 40);
        }
        assert_eq!(g.tick(at(100), &CFG), None);
        assert_eq!(
            g.tick(at(1_100), &CFG),
            Some(Guarded { low: 40, floor: 41 })
        );
        assert!(!g.live());
        assert!(g.allows(vote(42 + RELEASE_AFTER_VIEWS)));
        assert!(g.live());
        // A validator that came late to a starting epoch: it heard all but f peers, decided a
        // floor, and is live once a vote of its own past the floor went out (campaign seed 169).
        let g = guard();
        for i in 1..4 {
            g.heard(&peer(i), 2);
        }
        assert_eq!(g.tick(at(100), &CFG), None);
        assert_eq!(g.tick(at(1_100), &CFG), Some(Guarded { low: 2, floor: 3 }));
        assert!(g.allows(nullify(3)) && !g.live(), "a nullify is no vote");
        assert!(g.allows(vote(4)) && g.live());
    }

    #[test]
    fn a_later_epochs_first_view_is_guarded_like_any_other() {
        let scheme = scheme_of_five();
        // Silence lets nothing out: the epoch may be stalled at its first view.
        let g = RejoinGuard::for_later_epoch(&scheme, at(0));
        assert_eq!(g.tick(at(5_000), &CFG), None);
        assert!(!g.allows(vote(1)) && !g.allows(nullify(1)));
        // Every peer at the first view: its notarize and finalize votes (and the next view's)
        // stay held back, nullifies go out; the guard never takes it for a start.
        for i in 1..5 {
            g.heard(&peer(i), 1);
        }
        // More than f peers at the first view: decided at once.
        assert_eq!(g.tick(at(5_100), &CFG), Some(Guarded { low: 1, floor: 3 }));
        assert!(!g.allows(vote(1)) && g.allows(nullify(1)));
        assert!(!g.allows(vote(2)) && g.allows(nullify(2)));
        assert!(!g.live());
        assert!(g.allows(vote(4)));
        assert!(g.live(), "voting past its floor, having heard every peer");
    }

    #[test]
    fn silence_lets_out_the_first_view_only() {
        let g = guard();
        assert_eq!(g.tick(at(749), &CFG), None);
        assert!(!g.allows(vote(1)));
        // Silence: a starting network's first view goes out, nothing later.
        assert_eq!(g.tick(at(750), &CFG), None);
        assert!(g.allows(vote(1)) && g.allows(nullify(1)));
        assert!(!g.allows(vote(2)) && !g.allows(nullify(2)) && !g.allows_all());
        // A starting network: its peers are heard at the first view, and all is let out.
        let starting = guard();
        assert_eq!(starting.tick(at(750), &CFG), None);
        starting.heard(&peer(1), 1);
        starting.heard(&peer(2), 1);
        assert_eq!(
            starting.tick(at(800), &CFG),
            Some(Guarded { low: 0, floor: 0 })
        );
        assert!(starting.allows_all());
        // A network stalled at view 40 with every vote out, silent until its validators retry
        // (found by the campaign, seed 867: a wiped validator took the silence for a start, then
        // finalized a view it had nullified before it lost its disk): the stalled view is
        // guarded once the peers are heard again.
        let stalled = guard();
        assert_eq!(stalled.tick(at(750), &CFG), None);
        assert!(!stalled.allows(vote(40)));
        for i in 1..5 {
            stalled.heard(&peer(i), 40);
        }
        assert_eq!(stalled.tick(at(5_000), &CFG), None);
        assert_eq!(
            stalled.tick(at(6_000), &CFG),
            Some(Guarded { low: 40, floor: 41 })
        );
        assert!(!stalled.allows(vote(40)) && stalled.allows(nullify(40)));
    }

    #[test]
    fn peers_still_at_the_first_view_mean_a_starting_network() {
        // More than f peers at the first view: at once.
        let g = guard();
        g.heard(&peer(1), 1);
        g.heard(&peer(2), 0);
        assert_eq!(g.tick(at(10), &CFG), Some(Guarded { low: 0, floor: 0 }));
        assert!(g.allows(vote(1)));
        // One peer (maybe Byzantine) at the first view: after settling, unless others are
        // heard further on by then.
        let g = guard();
        g.heard(&peer(4), 1);
        assert_eq!(g.tick(at(10), &CFG), None);
        assert_eq!(g.tick(at(1_010), &CFG), Some(Guarded { low: 0, floor: 0 }));
        let g = guard();
        g.heard(&peer(4), 1);
        assert_eq!(g.tick(at(10), &CFG), None);
        for i in 1..4 {
            g.heard(&peer(i), 30);
        }
        assert_eq!(
            g.tick(at(1_010), &CFG),
            Some(Guarded { low: 30, floor: 31 })
        );
    }

    #[test]
    fn what_does_not_decode_is_never_sent_while_guarded() {
        let g = guard();
        assert_eq!(g.seen(Kind::Votes, b"not a vote"), None);
        assert_eq!(g.seen(Kind::Certificates, &[0xff; 8]), None);
    }
}
