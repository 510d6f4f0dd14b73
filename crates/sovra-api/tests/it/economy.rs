//! The staking and governance area: the parameters in force and scheduled with the chain-wide
//! counters, validator candidates and one candidate, an identity's stake, proposals newest
//! first, one proposal, and a vote (with the validator a delegator's vote must name), each read
//! from state; bad DIDs and proposal ids are 400s, unknown ones 404s.

use crate::support::{Harness, identity};
use sovra_types::{
    Delegation, DepositStatus, Did, ParamChange, Params, ParamsRecord, Proposal, ProposalContent,
    ProposalId, ProposalStatus, Stake, StakeTotal, StateKey, Tally, Unbonding, UnbondingEntry,
    ValidatorRecord, VoteOption, VoteRecord,
    governance::VotingRules,
    staking::{CandidateList, Checkpoints, ValidatorSets},
    state::MetaKey,
};

/// Epochs of one block (the mock's next block, height 2, is in epoch 2); candidates A (key 1,
/// stake 500) and B (key 2, stake 300 from the next boundary); key 3 delegates 200 of A's
/// stake and has 50 unbonding; proposals P1 (height 1) and P2 (height 2); A voted yes on P2.
fn setup(h: &Harness) -> (Did, Did, Did, ProposalId, ProposalId) {
    let (_, a) = identity(1);
    let (_, b) = identity(2);
    let (_, d) = identity(3);
    let mut record = ParamsRecord::new(Params {
        epoch_length: 1,
        voting_period: 10,
        ..Params::default()
    });
    record.schedule(50, vec![ParamChange::MinFee(5)]).unwrap();
    h.backend.put_state(StateKey::Params, record);
    h.backend
        .put_state(StateKey::Meta(MetaKey::Staked), 850u64.to_be_bytes());
    h.backend
        .put_state(StateKey::Meta(MetaKey::Treasury), 70u64.to_be_bytes());
    h.backend
        .put_state(StateKey::Meta(MetaKey::Rewards), 400u64.to_be_bytes());
    // Rewards: 3 tokens per bonded unit so far.
    let scale = sovra_types::staking::REWARD_INDEX_SCALE;
    h.backend.put_state(
        StateKey::StakeTotal,
        StakeTotal {
            reward_index: 3 * scale,
            ..StakeTotal::default()
        },
    );
    for (did, seed, epoch, power, commission_index) in
        [(&a, 1u8, 0, 500u64, 0), (&b, 2, 2, 300, 3 * scale)]
    {
        let mut checkpoints = Checkpoints::default();
        checkpoints.set_next(epoch, power);
        h.backend.put_state(
            StateKey::Validator(did.clone()),
            ValidatorRecord {
                consensus_key: [seed; 32],
                p2p_address: "10.0.0.1:7000".into(),
                commission_bps: 500,
                power: checkpoints,
                commission_index,
                slash: None,
                latest_release: 0,
            },
        );
    }
    let mut delegation = Delegation::default();
    delegation.stake.set_next(0, Stake::new(a.clone(), 200));
    delegation.reward_index = scale;
    delegation.rewards = 10;
    h.backend
        .put_state(StateKey::Delegation(d.clone()), delegation);
    h.backend.put_state(
        StateKey::Unbonding(d.clone()),
        Unbonding {
            entries: vec![UnbondingEntry {
                validator: a.clone(),
                amount: 50,
                release_height: 90,
            }],
        },
    );
    let (p1, p2) = (ProposalId([1; 16]), ProposalId([2; 16]));
    for (id, height) in [(p1, 1), (p2, 2)] {
        h.backend.put_state(
            StateKey::Proposal(id),
            Proposal {
                proposer: d.clone(),
                title: format!("proposal at {height}"),
                description: String::new(),
                content: ProposalContent::ChangeParams(vec![ParamChange::MinFee(5)]),
                deposit: 100,
                deposit_status: DepositStatus::Held,
                submitted_height: height,
                snapshot_epoch: 2,
                total_stake: 500,
                voting_end: 12,
                execution_height: 18,
                rules: VotingRules {
                    quorum_bps: 3_340,
                    threshold_bps: 5_000,
                    veto_bps: 3_340,
                },
                tally: Tally {
                    yes: 500,
                    ..Tally::default()
                },
                status: ProposalStatus::Voting,
            },
        );
    }
    h.backend.put_state(
        StateKey::Vote {
            proposal: p2,
            voter: a.clone(),
        },
        VoteRecord {
            option: Some(VoteOption::Yes),
            weight: 0,
            overridden: 0,
        },
    );
    (a, b, d, p1, p2)
}

pub(crate) async fn params(h: &Harness) {
    setup(h);
    let v = h.get("/v1/params").await.ok_json(200);
    assert_eq!(v["height"], 1);
    assert_eq!(v["epoch"], 2);
    assert_eq!(v["params"]["min_fee"], 0);
    assert_eq!(v["params"]["epoch_length"], 1);
    assert_eq!(
        v["scheduled"],
        serde_json::json!([{"height": 50, "changes": ["min_fee=5"]}])
    );
    assert_eq!(v["staked"], 850);
    assert_eq!(v["deposits"], 0);
    assert_eq!(v["treasury"], 70);
    assert_eq!(v["rewards"], 400);
}

pub(crate) async fn validators(h: &Harness) {
    let (a, b, ..) = setup(h);
    let v = h.get("/v1/staking/validators").await.ok_json(200);
    let mut expected = vec![a.to_string(), b.to_string()];
    expected.sort();
    let dids: Vec<String> = v["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["did"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(dids, expected);
    let after = h
        .get(&format!(
            "/v1/staking/validators?after={}&limit=5",
            expected[0]
        ))
        .await
        .ok_json(200);
    assert_eq!(after["validators"].as_array().unwrap().len(), 1);
    h.get("/v1/staking/validators?after=nope")
        .await
        .error(400, "invalid_did");
}

pub(crate) async fn validator(h: &Harness) {
    let (a, b, d, ..) = setup(h);
    let v = h
        .get(&format!("/v1/staking/validators/{a}"))
        .await
        .ok_json(200);
    assert_eq!(
        (v["stake"].as_u64(), v["next_stake"].as_u64()),
        (Some(500), Some(500))
    );
    assert_eq!(v["consensus_key"], hex::encode([1u8; 32]));
    let v = h
        .get(&format!("/v1/staking/validators/{b}"))
        .await
        .ok_json(200);
    assert_eq!(
        (v["stake"].as_u64(), v["next_stake"].as_u64()),
        (Some(0), Some(300))
    );
    h.get(&format!("/v1/staking/validators/{d}"))
        .await
        .error(404, "not_found");
    h.get("/v1/staking/validators/nope")
        .await
        .error(400, "invalid_did");
}

pub(crate) async fn stake(h: &Harness) {
    let (a, b, d, ..) = setup(h);
    let v = h.get(&format!("/v1/staking/stake/{d}")).await.ok_json(200);
    assert_eq!(v["validator"], a.as_str());
    assert_eq!(v["stake"], 200);
    assert_eq!(
        v["unbonding"],
        serde_json::json!([{"validator": a.as_str(), "amount": 50, "release_height": 90}])
    );
    // 10 credited, plus 200 staked times 2 tokens per unit since, less A's 5% commission.
    assert_eq!(v["rewards"], 10 + 380);
    // A earns 5% commission on its 500 of power times 3 tokens per unit.
    let v = h.get(&format!("/v1/staking/stake/{a}")).await.ok_json(200);
    assert_eq!(v["rewards"], 75);
    let v = h.get(&format!("/v1/staking/stake/{b}")).await.ok_json(200);
    assert!(v["validator"].is_null());
    assert_eq!(v["stake"], 0);
    assert_eq!(v["rewards"], 0);
    h.get("/v1/staking/stake/nope")
        .await
        .error(400, "invalid_did");
}

pub(crate) async fn validator_sets(h: &Harness) {
    let (a, b, ..) = setup(h);
    // Before any set is chosen: none (the genesis validators go on), no candidates.
    let v = h.get("/v1/staking/sets").await.ok_json(200);
    assert_eq!(v["sets"], serde_json::json!([]));
    assert_eq!(v["candidates"], serde_json::json!([]));
    let mut list = CandidateList::default();
    list.update(&a, [1; 32], 500);
    list.update(&b, [2; 32], 300);
    let mut sets = ValidatorSets::default();
    sets.push(list.choose(2, 1));
    sets.push(list.choose(3, 10));
    h.backend.put_state(StateKey::Candidates, list);
    h.backend.put_state(StateKey::ValidatorSets, sets);
    let v = h.get("/v1/staking/sets").await.ok_json(200);
    assert_eq!(v["epoch"], 2);
    assert_eq!(v["sets"][0]["epoch"], 2);
    assert_eq!(
        v["sets"][0]["members"],
        serde_json::json!([{"did": a.as_str(), "consensus_key": hex::encode([1u8; 32]), "power": 500}])
    );
    assert_eq!(v["sets"][1]["members"][1]["did"], b.as_str());
    assert_eq!(v["candidates"].as_array().unwrap().len(), 2);
}

pub(crate) async fn proposals(h: &Harness) {
    let (.., p1, p2) = setup(h);
    let v = h.get("/v1/gov/proposals").await.ok_json(200);
    let ids: Vec<&str> = v["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![p2.to_string(), p1.to_string()]);
    let v = h.get("/v1/gov/proposals?limit=1").await.ok_json(200);
    assert_eq!(v["proposals"].as_array().unwrap().len(), 1);
    h.get("/v1/gov/proposals?limit=many")
        .await
        .error(400, "bad_request");
}

pub(crate) async fn proposal(h: &Harness) {
    let (.., d, _, p2) = setup(h);
    let v = h.get(&format!("/v1/gov/proposals/{p2}")).await.ok_json(200);
    assert_eq!(v["proposer"], d.as_str());
    assert_eq!(v["kind"], "change-params");
    assert_eq!(v["changes"], serde_json::json!(["min_fee=5"]));
    assert_eq!(v["tally"]["yes"], 500);
    assert_eq!(v["status"], "voting");
    assert_eq!(v["deposit_status"], "held");
    h.get(&format!("/v1/gov/proposals/{}", ProposalId([9; 16])))
        .await
        .error(404, "not_found");
    h.get("/v1/gov/proposals/xyz")
        .await
        .error(400, "invalid_proposal_id");
}

pub(crate) async fn vote(h: &Harness) {
    let (a, b, d, _, p2) = setup(h);
    let v = h
        .get(&format!("/v1/gov/proposals/{p2}/votes/{a}"))
        .await
        .ok_json(200);
    assert_eq!(v["role"], "validator");
    assert_eq!(v["option"], "yes");
    assert_eq!(v["weight"], 500);
    let v = h
        .get(&format!("/v1/gov/proposals/{p2}/votes/{d}"))
        .await
        .ok_json(200);
    assert_eq!(v["role"], "delegator");
    assert_eq!(v["delegated_to"], a.as_str());
    assert_eq!(v["weight"], 200);
    assert!(v["option"].is_null());
    // B's stake comes after the snapshot.
    let v = h
        .get(&format!("/v1/gov/proposals/{p2}/votes/{b}"))
        .await
        .ok_json(200);
    assert_eq!(v["role"], "none");
    h.get(&format!(
        "/v1/gov/proposals/{}/votes/{a}",
        ProposalId([9; 16])
    ))
    .await
    .error(404, "not_found");
    h.get(&format!("/v1/gov/proposals/{p2}/votes/nope"))
        .await
        .error(400, "invalid_did");
}

pub(crate) async fn evidence(h: &Harness) {
    use sovra_crypto::SigningKey;
    use sovra_types::{
        evidence::{Equivocation, consensus_namespace},
        staking::{CandidateList, ValidatorSets},
    };
    assert_eq!(
        h.get("/v1/staking/evidence").await.ok_json(200)["evidence"],
        serde_json::json!([])
    );
    // Epoch 2's set: three keys; the one of seed 5 equivocated.
    let keys: Vec<SigningKey> = [4u64, 5, 6].map(SigningKey::from_test_seed).to_vec();
    let mut list = CandidateList::default();
    for (i, k) in keys.iter().enumerate() {
        let key: [u8; 32] = k.public_key().as_ref().try_into().unwrap();
        list.update(&Did::sovra(&[i as u8 + 1; 16]), key, 100 + i as u64);
    }
    let mut sets = ValidatorSets::default();
    sets.push(list.choose(2, 10));
    h.backend.put_state(StateKey::ValidatorSets, sets);
    let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let seen = |epoch| {
        Equivocation::conflicting_notarize(
            &consensus_namespace(crate::support::mock::CHAIN_ID),
            &pks,
            keys[1].as_commonware().clone(),
            epoch,
            9,
        )
        .unwrap()
    };
    *h.backend.evidence.lock().unwrap() = vec![seen(2), seen(7)];
    let v = h.get("/v1/staking/evidence").await.ok_json(200);
    let list = v["evidence"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["kind"], "conflicting_notarize");
    assert_eq!(
        (list[0]["epoch"].as_u64(), list[0]["view"].as_u64()),
        (Some(2), Some(9))
    );
    assert_eq!(list[0]["validator"], Did::sovra(&[2; 16]).to_string());
    let bytes = hex::decode(list[0]["evidence"].as_str().unwrap()).unwrap();
    let decoded: Equivocation = sovra_types::codec::decode_exact(&bytes, &()).unwrap();
    assert_eq!(decoded, seen(2));
    // An epoch whose set is not kept names no validator, nor does evidence that does not
    // verify (another chain's).
    assert!(list[1]["validator"].is_null());
    let other = Equivocation::conflicting_notarize(
        &consensus_namespace("another-chain"),
        &pks,
        keys[1].as_commonware().clone(),
        2,
        9,
    )
    .unwrap();
    *h.backend.evidence.lock().unwrap() = vec![other];
    let v = h.get("/v1/staking/evidence").await.ok_json(200);
    assert!(v["evidence"][0]["validator"].is_null());
}
