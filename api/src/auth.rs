//! Authentication extractors: a handler states what it needs in its signature.
//! `CurrentUser` requires a valid access token; `MaybeUser` is anonymous without one, but a
//! present and bad token is still a 401 (never silently ignored).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use service::AuthFailure;
use service::auth::AuthContext;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated reader.
#[derive(Debug, Clone, Copy)]
pub struct CurrentUser(pub AuthContext);

impl CurrentUser {
    pub fn id(&self) -> i64 {
        self.0.user_id
    }
}

/// The reader when a token is sent, `None` for an anonymous request.
#[derive(Debug, Clone, Copy)]
pub struct MaybeUser(pub Option<AuthContext>);

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::from(AuthFailure::InvalidToken))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(AuthFailure::InvalidToken.into()),
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts)?.ok_or(ApiError::from(AuthFailure::MissingToken))?;
        let ctx = service::auth::authenticate(&state.db, &state.auth, token).await?;
        Ok(Self(ctx))
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts)? {
            None => Ok(Self(None)),
            Some(token) => Ok(Self(Some(
                service::auth::authenticate(&state.db, &state.auth, token).await?,
            ))),
        }
    }
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when the server
/// is configured to sit behind a trusted proxy.
fn address(
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if trust_forwarded_for {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address as an extractor.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(address(
            &parts.headers,
            &parts.extensions,
            state.config.trust_forwarded_for,
        )))
    }
}

/// Per-address rate limit for login and refresh (429 with `Retry-After`).
pub async fn rate_limit_auth(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(ip) = address(
        req.headers(),
        req.extensions(),
        state.config.trust_forwarded_for,
    ) && let Err(not_until) = state.auth_limiter.check_key(&ip)
    {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return ApiError::RateLimited {
            retry_after_secs: retry_after_secs.max(1),
        }
        .into_response();
    }
    next.run(req).await
}

/// The `User-Agent`, to label a login session.
pub fn user_agent(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(250)
        .collect()
}
