//! Logging: `RUST_LOG` filter (default `info`), one span per request, human-readable text or
//! JSON lines (`LOG_FORMAT=json`, for log shippers). Colour only on a terminal: journald and
//! files get plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Reads `LOG_FORMAT` (`text`, the default, or `json`).
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!(
                "configuration error: LOG_FORMAT must be text or json, not {other:?}"
            )),
        }
    }
}

/// Installs the global subscriber from `RUST_LOG` and `LOG_FORMAT`, writing to stdout.
/// `Err` is a one-line message for a bad `LOG_FORMAT`.
pub fn init() -> Result<(), String> {
    let format = LogFormat::parse(std::env::var("LOG_FORMAT").ok().as_deref())?;
    // `NO_COLOR` (no-color.org) turns colour off on a terminal too.
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    init_with(format, ansi, std::io::stdout);
    Ok(())
}

/// Installs the global subscriber with an explicit format, colour choice and writer.
/// `try_init`, so that tests and repeated calls don't panic.
pub fn init_with<W>(format: LogFormat, ansi: bool, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        // One object per line: the event's fields at the top level, plus the request span
        // (method, route, request id) under `span`.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_is_whitelisted() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("JSON")), Ok(LogFormat::Json));
        assert!(
            LogFormat::parse(Some("xml"))
                .unwrap_err()
                .contains("LOG_FORMAT")
        );
    }
}
