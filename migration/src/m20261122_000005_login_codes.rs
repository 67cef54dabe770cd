use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // WeChat login codes already exchanged (hashed), for their 5-minute life: a double
        // tap that sends the same code again, to any instance, gets a session for the same
        // reader instead of WeChat's 40163.
        create_table(
            m,
            Table::create()
                .table("login_codes")
                .col(char_len("code_hash", 64).primary_key())
                .col(big_integer("user_id"))
                .col(instant(m, "expires_at"))
                .foreign_key(&mut fk(
                    "login_codes",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "login_codes", &["expires_at"], false).await?;
        index(m, "login_codes", &["user_id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &["login_codes"]).await
    }
}
