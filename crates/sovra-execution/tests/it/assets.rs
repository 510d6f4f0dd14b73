//! Execution of native assets (`Action::Assets`): classes of every kind, minting within caps and
//! authority, burning by the flags' rules, transfers and allowances, soulbound classes,
//! freezing, vesting locks, receipts for both sides, and the supply invariant (a class's supply
//! is its balances plus what its locks still hold) under random sequences of actions.

use crate::common::{Chain, did};
use proptest::prelude::*;
use sovra_crypto::SigningKey;
use sovra_types::{
    Action, AssetClass, AssetClassId, AssetKind, AssetsAction, Bundle, ClassFlags, ClassTerms, Did,
    HolderBalance, IdentityAction, LockSchedule, ReceiptStatus, StateKey, TokenLock, TokenRecord,
    TokenRef, assets::lock_id,
};

/// Asset conveniences.
impl Chain {
    fn assets(&mut self, key: &SigningKey, action: AssetsAction) -> ReceiptStatus {
        self.run_key(key, vec![Action::Assets(action)]).status
    }

    fn class(&self, id: &AssetClassId) -> Option<AssetClass> {
        self.state
            .values
            .get(&StateKey::AssetClass(id.clone()))
            .map(|b| AssetClass::decode(b).unwrap())
    }

    fn balance(&self, id: &AssetClassId, token: u64, holder: &Did) -> u128 {
        self.state
            .values
            .get(&StateKey::AssetBalance {
                class: id.clone(),
                token,
                holder: holder.clone(),
            })
            .map(|b| HolderBalance::decode(b).unwrap().amount)
            .unwrap_or(0)
    }

    fn token(&self, id: &AssetClassId, token: u64) -> Option<TokenRecord> {
        self.state
            .values
            .get(&StateKey::AssetToken {
                class: id.clone(),
                token,
            })
            .map(|b| TokenRecord::decode(b).unwrap())
    }

    fn lock(&self, id: &AssetClassId, holder: &Did, lock: u64) -> Option<TokenLock> {
        self.state
            .values
            .get(&StateKey::AssetLock {
                class: id.clone(),
                holder: holder.clone(),
                id: lock,
            })
            .map(|b| TokenLock::decode(b).unwrap())
    }

    /// No lock has released more than its schedule had vested by the last block: locked tokens
    /// never move before their time.
    fn check_locks(&self) {
        for (key, value) in &self.state.values {
            if let StateKey::AssetLock { .. } = key {
                let lock = TokenLock::decode(value).unwrap();
                let vested = lock.schedule.vested(lock.amount, self.now_ms);
                assert!(
                    lock.released <= vested,
                    "{key}: released {} of {} with {vested} vested at {}",
                    lock.released,
                    lock.amount,
                    self.now_ms
                );
            }
        }
    }

    fn bundle(&self, parent: &TokenRef) -> Bundle {
        self.state
            .values
            .get(&StateKey::AssetBundle {
                class: parent.class.clone(),
                token: parent.token,
            })
            .map(|b| Bundle::decode(b).unwrap())
            .unwrap_or_default()
    }

    /// Every live non-fungible token is in exactly one place: owned (its owner's balance is 1)
    /// or in exactly one bundle; and no token holds itself, directly or through its contents.
    fn check_bundles(&self) {
        let mut inside: std::collections::BTreeMap<TokenRef, Vec<TokenRef>> = Default::default();
        for (key, value) in &self.state.values {
            if let StateKey::AssetBundle { class, token } = key {
                let parent = TokenRef {
                    class: class.clone(),
                    token: *token,
                };
                assert!(self.token(class, *token).is_some(), "a bundle of no token");
                for (item, _) in Bundle::decode(value).unwrap().items {
                    inside.entry(item).or_default().push(parent.clone());
                }
            }
        }
        for (key, value) in &self.state.values {
            let StateKey::AssetToken { class, token } = key else {
                continue;
            };
            let kind = self.class(class).unwrap().terms.kind;
            let record = TokenRecord::decode(value).unwrap();
            if kind != AssetKind::NonFungible || record.supply == 0 {
                continue;
            }
            let me = TokenRef {
                class: class.clone(),
                token: *token,
            };
            let parents = inside.get(&me).map(Vec::len).unwrap_or(0);
            match &record.owner {
                Some(owner) => {
                    assert_eq!(
                        self.balance(class, *token, owner),
                        1,
                        "{me} owner's balance"
                    );
                    assert_eq!(parents, 0, "{me} is owned and in a bundle");
                }
                None => assert_eq!(parents, 1, "{me} has no owner and is in {parents} bundles"),
            }
            // Walk up: an ownerless token's holder is its one parent; the walk ends at an
            // owned token and never comes back to where it started.
            let mut at = me.clone();
            for _ in 0..64 {
                match inside.get(&at) {
                    Some(p) => {
                        at = p[0].clone();
                        assert_ne!(at, me, "{me} is inside itself");
                    }
                    None => break,
                }
            }
        }
    }

    /// Every class's supply equals its balances plus what its locks and bundles hold.
    fn check_supplies(&self) {
        let mut held: std::collections::BTreeMap<AssetClassId, u128> = Default::default();
        for (key, value) in &self.state.values {
            match key {
                StateKey::AssetBalance { class, .. } => {
                    *held.entry(class.clone()).or_default() +=
                        HolderBalance::decode(value).unwrap().amount;
                }
                StateKey::AssetLock { class, .. } => {
                    *held.entry(class.clone()).or_default() +=
                        TokenLock::decode(value).unwrap().remaining();
                }
                StateKey::AssetBundle { .. } => {
                    for (item, amount) in Bundle::decode(value).unwrap().items {
                        *held.entry(item.class).or_default() += amount;
                    }
                }
                _ => {}
            }
        }
        for (key, value) in &self.state.values {
            if let StateKey::AssetClass(id) = key {
                let class = AssetClass::decode(value).unwrap();
                assert_eq!(
                    class.supply,
                    held.get(id).copied().unwrap_or(0),
                    "supply of {id}"
                );
                if let Some(max) = class.terms.max_supply {
                    assert!(class.supply <= max);
                }
            }
        }
    }
}

fn terms(kind: AssetKind, flags: u8, max_supply: Option<u128>) -> ClassTerms {
    ClassTerms {
        kind,
        symbol: "TKN".into(),
        title: "Token".into(),
        decimals: if kind == AssetKind::Fungible { 6 } else { 0 },
        max_supply,
        flags: ClassFlags(flags),
        metadata: None,
    }
}

fn create(name: &str, terms: ClassTerms) -> AssetsAction {
    AssetsAction::Create {
        name: name.into(),
        terms,
    }
}

fn class_of(issuer: &SigningKey, name: &str) -> AssetClassId {
    AssetClassId {
        issuer: did(issuer),
        name: name.into(),
    }
}

fn mint(class: &AssetClassId, token: u64, to: &Did, amount: u128) -> AssetsAction {
    AssetsAction::Mint {
        class: class.clone(),
        token,
        to: to.clone(),
        amount,
        metadata: None,
    }
}

fn send(class: &AssetClassId, token: u64, to: &Did, amount: u128) -> AssetsAction {
    AssetsAction::Transfer {
        class: class.clone(),
        token,
        to: to.clone(),
        amount,
    }
}

const OPEN: u8 = ClassFlags::TRANSFERABLE | ClassFlags::HOLDER_BURNABLE;

#[test]
fn fungible_tokens_mint_move_and_burn_within_their_rules() {
    let (k, mut c) = Chain::new(&[1_000, 1_000, 1_000]);
    let (a, b, e) = (did(&k[0]), did(&k[1]), did(&k[2]));
    let gold = class_of(&k[0], "GOLD");
    c.ok(
        &k[0],
        create("GOLD", terms(AssetKind::Fungible, OPEN, Some(1_000))),
    );
    assert_eq!(
        c.fails(
            &k[0],
            create("GOLD", terms(AssetKind::Fungible, OPEN, None))
        ),
        "class_exists"
    );
    // Another identity's class of the same name is its own: nobody creates in A's name.
    c.ok(&k[1], create("GOLD", terms(AssetKind::Fungible, 0, None)));
    assert_eq!(c.class(&gold).unwrap().terms.flags.0, OPEN);

    c.ok(&k[0], mint(&gold, 0, &b, 600));
    assert_eq!(c.fails(&k[1], mint(&gold, 0, &b, 1)), "not_mint_authority");
    assert_eq!(
        c.fails(&k[0], mint(&gold, 0, &b, 401)),
        "max_supply_exceeded"
    );
    assert_eq!(c.fails(&k[0], mint(&gold, 1, &b, 1)), "unknown_token");
    c.ok(&k[0], mint(&gold, 0, &a, 400));
    assert_eq!(c.class(&gold).unwrap().supply, 1_000);

    c.ok(&k[1], send(&gold, 0, &e, 250));
    assert_eq!(
        (c.balance(&gold, 0, &b), c.balance(&gold, 0, &e)),
        (350, 250)
    );
    assert_eq!(
        c.fails(&k[1], send(&gold, 0, &e, 351)),
        "insufficient_balance"
    );
    // A did:sovra that does not exist could never spend what it receives.
    let nobody = Did::sovra(&[3; 16]);
    assert_eq!(
        c.fails(&k[1], send(&gold, 0, &nobody, 1)),
        "unknown_recipient"
    );

    // Allowances: E may move 100 of B's; each use spends it.
    c.ok(
        &k[1],
        AssetsAction::Approve {
            class: gold.clone(),
            spender: e.clone(),
            amount: 100,
        },
    );
    let pull = |amount| AssetsAction::TransferFrom {
        class: gold.clone(),
        token: 0,
        from: b.clone(),
        to: a.clone(),
        amount,
    };
    c.ok(&k[2], pull(60));
    assert_eq!(c.fails(&k[2], pull(41)), "insufficient_allowance");
    c.ok(&k[2], pull(40));
    assert_eq!(c.fails(&k[2], pull(1)), "insufficient_allowance");
    assert_eq!(c.balance(&gold, 0, &a), 500);
    assert_eq!(c.balance(&gold, 0, &b), 250);

    // Holders burn their own (holder-burnable); the issuer may not burn others' (not
    // issuer-burnable); the supply follows.
    let burn = |holder: &Did, amount| AssetsAction::Burn {
        class: gold.clone(),
        token: 0,
        holder: holder.clone(),
        amount,
    };
    c.ok(&k[1], burn(&b, 50));
    assert_eq!(c.fails(&k[0], burn(&b, 1)), "not_burnable");
    assert_eq!(c.class(&gold).unwrap().supply, 950);
    // The burned room can be minted again, up to the cap.
    c.ok(&k[0], mint(&gold, 0, &a, 50));
    assert_eq!(c.fails(&k[0], mint(&gold, 0, &a, 1)), "max_supply_exceeded");

    // Closing minting is for good.
    c.ok(
        &k[0],
        AssetsAction::SetMintAuthority {
            class: gold.clone(),
            authority: None,
        },
    );
    c.ok(&k[0], burn(&a, 10));
    assert_eq!(c.fails(&k[0], mint(&gold, 0, &a, 1)), "minting_closed");
    assert_eq!(
        c.fails(
            &k[0],
            AssetsAction::SetMintAuthority {
                class: gold.clone(),
                authority: Some(a.clone()),
            }
        ),
        "minting_closed"
    );
    c.check_supplies();
}

#[test]
fn amounts_never_wrap() {
    let (k, mut c) = Chain::new(&[1_000, 1_000]);
    let b = did(&k[1]);
    let big = class_of(&k[0], "BIG");
    c.ok(&k[0], create("BIG", terms(AssetKind::Fungible, OPEN, None)));
    c.ok(&k[0], mint(&big, 0, &b, u128::MAX));
    assert_eq!(
        c.fails(&k[0], mint(&big, 0, &did(&k[0]), 1)),
        "supply_overflow"
    );
    assert_eq!(c.class(&big).unwrap().supply, u128::MAX);
    c.check_supplies();
    assert_eq!(c.fails(&k[0], mint(&big, 0, &b, 0)), "zero_amount");
}

#[test]
fn soulbound_tokens_stay_with_their_holder_unless_the_issuer_revokes_them() {
    let (k, mut c) = Chain::new(&[1_000, 1_000, 1_000]);
    let (b, e) = (did(&k[1]), did(&k[2]));
    let badge = class_of(&k[0], "KYC");
    c.ok(
        &k[0],
        create(
            "KYC",
            terms(AssetKind::NonFungible, ClassFlags::ISSUER_BURNABLE, None),
        ),
    );
    c.ok(&k[0], mint(&badge, 1, &b, 1));
    assert_eq!(c.fails(&k[1], send(&badge, 1, &e, 1)), "soulbound");
    assert_eq!(
        c.fails(
            &k[1],
            AssetsAction::Approve {
                class: badge.clone(),
                spender: e.clone(),
                amount: 1,
            }
        ),
        "soulbound"
    );
    // Not holder-burnable: the holder cannot shed it either.
    let burn = AssetsAction::Burn {
        class: badge.clone(),
        token: 1,
        holder: b.clone(),
        amount: 1,
    };
    assert_eq!(c.fails(&k[1], burn.clone()), "not_burnable");
    assert_eq!(c.token(&badge, 1).unwrap().owner, Some(b.clone()));
    // The issuer revokes it.
    c.ok(&k[0], burn);
    assert_eq!(c.token(&badge, 1).unwrap().owner, None);
    assert_eq!(c.balance(&badge, 1, &b), 0);
    // A burned id is never minted again.
    assert_eq!(c.fails(&k[0], mint(&badge, 1, &b, 1)), "token_exists");
    c.check_supplies();
}

#[test]
fn non_fungible_and_semi_fungible_tokens_keep_their_owner_and_metadata() {
    let (k, mut c) = Chain::new(&[1_000, 1_000, 1_000]);
    let (b, e) = (did(&k[1]), did(&k[2]));
    let art = class_of(&k[0], "ART");
    c.ok(
        &k[0],
        create("ART", terms(AssetKind::NonFungible, OPEN, Some(2))),
    );
    let metadata = Some(crate::common::cid("art-1"));
    c.ok(
        &k[0],
        AssetsAction::Mint {
            class: art.clone(),
            token: 1,
            to: b.clone(),
            amount: 1,
            metadata: metadata.clone(),
        },
    );
    assert_eq!(c.fails(&k[0], mint(&art, 1, &e, 1)), "token_exists");
    // Token ids of a non-fungible class start at 1 (token 0's record holds a holder's freeze).
    assert_eq!(c.fails(&k[0], mint(&art, 0, &e, 1)), "unknown_token");
    assert_eq!(c.fails(&k[0], mint(&art, 2, &e, 2)), "not_unique");
    c.ok(&k[1], send(&art, 1, &e, 1));
    let token = c.token(&art, 1).unwrap();
    assert_eq!((token.owner, token.metadata), (Some(e.clone()), metadata));
    assert_eq!(c.fails(&k[1], send(&art, 1, &e, 1)), "insufficient_balance");
    assert_eq!(
        c.fails(
            &k[2],
            AssetsAction::Lock {
                class: art.clone(),
                token: 1,
                to: b.clone(),
                amount: 1,
                schedule: LockSchedule {
                    start_ms: 0,
                    cliff_ms: 0,
                    end_ms: 0,
                },
            }
        ),
        "not_lockable"
    );

    let tickets = class_of(&k[0], "TICKETS");
    c.ok(
        &k[0],
        create("TICKETS", terms(AssetKind::SemiFungible, OPEN, None)),
    );
    let seat_meta = Some(crate::common::cid("row-5"));
    c.ok(
        &k[0],
        AssetsAction::Mint {
            class: tickets.clone(),
            token: 5,
            to: b.clone(),
            amount: 10,
            metadata: seat_meta.clone(),
        },
    );
    c.ok(&k[0], mint(&tickets, 5, &e, 5));
    assert_eq!(
        c.fails(
            &k[0],
            AssetsAction::Mint {
                class: tickets.clone(),
                token: 5,
                to: e.clone(),
                amount: 1,
                metadata: Some(crate::common::cid("other")),
            }
        ),
        "metadata_fixed"
    );
    c.ok(&k[1], send(&tickets, 5, &e, 3));
    assert_eq!(
        (c.balance(&tickets, 5, &b), c.balance(&tickets, 5, &e)),
        (7, 8)
    );
    let record = c.token(&tickets, 5).unwrap();
    assert_eq!((record.supply, record.metadata), (15, seat_meta));
    c.check_supplies();
}

#[test]
fn a_frozen_holder_neither_sends_nor_receives_and_only_freezable_classes_freeze() {
    let (k, mut c) = Chain::new(&[1_000, 1_000, 1_000]);
    let (b, e) = (did(&k[1]), did(&k[2]));
    let usd = class_of(&k[0], "USD");
    let free = class_of(&k[0], "FREE");
    c.ok(
        &k[0],
        create(
            "USD",
            terms(AssetKind::Fungible, OPEN | ClassFlags::FREEZABLE, None),
        ),
    );
    c.ok(
        &k[0],
        create("FREE", terms(AssetKind::Fungible, OPEN, None)),
    );
    c.ok(&k[0], mint(&usd, 0, &b, 100));
    let freeze = |class: &AssetClassId, holder: &Did, frozen| AssetsAction::Freeze {
        class: class.clone(),
        holder: holder.clone(),
        frozen,
    };
    assert_eq!(c.fails(&k[0], freeze(&free, &b, true)), "not_freezable");
    assert_eq!(c.fails(&k[2], freeze(&usd, &b, true)), "not_issuer");
    c.ok(&k[0], freeze(&usd, &b, true));
    assert_eq!(c.fails(&k[1], send(&usd, 0, &e, 1)), "holder_frozen");
    assert_eq!(c.fails(&k[0], mint(&usd, 0, &b, 1)), "holder_frozen");
    c.ok(&k[0], freeze(&usd, &b, false));
    c.ok(&k[1], send(&usd, 0, &e, 10));
    c.ok(&k[0], freeze(&usd, &e, true));
    assert_eq!(c.fails(&k[1], send(&usd, 0, &e, 1)), "holder_frozen");
    assert_eq!(c.balance(&usd, 0, &b), 90);
    // The freeze lives in the holder's token-0 record: it outlasts an empty balance and is not
    // lost when the balance changes. (A holder with nothing is frozen too.)
    let a = did(&k[0]);
    c.ok(&k[0], freeze(&usd, &a, true));
    assert_eq!(c.fails(&k[0], mint(&usd, 0, &a, 1)), "holder_frozen");
    c.ok(&k[0], freeze(&usd, &a, false));
    c.ok(&k[0], mint(&usd, 0, &a, 5));
    // A non-fungible class freezes a holder across all its token ids.
    let art = class_of(&k[0], "ART");
    c.ok(
        &k[0],
        create(
            "ART",
            terms(AssetKind::NonFungible, OPEN | ClassFlags::FREEZABLE, None),
        ),
    );
    c.ok(&k[0], mint(&art, 4, &b, 1));
    c.ok(&k[0], freeze(&art, &b, true));
    assert_eq!(c.fails(&k[1], send(&art, 4, &e, 1)), "holder_frozen");
    assert_eq!(c.fails(&k[0], mint(&art, 5, &b, 1)), "holder_frozen");
    c.ok(&k[0], freeze(&art, &b, false));
    c.ok(&k[1], send(&art, 4, &e, 1));
    c.check_supplies();
}

fn nest(parent: &TokenRef, class: &AssetClassId, token: u64, amount: u128) -> AssetsAction {
    AssetsAction::Nest {
        parent: parent.clone(),
        class: class.clone(),
        token,
        amount,
    }
}

fn unnest(
    parent: &TokenRef,
    class: &AssetClassId,
    token: u64,
    amount: u128,
    to: &Did,
) -> AssetsAction {
    AssetsAction::Unnest {
        parent: parent.clone(),
        class: class.clone(),
        token,
        amount,
        to: to.clone(),
    }
}

#[test]
fn a_token_holds_other_tokens_and_moves_with_them() {
    let (k, mut c) = Chain::new(&[1_000, 1_000, 1_000]);
    let (b, e) = (did(&k[1]), did(&k[2]));
    let art = class_of(&k[0], "ART");
    let gold = class_of(&k[0], "GOLD");
    let usd = class_of(&k[0], "USD");
    let badge = class_of(&k[0], "BADGE");
    c.ok(
        &k[0],
        create("ART", terms(AssetKind::NonFungible, OPEN, None)),
    );
    c.ok(
        &k[0],
        create("GOLD", terms(AssetKind::Fungible, OPEN, None)),
    );
    c.ok(
        &k[0],
        create(
            "USD",
            terms(AssetKind::Fungible, OPEN | ClassFlags::FREEZABLE, None),
        ),
    );
    c.ok(&k[0], create("BADGE", terms(AssetKind::Fungible, 0, None)));
    for token in [1, 2] {
        c.ok(&k[0], mint(&art, token, &b, 1));
    }
    for class in [&gold, &usd, &badge] {
        c.ok(&k[0], mint(class, 0, &b, 100));
    }
    let chest = TokenRef {
        class: art.clone(),
        token: 1,
    };
    let gem = TokenRef {
        class: art.clone(),
        token: 2,
    };

    // The owner fills its chest with gold and another token, which then has no owner.
    c.ok(&k[1], nest(&chest, &gold, 0, 40));
    c.ok(&k[1], nest(&chest, &art, 2, 1));
    assert_eq!(c.balance(&gold, 0, &b), 60);
    assert_eq!(
        (c.balance(&art, 2, &b), c.token(&art, 2).unwrap().owner),
        (0, None)
    );
    assert_eq!(c.bundle(&chest).amount(&gem), 1);

    // Nobody else touches the chest; nothing goes into itself or into its own contents; a
    // freezable or soulbound class stays out; a token holding others is not burned.
    c.ok(&k[0], mint(&gold, 0, &e, 5));
    assert_eq!(c.fails(&k[2], nest(&chest, &gold, 0, 5)), "not_token_owner");
    assert_eq!(
        c.fails(&k[2], unnest(&chest, &gold, 0, 5, &e)),
        "not_token_owner"
    );
    assert_eq!(c.fails(&k[1], nest(&chest, &art, 1, 1)), "nest_into_itself");
    assert_eq!(c.fails(&k[1], nest(&gem, &art, 1, 1)), "not_token_owner");
    assert_eq!(c.fails(&k[1], nest(&chest, &usd, 0, 1)), "not_nestable");
    assert_eq!(c.fails(&k[1], nest(&chest, &badge, 0, 1)), "soulbound");
    assert_eq!(
        c.fails(&k[1], nest(&chest, &gold, 0, 61)),
        "insufficient_balance"
    );
    let burn_chest = AssetsAction::Burn {
        class: art.clone(),
        token: 1,
        holder: b.clone(),
        amount: 1,
    };
    assert_eq!(c.fails(&k[1], burn_chest), "bundle_not_empty");
    // A token inside a bundle is not moved or burned on its own.
    assert_eq!(c.fails(&k[1], send(&art, 2, &e, 1)), "insufficient_balance");

    // Handing the chest over hands over everything in it, at once.
    c.ok(&k[1], send(&art, 1, &e, 1));
    assert_eq!(
        c.fails(&k[1], unnest(&chest, &gold, 0, 1, &b)),
        "not_token_owner"
    );
    c.ok(&k[2], unnest(&chest, &gold, 0, 15, &e));
    assert_eq!(
        c.fails(&k[2], unnest(&chest, &gold, 0, 26, &e)),
        "insufficient_balance"
    );
    c.ok(&k[2], unnest(&chest, &art, 2, 1, &b));
    assert_eq!(c.token(&art, 2).unwrap().owner, Some(b.clone()));
    assert_eq!((c.balance(&gold, 0, &e), c.balance(&art, 2, &b)), (20, 1));
    c.ok(&k[2], unnest(&chest, &gold, 0, 25, &e));
    assert!(c.bundle(&chest).items.is_empty());
    c.ok(
        &k[2],
        AssetsAction::Burn {
            class: art.clone(),
            token: 1,
            holder: e.clone(),
            amount: 1,
        },
    );

    // A bundle holds at most MAX_BUNDLE_ITEMS kinds of tokens.
    let seats = class_of(&k[0], "SEATS");
    c.ok(
        &k[0],
        create("SEATS", terms(AssetKind::SemiFungible, OPEN, None)),
    );
    let bag = TokenRef {
        class: art.clone(),
        token: 3,
    };
    c.ok(&k[0], mint(&art, 3, &b, 1));
    let max = sovra_types::assets::bundle::MAX_BUNDLE_ITEMS as u64;
    for seat in 1..=max + 1 {
        c.ok(&k[0], mint(&seats, seat, &b, 1));
    }
    for seat in 1..=max {
        c.ok(&k[1], nest(&bag, &seats, seat, 1));
    }
    assert_eq!(
        c.fails(&k[1], nest(&bag, &seats, max + 1, 1)),
        "bundle_full"
    );
    c.check_supplies();
    c.check_bundles();
}

#[test]
fn locked_tokens_vest_linearly_and_are_released_only_as_they_vest() {
    let (k, mut c) = Chain::new(&[1_000, 1_000]);
    let (a, b) = (did(&k[0]), did(&k[1]));
    let gold = class_of(&k[0], "GOLD");
    c.ok(
        &k[0],
        create("GOLD", terms(AssetKind::Fungible, OPEN, None)),
    );
    c.ok(&k[0], mint(&gold, 0, &a, 1_000));
    // Blocks are a second apart: vesting from 10 s to 110 s, nothing before 30 s.
    let schedule = LockSchedule {
        start_ms: 10_000,
        cliff_ms: 30_000,
        end_ms: 110_000,
    };
    let lock = AssetsAction::Lock {
        class: gold.clone(),
        token: 0,
        to: b.clone(),
        amount: 1_000,
        schedule,
    };
    let t = c.tx(&a, &k[0], vec![Action::Assets(lock)]);
    let id = lock_id(&t.id(), 0);
    assert_eq!(c.exec(t).unwrap().status, ReceiptStatus::Completed);
    assert_eq!(c.balance(&gold, 0, &a), 0);
    assert_eq!(c.lock(&gold, &b, id).unwrap().remaining(), 1_000);
    c.check_supplies();

    let release = AssetsAction::Release {
        class: gold.clone(),
        token: 0,
        lock: id,
    };
    assert_eq!(c.fails(&k[1], release.clone()), "nothing_vested");
    // Only the holder releases (the lock is keyed by the signer).
    assert_eq!(c.fails(&k[0], release.clone()), "unknown_lock");
    c.set_next_ms(60_000);
    c.ok(&k[1], release.clone());
    assert_eq!(c.balance(&gold, 0, &b), 500);
    // A second later, a second's worth more (1,000 over 100 s).
    c.ok(&k[1], release.clone());
    assert_eq!(c.balance(&gold, 0, &b), 510);
    c.set_next_ms(84_000);
    c.ok(&k[1], release.clone());
    assert_eq!(c.balance(&gold, 0, &b), 740);
    c.check_supplies();
    c.set_next_ms(200_000);
    c.ok(&k[1], release.clone());
    assert_eq!(c.balance(&gold, 0, &b), 1_000);
    assert!(c.lock(&gold, &b, id).is_none(), "a released lock is gone");
    assert_eq!(c.fails(&k[1], release), "unknown_lock");
    c.check_supplies();
}

#[test]
fn every_movement_is_on_both_parties_receipt_chains() {
    let (k, mut c) = Chain::new(&[1_000, 1_000]);
    let (a, b) = (did(&k[0]), did(&k[1]));
    let gold = class_of(&k[0], "GOLD");
    c.ok(
        &k[0],
        create("GOLD", terms(AssetKind::Fungible, OPEN, None)),
    );
    let minted = c.run_key(&k[0], vec![Action::Assets(mint(&gold, 0, &b, 5))]);
    let sent = c.run_key(&k[1], vec![Action::Assets(send(&gold, 0, &a, 2))]);
    for outcome in [minted, sent] {
        let parties: Vec<&Did> = outcome.entries.iter().map(|(d, _)| d).collect();
        assert!(
            parties.contains(&&a) && parties.contains(&&b),
            "{parties:?}"
        );
    }
}

#[test]
fn assets_go_only_to_identities_that_can_use_them() {
    let (k, mut c) = Chain::new(&[1_000, 1_000]);
    let gold = class_of(&k[0], "GOLD");
    c.ok(
        &k[0],
        create("GOLD", terms(AssetKind::Fungible, OPEN, None)),
    );
    let holder = c.create_did(&k[1], crate::common::doc_for(&k[1]));
    c.fund(&k[1], &holder, 10);
    c.ok(&k[0], mint(&gold, 0, &holder, 5));
    let deactivated = c.run_all(
        &holder,
        &k[1],
        vec![Action::Identity(IdentityAction::Deactivate {
            did: holder.clone(),
            previous_version: 1,
        })],
    );
    assert_eq!(deactivated.status, ReceiptStatus::Completed);
    assert_eq!(
        c.fails(&k[0], mint(&gold, 0, &holder, 1)),
        "recipient_deactivated"
    );
}

/// One step of the random sequences: which identity signs what, with small numbers so that
/// successes and failures both happen.
#[derive(Clone, Debug)]
enum Step {
    Mint {
        to: usize,
        token: u64,
        amount: u128,
    },
    Burn {
        by: usize,
        holder: usize,
        token: u64,
        amount: u128,
    },
    Send {
        from: usize,
        to: usize,
        token: u64,
        amount: u128,
    },
    Approve {
        owner: usize,
        spender: usize,
        amount: u128,
    },
    Pull {
        spender: usize,
        from: usize,
        to: usize,
        amount: u128,
    },
    Freeze {
        holder: usize,
        frozen: bool,
    },
    Lock {
        from: usize,
        to: usize,
        amount: u128,
        cliff_s: u64,
        end_s: u64,
    },
    Release {
        holder: usize,
    },
    /// Put tokens (of the class under test, or a box) into a box the signer may or may not own.
    Nest {
        who: usize,
        parent: u64,
        boxed: bool,
        token: u64,
        amount: u128,
    },
    Unnest {
        who: usize,
        parent: u64,
        boxed: bool,
        token: u64,
        amount: u128,
        to: usize,
    },
    /// Hand a box (and what it holds) to another holder.
    MoveBox {
        from: usize,
        to: usize,
        parent: u64,
    },
    Wait {
        s: u64,
    },
}

fn arb_step() -> impl Strategy<Value = Step> {
    let who = 0usize..3;
    let amount = prop_oneof![
        8 => 1u128..50,
        1 => Just(0u128),
        1 => Just(u128::MAX),
        1 => Just(u128::MAX / 2),
    ];
    prop_oneof![
        (who.clone(), 0u64..3, amount.clone()).prop_map(|(to, token, amount)| Step::Mint {
            to,
            token,
            amount
        }),
        (who.clone(), who.clone(), 0u64..3, amount.clone()).prop_map(
            |(by, holder, token, amount)| Step::Burn {
                by,
                holder,
                token,
                amount
            }
        ),
        (who.clone(), who.clone(), 0u64..3, amount.clone()).prop_map(
            |(from, to, token, amount)| Step::Send {
                from,
                to,
                token,
                amount
            }
        ),
        (who.clone(), who.clone(), amount.clone()).prop_map(|(owner, spender, amount)| {
            Step::Approve {
                owner,
                spender,
                amount,
            }
        }),
        (who.clone(), who.clone(), who.clone(), amount.clone()).prop_map(
            |(spender, from, to, amount)| Step::Pull {
                spender,
                from,
                to,
                amount
            }
        ),
        (who.clone(), any::<bool>()).prop_map(|(holder, frozen)| Step::Freeze { holder, frozen }),
        (who.clone(), who.clone(), amount.clone(), 0u64..20, 0u64..40).prop_map(
            |(from, to, amount, cliff_s, end_s)| Step::Lock {
                from,
                to,
                amount,
                cliff_s,
                end_s
            }
        ),
        who.clone().prop_map(|holder| Step::Release { holder }),
        (who.clone(), 0u64..3, any::<bool>(), 0u64..3, 1u128..20).prop_map(
            |(who, parent, boxed, token, amount)| Step::Nest {
                who,
                parent,
                boxed,
                token,
                amount
            }
        ),
        (
            who.clone(),
            0u64..3,
            any::<bool>(),
            0u64..3,
            amount,
            who.clone()
        )
            .prop_map(|(who, parent, boxed, token, amount, to)| Step::Unnest {
                who,
                parent,
                boxed,
                token,
                amount,
                to
            }),
        (who.clone(), who, 0u64..3).prop_map(|(from, to, parent)| Step::MoveBox {
            from,
            to,
            parent
        }),
        (1u64..30).prop_map(|s| Step::Wait { s }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever happens (and fails), every class's supply is its balances plus its locks and
    /// bundles, never above its cap; no lock releases more than has vested; soulbound tokens
    /// never change hands; every box is owned or in exactly one bundle, never inside itself, and
    /// moves with its bundle; nothing panics.
    #[test]
    fn supply_is_balances_plus_locks_under_any_sequence(
        kind in prop::sample::select(vec![AssetKind::Fungible, AssetKind::NonFungible, AssetKind::SemiFungible]),
        // Half the runs use an open class (transferable, nestable); the rest any flags.
        flags in prop_oneof![Just(OPEN), 0u8..=ClassFlags::ALL],
        max_supply in proptest::option::of(1u128..200),
        steps in proptest::collection::vec(arb_step(), 1..60),
    ) {
        let (k, mut c) = Chain::new(&[1_000_000, 1_000_000, 1_000_000]);
        let ids: Vec<Did> = k.iter().map(did).collect();
        let class = class_of(&k[0], "X");
        c.ok(&k[0], create("X", terms(kind, flags, max_supply)));
        // Boxes 0, 1 and 2 (composable tokens), one to each holder.
        let boxes = class_of(&k[0], "BOX");
        c.ok(&k[0], create("BOX", terms(AssetKind::NonFungible, OPEN, None)));
        for (i, holder) in ids.iter().enumerate() {
            c.ok(&k[0], mint(&boxes, i as u64 + 1, holder, 1));
        }
        // Box `b` (0 to 2) is token b + 1: non-fungible token ids start at 1.
        let box_ref = |b: u64| TokenRef { class: boxes.clone(), token: b + 1 };
        // Mostly moves part of what `holder` has (of a token it holds); extreme amounts (0,
        // near u128::MAX) stay as they are, to be refused.
        let fit = |c: &Chain, holder: usize, token: u64, amount: u128| {
            if amount == 0 || amount >= 50 {
                return (token, amount);
            }
            let token = (0..3).find(|t| c.balance(&class, *t, &ids[holder]) > 0).unwrap_or(token);
            let held = c.balance(&class, token, &ids[holder]);
            (token, if held > 0 { 1 + amount % held } else { amount })
        };
        // Mostly `who`, or the next holder that has some of the class.
        let holding = |c: &Chain, who: usize| {
            (0..3)
                .map(|i| (who + i) % 3)
                .find(|h| (0..3).any(|t| c.balance(&class, t, &ids[*h]) > 0))
                .unwrap_or(who)
        };
        let owner_of = |c: &Chain, token: u64| {
            let owner = c.token(&boxes, token + 1).and_then(|r| r.owner)?;
            ids.iter().position(|d| *d == owner)
        };
        let mut locks: Vec<(usize, u64, u64)> = Vec::new();
        for step in steps {
            let soulbound_before: Vec<u128> =
                ids.iter().map(|d| c.balance(&class, 0, d)).collect();
            let (signer, action) = match step {
                Step::Mint { to, token, amount } => {
                    // A non-fungible token is minted as 1; a fungible one as token 0 (mostly).
                    let amount = if kind == AssetKind::NonFungible && amount < 50 { 1 } else { amount };
                    let token = if kind == AssetKind::Fungible && amount < 50 { 0 } else { token };
                    (0, mint(&class, token, &ids[to], amount))
                }
                Step::Burn { by, holder, token, amount } => {
                    let holder = holding(&c, holder);
                    let (token, amount) = fit(&c, holder, token, amount);
                    (by, AssetsAction::Burn { class: class.clone(), token, holder: ids[holder].clone(), amount })
                }
                Step::Send { from, to, token, amount } => {
                    let from = holding(&c, from);
                    let (token, amount) = fit(&c, from, token, amount);
                    (from, send(&class, token, &ids[to], amount))
                }
                Step::Approve { owner, spender, amount } => (owner, AssetsAction::Approve {
                    class: class.clone(), spender: ids[spender].clone(), amount,
                }),
                Step::Pull { spender, from, to, amount } => {
                    let (token, amount) = fit(&c, from, 0, amount);
                    (spender, AssetsAction::TransferFrom {
                        class: class.clone(), token, from: ids[from].clone(), to: ids[to].clone(), amount,
                    })
                }
                Step::Freeze { holder, frozen } => (0, AssetsAction::Freeze {
                    class: class.clone(), holder: ids[holder].clone(), frozen,
                }),
                Step::Lock { from, to, amount, cliff_s, end_s } => {
                    let start_ms = c.next_ms();
                    let cliff_ms = start_ms + cliff_s.min(end_s) * 1_000;
                    let schedule = LockSchedule { start_ms, cliff_ms, end_ms: start_ms + end_s.max(cliff_s) * 1_000 };
                    let from = holding(&c, from);
                    let (token, amount) = fit(&c, from, 0, amount);
                    let action = AssetsAction::Lock { class: class.clone(), token, to: ids[to].clone(), amount, schedule };
                    let t = c.tx(&ids[from], &k[from], vec![Action::Assets(action)]);
                    let id = lock_id(&t.id(), 0);
                    if let Ok(outcome) = c.exec(t)
                        && outcome.status == ReceiptStatus::Completed
                    {
                        locks.push((to, token, id));
                    }
                    c.check_supplies();
                    continue;
                }
                Step::Release { holder } => {
                    let Some(&(h, token, id)) = locks.iter().find(|(h, ..)| *h == holder) else { continue };
                    (h, AssetsAction::Release { class: class.clone(), token, lock: id })
                }
                // Mostly signed by the box's owner, with something it holds (a box of its own
                // or part of its balance), so bundles fill; the raw values still try the rest.
                Step::Nest { who, parent, boxed, token, amount } => {
                    let signer = owner_of(&c, parent).unwrap_or(who);
                    let (class, token, amount) = if boxed {
                        let mine = (0..3).find(|t| *t != parent && owner_of(&c, *t) == Some(signer));
                        // The raw token id (0 to 2) may be 0, which no box has.
                        (boxes.clone(), mine.map_or(token, |b| b + 1), 1)
                    } else {
                        let (token, amount) = fit(&c, signer, token, amount);
                        (class.clone(), token, amount)
                    };
                    (signer, AssetsAction::Nest { parent: box_ref(parent), class, token, amount })
                }
                // Mostly takes part of something the box holds, signed by its owner.
                Step::Unnest { who, parent, boxed, token, amount, to } => {
                    let signer = owner_of(&c, parent).unwrap_or(who);
                    let inside = c.bundle(&box_ref(parent)).items;
                    let (class, token, amount) = match inside.get(token as usize % inside.len().max(1)) {
                        Some((item, held)) if amount < 50 => {
                            (item.class.clone(), item.token, 1 + amount % held)
                        }
                        _ if boxed => (boxes.clone(), token, 1),
                        _ => (class.clone(), token, amount),
                    };
                    (signer, AssetsAction::Unnest { parent: box_ref(parent), class, token, amount, to: ids[to].clone() })
                }
                Step::MoveBox { from, to, parent } => {
                    let from = owner_of(&c, parent).unwrap_or(from);
                    let before = c.bundle(&box_ref(parent));
                    let status = c.assets(&k[from], send(&boxes, parent + 1, &ids[to], 1));
                    if status == ReceiptStatus::Completed {
                        prop_assert_eq!(c.token(&boxes, parent + 1).unwrap().owner, Some(ids[to].clone()));
                        prop_assert_eq!(c.bundle(&box_ref(parent)), before, "the bundle moved whole");
                    }
                    c.check_supplies();
                    c.check_bundles();
                    continue;
                }
                Step::Wait { s } => { c.wait(s * 1_000); continue; }
            };
            let t = c.tx(&ids[signer], &k[signer], vec![Action::Assets(action)]);
            // Zero amounts are refused at admission (not included): nothing changes.
            let _ = c.exec(t);
            c.check_supplies();
            c.check_locks();
            c.check_bundles();
            if !flags & ClassFlags::TRANSFERABLE != 0 {
                // Soulbound: a holder's balance only grows by minting or shrinks by burning,
                // never moves to another holder.
                let after: Vec<u128> = ids.iter().map(|d| c.balance(&class, 0, d)).collect();
                let grew = after.iter().zip(&soulbound_before).filter(|(a, b)| a > b).count();
                let shrank = after.iter().zip(&soulbound_before).filter(|(a, b)| a < b).count();
                prop_assert!(!(grew > 0 && shrank > 0), "a soulbound token moved");
            }
        }
    }
}
