//! The recovery area: the public setup, the shares block for guardians only, and each
//! approval for the pending recovery's new controller only, each read from its uploader's
//! namespace.

use crate::support::{Harness, identity};
use sovra_types::{
    ContentId, Did, RecoveryConfig, StateKey,
    recovery::{Approval, PendingRecovery},
};

/// The identity of seed 1 with guardians 2 and 3, a pending recovery to seed 4 approved by
/// guardian 2; the shares block in the identity's namespace, the approval in guardian 2's.
fn setup(h: &Harness, pending: bool) -> (Did, Vec<u8>, Vec<u8>) {
    let (_, did) = identity(1);
    let shares = b"sealed shares".to_vec();
    let approval = b"approval share".to_vec();
    let shares_cid = sovra_cas::raw_cid(&shares);
    let approval_cid = sovra_cas::raw_cid(&approval);
    h.backend
        .namespace(&did)
        .put_all(vec![(shares_cid, shares.clone())]);
    h.backend
        .namespace(&identity(2).1)
        .put_all(vec![(approval_cid, approval.clone())]);
    h.backend.put_state(
        StateKey::Recovery(did.clone()),
        RecoveryConfig {
            guardians: vec![identity(2).1, identity(3).1],
            threshold: 2,
            commitments: vec![7; 64],
            shares: ContentId::new(shares_cid),
            time_lock_ms: 60_000,
            pending: pending.then(|| PendingRecovery {
                new_controller: identity(4).1,
                requested_ms: 1_000,
                unlock_ms: 61_000,
                approvals: vec![Approval {
                    guardian: identity(2).1,
                    share: ContentId::new(approval_cid),
                }],
            }),
        },
    );
    (did, shares, approval)
}

pub(crate) async fn setup_view(h: &Harness) {
    let (did, _, _) = setup(h, true);
    let v = h.get(&format!("/v1/recovery/{did}")).await.ok_json(200);
    assert_eq!(v["guardians"][1], identity(3).1.as_str());
    assert_eq!(v["threshold"], 2);
    assert_eq!(v["commitments"], "07".repeat(64));
    assert_eq!(v["pending"]["new_controller"], identity(4).1.as_str());
    assert_eq!(
        v["pending"]["approvals"][0]["guardian"],
        identity(2).1.as_str()
    );
    h.get(&format!("/v1/recovery/{}", identity(9).1))
        .await
        .error(404, "not_found");
    h.get("/v1/recovery/nobody").await.error(400, "invalid_did");
}

pub(crate) async fn shares(h: &Harness) {
    let (did, shares, _) = setup(h, false);
    let uri = format!("/v1/recovery/{did}/shares");
    // The DID is checked before the caller.
    h.get("/v1/recovery/nobody/shares")
        .await
        .error(400, "invalid_did");
    h.get(&uri).await.error(401, "unauthorized");
    for seed in [2, 3] {
        let a = h.get_as(&uri, &h.token_for(&identity(seed).1)).await;
        assert_eq!((a.status.as_u16(), &a.body), (200, &shares));
        assert_eq!(a.header("cache-control"), "no-store");
    }
    for seed in [1, 4] {
        h.get_as(&uri, &h.token_for(&identity(seed).1))
            .await
            .error(403, "forbidden");
    }
    h.get_as(
        &format!("/v1/recovery/{}/shares", identity(9).1),
        &h.token_for(&identity(2).1),
    )
    .await
    .error(404, "not_found");
}

pub(crate) async fn approval(h: &Harness) {
    let (did, _, approval) = setup(h, false);
    let guardian = identity(2).1;
    let uri = format!("/v1/recovery/{did}/approvals/{guardian}");
    let new_device = h.token_for(&identity(4).1);
    // No recovery pending yet.
    h.get_as(&uri, &new_device).await.error(404, "not_found");
    setup(h, true);
    h.get(&uri).await.error(401, "unauthorized");
    let a = h.get_as(&uri, &new_device).await;
    assert_eq!((a.status.as_u16(), &a.body), (200, &approval));
    for seed in [1, 2, 3] {
        h.get_as(&uri, &h.token_for(&identity(seed).1))
            .await
            .error(403, "forbidden");
    }
    // A guardian that has not approved.
    h.get_as(
        &format!("/v1/recovery/{did}/approvals/{}", identity(3).1),
        &new_device,
    )
    .await
    .error(404, "not_found");
    h.get_as(&format!("/v1/recovery/{did}/approvals/nobody"), &new_device)
        .await
        .error(400, "invalid_did");
    // The approval is read from the guardian's namespace only.
    h.backend
        .namespace(&guardian)
        .remove(&sovra_cas::raw_cid(&approval));
    h.backend
        .namespace(&did)
        .put_all(vec![(sovra_cas::raw_cid(&approval), approval.clone())]);
    h.get_as(&uri, &new_device).await.error(503, "unavailable");
}
