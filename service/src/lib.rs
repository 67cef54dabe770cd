//! The domain: persistence helpers, auth, WeChat, catalog, search and the reader's data.
//! No axum types cross this crate's public API; functions take `&impl ConnectionTrait`.

pub mod db;
pub mod error;
pub mod page;

pub use error::{ServiceError, ServiceResult};
