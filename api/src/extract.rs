//! Extractors whose rejections are `ApiError`s, so every bad input gets the API's error shape.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::ApiError;

/// `axum::Json` with API-shaped rejections (also usable as a response). Every request body
/// of this API is a JSON object: an array (which serde would happily read into a struct
/// field by field) or a scalar is refused with 422.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::BadRequest(
                "expected Content-Type: application/json".into(),
            ));
        }
        let bytes = read_body(req, state).await?;
        Ok(Self(json_object(&bytes)?))
    }
}

/// Reads `bytes` as a JSON object into `T`: well-formed JSON that is not an object is a 422,
/// anything else unreadable a 400, a field of the wrong type a 422 naming its path.
fn json_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => ApiError::invalid("body", "must be a JSON object"),
                Err(_) => ApiError::BadRequest("malformed JSON body".into()),
            },
        );
    }
    let axum::Json(value) = axum::Json::<T>::from_bytes(bytes)?;
    Ok(value)
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `application/json` or any `application/*+json`, as axum's own `Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `axum::extract::Path` with API-shaped rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with API-shaped rejections. A query string that is not UTF-8 once
/// percent-decoded (`?q=%FF`) is a 400: axum would quietly turn the bytes into U+FFFD.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // `&` and `=` are ASCII, so the whole string decodes as UTF-8 iff every part does.
        let raw = parts.uri.query().unwrap_or("");
        if percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .is_err()
        {
            return Err(ApiError::BadRequest(
                "the query string is not valid UTF-8 once percent-decoded".into(),
            ));
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// A JSON body that must also pass its `validator` rules (422 with per-field details).
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidatedJson<T>(pub T);

impl<T, S> FromRequest<S> for ValidatedJson<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        value.validate()?;
        Ok(Self(value))
    }
}

/// A query string that must also pass its `validator` rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidatedQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ValidatedQuery<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(value) = Query::<T>::from_request_parts(parts, state).await?;
        value.validate()?;
        Ok(Self(value))
    }
}

/// An optional JSON body: none at all (or only white space) is `T::default()`; otherwise
/// as `ValidatedJson`, except that the `Content-Type` is not required (clients send a bodiless
/// POST without one, and some send a body the same way).
#[derive(Debug, Clone, Copy, Default)]
pub struct ValidatedJsonOrDefault<T>(pub T);

impl<T, S> FromRequest<S> for ValidatedJsonOrDefault<T>
where
    T: DeserializeOwned + Validate + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            T::default()
        } else {
            json_object(&bytes)?
        };
        value.validate()?;
        Ok(Self(value))
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest("the request body could not be read".into()),
        })
}
