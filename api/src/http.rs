//! HTTP-only concerns shared by handlers: conditional GETs.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiResult;
use crate::extract::Json;

/// Answers 304 when `If-None-Match` carries the entity tag `tag`, otherwise 200 with the body
/// `make` builds (only then). Public answers may be cached by anyone for 5 minutes; a signed-in
/// reader's answer (it carries their progress) only privately, revalidated each time.
pub fn conditional<T: serde::Serialize>(
    headers: &HeaderMap,
    tag: &str,
    public: bool,
    make: impl FnOnce() -> T,
) -> ApiResult<Response> {
    let etag = format!("\"{tag}\"");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    let cache_control = if public {
        "public, max-age=300"
    } else {
        "private, no-cache"
    };
    let etag = HeaderValue::from_str(&etag)
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    let common = [
        (header::ETAG, etag),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((common, Json(make())).into_response())
}
