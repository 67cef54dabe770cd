//! Black-box tests of the whole app through its router, on SQLite and (with `TEST_MYSQL_URL`)
//! MySQL. One integration-test binary; each area is a module.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod auth;
mod catalog;
mod cluster;
mod contract;
mod foundation;
mod hardening;
mod library;
mod operator;
mod proxy;
mod search;
mod search_hot;
mod serving;
mod sessions;
