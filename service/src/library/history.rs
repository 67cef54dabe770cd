//! Browse history: one row per novel the reader opened, newest first.

use chrono::{DateTime, Utc};
use entity::browse_history;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::shelf::mark_seen;
use super::{Progress, list_page};
use crate::catalog::NovelSummary;
use crate::catalog_cache::CatalogCache;
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub novel: NovelSummary,
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
    let rows = browse_history::Entity::find().filter(browse_history::Column::UserId.eq(user_id));
    let shape = |q: sea_orm::Select<browse_history::Entity>| {
        q.column(browse_history::Column::NovelId)
            .column(browse_history::Column::ViewedAt)
            .order_by_desc(browse_history::Column::ViewedAt)
            .order_by_desc(browse_history::Column::Id)
    };
    list_page(
        db,
        cache,
        user_id,
        page,
        rows,
        shape,
        |r: HistoryRow, novel, progress| HistoryItem {
            novel,
            progress,
            viewed_at: r.viewed_at,
        },
    )
    .await
}

/// A signed-in reader opened a novel: its history row moves to the top and its chapters are
/// marked as seen for the shelf's `has_update` (run again when it loses a lock race with the
/// reader's other writes).
pub async fn record_view(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    chapter_count: i32,
) -> ServiceResult<()> {
    crate::db::with_retry(|| async {
        touch_history(db, user_id, novel_id).await?;
        mark_seen(db, user_id, novel_id, chapter_count, None).await
    })
    .await
}

/// Moves the novel to the top of the reader's history: one upsert, no shared lock taken
/// first and upgraded later (a deadlock under load).
pub(super) async fn touch_history(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<()> {
    let row = browse_history::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        novel_id: Set(novel_id),
        viewed_at: Set(crate::db::now_micros()),
    };
    browse_history::Entity::insert(row)
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
