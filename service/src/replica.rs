//! Where catalog reads go. With a read replica configured, catalog reads that miss the caches
//! and search-index builds use the replica while it is healthy; everything a reader writes,
//! and every read of a reader's own data, stays on the primary (read-your-writes).
//!
//! A monitor checks the replica every `check_every` (`REPLICA_CHECK_MS`): it must answer a
//! ping and, on MySQL/MariaDB, be at most `max_lag` behind (`Seconds_Behind_Master`/`_Source`).
//! Otherwise reads fall back to the primary, logged once per switch, and return when it is
//! healthy again. A read the replica fails with a connection error is rerun on the primary at
//! once (and the replica dropped until the monitor finds it healthy).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::DbOptions;

/// Replica settings.
#[derive(Debug, Clone)]
pub struct ReplicaOptions {
    pub url: String,
    pub check_every: Duration,
    pub max_lag: Duration,
    pub pool: DbOptions,
}

/// The connection catalog reads use right now.
#[derive(Clone)]
struct Route {
    db: DatabaseConnection,
    on_replica: bool,
}

struct Shared {
    primary: DatabaseConnection,
    /// The replica's pool once connected (kept while it is unhealthy, for metrics and retries).
    replica: Mutex<Option<DatabaseConnection>>,
    route: watch::Sender<Route>,
    /// The health last logged (each switch is logged once, whoever notices it).
    logged: Mutex<Option<bool>>,
}

/// Cheap to clone; one per process.
#[derive(Clone)]
pub struct ReadRouting {
    shared: Arc<Shared>,
}

/// Why a replica is not used.
#[derive(Debug)]
enum Unhealthy {
    Unreachable(String),
    Lagging(Option<u64>),
}

impl std::fmt::Display for Unhealthy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(e) => write!(f, "unreachable: {e}"),
            Self::Lagging(Some(s)) => write!(f, "{s} s behind the primary"),
            Self::Lagging(None) => write!(f, "replication is not running"),
        }
    }
}

impl ReadRouting {
    /// Everything on the primary (no replica configured).
    pub fn primary_only(primary: DatabaseConnection) -> Self {
        let (route, _) = watch::channel(Route {
            db: primary.clone(),
            on_replica: false,
        });
        Self {
            shared: Arc::new(Shared {
                primary,
                replica: Mutex::new(None),
                route,
                logged: Mutex::new(None),
            }),
        }
    }

    /// Checks the replica once (so that start-up work can already use it), then keeps checking
    /// it in the background. A replica that is down at start never stops the start.
    pub async fn with_replica(primary: DatabaseConnection, opts: ReplicaOptions) -> Self {
        let routing = Self::primary_only(primary);
        routing.check(&opts).await;
        let monitor = routing.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(opts.check_every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            // Stops when the last handle outside this task is gone.
            while Arc::strong_count(&monitor.shared) > 1 {
                tick.tick().await;
                monitor.check(&opts).await;
            }
        });
        routing
    }

    /// The connection for catalog reads and index builds.
    pub fn db(&self) -> DatabaseConnection {
        self.shared.route.borrow().db.clone()
    }

    pub fn primary(&self) -> &DatabaseConnection {
        &self.shared.primary
    }

    /// The replica's pool, when one is configured and has been reached.
    pub fn replica(&self) -> Option<DatabaseConnection> {
        self.shared
            .replica
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn on_replica(&self) -> bool {
        self.shared.route.borrow().on_replica
    }

    /// Runs `start` with the read connection now and again after every switch, aborting the
    /// tasks it started for the previous connection (the catalog and search watchers must
    /// read the same database as the reads they keep fresh).
    pub fn follow<F>(&self, start: F) -> JoinHandle<()>
    where
        F: Fn(DatabaseConnection) -> Vec<JoinHandle<()>> + Send + 'static,
    {
        let mut rx = self.shared.route.subscribe();
        tokio::spawn(async move {
            let mut running = start(rx.borrow_and_update().db.clone());
            while rx.changed().await.is_ok() {
                for task in running.drain(..) {
                    task.abort();
                }
                running = start(rx.borrow_and_update().db.clone());
            }
            for task in running {
                task.abort();
            }
        })
    }

    /// One check of the replica; switches the route when its health changed.
    async fn check(&self, opts: &ReplicaOptions) {
        let verdict = self.replica_health(opts).await;
        match (verdict, self.replica()) {
            (Ok(()), Some(db)) => self.set_healthy(Some(db), "healthy"),
            (verdict, _) => {
                let reason = verdict
                    .err()
                    .map_or_else(|| "not connected".to_owned(), |e| e.to_string());
                self.set_healthy(None, &reason);
            }
        }
    }

    /// Routes catalog reads to `replica` (healthy) or to the primary (`None`), logging a
    /// change of health once.
    fn set_healthy(&self, replica: Option<DatabaseConnection>, reason: &str) {
        let healthy = replica.is_some();
        {
            let mut logged = self.shared.logged.lock().unwrap_or_else(|p| p.into_inner());
            if *logged != Some(healthy) {
                if healthy {
                    tracing::info!("read replica healthy: catalog reads go to the replica");
                } else {
                    tracing::warn!(%reason, "read replica unusable: catalog reads use the primary");
                }
                *logged = Some(healthy);
            }
        }
        if healthy == self.on_replica() {
            return;
        }
        if !healthy {
            crate::metrics::replica_fallback();
        }
        let route = match replica {
            Some(db) => Route {
                db,
                on_replica: true,
            },
            None => Route {
                db: self.shared.primary.clone(),
                on_replica: false,
            },
        };
        self.shared.route.send_replace(route);
    }

    /// Runs a read on the current route; a read the replica fails for a connection problem
    /// drops the replica at once (until the monitor finds it healthy) and runs on the primary.
    async fn read<T, F, Fut>(&self, run: F) -> Result<T, DbErr>
    where
        F: Fn(DatabaseConnection) -> Fut,
        Fut: Future<Output = Result<T, DbErr>>,
    {
        let route = self.shared.route.borrow().clone();
        match run(route.db).await {
            Err(e) if route.on_replica && is_connection_error(&e) => {
                self.set_healthy(None, &format!("a read failed: {e}"));
                run(self.shared.primary.clone()).await
            }
            other => other,
        }
    }

    async fn replica_health(&self, opts: &ReplicaOptions) -> Result<(), Unhealthy> {
        let timeout = opts.check_every.max(Duration::from_secs(2));
        let db = match self.replica() {
            Some(db) => db,
            None => {
                let db = tokio::time::timeout(timeout, crate::db::connect(&opts.url, &opts.pool))
                    .await
                    .map_err(|_| Unhealthy::Unreachable("connect timed out".into()))?
                    .map_err(|e| Unhealthy::Unreachable(e.to_string()))?;
                *self
                    .shared
                    .replica
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(db.clone());
                db
            }
        };
        match tokio::time::timeout(timeout, lag(&db)).await {
            Err(_) => Err(Unhealthy::Unreachable("no answer".into())),
            Ok(Err(e)) => Err(Unhealthy::Unreachable(e)),
            Ok(Ok(Lag::NotAReplica | Lag::Unknown)) => Ok(()),
            Ok(Ok(Lag::Seconds(s))) if Duration::from_secs(s) <= opts.max_lag => Ok(()),
            Ok(Ok(Lag::Seconds(s))) => Err(Unhealthy::Lagging(Some(s))),
            Ok(Ok(Lag::Stopped)) => Err(Unhealthy::Lagging(None)),
        }
    }
}

enum Lag {
    /// `SHOW REPLICA STATUS` is empty: a server that replicates by other means (or a test's
    /// second database); reachable is all we can check.
    NotAReplica,
    /// The status can't be read (no `REPLICATION CLIENT` privilege, or SQLite).
    Unknown,
    Seconds(u64),
    /// Replication threads are not running (`Seconds_Behind_Master` is NULL).
    Stopped,
}

/// Pings the replica and reads its replication delay where the server tells it.
async fn lag(db: &DatabaseConnection) -> Result<Lag, String> {
    db.ping().await.map_err(|e| e.to_string())?;
    if db.get_database_backend() != DbBackend::MySql {
        return Ok(Lag::Unknown);
    }
    // MariaDB ≥ 10.5 and MySQL ≥ 8.0.22 know REPLICA; older servers only SLAVE.
    let mut rows = None;
    for sql in ["SHOW REPLICA STATUS", "SHOW SLAVE STATUS"] {
        if let Ok(r) = db
            .query_all_raw(Statement::from_string(DbBackend::MySql, sql))
            .await
        {
            rows = Some(r);
            break;
        }
    }
    let Some(rows) = rows else {
        return Ok(Lag::Unknown);
    };
    if rows.is_empty() {
        return Ok(Lag::NotAReplica);
    }
    let mut worst = 0;
    for row in rows {
        match seconds_behind(&row) {
            None => return Ok(Lag::Unknown),
            Some(None) => return Ok(Lag::Stopped),
            Some(Some(s)) => worst = worst.max(s),
        }
    }
    Ok(Lag::Seconds(worst))
}

/// The delay column of one status row: `None` when the column is missing, `Some(None)` when
/// it is NULL (replication stopped). Servers type it differently, so each type is tried.
fn seconds_behind(row: &sea_orm::QueryResult) -> Option<Option<u64>> {
    for col in ["Seconds_Behind_Master", "Seconds_Behind_Source"] {
        if let Ok(v) = row.try_get::<Option<u64>>("", col) {
            return Some(v);
        }
        if let Ok(v) = row.try_get::<Option<i64>>("", col) {
            return Some(v.map(|n| u64::try_from(n).unwrap_or(0)));
        }
        if let Ok(v) = row.try_get::<Option<String>>("", col) {
            return Some(v.and_then(|s| s.trim().parse().ok()));
        }
    }
    None
}

/// Catalog code takes `&impl ConnectionTrait`; given a `ReadRouting`, its reads go to the
/// replica when healthy (with the retry above) and any write goes to the primary.
#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for ReadRouting {
    fn get_database_backend(&self) -> DbBackend {
        self.shared.primary.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.shared.primary.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.shared.primary.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.read(|db| {
            let stmt = stmt.clone();
            async move { db.query_one_raw(stmt).await }
        })
        .await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.read(|db| {
            let stmt = stmt.clone();
            async move { db.query_all_raw(stmt).await }
        })
        .await
    }
}

/// The server went away or could not be reached (not a bad statement).
fn is_connection_error(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            matches!(
                **e,
                Sqlx::Io(_)
                    | Sqlx::Tls(_)
                    | Sqlx::Protocol(_)
                    | Sqlx::PoolTimedOut
                    | Sqlx::PoolClosed
                    | Sqlx::WorkerCrashed
            )
        }
        _ => false,
    }
}
