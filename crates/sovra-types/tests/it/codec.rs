//! Property tests of the canonical encoding: every value round-trips, and
//! every byte string that decodes re-encodes to exactly itself (so no value
//! has two encodings); truncations and extensions are rejected. The action strategies cover
//! every action variant (see [`arb_like`]).

use commonware_codec::Encode;
use proptest::prelude::*;
use sovra_crypto::MultikeyType;
use sovra_crypto::SigningKey;
use sovra_crypto::shares::MAX_GUARDIANS;
use sovra_types::{
    AccountsAction, Action, AssetClass, AssetClassId, AssetKind, AssetsAction, Block, BlockHeader,
    Bundle, ClassFlags, ClassTerms, ContentAction, ContentId, Delegation, DepositStatus, Did,
    DidDocument, GovernanceAction, HolderBalance, IdentityAction, LockSchedule, ParamChange,
    Params, ParamsRecord, Proposal, ProposalContent, ProposalId, ProposalStatus, ReceiptEntry,
    ReceiptStatus, RecordId, RecoveryAction, RecoveryConfig, RegistryAction, Relationship,
    Relationships, Service, SignedTransaction, Stake, StakeTotal, StakingAction, Tally, TokenLock,
    TokenRecord, TokenRef, Transaction, ValidatorRecord, VaultAction, VaultRecord,
    VerificationMethod, VoteOption, VoteRecord,
    actions::staking::ValidatorRegistration,
    assets::MAX_LOCK_MS,
    assets::bundle::MAX_BUNDLE_ITEMS,
    block::tx_root,
    codec::decode_exact,
    governance::VotingRules,
    limits::{MAX_PIN_BYTES, MAX_REPLICATION},
    params::MAX_PARAM_CHANGES,
    recovery::{Approval, MAX_COMMITMENTS_BYTES, PendingRecovery, ShareEnvelope, ShareEnvelopes},
    sha256,
    staking::{Checkpoints, VALIDATOR_KEY_NAMESPACE, validator_key_message},
    vault::{
        Grant, MAX_GRANTS_PER_RECORD, MAX_SEALED_META_BYTES, MIN_VAULT_REPLICATION, RecordKeys,
    },
};

fn arb_did() -> impl Strategy<Value = Did> {
    prop_oneof![
        any::<u64>()
            .prop_map(|s| Did::from_public_key(&SigningKey::from_test_seed(s).public_key())),
        any::<[u8; 16]>().prop_map(|id| Did::sovra(&id)),
    ]
}

fn arb_method() -> impl Strategy<Value = VerificationMethod> {
    ("[A-Za-z0-9._-]{1,20}", any::<bool>(), any::<u64>(), 1u8..32).prop_map(
        |(id, x25519, seed, bits)| {
            let key: [u8; 32] = SigningKey::from_test_seed(seed)
                .public_key()
                .as_ref()
                .try_into()
                .unwrap();
            let relationships = Relationships::of(
                &Relationship::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, r)| r)
                    .collect::<Vec<_>>(),
            );
            VerificationMethod {
                id,
                key_type: if x25519 {
                    MultikeyType::X25519
                } else {
                    MultikeyType::Ed25519
                },
                public_key: key,
                relationships,
            }
        },
    )
}

fn arb_document() -> impl Strategy<Value = DidDocument> {
    (
        proptest::collection::vec(arb_method(), 0..4),
        proptest::collection::vec(
            (
                "[a-z0-9]{1,10}",
                "[A-Za-z]{1,20}",
                "https://[a-z]{1,20}/[ -~&&[^ ]]{0,30}",
            ),
            0..3,
        ),
        proptest::collection::vec(arb_did(), 0..3),
        proptest::collection::vec("urn:[a-z0-9:]{1,30}", 0..3),
    )
        .prop_map(
            |(methods, services, controllers, also_known_as)| DidDocument {
                methods,
                services: services
                    .into_iter()
                    .map(|(id, service_type, endpoint)| Service {
                        id,
                        service_type,
                        endpoint,
                    })
                    .collect(),
                controllers,
                also_known_as,
            },
        )
}

fn arb_content_id() -> impl Strategy<Value = ContentId> {
    (
        prop::sample::select(vec![0x55u64, 0x70, 0x71, 0x0129]),
        any::<[u8; 32]>(),
    )
        .prop_map(|(codec, digest)| {
            ContentId::new(cid::Cid::new_v1(
                codec,
                cid::multihash::Multihash::<64>::wrap(0x12, &digest).unwrap(),
            ))
        })
}

fn arb_record_id() -> impl Strategy<Value = RecordId> {
    any::<[u8; 16]>().prop_map(RecordId)
}

/// The example actions of one module, as `pick` extracts them.
fn examples_of<T>(pick: impl Fn(Action) -> Option<T>) -> Vec<T> {
    crate::examples::actions()
        .into_iter()
        .filter_map(pick)
        .collect()
}

fn arb_vault_action() -> impl Strategy<Value = VaultAction> {
    let examples = examples_of(|a| match a {
        Action::Vault(v) => Some(v),
        _ => None,
    });
    prop::sample::select(examples).prop_flat_map(|e| arb_vault_like(&e))
}

/// Arbitrary vault actions of the same variant as `example` (exhaustive: a new variant does
/// not compile until it has a strategy here).
fn arb_vault_like(example: &VaultAction) -> BoxedStrategy<VaultAction> {
    match example {
        VaultAction::Put { .. } => (
            arb_record_id(),
            any::<u64>(),
            arb_content_id(),
            prop_oneof![Just(0u64), Just(MAX_PIN_BYTES), 0..=MAX_PIN_BYTES],
            arb_content_id(),
            MIN_VAULT_REPLICATION..=MAX_REPLICATION,
            proptest::option::of(any::<u64>()),
        )
            .prop_map(
                |(record, version, content, size, keys, replication, retain_until_ms)| {
                    VaultAction::Put {
                        record,
                        version,
                        content,
                        size,
                        keys,
                        replication,
                        retain_until_ms,
                    }
                },
            )
            .boxed(),
        VaultAction::Grant { .. } => (
            arb_record_id(),
            arb_did(),
            proptest::option::of(any::<u64>()),
            arb_content_id(),
        )
            .prop_map(|(record, grantee, until_ms, wrap)| VaultAction::Grant {
                record,
                grantee,
                until_ms,
                wrap,
            })
            .boxed(),
        VaultAction::Revoke { .. } => (arb_record_id(), arb_did())
            .prop_map(|(record, grantee)| VaultAction::Revoke { record, grantee })
            .boxed(),
        VaultAction::Delete { .. } => arb_record_id()
            .prop_map(|record| VaultAction::Delete { record })
            .boxed(),
    }
}

fn arb_guardians() -> impl Strategy<Value = Vec<Did>> {
    proptest::collection::vec(arb_did(), 1..=MAX_GUARDIANS as usize)
}

fn arb_commitments() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 1..=MAX_COMMITMENTS_BYTES)
}

fn arb_recovery_action() -> impl Strategy<Value = RecoveryAction> {
    let examples = examples_of(|a| match a {
        Action::Recovery(r) => Some(r),
        _ => None,
    });
    prop::sample::select(examples).prop_flat_map(|e| arb_recovery_like(&e))
}

/// Arbitrary recovery actions of the same variant as `example` (exhaustive).
fn arb_recovery_like(example: &RecoveryAction) -> BoxedStrategy<RecoveryAction> {
    match example {
        RecoveryAction::Setup { .. } => (
            arb_guardians(),
            any::<u8>(),
            arb_commitments(),
            arb_content_id(),
            any::<u64>(),
        )
            .prop_map(
                |(guardians, threshold, commitments, shares, time_lock_ms)| RecoveryAction::Setup {
                    guardians,
                    threshold,
                    commitments,
                    shares,
                    time_lock_ms,
                },
            )
            .boxed(),
        RecoveryAction::Request { .. } => arb_did()
            .prop_map(|did| RecoveryAction::Request { did })
            .boxed(),
        RecoveryAction::Approve { .. } => (arb_did(), arb_content_id())
            .prop_map(|(did, share)| RecoveryAction::Approve { did, share })
            .boxed(),
        RecoveryAction::Cancel { .. } => arb_did()
            .prop_map(|did| RecoveryAction::Cancel { did })
            .boxed(),
        RecoveryAction::Complete { .. } => (arb_did(), any::<u64>())
            .prop_map(|(did, previous_version)| RecoveryAction::Complete {
                did,
                previous_version,
            })
            .boxed(),
    }
}

fn arb_grant() -> impl Strategy<Value = Grant> {
    (
        arb_did(),
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        arb_content_id(),
    )
        .prop_map(|(grantee, version, until_ms, wrap)| Grant {
            grantee,
            version,
            until_ms,
            wrap,
        })
}

fn arb_vault_record() -> impl Strategy<Value = VaultRecord> {
    (
        (
            arb_did(),
            any::<u64>(),
            arb_content_id(),
            any::<u64>(),
            arb_content_id(),
            any::<u8>(),
        ),
        (
            proptest::option::of(any::<u64>()),
            any::<[u64; 3]>(),
            proptest::option::of(any::<u64>()),
            prop_oneof![
                4 => proptest::collection::vec(arb_grant(), 0..4),
                1 => proptest::collection::vec(arb_grant(), MAX_GRANTS_PER_RECORD),
            ],
        ),
    )
        .prop_map(
            |(
                (owner, version, content, size, keys, replication),
                (
                    retain_until_ms,
                    [created_height, updated_height, updated_ms],
                    erased_height,
                    grants,
                ),
            )| VaultRecord {
                owner,
                version,
                content,
                size,
                keys,
                replication,
                retain_until_ms,
                created_height,
                updated_height,
                updated_ms,
                erased_height,
                grants,
            },
        )
}

fn arb_recovery_config() -> impl Strategy<Value = RecoveryConfig> {
    let pending = (
        arb_did(),
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(
            (arb_did(), arb_content_id())
                .prop_map(|(guardian, share)| Approval { guardian, share }),
            0..=MAX_GUARDIANS as usize,
        ),
    )
        .prop_map(
            |(new_controller, requested_ms, unlock_ms, approvals)| PendingRecovery {
                new_controller,
                requested_ms,
                unlock_ms,
                approvals,
            },
        );
    (
        arb_guardians(),
        any::<u8>(),
        arb_commitments(),
        arb_content_id(),
        any::<u64>(),
        proptest::option::of(pending),
    )
        .prop_map(
            |(guardians, threshold, commitments, shares, time_lock_ms, pending)| RecoveryConfig {
                guardians,
                threshold,
                commitments,
                shares,
                time_lock_ms,
                pending,
            },
        )
}

fn arb_share_envelopes() -> impl Strategy<Value = ShareEnvelopes> {
    (
        arb_did(),
        proptest::collection::vec(
            (arb_did(), proptest::collection::vec(any::<u8>(), 1..=256))
                .prop_map(|(guardian, sealed)| ShareEnvelope { guardian, sealed }),
            1..=MAX_GUARDIANS as usize,
        ),
    )
        .prop_map(|(owner, envelopes)| ShareEnvelopes { owner, envelopes })
}

fn arb_record_keys() -> impl Strategy<Value = RecordKeys> {
    (
        arb_record_id(),
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..=256),
        prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 0..200),
            1 => proptest::collection::vec(any::<u8>(), MAX_SEALED_META_BYTES),
        ],
    )
        .prop_map(|(record, version, owner_wrap, sealed_meta)| RecordKeys {
            record,
            version,
            owner_wrap,
            sealed_meta,
        })
}

/// Arbitrary actions of every variant: the variant is drawn from `crate::examples::actions()` (one
/// example per variant; `every_action_variant_has_an_example` in vectors.rs keeps that list
/// complete by enumerating the decoder's tags), the fields by [`arb_like`].
fn arb_action() -> impl Strategy<Value = Action> {
    prop::sample::select(crate::examples::actions()).prop_flat_map(|e| arb_like(&e))
}

/// Arbitrary actions of the same variant as `example`. The matches here and in the
/// per-module functions have no fallback arm, so a new action variant does not compile until
/// it has a strategy.
fn arb_like(example: &Action) -> BoxedStrategy<Action> {
    match example {
        Action::Accounts(a) => arb_accounts_like(a).prop_map(Action::Accounts).boxed(),
        Action::Content(a) => arb_content_like(a).prop_map(Action::Content).boxed(),
        Action::Identity(a) => arb_identity_like(a).prop_map(Action::Identity).boxed(),
        Action::Registry(a) => arb_registry_like(a).prop_map(Action::Registry).boxed(),
        Action::Vault(a) => arb_vault_like(a).prop_map(Action::Vault).boxed(),
        Action::Recovery(a) => arb_recovery_like(a).prop_map(Action::Recovery).boxed(),
        Action::Assets(a) => arb_assets_like(a).prop_map(Action::Assets).boxed(),
        Action::Staking(a) => arb_staking_like(a).prop_map(Action::Staking).boxed(),
        Action::Governance(a) => arb_governance_like(a).prop_map(Action::Governance).boxed(),
    }
}

fn arb_param_change() -> impl Strategy<Value = ParamChange> {
    prop_oneof![
        any::<u64>().prop_map(ParamChange::MinFee),
        any::<u32>().prop_map(ParamChange::MaxBlockTxs),
        any::<u64>().prop_map(ParamChange::UnbondingPeriod),
        any::<u32>().prop_map(ParamChange::MaxValidators),
        any::<u64>().prop_map(ParamChange::VotingPeriod),
        any::<u64>().prop_map(ParamChange::MinDeposit),
        any::<u16>().prop_map(ParamChange::QuorumBps),
        any::<u16>().prop_map(ParamChange::ThresholdBps),
        any::<u16>().prop_map(ParamChange::VetoBps),
        any::<u64>().prop_map(ParamChange::Timelock),
        proptest::option::of(arb_did()).prop_map(ParamChange::RegistryAuthority),
        any::<u64>().prop_map(ParamChange::IssuancePerBlock),
    ]
}

fn arb_param_changes() -> impl Strategy<Value = Vec<ParamChange>> {
    proptest::collection::vec(arb_param_change(), 1..=MAX_PARAM_CHANGES)
}

fn arb_proposal_content() -> impl Strategy<Value = ProposalContent> {
    prop_oneof![
        Just(ProposalContent::Text),
        arb_param_changes().prop_map(ProposalContent::ChangeParams),
        (arb_did(), any::<u64>())
            .prop_map(|(to, amount)| ProposalContent::TreasurySpend { to, amount }),
        arb_did().prop_map(
            |verifier| ProposalContent::Registry(RegistryAction::RemoveVerifier { verifier })
        ),
        arb_registry_like(&RegistryAction::RegisterVerifier {
            verifier: Did::sovra(&[1; 16]),
            name: String::new(),
            credential_types: vec![],
        })
        .prop_map(ProposalContent::Registry),
    ]
}

fn arb_vote_option() -> impl Strategy<Value = VoteOption> {
    prop::sample::select(vec![
        VoteOption::Yes,
        VoteOption::No,
        VoteOption::Abstain,
        VoteOption::Veto,
    ])
}

fn arb_staking_like(example: &StakingAction) -> BoxedStrategy<StakingAction> {
    match example {
        StakingAction::RegisterValidator(_) => (
            any::<u64>(),
            "[a-z0-9.]{1,40}:[0-9]{1,5}",
            any::<u16>(),
            arb_did(),
        )
            .prop_map(|(seed, p2p_address, commission_bps, did)| {
                let key = SigningKey::from_test_seed(seed);
                StakingAction::RegisterValidator(Box::new(ValidatorRegistration {
                    consensus_key: key.public_key(),
                    p2p_address,
                    commission_bps,
                    proof: key.sign(VALIDATOR_KEY_NAMESPACE, &validator_key_message("c", &did)),
                }))
            })
            .boxed(),
        StakingAction::Delegate { .. } => (arb_did(), any::<u64>())
            .prop_map(|(validator, amount)| StakingAction::Delegate { validator, amount })
            .boxed(),
        StakingAction::Undelegate { .. } => (arb_did(), any::<u64>())
            .prop_map(|(validator, amount)| StakingAction::Undelegate { validator, amount })
            .boxed(),
        StakingAction::Withdraw => Just(StakingAction::Withdraw).boxed(),
        StakingAction::ClaimRewards { .. } => proptest::option::of(arb_did())
            .prop_map(|validator| StakingAction::ClaimRewards { validator })
            .boxed(),
        StakingAction::ReportEquivocation { .. } => (arb_did(), 0u64..4, 0u64..1_000, 0u64..1_000)
            .prop_map(|(validator, signer, epoch, view)| {
                let keys: Vec<_> = (0..4)
                    .map(|s| SigningKey::from_test_seed(s).public_key())
                    .collect();
                let evidence = sovra_types::evidence::Equivocation::conflicting_notarize(
                    b"ns",
                    &keys,
                    SigningKey::from_test_seed(signer).as_commonware().clone(),
                    epoch,
                    view,
                )
                .expect("the signer is in the set");
                StakingAction::ReportEquivocation {
                    validator,
                    evidence: Box::new(evidence),
                }
            })
            .boxed(),
    }
}

fn arb_proposal_id() -> impl Strategy<Value = ProposalId> {
    any::<[u8; 16]>().prop_map(ProposalId)
}

fn arb_governance_like(example: &GovernanceAction) -> BoxedStrategy<GovernanceAction> {
    match example {
        GovernanceAction::Propose { .. } => (
            "[ -~]{1,140}",
            "[ -~]{0,300}",
            arb_proposal_content(),
            any::<u64>(),
        )
            .prop_map(
                |(title, description, content, deposit)| GovernanceAction::Propose {
                    title,
                    description,
                    content,
                    deposit,
                },
            )
            .boxed(),
        GovernanceAction::Vote { .. } => (
            arb_proposal_id(),
            arb_vote_option(),
            proptest::option::of(arb_did()),
        )
            .prop_map(|(proposal, option, delegated_to)| GovernanceAction::Vote {
                proposal,
                option,
                delegated_to,
            })
            .boxed(),
        GovernanceAction::Finalize { .. } => arb_proposal_id()
            .prop_map(|proposal| GovernanceAction::Finalize { proposal })
            .boxed(),
        GovernanceAction::Claim { .. } => arb_proposal_id()
            .prop_map(|proposal| GovernanceAction::Claim { proposal })
            .boxed(),
        GovernanceAction::Enact { .. } => (arb_proposal_id(), arb_did())
            .prop_map(|(proposal, verifier)| GovernanceAction::Enact { proposal, verifier })
            .boxed(),
    }
}

/// Valid parameters: the defaults with random changes that keep them valid.
fn arb_params() -> impl Strategy<Value = Params> {
    arb_param_changes().prop_map(|changes| {
        let mut p = Params::default();
        for c in changes {
            let mut next = p.clone();
            next.apply(&c);
            if next.validate().is_ok() {
                p = next;
            }
        }
        p
    })
}

fn arb_checkpoints<T: Clone + std::fmt::Debug>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Checkpoints<T>> {
    proptest::collection::vec((0u64..4, value), 0..40).prop_map(|steps| {
        let mut c = Checkpoints::default();
        let mut epoch = 0;
        for (gap, v) in steps {
            epoch += gap;
            c.set_next(epoch, v);
        }
        c
    })
}

fn arb_class_id() -> impl Strategy<Value = AssetClassId> {
    (arb_did(), "[A-Za-z0-9._-]{1,32}").prop_map(|(issuer, name)| AssetClassId { issuer, name })
}

fn arb_token_ref() -> impl Strategy<Value = TokenRef> {
    (arb_class_id(), any::<u64>()).prop_map(|(class, token)| TokenRef { class, token })
}

/// A canonical bundle: sorted, distinct entries of positive amounts.
fn arb_bundle() -> impl Strategy<Value = Bundle> {
    prop::collection::btree_map(arb_token_ref(), 1u128.., 0..=MAX_BUNDLE_ITEMS).prop_map(|m| {
        Bundle {
            items: m.into_iter().collect(),
        }
    })
}

fn arb_amount() -> impl Strategy<Value = u128> {
    prop_oneof![Just(0u128), Just(1), Just(u128::MAX), any::<u128>()]
}

fn arb_class_terms() -> impl Strategy<Value = ClassTerms> {
    (
        prop::sample::select(vec![
            AssetKind::Fungible,
            AssetKind::NonFungible,
            AssetKind::SemiFungible,
        ]),
        "[A-Z0-9]{1,16}",
        "[ -~]{0,64}",
        0u8..=38,
        proptest::option::of(1u128..),
        0u8..=ClassFlags::ALL,
        proptest::option::of(arb_content_id()),
    )
        .prop_map(
            |(kind, symbol, title, decimals, max_supply, flags, metadata)| ClassTerms {
                kind,
                symbol,
                title,
                decimals: if kind == AssetKind::Fungible {
                    decimals
                } else {
                    0
                },
                max_supply,
                flags: ClassFlags(flags),
                metadata,
            },
        )
}

fn arb_schedule() -> impl Strategy<Value = LockSchedule> {
    (any::<u64>(), 0..=MAX_LOCK_MS, 0..=MAX_LOCK_MS).prop_map(|(start, a, b)| {
        let start_ms = start.min(u64::MAX - MAX_LOCK_MS);
        LockSchedule {
            start_ms,
            cliff_ms: start_ms + a.min(b),
            end_ms: start_ms + a.max(b),
        }
    })
}

fn arb_token_lock() -> impl Strategy<Value = TokenLock> {
    (
        any::<u64>(),
        arb_did(),
        arb_amount(),
        arb_amount(),
        arb_schedule(),
    )
        .prop_map(|(token, from, a, b, schedule)| TokenLock {
            token,
            from,
            amount: a.max(b),
            released: a.min(b),
            schedule,
        })
}

fn arb_asset_class() -> impl Strategy<Value = AssetClass> {
    (
        arb_class_terms(),
        proptest::option::of(arb_did()),
        arb_amount(),
    )
        .prop_map(|(terms, mint_authority, supply)| AssetClass {
            terms,
            mint_authority,
            supply,
        })
}

/// Arbitrary assets actions of the same variant as `example` (exhaustive).
fn arb_assets_like(example: &AssetsAction) -> BoxedStrategy<AssetsAction> {
    match example {
        AssetsAction::Create { .. } => ("[A-Za-z0-9._-]{1,32}", arb_class_terms())
            .prop_map(|(name, terms)| AssetsAction::Create { name, terms })
            .boxed(),
        AssetsAction::Mint { .. } => (
            arb_class_id(),
            any::<u64>(),
            arb_did(),
            arb_amount(),
            proptest::option::of(arb_content_id()),
        )
            .prop_map(|(class, token, to, amount, metadata)| AssetsAction::Mint {
                class,
                token,
                to,
                amount,
                metadata,
            })
            .boxed(),
        AssetsAction::Burn { .. } => (arb_class_id(), any::<u64>(), arb_did(), arb_amount())
            .prop_map(|(class, token, holder, amount)| AssetsAction::Burn {
                class,
                token,
                holder,
                amount,
            })
            .boxed(),
        AssetsAction::Transfer { .. } => (arb_class_id(), any::<u64>(), arb_did(), arb_amount())
            .prop_map(|(class, token, to, amount)| AssetsAction::Transfer {
                class,
                token,
                to,
                amount,
            })
            .boxed(),
        AssetsAction::Approve { .. } => (arb_class_id(), arb_did(), arb_amount())
            .prop_map(|(class, spender, amount)| AssetsAction::Approve {
                class,
                spender,
                amount,
            })
            .boxed(),
        AssetsAction::TransferFrom { .. } => (
            arb_class_id(),
            any::<u64>(),
            arb_did(),
            arb_did(),
            arb_amount(),
        )
            .prop_map(
                |(class, token, from, to, amount)| AssetsAction::TransferFrom {
                    class,
                    token,
                    from,
                    to,
                    amount,
                },
            )
            .boxed(),
        AssetsAction::Freeze { .. } => (arb_class_id(), arb_did(), any::<bool>())
            .prop_map(|(class, holder, frozen)| AssetsAction::Freeze {
                class,
                holder,
                frozen,
            })
            .boxed(),
        AssetsAction::SetMintAuthority { .. } => (arb_class_id(), proptest::option::of(arb_did()))
            .prop_map(|(class, authority)| AssetsAction::SetMintAuthority { class, authority })
            .boxed(),
        AssetsAction::Lock { .. } => (
            arb_class_id(),
            any::<u64>(),
            arb_did(),
            arb_amount(),
            arb_schedule(),
        )
            .prop_map(|(class, token, to, amount, schedule)| AssetsAction::Lock {
                class,
                token,
                to,
                amount,
                schedule,
            })
            .boxed(),
        AssetsAction::Release { .. } => (arb_class_id(), any::<u64>(), any::<u64>())
            .prop_map(|(class, token, lock)| AssetsAction::Release { class, token, lock })
            .boxed(),
        AssetsAction::Nest { .. } => (arb_token_ref(), arb_class_id(), any::<u64>(), arb_amount())
            .prop_map(|(parent, class, token, amount)| AssetsAction::Nest {
                parent,
                class,
                token,
                amount,
            })
            .boxed(),
        AssetsAction::Unnest { .. } => (
            arb_token_ref(),
            arb_class_id(),
            any::<u64>(),
            arb_amount(),
            arb_did(),
        )
            .prop_map(|(parent, class, token, amount, to)| AssetsAction::Unnest {
                parent,
                class,
                token,
                amount,
                to,
            })
            .boxed(),
    }
}

/// Arbitrary accounts actions of the same variant as `example` (exhaustive).
fn arb_accounts_like(example: &AccountsAction) -> BoxedStrategy<AccountsAction> {
    match example {
        AccountsAction::Transfer { .. } => (arb_did(), any::<u64>())
            .prop_map(|(to, amount)| AccountsAction::Transfer { to, amount })
            .boxed(),
    }
}

/// Arbitrary content actions of the same variant as `example` (exhaustive).
fn arb_content_like(example: &ContentAction) -> BoxedStrategy<ContentAction> {
    match example {
        ContentAction::Pin { .. } => (arb_content_id(), any::<u64>(), any::<u8>())
            .prop_map(|(cid, size, replication)| ContentAction::Pin {
                cid,
                size,
                replication,
            })
            .boxed(),
        ContentAction::Unpin { .. } => arb_content_id()
            .prop_map(|cid| ContentAction::Unpin { cid })
            .boxed(),
        ContentAction::SetPublicDocument { .. } => (
            "[a-z0-9][a-z0-9._-]{0,20}",
            proptest::option::of(arb_content_id()),
        )
            .prop_map(|(name, cid)| ContentAction::SetPublicDocument { name, cid })
            .boxed(),
    }
}

/// Arbitrary identity actions of the same variant as `example` (exhaustive).
fn arb_identity_like(example: &IdentityAction) -> BoxedStrategy<IdentityAction> {
    match example {
        IdentityAction::Create { .. } => arb_document()
            .prop_map(|document| IdentityAction::Create { document })
            .boxed(),
        IdentityAction::Update { .. } => (arb_did(), any::<u64>(), arb_document())
            .prop_map(|(did, previous_version, document)| IdentityAction::Update {
                did,
                previous_version,
                document,
            })
            .boxed(),
        IdentityAction::Deactivate { .. } => (arb_did(), any::<u64>())
            .prop_map(|(did, previous_version)| IdentityAction::Deactivate {
                did,
                previous_version,
            })
            .boxed(),
    }
}

/// Arbitrary registry actions of the same variant as `example` (exhaustive).
fn arb_registry_like(example: &RegistryAction) -> BoxedStrategy<RegistryAction> {
    match example {
        RegistryAction::RegisterVerifier { .. } => (
            arb_did(),
            "[ -~]{1,40}",
            proptest::collection::vec("[A-Za-z0-9._-]{1,30}", 0..4),
        )
            .prop_map(
                |(verifier, name, credential_types)| RegistryAction::RegisterVerifier {
                    verifier,
                    name,
                    credential_types,
                },
            )
            .boxed(),
        RegistryAction::RemoveVerifier { .. } => arb_did()
            .prop_map(|verifier| RegistryAction::RemoveVerifier { verifier })
            .boxed(),
        RegistryAction::AnchorStatusList { .. } => ("[A-Za-z0-9._-]{1,30}", arb_content_id())
            .prop_map(|(list_id, cid)| RegistryAction::AnchorStatusList { list_id, cid })
            .boxed(),
    }
}

fn arb_tx() -> impl Strategy<Value = SignedTransaction> {
    (
        any::<u64>(),
        "[a-z0-9-]{1,32}",
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(arb_action(), 1..4),
    )
        .prop_map(|(seed, chain_id, nonce, fee, expiry_height, actions)| {
            let key = SigningKey::from_test_seed(seed);
            Transaction {
                chain_id,
                signer: Did::from_public_key(&key.public_key()),
                nonce,
                fee,
                expiry_height,
                actions,
            }
            .sign(&key)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tx_round_trips_and_verifies(tx in arb_tx()) {
        let bytes = tx.encode();
        let back = SignedTransaction::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &tx);
        prop_assert_eq!(back.id(), tx.id());
        prop_assert!(back.verify_stateless().is_ok());
    }

    #[test]
    fn tx_truncated_or_extended_is_rejected(tx in arb_tx(), cut in 1usize..40, extra in any::<u8>()) {
        let bytes = tx.encode().to_vec();
        let cut = cut.min(bytes.len());
        prop_assert!(SignedTransaction::decode(&bytes[..bytes.len() - cut]).is_err());
        let mut longer = bytes.clone();
        longer.push(extra);
        prop_assert!(SignedTransaction::decode(&longer).is_err());
    }

    /// Flipping any byte either fails to decode or decodes to a value whose
    /// encoding is exactly the mutated bytes (canonical), and never to a
    /// transaction that still verifies under the original signature unless unchanged.
    #[test]
    fn tx_mutations_are_canonical_or_rejected(tx in arb_tx(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut bytes = tx.encode().to_vec();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok(decoded) = SignedTransaction::decode(&bytes) {
            prop_assert_eq!(decoded.encode().to_vec(), bytes);
            prop_assert!(decoded.verify_stateless().is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_decode_canonically(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(tx) = SignedTransaction::decode(&bytes) {
            prop_assert_eq!(tx.encode().to_vec(), bytes.clone());
        }
        if let Ok(block) = decode_exact::<Block>(&bytes, &()) {
            prop_assert_eq!(block.encode().to_vec(), bytes);
        }
    }

    #[test]
    fn block_round_trips(txs in proptest::collection::vec(arb_tx(), 0..5), height in any::<u64>(), ts in any::<u64>()) {
        let header = BlockHeader {
            parent: sha256(&[b"p"]),
            height,
            timestamp_ms: ts,
            tx_root: tx_root(&txs),
            tx_count: txs.len() as u32,
            state_root: sha256(&[b"s"]),
        };
        let block = Block::new(header, txs);
        prop_assert!(block.tx_root_matches());
        let back: Block = decode_exact(&block.encode(), &()).unwrap();
        prop_assert_eq!(back.id(), block.id());
        prop_assert_eq!(back, block);
    }

    #[test]
    fn receipt_entries_round_trip(index in any::<u64>(), height in any::<u64>(), failed in any::<bool>(), msg in "[ -~]{0,100}") {
        let status = if failed {
            ReceiptStatus::Failed { code: "insufficient_balance".into(), message: msg }
        } else {
            ReceiptStatus::Completed
        };
        let entry = ReceiptEntry { index, tx_id: sha256(&[b"t"]), height, status, prev: sha256(&[b"p"]) };
        let back: ReceiptEntry = decode_exact(&entry.encode(), &()).unwrap();
        prop_assert_eq!(back, entry);
    }
}

#[test]
fn non_canonical_did_is_rejected() {
    // A did:key whose multibase is upper-cased base58 of the same key is not canonical.
    assert!(Did::parse("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").is_ok());
    assert!(Did::parse("did:key:z16MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp").is_err());
    assert!(Did::parse("did:example:123").is_err());
}

#[test]
fn unknown_action_tag_and_version_are_rejected() {
    let key = SigningKey::from_test_seed(1);
    let tx = Transaction {
        chain_id: "c".into(),
        signer: Did::from_public_key(&key.public_key()),
        nonce: 0,
        fee: 0,
        expiry_height: 1,
        actions: vec![Action::Accounts(AccountsAction::Transfer {
            to: Did::from_public_key(&key.public_key()),
            amount: 1,
        })],
    }
    .sign(&key);
    let mut bytes = tx.encode().to_vec();
    bytes[0] = 2; // version
    assert!(SignedTransaction::decode(&bytes).is_err());
    let mut bytes = tx.encode().to_vec();
    // version(1) + chain id (1 len + 1) + signer (1 + 56) + 3*8 + actions len (1) => action tag
    let tag = 1 + 2 + 1 + tx.tx.signer.as_str().len() + 24 + 1;
    assert_eq!(bytes[tag], 0);
    bytes[tag] = 9;
    assert!(SignedTransaction::decode(&bytes).is_err());
    // The accounts module's action tag follows its module tag.
    let mut bytes = tx.encode().to_vec();
    assert_eq!(bytes[tag + 1], 0);
    bytes[tag + 1] = 1;
    assert!(SignedTransaction::decode(&bytes).is_err());
}

/// Round-trips `value` through its encoding and checks that the encoding is
/// the only one: every truncation and extension is rejected, and flipping bit
/// `bit` of byte `pos` either is rejected or decodes to a value that
/// re-encodes to exactly the mutated bytes.
fn check_canonical<T>(
    value: &T,
    pos: prop::sample::Index,
    bit: u8,
    extra: u8,
) -> Result<(), TestCaseError>
where
    T: commonware_codec::Decode<Cfg = ()> + Encode + PartialEq + std::fmt::Debug,
{
    let bytes = value.encode().to_vec();
    prop_assert_eq!(bytes.len(), value.encode_size());
    let back: T = decode_exact(&bytes, &()).unwrap();
    prop_assert_eq!(&back, value);
    for cut in 1..=bytes.len().min(8) {
        prop_assert!(decode_exact::<T>(&bytes[..bytes.len() - cut], &()).is_err());
    }
    prop_assert!(decode_exact::<T>(&bytes[..pos.index(bytes.len())], &()).is_err());
    let mut longer = bytes.clone();
    longer.push(extra);
    prop_assert!(decode_exact::<T>(&longer, &()).is_err());
    let mut mutated = bytes.clone();
    mutated[pos.index(bytes.len())] ^= 1 << bit;
    if let Ok(decoded) = decode_exact::<T>(&mutated, &()) {
        prop_assert_eq!(decoded.encode().to_vec(), mutated);
    }
    Ok(())
}

/// Transactions made only of vault and recovery actions.
fn arb_vault_recovery_tx() -> impl Strategy<Value = SignedTransaction> {
    (
        any::<u64>(),
        proptest::collection::vec(
            prop_oneof![
                arb_vault_action().prop_map(Action::Vault),
                arb_recovery_action().prop_map(Action::Recovery),
            ],
            1..4,
        ),
    )
        .prop_map(|(seed, actions)| {
            let key = SigningKey::from_test_seed(seed);
            Transaction {
                chain_id: "c".into(),
                signer: Did::from_public_key(&key.public_key()),
                nonce: seed,
                fee: 1,
                expiry_height: 10,
                actions,
            }
            .sign(&key)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn vault_and_recovery_txs_round_trip_canonically(
        tx in arb_vault_recovery_tx(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        let bytes = tx.encode();
        let back = SignedTransaction::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &tx);
        prop_assert!(back.verify_stateless().is_ok());
        for action in &tx.tx.actions {
            match action {
                Action::Vault(a) => check_canonical(a, pos, bit, extra)?,
                Action::Recovery(a) => check_canonical(a, pos, bit, extra)?,
                _ => unreachable!(),
            }
        }
        check_canonical(&tx, pos, bit, extra)?;
        // A mutated transaction never verifies under the original signature.
        let mut mutated = bytes.to_vec();
        let i = pos.index(mutated.len());
        mutated[i] ^= 1 << bit;
        if let Ok(decoded) = SignedTransaction::decode(&mutated) {
            prop_assert!(decoded.verify_stateless().is_err());
        }
    }

    #[test]
    fn asset_actions_round_trip_canonically(
        action in arb_action().prop_filter("an assets action", |a| matches!(a, Action::Assets(_))),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        check_canonical(&action, pos, bit, extra)?;
    }

    #[test]
    fn asset_records_round_trip_canonically(
        class in arb_asset_class(),
        lock in arb_token_lock(),
        bundle in arb_bundle(),
        holder in (arb_amount(), any::<bool>()).prop_filter("not empty", |(a, f)| *a > 0 || *f),
        owner in proptest::option::of(arb_did()),
        supply in arb_amount(),
        metadata in proptest::option::of(arb_content_id()),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        prop_assert_eq!(AssetClass::decode(&class.encode()).unwrap(), class.clone());
        check_canonical(&class, pos, bit, extra)?;
        prop_assert_eq!(TokenLock::decode(&lock.encode()).unwrap(), lock.clone());
        check_canonical(&lock, pos, bit, extra)?;
        prop_assert_eq!(Bundle::decode(&bundle.encode()).unwrap(), bundle.clone());
        check_canonical(&bundle, pos, bit, extra)?;
        let holder = HolderBalance { amount: holder.0, frozen: holder.1 };
        prop_assert_eq!(HolderBalance::decode(&holder.encode()).unwrap(), holder);
        check_canonical(&holder, pos, bit, extra)?;
        prop_assert!(HolderBalance::decode(&HolderBalance::default().encode()).is_err());
        let token = TokenRecord { owner, supply, metadata };
        prop_assert_eq!(TokenRecord::decode(&token.encode()).unwrap(), token.clone());
        check_canonical(&token, pos, bit, extra)?;
    }

    #[test]
    fn economy_records_round_trip_canonically(
        params in arb_params(),
        scheduled in proptest::collection::vec((any::<u64>(), arb_param_changes()), 0..4),
        power in arb_checkpoints(any::<u64>()),
        stake in arb_checkpoints((arb_did(), any::<u64>())),
        address in "[a-z0-9.]{1,40}:[0-9]{1,5}",
        commission in 0u16..=10_000,
        content in arb_proposal_content(),
        option in proptest::option::of(arb_vote_option()),
        numbers in any::<[u64; 8]>(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        let mut record = ParamsRecord::new(params);
        for (height, changes) in scheduled {
            // Refused schedules change nothing.
            let before = record.clone();
            if record.schedule(height, changes).is_err() {
                prop_assert_eq!(&record, &before);
            }
        }
        check_canonical(&record, pos, bit, extra)?;
        let validator = ValidatorRecord {
            consensus_key: [numbers[0] as u8; 32],
            p2p_address: address,
            commission_bps: commission,
            power: power.clone(),
            commission_index: numbers[2] as u128 * numbers[3] as u128,
            slash: (numbers[4] % 2 == 0).then(|| sovra_types::staking::SlashRecord {
                height: numbers[5],
                epoch: numbers[6],
                offence_epoch: numbers[7],
                fraction_bps: commission,
                reward_index: numbers[0] as u128 * numbers[1] as u128,
            }),
            latest_release: numbers[3],
        };
        check_canonical(&validator, pos, bit, extra)?;
        let mut delegation = Delegation::default();
        for (e, (validator, amount)) in stake.entries() {
            delegation.stake.set_next(e - 1, Stake {
                validator: validator.clone(),
                amount: *amount,
                after_slash: amount % 2 == 1,
            });
        }
        delegation.reward_index = numbers[4] as u128 * numbers[5] as u128;
        delegation.rewards = numbers[6];
        check_canonical(&delegation, pos, bit, extra)?;
        let total = StakeTotal {
            total: power,
            reward_index: numbers[7] as u128 * numbers[0] as u128,
            reward_carry: numbers[1],
        };
        check_canonical(&total, pos, bit, extra)?;
        let proposal = Proposal {
            proposer: delegation.current().map_or_else(|| Did::sovra(&[1; 16]), |s| s.validator.clone()),
            title: "t".into(),
            description: String::new(),
            content,
            deposit: numbers[1],
            deposit_status: DepositStatus::Refundable,
            submitted_height: numbers[2],
            snapshot_epoch: numbers[3],
            total_stake: numbers[4],
            voting_end: numbers[5],
            execution_height: numbers[6],
            rules: VotingRules { quorum_bps: 1, threshold_bps: 2, veto_bps: 3 },
            tally: Tally { yes: numbers[7], no: 1, abstain: 2, veto: 3 },
            status: ProposalStatus::Failed,
        };
        check_canonical(&proposal, pos, bit, extra)?;
        let vote = VoteRecord { option, weight: numbers[0], overridden: numbers[1] };
        check_canonical(&vote, pos, bit, extra)?;
    }

    #[test]
    fn vault_records_round_trip_canonically(
        record in arb_vault_record(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        prop_assert_eq!(VaultRecord::decode(&record.encode()).unwrap(), record.clone());
        check_canonical(&record, pos, bit, extra)?;
    }

    #[test]
    fn recovery_configs_round_trip_canonically(
        config in arb_recovery_config(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        prop_assert_eq!(RecoveryConfig::decode(&config.encode()).unwrap(), config.clone());
        check_canonical(&config, pos, bit, extra)?;
    }

    #[test]
    fn share_envelopes_round_trip_canonically(
        shares in arb_share_envelopes(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        let back = ShareEnvelopes::decode(&shares.encode()).unwrap();
        for e in &shares.envelopes {
            prop_assert_eq!(back.for_recipient(&e.guardian).map(|f| &f.guardian), Some(&e.guardian));
        }
        prop_assert_eq!(back, shares.clone());
        check_canonical(&shares, pos, bit, extra)?;
    }

    #[test]
    fn record_keys_round_trip_canonically(
        keys in arb_record_keys(),
        pos in any::<prop::sample::Index>(),
        bit in 0u8..8,
        extra in any::<u8>(),
    ) {
        prop_assert_eq!(RecordKeys::decode(&keys.encode()).unwrap(), keys.clone());
        check_canonical(&keys, pos, bit, extra)?;
    }

    #[test]
    fn erasure_receipts_round_trip(index in any::<u64>(), height in any::<u64>(), record in arb_record_id()) {
        let entry = ReceiptEntry {
            index,
            tx_id: sha256(&[b"t"]),
            height,
            status: ReceiptStatus::Erased { record },
            prev: sha256(&[b"p"]),
        };
        let back: ReceiptEntry = decode_exact(&entry.encode(), &()).unwrap();
        prop_assert_eq!(back, entry);
    }
}

fn cid_of(tag: &[u8]) -> ContentId {
    ContentId::new(cid::Cid::new_v1(
        0x55,
        cid::multihash::Multihash::<64>::wrap(0x12, sha256(&[tag]).as_ref()).unwrap(),
    ))
}

fn vault_put(size: u64, replication: u8) -> VaultAction {
    VaultAction::Put {
        record: RecordId([1; 16]),
        version: 1,
        content: cid_of(b"c"),
        size,
        keys: cid_of(b"k"),
        replication,
        retain_until_ms: None,
    }
}

#[test]
fn vault_puts_out_of_range_are_rejected() {
    for (size, replication) in [(0, MIN_VAULT_REPLICATION), (MAX_PIN_BYTES, MAX_REPLICATION)] {
        let put = vault_put(size, replication);
        assert_eq!(
            decode_exact::<VaultAction>(&put.encode(), &()).unwrap(),
            put
        );
        let action = Action::Vault(put);
        assert_eq!(
            decode_exact::<Action>(&action.encode(), &()).unwrap(),
            action
        );
    }
    for (size, replication) in [
        (0, 0),
        (0, MIN_VAULT_REPLICATION - 1),
        (0, MAX_REPLICATION + 1),
        (0, u8::MAX),
        (MAX_PIN_BYTES + 1, MIN_VAULT_REPLICATION),
        (u64::MAX, 3),
    ] {
        let put = vault_put(size, replication);
        assert!(
            decode_exact::<VaultAction>(&put.encode(), &()).is_err(),
            "size {size} replication {replication}"
        );
        assert!(decode_exact::<Action>(&Action::Vault(put).encode(), &()).is_err());
    }
}

#[test]
fn unknown_vault_and_recovery_tags_are_rejected() {
    let delete = Action::Vault(VaultAction::Delete {
        record: RecordId([2; 16]),
    });
    let mut bytes = delete.encode().to_vec();
    assert_eq!(&bytes[..2], &[4, 3]);
    bytes[1] = 4;
    assert!(decode_exact::<Action>(&bytes, &()).is_err());
    bytes[0] = 6;
    assert!(decode_exact::<Action>(&bytes, &()).is_err());

    let cancel = Action::Recovery(RecoveryAction::Cancel {
        did: Did::sovra(&[3; 16]),
    });
    let mut bytes = cancel.encode().to_vec();
    assert_eq!(&bytes[..2], &[5, 3]);
    bytes[1] = 5;
    assert!(decode_exact::<Action>(&bytes, &()).is_err());
}

#[test]
fn stored_vault_and_recovery_values_check_versions_and_bounds() {
    let owner = Did::sovra(&[4; 16]);
    let grant = |i: u8| Grant {
        grantee: Did::sovra(&[i; 16]),
        version: 1,
        until_ms: None,
        wrap: cid_of(&[i]),
    };
    let mut record = VaultRecord {
        owner: owner.clone(),
        version: 1,
        content: cid_of(b"c"),
        size: 10,
        keys: cid_of(b"k"),
        replication: 3,
        retain_until_ms: None,
        created_height: 1,
        updated_height: 1,
        updated_ms: 1,
        erased_height: None,
        grants: (0..MAX_GRANTS_PER_RECORD as u8).map(grant).collect(),
    };
    assert_eq!(VaultRecord::decode(&record.encode()).unwrap(), record);
    let mut bytes = record.encode().to_vec();
    bytes[0] = 2;
    assert!(VaultRecord::decode(&bytes).is_err());
    record.grants.push(grant(0xEE));
    assert!(VaultRecord::decode(&record.encode()).is_err());

    let keys = RecordKeys {
        record: RecordId([5; 16]),
        version: 1,
        owner_wrap: vec![1; 257],
        sealed_meta: Vec::new(),
    };
    assert!(RecordKeys::decode(&keys.encode()).is_err());
    let keys = RecordKeys {
        owner_wrap: Vec::new(),
        sealed_meta: vec![0; MAX_SEALED_META_BYTES + 1],
        ..keys
    };
    assert!(RecordKeys::decode(&keys.encode()).is_err());

    let envelope = |i: u8| ShareEnvelope {
        guardian: Did::sovra(&[i; 16]),
        sealed: vec![i; 48],
    };
    let mut shares = ShareEnvelopes {
        owner: owner.clone(),
        envelopes: Vec::new(),
    };
    // No envelopes, more than MAX_GUARDIANS, or an empty envelope: rejected.
    assert!(ShareEnvelopes::decode(&shares.encode()).is_err());
    shares.envelopes = (0..=MAX_GUARDIANS).map(envelope).collect();
    assert!(ShareEnvelopes::decode(&shares.encode()).is_err());
    shares.envelopes.truncate(MAX_GUARDIANS as usize);
    assert_eq!(ShareEnvelopes::decode(&shares.encode()).unwrap(), shares);
    shares.envelopes[0].sealed.clear();
    assert!(ShareEnvelopes::decode(&shares.encode()).is_err());

    let config = RecoveryConfig {
        guardians: vec![Did::sovra(&[6; 16])],
        threshold: 1,
        commitments: vec![1],
        shares: cid_of(b"s"),
        time_lock_ms: 0,
        pending: None,
    };
    assert_eq!(RecoveryConfig::decode(&config.encode()).unwrap(), config);
    for bad in [
        RecoveryConfig {
            guardians: Vec::new(),
            ..config.clone()
        },
        RecoveryConfig {
            guardians: (0..=MAX_GUARDIANS).map(|i| Did::sovra(&[i; 16])).collect(),
            ..config.clone()
        },
        RecoveryConfig {
            commitments: Vec::new(),
            ..config.clone()
        },
        RecoveryConfig {
            commitments: vec![0; MAX_COMMITMENTS_BYTES + 1],
            ..config.clone()
        },
        RecoveryConfig {
            pending: Some(PendingRecovery {
                new_controller: owner.clone(),
                requested_ms: 0,
                unlock_ms: 0,
                approvals: (0..=MAX_GUARDIANS)
                    .map(|i| Approval {
                        guardian: Did::sovra(&[i; 16]),
                        share: cid_of(&[i]),
                    })
                    .collect(),
            }),
            ..config.clone()
        },
    ] {
        assert!(RecoveryConfig::decode(&bad.encode()).is_err(), "{bad:?}");
    }
    let mut bytes = config.encode().to_vec();
    bytes[0] = 0;
    assert!(RecoveryConfig::decode(&bytes).is_err());
    // A setup action with no guardians does not decode either.
    let setup = RecoveryAction::Setup {
        guardians: Vec::new(),
        threshold: 1,
        commitments: vec![1],
        shares: cid_of(b"s"),
        time_lock_ms: 0,
    };
    assert!(decode_exact::<RecoveryAction>(&setup.encode(), &()).is_err());
}

/// Each variant's strategy produces actions of that variant (so drawing the variant from the
/// examples covers every variant).
#[test]
fn action_strategies_keep_their_variant() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for example in crate::examples::actions() {
        let tags = |a: &Action| {
            let bytes = a.encode();
            (bytes[0], bytes[1])
        };
        for _ in 0..8 {
            let value = arb_like(&example).new_tree(&mut runner).unwrap().current();
            assert_eq!(tags(&value), tags(&example), "{}", example.kind());
        }
    }
}
