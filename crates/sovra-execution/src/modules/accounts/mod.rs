//! Accounts: native-token balances and nonces of identities, the
//! `Transfer` action, fees and the chain-wide supply counters.
//!
//! A transfer moves a positive amount to an identity that can spend it: any `did:key`, or a
//! `did:sovra` that exists on this ledger and is not deactivated. Funds sent anywhere else
//! could never move again, so such a transfer fails (`zero_amount`, `unknown_recipient`,
//! `recipient_deactivated`) and moves nothing; the signer still pays the fee.

use crate::{ExecError, Overlay, StateReader, modules::identity};
use commonware_codec::Encode;
use sovra_types::{
    Account, Did, DidMethod, StateKey,
    state::{MetaKey, decode_u64, encode_u64},
};

/// Why an action failed (the transaction is still included, its receipt says failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionFailure {
    /// Machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

/// The result of an action that failed with `code`: the transaction is
/// still included and charged, its receipt says why.
pub fn fail<T>(
    code: &'static str,
    message: impl Into<String>,
) -> Result<Result<T, ActionFailure>, ExecError> {
    Ok(Err(ActionFailure {
        code,
        message: message.into(),
    }))
}

/// Reads an identity's account (a fresh, empty account if it has none).
pub fn load<R: StateReader>(state: &Overlay<R>, did: &Did) -> Result<Account, ExecError> {
    match state.get(&StateKey::Account(did.clone()))? {
        Some(bytes) => Account::decode(&bytes).map_err(|e| ExecError::State(e.to_string())),
        None => Ok(Account::default()),
    }
}

/// Writes an identity's account.
pub fn store<R: StateReader>(state: &mut Overlay<R>, did: &Did, account: &Account) {
    state.set(StateKey::Account(did.clone()), account.encode().to_vec());
}

/// Reads a chain-wide counter (0 when unset).
pub fn meta<R: StateReader>(state: &Overlay<R>, key: MetaKey) -> Result<u64, ExecError> {
    match state.get(&StateKey::Meta(key))? {
        Some(b) => decode_u64(&b).map_err(|e| ExecError::State(e.to_string())),
        None => Ok(0),
    }
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
        .ok_or_else(|| ExecError::State("fee exceeds balance after checks".into()))?;
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

/// Whether `to` may receive funds: a `did:key`, or a `did:sovra` that exists and is active.
pub fn check_recipient<R: StateReader>(
    state: &Overlay<R>,
    to: &Did,
) -> Result<Result<(), ActionFailure>, ExecError> {
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
pub fn transfer<R: StateReader>(
    state: &mut Overlay<R>,
    from: &Did,
    to: &Did,
    amount: u64,
) -> Result<Result<(), ActionFailure>, ExecError> {
    if amount == 0 {
        return fail("zero_amount", "a transfer moves a positive amount");
    }
    if let Err(f) = check_recipient(state, to)? {
        return Ok(Err(f));
    }
    let mut sender = load(state, from)?;
    if sender.balance < amount {
        return Ok(Err(ActionFailure {
            code: "insufficient_balance",
            message: format!("balance {} is less than {amount}", sender.balance),
        }));
    }
    if from == to {
        return Ok(Ok(()));
    }
    let mut recipient = load(state, to)?;
    let Some(new_balance) = recipient.balance.checked_add(amount) else {
        return Ok(Err(ActionFailure {
            code: "balance_overflow",
            message: "recipient balance would overflow".into(),
        }));
    };
    sender.balance -= amount;
    recipient.balance = new_balance;
    store(state, from, &sender);
    store(state, to, &recipient);
    Ok(Ok(()))
}
