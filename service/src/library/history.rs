//! Browse history: one row per novel the reader opened, newest first.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::browse_history;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};

use super::shelf::mark_seen;
use super::{Progress, list_page};
use crate::catalog::{NovelDetail, NovelSummary};
use crate::catalog_cache::CatalogCache;
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub novel: Arc<NovelSummary>,
    pub progress: Option<Progress>,
    pub viewed_at: DateTime<Utc>,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct HistoryRow {
    viewed_at: DateTime<Utc>,
}

/// `GET /history`: one row per novel, newest first (see `list_page` for its queries).
pub async fn history(
    db: &impl ConnectionTrait,
    cache: &CatalogCache,
    user_id: i64,
    page: PageRequest,
) -> ServiceResult<Paged<HistoryItem>> {
    let shape = |q: sea_orm::Select<browse_history::Entity>| {
        q.column(browse_history::Column::NovelId)
            .column(browse_history::Column::ViewedAt)
            .order_by_desc(browse_history::Column::ViewedAt)
            .order_by_desc(browse_history::Column::Id)
    };
    let keys = (
        browse_history::Column::UserId,
        browse_history::Column::NovelId,
    );
    list_page(
        db,
        cache,
        user_id,
        page,
        keys,
        shape,
        |r: HistoryRow, novel, progress| HistoryItem {
            novel,
            progress,
            viewed_at: r.viewed_at,
        },
    )
    .await
}

/// A novel as a reader opens it: the catalog's detail and, for a signed-in reader, their
/// side of it (`None` when anonymous).
pub struct OpenedNovel {
    pub detail: Arc<NovelDetail>,
    pub reader: Option<ReaderView>,
}

/// What a signed-in reader sees of a novel beyond the catalog.
pub struct ReaderView {
    pub on_shelf: bool,
    pub progress: Option<Progress>,
}

/// `GET /novels/{id}`: the detail from the catalog cache (misses read `read`). A signed-in
/// reader's view moves the novel to the top of the history and marks its chapters as seen on
/// the shelf, in one short transaction that also reads the progress (run again when it loses
/// a lock race with the reader's other writes).
pub async fn open_novel<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    read: &impl ConnectionTrait,
    cache: &CatalogCache,
    reader: Option<i64>,
    novel_id: i64,
) -> ServiceResult<OpenedNovel> {
    let detail = cache.novel_detail(read, novel_id).await?;
    let Some(user_id) = reader else {
        return Ok(OpenedNovel {
            detail,
            reader: None,
        });
    };
    let chapter_count = detail.summary.chapter_count;
    let view = crate::db::with_retry(|| async {
        let txn = crate::db::begin_write(db).await?;
        touch_history(&txn, &[(user_id, novel_id)]).await?;
        let on_shelf = mark_seen(&txn, user_id, novel_id, chapter_count, None).await?;
        let progress = super::progress(&txn, user_id, novel_id).await?;
        txn.commit().await?;
        Ok(ReaderView { on_shelf, progress })
    })
    .await?;
    Ok(OpenedNovel {
        detail,
        reader: Some(view),
    })
}

/// Moves the novels of these (reader, novel) pairs to the top of their readers' histories:
/// one multi-row upsert, no shared lock taken first and upgraded later (a deadlock under
/// load).
pub(super) async fn touch_history(
    db: &impl ConnectionTrait,
    pairs: &[(i64, i64)],
) -> ServiceResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let now = crate::db::now_micros();
    let rows = pairs
        .iter()
        .map(|&(user_id, novel_id)| browse_history::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            novel_id: Set(novel_id),
            viewed_at: Set(now),
        });
    browse_history::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                browse_history::Column::UserId,
                browse_history::Column::NovelId,
            ])
            .update_column(browse_history::Column::ViewedAt)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
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
