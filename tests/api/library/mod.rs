//! The reader's own data, a file per resource: the bookshelf, reading progress, browsing
//! history, preferences and reader settings. Deleting the account, which ends all of them,
//! is here.

use serde_json::json;

use crate::support::{Caller, TestApp, paths, progress};

mod history;
mod progress;
mod settings;
mod shelf;

/// The device time of a progress save when it does not matter.
const T0: &str = "2026-11-21T08:00:00Z";

crate::db_tests!(deleting_an_account_removes_only_that_readers_data);

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
