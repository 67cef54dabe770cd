//! Uncached chapter reads, batched (see `batch`): readers who open chapters the cache lacks at
//! the same time share one `WHERE id IN (…)` query.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement, Value};

use crate::batch::{Batches, marks};
use crate::catalog::{ChapterText, chapter_text_select};
use crate::db::instant_sql;
use crate::{ServiceError, ServiceResult};

/// The handle readers use; cheap to clone.
#[derive(Clone)]
pub struct ChapterBatches(Batches<i64, Arc<ChapterText>>);

impl ChapterBatches {
    /// Starts the batching task on `db` (the catalog read connection); see `Batches::spawn`
    /// for `deadline`.
    pub fn spawn<C>(db: C, deadline: Duration) -> Self
    where
        C: ConnectionTrait + Clone + Send + Sync + 'static,
    {
        Self(Batches::spawn(
            "chapters",
            crate::batch::CHAPTERS_IN_FLIGHT,
            move |ids| {
                let db = db.clone();
                async move { read_chapters(&db, &ids).await }
            },
            deadline,
        ))
    }

    /// A chapter of a novel with its neighbours' ids; `NotFound` when the novel has no such
    /// chapter. A reader who gives up (a dropped future) leaves its batch unharmed.
    pub async fn load(&self, novel_id: i64, chapter_id: i64) -> ServiceResult<Arc<ChapterText>> {
        match self.0.load(chapter_id).await? {
            Some(text) if text.meta.novel_id == novel_id => Ok(text),
            _ => Err(ServiceError::NotFound),
        }
    }
}

/// One query: these chapters with their texts and neighbours, by chapter id.
async fn read_chapters(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, Arc<ChapterText>>> {
    let backend = db.get_database_backend();
    let sql = format!(
        concat!(
            "SELECT ",
            chapter_text_select!(),
            " FROM `chapters` c LEFT JOIN `chapter_contents` cc ON cc.`chapter_id` = c.`id`",
            " WHERE c.`id` IN ({})"
        ),
        marks(ids.len()),
        updated_at = instant_sql(backend, "c.`updated_at`"),
    );
    let values: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    let mut found = HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let text = ChapterText::from_row(&row)?;
        found.insert(text.meta.id, Arc::new(text));
    }
    Ok(found)
}
