//! The API's one error type: every non-2xx response has the shape of API.md.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service::error::FieldErrors;
use service::wechat::WechatError;
use service::{AuthFailure, ServiceError};
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// Human readable, safe to show to the reader.
    pub message: String,
    /// Per-field messages for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<FieldErrors>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
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
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::WechatUnavailable(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) | Self::UnsupportedMediaType => "bad_request",
            Self::Unauthorized { code, .. } | Self::Forbidden { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Validation(_) => "validation_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::WechatUnavailable(_) => "wechat_unavailable",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
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
                code: "missing_token",
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
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => {
                Self::Unavailable(status.to_string())
            }
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
            AuthFailure::MissingToken => ("missing_token", "an access token is required"),
            AuthFailure::InvalidToken => {
                ("invalid_token", "the access token is invalid or revoked")
            }
            AuthFailure::TokenExpired => {
                ("token_expired", "the access token has expired; refresh it")
            }
            AuthFailure::RefreshTokenInvalid => (
                "refresh_token_invalid",
                "the refresh token is invalid or expired; log in again",
            ),
            AuthFailure::RefreshTokenReused => (
                "refresh_token_reused",
                "the refresh token was already used; this login has been ended, log in again",
            ),
            AuthFailure::StateInvalid => (
                "state_invalid",
                "the login link is invalid, expired or already used",
            ),
        };
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }
}

impl From<WechatError> for ApiError {
    fn from(err: WechatError) -> Self {
        match err.errcode() {
            Some(40029 | 40163 | 42003) => Self::Unauthorized {
                code: "wechat_code_invalid",
                message:
                    "the WeChat code is invalid, already used or expired; call wx.login() again"
                        .into(),
            },
            Some(40226) => Self::Forbidden {
                code: "wechat_user_blocked",
                message: "WeChat flagged this account as high-risk".into(),
            },
            Some(45011) => Self::RateLimited {
                retry_after_secs: 60,
            },
            Some(40013 | 40125) => {
                tracing::error!(
                    errcode = err.errcode(),
                    "WeChat rejected the app id/secret: check WECHAT_APP_ID and WECHAT_APP_SECRET"
                );
                Self::WechatUnavailable(err.to_string())
            }
            _ => Self::WechatUnavailable(err.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Auth(failure) => failure.into(),
            ServiceError::Wechat(e) => e.into(),
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
            // Well-formed JSON of the wrong shape (missing field, wrong type).
            JsonRejection::JsonDataError(e) => {
                let mut fields = FieldErrors::new();
                fields.insert("body".into(), vec![e.body_text()]);
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
    fn from(rejection: QueryRejection) -> Self {
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

pub type ApiResult<T> = Result<T, ApiError>;
