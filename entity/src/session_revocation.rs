use sea_orm::entity::prelude::*;

/// One entry of the revocation feed: a session, or (with only `user_id`) every session of a
/// reader, ended at `created_at`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "session_revocations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
