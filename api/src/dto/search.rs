//! Search results, the overview, suggestions and hot keywords.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{NovelSummary, api_enum};

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
        let all = |v: Vec<std::sync::Arc<service::catalog::NovelSummary>>| {
            v.into_iter().map(Into::into).collect()
        };
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
