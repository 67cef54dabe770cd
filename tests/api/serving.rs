//! Serving connections: the header-read timeout cuts slow clients, and a drain after the
//! shutdown signal finishes in-flight requests, refuses new connections and says 503 on
//! `/readyz` meanwhile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use migration::MigratorTrait;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use service::wechat::emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, NovelBuilder, TestApp, TestDb, error, spawn_emulator, test_config};

crate::backend_tests!(drain_finishes_in_flight_and_refuses_new);

/// Reads until the server closes the connection (or `limit` passes); returns what was read
/// and whether the server closed it.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// A client that sends its headers and then stalls in its body gets the deadline's answer, and
/// the connection is closed with it: neither a silent client nor one that dribbles a byte at a
/// time keeps its socket once the request has been answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_answered_and_its_connection_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("REQUEST_TIMEOUT_MS", "500")])
        .await
        .unwrap();
    for dribble in [false, true] {
        let mut slow = TcpStream::connect(app.addr).await.unwrap();
        let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n\
                    content-type: application/json\r\ncontent-length: 100\r\n\r\n{";
        slow.write_all(head.as_bytes()).await.unwrap();
        let started = Instant::now();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let closed = loop {
            if started.elapsed() > Duration::from_secs(4) {
                break false;
            }
            if dribble {
                let _ = slow.write_all(b" ").await;
            }
            match tokio::time::timeout(Duration::from_millis(100), slow.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => break true,
                Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        };
        let answer = String::from_utf8_lossy(&out);
        assert!(
            answer.starts_with("HTTP/1.1 503"),
            "dribble {dribble}: {answer}"
        );
        assert!(
            answer.contains("\"unavailable\""),
            "dribble {dribble}: {answer}"
        );
        assert!(
            closed,
            "dribble {dribble}: open {:?} after the answer",
            started.elapsed()
        );
    }
    app.root().get("/healthz").expect(200).await;
}

/// A client that sends its headers a few bytes at a time, never finishing them, is cut after
/// `HEADER_READ_TIMEOUT_MS` although it keeps sending; so is one that sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_after_the_timeout() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("HEADER_READ_TIMEOUT_MS", "600")])
        .await
        .unwrap();

    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Dribble a header line every 100 ms for up to 5 s, stopping when the server hangs up.
    let mut cut_after = None;
    for i in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow
            .write_all(format!("X-Slow-{i}: y\r\n").as_bytes())
            .await
            .is_err()
        {
            cut_after = Some(started.elapsed());
            break;
        }
        let mut probe = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut_after = Some(started.elapsed());
            break;
        }
    }
    let cut_after = cut_after.expect("a client dribbling headers was never cut");
    assert!(
        cut_after >= Duration::from_millis(500) && cut_after < Duration::from_millis(2500),
        "cut after {cut_after:?}, expected about 600 ms"
    );

    // A connection that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(3)).await;
    assert!(closed, "a silent connection was kept open");

    // Whole requests are unaffected.
    app.root().get("/healthz").expect(200).await;
}

/// A server whose shutdown the test triggers.
struct Drainable {
    addr: std::net::SocketAddr,
    db: DatabaseConnection,
    wechat: Arc<Emulator>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<api::server::Drained>,
    _testdb: Arc<TestDb>,
}

impl Drainable {
    async fn spawn(backend: Backend, env: &[(&str, &str)]) -> Self {
        crate::support::init_test_logging();
        let testdb = Arc::new(TestDb::create(backend).await.unwrap());
        let wechat = Arc::new(spawn_emulator(Default::default()).await);
        let config = test_config(&testdb.url, &wechat, env);
        let db = service::db::connect(&config.database_url, &Default::default())
            .await
            .unwrap();
        migration::Migrator::up(&db, None).await.unwrap();
        let opts = api::server::ServeOptions::from_config(&config);
        let state = api::build_state(config, db.clone()).await.unwrap();
        let lifecycle = state.lifecycle.clone();
        let app = api::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(api::server::serve(listener, app, opts, lifecycle, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            db,
            wechat,
            stop: Some(stop),
            server,
            _testdb: testdb,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

async fn drain_finishes_in_flight_and_refuses_new(backend: Backend) {
    let mut srv = Drainable::spawn(
        backend,
        &[
            ("SHUTDOWN_DRAIN_DELAY_MS", "700"),
            ("SHUTDOWN_GRACE_SECS", "10"),
        ],
    )
    .await;
    let novel = NovelBuilder::on(&srv.db, "排空").create().await;
    let client = reqwest::Client::new();
    let answer = async |req: reqwest::RequestBuilder| -> Value {
        req.send().await.unwrap().json().await.unwrap()
    };
    let code = json!({ "code": srv.wechat.mint_code("drain") });
    let login = answer(client.post(srv.url("/api/v1/auth/login")).json(&code)).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let chapters = srv.url(&format!("/api/v1/novels/{novel}/chapters"));
    let chapters = answer(client.get(chapters)).await;
    let chapter = chapters["items"][0]["id"].as_i64().unwrap();

    // An in-flight write: headers sent, half of the body.
    let body = json!({ "chapter_id": chapter, "offset": 42, "percent": 50.0,
        "client_time": "2026-11-20T10:00:00Z" })
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut slow = TcpStream::connect(srv.addr).await.unwrap();
    slow.write_all(
        format!(
            "PUT /api/v1/progress/{novel} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let _ = srv.stop.take().unwrap().send(());
    let signalled = Instant::now();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // During the drain delay: still accepting, but not ready.
    let resp = reqwest::Client::new()
        .get(srv.url("/readyz"))
        .send()
        .await
        .unwrap();
    error(resp, 503, "unavailable").await;

    // After it: new connections are refused.
    let mut refused_after = None;
    while signalled.elapsed() < Duration::from_secs(5) {
        if TcpStream::connect(srv.addr).await.is_err() {
            refused_after = Some(signalled.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused_after = refused_after.expect("new connections still accepted 5 s into the drain");
    assert!(
        refused_after >= Duration::from_millis(600),
        "refused after {refused_after:?}, before the drain delay"
    );
    assert!(
        !srv.server.is_finished(),
        "server stopped with a request in flight"
    );

    // The in-flight request completes and is committed.
    slow.write_all(rest.as_bytes()).await.unwrap();
    let (answer, _) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let drained = tokio::time::timeout(Duration::from_secs(5), &mut srv.server)
        .await
        .expect("server did not finish draining")
        .unwrap();
    assert_eq!(drained, api::server::Drained::Clean);
    let user = login["user"]["id"].as_i64().unwrap();
    let stored = service::library::progress(&srv.db, user, novel)
        .await
        .unwrap();
    assert_eq!(
        stored.map(|p| p.offset),
        Some(42),
        "the drained write was lost"
    );
}

/// A request still running when the grace period ends is cut, and the server says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_gives_up_after_the_grace_period() {
    let mut srv = Drainable::spawn(Backend::Sqlite, &[("SHUTDOWN_GRACE_SECS", "1")]).await;
    // Headers of a request whose body never comes.
    let mut stuck = TcpStream::connect(srv.addr).await.unwrap();
    stuck
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let _ = srv.stop.take().unwrap().send(());
    let drained = tokio::time::timeout(Duration::from_secs(5), &mut srv.server)
        .await
        .expect("grace period not enforced")
        .unwrap();
    assert_eq!(drained, api::server::Drained::GraceExpired);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}
