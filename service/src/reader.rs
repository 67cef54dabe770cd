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
    /// The device's time of the write (as ordered: see `library::effective_client_time`).
    pub client_time: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The reader's progress in a novel, if any.
pub async fn progress(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<Option<Progress>> {
    Ok(progress_for(db, user_id, &[novel_id])
        .await?
        .remove(&novel_id))
}

/// The reader's progress in some novels, with chapter titles: one query.
pub(crate) async fn progress_for(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, Progress>> {
    use entity::{chapter, reading_progress};
    if novel_ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = reading_progress::Entity::find()
        .filter(reading_progress::Column::UserId.eq(user_id))
        .filter(reading_progress::Column::NovelId.is_in(novel_ids.to_vec()))
        .find_also_related(chapter::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(p, c)| {
            let progress = Progress {
                novel_id: p.novel_id,
                chapter_id: p.chapter_id,
                chapter_index: p.chapter_index,
                chapter_title: c.map(|c| c.title).unwrap_or_default(),
                offset: p.offset,
                percent: p.percent,
                client_time: p.client_time,
                updated_at: p.updated_at,
            };
            (p.novel_id, progress)
        })
        .collect())
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

/// Records that the reader opened a novel (one history row per novel, newest first) and
/// marks its chapters as seen for the shelf's `has_update`.
pub async fn record_view(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
    chapter_count: i32,
) -> ServiceResult<()> {
    use sea_orm::sea_query::Expr;
    touch_history(db, user_id, novel_id).await?;
    entity::bookshelf::Entity::update_many()
        .col_expr(
            entity::bookshelf::Column::SeenChapterCount,
            Expr::value(chapter_count),
        )
        .filter(entity::bookshelf::Column::UserId.eq(user_id))
        .filter(entity::bookshelf::Column::NovelId.eq(novel_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the novel to the top of the reader's history: one upsert, no shared lock taken
/// first and upgraded later (a deadlock under load).
pub(crate) async fn touch_history(
    db: &impl ConnectionTrait,
    user_id: i64,
    novel_id: i64,
) -> ServiceResult<()> {
    use entity::browse_history;
    use sea_orm::sea_query::OnConflict;
    use sea_orm::{ActiveValue::NotSet, ActiveValue::Set};
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
    use sea_orm::sea_query::Expr;
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
    if crate::db::insert_ignore(db, [row]).await? == 0 {
        reader_settings::Entity::update_many()
            .col_expr(reader_settings::Column::FontSize, Expr::value(s.font_size))
            .col_expr(
                reader_settings::Column::LineSpacing,
                Expr::value(s.line_spacing),
            )
            .col_expr(
                reader_settings::Column::Brightness,
                Expr::value(s.brightness),
            )
            .col_expr(
                reader_settings::Column::Background,
                Expr::value(s.background.clone()),
            )
            .col_expr(
                reader_settings::Column::PageTurn,
                Expr::value(s.page_turn.clone()),
            )
            .col_expr(reader_settings::Column::UpdatedAt, Expr::value(now))
            .filter(reader_settings::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
    }
    Ok(s)
}
