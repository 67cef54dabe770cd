use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Hot keywords, normalised before counting.
        create_table(
            m,
            Table::create()
                .table("search_keywords")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("keyword", 64))
                .col(big_integer("count").default(0))
                .col(instant(m, "updated_at"))
                .take(),
        )
        .await?;
        index(m, "search_keywords", &["count"], false).await?;

        // Who already counted a keyword today: a reader counts once per keyword per day.
        create_table(
            m,
            Table::create()
                .table("search_keyword_hits")
                .col(big_integer("keyword_id"))
                .col(string_len("searcher", 64))
                .col(date("day"))
                .primary_key(Index::create().col("keyword_id").col("searcher").col("day"))
                .foreign_key(&mut fk(
                    "search_keyword_hits",
                    "keyword_id",
                    "search_keywords",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "search_keyword_hits", &["day"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &["search_keyword_hits", "search_keywords"]).await
    }
}
