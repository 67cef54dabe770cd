//! The domain: persistence helpers, auth, WeChat, catalog, search and the reader's data.
//! No axum types cross this crate's public API; functions take `&impl ConnectionTrait`.

pub mod account;
pub mod auth;
pub mod batch;
pub mod catalog;
pub mod catalog_cache;
pub mod catalog_version;
pub mod chapter_batch;
pub mod crypto;
pub mod db;
pub mod error;
pub mod import;
pub mod library;
pub mod metrics;
pub mod page;
pub mod replica;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod wechat;

pub use error::{AuthFailure, ServiceError, ServiceResult, WechatFailure};
