//! Composable tokens: putting tokens into a non-fungible token's bundle and taking them out.
//!
//! Only the owner of the holding token (the parent) changes its bundle, so nobody can fill
//! another's token with unwanted entries up to the bundle's bound. A nested non-fungible token
//! has no owner while it is in a bundle; since only an owned token receives a bundle, no token
//! ends up inside itself or inside its own contents, at any depth, without walking the tree.

use super::{
    AssetsEvent, balance, bundle_key, check_token_id, check_transferable, existing_class,
    load_bundle, load_token, set_balance, token_key,
};
use crate::{
    ActionResult, ApplyContext, ExecError, StateReader, fail, modules::accounts::check_recipient,
};
use commonware_codec::Encode;
use sovra_types::{AssetClass, AssetClassId, AssetKind, ClassFlags, Did, TokenRef};

/// Refuses unless `signer` owns `parent`, a live non-fungible token.
fn check_parent_owner<R: StateReader>(
    ctx: &ApplyContext<'_, R>,
    parent: &TokenRef,
    signer: &Did,
) -> ActionResult {
    match load_token(ctx.state, &parent.class, parent.token)? {
        None => fail("unknown_token", format!("no token {parent}")),
        Some(record) if record.owner.as_ref() == Some(signer) => Ok(Ok(())),
        Some(record) => match record.owner {
            Some(owner) => fail(
                "not_token_owner",
                format!("{parent} belongs to {owner}, not {signer}"),
            ),
            None => fail(
                "not_token_owner",
                format!("{parent} has no owner (burned, or itself in a bundle)"),
            ),
        },
    }
}

/// The class of tokens going into or out of a bundle: transferable and not freezable.
fn nestable_class<R: StateReader>(
    ctx: &ApplyContext<'_, R>,
    id: &AssetClassId,
    token: u64,
) -> ActionResult<std::rc::Rc<AssetClass>> {
    let class = check_state!(existing_class(ctx.state, id));
    check!(check_transferable(&class, id).and(check_token_id(&class, id, token)));
    if class.terms.flags.has(ClassFlags::FREEZABLE) {
        return fail(
            "not_nestable",
            format!("{id} is freezable: its tokens stay where freezing reaches them"),
        );
    }
    Ok(Ok(class))
}

/// Sets the owner of non-fungible token `token` of `id` (`None` while it is in a bundle).
fn set_nft_owner<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    id: &AssetClassId,
    token: u64,
    owner: Option<Did>,
) -> Result<(), ExecError> {
    let mut record = load_token(ctx.state, id, token)?
        .ok_or(ExecError::Invariant("a held token has no token record"))?;
    record.owner = owner;
    ctx.state
        .set(token_key(id, token), record.encode().to_vec());
    Ok(())
}

/// Moves `amount` of the signer's `token` of `id` into `parent`'s bundle.
pub(super) fn nest<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    parent: &TokenRef,
    id: &AssetClassId,
    token: u64,
    amount: u128,
) -> ActionResult {
    let signer = ctx.signer().clone();
    let item = TokenRef {
        class: id.clone(),
        token,
    };
    if &item == parent {
        return fail("nest_into_itself", format!("{parent} cannot hold itself"));
    }
    check_state!(check_parent_owner(ctx, parent, &signer));
    let class = check_state!(nestable_class(ctx, id, token));
    let held = balance(ctx.state, id, token, &signer)?;
    if held < amount {
        return fail(
            "insufficient_balance",
            format!("balance {held} of {id} is less than {amount}"),
        );
    }
    let mut bundle = load_bundle(ctx.state, parent)?;
    if bundle.add(&item, amount).is_none() {
        return fail(
            "bundle_full",
            format!(
                "{parent} holds {} kinds of tokens already (at most {}), or the amount would overflow",
                bundle.items.len(),
                sovra_types::assets::bundle::MAX_BUNDLE_ITEMS
            ),
        );
    }
    set_balance(ctx.state, id, token, &signer, held - amount)?;
    if class.terms.kind == AssetKind::NonFungible {
        set_nft_owner(ctx, id, token, None)?;
    }
    ctx.state.set(bundle_key(parent), bundle.encode().to_vec());
    Ok(Ok(()))
}

/// Takes `amount` of `token` of `id` out of `parent`'s bundle and gives them to `to`.
pub(super) fn unnest<R: StateReader>(
    ctx: &mut ApplyContext<'_, R>,
    parent: &TokenRef,
    id: &AssetClassId,
    token: u64,
    amount: u128,
    to: &Did,
) -> ActionResult {
    let signer = ctx.signer().clone();
    check_state!(check_parent_owner(ctx, parent, &signer));
    let class = check_state!(nestable_class(ctx, id, token));
    check_state!(check_recipient(ctx.state, to));
    let item = TokenRef {
        class: id.clone(),
        token,
    };
    let mut bundle = load_bundle(ctx.state, parent)?;
    let inside = bundle.amount(&item);
    if bundle.take(&item, amount).is_none() {
        return fail(
            "insufficient_balance",
            format!("{parent} holds {inside} of {item}, not {amount}"),
        );
    }
    let received = balance(ctx.state, id, token, to)?;
    let Some(new_balance) = received.checked_add(amount) else {
        return fail("balance_overflow", "the recipient's balance would overflow");
    };
    set_balance(ctx.state, id, token, to, new_balance)?;
    if class.terms.kind == AssetKind::NonFungible {
        set_nft_owner(ctx, id, token, Some(to.clone()))?;
    }
    if bundle.items.is_empty() {
        ctx.state.delete(bundle_key(parent));
    } else {
        ctx.state.set(bundle_key(parent), bundle.encode().to_vec());
    }
    ctx.emit(AssetsEvent::Received {
        class: id.clone(),
        token,
        holder: to.clone(),
    });
    Ok(Ok(()))
}
