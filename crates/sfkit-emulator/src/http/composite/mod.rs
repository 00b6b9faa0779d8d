//! The composite family: composite (with references and allOrNone), composite batch, tree,
//! graph, and sObject Collections.
//!
//! Subrequests run inside one SQLite transaction, so allOrNone is exact: a failure rolls back
//! every write of the request. Subrequests never go back through HTTP; they are dispatched to
//! the store ([`subrequest`]), which is why only the resources composite allows (sObject rows,
//! upsert, query) are accepted. [`references`] resolves `@{ref.path}` between subrequests;
//! [`graph`] serves composite and composite graph (one composite request is one graph),
//! [`batch`] composite batch, [`tree`] sObject Tree and [`collections`] sObject Collections.

mod batch;
mod collections;
mod graph;
mod references;
mod subrequest;
mod tree;

use axum::Router;
use axum::routing::{get, patch, post};
use serde_json::Value as Json;

use super::State;
use crate::api_error::ApiError;
use batch::batch;
use collections::{
    collection_create, collection_delete, collection_retrieve, collection_retrieve_post,
    collection_update, collection_upsert,
};
use graph::{composite, graph};
pub(super) use subrequest::{dispatch, percent_encode, sub_response, upsert_sub, upsert_url};
use tree::tree;

pub(super) fn routes() -> Router<State> {
    Router::new()
        .route("/services/data/{v}/composite", post(composite))
        .route("/services/data/{v}/composite/batch", post(batch))
        .route("/services/data/{v}/composite/graph", post(graph))
        .route("/services/data/{v}/composite/tree/{ty}", post(tree))
        .route(
            "/services/data/{v}/composite/sobjects",
            post(collection_create)
                .patch(collection_update)
                .delete(collection_delete),
        )
        .route(
            "/services/data/{v}/composite/sobjects/{ty}",
            get(collection_retrieve).post(collection_retrieve_post),
        )
        .route(
            "/services/data/{v}/composite/sobjects/{ty}/{field}",
            patch(collection_upsert),
        )
}

/// The outcome of one subrequest.
#[derive(Debug, Clone)]
pub(super) struct Sub {
    pub(super) status: u16,
    pub(super) body: Json,
    pub(super) location: Option<String>,
}

impl Sub {
    fn error(e: &ApiError) -> Self {
        Sub {
            status: e.status,
            body: serde_json::to_value(&e.items).unwrap_or(Json::Null),
            location: None,
        }
    }

    /// An answer with no `Location`.
    fn answer(status: u16, body: Json) -> Self {
        Sub {
            status,
            body,
            location: None,
        }
    }

    fn ok(&self) -> bool {
        self.status < 400
    }
}
