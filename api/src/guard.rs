//! Bounds on every request: a declared body over the limit is refused before it is read, the
//! handler runs in its own task so that a client hanging up can never interrupt its database
//! work half-way (a dropped future between `BEGIN` and its bookkeeping could return a pooled
//! connection with its transaction still open), and the whole request has a deadline.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::AppState;

pub async fn bounded(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if declared_length(&req).is_some_and(|len| len > state.config.body_limit_bytes as u64) {
        // The unread body makes the connection unusable: tell the client not to reuse it.
        let mut refused = ApiError::PayloadTooLarge.into_response();
        refused.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        return refused;
    }
    // Runs to completion (or its own error) whatever happens to this future.
    let task = tokio::spawn(next.run(req).in_current_span());
    let deadline = Duration::from_millis(state.config.request_timeout_ms);
    match tokio::time::timeout(deadline, task).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) if e.is_panic() => ApiError::Internal("handler panicked".into()).into_response(),
        Ok(Err(_)) => ApiError::Unavailable("request task cancelled".into()).into_response(),
        Err(_) => ApiError::Unavailable(format!(
            "request took longer than REQUEST_TIMEOUT_MS={}",
            state.config.request_timeout_ms
        ))
        .into_response(),
    }
}

fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
