//! Liveness and readiness probes.

use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::openapi::errors;
use crate::state::AppState;

crate::dto::api_enum! {
    /// Always `ok`.
    pub enum HealthStatus {
        Ok = "ok",
    }
}

crate::dto::api_enum! {
    /// Always `ready` (not ready is a 503).
    pub enum ReadyStatus {
        Ready = "ready",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: HealthStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: ReadyStatus,
    /// The database backend: `sqlite` or `mysql`.
    #[schema(example = "mysql")]
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
#[utoipa::path(get, path = "/healthz", tag = "operations", security(),
    responses((status = 200, description = "The process is up", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: HealthStatus::Ok,
    })
}

/// 200 when the database answers, 503 otherwise (and while draining after SIGTERM).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(),
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        errors::Unavailable,
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
        status: ReadyStatus::Ready,
        database: service::db::backend_name(&state.db),
    }))
}
