//! Route modules; each exports `router() -> OpenApiRouter<AppState>`.

pub mod health;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Everything under `/api/v1`.
pub fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(health::v1_aliases())
}
