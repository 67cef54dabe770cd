//! `cargo run -p migration -- [-u URL] up|down|status|fresh|refresh|reset` against
//! `DATABASE_URL` (read from the environment or `.env`; default: the SQLite file the server
//! uses, named loudly). The same commands as `literature migrate`.

use clap::Parser;
use migration::command::{self, MigrateCommand};
use migration::database::{self, DEFAULT_DATABASE_URL};
use sea_orm_migration::sea_orm::{ConnectOptions, Database};

#[derive(Parser)]
#[command(
    name = "migration",
    version,
    about = "Apply or roll back the Literature schema migrations"
)]
struct Cli {
    /// The database (default: sqlite://literature.db?mode=rwc, said loudly).
    // `hide_env_values`: `--help` would otherwise print the URL, password included.
    #[arg(
        short = 'u',
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    database_url: Option<String>,
    /// Allow fresh/refresh/reset when APP_ENV=production.
    #[arg(long, global = true)]
    force: bool,
    /// What to do (default: up).
    #[command(subcommand)]
    command: Option<MigrateCommand>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let cmd = cli.command.unwrap_or(MigrateCommand::Up { num: None });
    let url = match cli.database_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => url,
        None => {
            eprintln!("DATABASE_URL is not set: using the default {DEFAULT_DATABASE_URL}");
            DEFAULT_DATABASE_URL.to_owned()
        }
    };
    eprintln!("migration {} on {}", cmd.name(), database::describe(&url));
    let production = command::is_production_env(std::env::var("APP_ENV").ok().as_deref());
    command::check_allowed(&cmd, production, cli.force)?;
    database::check_reachable(&url).await?;
    let mut opts = ConnectOptions::new(url);
    opts.sqlx_logging(false);
    let db = Database::connect(opts).await.map_err(|e| e.to_string())?;
    let result = command::run(&db, &cmd).await.map_err(|e| e.to_string());
    let _ = db.close().await;
    result
}
