use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A reader. `openid` is the mini-program identity, `web_openid` the official-account
        // (web OAuth) one; `unionid` links the two. `session_key_enc` is the latest WeChat
        // session key, encrypted at rest and never sent anywhere.
        create_table(
            m,
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_len_null("openid", 64).unique_key())
                .col(string_len_null("web_openid", 64).unique_key())
                .col(string_len_null("unionid", 64).unique_key())
                .col(text_null("session_key_enc"))
                .col(string_len("nickname", 64).default(""))
                .col(string_len("avatar_url", 512).default(""))
                .col(string_len_null("channel", 8))
                .col(string_len_null("phone_number", 32))
                .col(string_len_null("phone_country_code", 8))
                .col(instant(m, "created_at"))
                .col(instant(m, "updated_at"))
                .take(),
        )
        .await?;

        // One login (a device): the refresh-token family. Revoking it ends its access tokens too.
        create_table(
            m,
            Table::create()
                .table("auth_sessions")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len("user_agent", 256).default(""))
                .col(instant(m, "created_at"))
                .col(instant(m, "last_used_at"))
                .col(instant(m, "expires_at"))
                .col(instant_null(m, "revoked_at"))
                .foreign_key(&mut fk(
                    "auth_sessions",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "auth_sessions", &["user_id"], false).await?;

        // Refresh tokens, stored only as SHA-256 hashes. `used_at` marks a spent token.
        create_table(
            m,
            Table::create()
                .table("refresh_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("session_id"))
                .col(char_len("token_hash", 64).unique_key())
                .col(instant(m, "created_at"))
                .col(instant(m, "expires_at"))
                .col(instant_null(m, "used_at"))
                .foreign_key(&mut fk(
                    "refresh_tokens",
                    "session_id",
                    "auth_sessions",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "refresh_tokens", &["session_id"], false).await?;

        // The central WeChat access token shared by every instance, with a refresh lease.
        create_table(
            m,
            Table::create()
                .table("wechat_access_tokens")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("app_id", 64))
                .col(text_null("access_token"))
                .col(instant_null(m, "expires_at"))
                .col(string_len_null("lease_owner", 64))
                .col(instant_null(m, "lease_until"))
                .col(big_integer("version").default(0))
                .col(instant(m, "updated_at"))
                .take(),
        )
        .await?;

        // Web OAuth `state` nonces already consumed, so a callback URL can't be replayed.
        create_table(
            m,
            Table::create()
                .table("oauth_states")
                .col(string_len("nonce", 64).primary_key())
                .col(instant(m, "expires_at"))
                .take(),
        )
        .await?;
        index(m, "oauth_states", &["expires_at"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            &[
                "oauth_states",
                "wechat_access_tokens",
                "refresh_tokens",
                "auth_sessions",
                "users",
            ],
        )
        .await
    }
}
