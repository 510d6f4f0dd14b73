//! The API's areas. Each owns its routes and handlers and exposes `router<B: Backend>()` (the
//! node area also takes the OpenAPI document it serves), its OpenAPI part (`Doc`) and its tag
//! (`TAG`); [`crate::router`] merges them. Areas share the extractors ([`crate::extract`]), the
//! state reads ([`crate::reads`]), streams, errors and answers, and never import one another.

pub(crate) mod assets;
pub(crate) mod auth;
pub(crate) mod content;
pub(crate) mod credentials;
pub(crate) mod economy;
pub(crate) mod identity;
pub(crate) mod ledger;
pub(crate) mod node;
pub(crate) mod recovery;
pub(crate) mod vault;
