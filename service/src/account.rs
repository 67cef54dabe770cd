//! Readers' accounts: WeChat login (mini-program and web OAuth), profile, phone number,
//! account deletion.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use entity::{bookshelf, login_code, novel, oauth_state, search_keyword_hit, user};
use moka::future::Cache;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::auth::{AuthSettings, Tokens, start_session, unshare};
use crate::crypto::{ct_eq, hmac_sha256, sha256_hex};
use crate::db::insert_ignore;
use crate::wechat::decrypt::{DecryptError, check_signature, decrypt_user_data};
use crate::wechat::token::AccessTokenManager;
use crate::wechat::{WechatClient, WechatError};
use crate::{AuthFailure, ServiceError, ServiceResult};

const CODE_LIFE: i64 = 5 * 60;
const STATE_LIFE: i64 = 10 * 60;

/// A login's outcome.
#[derive(Debug)]
pub struct Login {
    pub user: user::Model,
    pub tokens: Tokens,
    pub is_new_user: bool,
}

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
        Err(e) if e.errcode() == Some(40163) => {
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
    for _ in 0..3 {
        let now = Utc::now();
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
            return Ok((am.update(db).await?, false));
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
                continue; // found by openid on the next pass
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
        let inserted = insert_ignore(db, [new_user]).await?;
        if inserted == 1 {
            let created = user::Entity::find()
                .filter(user::Column::Openid.eq(openid))
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::Internal("inserted user not found".into()))?;
            return Ok((created, true));
        }
        // Lost a race with a parallel first login: the next pass finds the winner.
    }
    Err(ServiceError::Conflict(
        "could not settle the reader's account".into(),
    ))
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

// ---- web OAuth (official-account pages) ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebScope {
    Base,
    UserInfo,
}

impl WebScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base => "snsapi_base",
            Self::UserInfo => "snsapi_userinfo",
        }
    }
}

/// A signed, expiring `state`: `nonce(16) exp(10) scope(1) mac(32)`, alphanumeric only and
/// well under WeChat's 128-byte limit.
pub fn sign_state(settings: &AuthSettings, scope: WebScope) -> String {
    let nonce = hex::encode(rand::random::<[u8; 8]>());
    let exp = format!("{:010}", Utc::now().timestamp() + STATE_LIFE);
    let s = if scope == WebScope::Base { "b" } else { "u" };
    let body = format!("{nonce}{exp}{s}");
    let mac = hex::encode(&hmac_sha256(&settings.state_key, &[body.as_bytes()])[..16]);
    format!("{body}{mac}")
}

fn verify_state(settings: &AuthSettings, state: &str) -> Option<(String, WebScope)> {
    if state.len() != 59 || !state.is_ascii() {
        return None;
    }
    let (body, mac) = state.split_at(27);
    let expected = hex::encode(&hmac_sha256(&settings.state_key, &[body.as_bytes()])[..16]);
    if !ct_eq(expected.as_bytes(), mac.as_bytes()) {
        return None;
    }
    let exp: i64 = body[16..26].parse().ok()?;
    if exp < Utc::now().timestamp() {
        return None;
    }
    let scope = match &body[26..] {
        "b" => WebScope::Base,
        "u" => WebScope::UserInfo,
        _ => return None,
    };
    Some((body[..16].to_owned(), scope))
}

/// The URL to send the browser to: WeChat's consent page.
pub fn web_authorize_url(app_id: &str, redirect_uri: &str, scope: WebScope, state: &str) -> String {
    let mut url = url::Url::parse("https://open.weixin.qq.com/connect/oauth2/authorize")
        .unwrap_or_else(|_| unreachable!("constant URL"));
    url.query_pairs_mut()
        .append_pair("appid", app_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scope.as_str())
        .append_pair("state", state);
    format!("{url}#wechat_redirect")
}

/// `GET /auth/wechat-web/callback`: verifies `state` (once), exchanges the code, links the
/// reader by unionid when WeChat gives one.
#[tracing::instrument(skip_all)]
pub async fn web_login<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    wechat: &WechatClient,
    code: &str,
    state: &str,
    user_agent: &str,
) -> ServiceResult<Login> {
    let (nonce, scope) =
        verify_state(settings, state).ok_or(ServiceError::Auth(AuthFailure::StateInvalid))?;
    let now = Utc::now();
    oauth_state::Entity::delete_many()
        .filter(oauth_state::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let used = oauth_state::ActiveModel {
        nonce: Set(nonce),
        expires_at: Set(now + Duration::seconds(STATE_LIFE)),
    };
    let fresh = insert_ignore(db, [used]).await?;
    if fresh != 1 {
        return Err(ServiceError::Auth(AuthFailure::StateInvalid));
    }
    let token = wechat.oauth_access_token(code).await?;
    let (nickname, avatar, unionid) = if scope == WebScope::UserInfo {
        let info = wechat
            .userinfo(token.access_token.expose_secret(), &token.openid)
            .await?;
        (
            info.nickname,
            info.headimgurl,
            info.unionid.or(token.unionid.clone()),
        )
    } else {
        (String::new(), String::new(), token.unionid.clone())
    };
    let (user, is_new_user) =
        upsert_web_user(db, &token.openid, unionid.as_deref(), &nickname, &avatar).await?;
    if is_new_user {
        add_featured(db, user.id, settings.featured_on_signup).await?;
    }
    let tokens = start_session(db, settings, user.id, user_agent).await?;
    Ok(Login {
        user,
        tokens,
        is_new_user,
    })
}

async fn upsert_web_user(
    db: &impl ConnectionTrait,
    web_openid: &str,
    unionid: Option<&str>,
    nickname: &str,
    avatar: &str,
) -> ServiceResult<(user::Model, bool)> {
    for _ in 0..3 {
        let now = Utc::now();
        let mut existing = user::Entity::find()
            .filter(user::Column::WebOpenid.eq(web_openid))
            .one(db)
            .await?;
        if existing.is_none()
            && let Some(union) = unionid
        {
            existing = user::Entity::find()
                .filter(user::Column::Unionid.eq(union))
                .one(db)
                .await?;
        }
        if let Some(u) = existing {
            let mut am = u.clone().into_active_model();
            am.web_openid = Set(Some(web_openid.to_owned()));
            if u.nickname.is_empty() && !nickname.is_empty() {
                am.nickname = Set(truncate(nickname, 64));
            }
            if u.avatar_url.is_empty() && !avatar.is_empty() {
                am.avatar_url = Set(truncate(avatar, 512));
            }
            am.updated_at = Set(now);
            return Ok((am.update(db).await?, false));
        }
        let new_user = user::ActiveModel {
            web_openid: Set(Some(web_openid.to_owned())),
            unionid: Set(unionid.map(str::to_owned)),
            nickname: Set(truncate(nickname, 64)),
            avatar_url: Set(truncate(avatar, 512)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let inserted = insert_ignore(db, [new_user]).await?;
        if inserted == 1 {
            let created = user::Entity::find()
                .filter(user::Column::WebOpenid.eq(web_openid))
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::Internal("inserted user not found".into()))?;
            return Ok((created, true));
        }
    }
    Err(ServiceError::Conflict(
        "could not settle the reader's account".into(),
    ))
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

// ---- profile ----

pub async fn get_user(db: &impl ConnectionTrait, user_id: i64) -> ServiceResult<user::Model> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// `GET /me`: the reader, their preferences and reader settings in one query.
pub async fn me(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> ServiceResult<(
    user::Model,
    crate::reader::Preferences,
    crate::reader::ReaderSettings,
)> {
    use sea_orm::{FromQueryResult, Statement};
    let sql = "SELECT u.*, \
        rs.user_id AS rs_user_id, rs.font_size AS rs_font_size, \
        rs.line_spacing AS rs_line_spacing, rs.brightness AS rs_brightness, \
        rs.background AS rs_background, rs.page_turn AS rs_page_turn, \
        rs.updated_at AS rs_updated_at, \
        (SELECT CAST(GROUP_CONCAT(c.category_id) AS CHAR) FROM user_preferred_categories c \
         WHERE c.user_id = u.id) AS preferred_categories \
        FROM users u LEFT JOIN reader_settings rs ON rs.user_id = u.id WHERE u.id = ?";
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [user_id.into()],
        ))
        .await?
        .ok_or(ServiceError::NotFound)?;
    let u = user::Model::from_query_result(&row, "")?;
    let settings = entity::reader_settings::Model::from_query_result_optional(&row, "rs_")?
        .map(crate::reader::ReaderSettings::from)
        .unwrap_or_default();
    let listed: Option<String> = row.try_get("", "preferred_categories")?;
    let mut category_ids: Vec<i64> = listed
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    category_ids.sort_unstable();
    let preferences = crate::reader::Preferences {
        channel: u.channel.clone(),
        category_ids,
    };
    Ok((u, preferences, settings))
}

/// The avatar/nickname fill-in of the mini-program.
pub async fn update_profile(
    db: &impl ConnectionTrait,
    user_id: i64,
    nickname: Option<String>,
    avatar_url: Option<String>,
) -> ServiceResult<user::Model> {
    let mut am = get_user(db, user_id).await?.into_active_model();
    if let Some(n) = nickname {
        am.nickname = Set(n.trim().to_owned());
    }
    if let Some(a) = avatar_url {
        am.avatar_url = Set(a.trim().to_owned());
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
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

fn decrypt_invalid(e: DecryptError) -> ServiceError {
    let field = match e {
        DecryptError::Base64(f) | DecryptError::Length(f) => f,
        DecryptError::Signature => "signature",
        DecryptError::Decrypt | DecryptError::Watermark => "encrypted_data",
    };
    let field = if field == "session_key" {
        "encrypted_data"
    } else {
        field
    };
    ServiceError::invalid(field, e.to_string())
}

/// What `wx.getUserInfo` gave the mini-program.
#[derive(Debug, Clone, Copy)]
pub struct WechatProfileInput<'a> {
    pub encrypted_data: &'a str,
    pub iv: &'a str,
    pub raw_data: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Legacy `wx.getUserInfo` data, decrypted with the reader's stored session key.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn apply_wechat_profile(
    db: &impl ConnectionTrait,
    settings: &AuthSettings,
    app_id: &str,
    user_id: i64,
    input: &WechatProfileInput<'_>,
) -> ServiceResult<user::Model> {
    let user = get_user(db, user_id).await?;
    let session_key = user
        .session_key_enc
        .as_deref()
        .and_then(|s| settings.secret_box.open(s))
        .ok_or_else(|| {
            ServiceError::invalid(
                "encrypted_data",
                "no WeChat session for this reader: log in with wx.login() first",
            )
        })?;
    match (input.raw_data, input.signature) {
        (Some(raw), Some(sig)) => {
            check_signature(raw, &session_key, sig).map_err(decrypt_invalid)?
        }
        (None, Some(_)) => {
            return Err(ServiceError::invalid("raw_data", "required with signature"));
        }
        _ => {}
    }
    let data = decrypt_user_data(&session_key, input.encrypted_data, input.iv, app_id)
        .map_err(decrypt_invalid)?;
    let mut am = user.clone().into_active_model();
    if let Some(n) = data.get("nickName").and_then(|v| v.as_str()) {
        am.nickname = Set(truncate(n, 64));
    }
    if let Some(a) = data.get("avatarUrl").and_then(|v| v.as_str()) {
        am.avatar_url = Set(truncate(a, 512));
    }
    if user.unionid.is_none()
        && let Some(u) = data.get("unionId").and_then(|v| v.as_str())
    {
        am.unionid = Set(Some(u.to_owned()));
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// `POST /me/phone`: the getPhoneNumber button's code, through the central access token.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn bind_phone(
    db: &impl ConnectionTrait,
    tokens: &AccessTokenManager,
    wechat: &WechatClient,
    user_id: i64,
    code: &str,
) -> ServiceResult<(String, String)> {
    get_user(db, user_id).await?;
    let info = tokens
        .with_token(db, |token| async move {
            wechat.phone_number(&token, code).await
        })
        .await?;
    if info
        .watermark
        .as_ref()
        .is_some_and(|w| w.appid != wechat.app_id())
    {
        return Err(
            WechatError::InvalidResponse("phone watermark is for another app".into()).into(),
        );
    }
    let number = if info.pure_phone_number.is_empty() {
        info.phone_number.clone()
    } else {
        info.pure_phone_number.clone()
    };
    let country = if info.country_code.is_empty() {
        "86".to_owned()
    } else {
        info.country_code.clone()
    };
    user::Entity::update_many()
        .col_expr(user::Column::PhoneNumber, Expr::value(number.clone()))
        .col_expr(user::Column::PhoneCountryCode, Expr::value(country.clone()))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok((number, country))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn settings() -> AuthSettings {
        AuthSettings::new(
            &SecretString::from("a-test-secret-that-is-long-enough-000"),
            Duration::minutes(30),
            Duration::days(30),
            Duration::seconds(30),
            5,
        )
    }

    #[test]
    fn state_is_short_alphanumeric_and_verifies() {
        let s = settings();
        let state = sign_state(&s, WebScope::UserInfo);
        assert!(state.len() <= 128 && state.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            verify_state(&s, &state).map(|(_, sc)| sc),
            Some(WebScope::UserInfo)
        );
        let mut forged = state.clone();
        forged.replace_range(26..27, "b");
        assert!(verify_state(&s, &forged).is_none());
        let other = AuthSettings::new(
            &SecretString::from("another-secret-that-is-long-enough-0"),
            Duration::minutes(30),
            Duration::days(30),
            Duration::seconds(30),
            5,
        );
        assert!(verify_state(&other, &state).is_none());
    }

    #[test]
    fn authorize_url_has_wechats_shape() {
        let url = web_authorize_url("wx1", "https://m.example.com/cb?x=1", WebScope::Base, "st");
        assert!(url.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1&"));
        assert!(url.contains("redirect_uri=https%3A%2F%2Fm.example.com%2Fcb%3Fx%3D1"));
        assert!(url.contains("scope=snsapi_base") && url.ends_with("&state=st#wechat_redirect"));
    }
}
