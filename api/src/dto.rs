//! Request and response bodies. Not entities: each converts from the domain explicitly.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::user;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use service::auth::Tokens;
use service::reader::{Preferences, ReaderSettings};
use utoipa::ToSchema;
use validator::Validate;

/// RFC 3339 in UTC with a `Z`, as API.md promises.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A reader. Never contains `openid`, `unionid` or `session_key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub nickname: String,
    pub avatar_url: String,
    /// `male`, `female` or null.
    pub channel: Option<String>,
    pub has_phone: bool,
    #[schema(example = "2026-11-22T03:00:00.000Z")]
    pub created_at: String,
}

impl From<user::Model> for User {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            nickname: u.nickname,
            avatar_url: u.avatar_url,
            channel: u.channel,
            has_phone: u.phone_number.is_some(),
            created_at: rfc3339(u.created_at),
        }
    }
}

/// A token pair.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokensBody {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; single use: every refresh returns a new one.
    pub refresh_token: String,
    /// Seconds until this login must be renewed with WeChat.
    pub refresh_expires_in: i64,
}

impl From<Tokens> for TokensBody {
    fn from(t: Tokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer",
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
    /// The code from `wx.login()`.
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub code: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 2048, message = "must be 1 to 2048 characters"))]
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

#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesBody {
    /// `male`, `female` or null.
    pub channel: Option<String>,
    pub category_ids: Vec<i64>,
}

impl From<Preferences> for PreferencesBody {
    fn from(p: Preferences) -> Self {
        Self {
            channel: p.channel,
            category_ids: p.category_ids,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderSettingsBody {
    pub font_size: i32,
    pub line_spacing: f64,
    pub brightness: i32,
    /// `white`, `parchment`, `green`, `blue`, `pink` or `night`.
    pub background: String,
    /// `simulation`, `slide`, `scroll` or `none`.
    pub page_turn: String,
}

impl From<ReaderSettings> for ReaderSettingsBody {
    fn from(s: ReaderSettings) -> Self {
        Self {
            font_size: s.font_size,
            line_spacing: s.line_spacing,
            brightness: s.brightness,
            background: s.background,
            page_turn: s.page_turn,
        }
    }
}

/// `User` plus the reader's preferences and reader settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub preferences: PreferencesBody,
    pub reader_settings: ReaderSettingsBody,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PatchMe {
    #[validate(length(min = 1, max = 32, message = "must be 1 to 32 characters"))]
    pub nickname: Option<String>,
    #[validate(
        length(max = 512, message = "must be at most 512 characters"),
        custom(function = "http_url")
    )]
    pub avatar_url: Option<String>,
}

fn http_url(u: &str) -> Result<(), validator::ValidationError> {
    let ok = url::Url::parse(u)
        .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
    if ok {
        Ok(())
    } else {
        Err(validator::ValidationError::new("url").with_message("must be an http(s) URL".into()))
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct WechatProfileRequest {
    #[validate(length(min = 1, max = 16384, message = "must be 1 to 16384 characters"))]
    pub encrypted_data: String,
    #[validate(length(min = 1, max = 64, message = "must be 1 to 64 characters"))]
    pub iv: String,
    #[validate(length(max = 8192, message = "must be at most 8192 characters"))]
    pub raw_data: Option<String>,
    #[validate(length(min = 40, max = 40, message = "must be 40 hex characters"))]
    pub signature: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PhoneRequest {
    /// The code from the getPhoneNumber button.
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneResponse {
    pub phone_number: String,
    pub country_code: String,
}
