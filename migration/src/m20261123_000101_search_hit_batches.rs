use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Hot-keyword hits are written in batches by a background flush; each batch tags the rows it
/// inserts, so that only the rows it really added (not those another instance or an earlier
/// batch already had) raise the counts.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("search_keyword_hits")
                .add_column(ColumnDef::new("batch").big_integer().null())
                .to_owned(),
        )
        .await?;
        index(m, "search_keyword_hits", &["batch"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_search_keyword_hits_batch")
                .table("search_keyword_hits")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("search_keyword_hits")
                .drop_column("batch")
                .to_owned(),
        )
        .await
    }
}
