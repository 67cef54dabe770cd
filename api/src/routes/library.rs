//! The reader's own data: bookshelf, progress, history. Every route needs `CurrentUser`, and
//! every query is scoped by the reader, so no id in a path or body reaches another reader's rows.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::CurrentUser;
use crate::dto::{
    BatchItem, BatchRequest, BatchResult, HistoryItem, LastRead, NovelSummary, Progress,
    ProgressRequest, RemoveRequest, Removed, ShelfEntry, ShelfItem,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, ValidatedJson, ValidatedQuery};
use crate::openapi::errors;
use crate::pagination::{HistoryPage, Page, PageParams, ShelfPage};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(shelf))
        .routes(routes!(add_to_shelf, remove_from_shelf))
        .routes(routes!(remove_many))
        .routes(routes!(last_read))
        .routes(routes!(put_progress, get_progress))
        .routes(routes!(batch_progress))
        .routes(routes!(history, clear_history))
        .routes(routes!(forget))
}

/// The bookshelf, most recently read or added first.
#[utoipa::path(get, path = "/bookshelf", tag = "library", params(PageParams), security(("bearer" = [])),
    responses(
        (status = 200, body = ShelfPage),
        errors::BadRequest, errors::Unauthorized, errors::Invalid, errors::Unavailable,
    ))]
async fn shelf(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedQuery(page): ValidatedQuery<PageParams>,
) -> ApiResult<Json<Page<ShelfItem>>> {
    let (db, pages, cache) = (&state.db, &state.shelves, &state.catalog);
    let paged = service::library::shelf(db, pages, cache, user.id(), page.into()).await?;
    Ok(Json(Page::from_paged(paged, ShelfItem::from)))
}

/// Put a novel on the shelf: 201 when added, 200 when it was already there.
#[utoipa::path(put, path = "/bookshelf/{novel_id}", tag = "library", params(("novel_id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = ShelfEntry),
        (status = 200, description = "Already on the shelf", body = ShelfEntry),
        errors::BadRequest, errors::Unauthorized, errors::NotFound, errors::Unavailable,
    ))]
async fn add_to_shelf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(novel_id): Path<i64>,
) -> ApiResult<Response> {
    let added = service::library::add_to_shelf(&state.db, user.id(), novel_id).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(ShelfEntry {
            novel_id,
            on_shelf: true,
        }),
    )
        .into_response())
}

/// Take a novel off the shelf.
#[utoipa::path(delete, path = "/bookshelf/{novel_id}", tag = "library", params(("novel_id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        errors::BadRequest, errors::Unauthorized, errors::NotFound, errors::Unavailable,
    ))]
async fn remove_from_shelf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(novel_id): Path<i64>,
) -> ApiResult<StatusCode> {
    service::library::remove_from_shelf(&state.db, user.id(), novel_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take several novels off the shelf; ids not on the shelf are ignored.
#[utoipa::path(post, path = "/bookshelf/remove", tag = "library", request_body = RemoveRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Removed),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn remove_many(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<RemoveRequest>,
) -> ApiResult<Json<Removed>> {
    let removed =
        service::library::remove_many_from_shelf(&state.db, user.id(), &req.novel_ids).await?;
    Ok(Json(Removed { removed }))
}

/// The "continue reading" button: the most recent reading, or 204 when there is none.
#[utoipa::path(get, path = "/bookshelf/last-read", tag = "library", security(("bearer" = [])),
    responses(
        (status = 200, body = LastRead),
        (status = 204, description = "Nothing read yet"),
        errors::Unauthorized, errors::Unavailable,
    ))]
async fn last_read(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    match service::library::last_read(&state.db, user.id()).await? {
        Some((novel, progress)) => Ok(Json(LastRead {
            novel: NovelSummary::from(novel),
            progress: progress.into(),
        })
        .into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// Record where the reader is. The newer `client_time` wins: an older write (e.g. from a
/// device that was offline) returns the stored progress unchanged.
#[utoipa::path(put, path = "/progress/{novel_id}", tag = "library", params(("novel_id" = i64, Path)),
    request_body = ProgressRequest, security(("bearer" = [])),
    responses(
        (status = 200, description = "The stored progress", body = Progress),
        errors::BadRequest, errors::Unauthorized, errors::NotFound, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn put_progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(novel_id): Path<i64>,
    ValidatedJson(req): ValidatedJson<ProgressRequest>,
) -> ApiResult<Json<Progress>> {
    let p = service::library::write_progress(&state.writes, user.id(), novel_id, &(&req).into())
        .await?;
    Ok(Json(p.into()))
}

/// Where the reader is in a novel.
#[utoipa::path(get, path = "/progress/{novel_id}", tag = "library", params(("novel_id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Progress),
        errors::BadRequest, errors::Unauthorized, errors::NotFound, errors::Unavailable,
    ))]
async fn get_progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(novel_id): Path<i64>,
) -> ApiResult<Json<Progress>> {
    state
        .progress
        .load(user.id(), novel_id)
        .await?
        .map(|p| Json(p.into()))
        .ok_or_else(ApiError::not_found)
}

/// Offline reading: up to 100 progress writes at once.
///
/// Each item is validated and applied on its own (newer `client_time` wins, as with PUT).
/// The response has one entry per item, in request order: the stored `Progress`, or for a
/// rejected item `{index, novel_id, error: {code, message, details?}}` — a bad item never
/// drops the good ones.
#[utoipa::path(post, path = "/progress/batch", tag = "library", request_body = BatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per item, in order", body = [BatchResult]),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn batch_progress(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<BatchRequest>,
) -> ApiResult<Json<Vec<BatchResult>>> {
    // All at once: the writes are queued together and so share their transactions.
    let written = req.items.into_iter().enumerate().map(|(index, raw)| {
        let (novel_id, item) = BatchItem::parse(raw);
        let state = &state;
        async move {
            let written = match item {
                Ok(item) => {
                    let write = (&item.progress).into();
                    service::library::write_progress(
                        &state.writes,
                        user.id(),
                        item.novel_id,
                        &write,
                    )
                    .await
                    .map_err(ApiError::from)
                }
                Err(e) => Err(e),
            };
            BatchResult::of(index, novel_id, written)
        }
    });
    let out = futures::future::join_all(written)
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(out))
}

/// Browse history: one row per novel, newest first.
#[utoipa::path(get, path = "/history", tag = "library", params(PageParams), security(("bearer" = [])),
    responses(
        (status = 200, body = HistoryPage),
        errors::BadRequest, errors::Unauthorized, errors::Invalid, errors::Unavailable,
    ))]
async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedQuery(page): ValidatedQuery<PageParams>,
) -> ApiResult<Json<Page<HistoryItem>>> {
    let paged =
        service::library::history(&state.db, &state.catalog, user.id(), page.into()).await?;
    Ok(Json(Page::from_paged(paged, HistoryItem::from)))
}

/// Clear the whole history.
#[utoipa::path(delete, path = "/history", tag = "library", security(("bearer" = [])),
    responses((status = 204, description = "Cleared"), errors::Unauthorized, errors::Unavailable))]
async fn clear_history(State(state): State<AppState>, user: CurrentUser) -> ApiResult<StatusCode> {
    service::library::clear_history(&state.db, user.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove one novel from the history.
#[utoipa::path(delete, path = "/history/{novel_id}", tag = "library", params(("novel_id" = i64, Path)),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        errors::BadRequest, errors::Unauthorized, errors::NotFound, errors::Unavailable,
    ))]
async fn forget(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(novel_id): Path<i64>,
) -> ApiResult<StatusCode> {
    service::library::forget(&state.db, user.id(), novel_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
