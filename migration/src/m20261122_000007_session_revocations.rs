use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The revocation feed: each instance caches live sessions and follows this log (by
        // id) to drop the ones ended elsewhere: logout, refresh-token reuse, account deletion
        // (a row with only `user_id` ends every session of the reader). No foreign keys: a
        // deleted reader's row must outlive the reader.
        create_table(
            m,
            Table::create()
                .table("session_revocations")
                .col(big_pk_auto("id"))
                .col(big_integer_null("session_id"))
                .col(big_integer_null("user_id"))
                .col(instant(m, "created_at"))
                .take(),
        )
        .await?;
        index(m, "session_revocations", &["created_at"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &["session_revocations"]).await
    }
}
