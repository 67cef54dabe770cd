//! Liveness and readiness probes.

use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `mysql`.
    pub database: &'static str,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The same probes under `/api/v1`, for clients that only know the API prefix (undocumented).
pub fn v1_aliases() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// 200 while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// 200 when the database answers, 503 otherwise (and while draining after SIGTERM).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database does not answer, or the server is draining", body = ErrorBody),
    ))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    if state.lifecycle.is_draining() {
        return Err(ApiError::Unavailable("draining".into()));
    }
    let ok = tokio::time::timeout(Duration::from_secs(2), service::db::ping(&state.db))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(ApiError::Unavailable("database ping failed".into()));
    }
    Ok(Json(Readiness {
        status: "ready",
        database: service::db::backend_name(&state.db),
    }))
}
