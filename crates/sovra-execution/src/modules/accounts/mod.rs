//! Accounts: native-token balances and nonces of identities, the `Transfer` action, fees and
//! the chain-wide supply counters (its genesis section funds the genesis accounts).
//!
//! A transfer moves a positive amount to an identity that can spend it: any `did:key`, or a
//! `did:sovra` that exists on this ledger and is not deactivated. Funds sent anywhere else
//! could never move again, so such a transfer fails (`zero_amount`, `unknown_recipient`,
//! `recipient_deactivated`) and moves nothing; the signer still pays the fee.

use crate::{
    ActionFailure, ActionResult, ApplyContext, Changes, ExecError, ExecutionModule, KeySet,
    Overlay, Parties, StateReader, TxContext, fail, modules::identity,
};
use commonware_codec::Encode;
use sovra_types::{
    Account, AccountsAction, Did, DidMethod, Genesis, StateKey,
    state::{MetaKey, decode_u64, encode_u64},
};

/// The accounts module.
pub struct Accounts;

impl ExecutionModule for Accounts {
    type Action = AccountsAction;

    fn genesis(genesis: &Genesis, changes: &mut Changes) {
        for a in &genesis.accounts {
            let account = Account {
                balance: a.balance,
                ..Default::default()
            };
            changes.insert(
                StateKey::Account(a.did.clone()),
                Some(account.encode().to_vec()),
            );
        }
        // Balances and genesis stake (`Genesis::validate` refuses a total that overflows).
        let supply = genesis.total_supply().unwrap_or(u64::MAX);
        changes.insert(StateKey::Meta(MetaKey::Supply), Some(encode_u64(supply)));
        changes.insert(StateKey::Meta(MetaKey::Burned), Some(encode_u64(0)));
    }

    fn check_admission(action: &AccountsAction) -> Result<(), ActionFailure> {
        match action {
            AccountsAction::Transfer { amount, .. } => check_amount(*amount),
        }
    }

    fn keys(_: &TxContext<'_>, action: &AccountsAction, keys: &mut KeySet) {
        match action {
            AccountsAction::Transfer { to, .. } => {
                keys.insert(StateKey::Account(to.clone()));
                // A did:sovra recipient must exist and be active.
                if to.method() == DidMethod::Sovra {
                    keys.insert(StateKey::Did(to.clone()));
                }
            }
        }
    }

    fn parties(_: &TxContext<'_>, action: &AccountsAction, parties: &mut Parties) {
        match action {
            AccountsAction::Transfer { to, .. } => parties.add(to),
        }
    }

    fn apply<R: StateReader>(
        ctx: &mut ApplyContext<'_, R>,
        action: &AccountsAction,
    ) -> ActionResult {
        match action {
            AccountsAction::Transfer { to, amount } => {
                transfer(ctx.state, ctx.signer(), to, *amount)
            }
        }
    }
}

/// Reads an identity's account (a fresh, empty account if it has none).
pub fn load<R: StateReader>(state: &Overlay<R>, did: &Did) -> Result<Account, ExecError> {
    Ok(state
        .get_decoded(&StateKey::Account(did.clone()), Account::decode)?
        .unwrap_or_default())
}

/// Writes an identity's account.
pub fn store<R: StateReader>(state: &mut Overlay<R>, did: &Did, account: &Account) {
    state.set(StateKey::Account(did.clone()), account.encode().to_vec());
}

/// Reads a chain-wide counter (0 when unset).
pub fn meta<R: StateReader>(state: &Overlay<R>, key: MetaKey) -> Result<u64, ExecError> {
    Ok(state
        .get_decoded(&StateKey::Meta(key), decode_u64)?
        .unwrap_or(0))
}

/// Writes a chain-wide counter.
pub fn set_meta<R: StateReader>(state: &mut Overlay<R>, key: MetaKey, value: u64) {
    state.set(StateKey::Meta(key), encode_u64(value));
}

/// Burns `fee` from `payer` (whose balance was checked) and bumps its nonce.
pub fn charge_fee_and_nonce<R: StateReader>(
    state: &mut Overlay<R>,
    payer: &Did,
    fee: u64,
) -> Result<(), ExecError> {
    let mut account = load(state, payer)?;
    account.balance = account
        .balance
        .checked_sub(fee)
        .ok_or(ExecError::Invariant("fee exceeds balance after checks"))?;
    account.nonce += 1;
    store(state, payer, &account);
    if fee > 0 {
        let supply = meta(state, MetaKey::Supply)?;
        let burned = meta(state, MetaKey::Burned)?;
        set_meta(state, MetaKey::Supply, supply.saturating_sub(fee));
        set_meta(state, MetaKey::Burned, burned.saturating_add(fee));
    }
    Ok(())
}

/// A transfer moves a positive amount.
fn check_amount(amount: u64) -> Result<(), ActionFailure> {
    if amount == 0 {
        return Err(ActionFailure::new(
            "zero_amount",
            "a transfer moves a positive amount",
        ));
    }
    Ok(())
}

/// Whether `to` may receive funds: a `did:key`, or a `did:sovra` that exists and is active.
pub fn check_recipient<R: StateReader>(state: &Overlay<R>, to: &Did) -> ActionResult {
    if to.method() != DidMethod::Sovra {
        return Ok(Ok(()));
    }
    match identity::load(state, to)? {
        None => fail(
            "unknown_recipient",
            format!("{to} does not exist on this ledger; funds sent to it could never move"),
        ),
        Some(record) if record.deactivated => fail(
            "recipient_deactivated",
            format!("{to} is deactivated; funds sent to it could never move"),
        ),
        Some(_) => Ok(Ok(())),
    }
}

/// Moves `amount` (positive) from `from` to `to`, which must be able to spend it
/// ([`check_recipient`]).
fn transfer<R: StateReader>(
    state: &mut Overlay<R>,
    from: &Did,
    to: &Did,
    amount: u64,
) -> ActionResult {
    if let Err(f) = check_amount(amount) {
        return Ok(Err(f));
    }
    if let Err(f) = check_recipient(state, to)? {
        return Ok(Err(f));
    }
    let mut sender = load(state, from)?;
    if sender.balance < amount {
        return fail(
            "insufficient_balance",
            format!("balance {} is less than {amount}", sender.balance),
        );
    }
    if from == to {
        return Ok(Ok(()));
    }
    let mut recipient = load(state, to)?;
    let Some(new_balance) = recipient.balance.checked_add(amount) else {
        return fail("balance_overflow", "recipient balance would overflow");
    };
    sender.balance -= amount;
    recipient.balance = new_balance;
    store(state, from, &sender);
    store(state, to, &recipient);
    Ok(Ok(()))
}
