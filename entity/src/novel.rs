use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "novels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub author: String,
    pub category_id: i64,
    pub top_category_id: i64,
    pub channel: String,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub intro: String,
    pub cover_url: String,
    pub word_count: i64,
    pub chapter_count: i32,
    pub heat: i64,
    pub collect_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
