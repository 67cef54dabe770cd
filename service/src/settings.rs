//! The reader's own settings: preferences (阅读偏好: channel and favourite categories) and
//! reader settings (阅读设置: font size, line spacing, brightness, background, page turn).

use entity::{reader_settings, user, user_preferred_category};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{ServiceError, ServiceResult};

#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub channel: Option<String>,
    pub category_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, sea_orm::FromQueryResult)]
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

/// `PUT /me/preferences`: unknown category ids are rejected, nothing half-written.
pub async fn set_preferences<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    user_id: i64,
    channel: Option<crate::catalog::Channel>,
    category_ids: &[i64],
) -> ServiceResult<Preferences> {
    use entity::category;
    use sea_orm::TransactionSession;
    use sea_orm::sea_query::Expr;
    let mut ids = category_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let known: Vec<i64> = if ids.is_empty() {
        Vec::new()
    } else {
        category::Entity::find()
            .select_only()
            .column(category::Column::Id)
            .filter(category::Column::Id.is_in(ids.clone()))
            .into_tuple()
            .all(db)
            .await?
    };
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !known.contains(id))
        .map(i64::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(ServiceError::invalid(
            "category_ids",
            format!("unknown category ids: {}", unknown.join(", ")),
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let updated = user::Entity::update_many()
        .col_expr(
            user::Column::Channel,
            Expr::value(channel.map(|c| c.as_str().to_owned())),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    user_preferred_category::Entity::delete_many()
        .filter(user_preferred_category::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    if !ids.is_empty() {
        let rows = ids.iter().map(|id| user_preferred_category::ActiveModel {
            user_id: sea_orm::Set(user_id),
            category_id: sea_orm::Set(*id),
        });
        crate::db::insert_ignore(&txn, rows).await?;
    }
    txn.commit().await?;
    preferences(db, user_id).await
}

/// A partial update of the reader settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsPatch {
    pub font_size: Option<i32>,
    pub line_spacing: Option<f64>,
    pub brightness: Option<i32>,
    pub background: Option<String>,
    pub page_turn: Option<String>,
}

/// `PATCH /me/reader-settings`: fields not sent keep their value (or the default).
pub async fn patch_reader_settings(
    db: &impl ConnectionTrait,
    user_id: i64,
    patch: SettingsPatch,
) -> ServiceResult<ReaderSettings> {
    let mut s = reader_settings(db, user_id).await?;
    if let Some(v) = patch.font_size {
        s.font_size = v;
    }
    if let Some(v) = patch.line_spacing {
        s.line_spacing = v;
    }
    if let Some(v) = patch.brightness {
        s.brightness = v;
    }
    if let Some(v) = patch.background {
        s.background = v;
    }
    if let Some(v) = patch.page_turn {
        s.page_turn = v;
    }
    let now = chrono::Utc::now();
    let row = reader_settings::ActiveModel {
        user_id: sea_orm::Set(user_id),
        font_size: sea_orm::Set(s.font_size),
        line_spacing: sea_orm::Set(s.line_spacing),
        brightness: sea_orm::Set(s.brightness),
        background: sea_orm::Set(s.background.clone()),
        page_turn: sea_orm::Set(s.page_turn.clone()),
        updated_at: sea_orm::Set(now),
    };
    let update = reader_settings::Entity::update_many()
        .set(row.clone())
        .filter(reader_settings::Column::UserId.eq(user_id));
    crate::db::insert_or_update(db, row, update).await?;
    Ok(s)
}
