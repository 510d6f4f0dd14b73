//! Fixed examples of every encoded structure: one per transaction action variant, per state
//! key variant, per receipt status, and of each record, header, transaction and block. The
//! golden vectors (`vectors.rs`) pin their encodings; the codec property tests (`codec.rs`) draw
//! every action variant from [`actions`].
#![allow(dead_code)]

use sovra_crypto::{MultikeyType, SigningKey};
use sovra_types::{
    Account, AccountsAction, Action, AssetClass, AssetClassId, AssetKind, AssetsAction, Block,
    BlockHeader, Bundle, ClassFlags, ClassTerms, ContentAction, ContentId, Did, DidDocument,
    DidRecord, HolderBalance, IdentityAction, LockSchedule, PinRecord, ReceiptEntry, ReceiptStatus,
    RecordId, RecoveryAction, RecoveryConfig, RegistryAction, Relationship, Relationships, Service,
    SignedTransaction, StateKey, StatusListAnchor, TokenLock, TokenRecord, TokenRef, Transaction,
    VaultAction, VaultRecord, VerificationMethod, VerifierRecord,
    block::tx_root,
    recovery::{Approval, PendingRecovery, ShareEnvelope, ShareEnvelopes},
    sha256,
    state::MetaKey,
    vault::{Grant, RecordKeys},
};
use sovra_types::{
    Delegation, DepositStatus, GovernanceAction, ParamChange, Params, ParamsRecord, Proposal,
    ProposalContent, ProposalId, ProposalStatus, Stake, StakeTotal, StakingAction, Tally,
    Unbonding, UnbondingEntry, ValidatorRecord, VoteOption, VoteRecord,
    actions::staking::ValidatorRegistration,
    governance::VotingRules,
    staking::{CandidateList, Checkpoints, ValidatorSets},
};

/// A test key.
pub(crate) fn key(seed: u64) -> SigningKey {
    SigningKey::from_test_seed(seed)
}

/// The did:key of test key `seed`.
pub(crate) fn did_key(seed: u64) -> Did {
    Did::from_public_key(&key(seed).public_key())
}

/// A did:sovra with every id byte `b`.
pub(crate) fn did_sovra(b: u8) -> Did {
    Did::sovra(&[b; 16])
}

/// A CID of `codec` over the SHA-256 of `tag`.
pub(crate) fn cid_with(codec: u64, tag: &[u8]) -> ContentId {
    ContentId::new(cid::Cid::new_v1(
        codec,
        cid::multihash::Multihash::<64>::wrap(0x12, sha256(&[tag]).as_ref()).unwrap(),
    ))
}

/// A raw-codec CID over the SHA-256 of `tag`.
pub(crate) fn cid(tag: &[u8]) -> ContentId {
    cid_with(0x55, tag)
}

/// A document with test key 1 (and its X25519 agreement key), a service, a controller and
/// an alias.
pub(crate) fn document() -> DidDocument {
    let ed25519: [u8; 32] = key(1).public_key().as_ref().try_into().unwrap();
    let mut methods = sovra_types::identity::methods_for_key(&ed25519, 1).unwrap();
    methods.push(VerificationMethod {
        id: "auth-2".into(),
        key_type: MultikeyType::Ed25519,
        public_key: key(2).public_key().as_ref().try_into().unwrap(),
        relationships: Relationships::of(&[Relationship::Authentication]),
    });
    DidDocument {
        methods,
        services: vec![Service {
            id: "home".into(),
            service_type: "LinkedDomains".into(),
            endpoint: "https://example.org/".into(),
        }],
        controllers: vec![did_key(3)],
        also_known_as: vec!["urn:example:alice".into()],
    }
}

/// One example of every action variant, named by [`Action::kind`].
pub(crate) fn actions() -> Vec<Action> {
    let record = RecordId([0x42; 16]);
    vec![
        AccountsAction::Transfer {
            to: did_key(2),
            amount: 1_000_000,
        }
        .into(),
        ContentAction::Pin {
            cid: cid_with(0x70, b"dag"),
            size: 4096,
            replication: 3,
        }
        .into(),
        ContentAction::Unpin {
            cid: cid_with(0x70, b"dag"),
        }
        .into(),
        ContentAction::SetPublicDocument {
            name: "profile".into(),
            cid: Some(cid(b"profile")),
        }
        .into(),
        IdentityAction::Create {
            document: document(),
        }
        .into(),
        IdentityAction::Update {
            did: did_sovra(7),
            previous_version: 3,
            document: document(),
        }
        .into(),
        IdentityAction::Deactivate {
            did: did_sovra(7),
            previous_version: 4,
        }
        .into(),
        RegistryAction::RegisterVerifier {
            verifier: did_sovra(8),
            name: "Example Labs".into(),
            credential_types: vec!["KycCredential".into(), "HealthTestCredential".into()],
        }
        .into(),
        RegistryAction::RemoveVerifier {
            verifier: did_sovra(8),
        }
        .into(),
        RegistryAction::AnchorStatusList {
            list_id: "revocation-1".into(),
            cid: cid(b"status list"),
        }
        .into(),
        VaultAction::Put {
            record,
            version: 1,
            content: cid_with(0x70, b"ciphertext"),
            size: 65_536,
            keys: cid(b"keys"),
            replication: 3,
            retain_until_ms: Some(1_900_000_000_000),
        }
        .into(),
        VaultAction::Grant {
            record,
            grantee: did_key(4),
            until_ms: Some(1_800_000_000_000),
            wrap: cid(b"wrap"),
        }
        .into(),
        VaultAction::Revoke {
            record,
            grantee: did_key(4),
        }
        .into(),
        VaultAction::Delete { record }.into(),
        RecoveryAction::Setup {
            guardians: vec![did_key(5), did_sovra(6)],
            threshold: 2,
            commitments: vec![0xc0; 67],
            shares: cid(b"shares"),
            time_lock_ms: 86_400_000,
        }
        .into(),
        RecoveryAction::Request { did: did_sovra(7) }.into(),
        RecoveryAction::Approve {
            did: did_sovra(7),
            share: cid(b"share"),
        }
        .into(),
        RecoveryAction::Cancel { did: did_sovra(7) }.into(),
        RecoveryAction::Complete {
            did: did_sovra(7),
            previous_version: 5,
        }
        .into(),
        AssetsAction::Create {
            name: "GOLD".into(),
            terms: class_terms(),
        }
        .into(),
        AssetsAction::Mint {
            class: asset_class(),
            token: 0,
            to: did_key(2),
            amount: 1_000_000_000_000_000_000_000_000,
            metadata: None,
        }
        .into(),
        AssetsAction::Burn {
            class: asset_class(),
            token: 3,
            holder: did_key(2),
            amount: 1,
        }
        .into(),
        AssetsAction::Transfer {
            class: asset_class(),
            token: 0,
            to: did_sovra(7),
            amount: u128::MAX,
        }
        .into(),
        AssetsAction::Approve {
            class: asset_class(),
            spender: did_key(3),
            amount: 500,
        }
        .into(),
        AssetsAction::TransferFrom {
            class: asset_class(),
            token: 0,
            from: did_key(2),
            to: did_key(4),
            amount: 250,
        }
        .into(),
        AssetsAction::Freeze {
            class: asset_class(),
            holder: did_key(4),
            frozen: true,
        }
        .into(),
        AssetsAction::SetMintAuthority {
            class: asset_class(),
            authority: Some(did_sovra(6)),
        }
        .into(),
        AssetsAction::Lock {
            class: asset_class(),
            token: 0,
            to: did_key(5),
            amount: 1_200,
            schedule: LockSchedule {
                start_ms: 1_700_000_000_000,
                cliff_ms: 1_710_000_000_000,
                end_ms: 1_730_000_000_000,
            },
        }
        .into(),
        AssetsAction::Release {
            class: asset_class(),
            token: 0,
            lock: 0x0123_4567_89ab_cdef,
        }
        .into(),
        AssetsAction::Nest {
            parent: nft_ref(),
            class: asset_class(),
            token: 0,
            amount: 40,
        }
        .into(),
        AssetsAction::Unnest {
            parent: nft_ref(),
            class: asset_class(),
            token: 0,
            amount: 15,
            to: did_key(3),
        }
        .into(),
        StakingAction::RegisterValidator(Box::new(ValidatorRegistration {
            consensus_key: key(9).public_key(),
            p2p_address: "10.0.0.9:7000".into(),
            commission_bps: 500,
            proof: key(9).sign(
                sovra_types::staking::VALIDATOR_KEY_NAMESPACE,
                &sovra_types::staking::validator_key_message("sovra-test", &did_sovra(9)),
            ),
        }))
        .into(),
        StakingAction::Delegate {
            validator: did_sovra(9),
            amount: 5_000,
        }
        .into(),
        StakingAction::Undelegate {
            validator: did_sovra(9),
            amount: 1_000,
        }
        .into(),
        StakingAction::Withdraw.into(),
        StakingAction::ClaimRewards {
            validator: Some(did_sovra(9)),
        }
        .into(),
        StakingAction::ReportEquivocation {
            validator: did_sovra(9),
            evidence: Box::new(equivocation()),
        }
        .into(),
        GovernanceAction::Propose {
            title: "Raise the minimum fee".into(),
            description: "Spam is cheap.".into(),
            content: ProposalContent::ChangeParams(vec![
                ParamChange::MinFee(5),
                ParamChange::RegistryAuthority(Some(did_sovra(6))),
            ]),
            deposit: 1_000,
        }
        .into(),
        GovernanceAction::Vote {
            proposal: ProposalId([0x11; 16]),
            option: VoteOption::Veto,
            delegated_to: Some(did_sovra(9)),
        }
        .into(),
        GovernanceAction::Finalize {
            proposal: ProposalId([0x11; 16]),
        }
        .into(),
        GovernanceAction::Claim {
            proposal: ProposalId([0x11; 16]),
        }
        .into(),
        GovernanceAction::Enact {
            proposal: ProposalId([0x11; 16]),
            verifier: did_sovra(7),
        }
        .into(),
    ]
}

/// The parameters record: defaults with a change scheduled.
pub(crate) fn params_record() -> ParamsRecord {
    let mut r = ParamsRecord::new(Params {
        registry_authority: Some(did_sovra(6)),
        ..Params::default()
    });
    r.schedule(
        1_500,
        vec![ParamChange::MinFee(5), ParamChange::QuorumBps(2_500)],
    )
    .unwrap();
    r
}

/// A validator candidate with power from epoch 3 and more from epoch 5.
pub(crate) fn validator_record() -> ValidatorRecord {
    let mut power = Checkpoints::default();
    power.set_next(2, 5_000);
    power.set_next(4, 9_000);
    ValidatorRecord {
        consensus_key: key(9).public_key().as_ref().try_into().unwrap(),
        p2p_address: "10.0.0.9:7000".into(),
        commission_bps: 500,
        power,
        commission_index: 3 * sovra_types::staking::REWARD_INDEX_SCALE / 2,
        slash: Some(sovra_types::staking::SlashRecord {
            height: 2_999,
            epoch: 4,
            offence_epoch: 3,
            fraction_bps: 500,
            reward_index: sovra_types::staking::REWARD_INDEX_SCALE + 11,
        }),
        latest_release: 6_000,
    }
}

/// A slash log of one event.
pub(crate) fn slash_log() -> sovra_types::staking::SlashLog {
    sovra_types::staking::SlashLog {
        events: vec![sovra_types::staking::SlashEvent {
            validator: did_sovra(9),
            height: 2_999,
            fraction_bps: 500,
            until: 6_000,
        }],
    }
}

/// Evidence that test key 9 signed two notarize votes in view 7 of epoch 2, in a set of keys
/// 7, 8, 9.
pub(crate) fn equivocation() -> sovra_types::evidence::Equivocation {
    let keys: Vec<_> = [7, 8, 9].iter().map(|s| key(*s).public_key()).collect();
    sovra_types::evidence::Equivocation::conflicting_notarize(
        &sovra_types::evidence::consensus_namespace("sovra-test"),
        &keys,
        key(9).as_commonware().clone(),
        2,
        7,
    )
    .unwrap()
}

/// A delegation to `did_sovra(9)`.
pub(crate) fn delegation() -> Delegation {
    let mut d = Delegation::default();
    d.stake.set_next(3, Stake::new(did_sovra(9), 4_000));
    d.stake.set_next(
        4,
        Stake {
            validator: did_sovra(9),
            amount: 3_800,
            after_slash: true,
        },
    );
    d.reward_index = 2 * sovra_types::staking::REWARD_INDEX_SCALE + 7;
    d.rewards = 125;
    d
}

/// Two listed candidates.
pub(crate) fn candidate_list() -> CandidateList {
    let mut list = CandidateList::default();
    list.update(&did_sovra(9), [0x09; 32], 9_000);
    list.update(&did_key(4), [0x04; 32], 1_200);
    list
}

/// The sets of epochs 4 and 5.
pub(crate) fn validator_sets() -> ValidatorSets {
    let list = candidate_list();
    let mut sets = ValidatorSets::default();
    sets.push(list.choose(4, 1));
    sets.push(list.choose(5, 100));
    sets
}

/// A stake total with history and a reward index.
pub(crate) fn stake_total() -> StakeTotal {
    let mut t = StakeTotal::default();
    t.total.set_next(2, 5_000);
    t.total.set_next(4, 9_000);
    t.reward_index = 5 * sovra_types::staking::REWARD_INDEX_SCALE + 3;
    t.reward_carry = 4_321;
    t
}

/// Two unbonding entries.
pub(crate) fn unbonding() -> Unbonding {
    Unbonding {
        entries: vec![
            UnbondingEntry {
                validator: did_sovra(9),
                amount: 1_000,
                release_height: 4_000,
            },
            UnbondingEntry {
                validator: did_sovra(9),
                amount: 250,
                release_height: 4_100,
            },
        ],
    }
}

/// A passed proposal to register a verifier in the trust registry.
pub(crate) fn registry_proposal() -> Proposal {
    Proposal {
        content: ProposalContent::Registry(RegistryAction::RegisterVerifier {
            verifier: did_sovra(7),
            name: "Clinic".into(),
            credential_types: vec!["LabResult".into()],
        }),
        status: ProposalStatus::Passed,
        ..proposal()
    }
}

/// A proposal being voted on.
pub(crate) fn proposal() -> Proposal {
    Proposal {
        proposer: did_key(2),
        title: "Raise the minimum fee".into(),
        description: "Spam is cheap.".into(),
        content: ProposalContent::TreasurySpend {
            to: did_key(3),
            amount: 700,
        },
        deposit: 1_000,
        deposit_status: DepositStatus::Held,
        submitted_height: 1_234,
        snapshot_epoch: 2,
        total_stake: 9_000,
        voting_end: 2_434,
        execution_height: 2_735,
        rules: VotingRules {
            quorum_bps: 3_340,
            threshold_bps: 5_000,
            veto_bps: 3_340,
        },
        tally: Tally {
            yes: 5_000,
            no: 1_000,
            abstain: 0,
            veto: 250,
        },
        status: ProposalStatus::Voting,
    }
}

/// A validator's vote with stake of delegators who voted themselves.
pub(crate) fn vote_record() -> VoteRecord {
    VoteRecord {
        option: Some(VoteOption::Yes),
        weight: 0,
        overridden: 4_000,
    }
}

/// Token 9 of an example collection of `did_sovra(8)`.
pub(crate) fn nft_ref() -> TokenRef {
    TokenRef {
        class: AssetClassId {
            issuer: did_sovra(8),
            name: "RELICS".into(),
        },
        token: 9,
    }
}

/// What the example token holds: gold, and another token of its own collection.
pub(crate) fn bundle() -> Bundle {
    let mut other = nft_ref();
    other.token = 10;
    Bundle {
        items: vec![
            (
                TokenRef {
                    class: asset_class(),
                    token: 0,
                },
                25,
            ),
            (other, 1),
        ],
    }
}

/// An example asset class of `did_sovra(8)`.
pub(crate) fn asset_class() -> AssetClassId {
    AssetClassId {
        issuer: did_sovra(8),
        name: "GOLD".into(),
    }
}

/// Example terms of a fungible, capped, transferable and freezable class.
pub(crate) fn class_terms() -> ClassTerms {
    ClassTerms {
        kind: AssetKind::Fungible,
        symbol: "GLD".into(),
        title: "Gold".into(),
        decimals: 18,
        max_supply: Some(21_000_000_000_000_000_000_000_000),
        flags: ClassFlags(ClassFlags::TRANSFERABLE | ClassFlags::FREEZABLE),
        metadata: Some(cid(b"gold-metadata")),
    }
}

/// One example of every state key variant, with its name in the vectors.
pub(crate) fn state_keys() -> Vec<(&'static str, StateKey)> {
    let keys = vec![
        StateKey::Account(did_key(1)),
        StateKey::Meta(MetaKey::Supply),
        StateKey::Meta(MetaKey::Burned),
        StateKey::Pin {
            cid: cid_with(0x70, b"dag"),
            owner: did_key(1),
        },
        StateKey::PublicDoc {
            owner: did_sovra(7),
            name: "profile".into(),
        },
        StateKey::Did(did_sovra(7)),
        StateKey::DidVersion {
            did: did_sovra(7),
            version: 3,
        },
        StateKey::Verifier(did_sovra(8)),
        StateKey::StatusList {
            issuer: did_sovra(8),
            list_id: "revocation-1".into(),
        },
        StateKey::VaultRecord(RecordId([0x42; 16])),
        StateKey::Recovery(did_sovra(7)),
        StateKey::AssetClass(asset_class()),
        StateKey::AssetBalance {
            class: asset_class(),
            token: 0,
            holder: did_key(2),
        },
        StateKey::AssetToken {
            class: asset_class(),
            token: 9,
        },
        StateKey::AssetAllowance {
            class: asset_class(),
            owner: did_key(2),
            spender: did_key(3),
        },
        StateKey::AssetLock {
            class: asset_class(),
            holder: did_key(5),
            id: 77,
        },
        StateKey::AssetBundle {
            class: nft_ref().class,
            token: 9,
        },
        StateKey::Meta(MetaKey::Staked),
        StateKey::Meta(MetaKey::Deposits),
        StateKey::Meta(MetaKey::Treasury),
        StateKey::Meta(MetaKey::Rewards),
        StateKey::Meta(MetaKey::Issued),
        StateKey::Params,
        StateKey::Validator(did_sovra(9)),
        StateKey::ConsensusKey([0x09; 32]),
        StateKey::Delegation(did_key(2)),
        StateKey::Unbonding(did_key(2)),
        StateKey::StakeTotal,
        StateKey::Candidates,
        StateKey::ValidatorSets,
        StateKey::SlashLog,
        StateKey::Proposal(ProposalId([0x11; 16])),
        StateKey::Vote {
            proposal: ProposalId([0x11; 16]),
            voter: did_sovra(9),
        },
    ];
    keys.into_iter().map(|k| (state_key_name(&k), k)).collect()
}

/// The vector name of a state key. Exhaustive: a new variant does not compile until it is
/// named here; give it an example in [`state_keys`] too, and a vector.
pub(crate) fn state_key_name(key: &StateKey) -> &'static str {
    match key {
        StateKey::Account(_) => "account",
        StateKey::Meta(MetaKey::Supply) => "meta_supply",
        StateKey::Meta(MetaKey::Burned) => "meta_burned",
        StateKey::Pin { .. } => "pin",
        StateKey::PublicDoc { .. } => "public_doc",
        StateKey::Did(_) => "did",
        StateKey::DidVersion { .. } => "did_version",
        StateKey::Verifier(_) => "verifier",
        StateKey::StatusList { .. } => "status_list",
        StateKey::VaultRecord(_) => "vault_record",
        StateKey::Recovery(_) => "recovery",
        StateKey::AssetClass(_) => "asset_class",
        StateKey::AssetBalance { .. } => "asset_balance",
        StateKey::AssetToken { .. } => "asset_token",
        StateKey::AssetAllowance { .. } => "asset_allowance",
        StateKey::AssetLock { .. } => "asset_lock",
        StateKey::AssetBundle { .. } => "asset_bundle",
        StateKey::Meta(MetaKey::Staked) => "meta_staked",
        StateKey::Meta(MetaKey::Deposits) => "meta_deposits",
        StateKey::Meta(MetaKey::Treasury) => "meta_treasury",
        StateKey::Meta(MetaKey::Rewards) => "meta_rewards",
        StateKey::Meta(MetaKey::Issued) => "meta_issued",
        StateKey::Params => "params",
        StateKey::Validator(_) => "validator",
        StateKey::ConsensusKey(_) => "consensus_key",
        StateKey::Delegation(_) => "delegation",
        StateKey::Unbonding(_) => "unbonding",
        StateKey::Candidates => "candidates",
        StateKey::ValidatorSets => "validator_sets",
        StateKey::SlashLog => "slash_log",
        StateKey::StakeTotal => "stake_total",
        StateKey::Proposal(_) => "proposal",
        StateKey::Vote { .. } => "vote",
    }
}

/// One example of every receipt status, with its name in the vectors.
pub(crate) fn receipt_statuses() -> Vec<(&'static str, ReceiptStatus)> {
    let statuses = vec![
        ReceiptStatus::Pending,
        ReceiptStatus::Completed,
        ReceiptStatus::Failed {
            code: "insufficient_balance".into(),
            message: "balance 5 is less than 7".into(),
        },
        ReceiptStatus::Erased {
            record: RecordId([0x42; 16]),
        },
    ];
    statuses
        .into_iter()
        .map(|s| {
            // Exhaustive: a new status does not compile until it is named here.
            let name = match &s {
                ReceiptStatus::Pending => "receipt_pending",
                ReceiptStatus::Completed => "receipt_completed",
                ReceiptStatus::Failed { .. } => "receipt_failed",
                ReceiptStatus::Erased { .. } => "receipt_erased",
            };
            (name, s)
        })
        .collect()
}

/// A receipt-chain entry with `status`.
pub(crate) fn receipt_entry(status: ReceiptStatus) -> ReceiptEntry {
    ReceiptEntry {
        index: 7,
        tx_id: sha256(&[b"tx"]),
        height: 1234,
        status,
        prev: sha256(&[b"prev"]),
    }
}

/// A transaction of test key 1 carrying the first three example actions, signed.
pub(crate) fn signed_transaction() -> SignedTransaction {
    Transaction {
        chain_id: "sovra-vectors".into(),
        signer: did_key(1),
        nonce: 9,
        fee: 10,
        expiry_height: 5000,
        actions: actions().into_iter().take(3).collect(),
    }
    .sign(&key(1))
}

/// A block header.
pub(crate) fn header() -> BlockHeader {
    let txs = [signed_transaction()];
    BlockHeader {
        parent: sha256(&[b"parent"]),
        height: 1234,
        timestamp_ms: 1_750_000_000_000,
        tx_root: tx_root(&txs),
        tx_count: 1,
        state_root: sha256(&[b"state"]),
    }
}

/// A block with [`header`] and [`signed_transaction`].
pub(crate) fn block() -> Block {
    Block::new(header(), vec![signed_transaction()])
}

/// An account.
pub(crate) fn account() -> Account {
    Account {
        balance: 1_000_000,
        nonce: 9,
        receipt_head: sha256(&[b"head"]),
        receipt_count: 8,
    }
}

/// A pin record.
pub(crate) fn pin_record() -> PinRecord {
    PinRecord {
        size: 4096,
        replication: 3,
        height: 1234,
    }
}

/// A DID record.
pub(crate) fn did_record() -> DidRecord {
    DidRecord {
        version: 2,
        created_ms: 1_700_000_000_000,
        updated_ms: 1_750_000_000_000,
        created_height: 10,
        updated_height: 1234,
        tx_id: sha256(&[b"tx"]),
        deactivated: false,
        document: document(),
    }
}

/// A verifier record.
pub(crate) fn verifier_record() -> VerifierRecord {
    VerifierRecord {
        name: "Example Labs".into(),
        credential_types: vec!["KycCredential".into()],
        registered_height: 1234,
        registered_ms: 1_750_000_000_000,
    }
}

/// A status-list anchor.
pub(crate) fn status_list_anchor() -> StatusListAnchor {
    StatusListAnchor {
        cid: cid(b"status list"),
        version: 2,
        height: 1234,
        updated_ms: 1_750_000_000_000,
    }
}

/// A vault record with one grant.
pub(crate) fn vault_record() -> VaultRecord {
    VaultRecord {
        owner: did_sovra(7),
        version: 2,
        content: cid_with(0x70, b"ciphertext"),
        size: 65_536,
        keys: cid(b"keys"),
        replication: 3,
        retain_until_ms: Some(1_900_000_000_000),
        created_height: 10,
        updated_height: 1234,
        updated_ms: 1_750_000_000_000,
        erased_height: None,
        grants: vec![Grant {
            grantee: did_key(4),
            version: 2,
            until_ms: None,
            wrap: cid(b"wrap"),
        }],
    }
}

/// A recovery setup with a pending recovery and one approval.
pub(crate) fn recovery_config() -> RecoveryConfig {
    RecoveryConfig {
        guardians: vec![did_key(5), did_sovra(6)],
        threshold: 2,
        commitments: vec![0xc0; 67],
        shares: cid(b"shares"),
        time_lock_ms: 86_400_000,
        pending: Some(PendingRecovery {
            new_controller: did_key(9),
            requested_ms: 1_750_000_000_000,
            unlock_ms: 1_750_086_400_000,
            approvals: vec![Approval {
                guardian: did_key(5),
                share: cid(b"share"),
            }],
        }),
    }
}

/// The keys block of a vault record version.
pub(crate) fn record_keys() -> RecordKeys {
    RecordKeys {
        record: RecordId([0x42; 16]),
        version: 2,
        owner_wrap: vec![0xaa; 80],
        sealed_meta: vec![0xbb; 40],
    }
}

/// A block of encrypted shares.
pub(crate) fn share_envelopes() -> ShareEnvelopes {
    ShareEnvelopes {
        owner: did_sovra(7),
        envelopes: vec![
            ShareEnvelope {
                guardian: did_key(5),
                sealed: vec![0x5a; 48],
            },
            ShareEnvelope {
                guardian: did_sovra(6),
                sealed: vec![0x6a; 48],
            },
        ],
    }
}

/// An asset class record (the example terms, minting handed to `did_sovra(6)`).
pub(crate) fn asset_class_record() -> AssetClass {
    AssetClass {
        terms: class_terms(),
        mint_authority: Some(did_sovra(6)),
        supply: 1_000_000_000_000_000_000,
    }
}

/// A frozen holder's token-0 record with a balance.
pub(crate) fn holder_balance() -> HolderBalance {
    HolderBalance {
        amount: 1_250,
        frozen: true,
    }
}

/// A non-fungible token's record.
pub(crate) fn token_record() -> TokenRecord {
    TokenRecord {
        owner: Some(did_key(2)),
        supply: 1,
        metadata: Some(cid(b"token-9")),
    }
}

/// A vesting lock, partly released.
pub(crate) fn token_lock() -> TokenLock {
    TokenLock {
        token: 0,
        from: did_sovra(8),
        amount: 1_200,
        released: 300,
        schedule: LockSchedule {
            start_ms: 1_700_000_000_000,
            cliff_ms: 1_710_000_000_000,
            end_ms: 1_730_000_000_000,
        },
    }
}
