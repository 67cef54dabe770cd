//! What operators and editors touch: the `literature` and `migration` binaries (start-up
//! errors, logs, `migrate`), compressed answers, the import format and re-imports.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use entity::{chapter, novel};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, TestDb, json, mysql_server_url};

crate::db_tests!(
    answers_are_compressed_and_etags_survive,
    reimporting_unchanged_content_writes_nothing,
    imports_list_the_categories_they_create,
);

crate::backend_tests!(migrate_commands_name_their_database);

// ---- the binaries ----

/// The directory of the workspace's binaries, built once per test run: the tests crate cannot
/// use `CARGO_BIN_EXE_*` for another package's binaries, and a stale binary would test old
/// code, so this runs `cargo build` for them (a no-op when they are fresh).
fn bin(name: &str) -> PathBuf {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // target/<profile>/deps/api-<hash>
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .ok_or("no target directory")?
            .to_owned();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        // The same selection as `cargo test --workspace` (all targets, so dependency features
        // are unified the same way): fresh artifacts are reused, nothing is compiled twice.
        cmd.args(["build", "--quiet", "--workspace", "--all-targets"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        let out = cmd.output().map_err(|e| format!("cargo build: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(dir)
    });
    match dir {
        Ok(dir) => dir.join(name),
        Err(e) => panic!("building the binaries failed: {e}"),
    }
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs a binary in `dir` with only `env` set (no `.env`, no inherited configuration).
async fn run(name: &str, args: &[&str], env: &[(&str, &str)], dir: &Path) -> Run {
    let path = bin(name);
    let started = Instant::now();
    let child = tokio::process::Command::new(&path)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(dir)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), child)
        .await
        .unwrap_or_else(|_| panic!("{name} {args:?} did not finish in 30 s"))
        .expect("run binary");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// The one line a failed start printed on stderr.
fn one_error_line(r: &Run) -> String {
    assert!(!r.ok, "expected a failure; stdout: {}", r.stdout);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    // Said once: no error source chained after a message that already contains it.
    let reason = lines[0].trim_start_matches("error: ");
    let head: String = reason.chars().take(24).collect();
    assert_eq!(reason.matches(&head).count(), 1, "repeated: {reason}");
    lines[0].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_errors_are_one_actionable_line() {
    let dir = tempfile::tempdir().unwrap();

    // A dead MySQL: refused at once, said with host:port, password never printed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("mysql://lit:hunter2@127.0.0.1:{port}/literature");
    let r = run("literature", &[], &[("DATABASE_URL", &url)], dir.path()).await;
    let line = one_error_line(&r);
    assert!(
        line.contains(&format!(
            "cannot connect to MySQL at 127.0.0.1:{port}: connection refused"
        )),
        "{line}"
    );
    assert!(r.took < Duration::from_secs(3), "took {:?}", r.took);
    assert!(!r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"));

    // SQLite without mode=rwc for a missing file: says to add it, creates nothing.
    let file = dir.path().join("new.db");
    let url = format!("sqlite://{}", file.display());
    let r = run("literature", &[], &[("DATABASE_URL", &url)], dir.path()).await;
    let line = one_error_line(&r);
    assert!(line.contains("add ?mode=rwc to DATABASE_URL"), "{line}");
    assert!(line.contains(&file.display().to_string()), "{line}");
    assert!(!file.exists());

    // Not a database we speak.
    let r = run(
        "literature",
        &[],
        &[("DATABASE_URL", "postgres://u:pw@h/db")],
        dir.path(),
    )
    .await;
    assert!(one_error_line(&r).contains("must start with sqlite:// or mysql://"));

    // An unknown MySQL database: how to create it, with utf8mb4.
    if let Some(server) = mysql_server_url() {
        let name = format!("lit_o_missing_{}", uuid::Uuid::new_v4().simple());
        let url = format!("{server}/{name}");
        let r = run("literature", &[], &[("DATABASE_URL", &url)], dir.path()).await;
        let line = one_error_line(&r);
        assert!(
            line.contains(&format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_plain_off_a_terminal_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("l.db").display());

    // Text, piped: no colour codes.
    let r = run(
        "literature",
        &["migrate", "up"],
        &[("DATABASE_URL", &url)],
        dir.path(),
    )
    .await;
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("database connected"), "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "ANSI codes: {:?}", r.stdout);

    // JSON: every log line is an object with the event's fields at the top level.
    let r = run(
        "literature",
        &["migrate", "status"],
        &[("DATABASE_URL", &url), ("LOG_FORMAT", "json")],
        dir.path(),
    )
    .await;
    assert!(r.ok, "{}", r.stderr);
    let events: Vec<Value> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let connected = events
        .iter()
        .find(|e| e["message"] == "database connected")
        .unwrap_or_else(|| panic!("no connect event in {}", r.stdout));
    assert_eq!(connected["level"], "INFO");
    assert!(
        connected["database"]
            .as_str()
            .is_some_and(|d| d.starts_with("SQLite file ")),
        "{connected}"
    );
    assert!(!r.stdout.contains('\x1b'));

    let r = run(
        "literature",
        &["migrate", "status"],
        &[("DATABASE_URL", &url), ("LOG_FORMAT", "xml")],
        dir.path(),
    )
    .await;
    assert!(!r.ok && r.stderr.contains("LOG_FORMAT must be text or json"));
}

async fn migrate_commands_name_their_database(backend: Backend) {
    use migration::MigratorTrait;
    let migrations = migration::Migrator::migrations();
    let all = migrations.len();
    let last = migrations.last().map(|m| m.name().to_owned()).unwrap();
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let env = [("DATABASE_URL", db.url.as_str())];
    let named = match backend {
        Backend::Sqlite => "SQLite file ".to_owned(),
        Backend::MySql => format!(
            "MySQL database `{}`",
            db.url.rsplit('/').next().unwrap_or_default()
        ),
    };
    let migrate = async |args: &[&str], extra: &[(&str, &str)]| {
        let mut all = env.to_vec();
        all.extend_from_slice(extra);
        let mut full = vec!["migrate"];
        full.extend_from_slice(args);
        run("literature", &full, &all, dir.path()).await
    };

    let r = migrate(&["status"], &[]).await;
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("migrate status on {named}")),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.matches("pending ").count(), all, "{}", r.stdout);

    let r = migrate(&["up"], &[]).await;
    assert!(
        r.ok && r.stdout.contains(&format!("applied {all} migration(s)")),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let r = migrate(&["down"], &[]).await;
    assert!(
        r.ok && r
            .stdout
            .contains(&format!("rolled back 1 migration(s): {last}")),
        "{}{}",
        r.stdout,
        r.stderr
    );

    // `fresh` drops everything: refused in production unless forced.
    let secret = "p".repeat(40);
    let production = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", secret.as_str()),
        ("WECHAT_APP_ID", "wx1"),
        ("WECHAT_APP_SECRET", "s"),
    ];
    let r = migrate(&["fresh"], &production).await;
    assert!(
        !r.ok
            && r.stderr
                .contains("refusing `fresh` with APP_ENV=production"),
        "{}",
        r.stderr
    );
    let r = migrate(&["status"], &[]).await;
    assert_eq!(
        r.stdout.matches("applied ").count(),
        all - 1,
        "nothing dropped: {}",
        r.stdout
    );
    let r = migrate(&["fresh", "--force"], &production).await;
    assert!(r.ok, "{}", r.stderr);

    // The `migration` CLI runs the same migrator and names the database too.
    let r = run("migration", &["-u", &db.url, "status"], &[], dir.path()).await;
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("migration status on {named}")),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout.matches("applied ").count(), all, "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_cli_says_which_default_file_it_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let r = run("migration", &["up"], &[], dir.path()).await;
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("DATABASE_URL is not set: using the default sqlite://literature.db?mode=rwc"),
        "{}",
        r.stderr
    );
    let file = dir.path().join("literature.db");
    assert!(
        r.stderr
            .contains(&format!("migration up on SQLite file {}", file.display())),
        "{}",
        r.stderr
    );
    assert!(file.exists());

    // `--help` shows where the URL comes from, never its value.
    let r = run(
        "migration",
        &["--help"],
        &[("DATABASE_URL", "mysql://lit:hunter2@db/literature")],
        dir.path(),
    )
    .await;
    assert!(r.ok && r.stdout.contains("DATABASE_URL") && !r.stdout.contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_help_documents_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let r = run("literature", &["import", "--help"], &[], dir.path()).await;
    assert!(r.ok, "{}", r.stderr);
    let schema = import_schema();
    let mut fields: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    fields.extend(
        schema["properties"]["chapters"]["items"]["properties"]
            .as_object()
            .unwrap()
            .keys(),
    );
    for f in fields {
        assert!(
            r.stdout.contains(&format!("  {f} ")) || r.stdout.contains(&format!(".{f} ")),
            "`{f}` is not in `import --help`:\n{}",
            r.stdout
        );
    }
}

// ---- the import format ----

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn import_schema() -> Value {
    serde_json::from_str(&repo_file("docs/import.schema.json")).unwrap()
}

/// What the importer itself says of a line: parse, then validate.
fn importer_accepts(line: &Value) -> bool {
    serde_json::from_value::<service::import::ImportNovel>(line.clone())
        .ok()
        .is_some_and(|n| service::import::validate(&n).is_ok())
}

#[test]
fn demo_catalog_matches_the_import_schema() {
    let schema = import_schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let demo = repo_file("data/demo.jsonl");
    let mut lines = 0;
    for (i, line) in demo.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        let value: Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "demo line {}: {errors:?}", i + 1);
        assert!(importer_accepts(&value), "demo line {}", i + 1);
    }
    assert!(lines >= 20, "{lines} demo novels");

    // The schema and the importer agree on what is wrong.
    let good = json!({"title": "书", "author": "人", "channel": "male", "category": "玄幻",
        "chapters": [{"title": "第一章", "content": "正文"}]});
    assert!(validator.is_valid(&good) && importer_accepts(&good));
    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        v
    };
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("chapters");
    let bad = [
        with("tags", json!(["x"])),
        with("channel", json!("robots")),
        with("status", json!("paused")),
        with("category", json!("玄幻/东方")),
        with("title", json!("")),
        with("heat", json!(-1)),
        with("heat", json!("hot")),
        with("cover_url", json!("x".repeat(513))),
        with("chapters", json!([])),
        with("chapters", json!([{"title": "第一章", "content": "   "}])),
        with("chapters", json!([{"title": "第一章"}])),
        with(
            "chapters",
            json!([{"title": "第一章", "content": "x", "words": 1}]),
        ),
        missing,
    ];
    for b in bad {
        assert!(!validator.is_valid(&b), "the schema accepts {b}");
        assert!(!importer_accepts(&b), "the importer accepts {b}");
    }
}

fn catalog_line(title: &str, heat: i64, chapters: &[&str]) -> String {
    json!({
        "title": title, "author": "编辑部", "channel": "male", "category": "古典名著",
        "subcategory": "神魔小说", "status": "serial", "intro": format!("{title}的简介"), "heat": heat,
        "chapters": chapters.iter().enumerate()
            .map(|(i, c)| json!({"title": format!("第{}章", i + 1), "content": c}))
            .collect::<Vec<_>>(),
    })
    .to_string()
}

async fn import_file(app: &TestApp, lines: &[String]) -> api::cli::ImportSummary {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    api::cli::import_jsonl(&app.db, &path).await.unwrap()
}

/// (novel updated_at, chapter updated_at by position) straight from the database.
async fn stamps(app: &TestApp, title: &str) -> (String, Vec<String>) {
    let n = novel::Entity::find()
        .filter(novel::Column::Title.eq(title))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let chapters = chapter::Entity::find()
        .filter(chapter::Column::NovelId.eq(n.id))
        .order_by_asc(chapter::Column::Position)
        .all(&app.db)
        .await
        .unwrap();
    (
        n.updated_at.to_rfc3339(),
        chapters.iter().map(|c| c.updated_at.to_rfc3339()).collect(),
    )
}

async fn latest_titles(app: &TestApp) -> Vec<String> {
    json(app.get("/novels?sort=latest&per_page=10").await, 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

/// The anonymous ETag of a chapter, once the app's caches show `want` (None: any).
async fn chapter_etag(app: &TestApp, novel: i64, chapter: i64, want: Option<&str>) -> String {
    for _ in 0..50 {
        let resp = app
            .get(&format!("/novels/{novel}/chapters/{chapter}"))
            .await;
        let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
        let body = json(resp, 200).await;
        if want.is_none_or(|w| body["content"] == w) {
            return etag;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chapter {chapter} never showed {want:?}");
}

async fn reimporting_unchanged_content_writes_nothing(app: TestApp) {
    let a = catalog_line(
        "西游新编",
        10,
        &["花果山上一块仙石。", "石猴出世。", "拜师学艺。"],
    );
    let b = catalog_line("封神外传", 20, &["商王无道。"]);
    let first = import_file(&app, std::slice::from_ref(&a)).await;
    assert_eq!((first.created, first.chapters_added), (1, 3));
    tokio::time::sleep(Duration::from_millis(20)).await;
    import_file(&app, std::slice::from_ref(&b)).await;
    let id = novel::Entity::find()
        .filter(novel::Column::Title.eq("西游新编"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let chapters: Vec<i64> =
        json(app.get(&format!("/novels/{id}/chapters")).await, 200).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
    let before = stamps(&app, "西游新编").await;
    let etag = chapter_etag(&app, id, chapters[1], None).await;
    assert_eq!(latest_titles(&app).await[0], "封神外传");

    // The same file again: nothing written, everything counted as unchanged.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = import_file(&app, &[a.clone(), b.clone()]).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 2),
        "{again}"
    );
    assert_eq!(
        (
            again.chapters_added,
            again.chapters_updated,
            again.chapters_unchanged
        ),
        (0, 0, 4)
    );
    assert!(again.to_string().contains("2 unchanged"), "{again}");
    assert!(again.categories_created.is_empty());
    assert_eq!(stamps(&app, "西游新编").await, before, "nothing moved");
    service::catalog_version::bump(&app.db).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(chapter_etag(&app, id, chapters[1], None).await, etag);
    assert_eq!(
        latest_titles(&app).await[0],
        "封神外传",
        "no jump to the top"
    );
    let resp = app
        .client
        .get(app.api(&format!("/novels/{id}/chapters/{}", chapters[1])))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);

    // A new heat is saved, but is not news: the novel stays where it was in "latest".
    let hotter = catalog_line(
        "西游新编",
        99,
        &["花果山上一块仙石。", "石猴出世。", "拜师学艺。"],
    );
    let s = import_file(&app, std::slice::from_ref(&hotter)).await;
    assert_eq!((s.updated, s.chapters_unchanged), (1, 3), "{s}");
    assert_eq!(stamps(&app, "西游新编").await, before);
    let stored = novel::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.heat, 99, "the new heat is saved");

    // One changed chapter: only it moves (new ETag), and the novel becomes the latest.
    let edited = catalog_line(
        "西游新编",
        99,
        &["花果山上一块仙石。", "石猴出世，目运金光。", "拜师学艺。"],
    );
    let s = import_file(&app, std::slice::from_ref(&edited)).await;
    assert_eq!(
        (s.updated, s.chapters_updated, s.chapters_unchanged),
        (1, 1, 2),
        "{s}"
    );
    let after = stamps(&app, "西游新编").await;
    assert_ne!(after.0, before.0);
    assert_eq!(after.1[0], before.1[0]);
    assert_ne!(after.1[1], before.1[1]);
    assert_eq!(after.1[2], before.1[2]);
    let new_etag = chapter_etag(&app, id, chapters[1], Some("石猴出世，目运金光。")).await;
    assert_ne!(new_etag, etag);
    for _ in 0..30 {
        if latest_titles(&app).await[0] == "西游新编" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("an edited novel goes to the top of latest");
}

async fn imports_list_the_categories_they_create(app: TestApp) {
    let line = |sub: &str| {
        json!({"title": format!("{sub}之书"), "author": "某", "channel": "male",
            "category": "古典名著", "subcategory": sub,
            "chapters": [{"title": "一", "content": "正文"}]})
        .to_string()
    };
    let first = import_file(&app, &[line("神魔小说"), line("神魔小说")]).await;
    assert_eq!(
        first.categories_created,
        ["古典名著 (male)", "古典名著/神魔小说 (male)"]
    );
    // A typo'd subcategory is created, and said so.
    let second = import_file(&app, &[line("神魔小说"), line("神魔")]).await;
    assert_eq!(second.categories_created, ["古典名著/神魔 (male)"]);
    assert!(
        second
            .to_string()
            .ends_with("; created categories: 古典名著/神魔 (male)"),
        "{second}"
    );
    let third = import_file(&app, &[line("神魔")]).await;
    assert!(third.categories_created.is_empty());
    assert!(!third.to_string().contains("created categories"));
}

// ---- compression ----

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut std::io::Cursor::new(bytes), &mut out).expect("brotli");
    out
}

/// (status, content-encoding, vary, etag, body bytes) of a GET with `accept-encoding`.
async fn fetch(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    encoding: Option<&str>,
    if_none_match: Option<&str>,
) -> (u16, Option<String>, String, Option<String>, Vec<u8>) {
    let mut req = app.client.get(app.api(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(e) = encoding {
        req = req.header("accept-encoding", e);
    }
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    let resp = req.send().await.unwrap();
    let h = |name: &str| {
        resp.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (status, enc, vary, etag) = (
        resp.status().as_u16(),
        Some(h("content-encoding")).filter(|v| !v.is_empty()),
        h("vary"),
        Some(h("etag")).filter(|v| !v.is_empty()),
    );
    (
        status,
        enc,
        vary,
        etag,
        resp.bytes().await.unwrap().to_vec(),
    )
}

async fn answers_are_compressed_and_etags_survive(app: TestApp) {
    // A typical chapter: ~3,000 characters of Chinese prose.
    let text = repo_file("tests/api/fixtures/chapter_zh.txt");
    assert!(text.chars().count() > 2_900);
    let out = service::import::import_novel(
        &app.db,
        &service::import::ImportNovel {
            title: "青锋问道".into(),
            author: "编辑部".into(),
            channel: "male".into(),
            category: "仙侠".into(),
            subcategory: Some("古典仙侠".into()),
            status: Some("serial".into()),
            intro: None,
            cover_url: None,
            heat: Some(1),
            collect_count: None,
            chapters: vec![service::import::ImportChapter {
                title: "第一章 落梅镇".into(),
                content: text.clone(),
            }],
        },
    )
    .await
    .unwrap();
    let list = json(
        app.get(&format!("/novels/{}/chapters", out.novel_id)).await,
        200,
    )
    .await;
    let path = format!(
        "/novels/{}/chapters/{}",
        out.novel_id, list["items"][0]["id"]
    );

    let (status, enc, _, etag, plain) = fetch(&app, &path, None, None, None).await;
    assert_eq!((status, enc), (200, None));
    let etag = etag.expect("etag");
    let (status, enc, vary, gz_etag, gz) = fetch(&app, &path, None, Some("gzip"), None).await;
    assert_eq!((status, enc.as_deref()), (200, Some("gzip")));
    assert!(
        vary.to_ascii_lowercase().contains("accept-encoding"),
        "{vary}"
    );
    assert_eq!(gz_etag.as_deref(), Some(etag.as_str()), "ETag untouched");
    assert_eq!(gunzip(&gz), plain, "gzip decodes to the same JSON");
    let (_, enc, _, _, br) = fetch(&app, &path, None, Some("br;q=1, gzip;q=0.5"), None).await;
    assert_eq!(enc.as_deref(), Some("br"));
    assert_eq!(unbrotli(&br), plain);
    assert!(
        gz.len() * 3 < plain.len() * 2,
        "{} → {}",
        plain.len(),
        gz.len()
    );

    // Revalidation still works on the compressed representation: 304, no body, Vary kept.
    let (status, enc, vary, tag, body) = fetch(&app, &path, None, Some("gzip"), Some(&etag)).await;
    assert_eq!(
        (status, enc, tag.as_deref()),
        (304, None, Some(etag.as_str()))
    );
    assert!(body.is_empty());
    assert!(
        vary.to_ascii_lowercase().contains("accept-encoding"),
        "{vary}"
    );
    let weak = format!("W/{etag}");
    assert_eq!(
        fetch(&app, &path, None, Some("gzip"), Some(&weak)).await.0,
        304
    );

    // Small answers go as they are.
    let (_, enc, _, _, _) = fetch(&app, "/categories?channel=male", None, Some("gzip"), None).await;
    assert_eq!(enc, None, "below the size threshold");

    // A shelf page of 20 novels.
    let text_chars: Vec<char> = text.chars().collect();
    let mut shelved = Vec::new();
    for i in 0..20 {
        let id = service::import::import_novel(
            &app.db,
            &service::import::ImportNovel {
                title: format!("书架上的第{i}本书"),
                author: format!("作者{i}"),
                channel: "female".into(),
                category: "现代言情".into(),
                subcategory: Some("都市情缘".into()),
                status: Some("serial".into()),
                // Distinct prose per novel, as a real shelf has (repeats would flatter gzip).
                intro: Some(text_chars.iter().skip(i as usize * 90).take(90).collect()),
                cover_url: Some(format!("https://img.example.com/covers/{i}.jpg")),
                heat: Some(i),
                collect_count: Some(i * 3),
                chapters: vec![service::import::ImportChapter {
                    title: "第一章".into(),
                    content: "正文。".into(),
                }],
            },
        )
        .await
        .unwrap()
        .novel_id;
        shelved.push(id);
    }
    let token = app.token("reader").await;
    for id in shelved {
        let r = app
            .client
            .put(app.api(&format!("/bookshelf/{id}")))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    let shelf = "/bookshelf?per_page=20";
    let (_, _, _, _, shelf_plain) = fetch(&app, shelf, Some(&token), None, None).await;
    let (_, enc, _, _, shelf_gz) = fetch(&app, shelf, Some(&token), Some("gzip"), None).await;
    assert_eq!(enc.as_deref(), Some("gzip"));
    assert_eq!(gunzip(&shelf_gz), shelf_plain);
    let (_, _, _, _, shelf_br) = fetch(&app, shelf, Some(&token), Some("br"), None).await;
    assert_eq!(unbrotli(&shelf_br), shelf_plain);
    println!(
        "compression ({:?}): chapter {} B → gzip {} B, br {} B; shelf page (20) {} B → gzip {} B, br {} B",
        app.backend,
        plain.len(),
        gz.len(),
        br.len(),
        shelf_plain.len(),
        shelf_gz.len(),
        shelf_br.len()
    );
}
