//! The OpenAPI document root; paths are collected from the route modules by utoipa-axum.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Name of the bearer scheme that authenticated operations reference.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Literature API",
        version = "1.0.0",
        license(name = "MIT"),
        description = "Backend of the Literature WeChat mini-program: catalog, search, reading, \
            bookshelf and progress. Every error has the body `{code, message, details?}`."
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "WeChat login, tokens, logout"),
        (name = "account", description = "The reader's account"),
        (name = "catalog", description = "Categories, novels, chapters, rankings"),
        (name = "search", description = "Search by title, author or pinyin"),
        (name = "library", description = "The reader's bookshelf, progress and history"),
        (name = "operations", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".into());
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}
