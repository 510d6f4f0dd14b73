//! Router tests over an in-memory [`Backend`](sovra_api::Backend): every route's answers,
//! success and refusal, their JSON shapes and the API's limits (body size, batch size, page
//! sizes, authentication required and forbidden), without starting a node. The route tests are
//! declared once below; `coverage` checks that every route of the OpenAPI document has one and
//! that it saw every answer the document promises.

mod support;

mod assets;
mod auth;
mod content;
mod coverage;
mod credentials;
mod economy;
mod identity;
mod ledger;
mod node;
mod recovery;
mod vault;

/// The route tests, by area and documented route.
mod routes {
    crate::route_tests! {
        ledger {
            post "/v1/txs" => submit_txs,
            get "/v1/txs/{id}" => tx_status,
            get "/v1/blocks/{at}" => blocks,
            get "/v1/accounts/{did}" => account,
            get "/v1/accounts/{did}/receipts" => receipts,
            get "/v1/state/proof" => state_proof,
        }
        node {
            get "/v1/status" => status,
            get "/metrics" => metrics,
        }
        identity {
            get "/1.0/identifiers/{did}" => resolve,
            get "/v1/verifiers" => list_verifiers,
            get "/v1/verifiers/{did}" => verifier,
        }
        credentials {
            post "/credentials/verify" => verify_credential,
            post "/presentations/verify" => verify_presentation,
            get "/v1/status-lists/{issuer}/{list_id}" => status_list,
            get "/contexts" => list_contexts,
            get "/contexts/{name}" => context,
        }
        content {
            get "/ipfs/{path}" => gateway,
            post "/v1/content" => upload,
            get "/v1/content/{cid}" => content_status,
            get "/v1/accounts/{did}/public/{name}" => public_doc,
        }
        vault {
            post "/v1/vault/blocks" => upload_blocks,
            get "/v1/vault/records" => list_records,
            get "/v1/vault/records/{id}" => record,
            get "/v1/vault/records/{id}/content" => record_content,
            get "/v1/vault/records/{id}/keys" => record_keys,
            get "/v1/vault/records/{id}/grant" => record_grant,
            get "/v1/vault/records/{id}/log" => record_log,
            get "/v1/vault/records/{id}/erasure" => record_erasure,
        }
        recovery {
            get "/v1/recovery/{did}" => setup_view,
            get "/v1/recovery/{did}/shares" => shares,
            get "/v1/recovery/{did}/approvals/{guardian}" => approval,
        }
        assets {
            get "/v1/assets/classes/{issuer}/{name}" => class_view,
            get "/v1/assets/classes/{issuer}/{name}/tokens/{token}" => token_view,
            get "/v1/assets/issuers/{did}/classes" => issuer_classes,
            get "/v1/assets/holders/{did}" => holdings,
        }
        economy {
            get "/v1/params" => params,
            get "/v1/staking/validators" => validators,
            get "/v1/staking/validators/{did}" => validator,
            get "/v1/staking/stake/{did}" => stake,
            get "/v1/staking/sets" => validator_sets,
            get "/v1/staking/evidence" => evidence,
            get "/v1/gov/proposals" => proposals,
            get "/v1/gov/proposals/{id}" => proposal,
            get "/v1/gov/proposals/{id}/votes/{did}" => vote,
        }
        auth {
            post "/v1/auth/challenge" => challenge,
            post "/v1/auth/token" => token,
            get "/v1/auth/session" => session,
        }
    }
}
