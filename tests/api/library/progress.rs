//! Reading progress: saved with the device's time, the newer time wins, validated field by
//! field, moved by opening a chapter, sent in batches by a device coming back online.

use serde_json::{Value, json};

use super::{T0, shelve, shelve_two_and_read_the_first};
use crate::support::{TestApp, paths, progress};

crate::db_tests!(
    progress_is_not_found_before_the_first_save,
    saved_progress_reports_the_chapter_index_title_and_percent,
    the_newer_client_time_wins_to_the_millisecond,
    progress_fields_are_validated,
    a_chapter_of_another_novel_is_invalid,
    progress_in_an_unknown_novel_is_not_found,
    parallel_first_writes_make_one_row_and_the_newest_wins,
    opening_a_chapter_saves_progress_at_its_start,
    reopening_the_current_chapter_keeps_the_offset,
    opening_an_older_chapter_keeps_newer_progress,
    anonymous_reading_records_nothing,
    a_signed_in_reader_gets_the_anonymous_text_and_no_writes_for_a_missing_chapter,
    a_batch_applies_good_items_and_reports_bad_ones,
    a_batch_holds_1_to_100_items,
    the_novel_detail_shows_shelf_and_progress,
    another_readers_progress_is_their_own,
    a_write_that_fails_in_a_shared_transaction_fails_alone,
    writes_that_arrive_together_cost_a_few_statements_whatever_their_number,
);

async fn progress_is_not_found_before_the_first_save(app: TestApp) {
    let ids = app.add_novels(1, 5).await;
    let ben = app.reader("ben").await;
    let read = ben.get(paths::progress(ids[0]));
    read.expect_error(404, "not_found").await;
}

async fn saved_progress_reports_the_chapter_index_title_and_percent(app: TestApp) {
    let ids = app.add_novels(1, 5).await;
    let ch = app.chapter_ids(ids[0]).await;
    let ben = app.reader("ben").await;
    let body = progress(ch[2], 120, 45.5, "2026-11-20T10:00:00Z");
    let stored = ben.put(paths::progress(ids[0]), body).expect(200).await;
    assert_eq!(
        (
            stored["chapter_id"].as_i64(),
            stored["chapter_index"].as_i64(),
            stored["offset"].as_i64()
        ),
        (Some(ch[2]), Some(3), Some(120))
    );
    assert_eq!(stored["chapter_title"], "第3章");
    assert_eq!(stored["percent"], 45.5);
}

async fn the_newer_client_time_wins_to_the_millisecond(app: TestApp) {
    let ids = app.add_novels(1, 5).await;
    let ch = app.chapter_ids(ids[0]).await;
    let ben = app.reader("ben").await;
    let path = paths::progress(ids[0]);
    let body = progress(ch[2], 120, 45.5, "2026-11-20T10:00:00Z");
    ben.put(&path, body).expect(200).await;
    // An older write (an offline device) returns the stored progress unchanged.
    let body = progress(ch[0], 5, 1.0, "2026-11-20T09:59:59.999Z");
    let older = ben.put(&path, body).expect(200).await;
    assert_eq!(older["chapter_id"], ch[2]);
    assert_eq!(older["offset"], 120);
    let body = progress(ch[4], 7, 90.0, "2026-11-20T10:00:00.001Z");
    let newer = ben.put(&path, body).expect(200).await;
    assert_eq!(newer["chapter_id"], ch[4]);
    assert_eq!(ben.get(&path).expect(200).await["offset"], 7);
}

async fn progress_fields_are_validated(app: TestApp) {
    let ids = app.add_novels(1, 5).await;
    let ch = app.chapter_ids(ids[0]).await;
    let ben = app.reader("ben").await;
    let path = paths::progress(ids[0]);
    for (body, field) in [
        (progress(ch[0], -1, 1.0, T0), "offset"),
        (progress(ch[0], 1, 100.5, T0), "percent"),
        // A device clock reset to 1970.
        (
            progress(ch[0], 1, 1.0, "1970-01-01T00:00:00Z"),
            "client_time",
        ),
    ] {
        ben.put(&path, body).invalid(field).await;
    }
    let body = progress(ch[0], 1, 1.0, "yesterday");
    let yesterday = ben.put(&path, body);
    yesterday.expect_error(422, "validation_failed").await;
}

async fn a_chapter_of_another_novel_is_invalid(app: TestApp) {
    let ids = app.add_novels(2, 5).await;
    let other = app.chapter_ids(ids[1]).await;
    let ben = app.reader("ben").await;
    let body = progress(other[0], 1, 1.0, T0);
    let save = ben.put(paths::progress(ids[0]), body);
    save.invalid("chapter_id").await;
}

async fn progress_in_an_unknown_novel_is_not_found(app: TestApp) {
    let ids = app.add_novels(1, 5).await;
    let ch = app.chapter_ids(ids[0]).await;
    let ben = app.reader("ben").await;
    let save = ben.put("/progress/999999", progress(ch[0], 1, 1.0, T0));
    save.expect_error(404, "not_found").await;
}

async fn parallel_first_writes_make_one_row_and_the_newest_wins(app: TestApp) {
    let ids = app.add_novels(1, 5).await;
    let ch = app.chapter_ids(ids[0]).await;
    let ben = app.reader("ben").await;
    let path = paths::progress(ids[0]);
    let writes = (0..10).map(|i| {
        let time = format!("2026-11-21T00:00:{i:02}Z");
        let body = progress(ch[i % 5], i as i32, 10.0, &time);
        ben.put(&path, body).status()
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let rows = format!("reading_progress WHERE novel_id = {}", ids[0]);
    assert_eq!(app.count(&rows).await, 1);
    assert_eq!(ben.get(&path).expect(200).await["offset"], 9);
}

async fn opening_a_chapter_saves_progress_at_its_start(app: TestApp) {
    let ids = app.add_novels(1, 4).await;
    let ch = app.chapter_ids(ids[0]).await;
    let dan = app.reader("dan").await;
    let read = dan.get(paths::chapter(ids[0], ch[2])).expect(200).await;
    assert_eq!(read["progress"]["chapter_id"], ch[2]);
    assert_eq!(read["progress"]["offset"], 0);
    assert_eq!(read["progress"]["percent"], 50.0);
}

/// Scroll within the chapter, then open it again: the offset stays.
async fn reopening_the_current_chapter_keeps_the_offset(app: TestApp) {
    let ids = app.add_novels(1, 4).await;
    let ch = app.chapter_ids(ids[0]).await;
    let dan = app.reader("dan").await;
    dan.get(paths::chapter(ids[0], ch[2])).expect(200).await;
    let now = chrono::Utc::now().to_rfc3339();
    let body = progress(ch[2], 300, 55.0, &now);
    dan.put(paths::progress(ids[0]), body).expect(200).await;
    let again = dan.get(paths::chapter(ids[0], ch[2])).expect(200).await;
    assert_eq!(again["progress"]["offset"], 300);
}

/// A newer progress from another device (its clock slightly ahead, within the 5 minutes
/// taken as they are) is not overridden by opening an older chapter.
async fn opening_an_older_chapter_keeps_newer_progress(app: TestApp) {
    let ids = app.add_novels(1, 4).await;
    let ch = app.chapter_ids(ids[0]).await;
    let dan = app.reader("dan").await;
    let ahead = (chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    let body = progress(ch[3], 10, 80.0, &ahead);
    dan.put(paths::progress(ids[0]), body).expect(200).await;
    let opened = dan.get(paths::chapter(ids[0], ch[0])).expect(200).await;
    assert_eq!(opened["progress"]["chapter_id"], ch[3]);
    assert_eq!(app.count("reading_progress").await, 1);
}

async fn anonymous_reading_records_nothing(app: TestApp) {
    let ids = app.add_novels(1, 4).await;
    let ch = app.chapter_ids(ids[0]).await;
    let read = app.anon().get(paths::chapter(ids[0], ch[1]));
    read.expect(200).await;
    assert_eq!(app.count("reading_progress").await, 0);
}

/// Signed in, an uncached chapter is read inside the progress write: the same text and
/// neighbours as anonymously, and a chapter that isn't there is 404 with nothing written.
async fn a_signed_in_reader_gets_the_anonymous_text_and_no_writes_for_a_missing_chapter(
    app: TestApp,
) {
    let ids = app.add_novels(2, 3).await;
    let ch = app.chapter_ids(ids[0]).await;
    let eve = app.reader("eve").await;
    let mut signed_in = Vec::new();
    for c in &ch {
        signed_in.push(eve.get(paths::chapter(ids[0], *c)).expect(200).await);
    }
    assert_eq!(signed_in[1]["prev_chapter_id"], ch[0]);
    assert_eq!(signed_in[1]["next_chapter_id"], ch[2]);
    // Emptied caches: the anonymous reads run the other query.
    app.bump_catalog().await;
    app.catalog_settled().await;
    for (c, signed_in) in ch.iter().zip(&signed_in) {
        let anonymous = app.anon().get(paths::chapter(ids[0], *c)).expect(200).await;
        for field in [
            "id",
            "content",
            "prev_chapter_id",
            "next_chapter_id",
            "title",
        ] {
            assert_eq!(signed_in[field], anonymous[field], "{field}");
        }
    }
    let other = app.chapter_ids(ids[1]).await;
    for path in [
        paths::chapter(ids[0], other[0]),
        paths::chapter(ids[0], 999_999),
        paths::chapter(999_999, ch[0]),
    ] {
        eve.get(path).expect_error(404, "not_found").await;
    }
    let novel = format!("reading_progress WHERE novel_id = {}", ids[1]);
    assert_eq!(app.count(&novel).await, 0);
    let read = eve.get(paths::progress(ids[0])).expect(200).await;
    assert_eq!(read["chapter_id"], ch[2]);
}

async fn a_batch_applies_good_items_and_reports_bad_ones(app: TestApp) {
    let ids = app.add_novels(2, 3).await;
    let a = app.chapter_ids(ids[0]).await;
    let b = app.chapter_ids(ids[1]).await;
    let fox = app.reader("fox").await;
    let item = |novel: i64, mut body: Value| {
        body["novel_id"] = json!(novel);
        body
    };
    let items = json!([
        item(ids[0], progress(a[0], 1, 2.0, T0)),
        item(999999, progress(a[0], 1, 2.0, T0)),
        { "novel_id": ids[0], "chapter_id": "x" },
        item(ids[0], progress(a[1], 1, 300.0, T0)),
        item(ids[1], progress(b[1], 5, 40.0, T0)),
    ]);
    let results = fox.post("/progress/batch", json!({ "items": items }));
    let results = results.expect(200).await;
    let r = results.as_array().unwrap();
    assert_eq!(r.len(), 5);
    assert_eq!(r[0]["chapter_id"], a[0]);
    assert_eq!(
        (
            r[1]["index"].as_i64(),
            r[1]["novel_id"].as_i64(),
            r[1]["error"]["code"].as_str()
        ),
        (Some(1), Some(999999), Some("not_found"))
    );
    assert_eq!(r[2]["error"]["code"], "validation_failed");
    assert_eq!(r[3]["error"]["code"], "validation_failed");
    assert!(r[3]["error"]["details"]["percent"].is_array(), "{}", r[3]);
    assert_eq!(r[4]["chapter_id"], b[1]);
    let applied = app.count("reading_progress").await;
    assert_eq!(applied, 2, "the good items were applied");
}

async fn a_batch_holds_1_to_100_items(app: TestApp) {
    let ids = app.add_novels(1, 3).await;
    let a = app.chapter_ids(ids[0]).await;
    let fox = app.reader("fox").await;
    let mut good = progress(a[0], 1, 2.0, T0);
    good["novel_id"] = json!(ids[0]);
    for items in [json!([]), json!(vec![good; 101])] {
        let batch = fox.post("/progress/batch", json!({ "items": items }));
        batch.expect_error(422, "validation_failed").await;
    }
}

async fn the_novel_detail_shows_shelf_and_progress(app: TestApp) {
    let cai = app.reader("cai").await;
    let (ids, _) = shelve_two_and_read_the_first(&app, &cai).await;
    let detail = cai.get(paths::novel(ids[0])).expect(200).await;
    assert_eq!(detail["on_shelf"], true);
    assert_eq!(detail["progress"]["offset"], 30);
}

/// Bob writing progress in the same novel makes his own row, never touches hers.
async fn another_readers_progress_is_their_own(app: TestApp) {
    let ids = app.add_novels(1, 3).await;
    let ch = app.chapter_ids(ids[0]).await;
    let alice = app.reader("iris").await;
    let bob = app.reader("jack").await;
    let path = paths::progress(ids[0]);
    shelve(&alice, &ids).await;
    let body = progress(ch[1], 9, 30.0, T0);
    alice.put(&path, body).expect(200).await;

    bob.get(&path).expect_error(404, "not_found").await;
    let later = progress(ch[2], 1, 60.0, "2026-11-22T08:00:00Z");
    bob.put(&path, later).expect(200).await;

    let shelf = alice.get("/bookshelf").expect(200).await;
    assert_eq!(shelf["items"][0]["last_read"]["offset"], 9);
    assert_eq!(alice.get(&path).expect(200).await["chapter_id"], ch[1]);
}

/// Writes that arrive together share a transaction. One that fails midway for a reason of its
/// own (here the database refuses its history row, after its progress row was written) is
/// undone and fails alone; the others of its transaction are committed and answered 200.
async fn a_write_that_fails_in_a_shared_transaction_fails_alone(app: TestApp) {
    let ids = app.add_novels(16, 2).await;
    let poisoned = ids[5];
    let trigger = match app.backend {
        crate::support::Backend::Sqlite => format!(
            "CREATE TRIGGER poison BEFORE INSERT ON browse_history WHEN NEW.novel_id = {poisoned} \
             BEGIN SELECT RAISE(ABORT, 'poisoned on sqlite'); END"
        ),
        crate::support::Backend::MySql => format!(
            "CREATE TRIGGER poison BEFORE INSERT ON browse_history FOR EACH ROW \
             IF NEW.novel_id = {poisoned} THEN \
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'poisoned on mysql'; END IF"
        ),
    };
    app.exec(&trigger).await;
    let mut chapters = Vec::new();
    for id in &ids {
        chapters.push(app.chapter_ids(*id).await[1]);
    }
    // One reader: all of them in the same lane, so they queue for the same transactions.
    let ben = app.reader("ben").await;
    // The log line of a shared transaction that failed, from this test's database only.
    let fallbacks = || {
        let logs = crate::support::captured_logs();
        let ours = format!("poisoned on {:?}", app.backend).to_lowercase();
        logs.lines()
            .filter(|l| l.contains("running them one by one") && l.contains(&ours))
            .count()
    };
    let seen_before = fallbacks();
    for round in 1..=8 {
        let time = (chrono::Utc::now() + chrono::Duration::seconds(round)).to_rfc3339();
        let writes = ids.iter().zip(&chapters).map(|(novel, chapter)| {
            let body = progress(*chapter, round as i32, 50.0, &time);
            ben.put(paths::progress(*novel), body).send()
        });
        let answers = futures::future::join_all(writes).await;
        for (resp, novel) in answers.into_iter().zip(&ids) {
            if *novel == poisoned {
                crate::support::error(resp, 500, "internal").await;
            } else {
                let stored = crate::support::json(resp, 200).await;
                assert_eq!(stored["offset"], round, "novel {novel}");
                let read = ben.get(paths::progress(*novel)).expect(200).await;
                assert_eq!(read["offset"], round, "committed: novel {novel}");
            }
        }
        // Its progress row, written before the refused history row, was undone too.
        let read = ben.get(paths::progress(poisoned));
        read.expect_error(404, "not_found").await;
        if fallbacks() > seen_before {
            return;
        }
    }
    panic!("the refused write never shared a transaction with others");
}

/// Writes that arrive together share a transaction of at most five statements whatever their
/// number: one read, one update of the rows already there, one insert of first writes, one
/// history upsert and one shelf update. Each write is stored, losing ones change nothing, and
/// the shelf and the history move for the winners.
async fn writes_that_arrive_together_cost_a_few_statements_whatever_their_number(app: TestApp) {
    let ids = app.add_novels(16, 3).await;
    let mut chapters = Vec::new();
    for id in &ids {
        chapters.push(app.chapter_ids(*id).await);
    }
    // One reader: one lane. Half the novels have a progress already, a quarter are shelved.
    let ben = app.reader("ben").await;
    for (novel, ch) in ids.iter().zip(&chapters).take(8) {
        let body = progress(ch[0], 1, 10.0, "2026-11-21T08:00:00Z");
        ben.put(paths::progress(*novel), body).expect(200).await;
    }
    // A stored progress newer than its write: that write loses.
    let body = progress(chapters[0][2], 77, 90.0, "2026-11-21T10:00:00Z");
    ben.put(paths::progress(ids[0]), body).expect(200).await;
    let shelved: Vec<i64> = ids.iter().step_by(4).copied().collect();
    shelve(&ben, &shelved).await;

    let before = app.queries();
    let writes = ids
        .iter()
        .zip(&chapters)
        .enumerate()
        .map(|(i, (novel, ch))| {
            let body = progress(ch[1], 100 + i as i32, 50.0, "2026-11-21T09:00:00Z");
            ben.put(paths::progress(*novel), body).send()
        });
    let hold = std::time::Duration::from_millis(300);
    let answers = app
        .while_pool_held(hold, futures::future::join_all(writes))
        .await;
    let spent = app.queries() - before;
    for (i, resp) in answers.into_iter().enumerate() {
        let stored = crate::support::json(resp, 200).await;
        let offset = if i == 0 { 77 } else { 100 + i as i64 };
        assert_eq!(stored["offset"], offset, "write {i}");
    }
    // The lane may take the first write alone before the others arrive: two transactions.
    // One statement per write would be at least 16.
    assert!(spent <= 10, "{spent} statements for 16 writes");

    for (i, novel) in ids.iter().enumerate() {
        let read = ben.get(paths::progress(*novel)).expect(200).await;
        let offset = if i == 0 { 77 } else { 100 + i as i64 };
        assert_eq!(read["offset"], offset, "committed: novel {novel}");
    }
    assert_eq!(app.count("reading_progress").await, 16);
    assert_eq!(app.count("browse_history").await, 16);
    // Every shelved winner moved up its shelf (the loser, ids[0], did not).
    let moved = app.count("bookshelf WHERE sort_at > added_at").await;
    assert_eq!(moved, shelved.len() as i64 - 1);
}
