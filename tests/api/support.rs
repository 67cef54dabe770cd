//! `TestApp`: the real router on a fresh, migrated database, served over real HTTP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use api::config::Config;
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;

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
    pub client: reqwest::Client,
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

pub fn init_test_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        api::telemetry::init();
    }
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
        Some(Self::spawn_on(backend, db, env).await)
    }

    /// Another app instance on an existing test database (e.g. two servers, one database).
    pub async fn spawn_on(backend: Backend, testdb: Arc<TestDb>, env: &[(&str, &str)]) -> Self {
        Self::spawn_on_url(backend, testdb.clone(), &testdb.url.clone(), env).await
    }

    /// An app whose `DATABASE_URL` is `url` (e.g. through a proxy) on the test database.
    pub async fn spawn_on_url(
        backend: Backend,
        testdb: Arc<TestDb>,
        url: &str,
        env: &[(&str, &str)],
    ) -> Self {
        init_test_logging();
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), url.to_owned()),
            ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ]);
        for (k, v) in env {
            vars.insert((*k).into(), (*v).into());
        }
        let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
        let db = service::db::connect(&config.database_url, &Default::default())
            .await
            .expect("connect test database");
        migration::Migrator::up(&db, None)
            .await
            .expect("migrations");
        let state = api::build_state(config, db.clone()).await.expect("state");
        let config = state.config.clone();
        let app = api::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            client,
            db,
            backend,
            config,
            server,
            _db: testdb,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `path` under `/api/v1`.
    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.api(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.api(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Runs a raw statement on the test database (for test set-up only).
    pub async fn exec(&self, sql: &str) {
        self.db
            .execute_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .expect("exec");
    }
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
