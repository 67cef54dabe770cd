//! The reader's own library: the bookshelf (`shelf`), reading progress (`progress`: the newer
//! client time wins) and browse history (`history`). Every query is scoped by the reader's id;
//! listings are a fixed number of queries.

mod history;
mod progress;
mod shelf;
mod writes;

use std::collections::HashMap;
use std::sync::Arc;

use entity::novel;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryResult, QuerySelect, RelationTrait, Select,
};

pub use history::{
    HistoryItem, OpenedNovel, ReaderView, clear_history, forget, history, open_novel,
};
pub use progress::{
    OpenedChapter, Progress, ProgressReads, ProgressWrite, open_chapter, progress, write_progress,
};
pub use shelf::{
    ShelfItem, ShelfPages, add_to_shelf, last_read, remove_from_shelf, remove_many_from_shelf,
    shelf,
};
pub use writes::ProgressWrites;

use crate::catalog::NovelSummary;
use crate::catalog_cache::CatalogCache;
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

/// A row of one of the reader's lists, with the novel it is about, the reader's progress in
/// it and the size of the whole list (a window count): the page, its total and the progress
/// are one query.
#[derive(Clone)]
struct Listed<R> {
    novel_id: i64,
    total: i64,
    progress: Option<Progress>,
    row: R,
}

impl<R: FromQueryResult> FromQueryResult for Listed<R> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let novel_id = res.try_get(pre, "novel_id")?;
        let progress = progress::joined_progress(res, pre, novel_id)?;
        Ok(Self {
            novel_id,
            total: res.try_get(pre, "total")?,
            progress,
            row: R::from_query_result(res, pre)?,
        })
    }
}

/// A page of one of the reader's lists (the rows of table `E` whose reader column, the first
/// of `keys`, is `user_id`, with the columns and order `shape` gives them; the two `keys`, its
/// reader and novel columns, join each row to the reader's progress in the novel) made into
/// items with
/// the novel behind each row and that progress. One query whatever the page size, plus one
/// for novels missing from the catalog cache; a page past the end costs one more (the count).
async fn list_page<E, R, T>(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
    keys: (E::Column, E::Column),
    shape: impl FnOnce(Select<E>) -> Select<E>,
    item: impl Fn(R, Arc<NovelSummary>, Option<Progress>) -> T,
) -> ServiceResult<Paged<T>>
where
    E: EntityTrait<Model: Sync>,
    R: FromQueryResult + Send + Sync,
{
    use entity::{chapter, reading_progress as rp};
    let backend = db.get_database_backend();
    let instant = |col: &str| {
        Expr::cust(crate::db::instant_sql(
            backend,
            &format!("`reading_progress`.`{col}`"),
        ))
    };
    let rows = E::find().filter(keys.0.eq(user_id));
    let progress = E::belongs_to(rp::Entity)
        .from(keys)
        .to((rp::Column::UserId, rp::Column::NovelId));
    let found: Vec<Listed<R>> = shape(rows.clone().select_only())
        .column_as(Expr::cust("COUNT(*) OVER ()"), "total")
        .join(JoinType::LeftJoin, progress.into())
        .join(JoinType::LeftJoin, rp::Relation::Chapter.def())
        .column_as(rp::Column::ChapterId, "p_chapter_id")
        .column_as(rp::Column::ChapterIndex, "p_chapter_index")
        .column_as(chapter::Column::Title, "p_chapter_title")
        .column_as(rp::Column::Offset, "p_offset")
        .column_as(rp::Column::Percent, "p_percent")
        .column_as(instant("client_time"), "p_client_time")
        .column_as(instant("updated_at"), "p_updated_at")
        .offset(page.offset())
        .limit(page.per_page)
        .into_model()
        .all(db)
        .await?;
    let total = match found.first() {
        Some(r) => u64::try_from(r.total).unwrap_or(0),
        None => rows.count(db).await?,
    };
    finish_page(db, cache, found, page, total, item).await
}

/// The page of `found` rows made into items, each with the novel behind it (from the catalog
/// cache: one query for the novels it lacks) and the reader's progress in it.
async fn finish_page<R, T>(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    found: Vec<Listed<R>>,
    page: PageRequest,
    total: u64,
    item: impl Fn(R, Arc<NovelSummary>, Option<Progress>) -> T,
) -> ServiceResult<Paged<T>> {
    let ids: Vec<i64> = found.iter().map(|r| r.novel_id).collect();
    let novels: HashMap<i64, Arc<NovelSummary>> = cache
        .summaries(db, &ids)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let items = found
        .into_iter()
        .filter_map(|r| {
            let novel = novels.get(&r.novel_id)?.clone();
            Some(item(r.row, novel, r.progress))
        })
        .collect();
    Ok(Paged::new(items, page, total))
}

/// A novel's chapter count; `NotFound` for an unknown novel.
async fn novel_chapter_count(db: &impl ConnectionTrait, novel_id: i64) -> ServiceResult<i32> {
    let count: Option<i32> = novel::Entity::find_by_id(novel_id)
        .select_only()
        .column(novel::Column::ChapterCount)
        .into_tuple()
        .one(db)
        .await?;
    count.ok_or(ServiceError::NotFound)
}
