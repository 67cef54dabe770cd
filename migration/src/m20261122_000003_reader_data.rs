use crate::helpers::*;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per reader+novel. `sort_at` = latest of added/read, the shelf's order;
        // `seen_chapter_count` is the novel's chapter count when the reader last opened it.
        create_table(
            m,
            Table::create()
                .table("bookshelf")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(big_integer("novel_id"))
                .col(integer("seen_chapter_count").default(0))
                .col(instant(m, "added_at"))
                .col(instant(m, "sort_at"))
                .foreign_key(&mut fk(
                    "bookshelf",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "bookshelf",
                    "novel_id",
                    "novels",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "bookshelf", &["user_id", "novel_id"], true).await?;
        index(m, "bookshelf", &["user_id", "sort_at"], false).await?;
        index(m, "bookshelf", &["novel_id"], false).await?;

        // The reader's place in a novel, one row per reader+novel; `client_time` decides
        // which of two devices' writes is newer.
        create_table(
            m,
            Table::create()
                .table("reading_progress")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(big_integer("novel_id"))
                .col(big_integer("chapter_id"))
                .col(integer("chapter_index"))
                .col(integer("offset").default(0))
                .col(double("percent").default(0.0))
                .col(instant(m, "client_time"))
                .col(instant(m, "updated_at"))
                .foreign_key(&mut fk(
                    "reading_progress",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "reading_progress",
                    "novel_id",
                    "novels",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "reading_progress",
                    "chapter_id",
                    "chapters",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "reading_progress", &["user_id", "novel_id"], true).await?;
        index(m, "reading_progress", &["user_id", "updated_at"], false).await?;
        index(m, "reading_progress", &["novel_id"], false).await?;
        index(m, "reading_progress", &["chapter_id"], false).await?;

        create_table(
            m,
            Table::create()
                .table("browse_history")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(big_integer("novel_id"))
                .col(instant(m, "viewed_at"))
                .foreign_key(&mut fk(
                    "browse_history",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "browse_history",
                    "novel_id",
                    "novels",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "browse_history", &["user_id", "novel_id"], true).await?;
        index(m, "browse_history", &["user_id", "viewed_at"], false).await?;
        index(m, "browse_history", &["novel_id"], false).await?;

        // 阅读偏好: favourite categories (the preferred channel is `users.channel`).
        create_table(
            m,
            Table::create()
                .table("user_preferred_categories")
                .col(big_integer("user_id"))
                .col(big_integer("category_id"))
                .primary_key(Index::create().col("user_id").col("category_id"))
                .foreign_key(&mut fk(
                    "user_preferred_categories",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "user_preferred_categories",
                    "category_id",
                    "categories",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        index(m, "user_preferred_categories", &["category_id"], false).await?;

        // 阅读设置; a reader without a row gets the defaults.
        create_table(
            m,
            Table::create()
                .table("reader_settings")
                .col(big_integer("user_id").primary_key())
                .col(integer("font_size"))
                .col(double("line_spacing"))
                .col(integer("brightness"))
                .col(string_len("background", 16))
                .col(string_len("page_turn", 16))
                .col(instant(m, "updated_at"))
                .foreign_key(&mut fk(
                    "reader_settings",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            m,
            &[
                "reader_settings",
                "user_preferred_categories",
                "browse_history",
                "reading_progress",
                "bookshelf",
            ],
        )
        .await
    }
}
