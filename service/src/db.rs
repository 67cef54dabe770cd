//! Connecting to SQLite or MySQL/MariaDB with the settings each needs.

use std::time::Duration;

use sea_orm::sea_query::{MysqlQueryBuilder, OnConflict};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ActiveModelTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    DbErr, Insert, IsolationLevel, QueryTrait, Statement, TransactionTrait,
};

/// Pool settings; the defaults suit the server.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 32,
            acquire_timeout: Duration::from_secs(5),
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
    if url.starts_with("sqlite:") {
        co.max_connections(1).min_connections(1);
        co.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    } else {
        co.max_connections(opts.max_connections).min_connections(1);
    }
    Database::connect(co).await
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

/// A transaction that sees rows committed by others during it (MySQL's default, REPEATABLE
/// READ, would hide a row a parallel first write just inserted). SQLite is serialisable anyway.
pub async fn begin_read_committed<C: TransactionTrait + ConnectionTrait>(
    db: &C,
) -> Result<C::Transaction, DbErr> {
    if db.get_database_backend() == DbBackend::MySql {
        db.begin_with_config(Some(IsolationLevel::ReadCommitted), None)
            .await
    } else {
        db.begin().await
    }
}

/// True for a transaction that lost a lock race and may simply be run again (MySQL deadlock
/// or lock-wait timeout, SQLite busy).
pub fn is_retryable(err: &DbErr) -> bool {
    let text = err.to_string();
    ["1213", "1205", "Deadlock", "database is locked"]
        .iter()
        .any(|m| text.contains(m))
}

/// Runs a transaction body, retrying a few times when it lost a lock race.
pub async fn with_retry<T, F, Fut>(mut attempt: F) -> crate::ServiceResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::ServiceResult<T>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(crate::ServiceError::Db(e)) if tries < 5 && is_retryable(&e) => {
                let pause = rand::random::<u64>() % (10 * tries);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            other => return other,
        }
    }
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
