//! The reader's account, preferences and reader settings (`/me`).

use entity::user;
use serde::{Deserialize, Serialize};
use service::settings::{Preferences, ReaderSettings};
use utoipa::ToSchema;
use validator::Validate;

use super::{Channel, Timestamp, api_enum, stored};

api_enum! {
    /// Reading-screen background.
    pub enum Background {
        White = "white",
        Parchment = "parchment",
        Green = "green",
        Blue = "blue",
        Pink = "pink",
        Night = "night",
    }
}

api_enum! {
    /// Page-turn animation.
    pub enum PageTurn {
        Simulation = "simulation",
        Slide = "slide",
        Scroll = "scroll",
        None = "none",
    }
}

/// A reader. Never contains `openid`, `unionid` or `session_key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "小明")]
    pub nickname: String,
    #[schema(example = "https://img.example.com/avatars/xiaoming.png")]
    pub avatar_url: String,
    /// The reader's preferred channel, null until chosen.
    #[schema(required = true)]
    pub channel: Option<Channel>,
    pub has_phone: bool,
    pub created_at: Timestamp,
}

impl From<user::Model> for User {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            nickname: u.nickname,
            avatar_url: u.avatar_url,
            channel: u.channel.as_deref().and_then(Channel::parse),
            has_phone: u.phone_number.is_some(),
            created_at: u.created_at.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreferencesBody {
    /// Null until chosen.
    #[schema(required = true)]
    pub channel: Option<Channel>,
    #[schema(example = json!([3, 7]))]
    pub category_ids: Vec<i64>,
}

impl From<Preferences> for PreferencesBody {
    fn from(p: Preferences) -> Self {
        Self {
            channel: p.channel.as_deref().and_then(Channel::parse),
            category_ids: p.category_ids,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReaderSettingsBody {
    #[schema(example = 18)]
    pub font_size: i32,
    #[schema(example = 1.5)]
    pub line_spacing: f64,
    #[schema(example = 80)]
    pub brightness: i32,
    pub background: Background,
    pub page_turn: PageTurn,
}

impl From<ReaderSettings> for ReaderSettingsBody {
    fn from(s: ReaderSettings) -> Self {
        Self {
            font_size: s.font_size,
            line_spacing: s.line_spacing,
            brightness: s.brightness,
            background: stored(
                Background::parse,
                "background",
                &s.background,
                Background::White,
            ),
            page_turn: stored(PageTurn::parse, "page_turn", &s.page_turn, PageTurn::Slide),
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
    #[schema(example = "小明")]
    pub nickname: Option<String>,
    #[validate(
        length(max = 512, message = "must be at most 512 characters"),
        custom(function = "http_url")
    )]
    #[schema(example = "https://img.example.com/avatars/xiaoming.png")]
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
    #[schema(example = "alice.phone")]
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneResponse {
    #[schema(example = "13800138000")]
    pub phone_number: String,
    #[schema(example = "86")]
    pub country_code: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PreferencesRequest {
    /// Null (or absent) clears it.
    pub channel: Option<Channel>,
    /// Favourite categories (at most 50); unknown ids are a 422.
    #[validate(length(max = 50, message = "must have at most 50 ids"))]
    #[serde(default)]
    #[schema(example = json!([3, 7]))]
    pub category_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ReaderSettingsPatch {
    #[validate(range(min = 12, max = 48, message = "must be between 12 and 48"))]
    #[schema(example = 20)]
    pub font_size: Option<i32>,
    #[validate(range(min = 1.0, max = 3.0, message = "must be between 1.0 and 3.0"))]
    pub line_spacing: Option<f64>,
    #[validate(range(min = 0, max = 100, message = "must be between 0 and 100"))]
    pub brightness: Option<i32>,
    pub background: Option<Background>,
    pub page_turn: Option<PageTurn>,
}
