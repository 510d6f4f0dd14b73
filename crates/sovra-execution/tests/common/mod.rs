//! Helpers shared by the execution tests: a genesis with funded test keys,
//! block environments, and readers for accounts.
#![allow(dead_code)]

use sovra_crypto::SigningKey;
use sovra_execution::{BlockEnv, Executor, MemoryState, genesis_changes};
use sovra_types::{Account, Did, Genesis, GenesisAccount, GenesisValidator, StateKey};

/// Chain id of every test genesis.
pub const CHAIN: &str = "test-chain";

/// Test keys `0..n`.
pub fn keys(n: u64) -> Vec<SigningKey> {
    (0..n).map(SigningKey::from_test_seed).collect()
}

/// The did:key of a key.
pub fn did(k: &SigningKey) -> Did {
    Did::from_public_key(&k.public_key())
}

/// The block environment at `height` (one block per second from time 0).
pub fn at(height: u64) -> BlockEnv {
    BlockEnv {
        height,
        timestamp_ms: height * 1_000,
    }
}

/// A genesis funding test key `i` with `balances[i]`, with `authority` (a
/// key index) as registry authority, applied to an empty state.
pub fn setup_with(
    balances: &[u64],
    authority: Option<usize>,
) -> (Vec<SigningKey>, Executor, MemoryState) {
    let ks = keys(balances.len() as u64);
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: vec![GenesisValidator {
            public_key: hex::encode(SigningKey::from_test_seed(999).public_key().as_ref()),
            p2p_address: "127.0.0.1:1".into(),
        }],
        accounts: ks
            .iter()
            .zip(balances)
            .map(|(k, b)| GenesisAccount {
                did: did(k),
                balance: *b,
            })
            .collect(),
        min_fee: 1,
        max_block_txs: 1000,
        registry_authority: authority.map(|i| did(&ks[i])),
    };
    genesis.validate().unwrap();
    let mut state = MemoryState::default();
    state.apply(&genesis_changes(&genesis));
    (ks, Executor::from_genesis(&genesis), state)
}

/// [`setup_with`] without a registry authority.
pub fn setup(balances: &[u64]) -> (Vec<SigningKey>, Executor, MemoryState) {
    setup_with(balances, None)
}

/// An identity's account in `state` (empty if absent).
pub fn account(state: &MemoryState, d: &Did) -> Account {
    state
        .values
        .get(&StateKey::Account(d.clone()))
        .map(|b| Account::decode(b).unwrap())
        .unwrap_or_default()
}
