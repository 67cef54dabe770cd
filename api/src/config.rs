//! Typed configuration, read once from the environment (and `.env`, loaded by `main`).

use std::net::SocketAddr;

use secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://literature.db?mode=rwc";
pub const DEFAULT_WECHAT_API_BASE: &str = "https://api.weixin.qq.com";
/// Used only outside production, with a loud warning at start-up.
const DEV_JWT_SECRET: &str = "dev-only-jwt-secret-do-not-use-in-production!";
const MIN_JWT_SECRET_BYTES: usize = 32;
const MIN_METRICS_TOKEN_BYTES: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct WechatConfig {
    /// `None` in development means: run the built-in WeChat emulator.
    pub app_id: Option<String>,
    pub app_secret: Option<SecretString>,
    pub api_base: String,
    pub web_redirect_uris: Vec<String>,
}

/// Everything the server needs. `Debug` is safe to log: secrets print as `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub database_url: String,
    pub db_max_connections: u32,
    pub bind_addr: SocketAddr,
    pub auto_migrate: bool,
    pub jwt_secret: SecretString,
    /// True when `JWT_SECRET` was not set and the development default is in use.
    pub jwt_secret_is_default: bool,
    pub wechat: WechatConfig,
    /// Origins allowed by CORS (`*` for any); empty sends no CORS headers.
    pub cors_allowed_origins: Vec<String>,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    /// A spent refresh token presented again within this window returns the same new pair.
    pub refresh_grace_secs: i64,
    /// Featured novels put on a new reader's shelf.
    pub featured_shelf_size: u64,
    /// Login/refresh requests per client address per minute.
    pub auth_rate_limit_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Load the demo catalog into an empty database at start (development only).
    pub load_demo_catalog: bool,
    /// How often each instance checks the shared catalog version (cache and search-index
    /// freshness after an import).
    pub catalog_poll_ms: u64,
    /// The longest a whole request may take before it is answered 503 (its database work
    /// still finishes or rolls back in the background).
    pub request_timeout_ms: u64,
    /// The longest one database statement (or the wait for a pooled connection) may take.
    pub db_statement_timeout_ms: u64,
    /// The longest one WeChat call may take, retries included (login's one deadline).
    pub wechat_deadline_ms: u64,
    /// Optional read replica for catalog reads and search-index builds.
    pub database_replica_url: Option<String>,
    /// A replica further behind than this is not used (catalog reads go to the primary).
    pub replica_max_lag_secs: u64,
    /// How often the replica's health and delay are checked.
    pub replica_check_ms: u64,
    /// Time allowed for a request's headers to arrive (and for an idle keep-alive connection
    /// to start its next request).
    pub header_read_timeout_ms: u64,
    /// After SIGTERM: how long `/readyz` says 503 while still accepting connections (for load
    /// balancers that poll it; 0 for nginx, which retries a refused connection elsewhere).
    pub shutdown_drain_delay_ms: u64,
    /// After SIGTERM and the drain delay: how long in-flight requests may take to finish.
    pub shutdown_grace_secs: u64,
    /// Bearer token for `GET /metrics`; unset means `/metrics` answers 404.
    pub metrics_token: Option<SecretString>,
    /// A file of words never shown among the hot keywords (one per line), if any.
    pub hot_keywords_blocklist: Option<std::path::PathBuf>,
    /// How often hot-keyword counts are written to the database (a crash loses at most this).
    pub hot_keywords_flush_ms: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads configuration through `lookup`, so tests can configure without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| {
            lookup(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let app_env = match get("APP_ENV")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("development") | Some("dev") | Some("test") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => {
                return Err(ConfigError(format!(
                    "APP_ENV must be development or production, not {other:?}"
                )));
            }
        };

        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|_| ConfigError("BIND_ADDR must be host:port, e.g. 0.0.0.0:8080".into()))?;

        let (jwt_secret, jwt_secret_is_default) = match get("JWT_SECRET") {
            Some(s) => (SecretString::from(s), false),
            None => (SecretString::from(DEV_JWT_SECRET), true),
        };

        let wechat = WechatConfig {
            app_id: get("WECHAT_APP_ID"),
            app_secret: get("WECHAT_APP_SECRET").map(SecretString::from),
            api_base: get("WECHAT_API_BASE")
                .unwrap_or_else(|| DEFAULT_WECHAT_API_BASE.into())
                .trim_end_matches('/')
                .to_owned(),
            web_redirect_uris: list(get("WECHAT_WEB_REDIRECT_URIS")),
        };

        let config = Self {
            app_env,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            db_max_connections: number(get("DB_MAX_CONNECTIONS"), "DB_MAX_CONNECTIONS", 16)?,
            bind_addr,
            auto_migrate: boolean(get("AUTO_MIGRATE"), "AUTO_MIGRATE", true)?,
            jwt_secret,
            jwt_secret_is_default,
            wechat,
            cors_allowed_origins: list(get("CORS_ALLOWED_ORIGINS")),
            body_limit_bytes: number(get("BODY_LIMIT_BYTES"), "BODY_LIMIT_BYTES", 256 * 1024)?,
            access_token_ttl_secs: number(
                get("ACCESS_TOKEN_TTL_SECS"),
                "ACCESS_TOKEN_TTL_SECS",
                1800,
            )?,
            refresh_token_ttl_days: number(
                get("REFRESH_TOKEN_TTL_DAYS"),
                "REFRESH_TOKEN_TTL_DAYS",
                30,
            )?,
            refresh_grace_secs: number(get("REFRESH_GRACE_SECS"), "REFRESH_GRACE_SECS", 30)?,
            featured_shelf_size: number(get("FEATURED_SHELF_SIZE"), "FEATURED_SHELF_SIZE", 5)?,
            auth_rate_limit_per_minute: number(
                get("AUTH_RATE_LIMIT_PER_MINUTE"),
                "AUTH_RATE_LIMIT_PER_MINUTE",
                120,
            )?,
            trust_forwarded_for: boolean(get("TRUST_FORWARDED_FOR"), "TRUST_FORWARDED_FOR", false)?,
            load_demo_catalog: boolean(get("LOAD_DEMO_CATALOG"), "LOAD_DEMO_CATALOG", true)?,
            catalog_poll_ms: number(get("CATALOG_POLL_MS"), "CATALOG_POLL_MS", 2000)?,
            request_timeout_ms: number(get("REQUEST_TIMEOUT_MS"), "REQUEST_TIMEOUT_MS", 8000)?,
            db_statement_timeout_ms: number(
                get("DB_STATEMENT_TIMEOUT_MS"),
                "DB_STATEMENT_TIMEOUT_MS",
                3000,
            )?,
            wechat_deadline_ms: number(get("WECHAT_DEADLINE_MS"), "WECHAT_DEADLINE_MS", 6000)?,
            database_replica_url: get("DATABASE_REPLICA_URL"),
            replica_max_lag_secs: number(get("REPLICA_MAX_LAG_SECS"), "REPLICA_MAX_LAG_SECS", 5)?,
            replica_check_ms: number(get("REPLICA_CHECK_MS"), "REPLICA_CHECK_MS", 1000)?,
            header_read_timeout_ms: number(
                get("HEADER_READ_TIMEOUT_MS"),
                "HEADER_READ_TIMEOUT_MS",
                5000,
            )?,
            shutdown_drain_delay_ms: number(
                get("SHUTDOWN_DRAIN_DELAY_MS"),
                "SHUTDOWN_DRAIN_DELAY_MS",
                0,
            )?,
            shutdown_grace_secs: number(get("SHUTDOWN_GRACE_SECS"), "SHUTDOWN_GRACE_SECS", 20)?,
            metrics_token: get("METRICS_TOKEN").map(SecretString::from),
            hot_keywords_blocklist: get("HOT_KEYWORDS_BLOCKLIST").map(Into::into),
            hot_keywords_flush_ms: number(
                get("HOT_KEYWORDS_FLUSH_MS"),
                "HOT_KEYWORDS_FLUSH_MS",
                5000,
            )?,
        };
        config.check()?;
        Ok(config)
    }

    /// Production refuses weak or missing secrets; the message names the fix in one line.
    fn check(&self) -> Result<(), ConfigError> {
        if self.app_env == AppEnv::Production {
            if self.jwt_secret_is_default {
                return Err(ConfigError(
                    "APP_ENV=production requires JWT_SECRET (at least 32 random bytes)".into(),
                ));
            }
            if self.jwt_secret.expose_secret().len() < MIN_JWT_SECRET_BYTES {
                return Err(ConfigError(format!(
                    "JWT_SECRET is too short for production: use at least {MIN_JWT_SECRET_BYTES} bytes"
                )));
            }
            if self.wechat.app_id.is_none() || self.wechat.app_secret.is_none() {
                return Err(ConfigError(
                    "APP_ENV=production requires WECHAT_APP_ID and WECHAT_APP_SECRET (the WeChat emulator is for development only)"
                        .into(),
                ));
            }
        }
        if self.access_token_ttl_secs < 1
            || self.refresh_token_ttl_days < 1
            || self.refresh_grace_secs < 0
        {
            return Err(ConfigError(
                "ACCESS_TOKEN_TTL_SECS and REFRESH_TOKEN_TTL_DAYS must be positive".into(),
            ));
        }
        if self.request_timeout_ms < 100
            || self.db_statement_timeout_ms < 100
            || self.wechat_deadline_ms < 100
        {
            return Err(ConfigError(
                "REQUEST_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS and WECHAT_DEADLINE_MS must be at least 100"
                    .into(),
            ));
        }
        if self.hot_keywords_flush_ms == 0 {
            return Err(ConfigError(
                "HOT_KEYWORDS_FLUSH_MS must be at least 1".into(),
            ));
        }
        if self.auth_rate_limit_per_minute == 0 {
            return Err(ConfigError(
                "AUTH_RATE_LIMIT_PER_MINUTE must be at least 1".into(),
            ));
        }
        if let Some(replica) = &self.database_replica_url {
            let scheme = |url: &str| url.split(':').next().unwrap_or("").to_owned();
            if scheme(replica) != scheme(&self.database_url) {
                return Err(ConfigError(
                    "DATABASE_REPLICA_URL must use the same database kind as DATABASE_URL".into(),
                ));
            }
        }
        if self.header_read_timeout_ms == 0 || self.replica_check_ms == 0 {
            return Err(ConfigError(
                "HEADER_READ_TIMEOUT_MS and REPLICA_CHECK_MS must be at least 1".into(),
            ));
        }
        if self
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().len() < MIN_METRICS_TOKEN_BYTES)
        {
            return Err(ConfigError(format!(
                "METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_BYTES} characters"
            )));
        }
        if self.wechat.app_id.is_some() != self.wechat.app_secret.is_some() {
            return Err(ConfigError(
                "set both WECHAT_APP_ID and WECHAT_APP_SECRET, or neither".into(),
            ));
        }
        Ok(())
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    /// The database pool's settings.
    pub fn db_options(&self) -> service::db::DbOptions {
        let statement_timeout = std::time::Duration::from_millis(self.db_statement_timeout_ms);
        // SQLite has one connection: waiting for it is the normal queue of writers, bounded by
        // the request deadline. A MySQL pool that stays empty that long is a stalled database.
        let acquire_timeout = if self.database_url.starts_with("sqlite:") {
            std::time::Duration::from_millis(self.request_timeout_ms)
        } else {
            statement_timeout
        };
        service::db::DbOptions {
            max_connections: self.db_max_connections,
            acquire_timeout,
            statement_timeout,
        }
    }
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn boolean(value: Option<String>, key: &str, default: bool) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(_) => Err(ConfigError(format!("{key} must be true or false"))),
    }
}

fn number<T: std::str::FromStr>(
    value: Option<String>,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError(format!("{key} must be a positive number"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_configuration() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert!(c.auto_migrate && c.jwt_secret_is_default);
        assert_eq!(c.wechat.api_base, DEFAULT_WECHAT_API_BASE);
    }

    #[test]
    fn production_refuses_missing_or_short_secret() {
        let err = cfg(&[("APP_ENV", "production")]).unwrap_err();
        assert!(err.0.contains("JWT_SECRET"), "{err}");
        let err = cfg(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]).unwrap_err();
        assert!(err.0.contains("too short"), "{err}");
        let strong = "x".repeat(32);
        let err = cfg(&[("APP_ENV", "production"), ("JWT_SECRET", &strong)]).unwrap_err();
        assert!(err.0.contains("WECHAT_APP_ID"), "{err}");
        let ok = cfg(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", &strong),
            ("WECHAT_APP_ID", "wx1"),
            ("WECHAT_APP_SECRET", "s"),
        ]);
        assert!(ok.is_ok());
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = cfg(&[
            ("JWT_SECRET", "super-secret-jwt-value-0123456789abcdef"),
            ("WECHAT_APP_ID", "wx1"),
            ("WECHAT_APP_SECRET", "wechat-app-secret-value"),
        ])
        .unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("super-secret-jwt-value"));
        assert!(!text.contains("wechat-app-secret-value"));
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        assert!(
            cfg(&[("AUTO_MIGRATE", "maybe")])
                .unwrap_err()
                .0
                .contains("AUTO_MIGRATE")
        );
        assert!(
            cfg(&[("BIND_ADDR", "nope")])
                .unwrap_err()
                .0
                .contains("BIND_ADDR")
        );
        assert!(
            cfg(&[("APP_ENV", "staging")])
                .unwrap_err()
                .0
                .contains("APP_ENV")
        );
    }

    #[test]
    fn cluster_settings_are_checked() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.header_read_timeout_ms, 5000);
        assert_eq!(c.shutdown_grace_secs, 20);
        assert!(c.database_replica_url.is_none() && c.metrics_token.is_none());
        let err = cfg(&[
            ("DATABASE_URL", "mysql://a@h/db"),
            ("DATABASE_REPLICA_URL", "sqlite://x.db"),
        ])
        .unwrap_err();
        assert!(err.0.contains("DATABASE_REPLICA_URL"), "{err}");
        assert!(
            cfg(&[
                ("DATABASE_URL", "mysql://a@h/db"),
                ("DATABASE_REPLICA_URL", "mysql://a@r/db"),
            ])
            .is_ok()
        );
        let err = cfg(&[("METRICS_TOKEN", "short")]).unwrap_err();
        assert!(err.0.contains("METRICS_TOKEN"), "{err}");
        assert!(!err.0.contains("short"), "the token was echoed");
        let err = cfg(&[("HEADER_READ_TIMEOUT_MS", "0")]).unwrap_err();
        assert!(err.0.contains("HEADER_READ_TIMEOUT_MS"), "{err}");
    }
}
