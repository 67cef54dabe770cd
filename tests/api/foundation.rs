//! The workspace foundation: probes, error shape, OpenAPI, migrations.

use std::sync::Arc;

use migration::MigratorTrait;
use reqwest::Method;
use sea_orm_migration::SchemaManager;

use crate::support::{Backend, TestApp, TestDb, error, json};

/// Every table the API needs; migrations must create all of them and drop all of them.
const TABLES: &[&str] = &[
    "users",
    "app_meta",
    "login_codes",
    "auth_sessions",
    "refresh_tokens",
    "wechat_access_tokens",
    "oauth_states",
    "categories",
    "novels",
    "chapters",
    "chapter_contents",
    "bookshelf",
    "reading_progress",
    "browse_history",
    "user_preferred_categories",
    "reader_settings",
    "search_keywords",
    "search_keyword_hits",
];

/// (method, path) of every operation the server must document in its OpenAPI document.
pub const DOCUMENTED: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/wechat-web/authorize"),
    ("get", "/api/v1/auth/wechat-web/callback"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("delete", "/api/v1/me"),
    ("post", "/api/v1/me/wechat-profile"),
    ("post", "/api/v1/me/phone"),
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/novels"),
    ("get", "/api/v1/novels/{id}"),
    ("get", "/api/v1/novels/{id}/chapters"),
    ("get", "/api/v1/novels/{id}/chapters/{chapter_id}"),
    ("get", "/api/v1/novels/{id}/recommendations"),
    ("get", "/api/v1/rankings/{kind}"),
    ("get", "/api/v1/bookshelf"),
    ("put", "/api/v1/bookshelf/{novel_id}"),
    ("delete", "/api/v1/bookshelf/{novel_id}"),
    ("post", "/api/v1/bookshelf/remove"),
    ("get", "/api/v1/bookshelf/last-read"),
    ("put", "/api/v1/progress/{novel_id}"),
    ("get", "/api/v1/progress/{novel_id}"),
    ("post", "/api/v1/progress/batch"),
    ("get", "/api/v1/history"),
    ("delete", "/api/v1/history"),
    ("delete", "/api/v1/history/{novel_id}"),
    ("get", "/api/v1/me/preferences"),
    ("put", "/api/v1/me/preferences"),
    ("get", "/api/v1/me/reader-settings"),
    ("patch", "/api/v1/me/reader-settings"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/search/overview"),
    ("get", "/api/v1/search/suggestions"),
    ("get", "/api/v1/search/hot"),
];

crate::db_tests!(
    probes_answer,
    unknown_route_and_wrong_method_have_the_error_shape,
    malformed_input_gets_the_error_shape,
    openapi_lists_every_route,
    migrations_round_trip,
);

async fn probes_answer(app: TestApp) {
    let body = app.root().get("/healthz").expect(200).await;
    assert_eq!(body["status"], "ok");
    let resp = app.root().get("/readyz").send().await;
    assert!(resp.headers().contains_key("x-request-id"));
    let body = json(resp, 200).await;
    let expected = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::MySql => "mysql",
    };
    assert_eq!(body["database"], expected);
    // The probes also answer under the API prefix.
    app.anon().get("/healthz").expect(200).await;
}

async fn unknown_route_and_wrong_method_have_the_error_shape(app: TestApp) {
    let unknown = app.anon().get("/no/such/route");
    unknown.expect_error(404, "not_found").await;
    let wrong = app.root().delete("/healthz");
    wrong.expect_error(405, "method_not_allowed").await;
    // A client-supplied request id is echoed back for correlation.
    let probe = app.root().get("/healthz").header("x-request-id", "abc-123");
    assert_eq!(probe.send().await.headers()["x-request-id"], "abc-123");
}

async fn malformed_input_gets_the_error_shape(app: TestApp) {
    let post = |body: String, ct: Option<&str>| {
        let call = app.anon().request(Method::POST, "/auth/login").body(body);
        match ct {
            Some(ct) => call.header("content-type", ct),
            None => call,
        }
    };
    let as_json = |body: &str| post(body.to_owned(), Some("application/json"));
    let code_x = r#"{"code":"x"}"#;
    for unreadable in [
        as_json(r#"{"code":"#),
        as_json("not json"),
        post(code_x.to_owned(), None),
        post(code_x.to_owned(), Some("text/plain")),
    ] {
        unreadable.expect_error(400, "bad_request").await;
    }
    as_json(r#"{"code":42}"#).invalid("body").await;
    let err = as_json("{}").invalid("body").await;
    assert!(
        err["details"]["body"][0].as_str().unwrap().contains("code"),
        "{err}"
    );
    let err = as_json(r#"{"code":""}"#).invalid("code").await;
    assert_eq!(err["details"]["code"][0], "must be 1 to 128 characters");
    // A body over the limit (256 KiB by default) is a 413 in the same shape.
    let huge = as_json(&format!(r#"{{"code":"{}"}}"#, "x".repeat(300 * 1024)));
    huge.expect_error(413, "payload_too_large").await;
    // A missing parameter is unparsable (400); an unknown enum value is invalid (422).
    let authorize = |query: &str| app.anon().get(format!("/auth/wechat-web/authorize{query}"));
    authorize("").expect_error(400, "bad_request").await;
    let err = authorize("?scope=x").invalid("scope").await;
    assert_eq!(
        err["details"]["scope"][0],
        "must be one of: snsapi_base, snsapi_userinfo"
    );
    authorize("?redirect_uri=").invalid("redirect_uri").await;
}

async fn openapi_lists_every_route(app: TestApp) {
    let doc = app.root().get("/api-docs/openapi.json").expect(200).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in DOCUMENTED {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    // And nothing is documented that the list above doesn't know about.
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        DOCUMENTED.len(),
        "update DOCUMENTED: {:?}",
        paths.keys()
    );

    let resp = app.root().get("/docs/").send().await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("swagger"));
}

async fn migrations_round_trip(app: TestApp) {
    let manager = SchemaManager::new(&app.db);
    for t in TABLES {
        assert!(manager.has_table(*t).await.unwrap(), "{t} missing after up");
    }
    migration::Migrator::down(&app.db, None).await.unwrap();
    for t in TABLES {
        assert!(
            !manager.has_table(*t).await.unwrap(),
            "{t} still there after down"
        );
    }
    migration::Migrator::up(&app.db, None).await.unwrap();
    for t in TABLES {
        assert!(
            manager.has_table(*t).await.unwrap(),
            "{t} missing after up again"
        );
    }
    // Each migration also steps down and up on its own.
    migration::Migrator::down(&app.db, Some(1)).await.unwrap();
    migration::Migrator::up(&app.db, None).await.unwrap();
    assert!(
        migration::Migrator::get_pending_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}

/// `/readyz` follows the database: 503 while MySQL can't be reached, 200 once it is back,
/// without a restart. (MySQL only: an embedded SQLite file can't become unreachable.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database() {
    if crate::support::mysql_server_url().is_none() {
        eprintln!("skipped: TEST_MYSQL_URL is not set");
        return;
    }
    let testdb = Arc::new(TestDb::create(Backend::MySql).await.unwrap());
    let (proxy, via_proxy) = crate::proxy::TcpProxy::in_front_of(&testdb.url).await;
    let wechat = Arc::new(crate::support::spawn_emulator(Default::default()).await);
    let app = TestApp::spawn_on_url(Backend::MySql, testdb, wechat, &via_proxy, &[]).await;

    app.root().get("/readyz").expect(200).await;
    proxy.go_down();
    let resp = app.root().get("/readyz").send().await;
    assert!(resp.headers().contains_key("retry-after"));
    error(resp, 503, "unavailable").await;
    // Liveness doesn't depend on the database.
    app.root().get("/healthz").expect(200).await;
    proxy.come_back();
    let mut last = 0;
    for _ in 0..20 {
        last = app.root().get("/readyz").status().await;
        if last == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(last, 200, "readiness did not recover");
}
