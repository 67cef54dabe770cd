//! sea-orm entities, one module per table. Schema changes go through `migration`.

pub mod app_meta;
pub mod auth_session;
pub mod bookshelf;
pub mod browse_history;
pub mod category;
pub mod chapter;
pub mod chapter_content;
pub mod login_code;
pub mod novel;
pub mod oauth_state;
pub mod reader_settings;
pub mod reading_progress;
pub mod refresh_token;
pub mod search_keyword;
pub mod search_keyword_hit;
pub mod session_revocation;
pub mod user;
pub mod user_preferred_category;
pub mod wechat_access_token;
