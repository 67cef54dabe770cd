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

// ---- catalog ----

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRefBody {
    pub id: i64,
    pub name: String,
}

/// A novel in lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct NovelSummary {
    pub id: i64,
    pub title: String,
    pub author: String,
    pub cover_url: String,
    /// Short intro (the detail has the full text).
    pub intro: String,
    pub category: CategoryRefBody,
    /// `male` or `female`.
    pub channel: String,
    /// `serial` or `finished`.
    pub status: String,
    pub word_count: i64,
    pub chapter_count: i32,
    pub heat: i64,
    pub collect_count: i64,
    pub updated_at: String,
}

impl From<&service::catalog::NovelSummary> for NovelSummary {
    fn from(n: &service::catalog::NovelSummary) -> Self {
        Self {
            id: n.id,
            title: n.title.clone(),
            author: n.author.clone(),
            cover_url: n.cover_url.clone(),
            intro: n.intro.clone(),
            category: CategoryRefBody {
                id: n.category.id,
                name: n.category.name.clone(),
            },
            channel: n.channel.clone(),
            status: n.status.clone(),
            word_count: n.word_count,
            chapter_count: n.chapter_count,
            heat: n.heat,
            collect_count: n.collect_count,
            updated_at: rfc3339(n.updated_at),
        }
    }
}

impl From<service::catalog::NovelSummary> for NovelSummary {
    fn from(n: service::catalog::NovelSummary) -> Self {
        (&n).into()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Chapter {
    pub id: i64,
    pub novel_id: i64,
    /// 1-based reading order.
    pub index: i32,
    pub title: String,
    pub word_count: i32,
    pub updated_at: String,
}

impl From<&service::catalog::ChapterMeta> for Chapter {
    fn from(c: &service::catalog::ChapterMeta) -> Self {
        Self {
            id: c.id,
            novel_id: c.novel_id,
            index: c.index,
            title: c.title.clone(),
            word_count: c.word_count,
            updated_at: rfc3339(c.updated_at),
        }
    }
}

impl From<service::catalog::ChapterMeta> for Chapter {
    fn from(c: service::catalog::ChapterMeta) -> Self {
        (&c).into()
    }
}

/// Where the reader is in a novel.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub novel_id: i64,
    pub chapter_id: i64,
    pub chapter_index: i32,
    pub chapter_title: String,
    /// Characters into the chapter.
    pub offset: i32,
    /// 0..=100, of the whole novel.
    pub percent: f64,
    pub updated_at: String,
}

impl From<service::reader::Progress> for Progress {
    fn from(p: service::reader::Progress) -> Self {
        Self {
            novel_id: p.novel_id,
            chapter_id: p.chapter_id,
            chapter_index: p.chapter_index,
            chapter_title: p.chapter_title,
            offset: p.offset,
            percent: p.percent,
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// `NovelSummary` with the full intro, the latest and first chapter; with a token also
/// `on_shelf` and `progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NovelDetail {
    #[serde(flatten)]
    pub summary: NovelSummary,
    pub latest_chapter: Option<Chapter>,
    pub first_chapter_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_shelf: Option<bool>,
    /// Present (possibly null) only when a token is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Progress>)]
    pub progress: Option<Option<Progress>>,
}

/// A chapter with its text; with a token also the reader's `progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChapterContent {
    #[serde(flatten)]
    pub chapter: Chapter,
    pub content: String,
    pub prev_chapter_id: Option<i64>,
    pub next_chapter_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Progress>)]
    pub progress: Option<Option<Progress>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubCategory {
    pub id: i64,
    pub name: String,
    pub novel_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub icon_url: String,
    pub novel_count: i64,
    pub subcategories: Vec<SubCategory>,
}

impl From<&service::catalog::CategoryNode> for Category {
    fn from(c: &service::catalog::CategoryNode) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            channel: c.channel.clone(),
            icon_url: c.icon_url.clone(),
            novel_count: c.novel_count,
            subcategories: c
                .subcategories
                .iter()
                .map(|s| SubCategory {
                    id: s.id,
                    name: s.name.clone(),
                    novel_count: s.novel_count,
                })
                .collect(),
        }
    }
}

// ---- search ----

/// A search result: the novel and why it matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchItem {
    #[serde(flatten)]
    pub novel: NovelSummary,
    /// `exact`, `title`, `author`, `pinyin` or `partial` (shares part of the query; only after
    /// every other kind, and only when those are fewer than 20).
    #[serde(rename = "match")]
    pub match_kind: &'static str,
}

impl From<service::search::SearchHit> for SearchItem {
    fn from(hit: service::search::SearchHit) -> Self {
        Self {
            match_kind: hit.kind.as_str(),
            novel: hit.novel.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOverview {
    pub exact: Option<NovelSummary>,
    /// Up to 5 other matches (partial ones when the others are few).
    pub matches: Vec<NovelSummary>,
    /// Up to 4 hot novels from the best hit's category (or overall).
    pub recommendations: Vec<NovelSummary>,
}

impl From<service::search::Overview> for SearchOverview {
    fn from(o: service::search::Overview) -> Self {
        let all = |v: Vec<service::catalog::NovelSummary>| v.into_iter().map(Into::into).collect();
        Self {
            exact: o.exact.map(Into::into),
            matches: all(o.matches),
            recommendations: all(o.recommendations),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub keyword: String,
    pub is_hot: bool,
}

impl From<service::search::Suggestion> for Suggestion {
    fn from(s: service::search::Suggestion) -> Self {
        Self {
            keyword: s.keyword,
            is_hot: s.is_hot,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HotKeyword {
    pub keyword: String,
    pub count: i64,
}

// ---- the reader's own data ----

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfItem {
    pub novel: NovelSummary,
    pub added_at: String,
    pub last_read: Option<Progress>,
    /// Chapters after the last-read one.
    pub unread_chapters: i32,
    /// A chapter appeared since the reader last opened the novel.
    pub has_update: bool,
}

impl From<service::library::ShelfItem> for ShelfItem {
    fn from(i: service::library::ShelfItem) -> Self {
        Self {
            novel: i.novel.into(),
            added_at: rfc3339(i.added_at),
            last_read: i.last_read.map(Progress::from),
            unread_chapters: i.unread_chapters,
            has_update: i.has_update,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfEntry {
    pub novel_id: i64,
    pub on_shelf: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RemoveRequest {
    /// 1..=100 novel ids.
    #[validate(length(min = 1, max = 100, message = "must have 1 to 100 ids"))]
    pub novel_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub removed: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastRead {
    pub novel: NovelSummary,
    pub progress: Progress,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    pub novel: NovelSummary,
    pub progress: Option<Progress>,
    pub viewed_at: String,
}

impl From<service::library::HistoryItem> for HistoryItem {
    fn from(i: service::library::HistoryItem) -> Self {
        Self {
            novel: i.novel.into(),
            progress: i.progress.map(Progress::from),
            viewed_at: rfc3339(i.viewed_at),
        }
    }
}

fn not_far_future(t: &DateTime<Utc>) -> Result<(), validator::ValidationError> {
    if *t > Utc::now() + chrono::Duration::days(1) {
        return Err(validator::ValidationError::new("future")
            .with_message("must not be more than a day in the future".into()));
    }
    Ok(())
}

fn finite_percent(p: f64) -> Result<(), validator::ValidationError> {
    if (0.0..=100.0).contains(&p) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("range")
            .with_message("must be between 0 and 100".into()))
    }
}

/// A progress write from a device.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ProgressRequest {
    pub chapter_id: i64,
    /// Characters into the chapter.
    #[validate(range(min = 0, max = 10_000_000, message = "must be between 0 and 10000000"))]
    pub offset: i32,
    /// 0..=100, of the whole novel.
    #[validate(custom(function = "finite_percent"))]
    pub percent: f64,
    /// When the device recorded it (RFC 3339); the newer write wins.
    #[validate(custom(function = "not_far_future"))]
    #[schema(value_type = String, example = "2026-11-22T03:00:00Z")]
    pub client_time: DateTime<Utc>,
}

impl From<&ProgressRequest> for service::library::ProgressWrite {
    fn from(r: &ProgressRequest) -> Self {
        Self {
            chapter_id: r.chapter_id,
            offset: r.offset,
            percent: r.percent,
            client_time: r.client_time,
        }
    }
}

/// One item of a batch: the PUT body plus `novel_id`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BatchItem {
    pub novel_id: i64,
    #[serde(flatten)]
    pub progress: ProgressRequest,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BatchRequest {
    /// 1..=100 items, each validated on its own.
    #[validate(length(min = 1, max = 100, message = "must have 1 to 100 items"))]
    #[schema(value_type = Vec<BatchItem>)]
    pub items: Vec<serde_json::Value>,
}

/// A batch item that was not applied; the others were.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemError {
    /// Position of the item in the request.
    pub index: usize,
    pub novel_id: Option<i64>,
    pub error: crate::error::ErrorBody,
}

/// Per item, in request order: the stored `Progress`, or why the item was rejected.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchResult {
    Applied(Progress),
    Rejected(BatchItemError),
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct PreferencesRequest {
    /// `male`, `female` or null.
    pub channel: Option<String>,
    /// Favourite categories (at most 50); unknown ids are a 422.
    #[validate(length(max = 50, message = "must have at most 50 ids"))]
    #[serde(default)]
    pub category_ids: Vec<i64>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ReaderSettingsPatch {
    #[validate(range(min = 12, max = 48, message = "must be between 12 and 48"))]
    pub font_size: Option<i32>,
    #[validate(range(min = 1.0, max = 3.0, message = "must be between 1.0 and 3.0"))]
    pub line_spacing: Option<f64>,
    #[validate(range(min = 0, max = 100, message = "must be between 0 and 100"))]
    pub brightness: Option<i32>,
    /// `white`, `parchment`, `green`, `blue`, `pink` or `night`.
    #[validate(custom(function = "valid_background"))]
    pub background: Option<String>,
    /// `simulation`, `slide`, `scroll` or `none`.
    #[validate(custom(function = "valid_page_turn"))]
    pub page_turn: Option<String>,
}

fn one_of(value: &str, allowed: &[&str]) -> Result<(), validator::ValidationError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("enum")
            .with_message(format!("must be one of: {}", allowed.join(", ")).into()))
    }
}

fn valid_background(v: &str) -> Result<(), validator::ValidationError> {
    one_of(v, &["white", "parchment", "green", "blue", "pink", "night"])
}

fn valid_page_turn(v: &str) -> Result<(), validator::ValidationError> {
    one_of(v, &["simulation", "slide", "scroll", "none"])
}
