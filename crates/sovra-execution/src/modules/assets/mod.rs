//! Native assets: classes of fungible, non-fungible, semi-fungible and soulbound tokens issued
//! by identities, with mint authorities, burning, approvals, freezing and vesting locks.
//!
//! Rules (see `docs/assets.md`):
//! - a class is created under its creator's DID (`<issuer>/<name>`), so nobody can create or
//!   squat a class in another identity's name; what holders may expect of it (transferable or
//!   soulbound, who may burn, whether the issuer may freeze) is fixed at creation;
//! - only the class's mint authority mints, within the max supply; handing minting on or
//!   closing it is the authority's own act;
//! - amounts are 128-bit; anything that would overflow fails (`supply_overflow`,
//!   `balance_overflow`), nothing wraps;
//! - every movement names its parties, so it extends the receipt chains of sender and
//!   receiver; recipients must be able to use what they receive (a `did:key`, or an existing,
//!   active `did:sovra`, as for native transfers);
//! - a non-fungible token can hold other tokens in its bundle (`nest.rs`); only its owner puts
//!   tokens in or takes them out, and they move with it; tokens of freezable classes are not
//!   nested (freezing must reach them wherever they are);
//! - a class's supply is the sum of its balances, of what its locks still hold and of what
//!   bundles hold, at every height (the simulator and the property tests check it).

use crate::{
    ActionFailure, ActionResult, ApplyContext, ExecError, ExecutionModule, KeySet, Overlay,
    Parties, StateReader, TxContext, fail, modules::accounts::check_recipient,
};
use commonware_codec::Encode;
use sovra_types::{
    AssetClass, AssetClassId, AssetKind, AssetsAction, Bundle, ClassFlags, Did, DidMethod,
    HolderBalance, StateKey, TokenLock, TokenRecord, TokenRef,
    assets::{decode_amount, encode_amount, lock_id},
};
use std::rc::Rc;

/// The assets module.
pub struct Assets;

/// What the assets module tells the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetsEvent {
    /// `class` was created.
    Created {
        /// The new class.
        class: AssetClassId,
    },
    /// `holder` received units of `token` (its balance is positive).
    Received {
        /// The class.
        class: AssetClassId,
        /// The token id.
        token: u64,
        /// The holder.
        holder: Did,
    },
    /// Tokens were locked for `holder` under lock `id`.
    Locked {
        /// The class.
        class: AssetClassId,
        /// The holder they vest to.
        holder: Did,
        /// The lock's id.
        id: u64,
    },
}

fn class_key(class: &AssetClassId) -> StateKey {
    StateKey::AssetClass(class.clone())
}

fn balance_key(class: &AssetClassId, token: u64, holder: &Did) -> StateKey {
    StateKey::AssetBalance {
        class: class.clone(),
        token,
        holder: holder.clone(),
    }
}

fn token_key(class: &AssetClassId, token: u64) -> StateKey {
    StateKey::AssetToken {
        class: class.clone(),
        token,
    }
}

/// The record holding whether `holder` is frozen in `class`: its token-0 balance record.
fn frozen_key(class: &AssetClassId, holder: &Did) -> StateKey {
    balance_key(class, 0, holder)
}

fn allowance_key(class: &AssetClassId, owner: &Did, spender: &Did) -> StateKey {
    StateKey::AssetAllowance {
        class: class.clone(),
        owner: owner.clone(),
        spender: spender.clone(),
    }
}

fn lock_key(class: &AssetClassId, holder: &Did, id: u64) -> StateKey {
    StateKey::AssetLock {
        class: class.clone(),
        holder: holder.clone(),
        id,
    }
}

fn bundle_key(parent: &TokenRef) -> StateKey {
    StateKey::AssetBundle {
        class: parent.class.clone(),
        token: parent.token,
    }
}

/// Reads what `parent` holds (empty when it holds nothing).
pub fn load_bundle<R: StateReader>(
    state: &Overlay<R>,
    parent: &TokenRef,
) -> Result<Bundle, ExecError> {
    Ok(state
        .get_decoded(&bundle_key(parent), Bundle::decode)?
        .unwrap_or_default())
}

/// The token record a non-fungible or semi-fungible token id reads (token id 0 is the fungible
/// balance and has none, so a fungible movement reads no token record).
fn token_keys(class: &AssetClassId, token: u64, keys: &mut KeySet) {
    if token != 0 {
        keys.insert(token_key(class, token));
    }
}

/// The state keys a recipient check reads ([`check_recipient`]).
fn recipient_keys(to: &Did, keys: &mut KeySet) {
    if to.method() == DidMethod::Sovra {
        keys.insert(StateKey::Did(to.clone()));
    }
}

/// Reads a class.
pub fn load_class<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
) -> Result<Option<AssetClass>, ExecError> {
    state.get_decoded(&class_key(class), AssetClass::decode)
}

/// Reads `holder`'s record of `token` in `class` (empty when absent).
fn holder_record<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
    token: u64,
    holder: &Did,
) -> Result<HolderBalance, ExecError> {
    Ok(state
        .get_decoded(&balance_key(class, token, holder), HolderBalance::decode)?
        .unwrap_or_default())
}

/// Writes `holder`'s record of `token` (deleting it when empty).
fn write_record<R: StateReader>(
    state: &mut Overlay<R>,
    class: &AssetClassId,
    token: u64,
    holder: &Did,
    record: HolderBalance,
) {
    let key = balance_key(class, token, holder);
    if record.is_empty() {
        state.delete(key);
    } else {
        state.set(key, record.encode().to_vec());
    }
}

/// Reads `holder`'s balance of `token` in `class` (0 when it has none).
pub fn balance<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
    token: u64,
    holder: &Did,
) -> Result<u128, ExecError> {
    Ok(holder_record(state, class, token, holder)?.amount)
}

/// Sets `holder`'s balance of `token`, keeping its freeze.
fn set_balance<R: StateReader>(
    state: &mut Overlay<R>,
    class: &AssetClassId,
    token: u64,
    holder: &Did,
    amount: u128,
) -> Result<(), ExecError> {
    let mut record = holder_record(state, class, token, holder)?;
    record.amount = amount;
    write_record(state, class, token, holder, record);
    Ok(())
}

fn load_token<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
    token: u64,
) -> Result<Option<TokenRecord>, ExecError> {
    state.get_decoded(&token_key(class, token), TokenRecord::decode)
}

fn is_frozen<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
    holder: &Did,
) -> Result<bool, ExecError> {
    Ok(holder_record(state, class, 0, holder)?.frozen)
}

/// Reads a class that must exist (decoded once per block while nothing writes it: every
/// movement of a class reads it).
fn existing_class<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
) -> ActionResult<Rc<AssetClass>> {
    match state.get_shared(&class_key(class), AssetClass::decode)? {
        Some(c) => Ok(Ok(c)),
        None => fail("unknown_class", format!("no asset class {class}")),
    }
}

/// [`existing_class`], to change it.
fn existing_class_mut<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
) -> ActionResult<AssetClass> {
    Ok(existing_class(state, class)?.map(|c| (*c).clone()))
}

/// Refuses a zero amount.
fn check_amount(amount: u128) -> Result<(), ActionFailure> {
    if amount == 0 {
        return Err(ActionFailure::new(
            "zero_amount",
            "an asset action moves a positive amount",
        ));
    }
    Ok(())
}

/// Refuses moving tokens of a soulbound class.
fn check_transferable(class: &AssetClass, id: &AssetClassId) -> Result<(), ActionFailure> {
    if !class.terms.flags.has(ClassFlags::TRANSFERABLE) {
        return Err(ActionFailure::new(
            "soulbound",
            format!("{id} is soulbound: its tokens stay with the identity they were minted to"),
        ));
    }
    Ok(())
}

/// Refuses a frozen holder.
fn check_not_frozen<R: StateReader>(
    state: &Overlay<R>,
    class: &AssetClassId,
    holder: &Did,
) -> ActionResult {
    if is_frozen(state, class, holder)? {
        return fail("holder_frozen", format!("{holder} is frozen in {class}"));
    }
    Ok(Ok(()))
}

/// A token id that does not fit the class's kind: fungible classes only have token 0, the
/// others number their tokens from 1 (token 0's record holds the freeze alone).
fn check_token_id(class: &AssetClass, id: &AssetClassId, token: u64) -> Result<(), ActionFailure> {
    match (class.terms.kind, token) {
        (AssetKind::Fungible, 0) => Ok(()),
        (AssetKind::Fungible, _) => Err(ActionFailure::new(
            "unknown_token",
            format!("{id} is fungible: its only token id is 0"),
        )),
        (_, 0) => Err(ActionFailure::new(
            "unknown_token",
            format!("the token ids of {id} start at 1"),
        )),
        _ => Ok(()),
    }
}

/// Turns a plain check into an action result.
macro_rules! check {
    ($e:expr) => {
        if let Err(f) = $e {
            return Ok(Err(f));
        }
    };
}

/// Turns a nested action result into an early failure.
macro_rules! check_state {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(f) => return Ok(Err(f)),
        }
    };
}

// After the macros, which it uses.
mod nest;

impl ExecutionModule for Assets {
    type Action = AssetsAction;

    fn check_admission(action: &AssetsAction) -> Result<(), ActionFailure> {
        match action {
            AssetsAction::Mint { amount, .. }
            | AssetsAction::Burn { amount, .. }
            | AssetsAction::Transfer { amount, .. }
            | AssetsAction::TransferFrom { amount, .. }
            | AssetsAction::Lock { amount, .. }
            | AssetsAction::Nest { amount, .. }
            | AssetsAction::Unnest { amount, .. } => check_amount(*amount),
            AssetsAction::Create { .. }
            | AssetsAction::Approve { .. }
            | AssetsAction::Freeze { .. }
            | AssetsAction::SetMintAuthority { .. }
            | AssetsAction::Release { .. } => Ok(()),
        }
    }

    fn keys(ctx: &TxContext<'_>, action: &AssetsAction, keys: &mut KeySet) {
        let signer = ctx.signer();
        if let Some(class) = action.class() {
            keys.insert(class_key(class));
        }
        match action {
            AssetsAction::Create { name, .. } => {
                keys.insert(class_key(&AssetClassId {
                    issuer: signer.clone(),
                    name: name.clone(),
                }));
            }
            AssetsAction::Mint {
                class, token, to, ..
            } => {
                token_keys(class, *token, keys);
                keys.insert(balance_key(class, *token, to));
                keys.insert(frozen_key(class, to));
                recipient_keys(to, keys);
            }
            AssetsAction::Burn {
                class,
                token,
                holder,
                ..
            } => {
                token_keys(class, *token, keys);
                keys.insert(balance_key(class, *token, holder));
                keys.insert(frozen_key(class, holder));
                keys.insert(bundle_key(&TokenRef {
                    class: class.clone(),
                    token: *token,
                }));
            }
            AssetsAction::Transfer {
                class, token, to, ..
            } => {
                token_keys(class, *token, keys);
                for holder in [signer, to] {
                    keys.insert(balance_key(class, *token, holder));
                    keys.insert(frozen_key(class, holder));
                }
                recipient_keys(to, keys);
            }
            AssetsAction::Approve { class, spender, .. } => {
                keys.insert(allowance_key(class, signer, spender));
                keys.insert(frozen_key(class, signer));
            }
            AssetsAction::TransferFrom {
                class,
                token,
                from,
                to,
                ..
            } => {
                token_keys(class, *token, keys);
                keys.insert(allowance_key(class, from, signer));
                for holder in [from, to] {
                    keys.insert(balance_key(class, *token, holder));
                    keys.insert(frozen_key(class, holder));
                }
                recipient_keys(to, keys);
            }
            AssetsAction::Freeze { class, holder, .. } => {
                keys.insert(frozen_key(class, holder));
            }
            AssetsAction::SetMintAuthority { authority, .. } => {
                if let Some(a) = authority {
                    recipient_keys(a, keys);
                }
            }
            AssetsAction::Lock {
                class, token, to, ..
            } => {
                token_keys(class, *token, keys);
                keys.insert(balance_key(class, *token, signer));
                keys.insert(frozen_key(class, signer));
                keys.insert(frozen_key(class, to));
                keys.insert(lock_key(class, to, lock_id(&ctx.tx.id(), ctx.index)));
                recipient_keys(to, keys);
            }
            AssetsAction::Release { class, token, lock } => {
                keys.insert(lock_key(class, signer, *lock));
                keys.insert(balance_key(class, *token, signer));
            }
            AssetsAction::Nest {
                parent,
                class,
                token,
                ..
            } => {
                keys.insert(token_key(&parent.class, parent.token));
                keys.insert(bundle_key(parent));
                token_keys(class, *token, keys);
                keys.insert(balance_key(class, *token, signer));
            }
            AssetsAction::Unnest {
                parent,
                class,
                token,
                to,
                ..
            } => {
                keys.insert(token_key(&parent.class, parent.token));
                keys.insert(bundle_key(parent));
                token_keys(class, *token, keys);
                keys.insert(balance_key(class, *token, to));
                recipient_keys(to, keys);
            }
        }
    }

    fn parties(_: &TxContext<'_>, action: &AssetsAction, parties: &mut Parties) {
        match action {
            AssetsAction::Create { .. }
            | AssetsAction::Release { .. }
            | AssetsAction::Nest { .. } => {}
            AssetsAction::Mint { to, .. }
            | AssetsAction::Transfer { to, .. }
            | AssetsAction::Lock { to, .. }
            | AssetsAction::Unnest { to, .. } => parties.add(to),
            AssetsAction::Burn { holder, .. } | AssetsAction::Freeze { holder, .. } => {
                parties.add(holder)
            }
            AssetsAction::Approve { spender, .. } => parties.add(spender),
            AssetsAction::TransferFrom { from, to, .. } => {
                parties.add(from);
                parties.add(to);
            }
            AssetsAction::SetMintAuthority { authority, .. } => {
                if let Some(a) = authority {
                    parties.add(a);
                }
            }
        }
    }

    fn apply<R: StateReader>(ctx: &mut ApplyContext<'_, R>, action: &AssetsAction) -> ActionResult {
        check!(Self::check_admission(action));
        let signer = ctx.signer();
        match action {
            AssetsAction::Create { name, terms } => {
                let id = AssetClassId {
                    issuer: signer.clone(),
                    name: name.clone(),
                };
                if load_class(ctx.state, &id)?.is_some() {
                    return fail("class_exists", format!("{id} already exists"));
                }
                let class = AssetClass {
                    terms: terms.clone(),
                    mint_authority: Some(signer.clone()),
                    supply: 0,
                };
                ctx.state.set(class_key(&id), class.encode().to_vec());
                ctx.emit(AssetsEvent::Created { class: id });
                Ok(Ok(()))
            }
            AssetsAction::Mint {
                class: id,
                token,
                to,
                amount,
                metadata,
            } => mint(ctx, id, *token, to, *amount, metadata.clone()),
            AssetsAction::Burn {
                class: id,
                token,
                holder,
                amount,
            } => burn(ctx.state, signer, id, *token, holder, *amount),
            AssetsAction::Transfer {
                class: id,
                token,
                to,
                amount,
            } => {
                let class = check_state!(existing_class(ctx.state, id));
                check!(check_transferable(&class, id));
                move_tokens(ctx, &class, id, *token, signer, to, *amount)
            }
            AssetsAction::Approve {
                class: id,
                spender,
                amount,
            } => {
                let class = check_state!(existing_class(ctx.state, id));
                check!(check_transferable(&class, id));
                check_state!(check_not_frozen(ctx.state, id, signer));
                let key = allowance_key(id, signer, spender);
                if *amount == 0 {
                    ctx.state.delete(key);
                } else {
                    ctx.state.set(key, encode_amount(*amount));
                }
                Ok(Ok(()))
            }
            AssetsAction::TransferFrom {
                class: id,
                token,
                from,
                to,
                amount,
            } => {
                let class = check_state!(existing_class(ctx.state, id));
                check!(check_transferable(&class, id));
                let key = allowance_key(id, from, signer);
                let allowance = ctx.state.get_decoded(&key, decode_amount)?.unwrap_or(0);
                if allowance < *amount {
                    return fail(
                        "insufficient_allowance",
                        format!("{from} allows {signer} to move {allowance} of {id}, not {amount}"),
                    );
                }
                check_state!(move_tokens(ctx, &class, id, *token, from, to, *amount));
                let left = allowance - amount;
                if left == 0 {
                    ctx.state.delete(key);
                } else {
                    ctx.state.set(key, encode_amount(left));
                }
                Ok(Ok(()))
            }
            AssetsAction::Freeze {
                class: id,
                holder,
                frozen,
            } => {
                let class = check_state!(existing_class(ctx.state, id));
                if &id.issuer != signer {
                    return fail("not_issuer", format!("only {} freezes in {id}", id.issuer));
                }
                if !class.terms.flags.has(ClassFlags::FREEZABLE) {
                    return fail("not_freezable", format!("{id} was created not freezable"));
                }
                let mut record = holder_record(ctx.state, id, 0, holder)?;
                record.frozen = *frozen;
                write_record(ctx.state, id, 0, holder, record);
                Ok(Ok(()))
            }
            AssetsAction::SetMintAuthority {
                class: id,
                authority,
            } => {
                let mut class = check_state!(existing_class_mut(ctx.state, id));
                check_state!(check_mint_authority(&class, id, signer));
                if let Some(a) = authority {
                    check_state!(check_recipient(ctx.state, a));
                }
                class.mint_authority = authority.clone();
                ctx.state.set(class_key(id), class.encode().to_vec());
                Ok(Ok(()))
            }
            AssetsAction::Lock {
                class: id,
                token,
                to,
                amount,
                schedule,
            } => {
                let class = check_state!(existing_class(ctx.state, id));
                check!(check_transferable(&class, id));
                if class.terms.kind == AssetKind::NonFungible {
                    return fail(
                        "not_lockable",
                        "non-fungible tokens are not locked; locks vest amounts",
                    );
                }
                check!(check_token_id(&class, id, *token));
                check_state!(check_recipient(ctx.state, to));
                for holder in [signer, to] {
                    check_state!(check_not_frozen(ctx.state, id, holder));
                }
                let held = balance(ctx.state, id, *token, signer)?;
                if held < *amount {
                    return fail(
                        "insufficient_balance",
                        format!("balance {held} of {id} is less than {amount}"),
                    );
                }
                let lock = lock_id(&ctx.tx_id, ctx.tx.index);
                let key = lock_key(id, to, lock);
                if ctx.state.get(&key)?.is_some() {
                    return fail("lock_exists", format!("lock {lock} already exists"));
                }
                set_balance(ctx.state, id, *token, signer, held - amount)?;
                let record = TokenLock {
                    token: *token,
                    from: signer.clone(),
                    amount: *amount,
                    released: 0,
                    schedule: *schedule,
                };
                ctx.state.set(key, record.encode().to_vec());
                ctx.emit(AssetsEvent::Locked {
                    class: id.clone(),
                    holder: to.clone(),
                    id: lock,
                });
                Ok(Ok(()))
            }
            AssetsAction::Release {
                class: id,
                token,
                lock,
            } => {
                let key = lock_key(id, signer, *lock);
                let Some(mut record) = ctx.state.get_decoded(&key, TokenLock::decode)? else {
                    return fail(
                        "unknown_lock",
                        format!("{signer} has no lock {lock} in {id}"),
                    );
                };
                if record.token != *token {
                    return fail(
                        "unknown_lock",
                        format!("lock {lock} holds token {}, not {token}", record.token),
                    );
                }
                let vested = record.schedule.vested(record.amount, ctx.env.timestamp_ms);
                let releasable = vested.saturating_sub(record.released);
                if releasable == 0 {
                    return fail(
                        "nothing_vested",
                        format!("nothing more of lock {lock} has vested yet"),
                    );
                }
                let held = balance(ctx.state, id, *token, signer)?;
                let Some(new_balance) = held.checked_add(releasable) else {
                    return fail("balance_overflow", "the holder's balance would overflow");
                };
                set_balance(ctx.state, id, *token, signer, new_balance)?;
                record.released += releasable;
                if record.released == record.amount {
                    ctx.state.delete(key);
                } else {
                    ctx.state.set(key, record.encode().to_vec());
                }
                ctx.emit(AssetsEvent::Received {
                    class: id.clone(),
                    token: *token,
                    holder: signer.clone(),
                });
                Ok(Ok(()))
            }
            AssetsAction::Nest {
                parent,
                class: id,
                token,
                amount,
            } => nest::nest(ctx, parent, id, *token, *amount),
            AssetsAction::Unnest {
                parent,
                class: id,
                token,
                amount,
                to,
            } => nest::unnest(ctx, parent, id, *token, *amount, to),
        }
    }
}

/// The signer must be the class's mint authority.
fn check_mint_authority(class: &AssetClass, id: &AssetClassId, signer: &Did) -> ActionResult {
    match &class.mint_authority {
        None => fail(
            "minting_closed",
            format!("minting of {id} is closed for good"),
        ),
        Some(a) if a != signer => fail(
            "not_mint_authority",
            format!("{a} mints {id}, not {signer}"),
        ),
        Some(_) => Ok(Ok(())),
    }
}

/// Mints `amount` of `token` to `to`.
fn mint<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    id: &AssetClassId,
    token: u64,
    to: &Did,
    amount: u128,
    metadata: Option<sovra_types::ContentId>,
) -> ActionResult {
    let state = &mut *ctx.state;
    let mut class = check_state!(existing_class_mut(state, id));
    check_state!(check_mint_authority(&class, id, ctx.tx.signer()));
    check!(check_token_id(&class, id, token));
    check_state!(check_recipient(state, to));
    check_state!(check_not_frozen(state, id, to));
    if class.terms.kind == AssetKind::NonFungible && amount != 1 {
        return fail("not_unique", "a non-fungible token is minted once, as 1");
    }
    let Some(supply) = class.supply.checked_add(amount) else {
        return fail(
            "supply_overflow",
            format!("the supply of {id} would overflow"),
        );
    };
    if let Some(max) = class.terms.max_supply
        && supply > max
    {
        return fail(
            "max_supply_exceeded",
            format!("{id} is capped at {max}; {} exist", class.supply),
        );
    }
    match class.terms.kind {
        AssetKind::Fungible => {
            if metadata.is_some() {
                return fail(
                    "unexpected_metadata",
                    "fungible tokens have the class's metadata only",
                );
            }
        }
        AssetKind::NonFungible => {
            if load_token(state, id, token)?.is_some() {
                return fail(
                    "token_exists",
                    format!("token {token} of {id} exists (or existed)"),
                );
            }
            let record = TokenRecord {
                owner: Some(to.clone()),
                supply: 1,
                metadata,
            };
            state.set(token_key(id, token), record.encode().to_vec());
        }
        AssetKind::SemiFungible => {
            let record = match load_token(state, id, token)? {
                Some(mut r) => {
                    if metadata.is_some() && metadata != r.metadata {
                        return fail(
                            "metadata_fixed",
                            format!("token {token} of {id} keeps the metadata of its first mint"),
                        );
                    }
                    let Some(s) = r.supply.checked_add(amount) else {
                        return fail("supply_overflow", "the token's supply would overflow");
                    };
                    r.supply = s;
                    r
                }
                None => TokenRecord {
                    owner: None,
                    supply: amount,
                    metadata,
                },
            };
            state.set(token_key(id, token), record.encode().to_vec());
        }
    }
    let held = balance(state, id, token, to)?;
    let Some(new_balance) = held.checked_add(amount) else {
        return fail("balance_overflow", "the recipient's balance would overflow");
    };
    set_balance(state, id, token, to, new_balance)?;
    class.supply = supply;
    state.set(class_key(id), class.encode().to_vec());
    ctx.emit(AssetsEvent::Received {
        class: id.clone(),
        token,
        holder: to.clone(),
    });
    Ok(Ok(()))
}

/// Burns `amount` of `holder`'s `token`, if `signer` may.
fn burn<R: StateReader>(
    state: &mut Overlay<R>,
    signer: &Did,
    id: &AssetClassId,
    token: u64,
    holder: &Did,
    amount: u128,
) -> ActionResult {
    let mut class = check_state!(existing_class_mut(state, id));
    check!(check_token_id(&class, id, token));
    let flags = class.terms.flags;
    let by_holder = signer == holder && flags.has(ClassFlags::HOLDER_BURNABLE);
    let by_issuer = signer == &id.issuer && flags.has(ClassFlags::ISSUER_BURNABLE);
    if !by_holder && !by_issuer {
        return fail(
            "not_burnable",
            format!(
                "{signer} may not burn {holder}'s tokens of {id} (its flags: {:?})",
                flags.names()
            ),
        );
    }
    if !by_issuer {
        check_state!(check_not_frozen(state, id, holder));
    }
    let held = balance(state, id, token, holder)?;
    if held < amount {
        return fail(
            "insufficient_balance",
            format!("balance {held} of {id} is less than {amount}"),
        );
    }
    if class.terms.kind == AssetKind::NonFungible
        && !load_bundle(
            state,
            &TokenRef {
                class: id.clone(),
                token,
            },
        )?
        .items
        .is_empty()
    {
        return fail(
            "bundle_not_empty",
            format!("token {token} of {id} holds other tokens: take them out first"),
        );
    }
    set_balance(state, id, token, holder, held - amount)?;
    if class.terms.kind != AssetKind::Fungible {
        let mut record = load_token(state, id, token)?
            .ok_or(ExecError::Invariant("a held token has no token record"))?;
        record.supply = record
            .supply
            .checked_sub(amount)
            .ok_or(ExecError::Invariant("a token's supply is below a balance"))?;
        if class.terms.kind == AssetKind::NonFungible {
            // The id stays taken: a burned token is never minted again.
            record.owner = None;
        }
        state.set(token_key(id, token), record.encode().to_vec());
    }
    class.supply = class
        .supply
        .checked_sub(amount)
        .ok_or(ExecError::Invariant("a class's supply is below a balance"))?;
    state.set(class_key(id), class.encode().to_vec());
    Ok(Ok(()))
}

/// Moves `amount` of `from`'s `token` to `to` (the class is transferable; allowances are the
/// caller's business).
fn move_tokens<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    class: &AssetClass,
    id: &AssetClassId,
    token: u64,
    from: &Did,
    to: &Did,
    amount: u128,
) -> ActionResult {
    let state = &mut *ctx.state;
    check!(check_token_id(class, id, token));
    check_state!(check_recipient(state, to));
    // Each party's record is read once: for a fungible class the token-0 record holds both the
    // balance and the freeze.
    let mut sender = holder_record(state, id, token, from)?;
    let mut receiver = holder_record(state, id, token, to)?;
    let frozen = |state: &Overlay<R>, holder: &Did, record: &HolderBalance| {
        if token == 0 {
            Ok(record.frozen)
        } else {
            is_frozen(state, id, holder)
        }
    };
    for (holder, record) in [(from, &sender), (to, &receiver)] {
        if frozen(state, holder, record)? {
            return fail("holder_frozen", format!("{holder} is frozen in {id}"));
        }
    }
    if sender.amount < amount {
        return fail(
            "insufficient_balance",
            format!("balance {} of {id} is less than {amount}", sender.amount),
        );
    }
    if from == to {
        return Ok(Ok(()));
    }
    let Some(new_balance) = receiver.amount.checked_add(amount) else {
        return fail("balance_overflow", "the recipient's balance would overflow");
    };
    sender.amount -= amount;
    receiver.amount = new_balance;
    write_record(state, id, token, from, sender);
    write_record(state, id, token, to, receiver);
    if class.terms.kind == AssetKind::NonFungible {
        let mut record = load_token(state, id, token)?
            .ok_or(ExecError::Invariant("a held token has no token record"))?;
        record.owner = Some(to.clone());
        state.set(token_key(id, token), record.encode().to_vec());
    }
    ctx.emit(AssetsEvent::Received {
        class: id.clone(),
        token,
        holder: to.clone(),
    });
    Ok(Ok(()))
}
