//! The OpenAPI document root; paths are collected from the route modules by utoipa-axum.
//! `docs/openapi.json` is a snapshot of what this produces (a test keeps them equal).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Name of the bearer scheme that authenticated operations reference.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Literature API",
        version = env!("CARGO_PKG_VERSION"),
        license(name = "MIT", identifier = "MIT"),
        description = "Backend of the Literature WeChat mini-program: catalog, search, reading, \
            bookshelf and progress.\n\n\
            Every error has the body `{code, message, details?}`; `code` is an `ErrorCode` and \
            each code has one status. `details` (field → messages) comes with \
            `validation_failed`. The contract in prose, with pagination and configuration: \
            `docs/api.md` in the repository."
    ),
    servers((url = "/", description = "This server")),
    modifiers(&BearerScheme),
    // Types only query and path parameters use (the rest is collected from the routes).
    components(schemas(
        crate::dto::NovelSort,
        crate::dto::WordsBucket,
        crate::dto::SortOrder,
        crate::dto::RankingKind,
        crate::dto::WebScope,
    ), responses(
        errors::BadRequest,
        errors::Unauthorized,
        errors::TokenRejected,
        errors::LoginRejected,
        errors::RefreshRejected,
        errors::CallbackRejected,
        errors::PhoneRejected,
        errors::Blocked,
        errors::NotFound,
        errors::Conflict,
        errors::PayloadTooLarge,
        errors::Invalid,
        errors::RateLimited,
        errors::WechatUnavailable,
        errors::Unavailable,
    )),
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
        http.description = Some(
            "The `access_token` of `/auth/login` or `/auth/refresh` (30 minutes). On \
             `token_expired` refresh and retry; on `invalid_token` log in again."
                .into(),
        );
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}

/// Reusable error responses: each is a `components/responses` entry whose examples are built
/// from real `ApiError`s (so an example's `code` is what the server sends), and an
/// `IntoResponses` type, so a path annotation lists them by name:
/// `responses((status = 200, body = X), errors::Unauthorized, errors::NotFound)`.
pub mod errors {
    use std::collections::BTreeMap;

    use axum::Json;
    use axum::extract::Query;
    use axum::http::Uri;
    use serde::de::DeserializeOwned;
    use service::AuthFailure;
    use utoipa::openapi::example::ExampleBuilder;
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

    use validator::Validate;

    use crate::dto::{LoginRequest, PatchMe, ReaderSettingsPatch};
    use crate::error::{ApiError, ErrorCode};
    use crate::pagination::PageParams;
    use crate::routes::catalog::NovelsQuery;

    /// The response documenting `examples` (all of one status) under `description`.
    fn error_response(description: &str, examples: &[(&str, ApiError)]) -> Response {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .examples_from_iter(examples.iter().map(|(name, err)| {
                let value = serde_json::to_value(err.body()).unwrap_or_default();
                let example = ExampleBuilder::new()
                    // Swagger UI lists examples by summary: say which case it is.
                    .summary(if *name == err.code().as_str() {
                        name.to_string()
                    } else {
                        format!("{}: {}", err.code(), name.replace('_', " "))
                    })
                    .value(Some(value))
                    .build();
                (*name, example)
            }))
            .build();
        let mut response = ResponseBuilder::new()
            .description(description)
            .content("application/json", content);
        if examples
            .iter()
            .any(|(_, e)| matches!(e.code(), ErrorCode::RateLimited | ErrorCode::Unavailable))
        {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            );
        }
        if examples
            .iter()
            .any(|(_, e)| matches!(e, ApiError::Unauthorized { .. }))
        {
            response = response.header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some("`Bearer`"))
                    .build(),
            );
        }
        response.build()
    }

    /// Defines `$name` as a response component and as the `IntoResponses` of its status.
    macro_rules! error_response {
        ($(#[$doc:meta])* $name:ident, $description:literal, [$(($example:literal, $err:expr)),+ $(,)?]) => {
            $(#[$doc])*
            pub struct $name;

            impl $name {
                fn examples() -> Vec<(&'static str, ApiError)> {
                    vec![$(($example, $err)),+]
                }

                /// The status of this response (that of its examples' codes).
                pub fn status() -> u16 {
                    Self::examples()
                        .first()
                        .map_or(500, |(_, e)| e.status_code().as_u16())
                }
            }

            impl<'s> utoipa::ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    (
                        stringify!($name),
                        error_response($description, &Self::examples()).into(),
                    )
                }
            }

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([(
                        Self::status().to_string(),
                        Ref::from_response_name(stringify!($name)).into(),
                    )])
                }
            }
        };
    }

    fn auth(failure: AuthFailure) -> ApiError {
        failure.into()
    }

    fn wechat_code_invalid() -> ApiError {
        ApiError::Unauthorized {
            code: ErrorCode::WechatCodeInvalid,
            message: "the WeChat code is invalid, already used or expired; call wx.login() again"
                .into(),
        }
    }

    /// What the real query extractor and validation answer to `?{query}`.
    fn query_error<T: DeserializeOwned + Validate>(query: &str) -> ApiError {
        let Ok(uri) = format!("/?{query}").parse::<Uri>() else {
            return ApiError::Internal(format!("example query {query:?} is not a URI"));
        };
        match Query::<T>::try_from_uri(&uri) {
            Err(rejection) => rejection.into(),
            Ok(Query(value)) => match value.validate() {
                Err(errors) => errors.into(),
                Ok(()) => ApiError::Internal(format!("example query {query:?} is valid")),
            },
        }
    }

    /// What the real JSON extractor and validation answer to `body`.
    fn body_error<T: DeserializeOwned + Validate>(body: &'static str) -> ApiError {
        match Json::<T>::from_bytes(body.as_bytes()) {
            Err(rejection) => rejection.into(),
            Ok(Json(value)) => match value.validate() {
                Err(errors) => errors.into(),
                Ok(()) => ApiError::Internal(format!("example body {body:?} is valid")),
            },
        }
    }

    error_response!(
        /// 400 on every operation with a path parameter, a query or a body.
        BadRequest,
        "Unparsable request (`bad_request`): malformed JSON, a body without \
         `Content-Type: application/json`, a path or query parameter of the wrong type, or a \
         missing required query parameter",
        [
            ("malformed_json", body_error::<LoginRequest>(r#"{"code":"#)),
            (
                "content_type",
                ApiError::BadRequest("expected Content-Type: application/json".into())
            ),
            ("path", ApiError::BadRequest("invalid path parameter".into())),
            ("query", query_error::<PageParams>("page=abc")),
        ]
    );
    error_response!(
        /// 401 of an operation that requires a token.
        Unauthorized,
        "Not authenticated: no token (`missing_token`), a forged, revoked or logged-out token \
         (`invalid_token`: log in again) or an expired one (`token_expired`: refresh and retry)",
        [
            ("missing_token", auth(AuthFailure::MissingToken)),
            ("invalid_token", auth(AuthFailure::InvalidToken)),
            ("token_expired", auth(AuthFailure::TokenExpired)),
        ]
    );
    error_response!(
        /// 401 of an operation where the token is optional.
        TokenRejected,
        "A token was sent and is invalid (`invalid_token`) or expired (`token_expired`); \
         without an `Authorization` header the request is answered anonymously",
        [
            ("invalid_token", auth(AuthFailure::InvalidToken)),
            ("token_expired", auth(AuthFailure::TokenExpired)),
        ]
    );
    error_response!(
        /// 401 of `/auth/login`.
        LoginRejected,
        "WeChat refused the code: invalid, already used or expired (`wechat_code_invalid`); \
         call `wx.login()` for a new one",
        [("wechat_code_invalid", wechat_code_invalid())]
    );
    error_response!(
        /// 401 of `/auth/refresh`.
        RefreshRejected,
        "The refresh token is unknown, expired or logged out (`refresh_token_invalid`), or was \
         already spent (`refresh_token_reused`: the whole login is revoked); log in again",
        [
            ("refresh_token_invalid", auth(AuthFailure::RefreshTokenInvalid)),
            ("refresh_token_reused", auth(AuthFailure::RefreshTokenReused)),
        ]
    );
    error_response!(
        /// 401 of the web-login callback.
        CallbackRejected,
        "The `state` is forged, expired or already used (`state_invalid`), or WeChat refused \
         the code (`wechat_code_invalid`); start the web login again",
        [
            ("state_invalid", auth(AuthFailure::StateInvalid)),
            ("wechat_code_invalid", wechat_code_invalid()),
        ]
    );
    error_response!(
        /// 401 of `/me/phone`: the token, or WeChat's phone code.
        PhoneRejected,
        "Not authenticated (`missing_token`, `invalid_token`, `token_expired`), or WeChat \
         refused the phone code (`wechat_code_invalid`)",
        [
            ("missing_token", auth(AuthFailure::MissingToken)),
            ("invalid_token", auth(AuthFailure::InvalidToken)),
            ("token_expired", auth(AuthFailure::TokenExpired)),
            ("wechat_code_invalid", wechat_code_invalid()),
        ]
    );
    error_response!(
        /// 403 of the WeChat logins.
        Blocked,
        "WeChat flagged the account as high-risk (`wechat_user_blocked`)",
        [(
            "wechat_user_blocked",
            ApiError::Forbidden {
                code: ErrorCode::WechatUserBlocked,
                message: "WeChat flagged this account as high-risk".into(),
            }
        )]
    );
    error_response!(
        NotFound,
        "No such resource, or not the caller's (`not_found`)",
        [("not_found", ApiError::not_found())]
    );
    error_response!(
        Conflict,
        "A concurrent change won (`conflict`); retrying succeeds",
        [(
            "conflict",
            ApiError::Conflict("the resource was changed concurrently or already exists".into())
        )]
    );
    error_response!(
        /// 413 on every operation with a body.
        PayloadTooLarge,
        "The body is over `BODY_LIMIT_BYTES` (256 KiB by default) (`payload_too_large`)",
        [("payload_too_large", ApiError::PayloadTooLarge)]
    );
    error_response!(
        /// 422 of invalid input.
        Invalid,
        "Well-formed but invalid input (`validation_failed`): `details` maps each field to its \
         messages. Unknown enum values, out-of-range numbers and pages, strings of the wrong \
         length. A body that does not fit the schema (missing field, wrong type) is reported \
         under `body`",
        [
            ("out_of_range", query_error::<PageParams>("per_page=500")),
            ("unknown_value", query_error::<NovelsQuery>("sort=random")),
            (
                "unknown_value_in_body",
                body_error::<ReaderSettingsPatch>(r#"{"background":"purple"}"#)
            ),
            ("wrong_length", body_error::<PatchMe>(r#"{"nickname":""}"#)),
            ("body_shape", body_error::<LoginRequest>("{}")),
        ]
    );
    error_response!(
        RateLimited,
        "Too many requests from this client address, or WeChat's own limit (`rate_limited`); \
         wait `Retry-After` seconds",
        [(
            "rate_limited",
            ApiError::RateLimited {
                retry_after_secs: 1
            }
        )]
    );
    error_response!(
        WechatUnavailable,
        "WeChat failed, timed out or answered garbage (`wechat_unavailable`); retry later",
        [(
            "wechat_unavailable",
            ApiError::WechatUnavailable(String::new())
        )]
    );
    error_response!(
        /// 503 where the database is consulted.
        Unavailable,
        "The database (or another dependency) is down (`unavailable`); retry after \
         `Retry-After` seconds",
        [("unavailable", ApiError::Unavailable(String::new()))]
    );
    error_response!(
        /// 408 for request time-outs (not yet registered in `ApiDoc`: no operation answers it
        /// until the server has a request time-out).
        RequestTimeout,
        "The request took longer than the server allows (`request_timeout`); retry",
        [("request_timeout", ApiError::RequestTimeout)]
    );
}
