//! The `literature` binary: `serve` (default) runs the HTTP server.

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use api::config::Config;

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
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    api::telemetry::init();
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
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    use sea_orm_migration::MigratorTrait;

    if config.jwt_secret_is_default {
        tracing::warn!(
            "JWT_SECRET is not set: using the development default. NEVER do this in production."
        );
    }
    let db = service::db::connect(
        &config.database_url,
        &service::db::DbOptions {
            max_connections: config.db_max_connections,
            ..Default::default()
        },
    )
    .await
    .context("cannot connect to the database (check DATABASE_URL)")?;
    tracing::info!(
        backend = service::db::backend_name(&db),
        "database connected"
    );
    if config.auto_migrate {
        migration::Migrator::up(&db, None)
            .await
            .context("applying migrations failed")?;
        tracing::info!("migrations are up to date");
    }

    let addr = config.bind_addr;
    let state = api::build_state(config, db).await?;
    let app = api::router(state);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("listening on http://{addr} (docs at http://{addr}/docs)");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("shut down cleanly");
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
