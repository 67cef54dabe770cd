//! `/me*`: the reader's account.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::CurrentUser;
use crate::dto::{
    Me, PatchMe, PhoneRequest, PhoneResponse, PreferencesBody, PreferencesRequest,
    ReaderSettingsBody, ReaderSettingsPatch, User, WechatProfileRequest,
};
use crate::error::ApiResult;
use crate::extract::{Json, ValidatedJson};
use crate::openapi::errors;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, patch_me, delete_me))
        .routes(routes!(wechat_profile))
        .routes(routes!(phone))
        .routes(routes!(get_preferences, put_preferences))
        .routes(routes!(get_reader_settings, patch_reader_settings))
}

/// 阅读偏好: the preferred channel and favourite categories.
#[utoipa::path(get, path = "/me/preferences", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = PreferencesBody), errors::Unauthorized, errors::Unavailable))]
async fn get_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<PreferencesBody>> {
    Ok(Json(
        service::settings::preferences(&state.db, user.id())
            .await?
            .into(),
    ))
}

/// Replace the preferences. Unknown category ids or channel are a 422.
#[utoipa::path(put, path = "/me/preferences", tag = "account", security(("bearer" = [])),
    request_body = PreferencesRequest,
    responses(
        (status = 200, body = PreferencesBody),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn put_preferences(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<PreferencesRequest>,
) -> ApiResult<Json<PreferencesBody>> {
    let channel = req.channel.map(Into::into);
    let prefs =
        service::settings::set_preferences(&state.db, user.id(), channel, &req.category_ids)
            .await?;
    Ok(Json(prefs.into()))
}

/// 阅读设置, with defaults for a new reader.
#[utoipa::path(get, path = "/me/reader-settings", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = ReaderSettingsBody), errors::Unauthorized, errors::Unavailable))]
async fn get_reader_settings(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<ReaderSettingsBody>> {
    Ok(Json(
        service::settings::reader_settings(&state.db, user.id())
            .await?
            .into(),
    ))
}

/// Change some reader settings; fields not sent keep their value.
#[utoipa::path(patch, path = "/me/reader-settings", tag = "account", security(("bearer" = [])),
    request_body = ReaderSettingsPatch,
    responses(
        (status = 200, body = ReaderSettingsBody),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn patch_reader_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<ReaderSettingsPatch>,
) -> ApiResult<Json<ReaderSettingsBody>> {
    let patch = service::settings::SettingsPatch {
        font_size: req.font_size,
        line_spacing: req.line_spacing,
        brightness: req.brightness,
        background: req.background.map(|b| b.as_str().to_owned()),
        page_turn: req.page_turn.map(|p| p.as_str().to_owned()),
    };
    Ok(Json(
        service::settings::patch_reader_settings(&state.db, user.id(), patch)
            .await?
            .into(),
    ))
}

/// The reader, with preferences and reader settings.
#[utoipa::path(get, path = "/me", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = Me), errors::Unauthorized, errors::Unavailable))]
async fn get_me(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Me>> {
    let me = state.accounts.me(user.id()).await?;
    Ok(Json(Me {
        user: me.user.clone().into(),
        preferences: me.preferences.clone().into(),
        reader_settings: me.settings.clone().into(),
    }))
}

/// Set nickname and/or avatar (the mini-program's avatar/nickname fill-in).
#[utoipa::path(patch, path = "/me", tag = "account", security(("bearer" = [])), request_body = PatchMe,
    responses(
        (status = 200, body = User),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn patch_me(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<PatchMe>,
) -> ApiResult<Json<User>> {
    let u = service::account::update_profile(&state.db, user.id(), req.nickname, req.avatar_url)
        .await?;
    Ok(Json(u.into()))
}

/// Delete the account and everything stored about the reader.
#[utoipa::path(delete, path = "/me", tag = "account", security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), errors::Unauthorized, errors::Unavailable))]
async fn delete_me(State(state): State<AppState>, user: CurrentUser) -> ApiResult<StatusCode> {
    service::account::delete_account(&state.db, &state.auth.sessions, user.id()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Legacy `wx.getUserInfo` data, decrypted with the reader's WeChat session.
///
/// The data must carry our app id in its watermark; `signature` (with `raw_data`) is checked
/// when given.
#[utoipa::path(post, path = "/me/wechat-profile", tag = "account", security(("bearer" = [])),
    request_body = WechatProfileRequest,
    responses(
        (status = 200, body = User),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn wechat_profile(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<WechatProfileRequest>,
) -> ApiResult<Json<User>> {
    let u = service::account::apply_wechat_profile(
        &state.db,
        &state.auth,
        state.wechat.app_id(),
        user.id(),
        &service::account::WechatProfileInput {
            encrypted_data: &req.encrypted_data,
            iv: &req.iv,
            raw_data: req.raw_data.as_deref(),
            signature: req.signature.as_deref(),
        },
    )
    .await?;
    Ok(Json(u.into()))
}

/// Bind the phone number from the getPhoneNumber button's code.
#[utoipa::path(post, path = "/me/phone", tag = "account", security(("bearer" = [])),
    request_body = PhoneRequest,
    responses(
        (status = 200, body = PhoneResponse),
        errors::BadRequest, errors::PhoneRejected, errors::PayloadTooLarge, errors::Invalid, errors::RateLimited, errors::WechatUnavailable, errors::Unavailable,
    ))]
async fn phone(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJson(req): ValidatedJson<PhoneRequest>,
) -> ApiResult<Json<PhoneResponse>> {
    let (phone_number, country_code) = service::account::bind_phone(
        &state.db,
        &state.wechat_tokens,
        &state.wechat,
        user.id(),
        req.code.trim(),
    )
    .await?;
    Ok(Json(PhoneResponse {
        phone_number,
        country_code,
    }))
}
