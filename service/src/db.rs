//! Connecting to SQLite or MySQL/MariaDB with the settings each needs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sea_query::{MysqlQueryBuilder, OnConflict};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    DbErr, EntityTrait, Insert, QueryTrait, RuntimeErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, UpdateMany,
};

/// Pool settings; the defaults suit the server.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// How long a request waits for a free connection before answering 503.
    pub acquire_timeout: Duration,
    /// The longest a single statement may run (MariaDB `max_statement_time`, MySQL
    /// `max_execution_time` for reads, `innodb_lock_wait_timeout` for row locks, SQLite's busy
    /// timeout). Past it the database aborts the statement and the request answers 503.
    pub statement_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(3),
        }
    }
}

/// Opens a pool. SQLite gets WAL, foreign keys and a busy timeout, and one connection: SQLite
/// has one writer, and a single connection turns concurrent read-then-write transactions into
/// a queue instead of `SQLITE_BUSY` errors. MySQL connections use utf8mb4 (sqlx's default).
#[tracing::instrument(skip_all)]
pub async fn connect(url: &str, opts: &DbOptions) -> Result<DatabaseConnection, DbErr> {
    let mut co = ConnectOptions::new(url.to_owned());
    co.acquire_timeout(opts.acquire_timeout)
        .connect_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let statement_timeout = opts.statement_timeout.max(Duration::from_millis(100));
    if url.starts_with("sqlite:") {
        co.max_connections(1).min_connections(1);
        co.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(statement_timeout)
        });
    } else {
        // A connection in steady use needs no ping before each statement (sqlx already pings
        // it when it comes back to the pool); one idle for a while may have been dropped by
        // the server, so it is checked first.
        co.max_connections(opts.max_connections)
            .min_connections(1)
            .test_before_acquire_if_idle_for(Duration::from_secs(10));
        co.map_sqlx_mysql_pool_opts(move |pool| {
            pool.after_connect(move |conn, _meta| {
                Box::pin(async move { limit_mysql_session(conn, statement_timeout).await })
            })
            .after_release(move |conn, _meta| {
                Box::pin(async move { Ok(still_answers(conn, statement_timeout).await) })
            })
        });
    }
    Database::connect(co).await
}

/// Until when (milliseconds since the Unix epoch) a connection going back to the pool is
/// suspect: some wait of ours for the database ran out (`note_stall`), and the query it dropped
/// may have left its connection waiting for an answer that never comes.
static SUSPECT_UNTIL_MS: AtomicU64 = AtomicU64::new(0);

/// How long after a stall released connections are checked.
const SUSPECT_FOR_MS: u64 = 30_000;

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Called when a wait of ours for the database ran out and dropped its query. sqlx pings every
/// connection that goes back to the pool, without a bound: a connection whose database went
/// silent (a dead network path) would hang in that ping for good, still counted in the pool,
/// until the pool is full of them and nothing can connect again. For a while after a stall,
/// `still_answers` checks released connections first, with a bound, and closes the silent ones.
pub fn note_stall() {
    SUSPECT_UNTIL_MS.fetch_max(now_ms() + SUSPECT_FOR_MS, Ordering::Relaxed);
}

/// Whether a released connection may go back to the pool: always, unless a stall was noted
/// lately; then only if it answers a ping within `limit` (an extra round trip, only then).
async fn still_answers(conn: &mut sea_orm::sqlx::MySqlConnection, limit: Duration) -> bool {
    use sea_orm::sqlx::Connection;
    if now_ms() >= SUSPECT_UNTIL_MS.load(Ordering::Relaxed) {
        return true;
    }
    matches!(tokio::time::timeout(limit, conn.ping()).await, Ok(Ok(())))
}

/// True when `e` says the pool was closed: the process is shutting down, and a background
/// task that meets it stops quietly instead of warning about the database.
pub fn pool_closed(e: &DbErr) -> bool {
    matches!(
        e,
        DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::ConnectionClosed)
    )
}

/// Runs a query for at most `limit` (for background work that no request deadline bounds);
/// past it the query is dropped, the stall noted (`note_stall`) and the answer is an error.
pub async fn bounded<T, E: From<DbErr>>(
    limit: Duration,
    query: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    match tokio::time::timeout(limit, query).await {
        Ok(answer) => answer,
        Err(_) => {
            note_stall();
            let waited = limit.as_millis();
            Err(DbErr::Custom(format!("no answer from the database in {waited} ms")).into())
        }
    }
}

/// Server-side bounds for every statement of a MySQL/MariaDB session, so that a slow query
/// or a held row lock ends in an error (→ 503) instead of holding the request.
async fn limit_mysql_session(
    conn: &mut sea_orm::sqlx::MySqlConnection,
    limit: Duration,
) -> Result<(), sea_orm::sqlx::Error> {
    use sea_orm::sqlx::{AssertSqlSafe, Executor};
    // Every transaction of ours wants READ COMMITTED (see `begin_write`): set once per
    // connection rather than before every BEGIN.
    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        .await?;
    // Numbers formatted by us, no input: safe to inline.
    let lock_wait = limit.as_secs().max(1);
    conn.execute(AssertSqlSafe(format!(
        "SET SESSION innodb_lock_wait_timeout = {lock_wait}"
    )))
    .await?;
    // MariaDB: seconds, every statement. MySQL: milliseconds, reads only.
    let mariadb = format!(
        "SET SESSION max_statement_time = {:.3}",
        limit.as_secs_f64()
    );
    if conn.execute(AssertSqlSafe(mariadb)).await.is_err() {
        let mysql = format!("SET SESSION max_execution_time = {}", limit.as_millis());
        conn.execute(AssertSqlSafe(mysql)).await?;
    }
    Ok(())
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::MySql => "mysql",
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "unknown",
    }
}

/// A transaction that writes. MySQL: READ COMMITTED (the session default `connect` sets), so
/// it sees rows committed by others during it and takes no gap locks (REPEATABLE READ would
/// hide a row a parallel first write just inserted). SQLite: `BEGIN IMMEDIATE`, so the write
/// lock is taken (waiting up to the busy timeout) at the start; a deferred transaction that
/// reads and then writes fails at once with `SQLITE_BUSY` when another process (an import)
/// wrote in between.
pub async fn begin_write<C: TransactionTrait + ConnectionTrait>(
    db: &C,
) -> Result<C::Transaction, DbErr> {
    let options = match db.get_database_backend() {
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        },
        _ => TransactionOptions::default(),
    };
    db.begin_with_options(options).await
}

/// The driver's error behind a `DbErr`, if any.
fn driver_error(err: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e))
        | DbErr::Conn(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// The database's own error code: MySQL's error number, SQLite's extended result code.
fn error_number(err: &DbErr) -> Option<i64> {
    use sea_orm::sqlx::Error;
    let Some(Error::Database(e)) = driver_error(err) else {
        return None;
    };
    if let Some(my) = e.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
        return Some(i64::from(my.number()));
    }
    e.code().and_then(|c| c.parse().ok())
}

/// True for a transaction that lost a lock race and may simply be run again: MySQL deadlock
/// (1213) or lock-wait timeout (1205), SQLite busy/locked (5, 6 and their extended codes).
pub fn is_retryable(err: &DbErr) -> bool {
    match error_number(err) {
        Some(1213 | 1205) => err_is_mysql(err),
        Some(code) => !err_is_mysql(err) && matches!(code & 0xff, 5 | 6),
        None => false,
    }
}

fn err_is_mysql(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    matches!(driver_error(err), Some(Error::Database(e))
        if e.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>().is_some())
}

/// True when the database could not do the work right now (unreachable, cut mid-query, a
/// statement over its time limit, locks still held after the retries): a 503, not a bug.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error;
    if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    match driver_error(err) {
        Some(
            Error::Io(_)
            | Error::Tls(_)
            | Error::Protocol(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed,
        ) => true,
        Some(Error::Database(_)) => {
            is_retryable(err)
                || (err_is_mysql(err)
                    // statement time limit (MariaDB, MySQL), server gone or shutting down,
                    // connection killed, query interrupted
                    && matches!(
                        error_number(err),
                        Some(1969 | 3024 | 2006 | 2013 | 1053 | 1927 | 1317)
                    ))
        }
        _ => false,
    }
}

/// Runs a transaction body again when it lost a lock race (deadlock, lock wait, busy), with a
/// growing jittered pause; the last failure is returned as it is (a 503).
pub async fn with_retry<T, F, Fut>(mut attempt: F) -> crate::ServiceResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::ServiceResult<T>>,
{
    const TRIES: u64 = 8;
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(crate::ServiceError::Contended(_)) if tries < TRIES => {
                let pause = 2 * tries + rand::random::<u64>() % (8 * tries);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
}

/// Now at microsecond precision, what MySQL's DATETIME(6) stores, so that a time written and
/// read back compares equal.
pub fn now_micros() -> chrono::DateTime<chrono::Utc> {
    micros(chrono::Utc::now())
}

/// `t` cut to microseconds.
pub fn micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Inserts rows, skipping any that would violate a unique key; returns how many were
/// inserted. (sea-query renders MySQL's `IGNORE` after the values, which MySQL rejects, so
/// MySQL gets `INSERT IGNORE` here; the SQL stays parameterised.)
pub async fn insert_ignore<A, I>(db: &impl ConnectionTrait, rows: I) -> Result<u64, DbErr>
where
    A: ActiveModelTrait,
    I: IntoIterator<Item = A>,
{
    let mut stmt = Insert::many(rows).into_query();
    let result = match db.get_database_backend() {
        DbBackend::MySql => {
            let (sql, values) = stmt.build(MysqlQueryBuilder);
            let sql = sql.replacen("INSERT ", "INSERT IGNORE ", 1);
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::MySql,
                sql,
                values,
            ))
            .await?
        }
        _ => {
            stmt.on_conflict(OnConflict::new().do_nothing().to_owned());
            db.execute(&stmt).await?
        }
    };
    Ok(result.rows_affected())
}

/// Inserts `row`, or, when a row with its unique key is already there, runs `update` (which
/// must select that row): an upsert written the same way for both databases. True when the
/// row was inserted or the update matched it (a conditional update may match nothing).
/// Inside a MySQL transaction the skipped insert takes a shared lock that the update then
/// upgrades: a caller that expects the row to exist runs `update` alone.
pub async fn insert_or_update<A, E>(
    db: &impl ConnectionTrait,
    row: A,
    update: UpdateMany<E>,
) -> Result<bool, DbErr>
where
    A: ActiveModelTrait<Entity = E>,
    E: EntityTrait,
{
    if insert_ignore(db, [row]).await? == 1 {
        return Ok(true);
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}

/// A UTC instant read from a column that the query selects with `instant_sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(pub chrono::DateTime<chrono::Utc>);

/// The instant column `col` as a query selects it for a `Stamp`: the microseconds since the
/// epoch on MySQL, as stored on SQLite. sqlx-mysql 0.9.1 formats a protocol-error message
/// (with the column's `Debug`) for every date or time cell of each binary row it splits, error
/// or not (an eager `ok_or` in `BinaryRow::decode_with`); an integer cell skips that. A shelf
/// page has 60 such cells. Only the columns of hot reads are selected this way.
pub fn instant_sql(backend: DbBackend, col: &str) -> String {
    match backend {
        DbBackend::MySql => format!("TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {col})"),
        _ => col.to_owned(),
    }
}

impl sea_orm::TryGetable for Stamp {
    fn try_get_by<I: sea_orm::ColIdx>(
        res: &sea_orm::QueryResult,
        index: I,
    ) -> Result<Self, sea_orm::TryGetError> {
        if res.try_as_mysql_row().is_none() {
            return chrono::DateTime::<chrono::Utc>::try_get_by(res, index).map(Stamp);
        }
        let us = i64::try_get_by(res, index)?;
        chrono::DateTime::from_timestamp_micros(us)
            .map(Stamp)
            .ok_or_else(|| {
                sea_orm::TryGetError::DbErr(DbErr::Type(format!(
                    "{index:?}: {us} µs is out of range"
                )))
            })
    }
}
