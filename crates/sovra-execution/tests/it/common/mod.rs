//! Helpers shared by the execution tests: a genesis with funded test keys,
//! block environments, readers for accounts, a test [`Chain`] that runs one
//! transaction a block, and small builders (documents, CIDs) and checkers
//! (failure codes, rejections).
#![allow(dead_code)]

use sovra_crypto::{MultikeyType, SigningKey};
use sovra_execution::{
    BlockEnv, ExecError, Executor, MemoryState, Rejection, TxOutcome, genesis_changes,
};
use sovra_types::{
    Account, AccountsAction, Action, ContentId, Did, DidDocument, DidRecord, Genesis,
    GenesisAccount, GenesisEconomy, GenesisValidator, IdentityAction, ReceiptStatus, Relationship,
    Relationships, SignedTransaction, StateKey, Transaction, VerificationMethod,
    identity::derive_sovra_did,
};

/// Chain id of every test genesis.
pub(crate) const CHAIN: &str = "test-chain";

/// Test keys `0..n`.
pub(crate) fn keys(n: u64) -> Vec<SigningKey> {
    (0..n).map(SigningKey::from_test_seed).collect()
}

/// The did:key of a key.
pub(crate) fn did(k: &SigningKey) -> Did {
    Did::from_public_key(&k.public_key())
}

/// The block environment at `height` (one block per second from time 0).
pub(crate) fn at(height: u64) -> BlockEnv {
    BlockEnv {
        height,
        timestamp_ms: height * 1_000,
    }
}

/// A genesis funding test key `i` with `balances[i]`, with `authority` (a
/// key index) as registry authority, applied to an empty state.
pub(crate) fn setup_with(
    balances: &[u64],
    authority: Option<usize>,
) -> (Vec<SigningKey>, Executor, MemoryState) {
    setup_economy(balances, authority, None)
}

/// [`setup_with`] with the genesis's staking and governance parameters.
pub(crate) fn setup_economy(
    balances: &[u64],
    authority: Option<usize>,
    economy: Option<GenesisEconomy>,
) -> (Vec<SigningKey>, Executor, MemoryState) {
    let ks = keys(balances.len() as u64);
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        token_symbol: "SOV".into(),
        genesis_time_ms: 0,
        validators: vec![GenesisValidator {
            public_key: hex::encode(SigningKey::from_test_seed(999).public_key().as_ref()),
            p2p_address: "127.0.0.1:1".into(),
            operator: None,
            stake: 0,
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
        economy,
    };
    genesis.validate().unwrap();
    let mut state = MemoryState::default();
    state.apply(&genesis_changes(&genesis));
    (ks, Executor::from_genesis(&genesis), state)
}

/// [`setup_with`] without a registry authority.
pub(crate) fn setup(balances: &[u64]) -> (Vec<SigningKey>, Executor, MemoryState) {
    setup_with(balances, None)
}

/// An identity's account in `state` (empty if absent).
pub(crate) fn account(state: &MemoryState, d: &Did) -> Account {
    state
        .values
        .get(&StateKey::Account(d.clone()))
        .map(|b| Account::decode(b).unwrap())
        .unwrap_or_default()
}

/// The failure code of a failed transaction.
pub(crate) fn code(status: ReceiptStatus) -> String {
    match status {
        ReceiptStatus::Failed { code, .. } => code,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Why a transaction was rejected (not included).
pub(crate) fn rejection<T: std::fmt::Debug>(result: Result<T, ExecError>) -> Rejection {
    match result {
        Err(ExecError::Rejected { rejection, .. }) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// The raw Ed25519 public key of `k`.
pub(crate) fn raw(k: &SigningKey) -> [u8; 32] {
    k.public_key().as_ref().try_into().unwrap()
}

/// A document with `k` as its only signing key (all signing relationships).
pub(crate) fn doc_for(k: &SigningKey) -> DidDocument {
    DidDocument {
        methods: vec![VerificationMethod {
            id: "key-1".into(),
            key_type: MultikeyType::Ed25519,
            public_key: raw(k),
            relationships: Relationships::of(&[
                Relationship::Authentication,
                Relationship::AssertionMethod,
                Relationship::CapabilityInvocation,
            ]),
        }],
        ..Default::default()
    }
}

/// A raw-codec sha2-256 CID of `tag`.
pub(crate) fn cid(tag: &str) -> ContentId {
    let digest = sovra_types::sha256(&[tag.as_bytes()]);
    ContentId::new(cid::Cid::new_v1(
        0x55,
        cid::multihash::Multihash::<64>::wrap(0x12, digest.as_ref()).unwrap(),
    ))
}

/// A raw-codec CID with the identity multihash over "hi" (inline data, not replicated).
pub(crate) fn identity_cid() -> ContentId {
    ContentId::new(cid::Cid::new_v1(
        0x55,
        cid::multihash::Multihash::<64>::wrap(0x00, b"hi").unwrap(),
    ))
}

/// A test chain: state, executor, and the height and time of the last block.
/// Each transaction runs in its own block; blocks are one second apart
/// unless [`Chain::set_next_ms`] or [`Chain::wait`] say otherwise.
pub(crate) struct Chain {
    pub exec: Executor,
    pub state: MemoryState,
    pub height: u64,
    pub now_ms: u64,
    /// Time of the next block, if not one second after the last.
    next_at: Option<u64>,
    /// The fee of the transactions [`Chain::tx`] builds.
    pub fee: u64,
}

impl Chain {
    /// A chain from a genesis funding test key `i` with `balances[i]`.
    pub(crate) fn new(balances: &[u64]) -> (Vec<SigningKey>, Chain) {
        Self::with_authority(balances, None)
    }

    /// [`Chain::new`] with test key `authority` as registry authority.
    pub(crate) fn with_authority(
        balances: &[u64],
        authority: Option<usize>,
    ) -> (Vec<SigningKey>, Chain) {
        Self::from_setup(setup_with(balances, authority))
    }

    /// [`Chain::new`] with the genesis's staking and governance parameters.
    pub(crate) fn with_economy(
        balances: &[u64],
        economy: GenesisEconomy,
    ) -> (Vec<SigningKey>, Chain) {
        Self::from_setup(setup_economy(balances, None, Some(economy)))
    }

    /// A chain from `genesis` (validated here).
    pub(crate) fn from_genesis(genesis: &Genesis) -> Chain {
        genesis.validate().unwrap();
        let mut state = MemoryState::default();
        state.apply(&genesis_changes(genesis));
        Self::from_setup((Vec::new(), Executor::from_genesis(genesis), state)).1
    }

    fn from_setup(
        (ks, exec, state): (Vec<SigningKey>, Executor, MemoryState),
    ) -> (Vec<SigningKey>, Chain) {
        (
            ks,
            Chain {
                exec,
                state,
                height: 0,
                now_ms: 0,
                next_at: None,
                fee: 1,
            },
        )
    }

    /// The time of the next block.
    pub(crate) fn next_ms(&self) -> u64 {
        self.next_at.unwrap_or(self.now_ms + 1_000)
    }

    /// Sets the time of the next block (after the last one).
    pub(crate) fn set_next_ms(&mut self, ms: u64) {
        assert!(ms > self.now_ms);
        self.next_at = Some(ms);
    }

    /// Moves to `height` as if empty blocks came before the next one (they change nothing
    /// unless the chain issues staking rewards: then use [`Chain::empty_blocks`]): the next
    /// transaction runs at `height + 1`.
    pub(crate) fn skip_to(&mut self, height: u64) {
        assert!(height >= self.height);
        self.now_ms += (height - self.height) * 1_000;
        self.height = height;
    }

    /// Executes `n` empty blocks (which issue staking rewards when the parameters say so).
    pub(crate) fn empty_blocks(&mut self, n: u64) {
        for _ in 0..n {
            let env = BlockEnv {
                height: self.height + 1,
                timestamp_ms: self.next_ms(),
            };
            let out = self
                .exec
                .execute_block(&self.state, env, &[])
                .expect("an empty block executes");
            self.state.apply(&out.changes);
            self.height = env.height;
            self.now_ms = env.timestamp_ms;
            self.next_at = None;
        }
    }

    /// Moves the clock forward by `ms` before the next block.
    pub(crate) fn wait(&mut self, ms: u64) {
        self.set_next_ms(self.next_ms() + ms);
    }

    /// A transaction of `signer`, signed with `key`, at its next nonce.
    pub(crate) fn tx(
        &self,
        signer: &Did,
        key: &SigningKey,
        actions: Vec<Action>,
    ) -> SignedTransaction {
        Transaction {
            chain_id: CHAIN.into(),
            signer: signer.clone(),
            nonce: account(&self.state, signer).nonce,
            fee: self.fee,
            expiry_height: 1_000_000,
            actions,
        }
        .sign(key)
    }

    /// A transfer of `amount` from `signer` (signed with `key`) to `to`.
    pub(crate) fn pay(
        &self,
        signer: &Did,
        key: &SigningKey,
        to: &Did,
        amount: u64,
    ) -> SignedTransaction {
        self.tx(
            signer,
            key,
            vec![Action::Accounts(AccountsAction::Transfer {
                to: to.clone(),
                amount,
            })],
        )
    }

    /// Executes one transaction in its own block. The block gives the same
    /// output against only the keys `touched_keys` names as against the full state.
    pub(crate) fn exec(&mut self, t: SignedTransaction) -> Result<TxOutcome, ExecError> {
        let env = BlockEnv {
            height: self.height + 1,
            timestamp_ms: self.next_ms(),
        };
        let txs = std::slice::from_ref(&t);
        let out = self.exec.execute_block(&self.state, env, txs)?;
        let mut sparse = MemoryState::default();
        for key in self.exec.touched_keys(txs) {
            if let Some(v) = self.state.values.get(&key) {
                sparse.values.insert(key, v.clone());
            }
        }
        let sparse_out = self
            .exec
            .execute_block(&sparse, env, txs)
            .expect("included against the touched keys too");
        assert_eq!(sparse_out, out, "touched_keys misses a key the block uses");
        self.state.apply(&out.changes);
        self.height = env.height;
        self.now_ms = env.timestamp_ms;
        self.next_at = None;
        Ok(out.outcomes[0].clone())
    }

    /// Runs `actions` as one transaction of `signer` (signed with `key`);
    /// returns its outcome.
    pub(crate) fn run_all(
        &mut self,
        signer: &Did,
        key: &SigningKey,
        actions: Vec<Action>,
    ) -> TxOutcome {
        let t = self.tx(signer, key, actions);
        self.exec(t).expect("transaction may be included")
    }

    /// Runs one action of the did:key of `key`; returns its receipt status.
    pub(crate) fn act(&mut self, key: &SigningKey, action: impl Into<Action>) -> ReceiptStatus {
        self.run_key(key, vec![action.into()]).status
    }

    /// Runs one action of the did:key of `key`, which must complete.
    pub(crate) fn ok(
        &mut self,
        key: &SigningKey,
        action: impl Into<Action> + Clone + std::fmt::Debug,
    ) {
        let status = self.act(key, action.clone());
        assert_eq!(status, ReceiptStatus::Completed, "{action:?}");
    }

    /// Runs one action of the did:key of `key`, which must fail; returns the failure code.
    pub(crate) fn fails(&mut self, key: &SigningKey, action: impl Into<Action>) -> String {
        code(self.act(key, action))
    }

    /// [`Chain::run_all`] for the did:key of `key`.
    pub(crate) fn run_key(&mut self, key: &SigningKey, actions: Vec<Action>) -> TxOutcome {
        self.run_all(&did(key), key, actions)
    }

    /// Transfers `amount` from the did:key of `from` to `to`, which must complete.
    pub(crate) fn fund(&mut self, from: &SigningKey, to: &Did, amount: u64) {
        let t = self.pay(&did(from), from, to, amount);
        let outcome = self.exec(t).expect("transaction may be included");
        assert_eq!(outcome.status, ReceiptStatus::Completed);
    }

    /// Creates a did:sovra with `doc`, paid for by the did:key of `payer`,
    /// which must complete; returns the new DID.
    pub(crate) fn create_did(&mut self, payer: &SigningKey, doc: DidDocument) -> Did {
        let signer = did(payer);
        let nonce = account(&self.state, &signer).nonce;
        let outcome = self.run_all(
            &signer,
            payer,
            vec![Action::Identity(IdentityAction::Create { document: doc })],
        );
        assert_eq!(outcome.status, ReceiptStatus::Completed);
        derive_sovra_did(CHAIN, &signer, nonce, 0)
    }

    /// The current record of a did:sovra.
    pub(crate) fn did_record(&self, d: &Did) -> Option<DidRecord> {
        self.state
            .values
            .get(&StateKey::Did(d.clone()))
            .map(|b| DidRecord::decode(b).unwrap())
    }

    /// The record of version `version` of a did:sovra.
    pub(crate) fn did_version(&self, d: &Did, version: u64) -> Option<DidRecord> {
        self.state
            .values
            .get(&StateKey::DidVersion {
                did: d.clone(),
                version,
            })
            .map(|b| DidRecord::decode(b).unwrap())
    }
}
