//! Small portability helpers shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// Creates a table; on MySQL with InnoDB and utf8mb4 (binary collation, so that identity and
/// ordering are the same as on SQLite).
pub async fn create_table(m: &SchemaManager<'_>, mut t: TableCreateStatement) -> Result<(), DbErr> {
    if m.get_database_backend() == DatabaseBackend::MySql {
        t.engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_bin");
    }
    m.create_table(t).await
}

pub async fn drop_tables(m: &SchemaManager<'_>, names: &[&'static str]) -> Result<(), DbErr> {
    for name in names {
        m.drop_table(Table::drop().table(*name).if_exists().to_owned())
            .await?;
    }
    Ok(())
}

/// A UTC instant with microseconds: `DATETIME(6)` on MySQL (no 2038 limit, no implicit
/// `ON UPDATE`), RFC 3339 text on SQLite.
pub fn instant(m: &SchemaManager<'_>, col: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(col);
    if m.get_database_backend() == DatabaseBackend::MySql {
        c.custom("datetime(6)");
    } else {
        c.timestamp_with_time_zone();
    }
    c.not_null().take()
}

pub fn instant_null(m: &SchemaManager<'_>, col: &'static str) -> ColumnDef {
    instant(m, col).null().take()
}

/// Long text (chapter bodies can exceed MySQL's 64 KiB `TEXT`).
pub fn long_text(col: &'static str) -> ColumnDef {
    ColumnDef::new(col).custom("longtext").not_null().take()
}

pub fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .take()
}

pub async fn index(
    m: &SchemaManager<'_>,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(format!(
        "{}_{}_{}",
        if unique { "uq" } else { "ix" },
        table,
        cols.join("_")
    ))
    .table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    m.create_index(idx).await
}
