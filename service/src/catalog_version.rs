//! The shared catalog version: a counter in `app_meta` that every import that changed something
//! raises, so that each instance learns its catalog caches and search index are stale. One
//! watcher per instance polls it and publishes it on a `watch` channel; the catalog cache and
//! the search index subscribe. An import is seen everywhere within the poll interval (plus the
//! index rebuild).

use std::time::Duration;

use chrono::Utc;
use entity::app_meta;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ServiceResult;

const NAME: &str = "catalog_version";

/// The version as the watcher last read it; `None` until its first read.
pub type Versions = watch::Receiver<Option<i64>>;

/// The current version (0 before the first import).
pub async fn read(db: &impl ConnectionTrait) -> ServiceResult<i64> {
    Ok(app_meta::Entity::find_by_id(NAME.to_owned())
        .one(db)
        .await?
        .map_or(0, |m| m.value))
}

/// Raises the version; the importer calls it in the transaction of the change it announces.
/// The row exists after the first import, so the update comes first: it takes the row's
/// exclusive lock directly (an insert skipped on a duplicate would take a shared one first).
pub async fn bump(db: &impl ConnectionTrait) -> ServiceResult<()> {
    let now = Utc::now();
    let raise = app_meta::Entity::update_many()
        .col_expr(
            app_meta::Column::Value,
            Expr::col(app_meta::Column::Value).add(1),
        )
        .col_expr(app_meta::Column::UpdatedAt, Expr::value(now))
        .filter(app_meta::Column::Name.eq(NAME));
    if raise.clone().exec(db).await?.rows_affected == 0 {
        let first = app_meta::ActiveModel {
            name: Set(NAME.to_owned()),
            value: Set(1),
            updated_at: Set(now),
        };
        crate::db::insert_or_update(db, first, raise).await?;
    }
    Ok(())
}

/// Starts the instance's watcher on `db`: reads the version every `every` and publishes it
/// when it moved. It stops when every subscriber is gone.
/// The longest one poll may wait for the database.
const POLL_DEADLINE: Duration = Duration::from_secs(3);

pub fn watch(db: DatabaseConnection, every: Duration) -> (Versions, JoinHandle<()>) {
    let (publish, versions) = watch::channel(None);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        while !publish.is_closed() {
            tick.tick().await;
            // Bounded: a poll that hangs on a silent database would stop the watcher for good.
            match crate::db::bounded(every.max(POLL_DEADLINE), read(&db)).await {
                Ok(v) => {
                    publish.send_if_modified(|seen| seen.replace(v) != Some(v));
                }
                Err(e) => tracing::debug!(error = %e, "catalog version check failed"),
            }
        }
    });
    (versions, task)
}
