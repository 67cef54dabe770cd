//! `TestApp`: the real router on a fresh, migrated database, served over real HTTP; how tests
//! send requests to it (`http`) and fill its catalog (`fixtures`).

mod fixtures;
mod http;

pub use fixtures::{NovelBuilder, ids, paths, progress};
pub use http::{Call, Caller};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use api::config::Config;
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use service::wechat::emulator::{Emulator, EmulatorConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    MySql,
}

/// Which database a test runs on; SQLite always, MySQL when `TEST_MYSQL_URL` is set.
/// Under `CI=true` a missing MySQL is a failure, not a skip.
pub fn mysql_server_url() -> Option<String> {
    match std::env::var("TEST_MYSQL_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().trim_end_matches('/').to_owned()),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("CI=true but TEST_MYSQL_URL is not set: MySQL tests must run in CI");
            }
            None
        }
    }
}

/// A database created for one test and removed afterwards.
pub struct TestDb {
    pub url: String,
    mysql: Option<(String, String)>, // (server url, database name)
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Some(Self {
                    url,
                    mysql: None,
                    _dir: Some(dir),
                })
            }
            Backend::MySql => {
                let server = mysql_server_url()?;
                let name = format!("lit_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(server.as_str())
                    .await
                    .unwrap_or_else(|e| {
                        panic!("TEST_MYSQL_URL is set but MySQL is unreachable: {e}")
                    });
                admin
                    .execute_unprepared(&format!(
                        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                    ))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                Some(Self {
                    url: format!("{server}/{name}"),
                    mysql: Some((server, name)),
                    _dir: None,
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.mysql.take() else {
            return;
        };
        // Drop runs inside the test's runtime; use a separate thread and runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = sea_orm::Database::connect(server.as_str()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// The WeChat emulator this app talks to over HTTP.
    pub wechat: Arc<Emulator>,
    queries: Arc<std::sync::atomic::AtomicU64>,
    client: reqwest::Client,
    pub db: DatabaseConnection,
    pub backend: Backend,
    pub config: Arc<Config>,
    server: tokio::task::JoinHandle<()>,
    // Dropped last: the database outlives the server using it.
    _db: Arc<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Every log line of the test run, so that tests can check that no secret was logged.
static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = std::io::stderr().write_all(buf);
        }
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once) a subscriber that records every event at debug level and above.
pub fn init_test_logging() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buf
    });
}

/// Everything logged so far in this test binary.
pub fn captured_logs() -> String {
    LOGS.get()
        .map(|b| String::from_utf8_lossy(&b.lock().unwrap_or_else(|p| p.into_inner())).into_owned())
        .unwrap_or_default()
}

impl TestApp {
    /// The real app on a fresh database of `backend`; `None` only for MySQL outside CI when
    /// `TEST_MYSQL_URL` is unset.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, &[]).await
    }

    /// Same, with extra configuration variables.
    pub async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> Option<Self> {
        let db = Arc::new(TestDb::create(backend).await?);
        let wechat = Arc::new(spawn_emulator(EmulatorConfig::default()).await);
        Some(Self::spawn_on(backend, db, wechat, env).await)
    }

    /// Another app instance on an existing test database and emulator (e.g. two servers).
    pub async fn spawn_on(
        backend: Backend,
        testdb: Arc<TestDb>,
        wechat: Arc<Emulator>,
        env: &[(&str, &str)],
    ) -> Self {
        let url = testdb.url.clone();
        Self::spawn_on_url(backend, testdb, wechat, &url, env).await
    }

    /// An app whose `DATABASE_URL` is `url` (e.g. through a proxy) on the test database.
    pub async fn spawn_on_url(
        backend: Backend,
        testdb: Arc<TestDb>,
        wechat: Arc<Emulator>,
        url: &str,
        env: &[(&str, &str)],
    ) -> Self {
        init_test_logging();
        let config = test_config(url, &wechat, env);
        let mut db = service::db::connect(&config.database_url, &config.db_options())
            .await
            .expect("connect test database");
        // Counts the app's SQL statements (the background polls aside) for N+1 checks.
        let queries = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = queries.clone();
        db.set_metric_callback(move |info| {
            // Background: catalog polls, the revocation feed and the hot-keyword flush.
            let background = ["app_meta", "search_keyword", "session_revocations"]
                .iter()
                .any(|t| info.statement.sql.contains(t));
            if !background {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        migration::Migrator::up(&db, None)
            .await
            .expect("migrations");
        let state = api::build_state(config, db.clone()).await.expect("state");
        let config = state.config.clone();
        let (lifecycle, opts) = (
            state.lifecycle.clone(),
            api::server::ServeOptions::from_config(&config),
        );
        let app = api::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The server's own serving loop (header timeout, ConnectInfo), never shut down here.
        let server = tokio::spawn(async move {
            api::server::serve(listener, app, opts, lifecycle, std::future::pending()).await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            queries,
            wechat,
            client,
            db,
            backend,
            config,
            server,
            _db: testdb,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `path` under `/api/v1`.
    fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// SQL statements the app has run so far.
    pub fn queries(&self) -> u64 {
        self.queries.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until the app has surely seen the last import: every import moves the catalog
    /// version, and the app's watcher (polling every 100 ms here) then clears its caches, which
    /// would disturb a count of `queries()` taken meanwhile.
    pub async fn catalog_settled(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    /// Holds every connection of the app's pool for `hold`, then runs `requests` meanwhile:
    /// they all queue for a connection, as under load, so that reads which are batched
    /// across requests surely meet in a batch. Returns the requests' outcomes.
    pub async fn while_pool_held<T>(
        &self,
        hold: std::time::Duration,
        requests: impl Future<Output = T>,
    ) -> T {
        use sea_orm::TransactionTrait;
        let size = match self.backend {
            Backend::Sqlite => 1,
            Backend::MySql => self.config.db_max_connections,
        };
        let mut held = Vec::new();
        for _ in 0..size {
            held.push(self.db.begin().await.expect("hold a pooled connection"));
        }
        let release = async {
            tokio::time::sleep(hold).await;
            drop(held);
        };
        futures::join!(requests, release).0
    }

    /// Runs a raw statement on the test database (for test set-up only).
    pub async fn exec(&self, sql: &str) {
        self.db
            .execute_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .expect("exec");
    }

    /// The test database this app runs on (to start a second instance on it).
    pub fn test_db(&self) -> Arc<TestDb> {
        self._db.clone()
    }

    /// Logs `name` in with a fresh code; returns the login body.
    pub async fn login(&self, name: &str) -> Value {
        let code = self.wechat.mint_code(name);
        self.login_with(&code).expect(200).await
    }

    /// Logs `name` in; returns the access token.
    pub async fn token(&self, name: &str) -> String {
        self.login(name).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count")
            .expect("row");
        row.try_get::<i64>("", "n").expect("n")
    }
}

/// The configuration of a test server on the database at `url`, talking to `wechat`, with
/// `env` on top.
pub fn test_config(url: &str, wechat: &Emulator, env: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), url.to_owned()),
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("WECHAT_API_BASE".into(), wechat.base_url.clone()),
        ("WECHAT_APP_ID".into(), wechat.app_id().to_owned()),
        ("WECHAT_APP_SECRET".into(), wechat.app_secret().to_owned()),
        // Tests that check the featured shelf turn it on themselves.
        ("FEATURED_SHELF_SIZE".into(), "0".into()),
        ("CATALOG_POLL_MS".into(), "100".into()),
        ("HOT_KEYWORDS_FLUSH_MS".into(), "100".into()),
    ]);
    for (k, v) in env {
        vars.insert((*k).into(), (*v).into());
    }
    Config::from_lookup(|k| vars.get(k).cloned()).expect("test config")
}

pub async fn spawn_emulator(config: EmulatorConfig) -> Emulator {
    Emulator::spawn(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("emulator")
}

/// Reads a JSON body, asserting the status first (the body is shown when it differs).
pub async fn json(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an error response: status, `code`, and the API's error shape.
pub async fn error(resp: reqwest::Response, status: u16, code: &str) -> Value {
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = json(resp, status).await;
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    assert_eq!(body["code"], code, "body: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "body: {body}"
    );
    body
}

/// Generates a SQLite and a MySQL test from `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::support::TestApp::spawn($crate::support::Backend::Sqlite)
                    .await
                    .expect("sqlite app");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                match $crate::support::TestApp::spawn($crate::support::Backend::MySql).await {
                    Some(app) => super::$name(app).await,
                    None => eprintln!("skipped: TEST_MYSQL_URL is not set"),
                }
            }
        }
    )* };
}

/// Generates a SQLite and a MySQL test from `async fn name(backend: Backend)`, for tests that
/// build their own apps.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql() {
                if $crate::support::mysql_server_url().is_none() {
                    eprintln!("skipped: TEST_MYSQL_URL is not set");
                    return;
                }
                super::$name($crate::support::Backend::MySql).await;
            }
        }
    )* };
}
