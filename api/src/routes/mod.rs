//! Route modules; each exports `router() -> OpenApiRouter<AppState>`.

pub mod auth;
pub mod catalog;
pub mod health;
pub mod library;
pub mod me;
pub mod search;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Everything under `/api/v1`.
pub fn v1(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::v1_aliases())
        .merge(auth::router(state.clone()))
        .merge(me::router())
        .merge(catalog::router())
        .merge(library::router())
        .merge(search::router())
}
