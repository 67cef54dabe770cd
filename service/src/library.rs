//! The reader's own library: bookshelf, reading progress (newer client time wins) and browse
//! history. Every query is scoped by the reader's id; listings are a fixed number of queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{bookshelf, browse_history, chapter, novel, reading_progress};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};

use crate::catalog::{NovelSummary, summaries_by_ids};
use crate::catalog_cache::CatalogCache;
use crate::db::{insert_ignore, micros};
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

/// A shelf row with the size of the whole shelf (a window count, so the page and the total
/// are one query).
#[derive(Debug, sea_orm::FromQueryResult)]
struct ShelfRow {
    novel_id: i64,
    seen_chapter_count: i32,
    added_at: DateTime<Utc>,
    total: i64,
}

/// `GET /bookshelf`: most recently read or added first. Two queries whatever the page size
/// (the page with its total, the progress), plus two for novels missing from the catalog
/// cache; a page past the end costs one more (the count).
pub async fn shelf(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
) -> ServiceResult<Paged<ShelfItem>> {
    let base = bookshelf::Entity::find().filter(bookshelf::Column::UserId.eq(user_id));
    let rows: Vec<ShelfRow> = base
        .clone()
        .select_only()
        .column(bookshelf::Column::NovelId)
        .column(bookshelf::Column::SeenChapterCount)
        .column(bookshelf::Column::AddedAt)
        .column_as(Expr::cust("COUNT(*) OVER ()"), "total")
        .order_by_desc(bookshelf::Column::SortAt)
        .order_by_desc(bookshelf::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .into_model()
        .all(db)
        .await?;
    let total = match rows.first() {
        Some(r) => u64::try_from(r.total).unwrap_or(0),
        None => base.count(db).await?,
    };
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
    let removed = crate::db::with_retry(|| async {
        Ok(bookshelf::Entity::delete_many()
            .filter(bookshelf::Column::UserId.eq(user_id))
            .filter(bookshelf::Column::NovelId.eq(novel_id))
            .exec(db)
            .await?
            .rows_affected)
    })
    .await?;
    if removed == 0 {
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

/// The earliest `client_time` accepted. A phone whose clock was reset (to 1970) sends times
/// before it; such a write is refused (422) rather than stored with a nonsense time.
pub fn client_time_floor() -> DateTime<Utc> {
    DateTime::from_timestamp(1_577_836_800, 0).unwrap_or_default() // 2020-01-01T00:00:00Z
}

/// A `client_time` further than this ahead of the server's clock is taken as the server's
/// now: a phone whose clock runs years ahead must not win "newer wins" forever.
pub const CLIENT_TIME_MAX_AHEAD_SECS: i64 = 300;

/// The `client_time` a write is ordered by (see `client_time_floor`, `CLIENT_TIME_MAX_AHEAD_SECS`).
pub fn effective_client_time(
    sent: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ServiceResult<DateTime<Utc>> {
    if sent < client_time_floor() {
        return Err(ServiceError::invalid(
            "client_time",
            "is before 2020-01-01T00:00:00Z: the device clock is wrong",
        ));
    }
    if sent > now + chrono::Duration::seconds(CLIENT_TIME_MAX_AHEAD_SECS) {
        return Ok(now);
    }
    Ok(micros(sent))
}

/// The chapter a progress write points at, with what the write needs of its novel.
struct Target {
    chapter_id: i64,
    position: i32,
    title: String,
    chapter_count: i32,
}

/// One query: the chapter, if it belongs to the novel, with the novel's chapter count.
async fn target(
    db: &impl ConnectionTrait,
    novel_id: i64,
    chapter_id: i64,
) -> ServiceResult<Target> {
    let row: Option<(i64, i32, String, i32)> = chapter::Entity::find_by_id(chapter_id)
        .select_only()
        .column(chapter::Column::Id)
        .column(chapter::Column::Position)
        .column(chapter::Column::Title)
        .column(novel::Column::ChapterCount)
        .join(
            JoinType::InnerJoin,
            chapter::Entity::belongs_to(novel::Entity)
                .from(chapter::Column::NovelId)
                .to(novel::Column::Id)
                .into(),
        )
        .filter(chapter::Column::NovelId.eq(novel_id))
        .into_tuple()
        .one(db)
        .await?;
    match row {
        Some((chapter_id, position, title, chapter_count)) => Ok(Target {
            chapter_id,
            position,
            title,
            chapter_count,
        }),
        // Only on the error path: tell an unknown novel (404) from a wrong chapter (422).
        None => {
            novel_chapter_count(db, novel_id).await?;
            Err(ServiceError::invalid(
                "chapter_id",
                "is not a chapter of this novel",
            ))
        }
    }
}

/// `PUT /progress/{novel_id}`: the newer `client_time` wins; an older write returns the stored
/// progress unchanged and writes nothing. A write that wins moves the shelf's last read and
/// the history in the same short transaction: one conditional write per row, in a fixed order
/// (progress, history, shelf); a lock race that still happens is run again.
pub async fn write_progress<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user_id: i64,
    novel_id: i64,
    write: &ProgressWrite,
) -> ServiceResult<Progress> {
    let now = crate::db::now_micros();
    let client_time = effective_client_time(write.client_time, now)?;
    // One short transaction: its reads decide, its writes follow (a read inside it also spares
    // the connection check sqlx makes after every statement outside one).
    crate::db::with_retry(|| async {
        let txn = crate::db::begin_write(db).await?;
        let target = target(&txn, novel_id, write.chapter_id).await?;
        let stored = crate::reader::progress(&txn, user_id, novel_id).await?;
        let progress = store_if_newer(
            &txn,
            user_id,
            novel_id,
            &target,
            write,
            client_time,
            now,
            stored,
        )
        .await?;
        txn.commit().await?;
        Ok(progress)
    })
    .await
}

/// Inside the caller's transaction: stores the write when it is newer than `stored`, moving the
/// history and the shelf with it; returns what is stored afterwards.
#[allow(clippy::too_many_arguments)] // one private step of two public entry points
async fn store_if_newer(
    txn: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    target: &Target,
    write: &ProgressWrite,
    client_time: DateTime<Utc>,
    now: DateTime<Utc>,
    stored: Option<Progress>,
) -> ServiceResult<Progress> {
    if let Some(stored) = stored.as_ref().filter(|p| p.client_time >= client_time) {
        return Ok(stored.clone());
    }
    let ours = Progress {
        novel_id,
        chapter_id: target.chapter_id,
        chapter_index: target.position,
        chapter_title: target.title.clone(),
        offset: write.offset,
        percent: write.percent,
        client_time,
        updated_at: now,
    };
    if !upsert_newer_progress(txn, user_id, &ours, stored.is_some()).await? {
        // A newer write from another device landed between our read and our write.
        return crate::reader::progress(txn, user_id, novel_id)
            .await?
            .ok_or_else(|| ServiceError::Internal("progress vanished".into()));
    }
    crate::reader::touch_history(txn, user_id, novel_id).await?;
    // Reading moves the novel up the shelf and marks its chapters as seen.
    bookshelf::Entity::update_many()
        .col_expr(bookshelf::Column::SortAt, Expr::value(now))
        .col_expr(
            bookshelf::Column::SeenChapterCount,
            Expr::value(target.chapter_count),
        )
        .filter(bookshelf::Column::UserId.eq(user_id))
        .filter(bookshelf::Column::NovelId.eq(novel_id))
        .exec(txn)
        .await?;
    Ok(ours)
}

/// Stores `p` if it is newer than what is stored. With a row already there (the common case)
/// that is one conditional `UPDATE … WHERE client_time < ?`: it takes the row's exclusive lock
/// directly (no shared lock upgraded later, the deadlock of "insert-ignore then update"), and
/// the rows it matched say whether it applied. A first write is an `INSERT` that skips a row a
/// parallel first write just added; only then does the conditional update follow. True when
/// `p` was stored.
async fn upsert_newer_progress(
    db: &impl ConnectionTrait,
    user_id: i64,
    p: &Progress,
    had_row: bool,
) -> ServiceResult<bool> {
    if !had_row {
        let row = reading_progress::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            novel_id: Set(p.novel_id),
            chapter_id: Set(p.chapter_id),
            chapter_index: Set(p.chapter_index),
            offset: Set(p.offset),
            percent: Set(p.percent),
            client_time: Set(p.client_time),
            updated_at: Set(p.updated_at),
        };
        if insert_ignore(db, [row]).await? == 1 {
            return Ok(true);
        }
    }
    // sqlx connects to MySQL with CLIENT_FOUND_ROWS: the count is of rows matched, as SQLite's.
    let updated = reading_progress::Entity::update_many()
        .col_expr(
            reading_progress::Column::ChapterId,
            Expr::value(p.chapter_id),
        )
        .col_expr(
            reading_progress::Column::ChapterIndex,
            Expr::value(p.chapter_index),
        )
        .col_expr(reading_progress::Column::Offset, Expr::value(p.offset))
        .col_expr(reading_progress::Column::Percent, Expr::value(p.percent))
        .col_expr(
            reading_progress::Column::ClientTime,
            Expr::value(p.client_time),
        )
        .col_expr(
            reading_progress::Column::UpdatedAt,
            Expr::value(p.updated_at),
        )
        .filter(reading_progress::Column::UserId.eq(user_id))
        .filter(reading_progress::Column::NovelId.eq(p.novel_id))
        .filter(reading_progress::Column::ClientTime.lt(p.client_time))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// A signed-in reader opened a novel: its history row moves to the top (retried when it
/// loses a lock race with the reader's other writes).
pub async fn record_view(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    chapter_count: i32,
) -> ServiceResult<()> {
    crate::db::with_retry(|| crate::reader::record_view(db, user_id, novel_id, chapter_count)).await
}

/// A chapter as a reader opens it: the cached text, and for a signed-in reader the progress
/// after the read (`None` inside for a reader with no progress; `None` outside when anonymous).
pub struct OpenedChapter {
    pub text: std::sync::Arc<crate::catalog::ChapterText>,
    pub progress: Option<Option<Progress>>,
}

/// `GET /novels/{id}/chapters/{chapter_id}`: the text from the catalog cache (misses read
/// `read`, the replica when there is one); a signed-in
/// reader is moved to the start of the chapter, unless already in it or a newer progress
/// exists (the server's clock is the client time).
pub async fn open_chapter<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    read: &impl ConnectionTrait,
    cache: &CatalogCache,
    reader: Option<i64>,
    novel_id: i64,
    chapter_id: i64,
) -> ServiceResult<OpenedChapter> {
    let text = cache.chapter(read, novel_id, chapter_id).await?;
    let Some(user_id) = reader else {
        return Ok(OpenedChapter {
            text,
            progress: None,
        });
    };
    let chapter_count = cache
        .novel_detail(db, novel_id)
        .await?
        .summary
        .chapter_count;
    let target = Target {
        chapter_id: text.meta.id,
        position: text.meta.index,
        title: text.meta.title.clone(),
        chapter_count,
    };
    let progress = touch_chapter(db, user_id, novel_id, &target).await?;
    Ok(OpenedChapter {
        text,
        progress: Some(progress),
    })
}

async fn touch_chapter<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user_id: i64,
    novel_id: i64,
    target: &Target,
) -> ServiceResult<Option<Progress>> {
    let percent = if target.chapter_count > 0 {
        f64::from(target.position - 1) * 100.0 / f64::from(target.chapter_count)
    } else {
        0.0
    };
    let now = crate::db::now_micros();
    let write = ProgressWrite {
        chapter_id: target.chapter_id,
        offset: 0,
        percent: (percent * 100.0).round() / 100.0,
        client_time: now,
    };
    crate::db::with_retry(|| async {
        let txn = crate::db::begin_write(db).await?;
        let current = crate::reader::progress(&txn, user_id, novel_id).await?;
        let progress = if current
            .as_ref()
            .is_some_and(|p| p.chapter_id == target.chapter_id)
        {
            current
        } else {
            Some(store_if_newer(&txn, user_id, novel_id, target, &write, now, now, current).await?)
        };
        txn.commit().await?;
        Ok(progress)
    })
    .await
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
