//! The reader's own settings (阅读偏好 and 阅读设置).

use entity::{reader_settings, user, user_preferred_category};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub channel: Option<String>,
    pub category_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReaderSettings {
    pub font_size: i32,
    pub line_spacing: f64,
    pub brightness: i32,
    pub background: String,
    pub page_turn: String,
}

impl Default for ReaderSettings {
    /// What a new reader starts with.
    fn default() -> Self {
        Self {
            font_size: 18,
            line_spacing: 1.5,
            brightness: 80,
            background: "white".into(),
            page_turn: "slide".into(),
        }
    }
}

impl From<reader_settings::Model> for ReaderSettings {
    fn from(m: reader_settings::Model) -> Self {
        Self {
            font_size: m.font_size,
            line_spacing: m.line_spacing,
            brightness: m.brightness,
            background: m.background,
            page_turn: m.page_turn,
        }
    }
}

pub async fn preferences(db: &impl ConnectionTrait, user_id: i64) -> ServiceResult<Preferences> {
    let channel: Option<Option<String>> = user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::Channel)
        .into_tuple()
        .one(db)
        .await?;
    let channel = channel.ok_or(ServiceError::NotFound)?;
    let category_ids: Vec<i64> = user_preferred_category::Entity::find()
        .select_only()
        .column(user_preferred_category::Column::CategoryId)
        .filter(user_preferred_category::Column::UserId.eq(user_id))
        .order_by_asc(user_preferred_category::Column::CategoryId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(Preferences {
        channel,
        category_ids,
    })
}

pub async fn reader_settings(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> ServiceResult<ReaderSettings> {
    Ok(reader_settings::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(ReaderSettings::from)
        .unwrap_or_default())
}

/// Where a reader is in a novel.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub novel_id: i64,
    pub chapter_id: i64,
    pub chapter_index: i32,
    pub chapter_title: String,
    pub offset: i32,
    pub percent: f64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The reader's progress in a novel, if any.
pub async fn progress(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<Option<Progress>> {
    use entity::{chapter, reading_progress};
    let row = reading_progress::Entity::find()
        .filter(reading_progress::Column::UserId.eq(user_id))
        .filter(reading_progress::Column::NovelId.eq(novel_id))
        .find_also_related(chapter::Entity)
        .one(db)
        .await?;
    Ok(row.map(|(p, c)| Progress {
        novel_id: p.novel_id,
        chapter_id: p.chapter_id,
        chapter_index: p.chapter_index,
        chapter_title: c.map(|c| c.title).unwrap_or_default(),
        offset: p.offset,
        percent: p.percent,
        updated_at: p.updated_at,
    }))
}

pub async fn on_shelf(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<bool> {
    use entity::bookshelf;
    use sea_orm::PaginatorTrait;
    Ok(bookshelf::Entity::find()
        .filter(bookshelf::Column::UserId.eq(user_id))
        .filter(bookshelf::Column::NovelId.eq(novel_id))
        .count(db)
        .await?
        > 0)
}

/// Records that the reader opened a novel (one history row per novel, newest first).
pub async fn record_view(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<()> {
    use entity::browse_history;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ActiveValue::NotSet, ActiveValue::Set};
    let now = chrono::Utc::now();
    let row = browse_history::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        novel_id: Set(novel_id),
        viewed_at: Set(now),
    };
    if crate::db::insert_ignore(db, [row]).await? == 0 {
        browse_history::Entity::update_many()
            .col_expr(browse_history::Column::ViewedAt, Expr::value(now))
            .filter(browse_history::Column::UserId.eq(user_id))
            .filter(browse_history::Column::NovelId.eq(novel_id))
            .exec(db)
            .await?;
    }
    Ok(())
}
