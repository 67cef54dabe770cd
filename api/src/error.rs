//! The API's one error type: every non-2xx response has the body `{code, message, details?}`
//! (docs/api.md). `ErrorCode` is the list of codes a client can rely on.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use service::error::FieldErrors;
use service::{AuthFailure, ServiceError, WechatFailure};
use utoipa::ToSchema;

crate::dto::api_enum! {
    /// Stable machine-readable error code. Each code has one HTTP status:
    ///
    /// | code | status | what the client does |
    /// |---|---|---|
    /// | `bad_request` | 400 | fix the request: malformed JSON, wrong content type, unparsable path or query |
    /// | `missing_token` | 401 | send `Authorization: Bearer <access_token>` |
    /// | `invalid_token` | 401 | the token is forged, revoked or its login ended: log in again |
    /// | `token_expired` | 401 | refresh with `/auth/refresh`, then retry |
    /// | `refresh_token_invalid` | 401 | unknown, expired or logged-out refresh token: log in again |
    /// | `refresh_token_reused` | 401 | a spent refresh token came back: the whole login is revoked, log in again |
    /// | `state_invalid` | 401 | the web-login `state` is forged, expired or used: start the web login again |
    /// | `wechat_code_invalid` | 401 | WeChat refused the code (invalid, used or expired): get a new one |
    /// | `wechat_user_blocked` | 403 | WeChat flagged the account as high-risk |
    /// | `not_found` | 404 | no such resource, or not the caller's |
    /// | `method_not_allowed` | 405 | the path exists with other methods |
    /// | `request_timeout` | 408 | the server gave up on the request: retry |
    /// | `conflict` | 409 | a concurrent change won, or a row it refers to was deleted meanwhile: retry |
    /// | `payload_too_large` | 413 | the body is over the limit |
    /// | `validation_failed` | 422 | well-formed but invalid input; `details` names each field |
    /// | `rate_limited` | 429 | too many requests: wait `Retry-After` seconds |
    /// | `internal` | 500 | a bug; the message never carries internals |
    /// | `wechat_unavailable` | 502 | WeChat failed or timed out: retry later |
    /// | `unavailable` | 503 | the database or another dependency is down: retry after `Retry-After` |
    #[schema(example = "validation_failed")]
    pub enum ErrorCode {
        BadRequest = "bad_request",
        MissingToken = "missing_token",
        InvalidToken = "invalid_token",
        TokenExpired = "token_expired",
        RefreshTokenInvalid = "refresh_token_invalid",
        RefreshTokenReused = "refresh_token_reused",
        StateInvalid = "state_invalid",
        WechatCodeInvalid = "wechat_code_invalid",
        WechatUserBlocked = "wechat_user_blocked",
        NotFound = "not_found",
        MethodNotAllowed = "method_not_allowed",
        RequestTimeout = "request_timeout",
        Conflict = "conflict",
        PayloadTooLarge = "payload_too_large",
        ValidationFailed = "validation_failed",
        RateLimited = "rate_limited",
        Internal = "internal",
        WechatUnavailable = "wechat_unavailable",
        Unavailable = "unavailable",
    }
}

impl ErrorCode {
    /// The status every response with this code has.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::MissingToken
            | Self::InvalidToken
            | Self::TokenExpired
            | Self::RefreshTokenInvalid
            | Self::RefreshTokenReused
            | Self::StateInvalid
            | Self::WechatCodeInvalid => StatusCode::UNAUTHORIZED,
            Self::WechatUserBlocked => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::WechatUnavailable => StatusCode::BAD_GATEWAY,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "code": "validation_failed",
    "message": "the request has invalid fields",
    "details": {"per_page": ["must be between 1 and 100"]}
}))]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// Human readable, safe to show to the reader.
    pub message: String,
    /// Only with `validation_failed` (and not always there): field name → messages. Nested
    /// fields are dotted (`items[0].offset`); `body` is a body that does not fit its schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = Option<std::collections::HashMap<String, Vec<String>>>)]
    pub details: Option<FieldErrors>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// `code` is one of the 401 codes.
    #[error("{message}")]
    Unauthorized { code: ErrorCode, message: String },
    /// `code` is one of the 403 codes.
    #[error("{message}")]
    Forbidden { code: ErrorCode, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the request took too long")]
    RequestTimeout,
    #[error("{0}")]
    Conflict(String),
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("invalid input")]
    Validation(FieldErrors),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("WeChat is unavailable")]
    WechatUnavailable(String),
    #[error("service unavailable")]
    Unavailable(String),
    /// The detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn not_found() -> Self {
        Self::NotFound("not found".into())
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.into()]);
        Self::Validation(fields)
    }

    pub fn status_code(&self) -> StatusCode {
        match self {
            // The one status that is not its code's: a body in a type we don't read.
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            other => other.code().status(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRequest(_) | Self::UnsupportedMediaType => ErrorCode::BadRequest,
            Self::Unauthorized { code, .. } | Self::Forbidden { code, .. } => *code,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::RequestTimeout => ErrorCode::RequestTimeout,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::Validation(_) => ErrorCode::ValidationFailed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::WechatUnavailable(_) => ErrorCode::WechatUnavailable,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    fn public_message(&self) -> String {
        match self {
            // Upstream detail goes to the log only.
            Self::WechatUnavailable(_) => "WeChat is unavailable, please retry later".into(),
            Self::Unavailable(_) => "the service is temporarily unavailable, please retry".into(),
            Self::Internal(_) => "internal server error".into(),
            Self::Validation(_) => "the request has invalid fields".into(),
            Self::RateLimited { .. } => "too many requests, slow down".into(),
            other => other.to_string(),
        }
    }

    /// An error response for a bare status (axum/tower rejections without our body).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => Self::BadRequest("bad request".into()),
            StatusCode::UNAUTHORIZED => Self::Unauthorized {
                code: ErrorCode::MissingToken,
                message: "authentication required".into(),
            },
            StatusCode::NOT_FOUND => Self::NotFound("no such route".into()),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::Validation(FieldErrors::new()),
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited {
                retry_after_secs: 1,
            },
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable(status.to_string()),
            s if s.is_client_error() => Self::BadRequest("bad request".into()),
            s => Self::Internal(format!("bare {s} response")),
        }
    }
}

impl ApiError {
    /// The body this error is sent with.
    pub fn body(&self) -> ErrorBody {
        let details = match self {
            Self::Validation(f) if !f.is_empty() => Some(f.clone()),
            _ => None,
        };
        ErrorBody {
            code: self.code(),
            message: self.public_message(),
            details,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        match &self {
            Self::Internal(detail) => tracing::error!(%detail, "internal error"),
            Self::Unavailable(detail) => tracing::warn!(%detail, "dependency unavailable"),
            Self::WechatUnavailable(detail) => tracing::warn!(%detail, "WeChat unavailable"),
            _ => {}
        }
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Unauthorized { .. } => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            _ => {}
        }
        response
    }
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        let (code, message) = match failure {
            AuthFailure::MissingToken => (ErrorCode::MissingToken, "an access token is required"),
            AuthFailure::InvalidToken => (
                ErrorCode::InvalidToken,
                "the access token is invalid or revoked",
            ),
            AuthFailure::TokenExpired => (
                ErrorCode::TokenExpired,
                "the access token has expired; refresh it",
            ),
            AuthFailure::RefreshTokenInvalid => (
                ErrorCode::RefreshTokenInvalid,
                "the refresh token is invalid or expired; log in again",
            ),
            AuthFailure::RefreshTokenReused => (
                ErrorCode::RefreshTokenReused,
                "the refresh token was already used; this login has been ended, log in again",
            ),
            AuthFailure::StateInvalid => (
                ErrorCode::StateInvalid,
                "the login link is invalid, expired or already used",
            ),
        };
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Auth(failure) => failure.into(),
            ServiceError::Wechat { failure, detail } => match failure {
                WechatFailure::CodeInvalid => Self::Unauthorized {
                    code: ErrorCode::WechatCodeInvalid,
                    message:
                        "the WeChat code is invalid, already used or expired; call wx.login() again"
                            .into(),
                },
                WechatFailure::UserBlocked => Self::Forbidden {
                    code: ErrorCode::WechatUserBlocked,
                    message: "WeChat flagged this account as high-risk".into(),
                },
                WechatFailure::RateLimited => Self::RateLimited {
                    retry_after_secs: 60,
                },
                WechatFailure::Unavailable => Self::WechatUnavailable(detail),
            },
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Conflict(detail) => {
                tracing::debug!(%detail, "conflict");
                Self::Conflict("the resource was changed concurrently or already exists".into())
            }
            ServiceError::Invalid(fields) => Self::Validation(fields),
            ServiceError::Unavailable(detail) | ServiceError::Contended(detail) => {
                Self::Unavailable(detail)
            }
            ServiceError::Db(e) => Self::Internal(e.to_string()),
            ServiceError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = FieldErrors::new();
        collect_validation_errors("", &errors, &mut fields);
        Self::Validation(fields)
    }
}

fn collect_validation_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut FieldErrors,
) {
    use validator::ValidationErrorsKind as Kind;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            Kind::Field(list) => {
                let messages = list.iter().map(|e| {
                    e.message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("is invalid ({})", e.code))
                });
                out.entry(name).or_default().extend(messages);
            }
            Kind::Struct(inner) => collect_validation_errors(&name, inner, out),
            Kind::List(items) => {
                for (i, inner) in items {
                    collect_validation_errors(&format!("{name}[{i}]"), inner, out);
                }
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            // Well-formed JSON of the wrong shape: an unknown enum value names its field,
            // anything else (missing field, wrong type) is reported under `body`.
            JsonRejection::JsonDataError(e) => {
                let field = serde_failure::<serde_json::Error>(&e)
                    .and_then(|(path, message)| Some((path, unknown_value(&message)?)));
                let mut fields = FieldErrors::new();
                match field {
                    Some((path, message)) => fields.insert(path, vec![message]),
                    None => fields.insert("body".into(), vec![e.body_text()]),
                };
                Self::Validation(fields)
            }
            JsonRejection::JsonSyntaxError(_) => Self::BadRequest("malformed JSON body".into()),
            JsonRejection::MissingJsonContentType(_) => {
                Self::BadRequest("expected Content-Type: application/json".into())
            }
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            other => Self::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    /// An unknown enum value (`?sort=random`) is well-formed but invalid: a 422 naming the
    /// parameter. A value of the wrong type (`?page=abc`) or a missing one is unparsable: 400.
    fn from(rejection: QueryRejection) -> Self {
        if let Some((path, message)) = serde_failure::<serde::de::value::Error>(&rejection)
            && let Some(message) = unknown_value(&message)
        {
            let mut fields = FieldErrors::new();
            fields.insert(path, vec![message]);
            return Self::Validation(fields);
        }
        Self::BadRequest(format!("unparsable query: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        match rejection {
            PathRejection::FailedToDeserializePathParams(_) => {
                Self::BadRequest("invalid path parameter".into())
            }
            other => Self::Internal(other.body_text()),
        }
    }
}

/// The field path and serde message of a failed deserialization, found in an extractor
/// rejection's source chain (axum wraps serde errors in `serde_path_to_error`).
fn serde_failure<E>(rejection: &(dyn std::error::Error + 'static)) -> Option<(String, String)>
where
    E: std::error::Error + 'static,
{
    let mut next = rejection.source();
    while let Some(err) = next {
        if let Some(e) = err.downcast_ref::<serde_path_to_error::Error<E>>() {
            return Some((e.path().to_string(), e.inner().to_string()));
        }
        next = err.source();
    }
    None
}

/// serde's "unknown variant `x`, expected one of `a`, `b`" as "must be one of: a, b"; `None`
/// for any other message.
pub fn unknown_value(serde_message: &str) -> Option<String> {
    let rest = serde_message.strip_prefix("unknown variant `")?;
    let (_, expected) = rest.rsplit_once("`, expected ")?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if names.is_empty() {
        return None;
    }
    Some(format!("must be one of: {}", names.join(", ")))
}

pub type ApiResult<T> = Result<T, ApiError>;
