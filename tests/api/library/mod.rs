//! The reader's own data, a file per resource: the bookshelf, reading progress, browsing
//! history, preferences and reader settings. Deleting the account, which ends all of them,
//! is here.

use serde_json::json;

use crate::support::{Backend, Caller, TestApp, paths, progress};

mod history;
mod progress;
mod settings;
mod shelf;

/// The device time of a progress save when it does not matter.
const T0: &str = "2026-11-21T08:00:00Z";

crate::db_tests!(
    deleting_an_account_removes_only_that_readers_data,
    instants_read_back_as_stored,
);

/// Puts `ids` on `reader`'s shelf in this order, each new there (201).
async fn shelve(reader: &Caller<'_>, ids: &[i64]) {
    for id in ids {
        reader.put(paths::shelf(*id), json!({})).expect(201).await;
    }
}

/// Two novels of three chapters on `reader`'s shelf, then the first read to chapter 2,
/// offset 30; the novels' ids and the first one's chapters.
async fn shelve_two_and_read_the_first(app: &TestApp, reader: &Caller<'_>) -> (Vec<i64>, Vec<i64>) {
    let ids = app.add_novels(2, 3).await;
    shelve(reader, &ids).await;
    let ch = app.chapter_ids(ids[0]).await;
    let body = progress(ch[1], 30, 50.0, T0);
    reader.put(paths::progress(ids[0]), body).expect(200).await;
    (ids, ch)
}

async fn deleting_an_account_removes_only_that_readers_data(app: TestApp) {
    let ids = app.add_novels(2, 2).await;
    let ch = app.chapter_ids(ids[0]).await;
    let kai = app.reader("kai").await;
    let lou = app.reader("lou").await;
    for reader in [&kai, &lou] {
        shelve(reader, &ids[..1]).await;
        let body = progress(ch[1], 1, 50.0, T0);
        reader.put(paths::progress(ids[0]), body).expect(200).await;
        let dim = json!({ "brightness": 10 });
        reader.patch("/me/reader-settings", dim).expect(200).await;
    }
    let cats = app.anon().get("/categories").expect(200).await;
    let prefs = json!({ "channel": "female", "category_ids": [cats[0]["id"]] });
    kai.put("/me/preferences", prefs).expect(200).await;

    kai.delete("/me").expect(204).await;
    for table in [
        "bookshelf",
        "reading_progress",
        "browse_history",
        "reader_settings",
        "auth_sessions",
    ] {
        assert_eq!(
            app.count(table).await,
            1,
            "{table} keeps only the other reader's row"
        );
    }
    assert_eq!(app.count("user_preferred_categories").await, 0);
    assert_eq!(lou.get("/bookshelf").expect(200).await["total"], 1);
}

/// The hot reads select instants as integers on MySQL (`service::db::instant_sql`): every one
/// of them shows the stored instant, time zone and sub-second part included (the API shows
/// milliseconds).
async fn instants_read_back_as_stored(app: TestApp) {
    let ids = app.add_novels(1, 3).await;
    let ch = app.chapter_ids(ids[0]).await;
    // Each backend's own storage format (SQLite keeps RFC 3339 text).
    let set = |table: &str, col: &str, t: &str| {
        let at = match app.backend {
            Backend::MySql => format!("'2026-03-0{t}.654321'"),
            Backend::Sqlite => format!("'2026-03-0{}.654321+00:00'", t.replace(' ', "T")),
        };
        format!("UPDATE {table} SET {col} = {at}")
    };
    // The catalog's before anything caches it.
    app.exec(&set("chapters", "updated_at", "1 01:02:03")).await;
    app.exec(&set("novels", "updated_at", "2 02:03:04")).await;
    let ben = app.reader("ben").await;
    shelve(&ben, &ids).await;
    let body = progress(ch[1], 30, 50.0, T0);
    ben.put(paths::progress(ids[0]), body).expect(200).await;
    ben.get(paths::novel(ids[0])).expect(200).await; // a history row
    app.exec(&set("reading_progress", "updated_at", "3 03:04:05"))
        .await;
    app.exec(&set("bookshelf", "added_at", "4 04:05:06")).await;
    app.exec(&set("users", "created_at", "5 05:06:07")).await;
    let anon = app.anon();
    let chapter = anon.get(paths::chapter(ids[0], ch[1])).expect(200).await;
    assert_eq!(chapter["updated_at"], "2026-03-01T01:02:03.654Z");
    let list = anon.get(format!("/novels/{}/chapters", ids[0]));
    assert_eq!(
        list.expect(200).await["items"][2]["updated_at"],
        "2026-03-01T01:02:03.654Z"
    );
    let detail = anon.get(paths::novel(ids[0])).expect(200).await;
    assert_eq!(
        detail["latest_chapter"]["updated_at"],
        "2026-03-01T01:02:03.654Z"
    );
    assert_eq!(detail["updated_at"], "2026-03-02T02:03:04.654Z");
    let saved = ben.get(paths::progress(ids[0])).expect(200).await;
    assert_eq!(saved["updated_at"], "2026-03-03T03:04:05.654Z");
    let shelf = ben.get("/bookshelf").expect(200).await;
    assert_eq!(shelf["items"][0]["added_at"], "2026-03-04T04:05:06.654Z");
    assert_eq!(
        shelf["items"][0]["last_read"]["updated_at"],
        "2026-03-03T03:04:05.654Z"
    );
    let history = ben.get("/history").expect(200).await;
    assert_eq!(
        history["items"][0]["progress"]["updated_at"],
        "2026-03-03T03:04:05.654Z"
    );
    assert_eq!(
        ben.get("/me").expect(200).await["created_at"],
        "2026-03-05T05:06:07.654Z"
    );
}
