//! `/auth/*`: WeChat login, token refresh, logout, web OAuth.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::Required;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;
use validator::Validate;

use crate::auth::{CurrentUser, rate_limit_auth, user_agent};
use crate::dto::{
    LoginRequest, LoginResponse, LogoutRequest, RefreshRequest, TokensBody, WebScope,
};
use crate::error::ApiResult;
use crate::extract::{Json, ValidatedJson, ValidatedJsonOrDefault, ValidatedQuery};
use crate::openapi::errors;
use crate::state::AppState;

pub fn router(state: AppState) -> OpenApiRouter<AppState> {
    let limited = OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(web_callback))
        .route_layer(middleware::from_fn_with_state(state, rate_limit_auth));
    OpenApiRouter::new()
        .merge(limited)
        .routes(optional_body(routes!(logout)))
        .routes(routes!(web_authorize))
}

/// utoipa marks a body required unless its type is an `Option`, which would also document a
/// JSON `null` (a 422 here): logout's body may be absent but is never `null`.
fn optional_body(mut route: UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    for item in route.1.paths.values_mut() {
        if let Some(body) = item.post.as_mut().and_then(|op| op.request_body.as_mut()) {
            body.required = Some(Required::False);
        }
    }
    route
}

/// Log in with the code from `wx.login()`.
///
/// Creates the reader on first login. Sending the same code twice within its life (a double
/// tap) gives both requests a session.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest, security(),
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        errors::BadRequest, errors::LoginRejected, errors::Blocked, errors::Conflict, errors::PayloadTooLarge, errors::Invalid, errors::RateLimited, errors::WechatUnavailable, errors::Unavailable,
    ))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidatedJson(req): ValidatedJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let login = service::account::login_with_code(
        &state.db,
        &state.auth,
        &state.wechat,
        &state.login_codes,
        req.code.trim(),
        &user_agent(&headers),
    )
    .await?;
    Ok(Json(login.into()))
}

/// Exchange a refresh token for a new pair (the old refresh token is spent).
///
/// Presenting a spent token again revokes the whole login (`refresh_token_reused`), except
/// within a short grace window in which parallel refreshes get the same new pair.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest, security(),
    responses(
        (status = 200, description = "New tokens", body = TokensBody),
        errors::BadRequest, errors::RefreshRejected, errors::PayloadTooLarge, errors::Invalid, errors::RateLimited, errors::Unavailable,
    ))]
async fn refresh(
    State(state): State<AppState>,
    ValidatedJson(req): ValidatedJson<RefreshRequest>,
) -> ApiResult<Json<TokensBody>> {
    let tokens = service::auth::refresh(&state.db, &state.auth, req.refresh_token.trim()).await?;
    Ok(Json(tokens.into()))
}

/// End this login (or every login with `all_devices`); its tokens stop working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    request_body(content = LogoutRequest,
        description = "Optional: without a body only this login ends"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        errors::BadRequest, errors::Unauthorized, errors::PayloadTooLarge, errors::Invalid, errors::Unavailable,
    ))]
async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    ValidatedJsonOrDefault(req): ValidatedJsonOrDefault<LogoutRequest>,
) -> ApiResult<StatusCode> {
    let (refresh_token, all_devices) = (req.refresh_token.as_deref(), req.all_devices);
    service::auth::logout(&state.db, &state.auth, user.0, refresh_token, all_devices).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// Where WeChat sends the browser back; must be on `WECHAT_WEB_REDIRECT_URIS`.
    #[validate(length(min = 1, max = 512, message = "must be 1 to 512 characters"))]
    pub redirect_uri: String,
    /// Default `snsapi_base`.
    pub scope: Option<WebScope>,
}

/// Start the WeChat web login: a 302 to WeChat's consent page with a signed `state`.
#[utoipa::path(get, path = "/auth/wechat-web/authorize", tag = "auth", params(AuthorizeQuery),
    security(),
    responses(
        (status = 302, description = "Redirect to open.weixin.qq.com",
            headers(("Location" = String, description = "WeChat's consent page"))),
        errors::BadRequest, errors::Invalid,
    ))]
async fn web_authorize(
    State(state): State<AppState>,
    ValidatedQuery(q): ValidatedQuery<AuthorizeQuery>,
) -> ApiResult<Response> {
    let location = service::account::authorize_location(
        &state.auth,
        &state.wechat,
        &state.config.wechat.web_redirect_uris,
        &q.redirect_uri,
        q.scope.unwrap_or(WebScope::SnsapiBase).into(),
    )?;
    let headers = [
        (header::LOCATION, location),
        (header::CACHE_CONTROL, "no-store".into()),
    ];
    Ok((StatusCode::FOUND, headers).into_response())
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub code: String,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub state: String,
}

/// Finish the WeChat web login: same body as `/auth/login`. A WeChat account that already
/// logged in through the mini-program is the same reader (linked by unionid).
#[utoipa::path(get, path = "/auth/wechat-web/callback", tag = "auth", params(CallbackQuery),
    security(),
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        errors::BadRequest, errors::CallbackRejected, errors::Blocked, errors::Conflict, errors::Invalid, errors::RateLimited, errors::WechatUnavailable, errors::Unavailable,
    ))]
async fn web_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ValidatedQuery(q): ValidatedQuery<CallbackQuery>,
) -> ApiResult<Json<LoginResponse>> {
    let login = service::account::web_login(
        &state.db,
        &state.auth,
        &state.wechat,
        &q.code,
        &q.state,
        &user_agent(&headers),
    )
    .await?;
    Ok(Json(login.into()))
}
