//! Search: ranked results, the one-screen overview, suggestions, hot keywords. Each handler is
//! one call into `service::search`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use serde::Deserialize;
use service::search::Searcher;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use crate::auth::{ClientIp, MaybeUser};
use crate::dto::{HotKeyword, SearchItem, SearchOverview, Suggestion};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, ValidatedQuery};
use crate::openapi::errors;
use crate::pagination::{Page, PageParams, SearchPage};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(overview))
        .routes(routes!(suggestions))
        .routes(routes!(hot))
}

/// Who searches: the signed-in reader, else the client address (a bad token is still a 401).
pub struct SearchedBy(pub Searcher);

impl FromRequestParts<AppState> for SearchedBy {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        Ok(Self(match (user, ip) {
            (Some(ctx), _) => Searcher::Reader(ctx.user_id),
            (None, Some(ip)) => Searcher::Address(ip),
            (None, None) => Searcher::Anonymous,
        }))
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Title, author, or pinyin (`doupo`, `dpcq`); 1..=64 characters. `%`, `_` and `\` are
    /// literal.
    #[param(example = "西游")]
    pub q: Option<String>,
    #[serde(default = "crate::pagination::default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: i64,
    #[serde(default = "crate::pagination::default_per_page")]
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
}

/// Ranked search: exact title/author, then title prefix, title contains, author contains,
/// pinyin (full or initials, every reading of a polyphonic character), and — only when those
/// found fewer than 20 — partial matches (most shared character bigrams first); ties by heat.
/// Traditional characters, full-width letters and invisible characters are normalised first.
/// `total` is exact: every match is counted, partial ones included. Page 1 of a search that
/// found something counts toward the hot keywords (once per reader or address per day).
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQuery), security((), ("bearer" = [])),
    responses(
        (status = 200, body = SearchPage),
        errors::BadRequest, errors::TokenRejected, errors::Invalid, errors::Unavailable,
    ))]
async fn search(
    State(state): State<AppState>,
    SearchedBy(searcher): SearchedBy,
    ValidatedQuery(params): ValidatedQuery<SearchQuery>,
) -> ApiResult<Json<Page<SearchItem>>> {
    let page = PageParams {
        page: params.page,
        per_page: params.per_page,
    };
    let q = params.q.as_deref().unwrap_or_default();
    let found = (state.search)
        .page(&state.read, &state.catalog, q, page.into(), &searcher)
        .await?;
    Ok(Json(Page::from_paged(found, SearchItem::from)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// 1..=64 characters after normalisation.
    #[param(example = "西游")]
    pub q: Option<String>,
}

/// The single-screen result of the original app: the exact hit, up to 5 close matches (partial
/// ones when the others are few), and hot recommendations from the best hit's category (or
/// overall when nothing matched).
#[utoipa::path(get, path = "/search/overview", tag = "search", params(OverviewQuery), security(),
    responses(
        (status = 200, body = SearchOverview),
        errors::BadRequest, errors::Invalid, errors::Unavailable,
    ))]
async fn overview(
    State(state): State<AppState>,
    ValidatedQuery(params): ValidatedQuery<OverviewQuery>,
) -> ApiResult<Json<SearchOverview>> {
    let q = params.q.as_deref().unwrap_or_default();
    let overview = state.search.overview(&state.db, &state.catalog, q).await?;
    Ok(Json(overview.into()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionsQuery {
    /// 1..=64 characters after normalisation.
    #[param(example = "西游")]
    pub q: Option<String>,
    /// Default 10.
    #[validate(range(min = 1, max = 20, message = "must be between 1 and 20"))]
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<i64>,
}

/// Completions as the reader types: titles and authors by prefix or pinyin prefix, and hot
/// keywords.
#[utoipa::path(get, path = "/search/suggestions", tag = "search", params(SuggestionsQuery), security(),
    responses(
        (status = 200, body = [Suggestion]),
        errors::BadRequest, errors::Invalid,
    ))]
async fn suggestions(
    State(state): State<AppState>,
    ValidatedQuery(params): ValidatedQuery<SuggestionsQuery>,
) -> ApiResult<Json<Vec<Suggestion>>> {
    let q = params.q.as_deref().unwrap_or_default();
    let limit = params.limit.unwrap_or(10) as usize;
    let found = state.search.suggestions(q, limit)?;
    Ok(Json(found.into_iter().map(Suggestion::from).collect()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotQuery {
    /// Default 10.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// The most searched keywords: page-1 searches that found something, once per reader (or
/// address) per keyword per day. Counts reach the list within a few seconds (they are written
/// in batches); words on the operator's blocklist and text without a letter or digit never
/// appear.
#[utoipa::path(get, path = "/search/hot", tag = "search", params(HotQuery), security(),
    responses(
        (status = 200, body = [HotKeyword]),
        errors::BadRequest, errors::Invalid, errors::Unavailable,
    ))]
async fn hot(
    State(state): State<AppState>,
    ValidatedQuery(params): ValidatedQuery<HotQuery>,
) -> ApiResult<Json<Vec<HotKeyword>>> {
    let limit = params.limit.unwrap_or(10) as usize;
    let words = state.search.hot_keywords(limit);
    Ok(Json(
        words
            .into_iter()
            .map(|(keyword, count)| HotKeyword { keyword, count })
            .collect(),
    ))
}
