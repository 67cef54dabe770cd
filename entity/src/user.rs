use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub openid: Option<String>,
    pub web_openid: Option<String>,
    pub unionid: Option<String>,
    /// Encrypted at rest; never leaves the server.
    pub session_key_enc: Option<String>,
    pub nickname: String,
    pub avatar_url: String,
    pub channel: Option<String>,
    pub phone_number: Option<String>,
    pub phone_country_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
