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
