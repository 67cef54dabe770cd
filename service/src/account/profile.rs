//! What a reader fills in about themselves: nickname and avatar (typed in, or the legacy
//! `wx.getUserInfo` data) and the phone number from WeChat's button.

use chrono::Utc;
use entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::{get_user, truncate};
use crate::auth::AuthSettings;
use crate::wechat::decrypt::{DecryptError, check_signature, decrypt_user_data};
use crate::wechat::token::AccessTokenManager;
use crate::wechat::{WechatClient, WechatError};
use crate::{ServiceError, ServiceResult};

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
