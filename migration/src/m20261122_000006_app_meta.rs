use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Small shared counters, e.g. `catalog_version`, bumped by every import so that each
        // server instance drops its catalog caches.
        create_table(
            m,
            Table::create()
                .table("app_meta")
                .col(string_len("name", 64).primary_key())
                .col(big_integer("value").default(0))
                .col(instant(m, "updated_at"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &["app_meta"]).await
    }
}
