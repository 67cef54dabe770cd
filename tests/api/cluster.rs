//! More than one instance: catalog reads on a read replica with fallback to the primary, the
//! per-instance login rate limit, and the Prometheus metrics an operator scrapes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use migration::MigratorTrait;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Backend, NovelBuilder, TestApp, TestDb, paths, progress};

crate::backend_tests!(
    catalog_reads_go_to_the_replica_reader_data_to_the_primary,
    a_dead_replica_falls_back_to_the_primary,
    login_rate_limit_is_per_instance,
    an_import_reaches_every_instance_by_itself,
    two_instances_writing_one_readers_progress_keep_the_newest,
);
crate::db_tests!(metrics_are_scraped_with_a_token);

/// A second, migrated test database standing in for a replica (with its own content, so a
/// test can tell where a read went).
async fn replica_db(backend: Backend, titles: &[&str]) -> Arc<TestDb> {
    let db = Arc::new(TestDb::create(backend).await.unwrap());
    let conn = service::db::connect(&db.url, &Default::default())
        .await
        .unwrap();
    migration::Migrator::up(&conn, None).await.unwrap();
    for t in titles {
        NovelBuilder::on(&conn, t).create().await;
    }
    conn.close().await.unwrap();
    db
}

async fn titles(app: &TestApp) -> Vec<String> {
    let novels = app.anon().get("/novels?per_page=100").expect(200).await;
    novels["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn catalog_reads_go_to_the_replica_reader_data_to_the_primary(backend: Backend) {
    let replica = replica_db(backend, &["从库之书"]).await;
    let app = TestApp::spawn_with(
        backend,
        &[
            ("DATABASE_REPLICA_URL", replica.url.as_str()),
            ("REPLICA_CHECK_MS", "100"),
        ],
    )
    .await
    .unwrap();
    // Ids differ from the replica's (one database is not a copy of the other here).
    app.novel("主库垫底").create().await;
    let primary_book = app.novel("主库之书").create().await;

    // Catalog listings, details and search come from the replica.
    assert_eq!(titles(&app).await, ["从库之书"]);
    let hits = app.anon().get("/search?q=从库").expect(200).await;
    assert_eq!(hits["total"], 1, "{hits}");
    let hits = app.anon().get("/search?q=主库").expect(200).await;
    assert_eq!(
        hits["total"], 0,
        "the search index was built from the primary: {hits}"
    );

    // The reader's own data is on the primary: a progress saved is read back at once.
    let rya = app.reader("rya").await;
    let chapter: i64 = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::chapter::Entity::find()
            .filter(entity::chapter::Column::NovelId.eq(primary_book))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let path = paths::progress(primary_book);
    let body = progress(chapter, 7, 10.0, "2026-11-20T10:00:00Z");
    rya.put(&path, body).expect(200).await;
    let back = rya.get(&path).expect(200).await;
    assert_eq!(back["offset"], 7, "{back}");
    let shelve = rya.request(Method::PUT, paths::shelf(primary_book));
    let status = shelve.status().await;
    assert!((200..300).contains(&status), "{status}");
    let shelf = rya.get("/bookshelf").expect(200).await;
    assert_eq!(shelf["items"][0]["novel"]["title"], "主库之书", "{shelf}");
}

async fn a_dead_replica_falls_back_to_the_primary(backend: Backend) {
    let dead = match backend {
        Backend::MySql => "mysql://root@127.0.0.1:1/nothing_here".to_owned(),
        Backend::Sqlite => "sqlite:///nonexistent-literature-dir/replica.db?mode=ro".to_owned(),
    };
    let app = TestApp::spawn_with(
        backend,
        &[
            ("DATABASE_REPLICA_URL", dead.as_str()),
            ("REPLICA_CHECK_MS", "100"),
        ],
    )
    .await
    .unwrap();
    app.novel("主库之书").create().await;
    // The catalog watcher (on the primary) sees the import within its poll.
    let started = Instant::now();
    while titles(&app).await.is_empty() && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(titles(&app).await, ["主库之书"]);
    let mut hits = Value::Null;
    while started.elapsed() < Duration::from_secs(5) {
        hits = app.anon().get("/search?q=主库").expect(200).await;
        if hits["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(hits["total"], 1, "{hits}");
    app.token("dee").await;
    let logs = crate::support::captured_logs();
    assert!(
        logs.contains("read replica unusable"),
        "fallback not logged"
    );
    assert!(!logs.contains("nothing_here"), "the replica URL was logged");
}

/// A replica that becomes unreachable is dropped within a check or two, and used again once
/// it is back. (MySQL only: the replica is reached through a proxy the test can cut.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_going_down_falls_back_and_returns() {
    if crate::support::mysql_server_url().is_none() {
        eprintln!("skipped: TEST_MYSQL_URL is not set");
        return;
    }
    let replica = replica_db(Backend::MySql, &["从库之书", "从库二"]).await;
    let (proxy, via_proxy) = crate::proxy::TcpProxy::in_front_of(&replica.url).await;
    let app = TestApp::spawn_with(
        Backend::MySql,
        &[
            ("DATABASE_REPLICA_URL", &via_proxy),
            ("REPLICA_CHECK_MS", "100"),
        ],
    )
    .await
    .unwrap();
    app.novel("主库之书").create().await;
    assert_eq!(titles(&app).await.len(), 2, "not reading the replica");

    proxy.go_down();
    let started = Instant::now();
    let mut seen = Vec::new();
    // Uncached pages (a new page size each time), so that each request reads the database:
    // a read the cut replica fails is run on the primary, never answered with an error.
    for per_page in 50..100 {
        let page = format!("/novels?per_page={per_page}");
        let resp = app.anon().get(page).send().await;
        assert_eq!(
            resp.status(),
            200,
            "a read failed while the replica went down"
        );
        seen = resp.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap().to_owned())
            .collect();
        if seen == ["主库之书"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, ["主库之书"], "no fallback to the primary");
    let fell_back = started.elapsed();
    assert!(
        fell_back < Duration::from_secs(5),
        "fallback took {fell_back:?}"
    );

    proxy.come_back();
    let started = Instant::now();
    while titles(&app).await.len() != 2 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        titles(&app).await.len(),
        2,
        "the replica was not used again"
    );
}

/// An import through the service announces itself: two instances on one database, with the
/// listing cached (60 s) and the search index built, both show the new novel within their
/// catalog poll, and nobody moved the catalog version by hand.
async fn an_import_reaches_every_instance_by_itself(backend: Backend) {
    let a = TestApp::spawn(backend).await.unwrap();
    let b = TestApp::spawn_on(backend, a.test_db(), a.wechat.clone(), &[]).await;
    a.novel("旧书").create().await;
    let sees = async |app: &TestApp, title: &str| {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            let hits = app
                .anon()
                .get("/search")
                .query(&[("q", title)])
                .expect(200)
                .await;
            if titles(app).await.iter().any(|t| t == title) && hits["total"] == 1 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    };
    for app in [&a, &b] {
        assert!(sees(app, "旧书").await, "the first import never showed");
    }
    a.novel("新书").create().await;
    for app in [&a, &b] {
        assert!(
            sees(app, "新书").await,
            "an instance kept its stale catalog"
        );
    }
}

/// `AUTH_RATE_LIMIT_PER_MINUTE` is per instance: two instances on one database each allow
/// the configured number from one address.
async fn login_rate_limit_is_per_instance(backend: Backend) {
    let limit = [("AUTH_RATE_LIMIT_PER_MINUTE", "3")];
    let a = TestApp::spawn_with(backend, &limit).await.unwrap();
    let b = TestApp::spawn_on(backend, a.test_db(), a.wechat.clone(), &limit).await;
    for app in [&a, &b] {
        for i in 0..3 {
            app.login(&format!("rl{i}")).await;
        }
        let code = app.wechat.mint_code("rl9");
        let limited = app.login_with(&code);
        limited.expect_error(429, "rate_limited").await;
    }
}

/// The value of one series in a Prometheus text page (all `labels` must match).
fn sample(page: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    page.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            (n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse().ok())?
        })
        .reduce(|a, b| a + b)
}

async fn scrape(app: &TestApp, token: &str) -> String {
    let resp = app.root().get("/metrics").bearer(token).send().await;
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain"), "{ct}");
    resp.text().await.unwrap()
}

async fn metrics_are_scraped_with_a_token(app: TestApp) {
    // Without METRICS_TOKEN the endpoint does not exist.
    let metrics = app.root().get("/metrics");
    metrics.expect_error(404, "not_found").await;
    let token = "metrics-token-for-tests-0123456789";
    let app = TestApp::spawn_on(
        app.backend,
        app.test_db(),
        app.wechat.clone(),
        &[("METRICS_TOKEN", token)],
    )
    .await;
    let no_token = app.root().get("/metrics");
    no_token.expect_error(401, "invalid_token").await;
    let wrong = "metrics-token-for-tests-012345678X";
    let wrong_token = app.root().get("/metrics").bearer(wrong);
    wrong_token.expect_error(401, "invalid_token").await;

    app.novel("度量").create().await;
    let novels = [
        ("method", "GET"),
        ("route", "/api/v1/novels"),
        ("status", "200"),
    ];
    let before = scrape(&app, token).await;
    let count = |page: &str| sample(page, "http_requests_total", &novels).unwrap_or(0.0);
    let hits = |page: &str| {
        sample(
            page,
            "catalog_cache_requests_total",
            &[("cache", "novel_pages"), ("result", "hit")],
        )
        .unwrap_or(0.0)
    };
    app.anon().get("/novels?per_page=7").send().await;
    app.anon().get("/novels?per_page=7").send().await;
    let reader = app.reader("metrics-reader").await;
    let code = app.wechat.mint_code("metrics-phone");
    let phone = reader.post("/me/phone", json!({ "code": code }));
    phone.expect(200).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = scrape(&app, token).await;

    assert!(
        count(&after) >= count(&before) + 2.0,
        "request count did not move"
    );
    assert!(hits(&after) > hits(&before), "cache hits did not move");
    let latency = sample(
        &after,
        "http_request_duration_seconds_bucket",
        &[("route", "/api/v1/novels"), ("le", "+Inf")],
    );
    assert!(latency.is_some_and(|n| n >= 2.0), "no latency histogram");
    for (name, labels) in [
        (
            "db_pool_connections",
            &[("db", "primary"), ("state", "idle")][..],
        ),
        ("db_pool_max_connections", &[("db", "primary")][..]),
        ("db_replica_in_use", &[][..]),
        ("search_index_novels", &[][..]),
        ("search_index_age_seconds", &[][..]),
        (
            "wechat_calls_total",
            &[("api", "code2session"), ("result", "ok")][..],
        ),
        (
            "wechat_calls_total",
            &[("api", "phone_number"), ("result", "ok")][..],
        ),
        ("wechat_token_refreshes_total", &[("result", "ok")][..]),
        (
            "catalog_cache_requests_total",
            &[("cache", "novel_pages"), ("result", "miss")][..],
        ),
    ] {
        assert!(
            sample(&after, name, labels).is_some(),
            "{name} {labels:?} missing from:\n{after}"
        );
    }
    // The route label is the matched template, never a raw path with ids.
    app.anon().get("/novels/999999").send().await;
    let page = scrape(&app, token).await;
    assert!(page.contains("route=\"/api/v1/novels/{id}\""), "{page}");
    let leaked: Vec<&str> = page
        .lines()
        .filter(|l| {
            l.split(' ')
                .next()
                .is_some_and(|series| series.contains("999999"))
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "a raw path leaked into the labels: {leaked:?}"
    );
    assert!(!page.contains(token), "the token leaked");
}

/// One reader's two devices on two instances write the same novels at once, first writes
/// included: each instance's transaction can lose to the other's between its read and its
/// write (a row inserted or a newer time stored meanwhile) and is then run again. Every write
/// answers 200, each novel keeps one row with the newest write, and one history row.
async fn two_instances_writing_one_readers_progress_keep_the_newest(backend: Backend) {
    let a = TestApp::spawn(backend).await.unwrap();
    let b = TestApp::spawn_on(backend, a.test_db(), a.wechat.clone(), &[]).await;
    let ids = a.add_novels(6, 3).await;
    let mut chapters = Vec::new();
    for id in &ids {
        chapters.push(a.chapter_ids(*id).await);
    }
    let token = a.token("dee").await;
    let (on_a, on_b) = (a.as_reader(&token), b.as_reader(&token));
    let t0 = chrono::Utc::now() - chrono::Duration::minutes(10);
    for round in 0..4 {
        let writes = ids.iter().zip(&chapters).flat_map(|(novel, ch)| {
            (0..6).map(|k| {
                let n = round * 6 + k;
                let time = (t0 + chrono::Duration::milliseconds(n)).to_rfc3339();
                let body = progress(ch[k as usize % 3], n as i32, 10.0, &time);
                let device = if k % 2 == 0 { &on_a } else { &on_b };
                device.put(paths::progress(*novel), body).status()
            })
        });
        let statuses = futures::future::join_all(writes).await;
        assert!(
            statuses.iter().all(|s| *s == 200),
            "round {round}: {statuses:?}"
        );
        for novel in &ids {
            let stored = on_b.get(paths::progress(*novel)).expect(200).await;
            assert_eq!(
                stored["offset"],
                round * 6 + 5,
                "round {round}, novel {novel}"
            );
        }
    }
    assert_eq!(a.count("reading_progress").await, ids.len() as i64);
    assert_eq!(a.count("browse_history").await, ids.len() as i64);
}
