//! Names of the metrics the domain records, through the `metrics` facade. Without an installed
//! recorder (operator commands, unit tests) every call is a no-op; the server installs the
//! Prometheus recorder and serves `GET /metrics`.
//!
//! Labels are always from a fixed set (never a raw path, id, code or error text), so the
//! number of series stays bounded.

/// `catalog_cache_requests_total{cache, result="hit"|"miss"}`.
pub const CATALOG_CACHE: &str = "catalog_cache_requests_total";
/// `session_cache_requests_total{result="hit"|"miss"}`: for the per-instance session cache.
pub const SESSION_CACHE: &str = "session_cache_requests_total";
/// `wechat_calls_total{api, result}`: every HTTP attempt to WeChat (retries count).
pub const WECHAT_CALLS: &str = "wechat_calls_total";
/// `wechat_token_refreshes_total{result="ok"|"error"}`: central access-token fetches.
pub const WECHAT_TOKEN_REFRESHES: &str = "wechat_token_refreshes_total";
/// `db_batches_total{kind}`: batch queries (and shared write transactions) run; with
/// `db_batched_total{kind}`, the requests they served, it gives the mean batch size.
pub const DB_BATCHES: &str = "db_batches_total";
/// `db_batched_total{kind}`: requests served by batches.
pub const DB_BATCHED: &str = "db_batched_total";
/// `db_replica_fallbacks_total`: switches from the replica to the primary.
pub const REPLICA_FALLBACKS: &str = "db_replica_fallbacks_total";

fn hit_label(hit: bool) -> &'static str {
    if hit { "hit" } else { "miss" }
}

/// One lookup in a catalog cache (`cache` is a fixed name such as `details`).
pub fn catalog_cache(cache: &'static str, hit: bool) {
    metrics::counter!(CATALOG_CACHE, "cache" => cache, "result" => hit_label(hit)).increment(1);
}

/// Several lookups at once (a batch of summaries).
pub fn catalog_cache_many(cache: &'static str, hits: u64, misses: u64) {
    metrics::counter!(CATALOG_CACHE, "cache" => cache, "result" => "hit").increment(hits);
    metrics::counter!(CATALOG_CACHE, "cache" => cache, "result" => "miss").increment(misses);
}

/// One lookup in the session cache; call it from the cache in `auth`.
pub fn session_cache(hit: bool) {
    metrics::counter!(SESSION_CACHE, "result" => hit_label(hit)).increment(1);
}

/// One HTTP attempt to WeChat. `result` is `ok`, `errcode`, `transport` or `invalid`.
pub fn wechat_call(api: &'static str, result: &'static str) {
    metrics::counter!(WECHAT_CALLS, "api" => api, "result" => result).increment(1);
}

/// One fetch of the central access token.
pub fn wechat_token_refresh(ok: bool) {
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(WECHAT_TOKEN_REFRESHES, "result" => result).increment(1);
}

/// One batch of `size` requests (`kind`: `chapters`, `me`, `shelf`, `progress`,
/// `progress_writes`).
pub fn batch(kind: &'static str, size: usize) {
    metrics::counter!(DB_BATCHES, "kind" => kind).increment(1);
    metrics::counter!(DB_BATCHED, "kind" => kind).increment(size as u64);
}

pub fn replica_fallback() {
    metrics::counter!(REPLICA_FALLBACKS).increment(1);
}

/// A pool's use: (open connections, idle connections, maximum).
pub fn pool_stats(db: &sea_orm::DatabaseConnection) -> Option<(u32, usize, u32)> {
    use sea_orm::DbBackend;
    match db.get_database_backend() {
        DbBackend::MySql => {
            let pool = db.get_mysql_connection_pool();
            Some((
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ))
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ))
        }
        _ => None,
    }
}
