use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Two levels: `parent_id` is null for a top-level category. `path` ("古典名著" or
        // "古典名著/神魔") makes a category unique per channel without a nullable unique key.
        create_table(
            m,
            Table::create()
                .table("categories")
                .col(big_pk_auto("id"))
                .col(big_integer_null("parent_id"))
                .col(string_len("channel", 8))
                .col(string_len("name", 64))
                .col(string_len("path", 160))
                .col(string_len("icon_url", 512).default(""))
                .col(integer("sort_order").default(0))
                .col(instant(m, "created_at"))
                .foreign_key(&mut fk(
                    "categories",
                    "parent_id",
                    "categories",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "categories", &["channel", "path"], true).await?;
        index(m, "categories", &["parent_id"], false).await?;

        // `category_id` is the most specific category, `top_category_id` its top level, so
        // that filtering at either level is one indexed comparison.
        create_table(
            m,
            Table::create()
                .table("novels")
                .col(big_pk_auto("id"))
                .col(string_len("title", 200))
                .col(string_len("author", 100))
                .col(big_integer("category_id"))
                .col(big_integer("top_category_id"))
                .col(string_len("channel", 8))
                .col(string_len("status", 16))
                .col(text("intro"))
                .col(string_len("cover_url", 512).default(""))
                .col(big_integer("word_count").default(0))
                .col(integer("chapter_count").default(0))
                .col(big_integer("heat").default(0))
                .col(big_integer("collect_count").default(0))
                .col(instant(m, "created_at"))
                .col(instant(m, "updated_at"))
                .foreign_key(&mut fk(
                    "novels",
                    "category_id",
                    "categories",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "novels",
                    "top_category_id",
                    "categories",
                    ForeignKeyAction::Restrict,
                ))
                .take(),
        )
        .await?;
        index(m, "novels", &["title", "author"], true).await?;
        index(m, "novels", &["author"], false).await?;
        index(m, "novels", &["heat"], false).await?;
        index(m, "novels", &["collect_count"], false).await?;
        index(m, "novels", &["updated_at"], false).await?;
        index(m, "novels", &["word_count"], false).await?;
        index(m, "novels", &["channel", "heat"], false).await?;
        index(m, "novels", &["top_category_id", "heat"], false).await?;
        index(m, "novels", &["category_id", "heat"], false).await?;
        index(m, "novels", &["status", "heat"], false).await?;

        // Chapter metadata only; the text lives in `chapter_contents` so that lists never load it.
        create_table(
            m,
            Table::create()
                .table("chapters")
                .col(big_pk_auto("id"))
                .col(big_integer("novel_id"))
                .col(integer("position"))
                .col(string_len("title", 200))
                .col(integer("word_count").default(0))
                .col(instant(m, "created_at"))
                .col(instant(m, "updated_at"))
                .foreign_key(&mut fk(
                    "chapters",
                    "novel_id",
                    "novels",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "chapters", &["novel_id", "position"], true).await?;

        create_table(
            m,
            Table::create()
                .table("chapter_contents")
                .col(big_integer("chapter_id").primary_key())
                .col(long_text("content"))
                .foreign_key(&mut fk(
                    "chapter_contents",
                    "chapter_id",
                    "chapters",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &["chapter_contents", "chapters", "novels", "categories"]).await
    }
}
