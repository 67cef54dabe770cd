//! The `literature` binary: `serve` (default) runs the HTTP server; `migrate`, `import`,
//! `import-txt` and `seed` are the operator's and editor's commands.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use api::config::Config;
use migration::command::MigrateCommand;

// glibc's malloc took 24 % of the server's CPU samples on uniform chapter reads (its free
// lists and consolidation), mimalloc 15 %. Without transparent huge pages (`no_thp`): with
// them the peak RSS of a bench run rose from 121 to 155 MB, without them to 130 MB.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "literature",
    version,
    about = "Backend of the Literature reading mini-program"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply, roll back or list schema migrations (the same as the `migration` CLI).
    Migrate {
        #[command(subcommand)]
        command: MigrateCommand,
        /// Allow fresh/refresh/reset with APP_ENV=production (they drop every table).
        #[arg(long, global = true)]
        force: bool,
    },
    /// Import novels from a JSON Lines file (one novel per line; --help lists every field).
    #[command(after_long_help = api::cli::IMPORT_FORMAT_HELP)]
    Import {
        /// The `.jsonl` file.
        file: PathBuf,
    },
    /// Import a plain-text novel (UTF-8 or GB18030/GBK), split into chapters at its headings.
    ImportTxt {
        file: PathBuf,
        #[arg(long)]
        title: String,
        #[arg(long)]
        author: String,
        /// `male` or `female`.
        #[arg(long)]
        channel: String,
        #[arg(long)]
        category: String,
        #[arg(long)]
        subcategory: Option<String>,
        /// `serial` or `finished`.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        intro: Option<String>,
    },
    /// Run only the WeChat emulator (development and the cluster test; refused in production).
    Emulator {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        bind: std::net::SocketAddr,
    },
    /// Fill the database with a deterministic synthetic catalog (for benchmarks).
    Seed {
        /// Required: the only kind of seed there is, named so it is never run by accident.
        #[arg(long)]
        synthetic: bool,
        #[arg(long, default_value_t = 10_000)]
        novels: u64,
        #[arg(long, default_value_t = 50)]
        chapters: u32,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    if let Err(e) = api::telemetry::init() {
        eprintln!("{e}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate { command, force } => migrate(config, command, force).await,
        Command::Emulator { bind } => emulator(&config, bind).await,
        Command::Import { file } => operator(config, async |db| {
            let summary = api::cli::import_jsonl(&db, &file).await?;
            println!("{summary}");
            anyhow::ensure!(summary.failed.is_empty(), "{} lines failed", summary.failed.len());
            Ok(())
        })
        .await,
        Command::ImportTxt {
            file,
            title,
            author,
            channel,
            category,
            subcategory,
            status,
            intro,
        } => operator(config, async |db| {
            let meta = service::import::ImportNovel {
                title,
                author,
                channel,
                category,
                subcategory,
                status,
                intro,
                cover_url: None,
                heat: None,
                collect_count: None,
                chapters: Vec::new(),
            };
            let summary = api::cli::import_txt(&db, &file, meta).await?;
            println!("{summary}");
            Ok(())
        })
        .await,
        Command::Seed {
            synthetic,
            novels,
            chapters,
        } => operator(config, async |db| {
            anyhow::ensure!(synthetic, "only `seed --synthetic` exists");
            let started = std::time::Instant::now();
            let created = api::cli::seed(&db, novels, chapters).await?;
            println!(
                "seeded {created} new synthetic novels ({novels} requested × {chapters} chapters) in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        })
        .await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Connects and migrates, then runs an operator command.
async fn operator(
    config: Config,
    run: impl AsyncFnOnce(sea_orm::DatabaseConnection) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let db = connect(&config).await?;
    run(db).await
}

async fn connect(config: &Config) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = api::cli::open_database(config).await?;
    if config.auto_migrate {
        api::cli::migrate_up(&db).await?;
        tracing::info!("migrations are up to date");
    }
    Ok(db)
}

/// `literature migrate <cmd>`: the `migration` CLI's commands, on the configured database.
async fn migrate(config: Config, cmd: MigrateCommand, force: bool) -> anyhow::Result<()> {
    eprintln!(
        "migrate {} on {}",
        cmd.name(),
        migration::database::describe(&config.database_url)
    );
    migration::command::check_allowed(&cmd, config.is_production(), force)
        .map_err(anyhow::Error::msg)?;
    let db = api::cli::open_database(&config).await?;
    let result = migration::command::run(&db, &cmd).await;
    let _ = db.close().await;
    result.map_err(|e| anyhow::anyhow!("migrate {} failed: {e}", cmd.name()))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    if config.jwt_secret_is_default {
        tracing::warn!(
            "JWT_SECRET is not set: using the development default. NEVER do this in production."
        );
    }
    let db = connect(&config).await?;
    if !config.is_production()
        && config.load_demo_catalog
        && let Some(summary) = api::cli::load_demo_if_empty(&db).await?
    {
        tracing::info!(%summary, "empty catalog: loaded the demo catalog");
    }
    let addr = config.bind_addr;
    let opts = api::server::ServeOptions::from_config(&config);
    let state = api::build_state(config, db.clone()).await?;
    let lifecycle = state.lifecycle.clone();
    let search = state.search.clone();
    let app = api::router(state);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("listening on http://{addr} (docs at http://{addr}/docs)");
    let drained = api::server::serve(listener, app, opts, lifecycle, shutdown_signal()).await;
    // The last batch of hot-keyword counts (statistics) before the pool closes.
    if let Err(e) = search.flush(&db).await {
        tracing::warn!(error = %e, "could not write the last hot-keyword counts");
    }
    // Writes run in tasks a hang-up cannot cancel: give them a moment to return their
    // connections before the runtime stops.
    if tokio::time::timeout(std::time::Duration::from_secs(5), db.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections still busy after 5 s; exiting anyway");
    }
    match drained {
        api::server::Drained::Clean => tracing::info!("shut down cleanly"),
        api::server::Drained::GraceExpired => {
            tracing::warn!("shut down after SHUTDOWN_GRACE_SECS with requests still running")
        }
    }
    Ok(())
}

/// A standalone WeChat emulator, shared by several local instances (the cluster test).
async fn emulator(config: &Config, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    use service::wechat::emulator::{Emulator, EmulatorConfig};
    anyhow::ensure!(
        !config.is_production(),
        "the WeChat emulator refuses to run in production"
    );
    let emulator = Emulator::spawn(EmulatorConfig::default(), bind).await?;
    println!(
        "WeChat emulator on {} (WECHAT_API_BASE={0} WECHAT_APP_ID={} WECHAT_APP_SECRET={}); counters at {0}/_emulator/stats",
        emulator.base_url,
        emulator.app_id(),
        emulator.app_secret()
    );
    shutdown_signal().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}
