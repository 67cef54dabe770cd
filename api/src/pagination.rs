//! One pagination type with the caps of API.md: out of range is a 422, never a clamp.

use serde::{Deserialize, Serialize};
use service::page::{MAX_CHAPTERS_PER_PAGE, MAX_PER_PAGE, PageRequest, Paged};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

const MAX_PAGE: i64 = 1_000_000;

pub(crate) fn default_page() -> i64 {
    1
}
pub(crate) fn default_per_page() -> i64 {
    20
}

/// `?page=&per_page=` for ordinary listings (`per_page` 1..=100).
#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    #[serde(default = "default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: i64,
    /// Items per page.
    #[serde(default = "default_per_page")]
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
}

impl From<PageParams> for PageRequest {
    fn from(p: PageParams) -> Self {
        to_request(p.page, p.per_page, MAX_PER_PAGE)
    }
}

/// `?page=&per_page=` for chapter lists (`per_page` 1..=1000).
#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChapterPageParams {
    /// 1-based page number.
    #[serde(default = "default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: i64,
    /// Chapters per page.
    #[serde(default = "default_per_page")]
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000"))]
    #[param(minimum = 1, maximum = 1000, default = 20)]
    pub per_page: i64,
}

impl From<ChapterPageParams> for PageRequest {
    fn from(p: ChapterPageParams) -> Self {
        to_request(p.page, p.per_page, MAX_CHAPTERS_PER_PAGE)
    }
}

/// Validation already bounded both values; clamping here is only a second line of defence.
fn to_request(page: i64, per_page: i64, max: u64) -> PageRequest {
    PageRequest {
        page: page.clamp(1, MAX_PAGE) as u64,
        per_page: (per_page.max(1) as u64).min(max),
    }
}

/// A page of results.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

/// Declares the documented schema of `Page<$item>`. utoipa copies a generic argument's whole
/// schema into the page (juhaku/utoipa#1586); a named page per item type whose `items`
/// reference the item schema reads better and generates better client types. The fields are
/// `Page`'s (a test compares them).
macro_rules! page_schema {
    ($($name:ident => $item:ty),+ $(,)?) => { $(
        #[doc = concat!("A page of `", stringify!($item), "`.")]
        #[derive(ToSchema)]
        #[allow(dead_code)] // documentation only: the server sends `Page<T>`
        pub struct $name {
            pub items: Vec<$item>,
            /// 1-based page number.
            #[schema(example = 1)]
            pub page: u64,
            #[schema(example = 20)]
            pub per_page: u64,
            /// Items on all pages.
            #[schema(example = 123)]
            pub total: u64,
            /// `ceil(total / per_page)`; 0 when there are no items.
            #[schema(example = 7)]
            pub total_pages: u64,
        }
    )+ };
}

page_schema!(
    NovelPage => crate::dto::NovelSummary,
    ChapterPage => crate::dto::Chapter,
    SearchPage => crate::dto::SearchItem,
    ShelfPage => crate::dto::ShelfItem,
    HistoryPage => crate::dto::HistoryItem,
);

impl<T> Page<T> {
    /// Converts a service page into a page of DTOs.
    pub fn from_paged<U>(paged: Paged<U>, f: impl FnMut(U) -> T) -> Self {
        let paged = paged.map(f);
        Self {
            items: paged.items,
            page: paged.page,
            per_page: paged.per_page,
            total: paged.total,
            total_pages: paged.total_pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented page has exactly the fields the server sends.
    #[test]
    fn page_schema_matches_page() {
        let sent = serde_json::to_value(Page::<u8> {
            items: vec![],
            page: 1,
            per_page: 20,
            total: 0,
            total_pages: 0,
        })
        .unwrap_or_default();
        let mut sent: Vec<&String> = sent
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        sent.sort();
        let schema = serde_json::to_value(<NovelPage as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
        let mut documented: Vec<&String> = schema["properties"]
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        documented.sort();
        assert_eq!(sent, documented);
        assert!(!sent.is_empty());
    }
}
