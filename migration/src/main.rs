//! `cargo run -p migration -- up|down|status|fresh|refresh|reset` against `DATABASE_URL`
//! (read from the environment or `.env`; default: the SQLite file the server uses).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectOptions, Database};

const DEFAULT_DATABASE_URL: &str = "sqlite://literature.db?mode=rwc";

#[tokio::main]
async fn main() {
    // The CLI loads `.env` before it calls this closure.
    cli::run_cli_with_custom_connection(migration::Migrator, async || {
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
        let mut opts = ConnectOptions::new(url);
        opts.sqlx_logging(false);
        Database::connect(opts).await
    })
    .await;
}
