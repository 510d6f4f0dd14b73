//! Execution of staking (`Action::Staking`) and governance (`Action::Governance`): candidates
//! with proven consensus keys, delegation by epoch, unbonding and withdrawal; proposals whose
//! parameter changes take effect at their stated height, missed quorums and vetoes that change
//! nothing but the deposit, delegators overriding their validator's vote, treasury spends paid
//! once; and, under random sequences of stake moves and votes, tallies equal to a count from
//! scratch and a supply equal to balances plus stake, deposits and treasury.

use crate::common::{CHAIN, Chain, account, code, did, rejection};
use proptest::prelude::*;
use sovra_crypto::SigningKey;
use sovra_execution::Rejection;
use sovra_types::{
    Delegation, Did, GenesisEconomy, GovernanceAction, ParamChange, Proposal, ProposalContent,
    ProposalId, ProposalStatus, ReceiptStatus, RegistryAction, StakeTotal, StakingAction, StateKey,
    Tally, Unbonding, ValidatorRecord, VerifierRecord, VoteOption, VoteRecord,
    actions::staking::ValidatorRegistration,
    staking::{VALIDATOR_KEY_NAMESPACE, validator_key_message},
    state::{MetaKey, decode_u64},
};

/// Short epochs and periods, so tests cross them quickly.
pub(crate) fn economy() -> GenesisEconomy {
    GenesisEconomy {
        epoch_length: 10,
        unbonding_period: 30,
        max_validators: 10,
        voting_period: 20,
        min_deposit: 100,
        quorum_bps: 3_340,
        threshold_bps: 5_000,
        veto_bps: 3_340,
        timelock: 5,
        issuance_per_block: 0,
        slash_fraction_bps: 1_000,
    }
}

/// The registration of test key `k`'s did:key as a candidate with consensus key `seed`.
pub(crate) fn registration(k: &SigningKey, seed: u64) -> StakingAction {
    registration_for(&did(k), seed)
}

/// A registration whose consensus key `seed` signs `who`.
fn registration_for(who: &Did, seed: u64) -> StakingAction {
    let consensus = SigningKey::from_test_seed(seed);
    StakingAction::RegisterValidator(Box::new(ValidatorRegistration {
        consensus_key: consensus.public_key(),
        p2p_address: "127.0.0.1:7000".into(),
        commission_bps: 500,
        proof: consensus.sign(VALIDATOR_KEY_NAMESPACE, &validator_key_message(CHAIN, who)),
    }))
}

/// Staking and governance conveniences.
impl Chain {
    pub(crate) fn delegate(&mut self, key: &SigningKey, validator: &Did, amount: u64) {
        self.ok(
            key,
            StakingAction::Delegate {
                validator: validator.clone(),
                amount,
            },
        );
    }

    pub(crate) fn decode<T>(
        &self,
        key: StateKey,
        decode: fn(&[u8]) -> Result<T, sovra_types::TypesError>,
    ) -> Option<T> {
        self.state.values.get(&key).map(|b| decode(b).unwrap())
    }

    pub(crate) fn validator(&self, v: &Did) -> ValidatorRecord {
        self.decode(StateKey::Validator(v.clone()), ValidatorRecord::decode)
            .expect("a candidate")
    }

    pub(crate) fn delegation(&self, d: &Did) -> Delegation {
        self.decode(StateKey::Delegation(d.clone()), Delegation::decode)
            .unwrap_or_default()
    }

    fn proposal(&self, id: ProposalId) -> Proposal {
        self.decode(StateKey::Proposal(id), Proposal::decode)
            .expect("a proposal")
    }

    fn vote_of(&self, id: ProposalId, voter: &Did) -> VoteRecord {
        self.decode(
            StateKey::Vote {
                proposal: id,
                voter: voter.clone(),
            },
            VoteRecord::decode,
        )
        .unwrap_or_default()
    }

    pub(crate) fn meta(&self, key: MetaKey) -> u64 {
        self.decode(StateKey::Meta(key), decode_u64).unwrap_or(0)
    }

    /// Submits a proposal of `key` with the minimum deposit, which must complete; returns its
    /// id.
    fn propose(&mut self, key: &SigningKey, content: ProposalContent) -> ProposalId {
        self.try_propose(key, content)
            .unwrap_or_else(|status| panic!("proposal failed: {status:?}"))
    }

    /// Submits a proposal of `key` with the minimum deposit; its id if it completed.
    fn try_propose(
        &mut self,
        key: &SigningKey,
        content: ProposalContent,
    ) -> Result<ProposalId, ReceiptStatus> {
        let t = self.tx(
            &did(key),
            key,
            vec![
                GovernanceAction::Propose {
                    title: "A proposal".into(),
                    description: String::new(),
                    content,
                    deposit: 100,
                }
                .into(),
            ],
        );
        let id = ProposalId::derive(&t.id(), 0);
        let outcome = self.exec(t).unwrap();
        match outcome.status {
            ReceiptStatus::Completed => Ok(id),
            other => Err(other),
        }
    }

    /// [`Chain::vote`], which must complete.
    fn voted(&mut self, key: &SigningKey, id: ProposalId, option: VoteOption, via: Option<&Did>) {
        assert_eq!(
            self.vote(key, id, option, via),
            ReceiptStatus::Completed,
            "{option:?} on {id}"
        );
    }

    fn vote(
        &mut self,
        key: &SigningKey,
        id: ProposalId,
        option: VoteOption,
        via: Option<&Did>,
    ) -> ReceiptStatus {
        self.act(
            key,
            GovernanceAction::Vote {
                proposal: id,
                option,
                delegated_to: via.cloned(),
            },
        )
    }

    /// The supply equals what balances, stake, deposits, the treasury and unclaimed rewards
    /// hold.
    pub(crate) fn check_supply(&self) {
        let balances: u64 = self
            .state
            .values
            .iter()
            .filter(|(k, _)| matches!(k, StateKey::Account(_)))
            .map(|(_, v)| sovra_types::Account::decode(v).unwrap().balance)
            .sum();
        let unbonding: u64 = self
            .state
            .values
            .iter()
            .filter(|(k, _)| matches!(k, StateKey::Unbonding(_)))
            .flat_map(|(_, v)| Unbonding::decode(v).unwrap().entries)
            .map(|e| e.amount)
            .sum();
        // Delegations count what their validator's slash left, settled or not; each one not
        // yet settled may leave up to one unit of rounding in the validator's power.
        let (mut bonded, mut rounding) = (0u64, 0u64);
        for (k, v) in &self.state.values {
            if !matches!(k, StateKey::Delegation(_)) {
                continue;
            }
            let d = Delegation::decode(v).unwrap();
            let Some(stake) = d.current() else { continue };
            let slash = self
                .decode(
                    StateKey::Validator(stake.validator.clone()),
                    ValidatorRecord::decode,
                )
                .and_then(|r| r.slash);
            match &slash {
                Some(s) if d.owes_slash(Some(s)) => {
                    bonded += s.keep(stake.amount);
                    rounding += 1;
                }
                Some(_) => {
                    bonded += stake.amount;
                    rounding += 1;
                }
                None => bonded += stake.amount,
            }
        }
        let total = self
            .decode(StateKey::StakeTotal, StakeTotal::decode)
            .unwrap_or_default();
        let total = *total.total.latest().unwrap_or(&0);
        assert_eq!(self.meta(MetaKey::Staked), total + unbonding, "meta:staked");
        assert!(
            bonded <= total && total <= bonded + rounding,
            "stake total {total}, delegations {bonded} (+{rounding} rounding)"
        );
        assert_eq!(
            self.meta(MetaKey::Supply),
            balances
                + self.meta(MetaKey::Staked)
                + self.meta(MetaKey::Deposits)
                + self.meta(MetaKey::Treasury)
                + self.meta(MetaKey::Rewards),
            "supply"
        );
    }
}

/// A chain of funded keys 0..6; keys 0 and 1 are candidates A and B bonded 400 and 300 to
/// themselves, key 2 delegates 200 to A, all in epoch 0; the chain is then at height 10 (the
/// start of epoch 1, where that stake is in force).
pub(crate) fn staked() -> (Vec<SigningKey>, Chain, Did, Did) {
    staked_with(economy())
}

/// [`staked`] under `params` (empty blocks run up to height 10, so rewards, if any, are
/// distributed on the way).
pub(crate) fn staked_with(params: GenesisEconomy) -> (Vec<SigningKey>, Chain, Did, Did) {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 6], params);
    let (a, b) = (did(&ks[0]), did(&ks[1]));
    chain.ok(&ks[0], registration(&ks[0], 100));
    chain.ok(&ks[1], registration(&ks[1], 101));
    chain.delegate(&ks[0], &a, 400);
    chain.delegate(&ks[1], &b, 300);
    chain.delegate(&ks[2], &a, 200);
    let to = 10 - chain.height;
    chain.empty_blocks(to);
    (ks, chain, a, b)
}

#[test]
fn candidates_prove_their_consensus_key_and_hold_it_alone() {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 3], economy());
    // A proof over another DID does not register.
    assert_eq!(
        chain.fails(&ks[0], registration_for(&did(&ks[1]), 100)),
        "bad_key_proof"
    );
    chain.ok(&ks[0], registration(&ks[0], 100));
    assert_eq!(
        chain.fails(&ks[0], registration(&ks[0], 102)),
        "already_validator"
    );
    assert_eq!(
        chain.fails(&ks[1], registration(&ks[1], 100)),
        "consensus_key_taken"
    );
    let mut bad = registration(&ks[1], 101);
    if let StakingAction::RegisterValidator(r) = &mut bad {
        r.p2p_address = "no port".into();
    }
    assert_eq!(chain.fails(&ks[1], bad), "invalid_address");
    // A delegator is not a candidate until it undelegates.
    chain.delegate(&ks[2], &did(&ks[0]), 10);
    assert_eq!(
        chain.fails(&ks[2], registration(&ks[2], 103)),
        "delegating_elsewhere"
    );
    chain.check_supply();
}

#[test]
fn stake_takes_effect_at_the_next_epoch_and_unbonds_after_the_period() {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 4], economy());
    let (a, b) = (did(&ks[0]), did(&ks[1]));
    chain.ok(&ks[0], registration(&ks[0], 100));
    chain.ok(&ks[1], registration(&ks[1], 101));
    chain.skip_to(14); // the next block is in epoch 1
    chain.delegate(&ks[0], &a, 400);
    chain.delegate(&ks[2], &a, 200);
    let power = chain.validator(&a).power;
    assert_eq!(power.at(1), None, "not in force in the epoch it was bonded");
    assert_eq!(power.at(2), Some(&600));
    assert_eq!(
        account(&chain.state, &did(&ks[2])).balance,
        1_000_000 - 200 - 1
    );
    assert_eq!(
        chain.fails(
            &ks[2],
            StakingAction::Delegate {
                validator: b.clone(),
                amount: 1
            }
        ),
        "delegated_elsewhere"
    );
    assert_eq!(
        chain.fails(
            &ks[0],
            StakingAction::Delegate {
                validator: b.clone(),
                amount: 1
            }
        ),
        "validator_delegates_elsewhere"
    );
    assert_eq!(
        chain.fails(
            &ks[3],
            StakingAction::Delegate {
                validator: did(&ks[3]),
                amount: 1
            }
        ),
        "unknown_validator"
    );
    assert_eq!(
        chain.fails(
            &ks[2],
            StakingAction::Undelegate {
                validator: b.clone(),
                amount: 1
            }
        ),
        "wrong_validator"
    );
    assert_eq!(
        chain.fails(
            &ks[2],
            StakingAction::Undelegate {
                validator: a.clone(),
                amount: 201
            }
        ),
        "insufficient_stake"
    );
    chain.ok(
        &ks[2],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 50,
        },
    );
    let released_at = chain.height + 30;
    assert_eq!(chain.validator(&a).power.latest(), Some(&550));
    assert_eq!(
        chain.delegation(&did(&ks[2])).current().unwrap().amount,
        150
    );
    chain.check_supply();
    assert_eq!(
        chain.fails(&ks[2], StakingAction::Withdraw),
        "nothing_to_withdraw"
    );
    chain.skip_to(released_at - 1);
    let before = account(&chain.state, &did(&ks[2])).balance;
    chain.ok(&ks[2], StakingAction::Withdraw);
    assert_eq!(account(&chain.state, &did(&ks[2])).balance, before + 50 - 1);
    assert_eq!(
        chain.fails(&ks[2], StakingAction::Withdraw),
        "nothing_to_withdraw"
    );
    // Undelegating everything frees the delegator to choose another validator.
    chain.ok(
        &ks[2],
        StakingAction::Undelegate {
            validator: a.clone(),
            amount: 150,
        },
    );
    chain.delegate(&ks[2], &b, 10);
    chain.check_supply();
}

#[test]
fn a_passed_parameter_change_takes_effect_at_its_execution_height() {
    let (ks, mut chain, a, b) = staked();
    let id = chain.propose(
        &ks[4],
        ProposalContent::ChangeParams(vec![ParamChange::MinFee(5)]),
    );
    let p = chain.proposal(id);
    assert_eq!((p.snapshot_epoch, p.total_stake), (1, 900));
    assert_eq!(chain.meta(MetaKey::Deposits), 100);
    chain.voted(&ks[0], id, VoteOption::Yes, None);
    chain.voted(&ks[1], id, VoteOption::No, None);
    assert_eq!(
        chain.proposal(id).tally,
        Tally {
            yes: 600,
            no: 300,
            abstain: 0,
            veto: 0
        }
    );
    let finalize = GovernanceAction::Finalize { proposal: id };
    assert_eq!(chain.fails(&ks[5], finalize.clone()), "voting_open");
    chain.skip_to(p.voting_end);
    chain.ok(&ks[5], finalize.clone());
    assert_eq!(chain.fails(&ks[5], finalize), "already_finalized");
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::Passed);
    assert_eq!(p.execution_height, p.voting_end + 1 + 5);
    // The old fee is good up to the block before the execution height, refused from it on.
    chain.skip_to(p.execution_height - 2);
    chain.fund(&ks[5], &a, 1);
    assert_eq!(chain.height, p.execution_height - 1);
    let stale = chain.pay(&did(&ks[5]), &ks[5], &b, 1);
    assert_eq!(
        rejection(chain.exec(stale)),
        Rejection::FeeTooLow { fee: 1, min: 5 }
    );
    assert_eq!(
        chain
            .exec
            .params_at(&chain.state, p.execution_height)
            .unwrap()
            .min_fee,
        5
    );
    chain.fee = 5;
    chain.fund(&ks[5], &a, 1);
    // The deposit goes back to the proposer, once.
    let before = account(&chain.state, &did(&ks[4])).balance;
    let claim = GovernanceAction::Claim { proposal: id };
    assert_eq!(chain.fails(&ks[5], claim.clone()), "nothing_to_claim");
    chain.ok(&ks[4], claim.clone());
    assert_eq!(
        account(&chain.state, &did(&ks[4])).balance,
        before + 100 - 5
    );
    assert_eq!(chain.fails(&ks[4], claim), "nothing_to_claim");
    chain.check_supply();
}

#[test]
fn a_proposal_without_quorum_changes_nothing_and_forfeits_its_deposit() {
    let (ks, mut chain, _, _) = staked();
    let id = chain.propose(
        &ks[4],
        ProposalContent::ChangeParams(vec![ParamChange::MinFee(9)]),
    );
    // 300 of 900 is below the 33.4% quorum.
    chain.voted(&ks[1], id, VoteOption::Yes, None);
    let p = chain.proposal(id);
    chain.skip_to(p.voting_end);
    let params_before = chain.state.values.get(&StateKey::Params).cloned();
    chain.ok(&ks[5], GovernanceAction::Finalize { proposal: id });
    assert_eq!(chain.proposal(id).status, ProposalStatus::NoQuorum);
    assert_eq!(
        chain.state.values.get(&StateKey::Params).cloned(),
        params_before
    );
    assert_eq!(
        chain.exec.params_at(&chain.state, 10_000).unwrap().min_fee,
        1
    );
    assert_eq!(chain.meta(MetaKey::Treasury), 100);
    assert_eq!(chain.meta(MetaKey::Deposits), 0);
    assert_eq!(
        chain.fails(&ks[4], GovernanceAction::Claim { proposal: id }),
        "nothing_to_claim"
    );
    chain.check_supply();
}

#[test]
fn delegators_override_their_validator_in_either_order() {
    let (ks, mut chain, a, b) = staked();
    let id = chain.propose(&ks[4], ProposalContent::Text);
    // Stake bonded after the snapshot does not vote.
    chain.delegate(&ks[3], &b, 1_000);
    assert_eq!(
        code(chain.vote(&ks[3], id, VoteOption::Yes, Some(&b))),
        "no_stake"
    );
    // The delegator must name its validator at the snapshot.
    assert_eq!(
        code(chain.vote(&ks[2], id, VoteOption::No, Some(&b))),
        "wrong_delegation"
    );
    assert_eq!(
        code(chain.vote(&ks[2], id, VoteOption::No, None)),
        "wrong_delegation"
    );
    assert_eq!(
        code(chain.vote(&ks[0], id, VoteOption::No, Some(&b))),
        "wrong_delegation"
    );
    // Validator first, then its delegator: the delegator's 200 leave A's yes.
    chain.voted(&ks[0], id, VoteOption::Yes, None);
    assert_eq!(chain.proposal(id).tally.yes, 600);
    chain.voted(&ks[2], id, VoteOption::No, Some(&a));
    assert_eq!(
        chain.proposal(id).tally,
        Tally {
            yes: 400,
            no: 200,
            abstain: 0,
            veto: 0
        }
    );
    // Changing votes moves exactly the voter's part.
    chain.voted(&ks[2], id, VoteOption::Abstain, Some(&a));
    chain.voted(&ks[0], id, VoteOption::Veto, None);
    assert_eq!(
        chain.proposal(id).tally,
        Tally {
            yes: 0,
            no: 0,
            abstain: 200,
            veto: 400
        }
    );
    assert_eq!(chain.vote_of(id, &a).overridden, 200);
    // Delegator first, then the validator (on a second proposal, in epoch 2: key 3's stake
    // now counts for B).
    let second = chain.propose(&ks[4], ProposalContent::Text);
    assert_eq!(chain.proposal(second).snapshot_epoch, 2);
    chain.voted(&ks[2], second, VoteOption::No, Some(&a));
    chain.voted(&ks[0], second, VoteOption::Yes, None);
    chain.voted(&ks[1], second, VoteOption::Yes, None);
    assert_eq!(
        chain.proposal(second).tally,
        Tally {
            yes: 400 + 1_300,
            no: 200,
            abstain: 0,
            veto: 0
        }
    );
    // Votes close at the end of the voting period.
    chain.skip_to(chain.proposal(second).voting_end);
    assert_eq!(
        code(chain.vote(&ks[1], second, VoteOption::No, None)),
        "voting_closed"
    );
    chain.check_supply();
}

#[test]
fn vetoes_forfeit_and_treasury_spends_pay_their_recipient_once() {
    let (ks, mut chain, _, _) = staked();
    // A vetoed proposal's deposit funds the treasury.
    let vetoed = chain.propose(&ks[4], ProposalContent::Text);
    chain.voted(&ks[0], vetoed, VoteOption::Veto, None);
    chain.skip_to(chain.proposal(vetoed).voting_end);
    chain.ok(&ks[5], GovernanceAction::Finalize { proposal: vetoed });
    assert_eq!(chain.proposal(vetoed).status, ProposalStatus::Vetoed);
    assert_eq!(chain.meta(MetaKey::Treasury), 100);
    let recipient = did(&ks[3]);
    let spend = chain.propose(
        &ks[4],
        ProposalContent::TreasurySpend {
            to: recipient.clone(),
            amount: 60,
        },
    );
    chain.voted(&ks[0], spend, VoteOption::Yes, None);
    let p = chain.proposal(spend);
    chain.skip_to(p.voting_end);
    chain.ok(&ks[5], GovernanceAction::Finalize { proposal: spend });
    let claim = GovernanceAction::Claim { proposal: spend };
    assert_eq!(chain.fails(&ks[3], claim.clone()), "timelocked");
    assert_eq!(chain.fails(&ks[5], claim.clone()), "nothing_to_claim");
    chain.skip_to(p.execution_height - 1);
    let before = account(&chain.state, &recipient).balance;
    chain.ok(&ks[3], claim.clone());
    assert_eq!(account(&chain.state, &recipient).balance, before + 60 - 1);
    assert_eq!(chain.proposal(spend).status, ProposalStatus::Executed);
    assert_eq!(chain.meta(MetaKey::Treasury), 40);
    assert_eq!(chain.fails(&ks[3], claim), "nothing_to_claim");
    chain.check_supply();
}

#[test]
fn registry_proposals_change_the_trust_registry_once_enacted() {
    let (ks, mut chain, _, _) = staked();
    let verifier = did(&ks[3]);
    let register = ProposalContent::Registry(RegistryAction::RegisterVerifier {
        verifier: verifier.clone(),
        name: "Clinic".into(),
        credential_types: vec!["LabResult".into()],
    });
    let id = chain.propose(&ks[4], register);
    chain.voted(&ks[0], id, VoteOption::Yes, None);
    let enact = |verifier: &Did| GovernanceAction::Enact {
        proposal: id,
        verifier: verifier.clone(),
    };
    // Not before it passed, not before its timelock, only naming its verifier.
    assert_eq!(chain.fails(&ks[5], enact(&verifier)), "not_passed");
    let p = chain.proposal(id);
    chain.skip_to(p.voting_end);
    chain.ok(&ks[5], GovernanceAction::Finalize { proposal: id });
    assert_eq!(chain.fails(&ks[5], enact(&verifier)), "timelocked");
    chain.skip_to(p.execution_height - 1);
    assert_eq!(chain.fails(&ks[5], enact(&did(&ks[5]))), "wrong_verifier");
    let verifier_key = StateKey::Verifier(verifier.clone());
    assert!(!chain.state.values.contains_key(&verifier_key));
    // Anyone enacts it, once; the verifier's receipt chain records it.
    let outcome = chain.run_key(&ks[5], vec![enact(&verifier).into()]);
    assert_eq!(outcome.status, ReceiptStatus::Completed);
    assert!(outcome.entries.iter().any(|(d, _)| *d == verifier));
    let record = chain
        .decode(verifier_key.clone(), VerifierRecord::decode)
        .expect("registered by governance");
    assert_eq!(record.credential_types, vec!["LabResult".to_string()]);
    assert_eq!(chain.proposal(id).status, ProposalStatus::Executed);
    assert_eq!(chain.fails(&ks[5], enact(&verifier)), "already_enacted");
    // Other proposals have nothing to enact.
    let text = chain.propose(&ks[4], ProposalContent::Text);
    assert_eq!(
        chain.fails(
            &ks[5],
            GovernanceAction::Enact {
                proposal: text,
                verifier: verifier.clone()
            }
        ),
        "nothing_to_enact"
    );
    // A removal passes the same way; an invalid registration is refused at submission.
    let remove = chain.propose(
        &ks[4],
        ProposalContent::Registry(RegistryAction::RemoveVerifier {
            verifier: verifier.clone(),
        }),
    );
    chain.voted(&ks[0], remove, VoteOption::Yes, None);
    let p = chain.proposal(remove);
    chain.skip_to(p.voting_end);
    chain.ok(&ks[5], GovernanceAction::Finalize { proposal: remove });
    chain.skip_to(p.execution_height);
    chain.ok(
        &ks[5],
        GovernanceAction::Enact {
            proposal: remove,
            verifier: verifier.clone(),
        },
    );
    assert!(!chain.state.values.contains_key(&verifier_key));
    let bad = ProposalContent::Registry(RegistryAction::RegisterVerifier {
        verifier,
        name: "Clinic".into(),
        credential_types: vec![],
    });
    assert_eq!(
        chain.try_propose(&ks[4], bad).map(|_| ()).map_err(code),
        Err("invalid_verifier".into())
    );
    chain.check_supply();
}

#[test]
fn proposals_need_stake_a_deposit_and_valid_parameters() {
    let (ks, mut chain) = Chain::with_economy(&[1_000_000; 2], economy());
    let propose = |content, deposit| GovernanceAction::Propose {
        title: "t".into(),
        description: String::new(),
        content,
        deposit,
    };
    assert_eq!(
        chain.fails(&ks[0], propose(ProposalContent::Text, 100)),
        "no_stake"
    );
    chain.ok(&ks[0], registration(&ks[0], 100));
    chain.delegate(&ks[0], &did(&ks[0]), 10);
    chain.skip_to(10);
    assert_eq!(
        chain.fails(&ks[0], propose(ProposalContent::Text, 99)),
        "deposit_too_low"
    );
    assert_eq!(
        chain.fails(
            &ks[0],
            propose(
                ProposalContent::ChangeParams(vec![ParamChange::MaxBlockTxs(0)]),
                100
            )
        ),
        "invalid_params"
    );
    assert_eq!(
        chain.fails(
            &ks[0],
            propose(
                ProposalContent::ChangeParams(vec![ParamChange::VotingPeriod(10_000)]),
                100
            )
        ),
        "invalid_params"
    );
    assert_eq!(
        chain.fails(
            &ks[0],
            propose(
                ProposalContent::TreasurySpend {
                    to: did(&ks[1]),
                    amount: 0
                },
                100
            )
        ),
        "zero_amount"
    );
    assert_eq!(
        chain.fails(&ks[1], propose(ProposalContent::Text, 2_000_000)),
        "insufficient_balance"
    );
    chain.check_supply();
}

/// One step of the random governance workload.
#[derive(Clone, Debug)]
enum Step {
    Delegate {
        who: usize,
        to_b: bool,
        amount: u64,
    },
    Undelegate {
        who: usize,
        amount: u64,
    },
    Vote {
        who: usize,
        option: VoteOption,
        wrong_hint: bool,
    },
    Skip(u64),
    Propose,
}

fn arb_step() -> impl Strategy<Value = Step> {
    let option = prop::sample::select(vec![
        VoteOption::Yes,
        VoteOption::No,
        VoteOption::Abstain,
        VoteOption::Veto,
    ]);
    prop_oneof![
        3 => (0usize..6, any::<bool>(), 1u64..60)
            .prop_map(|(who, to_b, amount)| Step::Delegate { who, to_b, amount }),
        2 => (0usize..6, 1u64..60).prop_map(|(who, amount)| Step::Undelegate { who, amount }),
        4 => (0usize..6, option, prop::bool::weighted(0.1))
            .prop_map(|(who, option, wrong_hint)| Step::Vote { who, option, wrong_hint }),
        2 => (1u64..12).prop_map(Step::Skip),
        1 => Just(Step::Propose),
    ]
}

/// The tally of `id` counted from scratch: each validator that voted counts its power at the
/// snapshot less its delegators who voted; each delegator that voted counts its stake.
fn tally_from_scratch(chain: &Chain, ks: &[SigningKey], id: ProposalId) -> Tally {
    let p = chain.proposal(id);
    let s = p.snapshot_epoch;
    let mut tally = Tally::default();
    let dids: Vec<Did> = ks.iter().map(did).collect();
    for voter in &dids {
        let power = chain
            .decode(StateKey::Validator(voter.clone()), ValidatorRecord::decode)
            .and_then(|v| v.power.at(s).copied())
            .unwrap_or(0);
        let record = chain.vote_of(id, voter);
        let Some(option) = record.option else {
            continue;
        };
        let counted = if power > 0 {
            let overriding: u64 = dids
                .iter()
                .filter(|d| *d != voter && chain.vote_of(id, d).option.is_some())
                .filter_map(|d| chain.delegation(d).at(s).cloned())
                .filter(|stake| stake.validator == *voter)
                .map(|stake| stake.amount)
                .sum();
            power - overriding
        } else {
            chain
                .delegation(voter)
                .at(s)
                .map_or(0, |stake| stake.amount)
        };
        *tally.get_mut(option) += counted;
    }
    tally
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Under any sequence of stake moves, epochs and votes, the running tally equals a count
    /// from scratch, failed steps change nothing, and the supply stays accounted for.
    #[test]
    fn tallies_match_a_count_from_scratch(steps in prop::collection::vec(arb_step(), 1..60)) {
        let (ks, mut chain, a, b) = staked();
        let mut proposal: Option<ProposalId> = None;
        for step in steps {
            match step {
                Step::Delegate { who, to_b, amount } => {
                    let validator = if to_b { b.clone() } else { a.clone() };
                    chain.act(&ks[who], StakingAction::Delegate { validator, amount });
                }
                Step::Undelegate { who, amount } => {
                    let validator = chain
                        .delegation(&did(&ks[who]))
                        .current()
                        .map_or_else(|| a.clone(), |s| s.validator.clone());
                    chain.act(&ks[who], StakingAction::Undelegate { validator, amount });
                }
                Step::Vote { who, option, wrong_hint } => {
                    let Some(id) = proposal else { continue };
                    let s = chain.proposal(id).snapshot_epoch;
                    let voter = did(&ks[who]);
                    let is_validator = who < 2;
                    let hint = if is_validator {
                        None
                    } else {
                        chain.delegation(&voter).at(s).map(|st| st.validator.clone())
                    };
                    let hint = if wrong_hint {
                        Some(if hint.as_ref() == Some(&a) { b.clone() } else { a.clone() })
                    } else {
                        hint
                    };
                    let before = chain.proposal(id).tally;
                    let status = chain.vote(&ks[who], id, option, hint.as_ref());
                    if status != ReceiptStatus::Completed {
                        prop_assert_eq!(chain.proposal(id).tally, before);
                    }
                }
                Step::Skip(n) => {
                    let h = chain.height + n;
                    chain.skip_to(h);
                }
                Step::Propose => {
                    if proposal.is_none() {
                        proposal = chain.try_propose(&ks[5], ProposalContent::Text).ok();
                    }
                }
            }
            chain.check_supply();
            if let Some(id) = proposal {
                prop_assert_eq!(chain.proposal(id).tally, tally_from_scratch(&chain, &ks, id));
            }
        }
    }
}
