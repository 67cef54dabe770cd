//! Prometheus metrics: the recorder (installed once per process), the per-request middleware,
//! and `GET /metrics`, which needs `Authorization: Bearer $METRICS_TOKEN` and answers 404 when
//! no token is configured (so an unconfigured server shows nothing).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

const REQUESTS: &str = "http_requests_total";
const LATENCY: &str = "http_request_duration_seconds";
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder for this process (once; later calls reuse it).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(LATENCY.into()), LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    // Upkeep drains histogram buffers; a thread, so it outlives any runtime.
                    let upkeep = handle.clone();
                    let _ = std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(Duration::from_secs(5));
                                upkeep.run_upkeep();
                            }
                        });
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    use service::metrics as m;
    describe_counter!(
        REQUESTS,
        "HTTP requests by method, matched route and status"
    );
    describe_histogram!(
        LATENCY,
        metrics::Unit::Seconds,
        "Time to the response head, by method, matched route and status"
    );
    describe_counter!(
        m::CATALOG_CACHE,
        "Catalog cache lookups by cache and hit/miss"
    );
    describe_counter!(m::SESSION_CACHE, "Session cache lookups by hit/miss");
    describe_counter!(m::WECHAT_CALLS, "HTTP attempts to WeChat by API and result");
    describe_counter!(
        m::WECHAT_TOKEN_REFRESHES,
        "Fetches of the central WeChat access token by result"
    );
    describe_counter!(
        m::REPLICA_FALLBACKS,
        "Times catalog reads fell back from the replica to the primary"
    );
    describe_gauge!(
        "db_pool_connections",
        "Pool connections by database and state"
    );
    describe_gauge!("db_pool_max_connections", "Pool size limit by database");
    describe_gauge!(
        "db_replica_in_use",
        "1 while catalog reads go to the replica"
    );
    describe_gauge!(
        "search_index_novels",
        "Novels in this instance's search index"
    );
    describe_gauge!(
        "search_index_age_seconds",
        "Seconds since this instance's search index was last (re)built"
    );
    describe_gauge!(
        "search_index_catalog_version",
        "The catalog version this instance's search index was built from"
    );
}

/// A fixed label for the method (anything unusual is `other`).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts each request and its latency by method, matched route (never the raw path: ids
/// and query strings would make series without bound) and status.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(LATENCY, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Keeps the search-index gauges current (size, age, version), checking once a second.
pub fn spawn_index_sampler(search: &service::search::Search) {
    let search = search.clone();
    tokio::spawn(async move {
        let mut seen = None;
        let mut built = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let index = search.index();
            if seen != Some(index.version) {
                seen = Some(index.version);
                built = Instant::now();
            }
            metrics::gauge!("search_index_novels").set(index.len() as f64);
            metrics::gauge!("search_index_catalog_version").set(index.version as f64);
            metrics::gauge!("search_index_age_seconds").set(built.elapsed().as_secs_f64());
        }
    });
}

/// Samples the pools (primary, and the replica when connected).
fn sample_pools(state: &AppState) {
    let replica = state.read.replica();
    let pools = [("primary", Some(&state.db)), ("replica", replica.as_ref())];
    for (name, db) in pools {
        let Some((open, idle, max)) = db.and_then(service::metrics::pool_stats) else {
            continue;
        };
        let in_use = f64::from(open) - idle as f64;
        metrics::gauge!("db_pool_connections", "db" => name, "state" => "in_use").set(in_use);
        metrics::gauge!("db_pool_connections", "db" => name, "state" => "idle").set(idle as f64);
        metrics::gauge!("db_pool_max_connections", "db" => name).set(f64::from(max));
    }
    metrics::gauge!("db_replica_in_use").set(if state.read.on_replica() { 1.0 } else { 0.0 });
}

/// `GET /metrics`: the Prometheus text format. Not in the OpenAPI document (an operator
/// endpoint, not part of the client API).
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_ref() else {
        return ApiError::NotFound("no such route".into()).into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let ok = presented
        .is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected.expose_secret().as_bytes())));
    if !ok {
        return ApiError::Unauthorized {
            code: crate::error::ErrorCode::InvalidToken,
            message: "a valid metrics token is required".into(),
        }
        .into_response();
    }
    let Some(handle) = install() else {
        return ApiError::Unavailable("metrics recorder not installed".into()).into_response();
    };
    sample_pools(&state);
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}
