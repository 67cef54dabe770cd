//! The bookshelf: the novels a reader keeps, most recently read or added first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{bookshelf, reading_progress};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, Set, Statement, Value,
};

use super::{Listed, Progress, finish_page, novel_chapter_count, progress};
use crate::batch::{Batches, by_id, marks, pad};
use crate::catalog::{NovelSummary, summaries_by_ids};
use crate::catalog_cache::CatalogCache;
use crate::db::{Stamp, insert_ignore, instant_sql};
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct ShelfItem {
    pub novel: Arc<NovelSummary>,
    pub added_at: DateTime<Utc>,
    pub last_read: Option<Progress>,
    pub unread_chapters: i32,
    pub has_update: bool,
}

#[derive(Debug, Clone, sea_orm::FromQueryResult)]
struct ShelfRow {
    seen_chapter_count: i32,
    added_at: Stamp,
}

/// A page of one reader's shelf: (reader, offset, page size).
type PageKey = (i64, u64, u64);

/// `GET /bookshelf` pages, batched across readers (see `batch`): one query for the pages of
/// every reader who opened the shelf at the same moment. Cheap to clone.
#[derive(Clone)]
pub struct ShelfPages(Batches<PageKey, Arc<Vec<Listed<ShelfRow>>>>);

impl ShelfPages {
    /// Starts the batching task on `db` (the primary: reader data never goes to a replica).
    pub fn spawn(db: DatabaseConnection, deadline: Duration) -> Self {
        Self(Batches::spawn(
            "shelf",
            crate::batch::READER_DATA_IN_FLIGHT,
            move |keys| {
                let db = db.clone();
                async move { read_pages(&db, &keys).await }
            },
            deadline,
        ))
    }
}

/// One query: the shelf pages `keys`, each with its rows' progress and the shelf's size (a
/// window count). A page with no rows (an empty shelf, a page past the end) is left out.
async fn read_pages(
    db: &impl ConnectionTrait,
    keys: &[PageKey],
) -> ServiceResult<HashMap<PageKey, Arc<Vec<Listed<ShelfRow>>>>> {
    let mut keys = keys.to_vec();
    keys.dedup(); // sorted, padded with repeats
    // Only `?` marks are formatted in: readers and bounds are parameters. Backticks quote
    // names in MySQL and SQLite alike.
    let ranges = vec!["(x.`user_id` = ? AND x.`rn` > ? AND x.`rn` <= ?)"; keys.len()].join(" OR ");
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT x.`user_id`, x.`rn`, x.`novel_id`, x.`seen_chapter_count`, \
         {added_at} AS added_at, \
         x.`total`, rp.`chapter_id` AS p_chapter_id, rp.`chapter_index` AS p_chapter_index, \
         c.`title` AS p_chapter_title, rp.`offset` AS p_offset, rp.`percent` AS p_percent, \
         {client_time} AS p_client_time, {updated_at} AS p_updated_at \
         FROM (SELECT b.`user_id`, b.`novel_id`, b.`seen_chapter_count`, b.`added_at`, \
           COUNT(*) OVER (PARTITION BY b.`user_id`) AS total, \
           ROW_NUMBER() OVER (PARTITION BY b.`user_id` \
             ORDER BY b.`sort_at` DESC, b.`id` DESC) AS rn \
           FROM `bookshelf` b WHERE b.`user_id` IN ({})) x \
         LEFT JOIN `reading_progress` rp \
           ON rp.`user_id` = x.`user_id` AND rp.`novel_id` = x.`novel_id` \
         LEFT JOIN `chapters` c ON c.`id` = rp.`chapter_id` \
         WHERE {ranges} ORDER BY x.`user_id`, x.`rn`",
        marks(keys.len()),
        added_at = instant_sql(backend, "x.`added_at`"),
        client_time = instant_sql(backend, "rp.`client_time`"),
        updated_at = instant_sql(backend, "rp.`updated_at`"),
    );
    let bound = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let mut values: Vec<Value> = keys.iter().map(|k| k.0.into()).collect();
    for (user, offset, size) in &keys {
        values.extend([(*user).into(), bound(*offset).into()]);
        values.push(bound(offset.saturating_add(*size)).into());
    }
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    let mut pages: HashMap<PageKey, Vec<Listed<ShelfRow>>> = HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let user: i64 = row.try_get("", "user_id")?;
        let rn = u64::try_from(row.try_get::<i64>("", "rn")?).unwrap_or(0);
        let listed = Listed::<ShelfRow>::from_query_result(&row, "")?;
        let wanting = keys.iter().filter(|(u, offset, size)| {
            *u == user && rn > *offset && rn <= offset.saturating_add(*size)
        });
        for key in wanting {
            pages.entry(*key).or_default().push(listed.clone());
        }
    }
    Ok(pages.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
}

/// `GET /bookshelf`: most recently read or added first; the page, its total and the progress
/// are one query shared with other readers' pages (`ShelfPages`), plus one for novels missing
/// from the catalog cache; an empty page costs one more (the count).
pub async fn shelf(
    db: &impl ConnectionTrait,
    pages: &ShelfPages,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
) -> ServiceResult<Paged<ShelfItem>> {
    let key = (user_id, page.offset(), page.per_page);
    let (found, total) = match pages.0.load(key).await? {
        Some(found) => {
            let total = found.first().map_or(0, |r| r.total);
            (found.as_ref().clone(), u64::try_from(total).unwrap_or(0))
        }
        None => {
            let on_shelf = bookshelf::Entity::find().filter(bookshelf::Column::UserId.eq(user_id));
            (Vec::new(), on_shelf.count(db).await?)
        }
    };
    finish_page(
        db,
        cache,
        found,
        page,
        total,
        |r: ShelfRow, novel, last_read| {
            let read = last_read.as_ref().map_or(0, |p| p.chapter_index);
            ShelfItem {
                unread_chapters: (novel.chapter_count - read).max(0),
                has_update: novel.chapter_count > r.seen_chapter_count,
                added_at: r.added_at.0,
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
    let _turn = one_at_a_time(user_id).lock().await;
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

/// Shelf changes of one reader run one at a time on this instance (readers are striped over
/// 64 locks). InnoDB deadlocks concurrent `INSERT IGNORE`s of one key (each holds the
/// duplicate's S lock and waits for the other before it can insert), most of all while
/// removals leave delete-marked rows behind: 64 clients adding and removing one novel ran
/// through the retries of `with_retry` into 503s. Between instances they stay retried
/// deadlocks; a request's deadline bounds the wait for the lock.
fn one_at_a_time(user_id: i64) -> &'static tokio::sync::Mutex<()> {
    const STRIPES: i64 = 64;
    static LOCKS: std::sync::LazyLock<Vec<tokio::sync::Mutex<()>>> =
        std::sync::LazyLock::new(|| (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect());
    let stripe = usize::try_from(user_id.rem_euclid(STRIPES)).unwrap_or(0);
    &LOCKS[stripe]
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
    let _turn = one_at_a_time(user_id).lock().await;
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

/// The shelf rows `(id, chapter_count, read_at)` were read: each moves to the top of its
/// reader's shelf with its chapters marked as seen; one statement whatever their number. A row
/// removed since it was read is simply not there (as if removed after the read).
pub(super) async fn mark_read(
    db: &impl ConnectionTrait,
    rows: &[(i64, i32, DateTime<Utc>)],
) -> ServiceResult<()> {
    use bookshelf::Column as C;
    if rows.is_empty() {
        return Ok(());
    }
    let rows = pad(rows.to_vec());
    let sort_at = rows.iter().map(|(id, _, at)| (*id, (*at).into()));
    let seen = rows.iter().map(|(id, count, _)| (*id, (*count).into()));
    bookshelf::Entity::update_many()
        .col_expr(C::SortAt, by_id(C::Id, C::SortAt, sort_at))
        .col_expr(C::SeenChapterCount, by_id(C::Id, C::SeenChapterCount, seen))
        .filter(C::Id.is_in(rows.iter().map(|r| r.0)))
        .exec(db)
        .await?;
    Ok(())
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
