//! Logging: `RUST_LOG` filter (default `info`), one span per request.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // `try_init` so that tests and repeated calls don't panic.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
