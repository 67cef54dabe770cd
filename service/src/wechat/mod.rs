//! WeChat: the HTTP client, the built-in emulator, user-data decryption and the central
//! access token.

pub mod client;
pub mod decrypt;
pub mod emulator;
pub mod token;

pub use client::{WechatClient, WechatError};
