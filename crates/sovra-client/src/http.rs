//! A blocking HTTP client for a node's API.

use crate::ClientError;
use commonware_codec::Encode;
use serde::de::DeserializeOwned;
use sovra_api_types::{
    AccountView, BlockView, ErrorBody, ProofView, ReceiptPage, StatusView, SubmitRequest,
    SubmitResponse, TxStatusView,
};
use sovra_crypto::SigningKey;
use sovra_types::{AccountsAction, Action, Did, SignedTransaction, Transaction};
use std::time::{Duration, Instant};

/// Largest response the client reads.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// How many blocks ahead a transaction built by [`Client::transfer`] stays valid.
pub(crate) const DEFAULT_EXPIRY_BLOCKS: u64 = 1_000;

/// The error a node returned: its `{code, message}` body, or the raw text.
pub(crate) fn api_error(status: u16, text: &str) -> ClientError {
    let err: ErrorBody = serde_json::from_str(text).unwrap_or(ErrorBody {
        code: "http".into(),
        message: text.chars().take(200).collect(),
    });
    ClientError::Api {
        status,
        code: err.code,
        message: err.message,
    }
}

/// A connection to one node's HTTP API.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for the node at `base` (e.g. `http://127.0.0.1:8545`).
    pub fn new(base: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Self {
            base: base.trim_end_matches('/').to_string(),
            agent,
        }
    }

    /// The underlying HTTP agent.
    pub(crate) fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn transport(
        &self,
        url: &str,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> ClientError {
        ClientError::Transport {
            url: url.to_string(),
            source: e.into(),
        }
    }

    /// Status and body text of a response, reading at most [`MAX_RESPONSE_BYTES`].
    pub(crate) fn text(
        &self,
        url: &str,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<(u16, String), ClientError> {
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| self.transport(url, e))?;
        Ok((status, text))
    }

    pub(crate) fn read<T: DeserializeOwned>(
        &self,
        url: &str,
        resp: ureq::http::Response<ureq::Body>,
    ) -> Result<T, ClientError> {
        let (status, text) = self.text(url, resp)?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|source| ClientError::Json {
                url: url.to_string(),
                source,
            });
        }
        Err(api_error(status, &text))
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| self.transport(&url, e))?;
        self.read(&url, resp)
    }

    /// Node and chain status.
    pub fn status(&self) -> Result<StatusView, ClientError> {
        self.get("/v1/status")
    }

    /// What `did` holds of native assets: positive balances and open locks (at most `limit`
    /// of each).
    pub fn asset_holdings(
        &self,
        did: &Did,
        limit: usize,
    ) -> Result<sovra_api_types::AssetHoldingsView, ClientError> {
        self.get(&format!("/v1/assets/holders/{did}?limit={limit}"))
    }

    /// The asset classes `issuer` created (at most `limit`).
    pub fn asset_classes(
        &self,
        issuer: &Did,
        limit: usize,
    ) -> Result<sovra_api_types::AssetClassListView, ClientError> {
        self.get(&format!(
            "/v1/assets/issuers/{issuer}/classes?limit={limit}"
        ))
    }

    /// The chain parameters in force and scheduled, and the chain-wide counters.
    pub fn params(&self) -> Result<sovra_api_types::ParamsView, ClientError> {
        self.get("/v1/params")
    }

    /// Validator candidates (at most `limit`).
    pub fn validators(
        &self,
        limit: usize,
    ) -> Result<sovra_api_types::ValidatorListView, ClientError> {
        self.get(&format!("/v1/staking/validators?limit={limit}"))
    }

    /// An identity's stake and unbonding entries.
    pub fn stake(&self, did: &Did) -> Result<sovra_api_types::StakeView, ClientError> {
        self.get(&format!("/v1/staking/stake/{did}"))
    }

    /// One validator candidate.
    pub fn validator(&self, did: &Did) -> Result<sovra_api_types::ValidatorView, ClientError> {
        self.get(&format!("/v1/staking/validators/{did}"))
    }

    /// Evidence of equivocation the node's consensus engines saw.
    pub fn evidence(&self) -> Result<sovra_api_types::economy::EvidenceListView, ClientError> {
        self.get("/v1/staking/evidence")
    }

    /// The validator sets chosen by stake and the candidates.
    pub fn validator_sets(&self) -> Result<sovra_api_types::ValidatorSetsView, ClientError> {
        self.get("/v1/staking/sets")
    }

    /// Proposals, newest first (at most `limit`).
    pub fn proposals(
        &self,
        limit: usize,
    ) -> Result<sovra_api_types::ProposalListView, ClientError> {
        self.get(&format!("/v1/gov/proposals?limit={limit}"))
    }

    /// A proposal with its tally.
    pub fn proposal(
        &self,
        id: &sovra_types::ProposalId,
    ) -> Result<sovra_api_types::ProposalView, ClientError> {
        self.get(&format!("/v1/gov/proposals/{id}"))
    }

    /// An identity's part in a proposal's vote (and the validator its vote must name).
    pub fn vote_of(
        &self,
        proposal: &sovra_types::ProposalId,
        voter: &Did,
    ) -> Result<sovra_api_types::VoteView, ClientError> {
        self.get(&format!("/v1/gov/proposals/{proposal}/votes/{voter}"))
    }

    /// An account.
    pub fn account(&self, did: &Did) -> Result<AccountView, ClientError> {
        self.get(&format!("/v1/accounts/{did}"))
    }

    /// A page of an identity's receipt chain.
    pub fn receipts(&self, did: &Did, from: u64, limit: usize) -> Result<ReceiptPage, ClientError> {
        self.get(&format!(
            "/v1/accounts/{did}/receipts?from={from}&limit={limit}"
        ))
    }

    /// A finalized block (`None`: the newest).
    pub fn block(&self, height: Option<u64>) -> Result<BlockView, ClientError> {
        match height {
            Some(h) => self.get(&format!("/v1/blocks/{h}")),
            None => self.get("/v1/blocks/latest"),
        }
    }

    /// A transaction's status (`None` if the node does not know it).
    pub fn tx(&self, id: &str) -> Result<Option<TxStatusView>, ClientError> {
        match self.get(&format!("/v1/txs/{id}")) {
            Ok(v) => Ok(Some(v)),
            Err(ClientError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A state proof for a key (`account:<did>`, `meta:supply`, ...).
    pub fn proof(&self, key: &str) -> Result<ProofView, ClientError> {
        self.get(&format!("/v1/state/proof?key={key}"))
    }

    /// Submits signed transactions; one result per transaction.
    pub fn submit(&self, txs: &[SignedTransaction]) -> Result<SubmitResponse, ClientError> {
        let req = SubmitRequest {
            tx: None,
            txs: Some(txs.iter().map(|t| hex::encode(t.encode())).collect()),
        };
        self.submit_request(&req)
    }

    /// Submits already-encoded transactions (hex), e.g. pre-signed for benchmarks.
    pub fn submit_encoded(&self, hex_txs: Vec<String>) -> Result<SubmitResponse, ClientError> {
        self.submit_request(&SubmitRequest {
            tx: None,
            txs: Some(hex_txs),
        })
    }

    fn submit_request(&self, req: &SubmitRequest) -> Result<SubmitResponse, ClientError> {
        let url = format!("{}/v1/txs", self.base);
        let resp = self
            .agent
            .post(&url)
            .send_json(req)
            .map_err(|e| self.transport(&url, e))?;
        let (status, text) = self.text(&url, resp)?;
        // 202 and 400 both carry per-transaction results.
        if let Ok(r) = serde_json::from_str::<SubmitResponse>(&text) {
            return Ok(r);
        }
        Err(api_error(status, &text))
    }

    /// Builds, signs and submits a transaction with the given actions, using
    /// the signer's next nonce. Returns the transaction id (hex).
    pub fn send(
        &self,
        key: &SigningKey,
        actions: Vec<Action>,
        fee: u64,
    ) -> Result<String, ClientError> {
        self.send_as(key, &Did::from_public_key(&key.public_key()), actions, fee)
    }

    /// Like [`Self::send`], signing as `signer` (a `did:sovra` whose
    /// capabilityInvocation keys include `key`, or `key`'s own `did:key`).
    pub fn send_as(
        &self,
        key: &SigningKey,
        signer: &Did,
        actions: Vec<Action>,
        fee: u64,
    ) -> Result<String, ClientError> {
        let tx = self.build_tx(key, signer, actions, fee)?;
        self.send_signed(&tx)
    }

    /// Builds and signs a transaction as `signer` with its next nonce (from the node's pending
    /// view: the committed nonce plus the signer's transactions waiting there, so transactions
    /// sent back to back do not collide) and an expiry `DEFAULT_EXPIRY_BLOCKS` (1,000 blocks) ahead of the
    /// finalized height.
    pub fn build_tx(
        &self,
        key: &SigningKey,
        signer: &Did,
        actions: Vec<Action>,
        fee: u64,
    ) -> Result<SignedTransaction, ClientError> {
        self.build_tx_with_nonce(key, signer, actions, fee, None)
    }

    /// The nonce `signer`'s next new transaction should use: the node's pending view
    /// (`next_nonce`, counting the signer's transactions waiting in its mempool), or the
    /// finalized nonce from a node that does not give it.
    pub fn next_nonce(&self, signer: &Did) -> Result<u64, ClientError> {
        let account = self.account(signer)?;
        Ok(account.nonce.max(account.next_nonce))
    }

    /// Like [`Self::build_tx`], with the given nonce instead of the next one when `Some`.
    pub fn build_tx_with_nonce(
        &self,
        key: &SigningKey,
        signer: &Did,
        actions: Vec<Action>,
        fee: u64,
        nonce: Option<u64>,
    ) -> Result<SignedTransaction, ClientError> {
        let status = self.status()?;
        let nonce = match nonce {
            Some(n) => n,
            None => self.next_nonce(signer)?,
        };
        Ok(Transaction {
            chain_id: status.chain_id,
            signer: signer.clone(),
            nonce,
            fee,
            expiry_height: status.finalized_height + DEFAULT_EXPIRY_BLOCKS,
            actions,
        }
        .sign(key))
    }

    /// Submits one signed transaction; returns its id (hex) or why it was refused.
    pub fn send_signed(&self, tx: &SignedTransaction) -> Result<String, ClientError> {
        let resp = self.submit(std::slice::from_ref(tx))?;
        let result = resp
            .results
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::BadResponse("no result for the transaction".into()))?;
        if result.accepted {
            Ok(result.id.unwrap_or_else(|| hex::encode(tx.id().0)))
        } else {
            let e = result.error.unwrap_or(ErrorBody {
                code: "unknown".into(),
                message: String::new(),
            });
            Err(ClientError::Refused {
                code: e.code,
                message: e.message,
            })
        }
    }

    /// Transfers `amount` to `to`.
    pub fn transfer(
        &self,
        key: &SigningKey,
        to: &Did,
        amount: u64,
        fee: u64,
    ) -> Result<String, ClientError> {
        self.send(
            key,
            vec![Action::Accounts(AccountsAction::Transfer {
                to: to.clone(),
                amount,
            })],
            fee,
        )
    }

    /// Polls until the transaction is final (`completed`, `failed`, `replaced` or `expired`, as
    /// the node reports it). A transaction the node does not know is waited for until the
    /// timeout; [`Self::wait_final_tx`] also settles those.
    pub fn wait_final(&self, id: &str, timeout: Duration) -> Result<TxStatusView, ClientError> {
        poll_final(id, timeout, || self.tx(id))
    }

    /// What became of `tx`: the node's status for it when it knows it; otherwise, derived from
    /// the node's committed state, `replaced` once the signer's nonce has moved past the
    /// transaction's (another transaction used it) or `expired` once its expiry height is
    /// finalized. `None` while it may still be included (e.g. it waits at another node).
    ///
    /// The account is read before the transaction's status: whatever the node had included at
    /// that account's height is in its index when the status is read, so a 404 then means the
    /// transaction was not included.
    pub fn tx_outcome(&self, tx: &SignedTransaction) -> Result<Option<TxStatusView>, ClientError> {
        let account = self.account(&tx.tx.signer)?;
        let id = hex::encode(tx.id().0);
        if let Some(status) = self.tx(&id)? {
            return Ok(Some(status));
        }
        let settled = |status: &str, height| TxStatusView {
            id: id.clone(),
            status: status.into(),
            height: Some(height),
            index: None,
            fee: None,
            error: None,
            expiry_height: Some(tx.tx.expiry_height),
            replaced_by: None,
        };
        if account.nonce > tx.tx.nonce {
            return Ok(Some(settled("replaced", account.height)));
        }
        if account.height >= tx.tx.expiry_height {
            return Ok(Some(settled("expired", account.height)));
        }
        Ok(None)
    }

    /// Polls until `tx` is final ([`Self::tx_outcome`]): `completed`, `failed`, `replaced` or
    /// `expired`, whether or not the node still holds it.
    pub fn wait_final_tx(
        &self,
        tx: &SignedTransaction,
        timeout: Duration,
    ) -> Result<TxStatusView, ClientError> {
        poll_final(&hex::encode(tx.id().0), timeout, || self.tx_outcome(tx))
    }
}

/// Polls `status` every 50 ms until it gives a final status, or fails with a timeout for `id`.
fn poll_final(
    id: &str,
    timeout: Duration,
    mut status: impl FnMut() -> Result<Option<TxStatusView>, ClientError>,
) -> Result<TxStatusView, ClientError> {
    let start = Instant::now();
    loop {
        if let Some(s) = status()?
            && s.is_final()
        {
            return Ok(s);
        }
        if start.elapsed() > timeout {
            return Err(ClientError::Timeout(id.to_string(), timeout));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
