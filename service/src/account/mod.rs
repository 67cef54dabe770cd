//! Readers' accounts. Logging in: `mini` (the mini-program's `wx.login()` code) and `web`
//! (WeChat web OAuth on official-account pages); `profile`: nickname, avatar, phone number.
//! Here: the account itself (`me`, deletion) and what both logins share (settling the reader's
//! row when parallel first logins race, the featured shelf of a new reader).

mod mini;
mod profile;
mod web;

pub use mini::{LoginCodes, login_with_code};
pub use profile::{WechatProfileInput, apply_wechat_profile, bind_phone, update_profile};
pub use web::{WebScope, authorize_location, web_login};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{bookshelf, novel, search_keyword_hit, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};

use crate::auth::Tokens;
use crate::batch::{Batches, marks};
use crate::db::{Stamp, insert_ignore, instant_sql};
use crate::settings::{Preferences, ReaderSettings};
use crate::{ServiceError, ServiceResult};

/// A login's outcome.
#[derive(Debug)]
pub struct Login {
    pub user: user::Model,
    pub tokens: Tokens,
    pub is_new_user: bool,
}

/// Finds or creates a reader. `pass` looks the reader up (updating what it found) or inserts
/// them; it answers `None` when it lost a race with a parallel first login (its insert was
/// skipped, or it linked another row) and the next pass finds the winner. Unique keys make
/// parallel first logins converge on one row.
async fn settle_user<Fut>(
    mut pass: impl FnMut(DateTime<Utc>) -> Fut,
) -> ServiceResult<(user::Model, bool)>
where
    Fut: Future<Output = ServiceResult<Option<(user::Model, bool)>>>,
{
    for _ in 0..3 {
        if let Some(settled) = pass(Utc::now()).await? {
            return Ok(settled);
        }
    }
    Err(ServiceError::Conflict(
        "could not settle the reader's account".into(),
    ))
}

/// Inserts a new reader unless a parallel login already did (`None`); the new reader is
/// read back by the unique `key` it was inserted with.
async fn insert_user(
    db: &impl ConnectionTrait,
    row: user::ActiveModel,
    key: user::Column,
    value: &str,
) -> ServiceResult<Option<(user::Model, bool)>> {
    if insert_ignore(db, [row]).await? != 1 {
        return Ok(None);
    }
    let created = user::Entity::find()
        .filter(key.eq(value))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal("inserted user not found".into()))?;
    Ok(Some((created, true)))
}

/// A new reader's shelf starts with the hottest novels of the catalog.
async fn add_featured(db: &impl ConnectionTrait, user_id: i64, count: u64) -> ServiceResult<()> {
    if count == 0 {
        return Ok(());
    }
    let ids: Vec<i64> = novel::Entity::find()
        .select_only()
        .column(novel::Column::Id)
        .order_by_desc(novel::Column::Heat)
        .order_by_asc(novel::Column::Id)
        .limit(count)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = ids.into_iter().map(|novel_id| bookshelf::ActiveModel {
        user_id: Set(user_id),
        novel_id: Set(novel_id),
        seen_chapter_count: Set(0),
        added_at: Set(now),
        sort_at: Set(now),
        ..Default::default()
    });
    insert_ignore(db, rows).await?;
    Ok(())
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

// ---- the account ----

pub async fn get_user(db: &impl ConnectionTrait, user_id: i64) -> ServiceResult<user::Model> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A reader as `GET /me` shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct MeView {
    pub user: user::Model,
    pub preferences: Preferences,
    pub settings: ReaderSettings,
}

/// `GET /me` reads, batched across readers (see `batch`): one query for every reader who
/// asked at the same moment. Cheap to clone.
#[derive(Clone)]
pub struct Accounts(Batches<i64, Arc<MeView>>);

impl Accounts {
    /// Starts the batching task on `db` (the primary: reader data never goes to a replica).
    pub fn spawn(db: DatabaseConnection, deadline: Duration) -> Self {
        Self(Batches::spawn(
            "me",
            crate::batch::READER_DATA_IN_FLIGHT,
            move |ids| {
                let db = db.clone();
                async move { read_me(&db, &ids).await }
            },
            deadline,
        ))
    }

    /// The reader, their preferences and reader settings; `NotFound` for a deleted reader.
    pub async fn me(&self, user_id: i64) -> ServiceResult<Arc<MeView>> {
        self.0.load(user_id).await?.ok_or(ServiceError::NotFound)
    }
}

/// One query: these readers with their preferences and reader settings, by id.
async fn read_me(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, Arc<MeView>>> {
    use sea_orm::{FromQueryResult, Statement, Value};
    // Only `?` marks are formatted in: the ids are parameters. The reader's instants are
    // `instant_sql`'s; the settings' own is not needed.
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT u.id, u.openid, u.web_openid, u.unionid, u.session_key_enc, u.nickname, \
        u.avatar_url, u.channel, u.phone_number, u.phone_country_code, \
        {created_at} AS created_at, {updated_at} AS updated_at, \
        rs.font_size AS rs_font_size, rs.line_spacing AS rs_line_spacing, \
        rs.brightness AS rs_brightness, rs.background AS rs_background, \
        rs.page_turn AS rs_page_turn, \
        (SELECT CAST(GROUP_CONCAT(c.category_id) AS CHAR) FROM user_preferred_categories c \
         WHERE c.user_id = u.id) AS preferred_categories \
        FROM users u LEFT JOIN reader_settings rs ON rs.user_id = u.id WHERE u.id IN ({})",
        marks(ids.len()),
        created_at = instant_sql(backend, "u.created_at"),
        updated_at = instant_sql(backend, "u.updated_at"),
    );
    let values: Vec<Value> = ids.iter().map(|id| (*id).into()).collect();
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    let mut found = HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let u = user::Model {
            id: row.try_get("", "id")?,
            openid: row.try_get("", "openid")?,
            web_openid: row.try_get("", "web_openid")?,
            unionid: row.try_get("", "unionid")?,
            session_key_enc: row.try_get("", "session_key_enc")?,
            nickname: row.try_get("", "nickname")?,
            avatar_url: row.try_get("", "avatar_url")?,
            channel: row.try_get("", "channel")?,
            phone_number: row.try_get("", "phone_number")?,
            phone_country_code: row.try_get("", "phone_country_code")?,
            created_at: row.try_get::<Stamp>("", "created_at")?.0,
            updated_at: row.try_get::<Stamp>("", "updated_at")?.0,
        };
        let settings = ReaderSettings::from_query_result_optional(&row, "rs_")?.unwrap_or_default();
        let listed: Option<String> = row.try_get("", "preferred_categories")?;
        let mut category_ids: Vec<i64> = listed
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect();
        category_ids.sort_unstable();
        let preferences = Preferences {
            channel: u.channel.clone(),
            category_ids,
        };
        let me = MeView {
            user: u,
            preferences,
            settings,
        };
        found.insert(me.user.id, Arc::new(me));
    }
    Ok(found)
}

/// Deletes the reader and everything stored about them (foreign keys cascade from `users`;
/// search-count markers are keyed by a string and removed here).
#[tracing::instrument(skip(db))]
pub async fn delete_account<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    sessions: &crate::sessions::SessionCache,
    user_id: i64,
) -> ServiceResult<()> {
    let txn = crate::db::begin_write(db).await?;
    crate::sessions::publish(&txn, &[], Some(user_id)).await?;
    search_keyword_hit::Entity::delete_many()
        .filter(search_keyword_hit::Column::Searcher.eq(searcher_key(user_id)))
        .exec(&txn)
        .await?;
    let deleted = user::Entity::delete_by_id(user_id).exec(&txn).await?;
    if deleted.rows_affected != 1 {
        return Err(ServiceError::NotFound);
    }
    txn.commit().await?;
    sessions.forget(None, Some(user_id)).await;
    Ok(())
}

/// How a logged-in reader is named in per-reader counters.
pub fn searcher_key(user_id: i64) -> String {
    format!("u:{user_id}")
}
