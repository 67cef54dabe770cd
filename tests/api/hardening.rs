//! The way the world breaks things: clients that hang up mid-request, many writers on one
//! row, wrong device clocks, oversized or odd bodies, a stalled or cut database, a hanging
//! WeChat, and an import into the embedded database while readers write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp, paths, progress};

crate::db_tests!(
    hung_up_writes_are_committed_or_not_at_all,
    many_writers_on_one_row_never_get_a_5xx,
    device_clocks_before_the_floor_or_ahead
);
crate::backend_tests!(stalled_or_cut_database_answers_503_quickly);

/// Sends a raw HTTP/1.1 request and returns the status, or `None` for a request the client
/// abandoned on purpose.
async fn raw_request(app: &TestApp, head: &str, body: &[u8], mode: u64) -> Option<u16> {
    let mut stream = TcpStream::connect(app.addr).await.ok()?;
    match mode {
        // Hang up half-way through the body.
        1 => {
            stream.write_all(head.as_bytes()).await.ok()?;
            stream.write_all(&body[..body.len() / 2]).await.ok()?;
            None
        }
        // Send everything, then hang up before (or while) the answer comes.
        2 => {
            stream.write_all(head.as_bytes()).await.ok()?;
            stream.write_all(body).await.ok()?;
            tokio::time::sleep(Duration::from_micros(mode * 997 % 3000)).await;
            None
        }
        _ => {
            stream.write_all(head.as_bytes()).await.ok()?;
            stream.write_all(body).await.ok()?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.ok()?;
            let text = String::from_utf8_lossy(&answer);
            text.split(' ').nth(1)?.parse().ok()
        }
    }
}

fn put_head(path: &str, token: &str, len: usize) -> String {
    format!(
        "PUT /api/v1{path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

/// Transactions that a dropped request future interrupts must never stay open: every write
/// answered 200 is committed and visible, later writes all succeed, and no transaction is
/// left running once idle.
async fn hung_up_writes_are_committed_or_not_at_all(app: TestApp) {
    let novels = app.add_novels(4, 8).await;
    let mut chapters = HashMap::new();
    for n in &novels {
        chapters.insert(*n, app.chapter_ids(*n).await);
    }
    let token = app.token("hangup").await;
    let base = Utc::now() - chrono::Duration::minutes(30);
    // Novel → the highest offset answered 200 (offsets grow with client_time).
    let answered: Arc<Mutex<HashMap<i64, i64>>> = Arc::default();
    let app = Arc::new(app);
    futures::stream::iter(0..300u64)
        .for_each_concurrent(24, |i| {
            let (app, answered, token) = (app.clone(), answered.clone(), token.clone());
            let novel = novels[(i % 4) as usize];
            let chapter = chapters[&novel][(i * 7 % 8) as usize];
            async move {
                let time = base + chrono::Duration::milliseconds(i as i64);
                let body = progress(chapter, i as i32, 10.0, &time.to_rfc3339()).to_string();
                let head = put_head(&format!("/progress/{novel}"), &token, body.len());
                let mode = (i * 2_654_435_761) % 3;
                if let Some(status) = raw_request(&app, &head, body.as_bytes(), mode).await {
                    assert!(status < 500, "write {i} answered {status}");
                    if status == 200 {
                        let mut a = answered.lock().unwrap();
                        let best = a.entry(novel).or_insert(-1);
                        *best = (*best).max(i as i64);
                    }
                }
            }
        })
        .await;
    // Abandoned requests still run to their end on the server.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() == 4,
        "some writes must have been answered: {answered:?}"
    );
    let reader = app.as_reader(&token);
    for (novel, offset) in &answered {
        let stored = reader.get(paths::progress(*novel)).expect(200).await;
        assert!(
            stored["offset"].as_i64().unwrap() >= *offset,
            "novel {novel}: answered offset {offset} but stored {stored}"
        );
    }
    // Later writes all succeed and are visible from another connection.
    for (k, novel) in novels.iter().enumerate() {
        let now = (Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
        let body = progress(chapters[novel][0], 100_000 + k as i32, 1.0, &now);
        reader.put(paths::progress(*novel), body).expect(200).await;
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!(
                    "SELECT `offset` AS o FROM reading_progress WHERE novel_id = {novel} \
                     ORDER BY id DESC LIMIT 1"
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i32>("", "o").unwrap(), 100_000 + k as i32);
    }
    if app.backend == Backend::MySql {
        assert_eq!(
            open_transactions(&app).await,
            0,
            "a transaction was left open"
        );
    }
}

/// Transactions of this test's database still open on the server, once it is idle.
async fn open_transactions(app: &TestApp) -> i64 {
    let mut open = 0;
    for _ in 0..20 {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM information_schema.innodb_trx t \
                 JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
                 WHERE p.db = DATABASE() AND p.id <> CONNECTION_ID()",
            ))
            .await
            .unwrap()
            .unwrap();
        open = row.try_get::<i64>("", "n").unwrap();
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    open
}

/// 64 connections writing the same reader's progress in one novel while the shelf of that
/// novel is added and removed: lock races are retried, never a 5xx, and newest wins.
async fn many_writers_on_one_row_never_get_a_5xx(app: TestApp) {
    let novels = app.add_novels(2, 5).await;
    let chapters = app.chapter_ids(novels[0]).await;
    let crowd = app.reader("crowd").await;
    let base = Utc::now() - chrono::Duration::minutes(5);
    let (shelf, saved) = (paths::shelf(novels[0]), paths::progress(novels[0]));
    let both = json!({ "novel_ids": [novels[0], novels[1]] });
    let statuses: Mutex<Vec<u16>> = Mutex::default();
    futures::stream::iter(0..64u64)
        .for_each_concurrent(64, |w| {
            let (crowd, statuses, chapters) = (&crowd, &statuses, &chapters);
            let (shelf, saved, both) = (&shelf, &saved, &both);
            async move {
                for k in 0..8u64 {
                    let i = w * 8 + k;
                    let call = match i % 8 {
                        5 => crowd.put(shelf, json!({})),
                        6 => crowd.delete(shelf),
                        7 => crowd.post("/bookshelf/remove", both.clone()),
                        _ => {
                            let time = base + chrono::Duration::milliseconds(i as i64);
                            let chapter = chapters[(i % 5) as usize];
                            let body = progress(chapter, i as i32, 50.0, &time.to_rfc3339());
                            crowd.put(saved, body)
                        }
                    };
                    let status = call.status().await;
                    statuses.lock().unwrap().push(status);
                }
            }
        })
        .await;
    let statuses = statuses.into_inner().unwrap();
    let failed: Vec<_> = statuses.iter().filter(|s| **s >= 500).collect();
    assert!(
        failed.is_empty(),
        "{} of {} were 5xx",
        failed.len(),
        statuses.len()
    );
    // The newest client time sent is the one stored.
    let newest = (0..512).filter(|i| i % 8 < 5).max().unwrap();
    let stored = crowd.get(&saved).expect(200).await;
    assert_eq!(stored["offset"], newest);
    assert_eq!(app.count("reading_progress").await, 1);
}

/// A clock reset to 1970 is refused item by item; a clock years ahead is taken as the
/// server's now, so it cannot win "newer wins" forever.
async fn device_clocks_before_the_floor_or_ahead(app: TestApp) {
    let novels = app.add_novels(2, 3).await;
    let ch = app.chapter_ids(novels[0]).await;
    let ch2 = app.chapter_ids(novels[1]).await;
    let clock = app.reader("clock").await;
    let path = paths::progress(novels[0]);
    for early in [
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "2019-12-31T23:59:59Z",
    ] {
        let body = progress(ch[0], 1, 1.0, early);
        clock.put(&path, body).invalid("client_time").await;
    }
    clock.get(&path).expect_error(404, "not_found").await;
    // In a batch, the bad item is reported and the good one applied.
    let now = Utc::now().to_rfc3339();
    let items = json!({ "items": [
        { "novel_id": novels[0], "chapter_id": ch[0], "offset": 1, "percent": 1.0,
          "client_time": "1969-07-20T20:17:40Z" },
        { "novel_id": novels[1], "chapter_id": ch2[1], "offset": 2, "percent": 2.0,
          "client_time": now },
    ]});
    let batch = clock.post("/progress/batch", items).expect(200).await;
    assert_eq!(batch[0]["error"]["code"], "validation_failed", "{batch}");
    assert_eq!(batch[1]["chapter_id"], ch2[1], "{batch}");
    // Years ahead: stored, but as of the server's now ...
    let ahead = progress(ch[2], 30, 90.0, "2999-01-01T00:00:00Z");
    clock.put(&path, ahead).expect(200).await;
    // ... so a later write from a correct clock still wins.
    let later = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let later = progress(ch[1], 12, 40.0, &later);
    let stored = clock.put(&path, later).expect(200).await;
    assert_eq!(stored["chapter_id"], ch[1]);
    assert_eq!(stored["offset"], 12);
}

/// A body that declares more than the limit is refused before a byte of it is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_oversized_body_is_refused_at_once() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
              Content-Length: 999999999\r\n\r\n{}",
        )
        .await
        .unwrap();
    let mut answer = vec![0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
        .await
        .expect("answered at once")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"payload_too_large\""), "{text}");
}

/// Every body is a JSON object: an array (which serde reads into a struct field by field)
/// or a scalar is a 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_bodies_must_be_objects() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let shape = app.reader("shape").await;
    let before = shape.get("/me").expect(200).await;
    for body in [json!([null, null]), json!(["x"]), json!(42), json!("me")] {
        shape.patch("/me", body).invalid("body").await;
    }
    let login = app.anon().post("/auth/login", json!(["code"]));
    login.expect_error(422, "validation_failed").await;
    // The reader was not changed by any of them.
    assert_eq!(shape.get("/me").expect(200).await, before);
}

/// A database that stops answering (a black hole) or is cut mid-query costs a request at
/// most the configured deadlines and answers 503 `unavailable`, never 500; the service
/// recovers without a restart.
async fn stalled_or_cut_database_answers_503_quickly(backend: Backend) {
    if backend == Backend::Sqlite {
        return; // an embedded database cannot be cut off from its process
    }
    let testdb = Arc::new(crate::support::TestDb::create(backend).await.unwrap());
    let (proxy, via_proxy) = crate::proxy::TcpProxy::in_front_of(&testdb.url).await;
    let wechat = Arc::new(crate::support::spawn_emulator(Default::default()).await);
    let env = [
        ("REQUEST_TIMEOUT_MS", "1500"),
        ("DB_STATEMENT_TIMEOUT_MS", "1000"),
    ];
    let app = TestApp::spawn_on_url(backend, testdb, wechat, &via_proxy, &env).await;
    let novels = app.add_novels(3, 8).await;
    let stall = app.reader("stall").await;
    stall.get("/me").expect(200).await;
    let uncached = app.chapter_ids(novels[1]).await;

    // Several idle connections in the pool, as a busy server has.
    let busy = (0..16).map(|_| stall.get("/bookshelf").status());
    assert!(
        futures::future::join_all(busy)
            .await
            .iter()
            .all(|s| *s == 200)
    );

    eprintln!(
        "DEBUG before stall pool {:?}",
        service::metrics::pool_stats(&app.db)
    );
    proxy.stall();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Uncached chapters are read in shared batches: more batches than can run at once (the
    // reads staggered so that each makes its own), all refused in time. New connections then
    // pass while the stalled ones stay black holes (a dead network path): the batches must
    // not stay stuck on them.
    let started = Instant::now();
    let anon = app.anon();
    let reads = uncached.iter().enumerate().map(|(i, c)| {
        let read = anon.get(paths::chapter(novels[1], *c));
        async move {
            tokio::time::sleep(Duration::from_millis(40 * i as u64)).await;
            read.status().await
        }
    });
    let statuses = futures::future::join_all(reads).await;
    assert_eq!(statuses, vec![503; uncached.len()]);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    eprintln!(
        "DEBUG after stall pool {:?}",
        service::metrics::pool_stats(&app.db)
    );
    proxy.come_back();
    // Each pooled connection is a black hole now (the pool was full of them: the busy
    // requests above), found out by a timeout; the silent ones are then closed by their
    // bounded check on release, not left hanging in sqlx's own ping and counted in the pool,
    // and reads recover. (Without that check they recovered only once connections idle for
    // 10 s were checked before use, about 9 s after the database came back.)
    let back = Instant::now();
    let mut status = 0;
    while back.elapsed() < Duration::from_secs(6) {
        status = anon
            .get(paths::chapter(novels[1], uncached[0]))
            .status()
            .await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "uncached chapters stay unreadable");
    proxy.stall();
    tokio::time::sleep(Duration::from_millis(100)).await; // the proxy checks every 10 ms
    for path in [
        format!("/novels/{}", novels[2]),
        "/me".to_owned(),
        "/bookshelf".to_owned(),
    ] {
        let started = Instant::now();
        stall.get(&path).expect_error(503, "unavailable").await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path}: {:?}",
            started.elapsed()
        );
    }
    // Writes wait in their lane's shared transaction, bounded the same way: a progress write,
    // and a signed-in read of a cached chapter (which moves the progress).
    let write = progress(uncached[1], 7, 10.0, &Utc::now().to_rfc3339());
    let started = Instant::now();
    let put = stall.put(paths::progress(novels[1]), write);
    put.expect_error(503, "unavailable").await;
    let read = stall.get(paths::chapter(novels[1], uncached[0]));
    read.expect_error(503, "unavailable").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "writes: {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let ready = app.root().get("/readyz");
    ready.expect_error(503, "unavailable").await;
    assert!(started.elapsed() < Duration::from_secs(3));

    // Back: the service recovers by itself.
    proxy.go_down();
    proxy.come_back();
    let mut status = 0;
    for _ in 0..60 {
        status = stall.get("/me").status().await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "no recovery after the database came back");
    // The write lanes recovered too: a write is answered, committed and read back.
    let write = progress(uncached[2], 9, 20.0, &Utc::now().to_rfc3339());
    stall
        .put(paths::progress(novels[1]), write)
        .expect(200)
        .await;
    let stored = stall.get(paths::progress(novels[1])).expect(200).await;
    assert_eq!(stored["offset"], 9);

    // Cut in the middle of requests: 503, never 500.
    let ch = app.chapter_ids(novels[0]).await;
    let writes = (0..30).map(|i| {
        let body = progress(ch[i % 3], i as i32, 5.0, &Utc::now().to_rfc3339());
        stall.put(paths::progress(novels[0]), body).status()
    });
    let cut = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        proxy.go_down();
    };
    let (statuses, ()) = futures::join!(futures::future::join_all(writes), cut);
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "statuses: {statuses:?}"
    );
    proxy.come_back();
}

/// WeChat hanging: login answers within its one deadline and never resends the single-use
/// code; only a "busy" answer (-1) is retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_has_one_deadline_and_never_resends_a_code() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("WECHAT_DEADLINE_MS", "1500")])
        .await
        .unwrap();
    let started = Instant::now();
    let slow = app.login_with("slow.bob");
    slow.expect_error(502, "wechat_unavailable").await;
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        app.wechat.stats().code2session,
        1,
        "the code was sent again"
    );

    let failing = app.login_with("http500.bob");
    failing.expect_error(502, "wechat_unavailable").await;
    assert_eq!(
        app.wechat.stats().code2session,
        2,
        "a 5xx may have spent the code"
    );

    let busy = app.login_with("busy.bob");
    busy.expect_error(502, "wechat_unavailable").await;
    assert!(app.wechat.stats().code2session >= 4, "busy (-1) is retried");
}

/// The embedded default: an import into the database a running server uses, while a reader
/// saves progress, fails nothing on either side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_while_serving_on_sqlite_loses_nothing() {
    let app = Arc::new(TestApp::spawn(Backend::Sqlite).await.unwrap());
    let novels = app.add_novels(1, 4).await;
    let ch = app.chapter_ids(novels[0]).await;
    let token = app.token("importer").await;
    // The import runs on its own pool, as the `literature import` process does.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.jsonl");
    let lines: Vec<String> = (0..400)
        .map(|i| {
            json!({
                "title": format!("并发导入{i}"), "author": "导入者", "channel": "male",
                "category": "玄幻", "chapters": (1..=4).map(|c| json!({
                    "title": format!("第{c}章"), "content": "正文".repeat(200) })).collect::<Vec<_>>()
            })
            .to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let importer = service::db::connect(&app.test_db().url, &app.config.db_options())
        .await
        .unwrap();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, token, done, ch) = (app.clone(), token.clone(), done.clone(), ch.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            let mut i = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || i < 5 {
                let body = progress(ch[i % 4], i as i32, 1.0, &Utc::now().to_rfc3339());
                let save = app.as_reader(&token).put(paths::progress(novels[0]), body);
                statuses.push(save.status().await);
                i += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            statuses
        })
    };
    let summary = api::cli::import_jsonl(&importer, &file).await.unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let statuses = writer.await.unwrap();
    assert!(
        summary.failed.is_empty(),
        "import failures: {:?}",
        summary.failed
    );
    assert_eq!(summary.created, 400);
    assert!(
        statuses.iter().all(|s| *s == 200),
        "progress writes: {statuses:?}"
    );
}
