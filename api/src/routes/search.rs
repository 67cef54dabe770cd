//! Search: ranked results, the one-screen overview, suggestions, hot keywords.

use std::collections::HashMap;

use axum::extract::State;
use serde::Deserialize;
use service::page::PageRequest;
use service::search::{MAX_QUERY_CHARS, MatchKind, normalize};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use crate::auth::{ClientIp, MaybeUser};
use crate::dto::{HotKeyword, NovelSummary, SearchItem, SearchMatch, SearchOverview, Suggestion};
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

/// The normalised query; empty, blank or over 64 characters is a 422.
fn query(q: Option<&str>) -> ApiResult<String> {
    let raw = q.unwrap_or("");
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let q = normalize(raw);
    if q.is_empty() {
        return Err(ApiError::invalid("q", "must not be empty"));
    }
    // Normalisation can expand a character (NFKC turns U+FDFA into 18), and hot keywords
    // hold 64 characters.
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters once normalised"),
        ));
    }
    Ok(q)
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

async fn summaries_of(state: &AppState, ids: &[i64]) -> ApiResult<Vec<NovelSummary>> {
    Ok(state
        .catalog
        .summaries(&state.read, ids)
        .await?
        .into_iter()
        .map(NovelSummary::from)
        .collect())
}

/// Ranked search: exact title/author, then title prefix, title contains, author contains,
/// pinyin (full or initials); ties by heat. Traditional characters and full-width letters are
/// normalised first. Page 1 counts the query toward the hot keywords (once per reader per day).
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQuery), security((), ("bearer" = [])),
    responses(
        (status = 200, body = SearchPage),
        errors::BadRequest, errors::TokenRejected, errors::Invalid, errors::Unavailable,
    ))]
async fn search(
    State(state): State<AppState>,
    user: MaybeUser,
    ip: ClientIp,
    ValidatedQuery(params): ValidatedQuery<SearchQuery>,
) -> ApiResult<Json<Page<SearchItem>>> {
    let q = query(params.q.as_deref())?;
    let page: PageRequest = PageParams {
        page: params.page,
        per_page: params.per_page,
    }
    .into();
    let hits = state.search.search(&q).await;
    let total = hits.len() as u64;
    let start = usize::try_from(page.offset())
        .unwrap_or(usize::MAX)
        .min(hits.len());
    let end = start.saturating_add(page.per_page as usize).min(hits.len());
    let kinds: HashMap<i64, MatchKind> = hits[start..end].iter().copied().collect();
    let ids: Vec<i64> = hits[start..end].iter().map(|(id, _)| *id).collect();
    let items = summaries_of(&state, &ids)
        .await?
        .into_iter()
        .map(|novel| SearchItem {
            match_kind: kinds
                .get(&novel.id)
                .map_or(SearchMatch::Title, |k| (*k).into()),
            novel,
        })
        .collect();
    if page.page == 1 {
        let searcher = match (user.0, ip.0) {
            (Some(ctx), _) => service::account::searcher_key(ctx.user_id),
            (None, Some(ip)) => format!("ip:{ip}"),
            (None, None) => "anonymous".into(),
        };
        state.search.count(&state.db, &q, &searcher).await?;
    }
    Ok(Json(Page {
        items,
        page: page.page,
        per_page: page.per_page,
        total,
        total_pages: total.div_ceil(page.per_page),
    }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// 1..=64 characters after normalisation.
    #[param(example = "西游")]
    pub q: Option<String>,
}

/// The single-screen result of the original app: the exact hit, a few close matches, and hot
/// recommendations from the best hit's category (or overall when nothing matched).
#[utoipa::path(get, path = "/search/overview", tag = "search", params(OverviewQuery), security(),
    responses(
        (status = 200, body = SearchOverview),
        errors::BadRequest, errors::Invalid, errors::Unavailable,
    ))]
async fn overview(
    State(state): State<AppState>,
    ValidatedQuery(params): ValidatedQuery<OverviewQuery>,
) -> ApiResult<Json<SearchOverview>> {
    let q = query(params.q.as_deref())?;
    let index = state.search.index();
    let hits = state.search.search(&q).await;
    let exact_id = hits
        .iter()
        .find(|(_, k)| *k == MatchKind::Exact)
        .map(|(id, _)| *id);
    let match_ids: Vec<i64> = hits
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| Some(*id) != exact_id)
        .take(5)
        .collect();
    let best = hits.first().map(|(id, _)| *id);
    let mut shown: Vec<i64> = match_ids.clone();
    shown.extend(exact_id);
    let rec_ids = index.hottest(best.and_then(|b| index.top_category_of(b)), &shown, 4);
    let exact = match exact_id {
        Some(id) => summaries_of(&state, &[id]).await?.pop(),
        None => None,
    };
    Ok(Json(SearchOverview {
        exact,
        matches: summaries_of(&state, &match_ids).await?,
        recommendations: summaries_of(&state, &rec_ids).await?,
    }))
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
    let q = query(params.q.as_deref())?;
    let limit = params.limit.unwrap_or(10) as usize;
    Ok(Json(
        state
            .search
            .suggest(&q, limit)
            .into_iter()
            .map(|(keyword, is_hot)| Suggestion { keyword, is_hot })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotQuery {
    /// Default 10.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// The most searched keywords (page-1 searches, once per reader per day).
#[utoipa::path(get, path = "/search/hot", tag = "search", params(HotQuery), security(),
    responses(
        (status = 200, body = [HotKeyword]),
        errors::BadRequest, errors::Invalid, errors::Unavailable,
    ))]
async fn hot(
    State(state): State<AppState>,
    ValidatedQuery(params): ValidatedQuery<HotQuery>,
) -> ApiResult<Json<Vec<HotKeyword>>> {
    let limit = params.limit.unwrap_or(10) as u64;
    let words = service::search::hot_keywords(&state.read, limit).await?;
    Ok(Json(
        words
            .into_iter()
            .map(|(keyword, count)| HotKeyword { keyword, count })
            .collect(),
    ))
}
