//! Reading progress: where a reader is in each novel. The newer `client_time` wins, whichever
//! device writes; a winning write moves the shelf and the history with it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::reading_progress;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryResult, Set, SqlErr, Statement,
};

use super::novel_chapter_count;
use super::writes::{Done, Job, ProgressWrites};
use crate::batch::{by_id, pad};
use crate::catalog::ChapterText;
use crate::catalog_cache::CatalogCache;
use crate::chapter_batch::ChapterBatches;
use crate::db::{Stamp, instant_sql, micros};
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
    /// The progress row's id, when there is one: a winning write updates it by id.
    pub progress_row: Option<i64>,
    /// The shelf row's id when the novel is on the reader's shelf: a write moves the shelf
    /// only then.
    pub shelf_row: Option<i64>,
}

/// The read of `read_for_writes` after its list of wants `w` (arm, reader, chapter, novel):
/// each want's chapter if it belongs to its novel, with the novel's chapter count, and the
/// reader's rows in it. Written out: sea-query can't join a table twice under two names;
/// backticks quote names in MySQL and SQLite alike; the instants are `instant_sql`'s.
macro_rules! read_wants {
    () => { concat!(
    "SELECT w.`arm`, ch.`id`, ch.`position`, ch.`title`, n.`chapter_count`, rp.`id` AS p_id, ",
    "rp.`chapter_id` AS p_chapter_id, rp.`chapter_index` AS p_chapter_index, ",
    "sc.`title` AS p_chapter_title, rp.`offset` AS p_offset, rp.`percent` AS p_percent, ",
    "{client_time} AS p_client_time, {updated_at} AS p_updated_at, b.`id` AS shelf_id ",
    "FROM w JOIN `chapters` ch ON ch.`id` = w.`c` AND ch.`novel_id` = w.`nv` ",
    "JOIN `novels` n ON n.`id` = ch.`novel_id` ",
    "LEFT JOIN `reading_progress` rp ON rp.`user_id` = w.`u` AND rp.`novel_id` = ch.`novel_id` ",
    "LEFT JOIN `chapters` sc ON sc.`id` = rp.`chapter_id` ",
    "LEFT JOIN `bookshelf` b ON b.`user_id` = w.`u` AND b.`novel_id` = ch.`novel_id`"
    ) };
}

/// The read of a write transaction, one query whatever the number of writes: for each
/// (reader, novel, chapter) of `wants`, the chapter with what a write needs of its novel and
/// the reader's stored rows in the novel; `None` when the novel has no such chapter.
pub(super) async fn read_for_writes(
    db: &impl ConnectionTrait,
    wants: &[(i64, i64, i64)],
) -> ServiceResult<Vec<Option<(Target, Stored)>>> {
    if wants.is_empty() {
        return Ok(Vec::new());
    }
    // The wants are a table of parameters joined once, rather than one `UNION` arm per want
    // each joining five tables: MariaDB plans every arm on every execution, which cost 1.9 ms
    // for 16 wants against 0.7 ms this way. The list is padded to a power of two with wants
    // that match nothing (a handful of statement shapes, each prepared once per connection).
    // Only `?` marks are formatted in; arms, readers, novels and chapters are parameters.
    let rows = wants.len().next_power_of_two();
    let backend = db.get_database_backend();
    let sql = format!(
        concat!("WITH w (`arm`, `u`, `c`, `nv`) AS ({}) ", read_wants!()),
        vec!["SELECT ?, ?, ?, ?"; rows].join(" UNION ALL "),
        client_time = instant_sql(backend, "rp.`client_time`"),
        updated_at = instant_sql(backend, "rp.`updated_at`"),
    );
    let values = (0..rows)
        .flat_map(|arm| {
            let (user, novel, chapter) = wants.get(arm).copied().unwrap_or((0, 0, 0));
            let arm = i64::try_from(arm).unwrap_or(i64::MAX);
            [arm.into(), user.into(), chapter.into(), novel.into()]
        })
        .collect::<Vec<sea_orm::Value>>();
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    let mut found = vec![None; wants.len()];
    for row in db.query_all_raw(stmt).await? {
        let arm = usize::try_from(row.try_get::<i64>("", "arm")?).unwrap_or(usize::MAX);
        let (Some(slot), Some(&(_, novel_id, _))) = (found.get_mut(arm), wants.get(arm)) else {
            continue; // a padding arm
        };
        let target = Target {
            novel_id,
            chapter_id: row.try_get("", "id")?,
            position: row.try_get("", "position")?,
            title: row.try_get("", "title")?,
            chapter_count: row.try_get("", "chapter_count")?,
        };
        let stored = Stored {
            progress: joined_progress(&row, "", novel_id)?,
            progress_row: row.try_get("", "p_id")?,
            shelf_row: row.try_get("", "shelf_id")?,
        };
        *slot = Some((target, stored));
    }
    Ok(found)
}

/// One query: the stored progress of each (reader, novel) of `pairs`, with chapter titles (a
/// pair with none is left out).
async fn progress_of_pairs(
    db: &impl ConnectionTrait,
    pairs: &[(i64, i64)],
) -> ServiceResult<HashMap<(i64, i64), Progress>> {
    if pairs.is_empty() {
        return Ok(HashMap::new());
    }
    // The pairs are a table of parameters joined once (`UNION`: a batch is padded with
    // repeats), not `(user_id = ? AND novel_id = ?) OR …`, which MariaDB's range optimizer
    // took 700 µs over for 8 pairs against 420 µs this way. Only `?` marks are formatted in:
    // readers and novels are parameters.
    let backend = db.get_database_backend();
    let sql = format!(
        "WITH w (`u`, `nv`) AS ({}) \
         SELECT rp.`user_id`, rp.`novel_id`, rp.`chapter_id` AS p_chapter_id, \
         rp.`chapter_index` AS p_chapter_index, sc.`title` AS p_chapter_title, \
         rp.`offset` AS p_offset, rp.`percent` AS p_percent, \
         {client_time} AS p_client_time, {updated_at} AS p_updated_at \
         FROM w JOIN `reading_progress` rp ON rp.`user_id` = w.`u` AND rp.`novel_id` = w.`nv` \
         LEFT JOIN `chapters` sc ON sc.`id` = rp.`chapter_id`",
        vec!["SELECT ?, ?"; pairs.len()].join(" UNION "),
        client_time = instant_sql(backend, "rp.`client_time`"),
        updated_at = instant_sql(backend, "rp.`updated_at`"),
    );
    let values: Vec<sea_orm::Value> = pairs
        .iter()
        .flat_map(|(u, n)| [(*u).into(), (*n).into()])
        .collect();
    let stmt = Statement::from_sql_and_values(backend, sql, values);
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
            crate::batch::READER_DATA_IN_FLIGHT,
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
        client_time: row.try_get::<Stamp>(pre, "p_client_time")?.0,
        updated_at: row.try_get::<Stamp>(pre, "p_updated_at")?.0,
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

/// A winning write of a transaction: the reader, the progress to store, and the id of the
/// progress row it replaces (`None` for a first write).
pub(super) struct Winner<'a> {
    pub user_id: i64,
    pub progress: &'a Progress,
    pub row: Option<i64>,
}

/// Stores the winning writes of a transaction, at most two statements whatever their number:
/// one `UPDATE … WHERE (id = ? AND client_time < ?) OR …` of the rows already there (the
/// common case: it takes their exclusive locks directly, no shared lock upgraded later, and
/// the rows it matched say whether every write still wins), then one `INSERT` of the first
/// writes. False when another writer got there first since the read (a newer progress landed,
/// or a parallel first write was inserted): the caller runs the transaction again. (Another
/// writer is another instance: a lane never shares a reader.)
pub(super) async fn store_progress(
    db: &impl ConnectionTrait,
    winners: &[Winner<'_>],
) -> ServiceResult<bool> {
    use reading_progress::Column as C;
    let (known, first): (Vec<_>, Vec<_>) = winners.iter().partition(|w| w.row.is_some());
    let known: Vec<(i64, &Progress)> = known
        .iter()
        .filter_map(|w| w.row.map(|id| (id, w.progress)))
        .collect();
    let rows = known.len() as u64;
    if rows > 0 {
        // A repeat (padding) matches the same row, which is counted once.
        let padded = pad(known);
        let by_id = |column: C, value: fn(&Progress) -> sea_orm::Value| {
            by_id(C::Id, column, padded.iter().map(|(id, p)| (*id, value(p))))
        };
        let newer = padded.iter().fold(Condition::any(), |any, (id, p)| {
            any.add(
                Condition::all()
                    .add(C::Id.eq(*id))
                    .add(C::ClientTime.lt(p.client_time)),
            )
        });
        // sqlx connects to MySQL with CLIENT_FOUND_ROWS: the count is of rows matched, as
        // SQLite's.
        let matched = reading_progress::Entity::update_many()
            .col_expr(C::ChapterId, by_id(C::ChapterId, |p| p.chapter_id.into()))
            .col_expr(
                C::ChapterIndex,
                by_id(C::ChapterIndex, |p| p.chapter_index.into()),
            )
            .col_expr(C::Offset, by_id(C::Offset, |p| p.offset.into()))
            .col_expr(C::Percent, by_id(C::Percent, |p| p.percent.into()))
            .col_expr(C::UpdatedAt, by_id(C::UpdatedAt, |p| p.updated_at.into()))
            .col_expr(
                C::ClientTime,
                by_id(C::ClientTime, |p| p.client_time.into()),
            )
            .filter(newer)
            .exec(db)
            .await?
            .rows_affected;
        if matched != rows {
            return Ok(false);
        }
    }
    if first.is_empty() {
        return Ok(true);
    }
    let rows = first.iter().map(|w| reading_progress::ActiveModel {
        id: NotSet,
        user_id: Set(w.user_id),
        novel_id: Set(w.progress.novel_id),
        chapter_id: Set(w.progress.chapter_id),
        chapter_index: Set(w.progress.chapter_index),
        offset: Set(w.progress.offset),
        percent: Set(w.progress.percent),
        client_time: Set(w.progress.client_time),
        updated_at: Set(w.progress.updated_at),
    });
    match reading_progress::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A chapter as a reader opens it: the cached text, and for a signed-in reader the progress
/// after the read (`None` inside for a reader with no progress; `None` outside when anonymous).
pub struct OpenedChapter {
    pub text: Arc<ChapterText>,
    pub progress: Option<Option<Progress>>,
}

/// `GET /novels/{id}/chapters/{chapter_id}`: the text from the catalog cache (a miss is read
/// by `batches`, together with other readers' misses, on the replica when there is one), and
/// for a signed-in reader the move to the start of the chapter (see `touch_in`). The read and
/// the write run at once, so each batches with every reader in flight, not only with those in
/// the same phase: on two cores, chapter batches of signed-in reads grew from 2.6–2.8 to
/// 3.2–3.8 reads and write batches from 6.3 to 8.4, and the database's CPU per read fell by
/// 7–18 %. The write checks the chapter itself (no write for a chapter that is not the
/// novel's). If the text fails (database unavailable) after the write committed, the reader
/// is left at the start of that chapter, as the retry would leave them anyway.
pub async fn open_chapter(
    writes: &ProgressWrites,
    batches: &ChapterBatches,
    cache: &CatalogCache,
    reader: Option<i64>,
    novel_id: i64,
    chapter_id: i64,
) -> ServiceResult<OpenedChapter> {
    let read = cache.chapter(batches, novel_id, chapter_id);
    let Some(user_id) = reader else {
        return Ok(OpenedChapter {
            text: read.await?,
            progress: None,
        });
    };
    let now = crate::db::now_micros();
    let write = writes.run(user_id, novel_id, now, Job::Touch(chapter_id));
    let (text, done) = tokio::try_join!(read, write)?;
    let Done::Touch(progress) = done else {
        return Err(ServiceError::Internal("a read answered a write".into()));
    };
    Ok(OpenedChapter {
        text,
        progress: Some(progress),
    })
}
