//! Reading progress: where a reader is in each novel. The newer `client_time` wins, whichever
//! device writes; a winning write moves the shelf and the history with it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::reading_progress;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryResult, Set, Statement,
};

use super::novel_chapter_count;
use super::writes::{Done, Job, ProgressWrites};
use crate::batch::padded;
use crate::catalog::ChapterText;
use crate::catalog_cache::CatalogCache;
use crate::chapter_batch::ChapterBatches;
use crate::db::{insert_or_update, micros};
use crate::{ServiceError, ServiceResult};

/// Where a reader is in a novel.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub novel_id: i64,
    pub chapter_id: i64,
    pub chapter_index: i32,
    pub chapter_title: String,
    pub offset: i32,
    pub percent: f64,
    /// The device's time of the write (as ordered: see `effective_client_time`).
    pub client_time: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The reader's progress in a novel, if any.
pub async fn progress(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<Option<Progress>> {
    let key = (user_id, novel_id);
    Ok(progress_of_pairs(db, &[key]).await?.remove(&key))
}

/// A progress write from a device.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressWrite {
    pub chapter_id: i64,
    pub offset: i32,
    pub percent: f64,
    pub client_time: DateTime<Utc>,
}

/// The earliest `client_time` accepted. A phone whose clock was reset (to 1970) sends times
/// before it; such a write is refused (422) rather than stored with a nonsense time.
fn client_time_floor() -> DateTime<Utc> {
    DateTime::from_timestamp(1_577_836_800, 0).unwrap_or_default() // 2020-01-01T00:00:00Z
}

/// A `client_time` further than this ahead of the server's clock is taken as the server's
/// now: a phone whose clock runs years ahead must not win "newer wins" forever.
const CLIENT_TIME_MAX_AHEAD_SECS: i64 = 300;

/// The `client_time` a write is ordered by (see `client_time_floor`, `CLIENT_TIME_MAX_AHEAD_SECS`).
fn effective_client_time(sent: DateTime<Utc>, now: DateTime<Utc>) -> ServiceResult<DateTime<Utc>> {
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
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub novel_id: i64,
    pub chapter_id: i64,
    pub position: i32,
    pub title: String,
    pub chapter_count: i32,
}

/// What a write must know of the reader's own rows in a novel before it writes.
#[derive(Debug, Clone, Default)]
pub(super) struct Stored {
    pub progress: Option<Progress>,
    /// Whether the novel is on the reader's shelf: a write moves the shelf only then.
    pub on_shelf: bool,
}

/// The select list and joins that read a reader's `Stored` rows for the novel whose id is the
/// column `$novel` (parameters: the reader's id twice). Written out: sea-query can't join a
/// table twice under two names; backticks quote names in MySQL and SQLite alike.
macro_rules! stored_sql {
    (select $select:expr, from $from:literal, novel $novel:literal, where $where:literal) => {
        concat!(
            "SELECT ",
            $select,
            "rp.`chapter_id` AS p_chapter_id, ",
            "rp.`chapter_index` AS p_chapter_index, sc.`title` AS p_chapter_title, ",
            "rp.`offset` AS p_offset, rp.`percent` AS p_percent, ",
            "rp.`client_time` AS p_client_time, rp.`updated_at` AS p_updated_at, ",
            "b.`id` AS shelf_id FROM ",
            $from,
            " LEFT JOIN `reading_progress` rp ON rp.`user_id` = ? AND rp.`novel_id` = ",
            $novel,
            " LEFT JOIN `chapters` sc ON sc.`id` = rp.`chapter_id`",
            " LEFT JOIN `bookshelf` b ON b.`user_id` = ? AND b.`novel_id` = ",
            $novel,
            " WHERE ",
            $where
        )
    };
}

impl Stored {
    fn read(row: &QueryResult, novel_id: i64) -> Result<Self, DbErr> {
        Ok(Self {
            progress: joined_progress(row, "", novel_id)?,
            on_shelf: row.try_get::<Option<i64>>("", "shelf_id")?.is_some(),
        })
    }
}

/// One query: the chapter, if it belongs to the novel, with the novel's chapter count, and the
/// reader's stored rows in the novel (the read of a transaction with one write).
pub(super) async fn target_and_stored(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    chapter_id: i64,
) -> ServiceResult<Option<(Target, Stored)>> {
    const SQL: &str = stored_sql!(
        select "ch.`id`, ch.`position`, ch.`title`, n.`chapter_count`, ",
        from "`chapters` ch JOIN `novels` n ON n.`id` = ch.`novel_id`",
        novel "ch.`novel_id`",
        where "ch.`id` = ? AND ch.`novel_id` = ?"
    );
    let values = [
        user_id.into(),
        user_id.into(),
        chapter_id.into(),
        novel_id.into(),
    ];
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), SQL, values);
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    let target = Target {
        novel_id,
        chapter_id: row.try_get("", "id")?,
        position: row.try_get("", "position")?,
        title: row.try_get("", "title")?,
        chapter_count: row.try_get("", "chapter_count")?,
    };
    Ok(Some((target, Stored::read(&row, novel_id)?)))
}

/// The read of a transaction with several writes, three queries whatever their number: the
/// chapters `chapter_ids` with their novels' chapter counts, by id, and the stored rows of
/// each (reader, novel) of `pairs` (a pair with none is left out).
pub(super) async fn targets_and_stored(
    db: &impl ConnectionTrait,
    chapter_ids: &[i64],
    pairs: &[(i64, i64)],
) -> ServiceResult<(HashMap<i64, Target>, HashMap<(i64, i64), Stored>)> {
    let backend = db.get_database_backend();
    // Only `?` marks are formatted in; lists are padded to a power of two by repeating their
    // last entry (a handful of statement shapes, each prepared once per connection).
    let ids = padded(chapter_ids.to_vec());
    let sql = format!(
        "SELECT ch.`id`, ch.`novel_id`, ch.`position`, ch.`title`, n.`chapter_count` \
         FROM `chapters` ch JOIN `novels` n ON n.`id` = ch.`novel_id` WHERE ch.`id` IN ({})",
        crate::batch::marks(ids.len())
    );
    let values = ids
        .iter()
        .map(|id| (*id).into())
        .collect::<Vec<sea_orm::Value>>();
    let mut targets = HashMap::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        let target = Target {
            novel_id: row.try_get("", "novel_id")?,
            chapter_id: row.try_get("", "id")?,
            position: row.try_get("", "position")?,
            title: row.try_get("", "title")?,
            chapter_count: row.try_get("", "chapter_count")?,
        };
        targets.insert(target.chapter_id, target);
    }

    let pairs = padded(pairs.to_vec());
    let mut stored: HashMap<(i64, i64), Stored> = HashMap::new();
    for (key, progress) in progress_of_pairs(db, &pairs).await? {
        stored.entry(key).or_default().progress = Some(progress);
    }
    let sql = format!(
        "SELECT b.`user_id`, b.`novel_id` FROM `bookshelf` b WHERE {}",
        pair_conditions("b", pairs.len())
    );
    for row in db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            pair_values(&pairs),
        ))
        .await?
    {
        let key = (row.try_get("", "user_id")?, row.try_get("", "novel_id")?);
        stored.entry(key).or_default().on_shelf = true;
    }
    Ok((targets, stored))
}

/// `(t.user_id = ? AND t.novel_id = ?) OR …`, `count` times.
fn pair_conditions(table: &str, count: usize) -> String {
    vec![format!("({table}.`user_id` = ? AND {table}.`novel_id` = ?)"); count].join(" OR ")
}

fn pair_values(pairs: &[(i64, i64)]) -> Vec<sea_orm::Value> {
    pairs
        .iter()
        .flat_map(|(u, n)| [(*u).into(), (*n).into()])
        .collect()
}

/// One query: the stored progress of each (reader, novel) of `pairs`, with chapter titles (a
/// pair with none is left out).
async fn progress_of_pairs(
    db: &impl ConnectionTrait,
    pairs: &[(i64, i64)],
) -> ServiceResult<HashMap<(i64, i64), Progress>> {
    // Only `?` marks are formatted in: readers and novels are parameters.
    let sql = format!(
        "SELECT rp.`user_id`, rp.`novel_id`, rp.`chapter_id` AS p_chapter_id, \
         rp.`chapter_index` AS p_chapter_index, sc.`title` AS p_chapter_title, \
         rp.`offset` AS p_offset, rp.`percent` AS p_percent, \
         rp.`client_time` AS p_client_time, rp.`updated_at` AS p_updated_at \
         FROM `reading_progress` rp LEFT JOIN `chapters` sc ON sc.`id` = rp.`chapter_id` \
         WHERE {}",
        pair_conditions("rp", pairs.len())
    );
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, pair_values(pairs));
    let mut found = HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let key = (row.try_get("", "user_id")?, row.try_get("", "novel_id")?);
        if let Some(progress) = joined_progress(&row, "", key.1)? {
            found.insert(key, progress);
        }
    }
    Ok(found)
}

/// `GET /progress/{novel_id}` reads, batched across readers (see `batch`): one query for every
/// reader who asked at the same moment. Cheap to clone.
#[derive(Clone)]
pub struct ProgressReads(crate::batch::Batches<(i64, i64), Progress>);

impl ProgressReads {
    /// Starts the batching task on `db` (the primary: reader data never goes to a replica).
    pub fn spawn(db: sea_orm::DatabaseConnection, deadline: std::time::Duration) -> Self {
        Self(crate::batch::Batches::spawn(
            "progress",
            move |pairs| {
                let db = db.clone();
                async move { progress_of_pairs(&db, &pairs).await }
            },
            deadline,
        ))
    }

    /// The reader's progress in the novel, if any.
    pub async fn load(&self, user_id: i64, novel_id: i64) -> ServiceResult<Option<Progress>> {
        self.0.load((user_id, novel_id)).await
    }
}

/// The error of a write whose chapter the read did not find in its novel: an unknown novel is
/// 404, a chapter of another novel 422.
pub(super) async fn missing_target(
    db: &impl ConnectionTrait,
    novel_id: i64,
) -> ServiceResult<ServiceError> {
    match novel_chapter_count(db, novel_id).await {
        Ok(_) => Ok(ServiceError::invalid(
            "chapter_id",
            "is not a chapter of this novel",
        )),
        Err(ServiceError::NotFound) => Ok(ServiceError::NotFound),
        Err(e) => Err(e),
    }
}

/// The progress columns a listing or lookup joined in (`p_chapter_id`, …, named so that they
/// don't clash with the row's own); `None` when the reader has none in the novel.
pub(super) fn joined_progress(
    row: &QueryResult,
    pre: &str,
    novel_id: i64,
) -> Result<Option<Progress>, DbErr> {
    let Some(chapter_id) = row.try_get::<Option<i64>>(pre, "p_chapter_id")? else {
        return Ok(None);
    };
    Ok(Some(Progress {
        novel_id,
        chapter_id,
        chapter_index: row.try_get(pre, "p_chapter_index")?,
        chapter_title: row
            .try_get::<Option<String>>(pre, "p_chapter_title")?
            .unwrap_or_default(),
        offset: row.try_get(pre, "p_offset")?,
        percent: row.try_get(pre, "p_percent")?,
        client_time: row.try_get(pre, "p_client_time")?,
        updated_at: row.try_get(pre, "p_updated_at")?,
    }))
}

/// `PUT /progress/{novel_id}`: the newer `client_time` wins; an older write returns the stored
/// progress unchanged and writes nothing. A write that wins moves the shelf's last read and
/// the history in the same short transaction (shared with other readers' writes, see
/// `writes`): one conditional write per row, in a fixed order (progress, history, shelf); a
/// lock race that still happens is run again.
pub async fn write_progress(
    writes: &ProgressWrites,
    user_id: i64,
    novel_id: i64,
    write: &ProgressWrite,
) -> ServiceResult<Progress> {
    let now = crate::db::now_micros();
    let client_time = effective_client_time(write.client_time, now)?;
    let job = Job::Put {
        write: write.clone(),
        client_time,
    };
    match writes.run(user_id, novel_id, now, job).await? {
        Done::Put(progress) => Ok(progress),
        Done::Touch(..) => Err(ServiceError::Internal("a write answered a read".into())),
    }
}

/// Stores `p` if it is newer than what is stored. With a row already there (the common case)
/// that is one conditional `UPDATE … WHERE client_time < ?`: it takes the row's exclusive lock
/// directly (no shared lock upgraded later, the deadlock of "insert-ignore then update"), and
/// the rows it matched say whether it applied. A first write is an `INSERT` that skips a row a
/// parallel first write just added; only then does the conditional update follow. True when
/// `p` was stored.
pub(super) async fn upsert_newer_progress(
    db: &impl ConnectionTrait,
    user_id: i64,
    p: &Progress,
    had_row: bool,
) -> ServiceResult<bool> {
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
    // sqlx connects to MySQL with CLIENT_FOUND_ROWS: the count is of rows matched, as SQLite's.
    let if_newer = reading_progress::Entity::update_many()
        .set(row.clone())
        .filter(reading_progress::Column::UserId.eq(user_id))
        .filter(reading_progress::Column::NovelId.eq(p.novel_id))
        .filter(reading_progress::Column::ClientTime.lt(p.client_time));
    if had_row {
        return Ok(if_newer.exec(db).await?.rows_affected == 1);
    }
    Ok(insert_or_update(db, row, if_newer).await?)
}

/// A chapter as a reader opens it: the cached text, and for a signed-in reader the progress
/// after the read (`None` inside for a reader with no progress; `None` outside when anonymous).
pub struct OpenedChapter {
    pub text: Arc<ChapterText>,
    pub progress: Option<Option<Progress>>,
}

/// `GET /novels/{id}/chapters/{chapter_id}`: the text from the catalog cache (a miss is read
/// by `batches`, together with other readers' misses, on the replica when there is one), and
/// for a signed-in reader the move to the start of the chapter (see `touch_in`). The text is
/// read before the write: a chapter of the long tail is a read from disk, and inside the write
/// it would hold the write's lane (and the other readers' writes queued behind it).
pub async fn open_chapter(
    writes: &ProgressWrites,
    batches: &ChapterBatches,
    cache: &CatalogCache,
    reader: Option<i64>,
    novel_id: i64,
    chapter_id: i64,
) -> ServiceResult<OpenedChapter> {
    let text = cache.chapter(batches, novel_id, chapter_id).await?;
    let Some(user_id) = reader else {
        return Ok(OpenedChapter {
            text,
            progress: None,
        });
    };
    let now = crate::db::now_micros();
    let Done::Touch(progress) = writes
        .run(user_id, novel_id, now, Job::Touch(text.clone()))
        .await?
    else {
        return Err(ServiceError::Internal("a read answered a write".into()));
    };
    Ok(OpenedChapter {
        text,
        progress: Some(progress),
    })
}
