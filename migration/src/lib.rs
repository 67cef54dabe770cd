//! Database schema as code. Portable across SQLite and MySQL/MariaDB; never imports `entity`.

pub use sea_orm_migration::prelude::*;

pub mod command;
pub mod database;
mod helpers;
mod m20261122_000001_users_and_auth;
mod m20261122_000002_catalog;
mod m20261122_000003_reader_data;
mod m20261122_000004_search;
mod m20261122_000005_login_codes;
mod m20261122_000006_app_meta;
mod m20261122_000007_session_revocations;
mod m20261123_000101_search_hit_batches;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_users_and_auth::Migration),
            Box::new(m20261122_000002_catalog::Migration),
            Box::new(m20261122_000003_reader_data::Migration),
            Box::new(m20261122_000004_search::Migration),
            Box::new(m20261122_000005_login_codes::Migration),
            Box::new(m20261122_000006_app_meta::Migration),
            Box::new(m20261122_000007_session_revocations::Migration),
            Box::new(m20261123_000101_search_hit_batches::Migration),
        ]
    }
}
