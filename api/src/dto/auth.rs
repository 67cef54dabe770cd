//! Logins and tokens (`/auth`).

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use service::auth::Tokens;
use utoipa::ToSchema;
use validator::Validate;

use super::{User, api_enum};

api_enum! {
    /// WeChat web-login scope: `snsapi_base` (silent, openid only) or `snsapi_userinfo`
    /// (asks the reader, gives nickname and avatar).
    pub enum WebScope {
        SnsapiBase = "snsapi_base",
        SnsapiUserinfo = "snsapi_userinfo",
    }
}

impl From<WebScope> for service::account::WebScope {
    fn from(s: WebScope) -> Self {
        match s {
            WebScope::SnsapiBase => Self::Base,
            WebScope::SnsapiUserinfo => Self::UserInfo,
        }
    }
}

api_enum! {
    /// Always `Bearer`.
    pub enum TokenType {
        Bearer = "Bearer",
    }
}

/// A token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokensBody {
    /// JWT for `Authorization: Bearer`.
    #[schema(example = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")]
    pub access_token: String,
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    #[schema(example = 1800)]
    pub expires_in: i64,
    /// Opaque; single use: every refresh returns a new one.
    #[schema(example = "rt_Jd9kQ2mVx7LpR4tYw8ZbN1cF6hS3aE5uG0oI2qWkM7")]
    pub refresh_token: String,
    /// Seconds until this login must be renewed with WeChat.
    #[schema(example = 2592000)]
    pub refresh_expires_in: i64,
}

impl From<Tokens> for TokensBody {
    fn from(t: Tokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: TokenType::Bearer,
            expires_in: t.expires_in,
            refresh_token: t.refresh_token.expose_secret().to_owned(),
            refresh_expires_in: t.refresh_expires_in,
        }
    }
}

/// Tokens at the top level, plus the reader.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    #[serde(flatten)]
    pub tokens: TokensBody,
    pub user: User,
    pub is_new_user: bool,
}

impl From<service::account::Login> for LoginResponse {
    fn from(l: service::account::Login) -> Self {
        Self {
            tokens: l.tokens.into(),
            user: l.user.into(),
            is_new_user: l.is_new_user,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    /// The code from `wx.login()`. With the development WeChat emulator any
    /// `<reader>.<anything>` logs in `<reader>`, e.g. `alice.1`.
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    #[schema(example = "alice.1")]
    pub code: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 2048, message = "must be 1 to 2048 characters"))]
    #[schema(example = "rt_Jd9kQ2mVx7LpR4tYw8ZbN1cF6hS3aE5uG0oI2qWkM7")]
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
pub struct LogoutRequest {
    /// Also end the login this refresh token belongs to.
    #[validate(length(min = 1, max = 256, message = "must be 1 to 256 characters"))]
    pub refresh_token: Option<String>,
    /// End every login of this reader.
    #[serde(default)]
    pub all_devices: bool,
}
