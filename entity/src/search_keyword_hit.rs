use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "search_keyword_hits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub keyword_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub searcher: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    /// The flush that inserted the row (counts rise only for rows a flush really added).
    pub batch: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
