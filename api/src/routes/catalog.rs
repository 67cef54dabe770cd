//! The catalog: categories, novels, chapters, recommendations, rankings.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use service::catalog::NovelFilter;
use service::library::OpenedChapter;
use service::page::PageRequest;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use crate::auth::MaybeUser;
use crate::dto::{
    Category, Channel, Chapter, ChapterContent, NovelDetail, NovelSort, NovelStatus, NovelSummary,
    RankingKind, SortOrder, WordsBucket,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, ValidatedQuery};
use crate::openapi::errors;
use crate::pagination::{ChapterPage, ChapterPageParams, NovelPage, Page, PageParams};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(categories))
        .routes(routes!(novels))
        .routes(routes!(novel))
        .routes(routes!(chapters))
        .routes(routes!(chapter))
        .routes(routes!(recommendations))
        .routes(routes!(rankings))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoriesQuery {
    /// Without it: the logged-in reader's preferred channel, else both.
    pub channel: Option<Channel>,
}

/// Two levels of categories with novel counts.
#[utoipa::path(get, path = "/categories", tag = "catalog", params(CategoriesQuery), security((), ("bearer" = [])),
    responses(
        (status = 200, body = [Category]),
        errors::BadRequest, errors::TokenRejected, errors::Invalid, errors::Unavailable,
    ))]
async fn categories(
    State(state): State<AppState>,
    user: MaybeUser,
    ValidatedQuery(q): ValidatedQuery<CategoriesQuery>,
) -> ApiResult<Json<Vec<Category>>> {
    let mut channel = q.channel.map(Into::into);
    if channel.is_none()
        && let Some(ctx) = user.0
    {
        let prefs = service::settings::preferences(&state.db, ctx.user_id).await?;
        channel = prefs
            .channel
            .as_deref()
            .and_then(service::catalog::Channel::parse);
    }
    let nodes = state.catalog.categories(&state.read, channel).await?;
    Ok(Json(nodes.iter().map(Category::from).collect()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NovelsQuery {
    /// A top-level category or a subcategory.
    pub category_id: Option<i64>,
    pub channel: Option<Channel>,
    pub status: Option<NovelStatus>,
    pub words: Option<WordsBucket>,
    /// Default `hot`.
    pub sort: Option<NovelSort>,
    #[serde(default = "crate::pagination::default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: i64,
    #[serde(default = "crate::pagination::default_per_page")]
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
}

/// Novels, filtered and sorted, a page at a time.
#[utoipa::path(get, path = "/novels", tag = "catalog", params(NovelsQuery), security(),
    responses(
        (status = 200, body = NovelPage),
        errors::BadRequest, errors::Invalid, errors::Unavailable,
    ))]
async fn novels(
    State(state): State<AppState>,
    ValidatedQuery(q): ValidatedQuery<NovelsQuery>,
) -> ApiResult<Json<Page<NovelSummary>>> {
    let filter = NovelFilter {
        category_id: q.category_id,
        channel: q.channel.map(Into::into),
        status: q.status.map(Into::into),
        words: q.words.map(Into::into),
        sort: q.sort.map(Into::into).unwrap_or_default(),
    };
    let page: PageRequest = PageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .into();
    let paged = state.catalog.novels(&state.read, &filter, page).await?;
    Ok(Json(Page::from_paged((*paged).clone(), NovelSummary::from)))
}

/// A novel; with a token also `on_shelf` and `progress`, and the view goes to the reader's
/// history.
#[utoipa::path(get, path = "/novels/{id}", tag = "catalog", params(("id" = i64, Path)), security((), ("bearer" = [])),
    responses(
        (status = 200, body = NovelDetail),
        errors::BadRequest, errors::TokenRejected, errors::NotFound, errors::Unavailable,
    ))]
async fn novel(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<NovelDetail>> {
    let reader = user.0.map(|ctx| ctx.user_id);
    let opened =
        service::library::open_novel(&state.db, &state.read, &state.catalog, reader, id).await?;
    Ok(Json(NovelDetail::from(opened)))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChaptersQuery {
    #[serde(default = "crate::pagination::default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, maximum = 1_000_000, default = 1)]
    pub page: i64,
    #[serde(default = "crate::pagination::default_per_page")]
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000"))]
    #[param(minimum = 1, maximum = 1000, default = 20)]
    pub per_page: i64,
    /// Default `asc`.
    pub order: Option<SortOrder>,
}

/// The table of contents, a page at a time.
#[utoipa::path(get, path = "/novels/{id}/chapters", tag = "catalog",
    params(("id" = i64, Path), ChaptersQuery), security(),
    responses(
        (status = 200, body = ChapterPage),
        errors::BadRequest, errors::NotFound, errors::Invalid, errors::Unavailable,
    ))]
async fn chapters(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ValidatedQuery(q): ValidatedQuery<ChaptersQuery>,
) -> ApiResult<Json<Page<Chapter>>> {
    let order = q.order.map(Into::into).unwrap_or_default();
    let page: PageRequest = ChapterPageParams {
        page: q.page,
        per_page: q.per_page,
    }
    .into();
    let paged = state.catalog.chapters(&state.read, id, order, page).await?;
    Ok(Json(Page::from_paged((*paged).clone(), Chapter::from)))
}

/// A chapter's text with the previous and next chapter ids. Cacheable: `ETag` and
/// `Cache-Control`; `If-None-Match` gives 304.
#[utoipa::path(get, path = "/novels/{id}/chapters/{chapter_id}", tag = "catalog",
    params(
        ("id" = i64, Path),
        ("chapter_id" = i64, Path),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ChapterContent, headers(
            ("ETag" = String),
            ("Cache-Control" = String, description = "`public, max-age=300` anonymously, `private, no-cache` with a token"),
        )),
        (status = 304, description = "Not modified (`If-None-Match` matched)", headers(("ETag" = String), ("Cache-Control" = String))),
        errors::BadRequest, errors::TokenRejected, errors::NotFound, errors::Unavailable,
    ))]
async fn chapter(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Path((id, chapter_id)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let reader = user.0.map(|ctx| ctx.user_id);
    let opened = service::library::open_chapter(
        &state.writes,
        &state.chapters,
        &state.catalog,
        reader,
        id,
        chapter_id,
    )
    .await?;
    let tag = chapter_tag(&opened);
    crate::http::conditional(&headers, &tag, reader.is_none(), || {
        ChapterContent::from(&opened)
    })
}

/// The entity tag of what the reader sees: the chapter's version and, signed in, the progress.
fn chapter_tag(opened: &OpenedChapter) -> String {
    let meta = &opened.text.meta;
    let mut tag = format!(
        "c{}-{}-{}",
        meta.id,
        meta.updated_at.timestamp_micros(),
        opened.text.content.len()
    );
    if let Some(Some(p)) = &opened.progress {
        tag.push_str(&format!("-p{}", p.updated_at.timestamp_micros()));
    }
    tag
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// How many; default 10.
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
    /// Rankings only.
    pub channel: Option<Channel>,
}

/// Novels like this one: same top-level category, hottest first, never itself; filled up
/// from the global hot list.
#[utoipa::path(get, path = "/novels/{id}/recommendations", tag = "catalog",
    params(("id" = i64, Path), ("limit" = Option<i64>, Query, minimum = 1, maximum = 50, description = "Default 4")),
    security(),
    responses(
        (status = 200, body = [NovelSummary]),
        errors::BadRequest, errors::NotFound, errors::Invalid, errors::Unavailable,
    ))]
async fn recommendations(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ValidatedQuery(q): ValidatedQuery<LimitQuery>,
) -> ApiResult<Json<Vec<NovelSummary>>> {
    let limit = q.limit.unwrap_or(4) as u64;
    let list = service::catalog::recommendations(&state.read, id, limit).await?;
    Ok(Json(list.into_iter().map(NovelSummary::from).collect()))
}

/// Rankings: `hot`, `collect`, `latest` or `finished`.
#[utoipa::path(get, path = "/rankings/{kind}", tag = "catalog",
    params(("kind" = RankingKind, Path), LimitQuery), security(),
    responses(
        (status = 200, body = [NovelSummary]),
        errors::BadRequest, errors::Invalid, errors::Unavailable,
    ))]
async fn rankings(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    ValidatedQuery(q): ValidatedQuery<LimitQuery>,
) -> ApiResult<Json<Vec<NovelSummary>>> {
    // A path enum can't name its field in axum's rejection, so it is parsed here.
    let kind = RankingKind::parse(&kind).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            format!("must be one of: {}", enum_names(RankingKind::ALL)),
        )
    })?;
    let channel = q.channel.map(Into::into);
    let limit = q.limit.unwrap_or(10) as u64;
    let list = state
        .catalog
        .ranking(&state.read, kind.into(), channel, limit)
        .await?;
    Ok(Json(list.iter().map(NovelSummary::from).collect()))
}

fn enum_names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
