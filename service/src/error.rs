use std::collections::BTreeMap;

use sea_orm::{DbErr, SqlErr};

/// Field name → messages, as reported to the client in `details`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// Well-formed but invalid input.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The database (or another dependency) can't be reached right now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A transaction lost a lock race (deadlock, lock wait, SQLite busy): `db::with_retry`
    /// runs it again; what is still contended after the retries is a 503.
    #[error("contended: {0}")]
    Contended(String),
    #[error("database error: {0}")]
    Db(DbErr),
    #[error("internal error: {0}")]
    Internal(String),
    /// Authentication failed; the variant is the reason.
    #[error("unauthorized: {0:?}")]
    Auth(AuthFailure),
    /// WeChat refused or failed: `failure` is what the reader's request can do about it (the
    /// WeChat client decides it from the errcode), `detail` is for the log.
    #[error("{detail}")]
    Wechat {
        failure: WechatFailure,
        detail: String,
    },
}

/// Kinds of WeChat failure that call for different answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WechatFailure {
    /// The reader's code is invalid, already used or expired: they get a new one.
    CodeInvalid,
    /// WeChat flagged the reader's account as high-risk.
    UserBlocked,
    /// Our app is over WeChat's quota: try again in a minute.
    RateLimited,
    /// Anything else: WeChat is down, slow, answered garbage or refused our credentials.
    Unavailable,
}

/// Why a request is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingToken,
    InvalidToken,
    TokenExpired,
    RefreshTokenInvalid,
    RefreshTokenReused,
    /// The web OAuth `state` is forged, expired or already used.
    StateInvalid,
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        Self::Invalid(errors)
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            return Self::Conflict(detail);
        }
        // A row the change refers to was deleted meanwhile (the reader's account, deleted on
        // another instance within the revocation bound): a conflict, not a server fault.
        if let Some(SqlErr::ForeignKeyConstraintViolation(detail)) = err.sql_err() {
            return Self::Conflict(detail);
        }
        if crate::db::is_retryable(&err) {
            return Self::Contended(err.to_string());
        }
        if crate::db::is_unavailable(&err) {
            return Self::Unavailable(err.to_string());
        }
        Self::Db(err)
    }
}
