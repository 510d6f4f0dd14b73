//! The assets area: a class by name, one token with what it holds, an issuer's classes, and
//! what a holder holds (positive balances and open locks only), each read from state; bad DIDs,
//! class names and token ids are 400s.

use crate::support::{Harness, identity};
use sovra_types::{
    AssetClass, AssetClassId, AssetKind, Bundle, ClassFlags, ClassTerms, ContentId, Did,
    HolderBalance, LockSchedule, StateKey, TokenLock, TokenRecord, TokenRef,
};

fn gold(issuer: &Did) -> AssetClassId {
    AssetClassId {
        issuer: issuer.clone(),
        name: "GOLD".into(),
    }
}

/// Issuer 1's class GOLD (supply 1,000 of a 5,000 cap), holder 2 with 700 of it, a zero balance
/// of another class, one open lock of 300 and one released lock (gone from state).
fn setup(h: &Harness) -> (Did, Did) {
    let (_, issuer) = identity(1);
    let (_, holder) = identity(2);
    let class = gold(&issuer);
    let spent = AssetClassId {
        issuer: issuer.clone(),
        name: "SPENT".into(),
    };
    for (id, supply) in [(&class, 1_000u128), (&spent, 0)] {
        h.backend.put_state(
            StateKey::AssetClass(id.clone()),
            AssetClass {
                terms: ClassTerms {
                    kind: AssetKind::Fungible,
                    symbol: "GLD".into(),
                    title: "Gold".into(),
                    decimals: 2,
                    max_supply: Some(5_000),
                    flags: ClassFlags(ClassFlags::TRANSFERABLE),
                    metadata: None,
                },
                mint_authority: Some(issuer.clone()),
                supply,
            },
        );
    }
    h.backend.put_state(
        StateKey::AssetBalance {
            class: class.clone(),
            token: 0,
            holder: holder.clone(),
        },
        HolderBalance {
            amount: 700,
            frozen: false,
        },
    );
    h.backend.put_state(
        StateKey::AssetLock {
            class: class.clone(),
            holder: holder.clone(),
            id: 7,
        },
        TokenLock {
            token: 0,
            from: issuer.clone(),
            amount: 300,
            released: 0,
            schedule: LockSchedule {
                start_ms: 1_000,
                cliff_ms: 2_000,
                end_ms: 3_000,
            },
        },
    );
    let mut index = h.backend.asset_index.lock().unwrap();
    index.classes = vec![class.clone(), spent.clone()];
    index.holdings = vec![
        (holder.clone(), class.clone(), 0),
        (holder.clone(), spent, 0),
    ];
    index.locks = vec![
        (holder.clone(), class.clone(), 7),
        (holder.clone(), class, 8),
    ];
    (issuer, holder)
}

pub(crate) async fn class_view(h: &Harness) {
    let (issuer, _) = setup(h);
    let v = h
        .get(&format!("/v1/assets/classes/{issuer}/GOLD"))
        .await
        .ok_json(200);
    assert_eq!(v["class"], format!("{issuer}/GOLD"));
    assert_eq!(v["kind"], "fungible");
    assert_eq!(v["supply"], "1000");
    assert_eq!(v["max_supply"], "5000");
    assert_eq!(v["flags"], serde_json::json!(["transferable"]));
    assert_eq!(v["mint_authority"], issuer.as_str());
    h.get(&format!("/v1/assets/classes/{issuer}/SILVER"))
        .await
        .error(404, "not_found");
    h.get(&format!("/v1/assets/classes/{issuer}/bad%20name"))
        .await
        .error(400, "invalid_class");
    h.get("/v1/assets/classes/not-a-did/GOLD")
        .await
        .error(400, "invalid_did");
}

/// Token 1 of the collection ART holds 25 GOLD and token 2 (nested); token 3 is burned.
pub(crate) async fn token_view(h: &Harness) {
    let (issuer, holder) = setup(h);
    let art = AssetClassId {
        issuer: issuer.clone(),
        name: "ART".into(),
    };
    h.backend.put_state(
        StateKey::AssetClass(art.clone()),
        AssetClass {
            terms: ClassTerms {
                kind: AssetKind::NonFungible,
                symbol: "ART".into(),
                title: "Art".into(),
                decimals: 0,
                max_supply: None,
                flags: ClassFlags(ClassFlags::TRANSFERABLE),
                metadata: None,
            },
            mint_authority: Some(issuer.clone()),
            supply: 2,
        },
    );
    let metadata = ContentId::raw_sha256(b"chest");
    for (token, owner, supply) in [(1, Some(holder.clone()), 1u128), (2, None, 1), (3, None, 0)] {
        h.backend.put_state(
            StateKey::AssetToken {
                class: art.clone(),
                token,
            },
            TokenRecord {
                owner,
                supply,
                metadata: Some(metadata.clone()),
            },
        );
    }
    let mut bundle = Bundle::default();
    bundle
        .add(
            &TokenRef {
                class: gold(&issuer),
                token: 0,
            },
            25,
        )
        .unwrap();
    bundle
        .add(
            &TokenRef {
                class: art.clone(),
                token: 2,
            },
            1,
        )
        .unwrap();
    h.backend.put_state(
        StateKey::AssetBundle {
            class: art.clone(),
            token: 1,
        },
        bundle,
    );
    let v = h
        .get(&format!("/v1/assets/classes/{issuer}/ART/tokens/1"))
        .await
        .ok_json(200);
    assert_eq!(v["status"], "owned");
    assert_eq!(v["owner"], holder.as_str());
    assert_eq!(v["metadata"], metadata.to_string());
    assert_eq!(
        v["bundle"],
        serde_json::json!([
            {"class": format!("{issuer}/ART"), "token": 2, "amount": "1"},
            {"class": format!("{issuer}/GOLD"), "token": 0, "amount": "25"},
        ])
    );
    for (token, status) in [(2, "nested"), (3, "burned")] {
        let v = h
            .get(&format!("/v1/assets/classes/{issuer}/ART/tokens/{token}"))
            .await
            .ok_json(200);
        assert_eq!(v["status"], status);
        assert!(v["owner"].is_null());
        assert_eq!(v["bundle"], serde_json::json!([]));
    }
    h.get(&format!("/v1/assets/classes/{issuer}/ART/tokens/4"))
        .await
        .error(404, "not_found");
    h.get(&format!("/v1/assets/classes/{issuer}/NOPE/tokens/1"))
        .await
        .error(404, "not_found");
    h.get(&format!("/v1/assets/classes/{issuer}/ART/tokens/-1"))
        .await
        .error(400, "invalid_token");
}

pub(crate) async fn issuer_classes(h: &Harness) {
    let (issuer, holder) = setup(h);
    let v = h
        .get(&format!("/v1/assets/issuers/{issuer}/classes"))
        .await
        .ok_json(200);
    assert_eq!(v["issuer"], issuer.as_str());
    assert_eq!(v["classes"].as_array().unwrap().len(), 2);
    assert_eq!(v["classes"][0]["class"], format!("{issuer}/GOLD"));
    let v = h
        .get(&format!("/v1/assets/issuers/{issuer}/classes?limit=1"))
        .await
        .ok_json(200);
    assert_eq!(v["classes"].as_array().unwrap().len(), 1);
    let v = h
        .get(&format!("/v1/assets/issuers/{holder}/classes"))
        .await
        .ok_json(200);
    assert!(v["classes"].as_array().unwrap().is_empty());
    h.get("/v1/assets/issuers/nobody/classes")
        .await
        .error(400, "invalid_did");
}

pub(crate) async fn holdings(h: &Harness) {
    let (issuer, holder) = setup(h);
    let v = h
        .get(&format!("/v1/assets/holders/{holder}"))
        .await
        .ok_json(200);
    // The zero balance and the released lock are left out.
    assert_eq!(
        v["holdings"],
        serde_json::json!([{"class": format!("{issuer}/GOLD"), "token": 0, "balance": "700"}])
    );
    let locks = v["locks"].as_array().unwrap();
    assert_eq!(locks.len(), 1, "{v}");
    assert_eq!(locks[0]["id"], 7);
    assert_eq!(locks[0]["amount"], "300");
    assert_eq!(locks[0]["from"], issuer.as_str());
    h.get("/v1/assets/holders/did:key:nope")
        .await
        .error(400, "invalid_did");
}
