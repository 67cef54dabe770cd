//! The catalog: categories, novels, chapters, recommendations, rankings.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use service::catalog::{
    Channel, NovelFilter, NovelSort, NovelStatus, RankingKind, SortOrder, WordsBucket,
};
use service::page::PageRequest;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use crate::auth::MaybeUser;
use crate::dto::{Category, Chapter, ChapterContent, NovelDetail, NovelSummary, Progress};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, ValidatedQuery};
use crate::pagination::{ChapterPageParams, Page, PageParams};
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

/// Parses a whitelisted enum value; anything else is a 422 naming the field.
pub fn parse_enum<T>(
    field: &str,
    value: Option<&str>,
    allowed: &[(&str, T)],
) -> ApiResult<Option<T>>
where
    T: Copy,
{
    let Some(v) = value else { return Ok(None) };
    allowed
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, t)| Some(*t))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(field, format!("must be one of: {}", names.join(", ")))
        })
}

pub const CHANNELS: &[(&str, Channel)] = &[("male", Channel::Male), ("female", Channel::Female)];

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoriesQuery {
    /// `male` or `female`; without it, the logged-in reader's channel, else both.
    pub channel: Option<String>,
}

/// Two levels of categories with novel counts.
#[utoipa::path(get, path = "/categories", tag = "catalog", params(CategoriesQuery),
    responses(
        (status = 200, body = [Category]),
        (status = 422, description = "Unknown channel", body = ErrorBody),
    ))]
async fn categories(
    State(state): State<AppState>,
    user: MaybeUser,
    ValidatedQuery(q): ValidatedQuery<CategoriesQuery>,
) -> ApiResult<Json<Vec<Category>>> {
    let mut channel = parse_enum("channel", q.channel.as_deref(), CHANNELS)?;
    if channel.is_none()
        && let Some(ctx) = user.0
    {
        let prefs = service::reader::preferences(&state.db, ctx.user_id).await?;
        channel = prefs.channel.as_deref().and_then(Channel::parse);
    }
    let nodes = state.catalog.categories(&state.read, channel).await?;
    Ok(Json(nodes.iter().map(Category::from).collect()))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NovelsQuery {
    /// A top-level category or a subcategory.
    pub category_id: Option<i64>,
    /// `male` or `female`.
    pub channel: Option<String>,
    /// `serial` or `finished`.
    pub status: Option<String>,
    /// `lt_500k`, `500k_1m` or `gt_1m`.
    pub words: Option<String>,
    /// `hot` (default), `collect`, `latest` or `words`.
    pub sort: Option<String>,
    #[serde(default = "crate::pagination::default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, default = 1)]
    pub page: i64,
    #[serde(default = "crate::pagination::default_per_page")]
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
}

/// Novels, filtered and sorted, a page at a time.
#[utoipa::path(get, path = "/novels", tag = "catalog", params(NovelsQuery),
    responses(
        (status = 200, body = Page<NovelSummary>),
        (status = 422, description = "Unknown enum value or page out of range", body = ErrorBody),
    ))]
async fn novels(
    State(state): State<AppState>,
    ValidatedQuery(q): ValidatedQuery<NovelsQuery>,
) -> ApiResult<Json<Page<NovelSummary>>> {
    let filter = NovelFilter {
        category_id: q.category_id,
        channel: parse_enum("channel", q.channel.as_deref(), CHANNELS)?,
        status: parse_enum(
            "status",
            q.status.as_deref(),
            &[
                ("serial", NovelStatus::Serial),
                ("finished", NovelStatus::Finished),
            ],
        )?,
        words: parse_enum(
            "words",
            q.words.as_deref(),
            &[
                ("lt_500k", WordsBucket::Under500k),
                ("500k_1m", WordsBucket::From500kTo1m),
                ("gt_1m", WordsBucket::Over1m),
            ],
        )?,
        sort: parse_enum(
            "sort",
            q.sort.as_deref(),
            &[
                ("hot", NovelSort::Hot),
                ("collect", NovelSort::Collect),
                ("latest", NovelSort::Latest),
                ("words", NovelSort::Words),
            ],
        )?
        .unwrap_or_default(),
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
#[utoipa::path(get, path = "/novels/{id}", tag = "catalog", params(("id" = i64, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = NovelDetail),
        (status = 401, description = "A token was sent but is invalid", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn novel(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<NovelDetail>> {
    let detail = state.catalog.novel_detail(&state.read, id).await?;
    let (mut on_shelf, mut progress) = (None, None);
    if let Some(ctx) = user.0 {
        service::reader::record_view(&state.db, ctx.user_id, id, detail.summary.chapter_count)
            .await?;
        on_shelf = Some(service::reader::on_shelf(&state.db, ctx.user_id, id).await?);
        progress = Some(
            service::reader::progress(&state.db, ctx.user_id, id)
                .await?
                .map(Progress::from),
        );
    }
    let mut summary = NovelSummary::from(&detail.summary);
    summary.intro = detail.intro.clone();
    Ok(Json(NovelDetail {
        summary,
        latest_chapter: detail.latest_chapter.as_ref().map(Chapter::from),
        first_chapter_id: detail.first_chapter_id,
        on_shelf,
        progress,
    }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChaptersQuery {
    #[serde(default = "crate::pagination::default_page")]
    #[validate(range(min = 1, max = 1_000_000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, default = 1)]
    pub page: i64,
    #[serde(default = "crate::pagination::default_per_page")]
    #[validate(range(min = 1, max = 1000, message = "must be between 1 and 1000"))]
    #[param(minimum = 1, maximum = 1000, default = 20)]
    pub per_page: i64,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
}

/// The table of contents, a page at a time.
#[utoipa::path(get, path = "/novels/{id}/chapters", tag = "catalog",
    params(("id" = i64, Path), ChaptersQuery),
    responses(
        (status = 200, body = Page<Chapter>),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn chapters(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ValidatedQuery(q): ValidatedQuery<ChaptersQuery>,
) -> ApiResult<Json<Page<Chapter>>> {
    let order = parse_enum(
        "order",
        q.order.as_deref(),
        &[("asc", SortOrder::Asc), ("desc", SortOrder::Desc)],
    )?
    .unwrap_or_default();
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
    params(("id" = i64, Path), ("chapter_id" = i64, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ChapterContent, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
        (status = 401, description = "A token was sent but is invalid", body = ErrorBody),
        (status = 404, description = "No such chapter in this novel", body = ErrorBody),
    ))]
async fn chapter(
    State(state): State<AppState>,
    user: MaybeUser,
    headers: HeaderMap,
    Path((id, chapter_id)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let text = state.catalog.chapter(&state.read, id, chapter_id).await?;
    let mut progress = None;
    let mut tag = format!(
        "c{}-{}-{}",
        text.meta.id,
        text.meta.updated_at.timestamp_micros(),
        text.content.len()
    );
    if let Some(ctx) = user.0 {
        // Reading a chapter moves the reader to its start (unless already in it, or a newer
        // progress exists).
        let chapter_count = state
            .catalog
            .novel_detail(&state.read, id)
            .await?
            .summary
            .chapter_count;
        let p = service::library::touch_chapter(
            &state.db,
            ctx.user_id,
            id,
            text.meta.id,
            text.meta.index,
            chapter_count,
        )
        .await?;
        if let Some(p) = &p {
            tag.push_str(&format!("-p{}", p.updated_at.timestamp_micros()));
        }
        progress = Some(p.map(Progress::from));
    }
    let etag = format!("\"{tag}\"");
    let cache_control = if user.0.is_some() {
        "private, no-cache"
    } else {
        "public, max-age=300"
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let common = [
        (header::ETAG, etag_value),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let body = ChapterContent {
        chapter: Chapter::from(&text.meta),
        content: text.content.clone(),
        prev_chapter_id: text.prev_chapter_id,
        next_chapter_id: text.next_chapter_id,
        progress,
    };
    Ok((common, Json(body)).into_response())
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// How many (1..=50).
    #[validate(range(min = 1, max = 50, message = "must be between 1 and 50"))]
    pub limit: Option<i64>,
    /// `male` or `female` (rankings only).
    pub channel: Option<String>,
}

/// Novels like this one: same top-level category, hottest first, never itself; filled up
/// from the global hot list.
#[utoipa::path(get, path = "/novels/{id}/recommendations", tag = "catalog",
    params(("id" = i64, Path), ("limit" = Option<i64>, Query, description = "1..=50, default 4")),
    responses(
        (status = 200, body = [NovelSummary]),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
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
    params(("kind" = String, Path, description = "hot | collect | latest | finished"), LimitQuery),
    responses(
        (status = 200, body = [NovelSummary]),
        (status = 422, description = "Unknown kind or channel", body = ErrorBody),
    ))]
async fn rankings(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    ValidatedQuery(q): ValidatedQuery<LimitQuery>,
) -> ApiResult<Json<Vec<NovelSummary>>> {
    let kind = parse_enum(
        "kind",
        Some(kind.as_str()),
        &[
            ("hot", RankingKind::Hot),
            ("collect", RankingKind::Collect),
            ("latest", RankingKind::Latest),
            ("finished", RankingKind::Finished),
        ],
    )?
    .ok_or_else(|| ApiError::invalid("kind", "is required"))?;
    let channel = parse_enum("channel", q.channel.as_deref(), CHANNELS)?;
    let limit = q.limit.unwrap_or(10) as u64;
    let list = state
        .catalog
        .ranking(&state.read, kind, channel, limit)
        .await?;
    Ok(Json(list.iter().map(NovelSummary::from).collect()))
}
