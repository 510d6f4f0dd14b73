//! The ledger area: transactions (`POST /v1/txs`, `GET /v1/txs/{id}`), finalized blocks,
//! accounts and their receipt chains, and state proofs.

use crate::{
    ApiError, Backend,
    extract::{
        Query,
        path::{parse_did, parse_height, parse_state_key, parse_tx_id},
    },
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sovra_api_types::{
    AccountView, BlockView, ErrorBody, HeaderView, ProofView, ReceiptPage, ReceiptView,
    SubmitRequest, SubmitResponse, SubmitResult, TxStatusView,
};
use sovra_types::SignedTransaction;
use std::sync::Arc;
use utoipa::OpenApi;

/// Most transactions in one submission.
pub const MAX_BATCH: usize = 10_000;
/// Most receipt entries per page.
const MAX_PAGE: usize = 500;

/// The OpenAPI tag of this area.
pub(crate) const TAG: &str = "ledger";

/// This area's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(submit_txs, get_tx, get_block, get_account, get_receipts, get_proof),
    components(schemas(
        SubmitRequest,
        SubmitResponse,
        SubmitResult,
        ErrorBody,
        TxStatusView,
        BlockView,
        HeaderView,
        AccountView,
        ReceiptPage,
        ReceiptView,
        ProofView
    ))
)]
pub(crate) struct Doc;

/// This area's routes.
pub(crate) fn router<B: Backend>() -> Router<Arc<B>> {
    Router::new()
        .route("/v1/txs", post(submit_txs::<B>))
        .route("/v1/txs/{id}", get(get_tx::<B>))
        .route("/v1/blocks/{at}", get(get_block::<B>))
        .route("/v1/accounts/{did}", get(get_account::<B>))
        .route("/v1/accounts/{did}/receipts", get(get_receipts::<B>))
        .route("/v1/state/proof", get(get_proof::<B>))
}

/// Every form of the `key` of `GET /v1/state/proof`, with an example and what it proves.
pub const PROOF_KEY_FORMS: &[(&str, &str, &str)] = &[
    (
        "account:<did>",
        "account:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "an identity's account: balance, nonce, receipt-chain head and length",
    ),
    (
        "meta:supply",
        "meta:supply",
        "the native tokens in existence",
    ),
    ("meta:burned", "meta:burned", "the fees burned so far"),
    (
        "pin:<cid>/<did>",
        "pin:bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "one identity's pin of a content root",
    ),
    (
        "doc:<did>/<name>",
        "doc:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK/profile",
        "the CID an identity's named public document points to",
    ),
    (
        "did-doc:<did>",
        "did-doc:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "the current version of a did:sovra (document, version, times, deactivation)",
    ),
    (
        "did-version:<did>/<n>",
        "did-version:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/1",
        "version n (from 1) of a did:sovra",
    ),
    (
        "verifier:<did>",
        "verifier:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "a verifier's registration in the trust registry",
    ),
    (
        "status-list:<did>/<list-id>",
        "status-list:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/revocation-1",
        "the anchor of an issuer's status list",
    ),
    (
        "vault-record:<id>",
        "vault-record:000102030405060708090a0b0c0d0e0f",
        "a private vault record's anchor (32 hex characters)",
    ),
    (
        "recovery:<did>",
        "recovery:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "an identity's guardian recovery setup",
    ),
    (
        "asset-class:<issuer>/<name>",
        "asset-class:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/GOLD",
        "an asset class: its terms, mint authority and supply",
    ),
    (
        "asset-balance:<issuer>/<name>/<token>/<holder>",
        "asset-balance:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/GOLD/0/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "a holder's balance of one token id of a class (0 in a fungible class; 16 bytes, big-endian)",
    ),
    (
        "asset-token:<issuer>/<name>/<token>",
        "asset-token:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/ART/7",
        "one token of a non-fungible or semi-fungible class: owner, supply, metadata CID",
    ),
    (
        "asset-allowance:<issuer>/<name>/<owner>/<spender>",
        "asset-allowance:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/GOLD/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK/did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "what a spender may still move of an owner's tokens of a class",
    ),
    (
        "asset-lock:<issuer>/<name>/<holder>/<id>",
        "asset-lock:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/GOLD/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK/42",
        "tokens locked for a holder, released as they vest",
    ),
    (
        "asset-bundle:<issuer>/<name>/<token>",
        "asset-bundle:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt/RELICS/9",
        "what a non-fungible token holds (composable tokens)",
    ),
    (
        "meta:staked",
        "meta:staked",
        "native tokens bonded or unbonding",
    ),
    (
        "meta:deposits",
        "meta:deposits",
        "native tokens held as proposal deposits",
    ),
    (
        "meta:treasury",
        "meta:treasury",
        "native tokens in the community treasury",
    ),
    (
        "meta:rewards",
        "meta:rewards",
        "staking rewards distributed and not yet claimed",
    ),
    (
        "meta:issued",
        "meta:issued",
        "native tokens issued as staking rewards since genesis",
    ),
    (
        "params",
        "params",
        "the chain parameters in force and the changes scheduled for later heights",
    ),
    (
        "validator:<did>",
        "validator:did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "a validator candidate: consensus key, address, commission, stake by epoch",
    ),
    (
        "consensus-key:<hex>",
        "consensus-key:0000000000000000000000000000000000000000000000000000000000000000",
        "the candidate that registered a consensus key (64 hex characters)",
    ),
    (
        "delegation:<did>",
        "delegation:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "an identity's delegation (validator and amount) by epoch",
    ),
    (
        "unbonding:<did>",
        "unbonding:did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "an identity's unbonding stake and release heights",
    ),
    (
        "stake-total",
        "stake-total",
        "the total bonded stake by epoch and the reward index",
    ),
    (
        "candidates",
        "candidates",
        "the candidates with stake each epoch's validator set is chosen from",
    ),
    (
        "validator-sets",
        "validator-sets",
        "the validator sets stake chose for the next epoch, the current one and the two before",
    ),
    (
        "slash-log",
        "slash-log",
        "the slashes whose validators may still have stake unbonding",
    ),
    (
        "proposal:<id>",
        "proposal:000102030405060708090a0b0c0d0e0f",
        "a governance proposal with its tally and status (32 hex characters)",
    ),
    (
        "vote:<id>/<did>",
        "vote:000102030405060708090a0b0c0d0e0f/did:sovra:7aEe9mqMdj3p5wXsnN4Tvt",
        "one identity's vote on a proposal (for a validator also the stake of delegators who voted themselves)",
    ),
];

fn decode_one(hex_tx: &str) -> Result<(SignedTransaction, usize), ErrorBody> {
    let bytes = hex::decode(hex_tx.trim_start_matches("0x")).map_err(|_| ErrorBody {
        code: "malformed".into(),
        message: "transaction is not hex".into(),
    })?;
    let tx = SignedTransaction::decode(&bytes).map_err(|e| ErrorBody {
        code: "malformed".into(),
        message: e.to_string(),
    })?;
    Ok((tx, bytes.len()))
}

/// Submit one signed transaction (`tx`) or a batch (`txs`), hex-encoded.
///
/// A node behind the network (see `sync` on `/v1/status`) refuses every submission with `503`
/// and code `syncing` instead of admitting transactions against stale state: retry shortly, or
/// submit to another node. An accepted transaction ends `completed`, `failed`, `replaced` or
/// `expired` (see `GET /v1/txs/{id}`).
#[utoipa::path(post, path = "/v1/txs", request_body = SubmitRequest,
    responses(
        (status = 202, description = "All accepted into the mempool", body = SubmitResponse),
        (status = 400, description = "One or more refused; see each result's error (e.g. `nonce_used`, `nonce_taken`, `zero_amount`)", body = SubmitResponse),
        (status = 413, description = "Body too large"),
        (status = 503, description = "This node is behind the network (code `syncing`); nothing was admitted", body = ErrorBody),
    ))]
async fn submit_txs<B: Backend>(
    State(b): State<Arc<B>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: SubmitRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad("malformed", format!("body is not a submit request: {e}")))?;
    let items: Vec<String> = match (req.tx, req.txs) {
        (Some(one), None) => vec![one],
        (None, Some(many)) => many,
        _ => {
            return Err(ApiError::bad(
                "malformed",
                "give exactly one of `tx` or `txs`",
            ));
        }
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::bad(
            "batch_size",
            format!("a batch holds 1 to {MAX_BATCH} transactions"),
        ));
    }
    let decoded: Vec<Result<(SignedTransaction, usize), ErrorBody>> =
        items.iter().map(|h| decode_one(h)).collect();
    let good: Vec<(SignedTransaction, usize)> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok().cloned())
        .collect();
    let mut admitted = match b.submit(good).await {
        Ok(results) => results.into_iter(),
        Err(refusal) => {
            return Ok((
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "2")],
                Json(refusal),
            )
                .into_response());
        }
    };
    let results: Vec<SubmitResult> = decoded
        .into_iter()
        .map(|d| match d {
            Ok(_) => admitted.next().unwrap_or(SubmitResult {
                id: None,
                accepted: false,
                error: Some(ErrorBody {
                    code: "internal".into(),
                    message: "missing result".into(),
                }),
            }),
            Err(error) => SubmitResult {
                id: None,
                accepted: false,
                error: Some(error),
            },
        })
        .collect();
    let status = if results.iter().all(|r| r.accepted) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, Json(SubmitResponse { results })).into_response())
}

/// A transaction's status: `pending`, or final: `completed` or `failed` (with its receipt),
/// `replaced` (another transaction used its nonce; `replaced_by`) or `expired` (`expiry_height`).
#[utoipa::path(get, path = "/v1/txs/{id}", params(("id" = String, Path, description = "Transaction id, hex")),
    responses((status = 200, body = TxStatusView), (status = 404, description = "Not known to this node: never held here, or dropped long ago", body = ErrorBody), (status = 400, body = ErrorBody)))]
async fn get_tx<B: Backend>(
    State(b): State<Arc<B>>,
    Path(id): Path<String>,
) -> Result<Json<TxStatusView>, ApiError> {
    let id = parse_tx_id(&id)?;
    b.tx_status(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("transaction not known to this node".into()))
}

/// A finalized block by height, or `latest`.
#[utoipa::path(get, path = "/v1/blocks/{at}", params(("at" = String, Path, description = "Height or `latest`")),
    responses((status = 200, body = BlockView), (status = 404, body = ErrorBody)))]
async fn get_block<B: Backend>(
    State(b): State<Arc<B>>,
    Path(at): Path<String>,
) -> Result<Json<BlockView>, ApiError> {
    let height = parse_height(&at)?;
    b.block(height)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no finalized block at {at}")))
}

/// An identity's balance, nonce, next nonce (counting its transactions waiting here) and
/// receipt-chain head.
#[utoipa::path(get, path = "/v1/accounts/{did}", params(("did" = String, Path)),
    responses((status = 200, body = AccountView), (status = 400, body = ErrorBody)))]
async fn get_account<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(b.account(parse_did(&did)?).await?))
}

#[derive(Deserialize)]
struct PageQuery {
    from: Option<u64>,
    limit: Option<usize>,
}

/// An identity's receipt chain, oldest first, paginated.
#[utoipa::path(get, path = "/v1/accounts/{did}/receipts",
    params(("did" = String, Path), ("from" = Option<u64>, Query), ("limit" = Option<usize>, Query, description = "At most 500")),
    responses((status = 200, body = ReceiptPage), (status = 400, body = ErrorBody)))]
async fn get_receipts<B: Backend>(
    State(b): State<Arc<B>>,
    Path(did): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<ReceiptPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    Ok(Json(
        b.receipts(parse_did(&did)?, q.from.unwrap_or(0), limit)
            .await?,
    ))
}

#[derive(Deserialize)]
struct ProofQuery {
    key: String,
}

/// Inclusion or exclusion proof of a state key against the newest finalized header.
///
/// The `key` is one of:
/// - `account:<did>`: an identity's account (balance, nonce, receipt-chain head and length);
/// - `meta:supply`, `meta:burned`: the native tokens in existence, the fees burned;
/// - `pin:<cid>/<did>`: one identity's pin of a content root;
/// - `doc:<did>/<name>`: the CID an identity's named public document points to;
/// - `did-doc:<did>`: the current version of a `did:sovra`;
/// - `did-version:<did>/<n>`: version `n` (from 1) of a `did:sovra`;
/// - `verifier:<did>`: a verifier's registration in the trust registry;
/// - `status-list:<did>/<list-id>`: the anchor of an issuer's status list;
/// - `vault-record:<id>`: a private vault record's anchor (32 hex characters);
/// - `recovery:<did>`: an identity's guardian recovery setup;
/// - `asset-class:<issuer>/<name>`: an asset class (terms, mint authority, supply);
/// - `asset-balance:<issuer>/<name>/<token>/<holder>`: a holder's balance of one token id
///   (and, in its token-0 record, whether it is frozen in the class);
/// - `asset-token:<issuer>/<name>/<token>`: one token of a non-fungible or semi-fungible class;
/// - `asset-allowance:<issuer>/<name>/<owner>/<spender>`: what a spender may still move;
/// - `asset-lock:<issuer>/<name>/<holder>/<id>`: tokens locked for a holder;
/// - `asset-bundle:<issuer>/<name>/<token>`: what a non-fungible token holds;
/// - `meta:staked`, `meta:deposits`, `meta:treasury`, `meta:rewards`, `meta:issued`: native
///   tokens bonded or unbonding, held as proposal deposits, in the community treasury, owed as
///   staking rewards, and issued as rewards since genesis;
/// - `params`: the chain parameters in force and the changes scheduled for later heights;
/// - `validator:<did>`: a validator candidate; `consensus-key:<hex>`: who registered a
///   consensus key; `delegation:<did>`, `unbonding:<did>`: an identity's stake;
///   `stake-total`: the total bonded stake by epoch and the reward index; `candidates`,
///   `validator-sets`: the candidates with stake and the validator sets chosen from them;
/// - `proposal:<id>`: a governance proposal; `vote:<id>/<did>`: one identity's vote on it.
#[utoipa::path(get, path = "/v1/state/proof",
    params(("key" = String, Query, description = "`account:<did>`, `meta:supply`, `meta:burned`, `pin:<cid>/<did>`, `doc:<did>/<name>`, `did-doc:<did>`, `did-version:<did>/<n>`, `verifier:<did>`, `status-list:<did>/<list-id>`, `vault-record:<id>` (32 hex), `recovery:<did>`, `asset-class:<issuer>/<name>`, `asset-balance:<issuer>/<name>/<token>/<holder>`, `asset-token:<issuer>/<name>/<token>`, `asset-allowance:<issuer>/<name>/<owner>/<spender>`, `asset-lock:<issuer>/<name>/<holder>/<id>`, `asset-bundle:<issuer>/<name>/<token>`, `meta:staked`, `meta:deposits`, `meta:treasury`, `meta:rewards`, `meta:issued`, `params`, `validator:<did>`, `consensus-key:<hex>`, `delegation:<did>`, `unbonding:<did>`, `stake-total`, `candidates`, `validator-sets`, `slash-log`, `proposal:<id>` or `vote:<id>/<did>`")),
    responses((status = 200, body = ProofView), (status = 400, body = ErrorBody)))]
async fn get_proof<B: Backend>(
    State(b): State<Arc<B>>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<ProofView>, ApiError> {
    let key = parse_state_key(&q.key)?;
    Ok(Json(b.proof(key).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovra_types::StateKey;

    #[test]
    fn every_state_key_form_is_documented_and_parses() {
        let doc = Doc::openapi();
        let proof = doc.paths.paths["/v1/state/proof"].get.as_ref().unwrap();
        let param = &proof.parameters.as_ref().unwrap()[0];
        let text = format!(
            "{} {}",
            param.description.clone().unwrap_or_default(),
            proof.description.clone().unwrap_or_default()
        );
        let mut seen = std::collections::HashSet::new();
        for (form, example, _) in PROOF_KEY_FORMS {
            assert!(
                text.contains(form),
                "{form} is missing from the OpenAPI document"
            );
            let key = StateKey::parse(example).unwrap_or_else(|e| panic!("{example}: {e}"));
            // A new StateKey variant must be added to PROOF_KEY_FORMS (and the docs).
            let variant = match key {
                StateKey::Account(_) => "account",
                StateKey::Meta(sovra_types::state::MetaKey::Supply) => "supply",
                StateKey::Meta(sovra_types::state::MetaKey::Burned) => "burned",
                StateKey::Pin { .. } => "pin",
                StateKey::PublicDoc { .. } => "doc",
                StateKey::Did(_) => "did",
                StateKey::DidVersion { .. } => "did-version",
                StateKey::Verifier(_) => "verifier",
                StateKey::StatusList { .. } => "status-list",
                StateKey::VaultRecord(_) => "vault-record",
                StateKey::Recovery(_) => "recovery",
                StateKey::AssetClass(_) => "asset-class",
                StateKey::AssetBalance { .. } => "asset-balance",
                StateKey::AssetToken { .. } => "asset-token",
                StateKey::AssetAllowance { .. } => "asset-allowance",
                StateKey::AssetLock { .. } => "asset-lock",
                StateKey::AssetBundle { .. } => "asset-bundle",
                StateKey::Meta(sovra_types::state::MetaKey::Staked) => "staked",
                StateKey::Meta(sovra_types::state::MetaKey::Deposits) => "deposits",
                StateKey::Meta(sovra_types::state::MetaKey::Treasury) => "treasury",
                StateKey::Meta(sovra_types::state::MetaKey::Rewards) => "rewards",
                StateKey::Meta(sovra_types::state::MetaKey::Issued) => "issued",
                StateKey::Params => "params",
                StateKey::Validator(_) => "validator",
                StateKey::ConsensusKey(_) => "consensus-key",
                StateKey::Delegation(_) => "delegation",
                StateKey::Unbonding(_) => "unbonding",
                StateKey::StakeTotal => "stake-total",
                StateKey::Candidates => "candidates",
                StateKey::ValidatorSets => "validator-sets",
                StateKey::SlashLog => "slash-log",
                StateKey::Proposal(_) => "proposal",
                StateKey::Vote { .. } => "vote",
            };
            seen.insert(variant);
        }
        assert_eq!(
            seen.len(),
            33,
            "every state key variant has a documented form"
        );
    }
}
