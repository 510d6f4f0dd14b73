//! The staking and governance area: the chain parameters in force and scheduled, validator
//! candidates, an identity's stake, proposals with their tallies, and votes (docs/economy.md,
//! docs/governance.md). Listings come from the node's index; every record in an answer is read
//! from the newest finalized state (each is also provable with `/v1/state/proof`).

use crate::{ApiError, Backend, extract::path::parse_did, reads::decoded};
use axum::{
    Json, Router,
    extract::{Path, Query, State},
    routing::get,
};
use serde::Deserialize;
use sovra_api_types::{
    ErrorBody, MemberView, ParamsView, ProposalListView, ProposalView, ScheduledChangeView,
    StakeView, TallyView, UnbondingView, ValidatorListView, ValidatorSetView, ValidatorSetsView,
    ValidatorView, VoteView,
    economy::{EconomyCounters, EvidenceListView, EvidenceView, SlashView},
};
use sovra_types::{
    Delegation, Did, ParamsRecord, Proposal, ProposalId, StakeTotal, StateKey, Unbonding,
    ValidatorRecord, VoteRecord,
    staking::{CandidateList, ValidatorSets, claimable},
    state::{MetaKey, decode_u64},
};
use std::sync::Arc;
use utoipa::OpenApi;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "economy";

/// Most entries of a listing.
const MAX_PAGE: usize = 200;

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        get_params,
        get_validators,
        get_validator,
        get_stake,
        get_validator_sets,
        get_evidence,
        get_proposals,
        get_proposal,
        get_vote
    ),
    components(schemas(
        ParamsView,
        ScheduledChangeView,
        ValidatorView,
        ValidatorListView,
        StakeView,
        UnbondingView,
        MemberView,
        ValidatorSetView,
        ValidatorSetsView,
        EvidenceView,
        EvidenceListView,
        SlashView,
        ProposalView,
        ProposalListView,
        TallyView,
        VoteView
    ))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/v1/params", get(get_params::<B>))
        .route("/v1/staking/validators", get(get_validators::<B>))
        .route("/v1/staking/validators/{did}", get(get_validator::<B>))
        .route("/v1/staking/stake/{did}", get(get_stake::<B>))
        .route("/v1/staking/sets", get(get_validator_sets::<B>))
        .route("/v1/staking/evidence", get(get_evidence::<B>))
        .route("/v1/gov/proposals", get(get_proposals::<B>))
        .route("/v1/gov/proposals/{id}", get(get_proposal::<B>))
        .route("/v1/gov/proposals/{id}/votes/{did}", get(get_vote::<B>))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    after: Option<String>,
}

fn limit(q: &ListQuery) -> usize {
    q.limit.unwrap_or(100).clamp(1, MAX_PAGE)
}

/// The newest finalized height, the parameters record and the epoch of the next block.
async fn chain_params<B: Backend>(b: &B) -> Result<(u64, ParamsRecord, u64), ApiError> {
    let height = b.status().await?.finalized_height;
    let record = decoded(b, StateKey::Params, ParamsRecord::decode)
        .await?
        .ok_or_else(|| ApiError::Internal("the state holds no chain parameters".into()))?;
    let epoch = record.effective_at(height + 1).epoch_of(height + 1);
    Ok((height, record, epoch))
}

async fn counter<B: Backend>(b: &B, key: MetaKey) -> Result<u64, ApiError> {
    Ok(decoded(b, StateKey::Meta(key), decode_u64)
        .await?
        .unwrap_or(0))
}

fn parse_proposal(s: &str) -> Result<ProposalId, ApiError> {
    ProposalId::parse(s).map_err(|e| ApiError::bad("invalid_proposal_id", e.to_string()))
}

async fn proposal<B: Backend>(b: &B, id: ProposalId) -> Result<Proposal, ApiError> {
    decoded(b, StateKey::Proposal(id), Proposal::decode)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no proposal {id}")))
}

async fn validator<B: Backend>(b: &B, did: &Did) -> Result<Option<ValidatorRecord>, ApiError> {
    decoded(b, StateKey::Validator(did.clone()), ValidatorRecord::decode).await
}

async fn delegation<B: Backend>(b: &B, did: &Did) -> Result<Delegation, ApiError> {
    Ok(
        decoded(b, StateKey::Delegation(did.clone()), Delegation::decode)
            .await?
            .unwrap_or_default(),
    )
}

/// The chain parameters in force for the next block, the changes scheduled for later heights,
/// and the native tokens staked, held as deposits and in the community treasury.
#[utoipa::path(get, path = "/v1/params",
    responses((status = 200, body = ParamsView)))]
async fn get_params<B: Backend>(State(b): State<Arc<B>>) -> Result<Json<ParamsView>, ApiError> {
    let (height, record, _) = chain_params(&*b).await?;
    let counters = EconomyCounters {
        staked: counter(&*b, MetaKey::Staked).await?,
        deposits: counter(&*b, MetaKey::Deposits).await?,
        treasury: counter(&*b, MetaKey::Treasury).await?,
        rewards: counter(&*b, MetaKey::Rewards).await?,
    };
    Ok(Json(ParamsView::new(height, &record, counters)))
}

/// Validator candidates in DID order (`after`: continue after this DID), with their stake in
/// the current epoch and from the next boundary on.
#[utoipa::path(get, path = "/v1/staking/validators",
    params(("limit" = Option<usize>, Query, description = "At most this many (1-200, default 100)"),
        ("after" = Option<String>, Query, description = "Continue after this DID")),
    responses((status = 200, body = ValidatorListView), (status = 400, body = ErrorBody)))]
async fn get_validators<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ValidatorListView>, ApiError> {
    let after = q.after.as_deref().map(parse_did).transpose()?;
    let (_, _, epoch) = chain_params(&*b).await?;
    let mut validators = Vec::new();
    for did in b.validators(after, limit(&q)).await? {
        if let Some(record) = validator(&*b, &did).await? {
            validators.push(ValidatorView::new(&did, &record, epoch));
        }
    }
    Ok(Json(ValidatorListView { epoch, validators }))
}

/// One validator candidate.
#[utoipa::path(get, path = "/v1/staking/validators/{did}",
    params(("did" = String, Path)),
    responses((status = 200, body = ValidatorView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_validator<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
) -> Result<Json<ValidatorView>, ApiError> {
    let did = parse_did(&did)?;
    let (_, _, epoch) = chain_params(&*b).await?;
    let record = validator(&*b, &did)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{did} is not a validator candidate")))?;
    Ok(Json(ValidatorView::new(&did, &record, epoch)))
}

/// An identity's stake: its validator, what it delegates now and from the next epoch boundary,
/// what is unbonding, and the rewards it can claim.
#[utoipa::path(get, path = "/v1/staking/stake/{did}",
    params(("did" = String, Path)),
    responses((status = 200, body = StakeView), (status = 400, body = ErrorBody)))]
async fn get_stake<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
) -> Result<Json<StakeView>, ApiError> {
    let did = parse_did(&did)?;
    let (_, _, epoch) = chain_params(&*b).await?;
    let unbonding = decoded(&*b, StateKey::Unbonding(did.clone()), Unbonding::decode)
        .await?
        .unwrap_or_default();
    let delegation = delegation(&*b, &did).await?;
    let delegated_to = match delegation.current().filter(|s| s.amount > 0) {
        Some(s) => validator(&*b, &s.validator).await?,
        None => None,
    };
    let own = validator(&*b, &did).await?;
    let index = decoded(&*b, StateKey::StakeTotal, StakeTotal::decode)
        .await?
        .unwrap_or_default()
        .reward_index;
    let rewards = claimable(&delegation, delegated_to.as_ref(), own.as_ref(), index)
        .ok_or_else(|| ApiError::Internal("rewards overflow".into()))?;
    Ok(Json(StakeView::new(
        &did,
        &delegation,
        &unbonding,
        epoch,
        rewards,
    )))
}

/// The validator sets stake chose for the current and the next epoch (chosen at the end of each
/// epoch's last block, the `max_validators` strongest candidates), and the candidates with stake
/// they are chosen from.
#[utoipa::path(get, path = "/v1/staking/sets",
    responses((status = 200, body = ValidatorSetsView)))]
async fn get_validator_sets<B: Backend>(
    State(b): State<Arc<B>>,
) -> Result<Json<ValidatorSetsView>, ApiError> {
    let (_, _, epoch) = chain_params(&*b).await?;
    let sets = decoded(&*b, StateKey::ValidatorSets, ValidatorSets::decode)
        .await?
        .unwrap_or_default();
    let candidates = decoded(&*b, StateKey::Candidates, CandidateList::decode)
        .await?
        .unwrap_or_default();
    Ok(Json(ValidatorSetsView::new(epoch, &sets, &candidates)))
}

/// Evidence of equivocation this node's consensus engines saw (at most 64, one per validator
/// and epoch, kept in memory), with the validator that signed it (verified against its epoch's
/// set, while that set is kept):
/// submit it in a `report_equivocation` action (`sovra stake report-evidence`).
#[utoipa::path(get, path = "/v1/staking/evidence",
    responses((status = 200, body = EvidenceListView)))]
async fn get_evidence<B: Backend>(
    State(b): State<Arc<B>>,
) -> Result<Json<EvidenceListView>, ApiError> {
    use commonware_codec::Encode;
    let sets = decoded(&*b, StateKey::ValidatorSets, ValidatorSets::decode)
        .await?
        .unwrap_or_default();
    let chain_id = b.status().await?.chain_id;
    let evidence = b
        .evidence()
        .into_iter()
        .map(|e| {
            let validator = e.signer_in(&chain_id, &sets).map(|d| d.to_string());
            EvidenceView {
                kind: e.kind().into(),
                epoch: e.epoch(),
                view: e.view(),
                validator,
                evidence: hex::encode(e.encode()),
            }
        })
        .collect();
    Ok(Json(EvidenceListView { evidence }))
}

/// Proposals, newest first, with their tallies and status.
#[utoipa::path(get, path = "/v1/gov/proposals",
    params(("limit" = Option<usize>, Query, description = "At most this many (1-200, default 100)")),
    responses((status = 200, body = ProposalListView), (status = 400, body = ErrorBody)))]
async fn get_proposals<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ProposalListView>, ApiError> {
    let mut proposals = Vec::new();
    for (_, id) in b.proposals(limit(&q)).await? {
        proposals.push(ProposalView::new(id, &proposal(&*b, id).await?));
    }
    Ok(Json(ProposalListView { proposals }))
}

/// One proposal, with its tally and status.
#[utoipa::path(get, path = "/v1/gov/proposals/{id}",
    params(("id" = String, Path, description = "32 hex characters")),
    responses((status = 200, body = ProposalView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_proposal<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Json<ProposalView>, ApiError> {
    let id = parse_proposal(&id)?;
    Ok(Json(ProposalView::new(id, &proposal(&*b, id).await?)))
}

/// An identity's part in a proposal's vote: its vote, the stake it counts, and (for a
/// delegator) the validator its vote must name.
#[utoipa::path(get, path = "/v1/gov/proposals/{id}/votes/{did}",
    params(("id" = String, Path, description = "32 hex characters"), ("did" = String, Path)),
    responses((status = 200, body = VoteView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_vote<B: Backend>(
    State(b): State<Arc<B>>,
    Path((id, did)): Path<(String, String)>,
) -> Result<Json<VoteView>, ApiError> {
    let id = parse_proposal(&id)?;
    let did = parse_did(&did)?;
    let p = proposal(&*b, id).await?;
    let record = decoded(
        &*b,
        StateKey::Vote {
            proposal: id,
            voter: did.clone(),
        },
        VoteRecord::decode,
    )
    .await?
    .unwrap_or_default();
    let power = validator(&*b, &did)
        .await?
        .and_then(|v| v.power.at(p.snapshot_epoch).copied())
        .unwrap_or(0);
    let delegation = delegation(&*b, &did).await?;
    Ok(Json(VoteView::new(
        id,
        &did,
        &record,
        power,
        delegation.at(p.snapshot_epoch),
    )))
}
