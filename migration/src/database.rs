//! Which database a command works on, said without the password, and one actionable line when
//! it cannot be reached. Shared by the `migration` CLI and the `literature` binary, so both
//! name the database they touch and fail the same way.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sea_orm_migration::sea_orm::sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError};
use sea_orm_migration::sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm_migration::sea_orm::sqlx::{self, ConnectOptions, Connection};

/// The database the server and both CLIs use when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://literature.db?mode=rwc";

/// How long the single connection attempt at start may take: a dead server should fail the
/// start in seconds, not after a pool's retry loop.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// `url` with any password replaced by `***` (safe to print and log).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        // Unparseable: print only the scheme, which cannot hold a secret.
        Err(_) => match url.split_once(':') {
            Some((scheme, _)) => format!("{scheme}:<unparseable URL>"),
            None => "<unparseable URL>".into(),
        },
    }
}

/// The file of an SQLite URL, resolved against the working directory; `None` for other
/// URLs and for in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    let path = PathBuf::from(path);
    Some(std::path::absolute(&path).unwrap_or(path))
}

/// A human name for the database behind `url`, e.g. "MySQL database `literature` on
/// db:3306 (mysql://literature:***@db:3306/literature)" or "SQLite file /srv/literature.db".
pub fn describe(url: &str) -> String {
    if let Some(file) = sqlite_file(url) {
        let state = if file.exists() {
            ""
        } else {
            " (does not exist yet)"
        };
        return format!("SQLite file {}{state}", file.display());
    }
    if url.starts_with("sqlite:") {
        return "an in-memory SQLite database".into();
    }
    match MySqlConnectOptions::from_str(url) {
        Ok(o) if url.starts_with("mysql:") || url.starts_with("mariadb:") => format!(
            "MySQL database `{}` on {}:{} ({})",
            o.get_database().unwrap_or("?"),
            o.get_host(),
            o.get_port(),
            redact(url)
        ),
        _ => redact(url),
    }
}

/// One connection attempt, no retries, within [`CONNECT_TIMEOUT`]; `Err` is one line that
/// says what is wrong and how to fix it. Run it before opening a pool: a pool retries a
/// refused connection until its acquire timeout and then only says "pool timed out".
pub async fn check_reachable(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        check_sqlite(url).await
    } else if url.starts_with("mysql:") || url.starts_with("mariadb:") {
        check_mysql(url).await
    } else {
        Err(format!(
            "DATABASE_URL must start with sqlite:// or mysql:// (got {})",
            redact(url)
        ))
    }
}

async fn check_mysql(url: &str) -> Result<(), String> {
    let opts = MySqlConnectOptions::from_str(url).map_err(|e| {
        format!(
            "DATABASE_URL is not a valid MySQL URL ({}): {e}",
            redact(url)
        )
    })?;
    let at = format!("{}:{}", opts.get_host(), opts.get_port());
    let conn = match tokio::time::timeout(CONNECT_TIMEOUT, opts.connect()).await {
        Err(_) => {
            return Err(format!(
                "cannot connect to MySQL at {at}: no answer within {} s (check the host, port and firewall in DATABASE_URL)",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
        Ok(Err(e)) => return Err(mysql_reason(&e, &at, &opts)),
        Ok(Ok(conn)) => conn,
    };
    let _ = conn.close().await;
    Ok(())
}

fn mysql_reason(e: &sqlx::Error, at: &str, opts: &MySqlConnectOptions) -> String {
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "cannot connect to MySQL at {at}: connection refused (is the server running? check DATABASE_URL)"
        ),
        sqlx::Error::Io(io) => format!("cannot connect to MySQL at {at}: {io}"),
        sqlx::Error::Database(db) => {
            let number = db
                .try_downcast_ref::<MySqlDatabaseError>()
                .map(MySqlDatabaseError::number);
            let database = opts.get_database().unwrap_or("literature");
            let user = opts.get_username();
            match number {
                // ER_BAD_DB_ERROR
                Some(1049) => format!(
                    "MySQL at {at} has no database `{database}`: create it with \
                     CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                ),
                // ER_ACCESS_DENIED_ERROR; MariaDB says 1698 for an unknown user
                Some(1045 | 1698) => format!(
                    "MySQL at {at} refused user `{user}` (access denied): check the user and password in DATABASE_URL"
                ),
                // ER_DBACCESS_DENIED_ERROR
                Some(1044) => format!(
                    "MySQL at {at}: user `{user}` may not use database `{database}`: \
                     GRANT ALL ON `{database}`.* TO '{user}'@'%'"
                ),
                _ => format!("cannot connect to MySQL at {at}: {}", db.message()),
            }
        }
        sqlx::Error::Tls(tls) => format!("cannot connect to MySQL at {at}: TLS failed: {tls}"),
        other => format!("cannot connect to MySQL at {at}: {other}"),
    }
}

async fn check_sqlite(url: &str) -> Result<(), String> {
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("DATABASE_URL is not a valid SQLite URL ({url}): {e}"))?;
    match opts.connect().await {
        Ok(conn) => {
            let _ = conn.close().await;
            Ok(())
        }
        Err(e) => Err(sqlite_reason(&e, url)),
    }
}

fn sqlite_reason(e: &sqlx::Error, url: &str) -> String {
    let Some(file) = sqlite_file(url) else {
        return format!("cannot open SQLite database {url}: {e}");
    };
    let wants_create = url.contains("mode=rwc");
    if !file.exists() {
        if let Some(dir) = file.parent()
            && !dir.exists()
        {
            return format!(
                "cannot open SQLite file {}: directory {} does not exist",
                file.display(),
                dir.display()
            );
        }
        if !wants_create {
            let sep = if url.contains('?') { '&' } else { '?' };
            return format!(
                "SQLite file {} does not exist: add ?mode=rwc to DATABASE_URL to create it ({url}{sep}mode=rwc)",
                file.display()
            );
        }
    }
    let why = match e {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    };
    format!(
        "cannot open SQLite file {}: {why} (check the path and its permissions)",
        file.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_printed() {
        let url = "mysql://lit:s3cret@db.example:3306/literature";
        assert_eq!(redact(url), "mysql://lit:***@db.example:3306/literature");
        assert!(!describe(url).contains("s3cret"), "{}", describe(url));
        assert!(describe(url).contains("`literature` on db.example:3306"));
        assert_eq!(redact("mysql://root@h/x"), "mysql://root@h/x");
        assert!(!redact("my sql://a:pw123@c").contains("pw123"));
    }

    #[test]
    fn sqlite_files_are_resolved() {
        let f = sqlite_file("sqlite://literature.db?mode=rwc").unwrap();
        assert!(f.is_absolute() && f.ends_with("literature.db"));
        assert_eq!(
            sqlite_file("sqlite:///srv/lit.db").unwrap(),
            PathBuf::from("/srv/lit.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("mysql://h/x"), None);
    }
}
