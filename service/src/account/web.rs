//! WeChat web OAuth (official-account pages): the signed `state`, the consent-page URL, and
//! the callback that logs the reader in, linked by unionid to their mini-program account.

use chrono::{Duration, Utc};
use entity::{oauth_state, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
    TransactionTrait,
};
use secrecy::ExposeSecret;

use super::{Login, add_featured, insert_user, settle_user, truncate};
use crate::auth::{AuthSettings, start_session};
use crate::crypto::{ct_eq, hmac_sha256};
use crate::db::insert_ignore;
use crate::wechat::WechatClient;
use crate::{AuthFailure, ServiceError, ServiceResult};

/// How long a signed `state` stays usable.
const STATE_LIFE: i64 = 10 * 60;

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

/// `GET /auth/wechat-web/authorize`: where to send the browser (WeChat's consent page, with a
/// signed `state`), once `redirect_uri` is on the operator's allow-list.
pub fn authorize_location(
    settings: &AuthSettings,
    wechat: &WechatClient,
    allowed_redirects: &[String],
    redirect_uri: &str,
    scope: WebScope,
) -> ServiceResult<String> {
    if !allowed_redirects.iter().any(|u| u == redirect_uri) {
        return Err(ServiceError::invalid(
            "redirect_uri",
            "is not on the allow-list (WECHAT_WEB_REDIRECT_URIS)",
        ));
    }
    let state = sign_state(settings, scope);
    Ok(web_authorize_url(
        wechat.app_id(),
        redirect_uri,
        scope,
        &state,
    ))
}

/// A signed, expiring `state`: `nonce(16) exp(10) scope(1) mac(32)`, alphanumeric only and
/// well under WeChat's 128-byte limit.
fn sign_state(settings: &AuthSettings, scope: WebScope) -> String {
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
fn web_authorize_url(app_id: &str, redirect_uri: &str, scope: WebScope, state: &str) -> String {
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

/// Finds the reader by web openid, else by unionid (first seen in the mini-program), else
/// creates them; fills an empty nickname or avatar from WeChat.
async fn upsert_web_user(
    db: &impl ConnectionTrait,
    web_openid: &str,
    unionid: Option<&str>,
    nickname: &str,
    avatar: &str,
) -> ServiceResult<(user::Model, bool)> {
    settle_user(|now| async move {
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
            return Ok(Some((am.update(db).await?, false)));
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
        insert_user(db, new_user, user::Column::WebOpenid, web_openid).await
    })
    .await
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

    #[test]
    fn only_allowed_redirects_get_a_location() {
        let s = settings();
        let wechat =
            WechatClient::new("http://127.0.0.1:9", "wx1", SecretString::from("x")).unwrap();
        let allowed = ["https://m.example.com/cb".to_owned()];
        let to = |uri: &str| authorize_location(&s, &wechat, &allowed, uri, WebScope::UserInfo);
        let location = to("https://m.example.com/cb").unwrap();
        assert!(location.contains("appid=wx1&") && location.contains("scope=snsapi_userinfo"));
        assert!(matches!(
            to("https://evil.example.com/cb"),
            Err(ServiceError::Invalid(f)) if f.contains_key("redirect_uri")
        ));
    }
}
