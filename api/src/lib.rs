//! The HTTP edge of Literature: configuration, state, the router, extractors, DTOs and OpenAPI.
//! Nothing here talks SQL; handlers call `service`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod dto;
pub mod error;
pub mod extract;
pub mod guard;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod routes;
pub mod server;
pub mod state;
pub mod telemetry;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{
    Extensions, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version, header,
};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use sea_orm::DatabaseConnection;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, Predicate, predicate::SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;

pub const API_PREFIX: &str = "/api/v1";
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the application state from a configuration and an open (migrated) database.
pub async fn build_state(config: Config, db: DatabaseConnection) -> anyhow::Result<AppState> {
    AppState::new(config, db).await
}

/// The OpenAPI document and the routes it describes, before state is attached.
fn api_parts(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::health::router())
        .nest(API_PREFIX, routes::v1(state))
        .split_for_parts()
}

/// The one router: `main` serves it and every test drives it.
pub fn router(state: AppState) -> Router {
    let (routes, api) = api_parts(&state);
    let cors = cors_layer(&state.config);
    let body_limit = state.config.body_limit_bytes;

    let mut app = routes
        .merge(SwaggerUi::new("/docs").url("/api-docs/openapi.json", api))
        .route("/metrics", axum::routing::get(metrics::scrape))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::map_response(json_errors))
        .layer(compression())
        .layer(middleware::map_response(vary_not_modified))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("handler panicked".into()).into_response()
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::bounded,
        ))
        .layer(middleware::from_fn(metrics::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // The matched route, never the raw URI: query strings may carry codes.
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|| "<unmatched>".into());
                    let request_id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), route, request_id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    app.with_state(state)
}

/// Gives bare error responses from axum or tower (e.g. a 413 from the body limit) the API's
/// error body, so that clients see one shape everywhere.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let mut fixed = ApiError::from_status(status).into_response();
        *fixed.status_mut() = status;
        return fixed;
    }
    response
}

/// Bodies smaller than this are sent as they are: below about one TCP packet, compression
/// saves no round trip and costs CPU.
pub const COMPRESS_MIN_BYTES: u16 = 860;

/// gzip and brotli for JSON and text above [`COMPRESS_MIN_BYTES`], as the client's
/// `Accept-Encoding` allows; adds `Vary: Accept-Encoding`. The `ETag` is passed through
/// untouched (it names the content, and the chapter handler compares weakly, so a proxy that
/// weakens it still gets 304s). Level 5: brotli's default (11) costs ~40× the CPU for ~5%
/// smaller chapters.
fn compression() -> CompressionLayer<impl Predicate> {
    fn json_or_text(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.starts_with("application/json")
                    || ct.starts_with("text/")
                    || ct.starts_with("application/javascript")
            })
    }
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .quality(CompressionLevel::Precise(5))
        .compress_when(SizeAbove::new(COMPRESS_MIN_BYTES).and(json_or_text))
}

/// A 304 carries the `Vary` its 200 would have had (RFC 9110 §15.4.5), so that caches keep
/// the compressed and plain copies apart. Its body is empty, so compression skips it.
async fn vary_not_modified(mut response: Response) -> Response {
    if response.status() == StatusCode::NOT_MODIFIED
        && !response.headers().contains_key(header::VARY)
    {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn cors_layer(config: &Config) -> Option<CorsLayer> {
    let origins = &config.cors_allowed_origins;
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
            ])
            .expose_headers([header::ETAG, REQUEST_ID])
            .max_age(Duration::from_secs(3600)),
    )
}
