//! Mini-program login: the code from `wx.login()` exchanged for a session, once per code
//! however many times (and on however many instances) it is sent.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use entity::{login_code, user};
use moka::future::Cache;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionTrait,
};
use secrecy::ExposeSecret;

use super::{Login, add_featured, insert_user, settle_user};
use crate::auth::{AuthSettings, start_session, unshare};
use crate::crypto::sha256_hex;
use crate::db::insert_ignore;
use crate::wechat::WechatClient;
use crate::{ServiceError, ServiceResult};

/// How long a code WeChat accepted is remembered (a retried login gets a session again).
const CODE_LIFE: i64 = 5 * 60;

/// In-process single flight for login codes: concurrent requests with one code make one
/// WeChat call. Across instances the `login_codes` table does the same job.
#[derive(Clone)]
pub struct LoginCodes(Cache<String, (i64, bool)>);

impl Default for LoginCodes {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(100_000)
                .time_to_live(StdDuration::from_secs(CODE_LIFE as u64))
                .build(),
        )
    }
}

/// `POST /auth/login`: exchanges a `wx.login()` code for a session.
#[tracing::instrument(skip_all)]
pub async fn login_with_code<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    wechat: &WechatClient,
    codes: &LoginCodes,
    code: &str,
    user_agent: &str,
) -> ServiceResult<Login> {
    let code_hash = sha256_hex(code.as_bytes());
    let entry = codes
        .0
        .entry(code_hash.clone())
        .or_try_insert_with(exchange_code(db, settings, wechat, code, &code_hash))
        .await
        .map_err(unshare)?;
    let entry_was_fresh = entry.is_fresh();
    // Only the request that exchanged the code can be the reader's first login.
    let (user_id, created) = entry.into_value();
    let is_new_user = created && entry_was_fresh;
    let tokens = start_session(db, settings, user_id, user_agent).await?;
    let user = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(Login {
        user,
        tokens,
        is_new_user,
    })
}

async fn exchange_code<C: ConnectionTrait>(
    db: &C,
    settings: &AuthSettings,
    wechat: &WechatClient,
    code: &str,
    code_hash: &str,
) -> ServiceResult<(i64, bool)> {
    match wechat.code2session(code).await {
        Ok(session) => {
            let sealed = settings
                .secret_box
                .seal(session.session_key.expose_secret());
            let (user, is_new) =
                upsert_mini_user(db, &session.openid, session.unionid.as_deref(), &sealed).await?;
            let now = Utc::now();
            login_code::Entity::delete_many()
                .filter(login_code::Column::ExpiresAt.lt(now))
                .exec(db)
                .await?;
            let record = login_code::ActiveModel {
                code_hash: Set(code_hash.to_owned()),
                user_id: Set(user.id),
                expires_at: Set(now + Duration::seconds(CODE_LIFE)),
            };
            insert_ignore(db, [record]).await?;
            if is_new {
                add_featured(db, user.id, settings.featured_on_signup).await?;
            }
            Ok((user.id, is_new))
        }
        // A double tap that reached another instance: that instance exchanged the code.
        Err(e) if e.is_code_used() => {
            for _ in 0..20 {
                let found = login_code::Entity::find_by_id(code_hash.to_owned())
                    .filter(login_code::Column::ExpiresAt.gt(Utc::now()))
                    .one(db)
                    .await?;
                if let Some(found) = found {
                    return Ok((found.user_id, false));
                }
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Finds or creates the reader of a mini-program openid; unique keys make parallel first
/// logins converge on one row.
async fn upsert_mini_user(
    db: &impl ConnectionTrait,
    openid: &str,
    unionid: Option<&str>,
    sealed_session_key: &str,
) -> ServiceResult<(user::Model, bool)> {
    settle_user(|now| async move {
        if let Some(existing) = user::Entity::find()
            .filter(user::Column::Openid.eq(openid))
            .one(db)
            .await?
        {
            let mut am = existing.clone().into_active_model();
            am.session_key_enc = Set(Some(sealed_session_key.to_owned()));
            am.updated_at = Set(now);
            if existing.unionid.is_none() && unionid.is_some() {
                am.unionid = Set(unionid.map(str::to_owned));
            }
            return Ok(Some((am.update(db).await?, false)));
        }
        // Same WeChat account, first seen through web OAuth: link by unionid.
        if let Some(union) = unionid {
            let linked = user::Entity::update_many()
                .col_expr(user::Column::Openid, Expr::value(openid))
                .col_expr(user::Column::SessionKeyEnc, Expr::value(sealed_session_key))
                .col_expr(user::Column::UpdatedAt, Expr::value(now))
                .filter(user::Column::Unionid.eq(union))
                .filter(user::Column::Openid.is_null())
                .exec(db)
                .await?;
            if linked.rows_affected == 1 {
                return Ok(None); // found by openid on the next pass
            }
        }
        let new_user = user::ActiveModel {
            openid: Set(Some(openid.to_owned())),
            unionid: Set(unionid.map(str::to_owned)),
            session_key_enc: Set(Some(sealed_session_key.to_owned())),
            nickname: Set(String::new()),
            avatar_url: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        insert_user(db, new_user, user::Column::Openid, openid).await
    })
    .await
}
