//! Bounds on every request: a declared body over the limit is refused before it is read, the
//! handler runs in its own task so that a client hanging up can never interrupt its database
//! work half-way (a dropped future between `BEGIN` and its bookkeeping could return a pooled
//! connection with its transaction still open), and the whole request has a deadline.

use std::time::Duration;

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::AppState;

/// How long after the request's deadline an unread body fails.
const BODY_GRACE: Duration = Duration::from_millis(250);

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
    let deadline = Duration::from_millis(state.config.request_timeout_ms);
    // The body's bound falls just after the request's, so that the deadline's answer is the
    // one sent (and the body's failure only ends the handler).
    let req = body_within(req, tokio::time::Instant::now() + deadline + BODY_GRACE);
    // Runs to completion (or its own error) whatever happens to this future.
    let task = tokio::spawn(next.run(req).in_current_span());
    match tokio::time::timeout(deadline, task).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) if e.is_panic() => ApiError::Internal("handler panicked".into()).into_response(),
        Ok(Err(_)) => ApiError::Unavailable("request task cancelled".into()).into_response(),
        Err(_) => {
            let mut late = ApiError::Unavailable(format!(
                "request took longer than REQUEST_TIMEOUT_MS={}",
                state.config.request_timeout_ms
            ))
            .into_response();
            // The body may be unread (a client stalled in it): close the connection with the
            // answer rather than keep its socket for a client that never finishes.
            late.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            late
        }
    }
}

/// A body still unread at `at` fails there: a handler waiting on a client that
/// stalls (or dribbles) in its body ends, and the connection closes with the deadline's answer
/// instead of being held for as long as the client keeps it.
fn body_within(req: Request, at: tokio::time::Instant) -> Request {
    if req.body().is_end_stream() {
        return req;
    }
    let (parts, body) = req.into_parts();
    let chunks = body.into_data_stream();
    let expired = Box::pin(tokio::time::sleep_until(at));
    let within = futures::stream::unfold(Some((chunks, expired)), |state| async move {
        let (mut chunks, mut expired) = state?;
        tokio::select! {
            biased;
            chunk = chunks.next() => chunk.map(|c| (c, Some((chunks, expired)))),
            () = &mut expired => {
                let late = axum::Error::new("the request body outlived REQUEST_TIMEOUT_MS");
                Some((Err(late), None))
            }
        }
    });
    Request::from_parts(parts, axum::body::Body::from_stream(within))
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
