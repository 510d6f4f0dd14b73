//! Execution of guardian recovery (`Action::Recovery`): setting up guardians
//! with Feldman commitments, requesting a recovery from a new device,
//! guardian approvals, the time lock, cancellation by the identity, and
//! completion, which hands the `did:sovra` to the new device key.

use crate::common::{Chain, account, cid, code, did, doc_for, identity_cid, raw, rejection};
use sovra_crypto::{SigningKey, shares::split_new};
use sovra_execution::{Rejection, modules::identity};
use sovra_types::{
    Action, Did, DidDocument, IdentityAction, ReceiptStatus, RecoveryAction, RecoveryConfig,
    Relationship, Service, SignedTransaction, StateKey,
    identity::methods_for_key,
    recovery::{MAX_TIME_LOCK_MS, PendingRecovery},
};

/// Recovery conveniences.
impl Chain {
    /// Runs one recovery action of `signer` (signed with `key`); returns its status.
    fn run_recovery(
        &mut self,
        signer: &Did,
        key: &SigningKey,
        action: RecoveryAction,
    ) -> ReceiptStatus {
        self.run_all(signer, key, vec![Action::Recovery(action)])
            .status
    }

    fn config(&self, d: &Did) -> Option<RecoveryConfig> {
        self.state
            .values
            .get(&StateKey::Recovery(d.clone()))
            .map(|b| RecoveryConfig::decode(b).unwrap())
    }

    fn raw_config(&self, d: &Did) -> Option<Vec<u8>> {
        self.state
            .values
            .get(&StateKey::Recovery(d.clone()))
            .cloned()
    }

    fn pending(&self, d: &Did) -> Option<PendingRecovery> {
        self.config(d).and_then(|c| c.pending)
    }
}

/// Fresh Feldman commitments of a `t`-of-`n` split.
fn commitments(t: u8, n: u8) -> Vec<u8> {
    split_new(t, n).unwrap().2.to_bytes()
}

fn setup_action(guardians: &[Did], threshold: u8, time_lock_ms: u64) -> RecoveryAction {
    RecoveryAction::Setup {
        guardians: guardians.to_vec(),
        threshold,
        commitments: commitments(threshold, guardians.len() as u8),
        shares: cid("shares"),
        time_lock_ms,
    }
}

fn request(d: &Did) -> RecoveryAction {
    RecoveryAction::Request { did: d.clone() }
}

fn approve(d: &Did, tag: &str) -> RecoveryAction {
    RecoveryAction::Approve {
        did: d.clone(),
        share: cid(tag),
    }
}

fn cancel(d: &Did) -> RecoveryAction {
    RecoveryAction::Cancel { did: d.clone() }
}

/// A document with `k` as its only key, a service and a controller.
fn recoverable_doc(k: &SigningKey, controller: &Did) -> DidDocument {
    DidDocument {
        services: vec![Service {
            id: "web".into(),
            service_type: "LinkedDomains".into(),
            endpoint: "https://example.org/".into(),
        }],
        controllers: vec![controller.clone()],
        ..doc_for(k)
    }
}

/// The cast of a recovery.
struct Cast {
    ks: Vec<SigningKey>,
    /// The identity being recovered; its (lost) key is `ks[OLD]`.
    sovra: Did,
    guardians: Vec<Did>,
    /// The new device's identity; its key is `ks[NEW]`.
    device: Did,
    stranger: Did,
}

const FUNDER: usize = 0;
const OLD: usize = 1;
const G: [usize; 3] = [2, 3, 4];
const NEW: usize = 5;
const STRANGER: usize = 6;

/// A chain with a did:sovra controlled by `ks[OLD]` (and by a controller
/// that is not the old key), funded, and funded guardians, device and stranger.
fn cast() -> (Cast, Chain) {
    let (ks, mut c) = Chain::new(&[1_000_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000]);
    let doc = recoverable_doc(&ks[OLD], &Did::sovra(&[0xCC; 16]));
    let sovra = c.create_did(&ks[OLD], doc);
    c.fund(&ks[FUNDER], &sovra, 10_000);
    let cast = Cast {
        guardians: G.iter().map(|&i| did(&ks[i])).collect(),
        device: did(&ks[NEW]),
        stranger: did(&ks[STRANGER]),
        sovra,
        ks,
    };
    (cast, c)
}

impl Cast {
    fn key(&self, i: usize) -> &SigningKey {
        &self.ks[i]
    }

    /// Runs `action` as the did:sovra, signed with `ks[key]`.
    fn as_sovra(&self, c: &mut Chain, key: usize, action: RecoveryAction) -> ReceiptStatus {
        c.run_recovery(&self.sovra, self.key(key), action)
    }

    /// Runs `action` as the did:key of `ks[who]`.
    fn by(&self, c: &mut Chain, who: usize, action: RecoveryAction) -> ReceiptStatus {
        c.run_recovery(&did(self.key(who)), self.key(who), action)
    }

    /// Sets up 2-of-3 recovery of the did:sovra with `time_lock_ms`.
    fn set_up(&self, c: &mut Chain, time_lock_ms: u64) {
        let status = self.as_sovra(c, OLD, setup_action(&self.guardians, 2, time_lock_ms));
        assert_eq!(status, ReceiptStatus::Completed);
    }

    /// The new device requests recovery.
    fn request(&self, c: &mut Chain) -> ReceiptStatus {
        self.by(c, NEW, request(&self.sovra))
    }

    /// Guardian `g` approves with share block `share-{g}`.
    fn approve(&self, c: &mut Chain, g: usize) -> ReceiptStatus {
        self.by(c, G[g], approve(&self.sovra, &format!("share-{g}")))
    }

    fn complete(&self, c: &mut Chain, signer: usize, previous_version: u64) -> ReceiptStatus {
        self.by(
            c,
            signer,
            RecoveryAction::Complete {
                did: self.sovra.clone(),
                previous_version,
            },
        )
    }

    /// A transfer of 1 to the stranger signed as the did:sovra with `ks[key]`.
    fn pay_as_sovra(&self, c: &Chain, key: usize) -> SignedTransaction {
        c.pay(&self.sovra, self.key(key), &self.stranger, 1)
    }
}

#[test]
fn setup_is_for_did_sovra_only() {
    let (cast, mut c) = cast();
    // A did:key has no keys recovery could replace.
    let signer = did(cast.key(FUNDER));
    let status = cast.by(&mut c, FUNDER, setup_action(&cast.guardians, 2, 1_000));
    assert_eq!(code(status), "not_recoverable");
    assert!(c.config(&signer).is_none());
    // The did:sovra itself may.
    cast.set_up(&mut c, 60_000);
    let config = c.config(&cast.sovra).unwrap();
    assert_eq!(config.guardians, cast.guardians);
    assert_eq!(config.threshold, 2);
    assert_eq!(config.shares, cid("shares"));
    assert_eq!(config.time_lock_ms, 60_000);
    assert_eq!(config.pending, None);
    let parsed = sovra_crypto::shares::Commitments::from_bytes(&config.commitments).unwrap();
    assert_eq!((parsed.threshold(), parsed.guardians()), (2, 3));
    // A setup may be replaced while nothing is pending.
    let status = cast.as_sovra(&mut c, OLD, setup_action(&cast.guardians[..2], 1, 0));
    assert_eq!(status, ReceiptStatus::Completed);
    let config = c.config(&cast.sovra).unwrap();
    assert_eq!((config.guardians.len(), config.threshold), (2, 1));
}

#[test]
fn setup_checks_guardians_commitments_and_time_lock() {
    let (cast, mut c) = cast();
    let g = &cast.guardians;
    let valid = setup_action(g, 2, 1_000);
    let RecoveryAction::Setup {
        commitments: good, ..
    } = valid.clone()
    else {
        unreachable!()
    };
    let with = |guardians: Vec<Did>, threshold: u8, commitments: Vec<u8>, lock: u64| {
        RecoveryAction::Setup {
            guardians,
            threshold,
            commitments,
            shares: cid("shares"),
            time_lock_ms: lock,
        }
    };
    // The first point made negative (odd low bit): never a valid Ristretto encoding.
    let mut negative = good.clone();
    negative[3] |= 1;
    // The first point replaced by the identity.
    let mut identity_point = good.clone();
    identity_point[3..35].fill(0);
    let cases = [
        // 2-of-3 commitments, but the setup says 3-of-3.
        ("threshold mismatch", with(g.clone(), 3, good.clone(), 0)),
        // 2-of-3 commitments, but the setup says 1-of-3.
        ("lower threshold", with(g.clone(), 1, good.clone(), 0)),
        // 2-of-3 commitments for two guardians.
        ("guardian count", with(g[..2].to_vec(), 2, good.clone(), 0)),
        // 2-of-3 commitments for four guardians.
        (
            "more guardians",
            with(
                [g.clone(), vec![cast.stranger.clone()]].concat(),
                2,
                good.clone(),
                0,
            ),
        ),
        ("duplicate guardian", {
            let dup = vec![g[0].clone(), g[1].clone(), g[0].clone()];
            with(dup, 2, good.clone(), 0)
        }),
        ("identity as its own guardian", {
            let own = vec![g[0].clone(), g[1].clone(), cast.sovra.clone()];
            with(own, 2, good.clone(), 0)
        }),
        (
            "malformed commitments",
            with(g.clone(), 2, vec![1, 2, 3], 0),
        ),
        ("negative point", with(g.clone(), 2, negative, 0)),
        ("identity point", with(g.clone(), 2, identity_point, 0)),
        (
            "missing point",
            with(g.clone(), 2, good[..good.len() - 32].to_vec(), 0),
        ),
        (
            "time lock too long",
            with(g.clone(), 2, good.clone(), MAX_TIME_LOCK_MS + 1),
        ),
    ];
    for (what, action) in cases {
        let status = cast.as_sovra(&mut c, OLD, action);
        assert_eq!(code(status), "invalid_recovery", "{what}");
        assert!(c.config(&cast.sovra).is_none(), "{what}");
    }
    // The shares block must be a replicated (sha2-256) block.
    let status = cast.as_sovra(
        &mut c,
        OLD,
        RecoveryAction::Setup {
            guardians: g.clone(),
            threshold: 2,
            commitments: good.clone(),
            shares: identity_cid(),
            time_lock_ms: 0,
        },
    );
    assert_eq!(code(status), "unsupported_cid");
    assert!(c.config(&cast.sovra).is_none());
    // The longest time lock is fine; so is the untouched setup.
    let status = cast.as_sovra(&mut c, OLD, with(g.clone(), 2, good, MAX_TIME_LOCK_MS));
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(cast.as_sovra(&mut c, OLD, valid), ReceiptStatus::Completed);
}

#[test]
fn a_full_recovery_hands_the_identity_to_the_new_device() {
    let (cast, mut c) = cast();
    let lock = 30_000;
    cast.set_up(&mut c, lock);
    let old_doc = c.did_record(&cast.sovra).unwrap().document;
    let version = c.did_record(&cast.sovra).unwrap().version;
    let sovra_receipts = account(&c.state, &cast.sovra).receipt_count;

    // Nothing to approve, cancel or complete yet.
    assert_eq!(code(cast.approve(&mut c, 0)), "no_pending_recovery");
    assert_eq!(
        code(cast.complete(&mut c, NEW, version)),
        "no_pending_recovery"
    );

    // A request must come from a did:key (the new device), not the identity.
    let status = cast.as_sovra(&mut c, OLD, request(&cast.sovra));
    assert_eq!(code(status), "invalid_recovery");
    assert_eq!(c.pending(&cast.sovra), None);

    // The new device requests: the time lock starts at the block time.
    let requested = c.next_ms();
    let outcome = c.run_all(
        &cast.device,
        cast.key(NEW),
        vec![Action::Recovery(request(&cast.sovra))],
    );
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    // The identity is a party: its receipt chain shows the request.
    assert!(outcome.entries.iter().any(|(d, _)| d == &cast.sovra));
    let pending = c.pending(&cast.sovra).unwrap();
    assert_eq!(
        pending,
        PendingRecovery {
            new_controller: cast.device.clone(),
            requested_ms: requested,
            unlock_ms: requested + lock,
            approvals: Vec::new(),
        }
    );
    // The rest of the setup is unchanged.
    let config = c.config(&cast.sovra).unwrap();
    assert_eq!(
        (config.guardians.clone(), config.threshold),
        (cast.guardians.clone(), 2)
    );

    // A second request, by anyone, is refused while one is pending.
    assert_eq!(code(cast.request(&mut c)), "recovery_pending");
    let status = cast.by(&mut c, STRANGER, request(&cast.sovra));
    assert_eq!(code(status), "recovery_pending");
    assert_eq!(c.pending(&cast.sovra).unwrap(), pending);
    // And the guardians cannot be changed meanwhile.
    let status = cast.as_sovra(&mut c, OLD, setup_action(&cast.guardians, 1, 0));
    assert_eq!(code(status), "recovery_pending");
    assert_eq!(c.config(&cast.sovra).unwrap(), config);

    // Only guardians approve, each once, with a sha2-256 block.
    let status = cast.by(&mut c, STRANGER, approve(&cast.sovra, "share-x"));
    assert_eq!(code(status), "not_guardian");
    let status = cast.by(&mut c, NEW, approve(&cast.sovra, "share-x"));
    assert_eq!(code(status), "not_guardian");
    let status = cast.by(
        &mut c,
        G[0],
        RecoveryAction::Approve {
            did: cast.sovra.clone(),
            share: identity_cid(),
        },
    );
    assert_eq!(code(status), "unsupported_cid");
    assert!(c.pending(&cast.sovra).unwrap().approvals.is_empty());
    assert_eq!(cast.approve(&mut c, 0), ReceiptStatus::Completed);
    let before = c.raw_config(&cast.sovra);
    assert_eq!(code(cast.approve(&mut c, 0)), "already_approved");
    assert_eq!(c.raw_config(&cast.sovra), before);
    let approvals = c.pending(&cast.sovra).unwrap().approvals;
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        (&approvals[0].guardian, &approvals[0].share),
        (&cast.guardians[0], &cid("share-0"))
    );

    // One approval of two: not enough, even for the new device.
    assert_eq!(
        code(cast.complete(&mut c, NEW, version)),
        "not_enough_approvals"
    );
    assert_eq!(cast.approve(&mut c, 2), ReceiptStatus::Completed);
    assert_eq!(c.pending(&cast.sovra).unwrap().approvals.len(), 2);

    // Only the new device may complete.
    assert_eq!(
        code(cast.complete(&mut c, STRANGER, version)),
        "not_new_controller"
    );
    assert_eq!(
        code(cast.complete(&mut c, G[0], version)),
        "not_new_controller"
    );
    // A third approval after the threshold is still accepted.
    assert_eq!(cast.approve(&mut c, 1), ReceiptStatus::Completed);
    let pending = c.pending(&cast.sovra).unwrap();
    assert_eq!(pending.approvals.len(), 3);
    assert_eq!(c.did_record(&cast.sovra).unwrap().document, old_doc);
    // Not before the time lock ends: the last millisecond is still locked.
    assert!(c.next_ms() < requested + lock);
    assert_eq!(code(cast.complete(&mut c, NEW, version)), "time_locked");
    c.set_next_ms(requested + lock - 1);
    assert_eq!(code(cast.complete(&mut c, NEW, version)), "time_locked");

    // At the end of the lock, with the wrong document version: a conflict, nothing changes.
    c.set_next_ms(requested + lock);
    assert_eq!(
        code(cast.complete(&mut c, NEW, version + 1)),
        "version_conflict"
    );
    assert_eq!(c.pending(&cast.sovra).unwrap(), pending);
    assert_eq!(c.did_record(&cast.sovra).unwrap().version, version);

    // The old key still signs for the identity until the recovery completes.
    let old = cast.pay_as_sovra(&c, OLD);
    assert_eq!(c.exec(old).unwrap().status, ReceiptStatus::Completed);

    // Completion.
    let before = account(&c.state, &cast.sovra).receipt_count;
    let status = cast.complete(&mut c, NEW, version);
    assert_eq!(status, ReceiptStatus::Completed);
    assert!(account(&c.state, &cast.sovra).receipt_count > before);
    assert!(account(&c.state, &cast.sovra).receipt_count > sovra_receipts);
    let record = c.did_record(&cast.sovra).unwrap();
    assert_eq!(record.version, version + 1);
    assert!(!record.deactivated);
    assert_eq!(record.updated_height, c.height);
    // The keys are exactly the new device key (and its key-agreement key),
    // under ids no earlier version used (numbered after the new version) ...
    assert_eq!(
        record.document.methods,
        methods_for_key(&raw(cast.key(NEW)), (version + 1) as usize).unwrap()
    );
    assert!(
        record
            .document
            .has_key(Relationship::CapabilityInvocation, &raw(cast.key(NEW)))
    );
    assert!(
        !record
            .document
            .methods
            .iter()
            .any(|m| m.public_key == raw(cast.key(OLD)))
    );
    // ... and services and alsoKnownAs are kept.
    assert_eq!(record.document.services, old_doc.services);
    // Controllers are removed: a lost key may be one of them.
    assert!(record.document.controllers.is_empty());
    assert_eq!(record.document.also_known_as, old_doc.also_known_as);
    // The previous version stays readable as it was.
    let previous = c.did_version(&cast.sovra, version).unwrap();
    assert_eq!(previous.document, old_doc);
    // The recovery is over; the guardians stay.
    let config = c.config(&cast.sovra).unwrap();
    assert_eq!(config.pending, None);
    assert_eq!(config.guardians, cast.guardians);
    assert_eq!(
        code(cast.complete(&mut c, NEW, version + 1)),
        "no_pending_recovery"
    );

    // The old key can no longer sign for the identity ...
    let old = cast.pay_as_sovra(&c, OLD);
    assert!(matches!(
        identity::check_signer_key(&old, Some(&record)),
        Err(Rejection::BadSignature(_))
    ));
    assert!(matches!(rejection(c.exec(old)), Rejection::BadSignature(_)));
    // ... the new one can.
    let new = cast.pay_as_sovra(&c, NEW);
    assert_eq!(identity::check_signer_key(&new, Some(&record)), Ok(()));
    assert_eq!(c.exec(new).unwrap().status, ReceiptStatus::Completed);
    // And the new key may set up recovery again.
    let status = cast.as_sovra(&mut c, NEW, setup_action(&cast.guardians, 3, 0));
    assert_eq!(status, ReceiptStatus::Completed);
}

#[test]
fn recovery_gives_the_new_key_an_id_no_version_used() {
    let (cast, mut c) = cast();
    // Version 2 adds a second key as `key-2` (as `sovra did update` would
    // number it), version 3 removes it: the current document's highest key
    // id is `key-1` again.
    let mut with_two = c.did_record(&cast.sovra).unwrap().document;
    let mut second = with_two.methods[0].clone();
    second.id = "key-2".into();
    second.public_key = raw(cast.key(STRANGER));
    with_two.methods.push(second);
    let without = c.did_record(&cast.sovra).unwrap().document;
    for (version, document) in [(1, with_two), (2, without)] {
        let receipt = c.run_all(
            &cast.sovra,
            cast.key(OLD),
            vec![Action::Identity(IdentityAction::Update {
                did: cast.sovra.clone(),
                previous_version: version,
                document,
            })],
        );
        assert_eq!(receipt.status, ReceiptStatus::Completed);
    }
    cast.set_up(&mut c, 0);
    assert_eq!(cast.request(&mut c), ReceiptStatus::Completed);
    assert_eq!(cast.approve(&mut c, 0), ReceiptStatus::Completed);
    assert_eq!(cast.approve(&mut c, 1), ReceiptStatus::Completed);
    let version = c.did_record(&cast.sovra).unwrap().version;
    assert_eq!(
        cast.complete(&mut c, NEW, version),
        ReceiptStatus::Completed
    );
    assert_eq!(
        c.did_record(&cast.sovra).unwrap().document.methods,
        // Version 4, numbered after the versions: neither `key-1` (the lost
        // key's) nor `key-2`.
        methods_for_key(&raw(cast.key(NEW)), 4).unwrap()
    );
}

#[test]
fn the_identity_or_a_guardian_cancels_a_pending_recovery_and_no_one_else() {
    let (cast, mut c) = cast();
    cast.set_up(&mut c, 0);
    let version = c.did_record(&cast.sovra).unwrap().version;
    assert_eq!(
        code(cast.as_sovra(&mut c, OLD, cancel(&cast.sovra))),
        "no_pending_recovery"
    );
    let setup = c.config(&cast.sovra).unwrap();
    assert_eq!(cast.request(&mut c), ReceiptStatus::Completed);
    assert_eq!(cast.approve(&mut c, 0), ReceiptStatus::Completed);
    assert_eq!(cast.approve(&mut c, 1), ReceiptStatus::Completed);
    let pending = c.raw_config(&cast.sovra);

    // Neither the new device, a stranger nor the old key as a did:key may cancel.
    for who in [NEW, STRANGER, OLD] {
        let status = cast.by(&mut c, who, cancel(&cast.sovra));
        assert_eq!(code(status), "not_owner", "key {who}");
        assert_eq!(c.raw_config(&cast.sovra), pending);
    }

    // The identity cancels: the setup is as it was before the request.
    let status = cast.as_sovra(&mut c, OLD, cancel(&cast.sovra));
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(c.config(&cast.sovra).unwrap(), setup);
    // The recovery cannot go on ...
    assert_eq!(
        code(cast.complete(&mut c, NEW, version)),
        "no_pending_recovery"
    );
    assert_eq!(code(cast.approve(&mut c, 2)), "no_pending_recovery");
    let status = cast.as_sovra(&mut c, OLD, cancel(&cast.sovra));
    assert_eq!(code(status), "no_pending_recovery");
    assert_eq!(c.did_record(&cast.sovra).unwrap().version, version);
    // ... and a new request starts over, without the earlier approvals.
    assert_eq!(cast.request(&mut c), ReceiptStatus::Completed);
    assert!(c.pending(&cast.sovra).unwrap().approvals.is_empty());
    assert_eq!(
        code(cast.complete(&mut c, NEW, version)),
        "not_enough_approvals"
    );
    // Setup is refused while it is pending.
    let status = cast.as_sovra(&mut c, OLD, setup_action(&cast.guardians, 3, 0));
    assert_eq!(code(status), "recovery_pending");
    // A guardian may cancel a request (one filed by a stranger would otherwise block an
    // owner who has lost every key).
    let status = cast.by(&mut c, G[0], cancel(&cast.sovra));
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(c.config(&cast.sovra).unwrap(), setup);
}

#[test]
fn requests_need_a_setup() {
    let (cast, mut c) = cast();
    assert_eq!(code(cast.request(&mut c)), "no_recovery_setup");
    assert!(c.config(&cast.sovra).is_none());
    let status = cast.by(&mut c, G[0], approve(&cast.sovra, "share"));
    assert_eq!(code(status), "no_recovery_setup");
    assert_eq!(
        code(cast.as_sovra(&mut c, OLD, cancel(&cast.sovra))),
        "no_recovery_setup"
    );
    assert!(c.config(&cast.sovra).is_none());
}

#[test]
fn a_failed_recovery_action_undoes_the_whole_transaction() {
    let (cast, mut c) = cast();
    // A valid setup followed by a failing one: no setup is stored.
    let outcome = c.run_all(
        &cast.sovra,
        cast.key(OLD),
        vec![
            Action::Recovery(setup_action(&cast.guardians, 2, 0)),
            Action::Recovery(cancel(&cast.sovra)),
        ],
    );
    assert_eq!(code(outcome.status), "no_pending_recovery");
    assert!(c.config(&cast.sovra).is_none());
    cast.set_up(&mut c, 0);
    // A request and a failing approval (by the requester) in one transaction: nothing pending.
    let outcome = c.run_all(
        &cast.device,
        cast.key(NEW),
        vec![
            Action::Recovery(request(&cast.sovra)),
            Action::Recovery(approve(&cast.sovra, "share")),
        ],
    );
    assert_eq!(code(outcome.status), "not_guardian");
    assert_eq!(c.pending(&cast.sovra), None);
}

#[test]
fn a_deactivated_identity_cannot_be_recovered() {
    let (cast, mut c) = cast();
    cast.set_up(&mut c, 0);
    assert_eq!(cast.request(&mut c), ReceiptStatus::Completed);
    assert_eq!(cast.approve(&mut c, 0), ReceiptStatus::Completed);
    assert_eq!(cast.approve(&mut c, 1), ReceiptStatus::Completed);
    // The controller deactivates the identity while the recovery is pending.
    let version = c.did_record(&cast.sovra).unwrap().version;
    let controller_key = &cast.ks[OLD];
    let status = c
        .run_all(
            &cast.sovra,
            controller_key,
            vec![Action::Identity(IdentityAction::Deactivate {
                did: cast.sovra.clone(),
                previous_version: version,
            })],
        )
        .status;
    assert_eq!(status, ReceiptStatus::Completed);
    assert_eq!(
        code(cast.complete(&mut c, NEW, version + 1)),
        "did_deactivated"
    );
    let record = c.did_record(&cast.sovra).unwrap();
    assert!(record.deactivated);
    assert!(
        !record
            .document
            .has_key(Relationship::CapabilityInvocation, &raw(cast.key(NEW)))
    );
}
