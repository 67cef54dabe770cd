//! Request and response bodies. Not entities: each converts from the domain explicitly.

use chrono::{DateTime, SecondsFormat, Utc};
use entity::user;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use service::auth::Tokens;
use service::settings::{Preferences, ReaderSettings};
use utoipa::ToSchema;
use validator::Validate;

/// RFC 3339 in UTC with milliseconds and a `Z`, as docs/api.md promises.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A whitelisted string enum: its wire names are listed once, and serde and the OpenAPI
/// schema (`enum: [...]`) both come from them. Deserializing reads a string first, so a value of
/// another JSON type is a type error like any other, and an unknown string is serde's "unknown
/// variant" error, which the extractors turn into a 422 naming the field.
macro_rules! api_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:tt),+ $(,)? }
    ) => {
        // The derive goes first: `#[schema]` in `$meta` is its helper attribute. `$wire` is a
        // `tt`, not a `literal`: utoipa does not read a literal wrapped in a macro group.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in the order of the schema.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// The value with this wire name.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&s, &[$($wire),+]))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use api_enum;

/// A value read back from the database that only ever stores whitelisted values; a stray one
/// (hand-edited row) is logged and shown as `fallback` rather than failing the whole answer.
fn stored<T: Copy>(parse: fn(&str) -> Option<T>, field: &str, value: &str, fallback: T) -> T {
    parse(value).unwrap_or_else(|| {
        tracing::warn!(
            field,
            value,
            "unexpected stored value; answered with the default"
        );
        fallback
    })
}

/// An instant in UTC: RFC 3339 with milliseconds and a `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 in UTC, with milliseconds"))
            .examples([serde_json::json!("2026-11-22T03:00:00.000Z")])
            .into()
    }
}

impl ToSchema for Timestamp {}

api_enum! {
    /// The reading channel (频道): novels for male or female readers.
    pub enum Channel {
        Male = "male",
        Female = "female",
    }
}

impl From<Channel> for service::catalog::Channel {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Male => Self::Male,
            Channel::Female => Self::Female,
        }
    }
}

api_enum! {
    /// `serial` (连载, still being written) or `finished` (完结).
    pub enum NovelStatus {
        Serial = "serial",
        Finished = "finished",
    }
}

impl From<NovelStatus> for service::catalog::NovelStatus {
    fn from(s: NovelStatus) -> Self {
        match s {
            NovelStatus::Serial => Self::Serial,
            NovelStatus::Finished => Self::Finished,
        }
    }
}

api_enum! {
    /// Length filter: under 500,000 characters, 500,000 to 1,000,000, over 1,000,000.
    pub enum WordsBucket {
        Under500k = "lt_500k",
        From500kTo1m = "500k_1m",
        Over1m = "gt_1m",
    }
}

impl From<WordsBucket> for service::catalog::WordsBucket {
    fn from(w: WordsBucket) -> Self {
        match w {
            WordsBucket::Under500k => Self::Under500k,
            WordsBucket::From500kTo1m => Self::From500kTo1m,
            WordsBucket::Over1m => Self::Over1m,
        }
    }
}

api_enum! {
    /// Novel list order: `hot` (heat), `collect` (collections), `latest` (last update) or
    /// `words` (length); all descending.
    pub enum NovelSort {
        Hot = "hot",
        Collect = "collect",
        Latest = "latest",
        Words = "words",
    }
}

impl From<NovelSort> for service::catalog::NovelSort {
    fn from(s: NovelSort) -> Self {
        match s {
            NovelSort::Hot => Self::Hot,
            NovelSort::Collect => Self::Collect,
            NovelSort::Latest => Self::Latest,
            NovelSort::Words => Self::Words,
        }
    }
}

api_enum! {
    /// Chapter order: `asc` (reading order) or `desc` (newest first).
    pub enum SortOrder {
        Asc = "asc",
        Desc = "desc",
    }
}

impl From<SortOrder> for service::catalog::SortOrder {
    fn from(o: SortOrder) -> Self {
        match o {
            SortOrder::Asc => Self::Asc,
            SortOrder::Desc => Self::Desc,
        }
    }
}

api_enum! {
    /// A ranking: `hot` (heat), `collect` (collections), `latest` (recently updated) or
    /// `finished` (finished novels by heat).
    pub enum RankingKind {
        Hot = "hot",
        Collect = "collect",
        Latest = "latest",
        Finished = "finished",
    }
}

impl From<RankingKind> for service::catalog::RankingKind {
    fn from(k: RankingKind) -> Self {
        match k {
            RankingKind::Hot => Self::Hot,
            RankingKind::Collect => Self::Collect,
            RankingKind::Latest => Self::Latest,
            RankingKind::Finished => Self::Finished,
        }
    }
}

api_enum! {
    /// Why a search result matched, best first: `exact` title or author, `title` (prefix or
    /// contains), `author` (contains), `pinyin` (full or initials), `partial` (most of the
    /// query's character pairs).
    pub enum SearchMatch {
        Exact = "exact",
        Title = "title",
        Author = "author",
        Pinyin = "pinyin",
        Partial = "partial",
    }
}

impl From<service::search::MatchKind> for SearchMatch {
    fn from(k: service::search::MatchKind) -> Self {
        use service::search::MatchKind;
        match k {
            MatchKind::Exact => Self::Exact,
            MatchKind::Title => Self::Title,
            MatchKind::Author => Self::Author,
            MatchKind::Pinyin => Self::Pinyin,
            MatchKind::Partial => Self::Partial,
        }
    }
}

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

// ---- catalog ----

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRefBody {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "古典名著")]
    pub name: String,
}

/// A novel in lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct NovelSummary {
    #[schema(example = 12)]
    pub id: i64,
    #[schema(example = "西游记")]
    pub title: String,
    #[schema(example = "吴承恩")]
    pub author: String,
    #[schema(example = "https://img.example.com/covers/xiyouji.jpg")]
    pub cover_url: String,
    /// Short intro (the detail has the full text).
    #[schema(example = "东胜神洲傲来国花果山上，一块仙石孕育出一只石猴……")]
    pub intro: String,
    pub category: CategoryRefBody,
    pub channel: Channel,
    pub status: NovelStatus,
    /// Characters in all chapters.
    #[schema(example = 820000)]
    pub word_count: i64,
    #[schema(example = 100)]
    pub chapter_count: i32,
    #[schema(example = 1200)]
    pub heat: i64,
    #[schema(example = 300)]
    pub collect_count: i64,
    pub updated_at: Timestamp,
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
            channel: stored(Channel::parse, "channel", &n.channel, Channel::Male),
            status: stored(NovelStatus::parse, "status", &n.status, NovelStatus::Serial),
            word_count: n.word_count,
            chapter_count: n.chapter_count,
            heat: n.heat,
            collect_count: n.collect_count,
            updated_at: n.updated_at.into(),
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
    #[schema(example = 345)]
    pub id: i64,
    #[schema(example = 12)]
    pub novel_id: i64,
    /// 1-based reading order.
    #[schema(example = 1)]
    pub index: i32,
    #[schema(example = "第一回 灵根育孕源流出 心性修持大道生")]
    pub title: String,
    #[schema(example = 3200)]
    pub word_count: i32,
    pub updated_at: Timestamp,
}

impl From<&service::catalog::ChapterMeta> for Chapter {
    fn from(c: &service::catalog::ChapterMeta) -> Self {
        Self {
            id: c.id,
            novel_id: c.novel_id,
            index: c.index,
            title: c.title.clone(),
            word_count: c.word_count,
            updated_at: c.updated_at.into(),
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
    #[schema(example = 12)]
    pub novel_id: i64,
    #[schema(example = 345)]
    pub chapter_id: i64,
    #[schema(example = 1)]
    pub chapter_index: i32,
    #[schema(example = "第一回 灵根育孕源流出 心性修持大道生")]
    pub chapter_title: String,
    /// Characters into the chapter.
    #[schema(example = 1200)]
    pub offset: i32,
    /// 0..=100, of the whole novel.
    #[schema(example = 0.4)]
    pub percent: f64,
    pub updated_at: Timestamp,
}

impl From<service::library::Progress> for Progress {
    fn from(p: service::library::Progress) -> Self {
        Self {
            novel_id: p.novel_id,
            chapter_id: p.chapter_id,
            chapter_index: p.chapter_index,
            chapter_title: p.chapter_title,
            offset: p.offset,
            percent: p.percent,
            updated_at: p.updated_at.into(),
        }
    }
}

/// `NovelSummary` with the full intro, the latest and first chapter; with a token also
/// `on_shelf` and `progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NovelDetail {
    #[serde(flatten)]
    pub summary: NovelSummary,
    #[schema(required = true)]
    pub latest_chapter: Option<Chapter>,
    #[schema(required = true, example = 345)]
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
    #[schema(example = "诗曰：混沌未分天地乱，茫茫渺渺无人见。自从盘古破鸿蒙，开辟从兹清浊辨……")]
    pub content: String,
    #[schema(required = true)]
    pub prev_chapter_id: Option<i64>,
    #[schema(required = true, example = 346)]
    pub next_chapter_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Progress>)]
    pub progress: Option<Option<Progress>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubCategory {
    pub id: i64,
    #[schema(example = "神魔")]
    pub name: String,
    #[schema(example = 4)]
    pub novel_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "古典名著")]
    pub name: String,
    pub channel: Channel,
    #[schema(example = "https://img.example.com/icons/classics.png")]
    pub icon_url: String,
    #[schema(example = 9)]
    pub novel_count: i64,
    pub subcategories: Vec<SubCategory>,
}

impl From<&service::catalog::CategoryNode> for Category {
    fn from(c: &service::catalog::CategoryNode) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            channel: stored(Channel::parse, "channel", &c.channel, Channel::Male),
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
    pub match_kind: SearchMatch,
}

impl From<service::search::SearchHit> for SearchItem {
    fn from(hit: service::search::SearchHit) -> Self {
        Self {
            match_kind: hit.kind.into(),
            novel: hit.novel.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOverview {
    #[schema(required = true)]
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
    #[schema(example = "斗破苍穹")]
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
    #[schema(example = "西游记")]
    pub keyword: String,
    #[schema(example = 42)]
    pub count: i64,
}

// ---- the reader's own data ----

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfItem {
    pub novel: NovelSummary,
    pub added_at: Timestamp,
    #[schema(required = true)]
    pub last_read: Option<Progress>,
    /// Chapters after the last-read one.
    #[schema(example = 3)]
    pub unread_chapters: i32,
    /// A chapter appeared since the reader last opened the novel.
    pub has_update: bool,
}

impl From<service::library::ShelfItem> for ShelfItem {
    fn from(i: service::library::ShelfItem) -> Self {
        Self {
            novel: i.novel.into(),
            added_at: i.added_at.into(),
            last_read: i.last_read.map(Progress::from),
            unread_chapters: i.unread_chapters,
            has_update: i.has_update,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfEntry {
    #[schema(example = 12)]
    pub novel_id: i64,
    pub on_shelf: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RemoveRequest {
    /// 1..=100 novel ids.
    #[validate(length(min = 1, max = 100, message = "must have 1 to 100 ids"))]
    #[schema(example = json!([12, 15]))]
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
    #[schema(required = true)]
    pub progress: Option<Progress>,
    pub viewed_at: Timestamp,
}

impl From<service::library::HistoryItem> for HistoryItem {
    fn from(i: service::library::HistoryItem) -> Self {
        Self {
            novel: i.novel.into(),
            progress: i.progress.map(Progress::from),
            viewed_at: i.viewed_at.into(),
        }
    }
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
    #[schema(example = 345)]
    pub chapter_id: i64,
    /// Characters into the chapter.
    #[validate(range(min = 0, max = 10_000_000, message = "must be between 0 and 10000000"))]
    #[schema(example = 1200)]
    pub offset: i32,
    /// 0..=100, of the whole novel.
    #[validate(custom(function = "finite_percent"))]
    #[schema(example = 0.4)]
    pub percent: f64,
    /// When the device recorded it (RFC 3339); the newer write wins. Before
    /// 2020-01-01T00:00:00Z → 422 (a reset device clock); more than 5 minutes ahead of the
    /// server → taken as the server's time (a clock running ahead must not win forever).
    #[schema(example = "2026-11-22T03:00:00.000Z")]
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
    #[schema(example = 12)]
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
    #[schema(required = true)]
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
