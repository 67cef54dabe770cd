//! The central WeChat access token: one per app id, kept in the database so that every
//! instance shares it, refreshed ahead of expiry by exactly one caller under a lease.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::wechat_access_token as wat;
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use secrecy::ExposeSecret;

use super::{WechatClient, WechatError};
use crate::crypto::SecretBox;
use crate::{ServiceError, ServiceResult};

/// Refresh this long before expiry.
const REFRESH_AHEAD: i64 = 5 * 60;
/// A refresh inside the refresh-ahead window is not repeated more often than this.
const MIN_REFRESH_INTERVAL: i64 = 60;
/// How long a fetcher may hold the lease.
const LEASE_SECS: i64 = 15;
/// How long a caller waits for another caller's fetch when no valid token exists.
const MAX_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct AccessTokenManager {
    client: WechatClient,
    secret_box: SecretBox,
    instance: String,
}

/// A token and the version it was stored under (for compare-and-swap invalidation).
struct Current {
    token: String,
    version: i64,
}

impl AccessTokenManager {
    pub fn new(client: WechatClient, secret_box: SecretBox) -> Self {
        Self {
            client,
            secret_box,
            instance: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// Runs `call` with the current token; when WeChat says the token is invalid or expired,
    /// drops it (only if it is still the stored one) and retries exactly once.
    pub async fn with_token<T, F, Fut>(
        &self,
        db: &impl ConnectionTrait,
        call: F,
    ) -> ServiceResult<T>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, WechatError>>,
    {
        let current = self.get(db).await?;
        match call(current.token).await {
            Err(e) if e.is_bad_access_token() => {
                tracing::warn!(
                    errcode = e.errcode(),
                    "WeChat rejected the access token; refetching once"
                );
                self.invalidate(db, current.version).await?;
                let fresh = self.get(db).await?;
                Ok(call(fresh.token).await?)
            }
            other => Ok(other?),
        }
    }

    async fn get(&self, db: &impl ConnectionTrait) -> ServiceResult<Current> {
        let app_id = self.client.app_id().to_owned();
        let started = tokio::time::Instant::now();
        loop {
            let now = Utc::now();
            let row = wat::Entity::find()
                .filter(wat::Column::AppId.eq(&app_id))
                .one(db)
                .await?;
            let valid = row.as_ref().and_then(|r| self.valid_token(r, now));
            if let (Some(row), Some(token)) = (&row, &valid)
                && !needs_refresh(row, now)
            {
                return Ok(Current {
                    token: token.clone(),
                    version: row.version,
                });
            }
            if self.try_lease(db, &app_id, now, row.is_some()).await? {
                return self.fetch_and_store(db, &app_id).await;
            }
            // Someone else is fetching: keep using a still-valid token meanwhile.
            if let (Some(row), Some(token)) = (row, valid) {
                return Ok(Current {
                    token,
                    version: row.version,
                });
            }
            if started.elapsed() > MAX_WAIT {
                return Err(ServiceError::Unavailable(
                    "timed out waiting for the WeChat access token".into(),
                ));
            }
            let jitter = rand::rng().random_range(0..50);
            tokio::time::sleep(Duration::from_millis(50 + jitter)).await;
        }
    }

    fn valid_token(&self, row: &wat::Model, now: DateTime<Utc>) -> Option<String> {
        let sealed = row.access_token.as_deref()?;
        if row.expires_at? <= now {
            return None;
        }
        self.secret_box.open(sealed)
    }

    /// Takes the refresh lease if nobody holds a live one; a missing row is created holding it.
    async fn try_lease(
        &self,
        db: &impl ConnectionTrait,
        app_id: &str,
        now: DateTime<Utc>,
        row_exists: bool,
    ) -> ServiceResult<bool> {
        let until = now + chrono::Duration::seconds(LEASE_SECS);
        let lease = wat::Entity::update_many()
            .col_expr(wat::Column::LeaseOwner, Expr::value(self.instance.clone()))
            .col_expr(wat::Column::LeaseUntil, Expr::value(until))
            .filter(wat::Column::AppId.eq(app_id))
            .filter(
                wat::Column::LeaseUntil
                    .is_null()
                    .or(wat::Column::LeaseUntil.lt(now)),
            );
        if row_exists {
            return Ok(lease.exec(db).await?.rows_affected == 1);
        }
        let row = wat::ActiveModel {
            app_id: Set(app_id.to_owned()),
            version: Set(0),
            lease_owner: Set(Some(self.instance.clone())),
            lease_until: Set(Some(until)),
            updated_at: Set(now),
            ..Default::default()
        };
        Ok(crate::db::insert_or_update(db, row, lease).await?)
    }

    async fn fetch_and_store(
        &self,
        db: &impl ConnectionTrait,
        app_id: &str,
    ) -> ServiceResult<Current> {
        let release = wat::Entity::update_many()
            .col_expr(wat::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(
                wat::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(wat::Column::AppId.eq(app_id))
            .filter(wat::Column::LeaseOwner.eq(self.instance.clone()));
        // Double-check under the lease: another caller may have stored a fresh token between
        // our read and our lease.
        let now = Utc::now();
        if let Some(row) = wat::Entity::find()
            .filter(wat::Column::AppId.eq(app_id))
            .one(db)
            .await?
            && let Some(token) = self.valid_token(&row, now)
            && !needs_refresh(&row, now)
        {
            release.exec(db).await?;
            return Ok(Current {
                token,
                version: row.version,
            });
        }
        let fetched = self.client.stable_token().await;
        crate::metrics::wechat_token_refresh(fetched.is_ok());
        let fetched = match fetched {
            Ok(t) => t,
            Err(e) => {
                release.exec(db).await?;
                return Err(e.into());
            }
        };
        let now = Utc::now();
        let token = fetched.access_token.expose_secret().to_owned();
        let expires_at = now + chrono::Duration::seconds(Ord::max(fetched.expires_in, 0));
        let row = wat::Entity::find()
            .filter(wat::Column::AppId.eq(app_id))
            .one(db)
            .await?
            .ok_or_else(|| ServiceError::Internal("access token row vanished".into()))?;
        let version = row.version + 1;
        release
            .col_expr(
                wat::Column::AccessToken,
                Expr::value(self.secret_box.seal(&token)),
            )
            .col_expr(wat::Column::ExpiresAt, Expr::value(expires_at))
            .col_expr(wat::Column::Version, Expr::value(version))
            .col_expr(wat::Column::UpdatedAt, Expr::value(now))
            .exec(db)
            .await?;
        tracing::info!(
            expires_in = fetched.expires_in,
            "fetched a new WeChat access token"
        );
        Ok(Current { token, version })
    }

    /// Drops the stored token, but only if it is still the one that failed.
    async fn invalidate(&self, db: &impl ConnectionTrait, version: i64) -> ServiceResult<()> {
        wat::Entity::update_many()
            .col_expr(
                wat::Column::AccessToken,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                wat::Column::ExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(wat::Column::AppId.eq(self.client.app_id()))
            .filter(wat::Column::Version.eq(version))
            .exec(db)
            .await?;
        Ok(())
    }
}

fn needs_refresh(row: &wat::Model, now: DateTime<Utc>) -> bool {
    let Some(expires_at) = row.expires_at else {
        return true;
    };
    let ahead = (expires_at - now).num_seconds() < REFRESH_AHEAD;
    ahead && (now - row.updated_at).num_seconds() >= MIN_REFRESH_INTERVAL
}
