//! The bookshelf: the novels a reader keeps, most recently read or added first.

use chrono::{DateTime, Utc};
use entity::{bookshelf, reading_progress};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{Progress, list_page, novel_chapter_count, progress};
use crate::catalog::{NovelSummary, summaries_by_ids};
use crate::catalog_cache::CatalogCache;
use crate::db::insert_ignore;
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct ShelfItem {
    pub novel: NovelSummary,
    pub added_at: DateTime<Utc>,
    pub last_read: Option<Progress>,
    pub unread_chapters: i32,
    pub has_update: bool,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct ShelfRow {
    seen_chapter_count: i32,
    added_at: DateTime<Utc>,
}

/// `GET /bookshelf`: most recently read or added first (see `list_page` for its queries).
pub async fn shelf(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
) -> ServiceResult<Paged<ShelfItem>> {
    let shape = |q: sea_orm::Select<bookshelf::Entity>| {
        q.column(bookshelf::Column::NovelId)
            .column(bookshelf::Column::SeenChapterCount)
            .column(bookshelf::Column::AddedAt)
            .order_by_desc(bookshelf::Column::SortAt)
            .order_by_desc(bookshelf::Column::Id)
    };
    let keys = (bookshelf::Column::UserId, bookshelf::Column::NovelId);
    list_page(
        db,
        cache,
        user_id,
        page,
        keys,
        shape,
        |r: ShelfRow, novel, last_read| {
            let read = last_read.as_ref().map_or(0, |p| p.chapter_index);
            ShelfItem {
                unread_chapters: (novel.chapter_count - read).max(0),
                has_update: novel.chapter_count > r.seen_chapter_count,
                added_at: r.added_at,
                last_read,
                novel,
            }
        },
    )
    .await
}

/// `PUT /bookshelf/{novel_id}`: `true` when added, `false` when it was already there.
pub async fn add_to_shelf(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<bool> {
    let chapters = novel_chapter_count(db, novel_id).await?;
    let now = crate::db::now_micros();
    crate::db::with_retry(|| async {
        let row = bookshelf::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            novel_id: Set(novel_id),
            seen_chapter_count: Set(chapters),
            added_at: Set(now),
            sort_at: Set(now),
        };
        Ok(insert_ignore(db, [row]).await? == 1)
    })
    .await
}

/// `DELETE /bookshelf/{novel_id}`.
pub async fn remove_from_shelf(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<()> {
    if remove_many_from_shelf(db, user_id, &[novel_id]).await? == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// `POST /bookshelf/remove`: how many of the ids were on the shelf.
pub async fn remove_many_from_shelf(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_ids: &[i64],
) -> ServiceResult<u64> {
    crate::db::with_retry(|| async {
        Ok(bookshelf::Entity::delete_many()
            .filter(bookshelf::Column::UserId.eq(user_id))
            .filter(bookshelf::Column::NovelId.is_in(novel_ids.to_vec()))
            .exec(db)
            .await?
            .rows_affected)
    })
    .await
}

/// The reader saw the novel with `chapter_count` chapters (no `has_update` until it grows);
/// `read_at` moves it to the top of the shelf too. Nothing when it is not on the shelf; true
/// when it is.
pub(super) async fn mark_seen(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    chapter_count: i32,
    read_at: Option<DateTime<Utc>>,
) -> ServiceResult<bool> {
    let mut update = bookshelf::Entity::update_many();
    if let Some(at) = read_at {
        update = update.col_expr(bookshelf::Column::SortAt, Expr::value(at));
    }
    // sqlx asks MySQL for rows matched (CLIENT_FOUND_ROWS), as SQLite counts them.
    let matched = update
        .col_expr(
            bookshelf::Column::SeenChapterCount,
            Expr::value(chapter_count),
        )
        .filter(bookshelf::Column::UserId.eq(user_id))
        .filter(bookshelf::Column::NovelId.eq(novel_id))
        .exec(db)
        .await?
        .rows_affected;
    Ok(matched > 0)
}

/// `GET /bookshelf/last-read`: the most recent reading, if any.
pub async fn last_read(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> ServiceResult<Option<(NovelSummary, Progress)>> {
    let latest = reading_progress::Entity::find()
        .filter(reading_progress::Column::UserId.eq(user_id))
        .order_by_desc(reading_progress::Column::UpdatedAt)
        .order_by_desc(reading_progress::Column::Id)
        .one(db)
        .await?;
    let Some(latest) = latest else {
        return Ok(None);
    };
    let novel = summaries_by_ids(db, &[latest.novel_id]).await?.pop();
    let progress = progress(db, user_id, latest.novel_id).await?;
    Ok(novel.zip(progress))
}
