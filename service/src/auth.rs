//! Sessions and tokens: short-lived JWT access tokens tied to a login session, and opaque
//! rotating refresh tokens stored only as hashes.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use entity::{auth_session, refresh_token};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::crypto::{SecretBox, derive_key, hmac_sha256, random_token, sha256_hex};
use crate::db::now_micros;
use crate::{AuthFailure, ServiceError, ServiceResult};

pub const ISSUER: &str = "literature";
pub const AUDIENCE: &str = "literature-api";
const REFRESH_PREFIX: &str = "rt_";

/// Everything auth needs from the configuration; built once at start-up.
#[derive(Clone)]
pub struct AuthSettings {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Keys derived from the master secret for separate purposes.
    rotate_key: [u8; 32],
    pub state_key: [u8; 32],
    pub secret_box: SecretBox,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub refresh_grace: Duration,
    /// How many featured novels a new reader's shelf starts with.
    pub featured_on_signup: u64,
    /// Live sessions known to this instance (see `sessions`).
    pub sessions: crate::sessions::SessionCache,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish_non_exhaustive()
    }
}

impl AuthSettings {
    pub fn new(
        jwt_secret: &SecretString,
        access_ttl: Duration,
        refresh_ttl: Duration,
        refresh_grace: Duration,
        featured_on_signup: u64,
    ) -> Self {
        let master = jwt_secret.expose_secret().as_bytes();
        let jwt_key = derive_key(master, "jwt");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(&jwt_key),
            decoding: DecodingKey::from_secret(&jwt_key),
            validation,
            rotate_key: derive_key(master, "refresh-rotation"),
            state_key: derive_key(master, "oauth-state"),
            secret_box: SecretBox::new(derive_key(master, "session-key-at-rest")),
            access_ttl,
            refresh_ttl,
            refresh_grace,
            featured_on_signup,
            sessions: Default::default(),
        }
    }
}

/// The claims of an access token. Every field is required.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The login session; revoking it ends the token at once.
    pub sid: i64,
    /// Always `access`: refresh tokens are opaque and never JWTs.
    pub typ: String,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthContext {
    pub user_id: i64,
    pub session_id: i64,
}

#[derive(Clone)]
pub struct Tokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: SecretString,
    pub refresh_expires_in: i64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([REDACTED])")
    }
}

fn access_token(settings: &AuthSettings, ctx: AuthContext) -> ServiceResult<(String, i64)> {
    let issued = Utc::now().timestamp();
    let ttl = settings.access_ttl.num_seconds();
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: ctx.user_id.to_string(),
        exp: issued + ttl,
        iat: issued,
        jti: uuid::Uuid::new_v4().to_string(),
        sid: ctx.session_id,
        typ: "access".into(),
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &settings.encoding)
        .map_err(|e| ServiceError::Internal(format!("signing a token failed: {e}")))?;
    Ok((token, ttl))
}

/// The successor of a refresh token is derived from it, so that a parallel refresh within the
/// grace window gets the very same new token without the server storing any plaintext.
fn successor(settings: &AuthSettings, token: &str) -> String {
    use base64::Engine;
    let mac = hmac_sha256(&settings.rotate_key, &[token.as_bytes()]);
    format!(
        "{REFRESH_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    )
}

fn tokens_for(
    settings: &AuthSettings,
    session: &auth_session::Model,
    refresh: String,
    now: DateTime<Utc>,
) -> ServiceResult<Tokens> {
    let (access, expires_in) = access_token(
        settings,
        AuthContext {
            user_id: session.user_id,
            session_id: session.id,
        },
    )?;
    Ok(Tokens {
        access_token: access,
        expires_in,
        refresh_token: SecretString::from(refresh),
        refresh_expires_in: (session.expires_at - now).num_seconds().max(0),
    })
}

/// Starts a login session (a refresh-token family) and issues its first tokens.
#[tracing::instrument(skip(db, settings))]
pub async fn start_session(
    db: &impl ConnectionTrait,
    settings: &AuthSettings,
    user_id: i64,
    user_agent: &str,
) -> ServiceResult<Tokens> {
    let now = now_micros();
    let session = auth_session::ActiveModel {
        user_id: Set(user_id),
        user_agent: Set(user_agent.chars().take(250).collect()),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + settings.refresh_ttl),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let refresh = format!("{REFRESH_PREFIX}{}", random_token(32));
    refresh_token::ActiveModel {
        session_id: Set(session.id),
        token_hash: Set(sha256_hex(refresh.as_bytes())),
        created_at: Set(now),
        expires_at: Set(session.expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tokens_for(settings, &session, refresh, now)
}

/// Rotates a refresh token. A spent token presented again after the grace window revokes the
/// whole family.
#[tracing::instrument(skip_all)]
pub async fn refresh<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    presented: &str,
) -> ServiceResult<Tokens> {
    let invalid = || ServiceError::Auth(AuthFailure::RefreshTokenInvalid);
    if !presented.starts_with(REFRESH_PREFIX) || presented.len() > 128 {
        return Err(invalid());
    }
    let now = now_micros();
    let txn = crate::db::begin_write(db).await?;
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(sha256_hex(presented.as_bytes())))
        .one(&txn)
        .await?
    else {
        return Err(invalid());
    };
    let Some(session) = auth_session::Entity::find_by_id(row.session_id)
        .one(&txn)
        .await?
    else {
        return Err(invalid());
    };
    if session.revoked_at.is_some() || session.expires_at <= now || row.expires_at <= now {
        return Err(invalid());
    }
    let next = successor(settings, presented);
    let fresh_use = row.used_at.is_none()
        && refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(row.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
    if fresh_use {
        let successor_row = refresh_token::ActiveModel {
            session_id: Set(session.id),
            token_hash: Set(sha256_hex(next.as_bytes())),
            created_at: Set(now),
            expires_at: Set(session.expires_at),
            used_at: Set(None),
            ..Default::default()
        };
        crate::db::insert_ignore(&txn, [successor_row]).await?;
    } else {
        let used_at = row.used_at.unwrap_or(now);
        if now - used_at > settings.refresh_grace {
            // Reuse: somebody holds a stolen or stale token. End the whole login.
            auth_session::Entity::update_many()
                .col_expr(auth_session::Column::RevokedAt, Expr::value(now))
                .filter(auth_session::Column::Id.eq(session.id))
                .exec(&txn)
                .await?;
            crate::sessions::publish(&txn, &[session.id], None).await?;
            txn.commit().await?;
            settings.sessions.forget(Some(session.id), None).await;
            tracing::warn!(
                session_id = session.id,
                "refresh token reused; session revoked"
            );
            return Err(ServiceError::Auth(AuthFailure::RefreshTokenReused));
        }
        // Within the grace window: a parallel refresh gets the same new refresh token.
    }
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::LastUsedAt, Expr::value(now))
        .filter(auth_session::Column::Id.eq(session.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tokens_for(settings, &session, next, now)
}

/// Verifies an access token and that its login session is still live: from this instance's
/// session cache (no query) when the revocation feed is current, else from the database.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    settings: &AuthSettings,
    token: &str,
) -> ServiceResult<AuthContext> {
    use jsonwebtoken::errors::ErrorKind;
    let data = jsonwebtoken::decode::<Claims>(token, &settings.decoding, &settings.validation)
        .map_err(|e| {
            ServiceError::Auth(match e.kind() {
                ErrorKind::ExpiredSignature => AuthFailure::TokenExpired,
                _ => AuthFailure::InvalidToken,
            })
        })?;
    let claims = data.claims;
    let user_id: i64 = claims
        .sub
        .parse()
        .map_err(|_| ServiceError::Auth(AuthFailure::InvalidToken))?;
    if claims.typ != "access" {
        return Err(ServiceError::Auth(AuthFailure::InvalidToken));
    }
    let now = now_micros();
    let cached = settings.sessions.check(claims.sid, user_id, now).await;
    crate::metrics::session_cache(cached);
    if cached {
        return Ok(AuthContext {
            user_id,
            session_id: claims.sid,
        });
    }
    let live = auth_session::Entity::find()
        .filter(auth_session::Column::Id.eq(claims.sid))
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .filter(auth_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    match live {
        Some(s) => {
            settings
                .sessions
                .remember(s.id, user_id, s.expires_at)
                .await;
            Ok(AuthContext {
                user_id,
                session_id: s.id,
            })
        }
        None => Err(ServiceError::Auth(AuthFailure::InvalidToken)),
    }
}

/// Ends this login (or every login of the reader): its access and refresh tokens stop working
/// at once on this instance and within `sessions::BOUND` on every other one.
#[tracing::instrument(skip(db, settings, refresh_token))]
pub async fn logout<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    settings: &AuthSettings,
    ctx: AuthContext,
    refresh_token: Option<&str>,
    all_devices: bool,
) -> ServiceResult<()> {
    let mut sessions = vec![ctx.session_id];
    if let Some(rt) = refresh_token {
        // Only a login of this reader: another reader's token ends nothing (and publishes
        // nothing to the revocation feed).
        let row = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(sha256_hex(rt.as_bytes())))
            .one(db)
            .await?;
        if let Some(row) = row {
            let own = auth_session::Entity::find_by_id(row.session_id)
                .filter(auth_session::Column::UserId.eq(ctx.user_id))
                .one(db)
                .await?;
            sessions.extend(own.map(|s| s.id));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let mut update = auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(now_micros()))
        .filter(auth_session::Column::UserId.eq(ctx.user_id))
        .filter(auth_session::Column::RevokedAt.is_null());
    if !all_devices {
        update = update.filter(auth_session::Column::Id.is_in(sessions.clone()));
    }
    update.exec(&txn).await?;
    let whole_reader = all_devices.then_some(ctx.user_id);
    let listed: &[i64] = if all_devices { &[] } else { &sessions };
    crate::sessions::publish(&txn, listed, whole_reader).await?;
    txn.commit().await?;
    for sid in listed {
        settings.sessions.forget(Some(*sid), None).await;
    }
    settings.sessions.forget(None, whole_reader).await;
    Ok(())
}

/// Recovers a shared error (from a coalesced cache load) as an owned one.
pub(crate) fn unshare(err: Arc<ServiceError>) -> ServiceError {
    match &*err {
        ServiceError::NotFound => ServiceError::NotFound,
        ServiceError::Conflict(s) => ServiceError::Conflict(s.clone()),
        ServiceError::Invalid(f) => ServiceError::Invalid(f.clone()),
        ServiceError::Unavailable(s) => ServiceError::Unavailable(s.clone()),
        ServiceError::Contended(s) => ServiceError::Contended(s.clone()),
        ServiceError::Auth(a) => ServiceError::Auth(*a),
        ServiceError::Wechat { failure, detail } => ServiceError::Wechat {
            failure: *failure,
            detail: detail.clone(),
        },
        ServiceError::Db(e) => ServiceError::Internal(e.to_string()),
        ServiceError::Internal(s) => ServiceError::Internal(s.clone()),
    }
}
