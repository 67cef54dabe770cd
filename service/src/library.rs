//! The reader's own library: bookshelf, reading progress (newer client time wins) and browse
//! history. Every query is scoped by the reader's id; listings are a fixed number of queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{bookshelf, browse_history, chapter, novel, reading_progress};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use crate::catalog::{NovelSummary, summaries_by_ids};
use crate::catalog_cache::CatalogCache;
use crate::db::insert_ignore;
use crate::page::{PageRequest, Paged};
use crate::reader::Progress;
use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct ShelfItem {
    pub novel: NovelSummary,
    pub added_at: DateTime<Utc>,
    pub last_read: Option<Progress>,
    pub unread_chapters: i32,
    pub has_update: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub novel: NovelSummary,
    pub progress: Option<Progress>,
    pub viewed_at: DateTime<Utc>,
}

/// A progress write from a device.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressWrite {
    pub chapter_id: i64,
    pub offset: i32,
    pub percent: f64,
    pub client_time: DateTime<Utc>,
}

/// Microsecond precision, as stored by MySQL's DATETIME(6), so comparisons are exact.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The novels behind a page of reader rows and the reader's progress in them: one query for
/// the progress, novel summaries from the catalog cache (one more query for misses).
async fn novels_and_progress(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    ids: &[i64],
) -> ServiceResult<(HashMap<i64, NovelSummary>, HashMap<i64, Progress>)> {
    let novels = cache
        .summaries(db, ids)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let progress = crate::reader::progress_for(db, user_id, ids).await?;
    Ok((novels, progress))
}

/// `GET /bookshelf`: most recently read or added first. Three queries whatever the page size
/// (count, page, progress), plus two for novels missing from the catalog cache.
pub async fn shelf(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
) -> ServiceResult<Paged<ShelfItem>> {
    let base = bookshelf::Entity::find().filter(bookshelf::Column::UserId.eq(user_id));
    let total = base.clone().count(db).await?;
    let rows = base
        .order_by_desc(bookshelf::Column::SortAt)
        .order_by_desc(bookshelf::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.novel_id).collect();
    let (novels, mut progress) = novels_and_progress(db, cache, user_id, &ids).await?;
    let items = rows
        .into_iter()
        .filter_map(|r| {
            let novel = novels.get(&r.novel_id)?.clone();
            let last_read = progress.remove(&r.novel_id);
            let read = last_read.as_ref().map_or(0, |p| p.chapter_index);
            Some(ShelfItem {
                unread_chapters: (novel.chapter_count - read).max(0),
                has_update: novel.chapter_count > r.seen_chapter_count,
                added_at: r.added_at,
                last_read,
                novel,
            })
        })
        .collect();
    Ok(Paged::new(items, page, total))
}

async fn novel_chapter_count(db: &impl ConnectionTrait, novel_id: i64) -> ServiceResult<i32> {
    let count: Option<i32> = novel::Entity::find_by_id(novel_id)
        .select_only()
        .column(novel::Column::ChapterCount)
        .into_tuple()
        .one(db)
        .await?;
    count.ok_or(ServiceError::NotFound)
}

/// `PUT /bookshelf/{novel_id}`: `true` when added, `false` when it was already there.
pub async fn add_to_shelf(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<bool> {
    let chapters = novel_chapter_count(db, novel_id).await?;
    let now = Utc::now();
    let row = bookshelf::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        novel_id: Set(novel_id),
        seen_chapter_count: Set(chapters),
        added_at: Set(now),
        sort_at: Set(now),
    };
    Ok(insert_ignore(db, [row]).await? == 1)
}

/// `DELETE /bookshelf/{novel_id}`.
pub async fn remove_from_shelf(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<()> {
    let res = bookshelf::Entity::delete_many()
        .filter(bookshelf::Column::UserId.eq(user_id))
        .filter(bookshelf::Column::NovelId.eq(novel_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
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
    let res = bookshelf::Entity::delete_many()
        .filter(bookshelf::Column::UserId.eq(user_id))
        .filter(bookshelf::Column::NovelId.is_in(novel_ids.to_vec()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
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
    let progress = crate::reader::progress(db, user_id, latest.novel_id).await?;
    Ok(novel.zip(progress))
}

/// `PUT /progress/{novel_id}`: the newer `client_time` wins; an older write returns the stored
/// progress unchanged. A write that wins also moves the shelf's last read and the history, in
/// the same transaction.
pub async fn write_progress<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user_id: i64,
    novel_id: i64,
    write: &ProgressWrite,
) -> ServiceResult<Progress> {
    // Parallel first writes on MySQL can deadlock on the unique key; the loser runs again.
    crate::db::with_retry(|| async {
        let txn = crate::db::begin_read_committed(db).await?;
        let progress = write_progress_in(&txn, user_id, novel_id, write).await?;
        txn.commit().await?;
        Ok(progress)
    })
    .await
}

async fn write_progress_in(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    write: &ProgressWrite,
) -> ServiceResult<Progress> {
    let chapters = novel_chapter_count(db, novel_id).await?;
    let chapter = chapter::Entity::find_by_id(write.chapter_id)
        .filter(chapter::Column::NovelId.eq(novel_id))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::invalid("chapter_id", "is not a chapter of this novel"))?;
    let now = micros(Utc::now());
    let client_time = micros(write.client_time);
    let row = reading_progress::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        novel_id: Set(novel_id),
        chapter_id: Set(chapter.id),
        chapter_index: Set(chapter.position),
        offset: Set(write.offset),
        percent: Set(write.percent),
        client_time: Set(client_time),
        updated_at: Set(now),
    };
    let applied = if insert_ignore(db, [row]).await? == 1 {
        true
    } else {
        reading_progress::Entity::update_many()
            .col_expr(reading_progress::Column::ChapterId, Expr::value(chapter.id))
            .col_expr(
                reading_progress::Column::ChapterIndex,
                Expr::value(chapter.position),
            )
            .col_expr(reading_progress::Column::Offset, Expr::value(write.offset))
            .col_expr(
                reading_progress::Column::Percent,
                Expr::value(write.percent),
            )
            .col_expr(
                reading_progress::Column::ClientTime,
                Expr::value(client_time),
            )
            .col_expr(reading_progress::Column::UpdatedAt, Expr::value(now))
            .filter(reading_progress::Column::UserId.eq(user_id))
            .filter(reading_progress::Column::NovelId.eq(novel_id))
            .filter(reading_progress::Column::ClientTime.lt(client_time))
            .exec(db)
            .await?
            .rows_affected
            == 1
    };
    if applied {
        crate::reader::record_view(db, user_id, novel_id, chapters).await?;
        bookshelf::Entity::update_many()
            .col_expr(bookshelf::Column::SortAt, Expr::value(now))
            .filter(bookshelf::Column::UserId.eq(user_id))
            .filter(bookshelf::Column::NovelId.eq(novel_id))
            .exec(db)
            .await?;
    }
    crate::reader::progress(db, user_id, novel_id)
        .await?
        .ok_or_else(|| ServiceError::Internal("progress vanished".into()))
}

/// Opening a chapter while logged in moves the reader to its start, unless they are already
/// in that chapter or a newer progress exists (the server's clock is the client time).
pub async fn touch_chapter<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user_id: i64,
    novel_id: i64,
    chapter_id: i64,
    chapter_index: i32,
    chapter_count: i32,
) -> ServiceResult<Option<Progress>> {
    let current = crate::reader::progress(db, user_id, novel_id).await?;
    if current.as_ref().is_some_and(|p| p.chapter_id == chapter_id) {
        return Ok(current);
    }
    let percent = if chapter_count > 0 {
        f64::from(chapter_index - 1) * 100.0 / f64::from(chapter_count)
    } else {
        0.0
    };
    let write = ProgressWrite {
        chapter_id,
        offset: 0,
        percent: (percent * 100.0).round() / 100.0,
        client_time: Utc::now(),
    };
    write_progress(db, user_id, novel_id, &write)
        .await
        .map(Some)
}

/// `GET /history`: one row per novel, newest first. Three queries whatever the page size
/// (count, page, progress), plus two for novels missing from the catalog cache.
pub async fn history(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
) -> ServiceResult<Paged<HistoryItem>> {
    let base = browse_history::Entity::find().filter(browse_history::Column::UserId.eq(user_id));
    let total = base.clone().count(db).await?;
    let rows = base
        .order_by_desc(browse_history::Column::ViewedAt)
        .order_by_desc(browse_history::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.novel_id).collect();
    let (novels, mut progress) = novels_and_progress(db, cache, user_id, &ids).await?;
    let items = rows
        .into_iter()
        .filter_map(|r| {
            Some(HistoryItem {
                novel: novels.get(&r.novel_id)?.clone(),
                progress: progress.remove(&r.novel_id),
                viewed_at: r.viewed_at,
            })
        })
        .collect();
    Ok(Paged::new(items, page, total))
}

/// `DELETE /history/{novel_id}`.
pub async fn forget(db: &impl ConnectionTrait, user_id: i64, novel_id: i64) -> ServiceResult<()> {
    let res = browse_history::Entity::delete_many()
        .filter(browse_history::Column::UserId.eq(user_id))
        .filter(browse_history::Column::NovelId.eq(novel_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// `DELETE /history`.
pub async fn clear_history(db: &impl ConnectionTrait, user_id: i64) -> ServiceResult<()> {
    browse_history::Entity::delete_many()
        .filter(browse_history::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
