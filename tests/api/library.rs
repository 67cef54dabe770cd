//! The reader's own data: bookshelf, progress, history, preferences, reader settings.

use serde_json::{Value, json};
use service::import::{ImportChapter, ImportNovel, import_novel};

use crate::support::{TestApp, error, json};

crate::db_tests!(
    bookshelf_statuses_and_parallel_adds,
    progress_newer_client_time_wins,
    progress_moves_shelf_history_and_last_read,
    reading_a_chapter_moves_progress,
    unread_counts_follow_imports,
    batch_progress_reports_bad_items,
    history_lists_deletes_and_clears,
    preferences_and_reader_settings,
    readers_are_isolated,
    account_deletion_cascades,
    shelf_of_200_is_a_fixed_number_of_queries,
);

crate::backend_tests!(new_readers_start_with_featured_novels);

async fn new_readers_start_with_featured_novels(backend: crate::support::Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("FEATURED_SHELF_SIZE", "3")]).await else {
        return;
    };
    let empty = app.token("early").await;
    assert_eq!(
        json(app.get_as(&empty, "/bookshelf").await, 200).await["total"],
        0,
        "an empty catalog features nothing"
    );
    for (i, heat) in [10, 50, 30, 40, 20].iter().enumerate() {
        import_novel(
            &app.db,
            &ImportNovel {
                heat: Some(*heat),
                ..book(&format!("热{i}"), 1)
            },
        )
        .await
        .unwrap();
    }
    let t = app.token("newbie").await;
    let shelf = json(app.get_as(&t, "/bookshelf").await, 200).await;
    let titles: Vec<&str> = shelf["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["novel"]["title"].as_str().unwrap())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["热1", "热2", "热3"], "the three hottest");
    // Only the first login fills the shelf.
    json(
        delete(
            &app,
            &t,
            &format!("/bookshelf/{}", shelf["items"][0]["novel"]["id"]),
        )
        .await,
        204,
    )
    .await;
    app.login("newbie").await;
    assert_eq!(
        json(app.get_as(&t, "/bookshelf").await, 200).await["total"],
        2
    );
}

pub(crate) fn book(title: &str, chapters: usize) -> ImportNovel {
    ImportNovel {
        title: title.into(),
        author: "作者".into(),
        channel: "female".into(),
        category: "现代言情".into(),
        subcategory: Some("都市情缘".into()),
        status: Some("serial".into()),
        intro: None,
        cover_url: None,
        heat: Some(1),
        collect_count: None,
        chapters: (1..=chapters)
            .map(|i| ImportChapter {
                title: format!("第{i}章"),
                content: format!("{title}第{i}章"),
            })
            .collect(),
    }
}

pub(crate) async fn add_books(app: &TestApp, n: usize, chapters: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            import_novel(&app.db, &book(&format!("书{i}"), chapters))
                .await
                .unwrap()
                .novel_id,
        );
    }
    ids
}

pub(crate) async fn chapter_ids(app: &TestApp, novel: i64) -> Vec<i64> {
    json(
        app.get(&format!("/novels/{novel}/chapters?per_page=1000"))
            .await,
        200,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

pub(crate) async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.api(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(app.api(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

pub(crate) fn progress(chapter: i64, offset: i32, percent: f64, time: &str) -> Value {
    json!({ "chapter_id": chapter, "offset": offset, "percent": percent, "client_time": time })
}

async fn bookshelf_statuses_and_parallel_adds(app: TestApp) {
    let ids = add_books(&app, 3, 2).await;
    let t = app.token("amy").await;
    error(
        app.client
            .put(app.api(&format!("/bookshelf/{}", ids[0])))
            .send()
            .await
            .unwrap(),
        401,
        "missing_token",
    )
    .await;
    error(
        put(&app, &t, "/bookshelf/999999", &json!({})).await,
        404,
        "not_found",
    )
    .await;
    let added = json(
        put(&app, &t, &format!("/bookshelf/{}", ids[0]), &json!({})).await,
        201,
    )
    .await;
    assert_eq!(added["on_shelf"], true);
    json(
        put(&app, &t, &format!("/bookshelf/{}", ids[0]), &json!({})).await,
        200,
    )
    .await;
    // Parallel adds of one novel make one row.
    let shelf_path = format!("/bookshelf/{}", ids[1]);
    let empty = json!({});
    let adds = (0..10).map(|_| put(&app, &t, &shelf_path, &empty));
    let statuses: Vec<u16> = futures::future::join_all(adds)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200));
    assert_eq!(
        app.count(&format!("bookshelf WHERE novel_id = {}", ids[1]))
            .await,
        1
    );
    json(
        put(&app, &t, &format!("/bookshelf/{}", ids[2]), &json!({})).await,
        201,
    )
    .await;

    let shelf = json(app.get_as(&t, "/bookshelf").await, 200).await;
    assert_eq!(shelf["total"], 3);
    let first = &shelf["items"][0];
    assert_eq!(first["novel"]["id"], ids[2], "most recently added first");
    assert_eq!(first["unread_chapters"], 2);
    assert_eq!(first["has_update"], false);
    assert!(first["last_read"].is_null() && first["added_at"].is_string());

    assert_eq!(
        delete(&app, &t, &format!("/bookshelf/{}", ids[0]))
            .await
            .status(),
        204
    );
    error(
        delete(&app, &t, &format!("/bookshelf/{}", ids[0])).await,
        404,
        "not_found",
    )
    .await;
    let removed = json(
        app.post_as(
            &t,
            "/bookshelf/remove",
            &json!({ "novel_ids": [ids[1], ids[2], 999999] }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(removed["removed"], 2);
    error(
        app.post_as(&t, "/bookshelf/remove", &json!({ "novel_ids": [] }))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let too_many: Vec<i64> = (1..=101).collect();
    error(
        app.post_as(&t, "/bookshelf/remove", &json!({ "novel_ids": too_many }))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        json(app.get_as(&t, "/bookshelf").await, 200).await["total"],
        0
    );
    error(
        app.get_as(&t, "/bookshelf?per_page=101").await,
        422,
        "validation_failed",
    )
    .await;
}

async fn progress_newer_client_time_wins(app: TestApp) {
    let ids = add_books(&app, 2, 5).await;
    let ch = chapter_ids(&app, ids[0]).await;
    let t = app.token("ben").await;
    let path = format!("/progress/{}", ids[0]);
    error(app.get_as(&t, &path).await, 404, "not_found").await;
    let stored = json(
        put(
            &app,
            &t,
            &path,
            &progress(ch[2], 120, 45.5, "2026-11-20T10:00:00Z"),
        )
        .await,
        200,
    )
    .await;
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
    // An older write (an offline device) returns the stored progress unchanged.
    let older = json(
        put(
            &app,
            &t,
            &path,
            &progress(ch[0], 5, 1.0, "2026-11-20T09:59:59.999Z"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(older["chapter_id"], ch[2]);
    assert_eq!(older["offset"], 120);
    let newer = json(
        put(
            &app,
            &t,
            &path,
            &progress(ch[4], 7, 90.0, "2026-11-20T10:00:00.001Z"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(newer["chapter_id"], ch[4]);
    assert_eq!(json(app.get_as(&t, &path).await, 200).await["offset"], 7);

    for (body, field) in [
        (progress(ch[0], -1, 1.0, "2026-11-20T10:00:00Z"), "offset"),
        (progress(ch[0], 1, 100.5, "2026-11-20T10:00:00Z"), "percent"),
        // A device clock reset to 1970.
        (
            progress(ch[0], 1, 1.0, "1970-01-01T00:00:00Z"),
            "client_time",
        ),
    ] {
        let err = error(put(&app, &t, &path, &body).await, 422, "validation_failed").await;
        assert!(err["details"][field].is_array(), "{field}: {err}");
    }
    error(
        put(&app, &t, &path, &progress(ch[0], 1, 1.0, "yesterday")).await,
        422,
        "validation_failed",
    )
    .await;
    // A chapter of another novel, an unknown novel.
    let other = chapter_ids(&app, ids[1]).await;
    let err = error(
        put(
            &app,
            &t,
            &path,
            &progress(other[0], 1, 1.0, "2026-11-21T00:00:00Z"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(err["details"]["chapter_id"].is_array());
    error(
        put(
            &app,
            &t,
            "/progress/999999",
            &progress(ch[0], 1, 1.0, "2026-11-21T00:00:00Z"),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Parallel first writes for one reader+novel make one row, and the newest wins.
    let p2 = format!("/progress/{}", ids[1]);
    let writes = (0..10).map(|i| {
        let body = progress(
            other[i % 5],
            i as i32,
            10.0,
            &format!("2026-11-21T00:00:{i:02}Z"),
        );
        let (app, t, p2) = (&app, &t, &p2);
        async move { put(app, t, p2, &body).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        app.count(&format!("reading_progress WHERE novel_id = {}", ids[1]))
            .await,
        1
    );
    assert_eq!(json(app.get_as(&t, &p2).await, 200).await["offset"], 9);
}

async fn progress_moves_shelf_history_and_last_read(app: TestApp) {
    let ids = add_books(&app, 2, 3).await;
    let t = app.token("cai").await;
    let resp = app.get_as(&t, "/bookshelf/last-read").await;
    assert_eq!(resp.status(), 204, "nothing read yet: no invented default");
    for id in &ids {
        json(
            put(&app, &t, &format!("/bookshelf/{id}"), &json!({})).await,
            201,
        )
        .await;
    }
    let shelf = json(app.get_as(&t, "/bookshelf").await, 200).await;
    assert_eq!(shelf["items"][0]["novel"]["id"], ids[1]);
    let ch = chapter_ids(&app, ids[0]).await;
    json(
        put(
            &app,
            &t,
            &format!("/progress/{}", ids[0]),
            &progress(ch[1], 30, 50.0, "2026-11-21T08:00:00Z"),
        )
        .await,
        200,
    )
    .await;
    let shelf = json(app.get_as(&t, "/bookshelf").await, 200).await;
    assert_eq!(
        shelf["items"][0]["novel"]["id"], ids[0],
        "most recently read first"
    );
    assert_eq!(shelf["items"][0]["last_read"]["chapter_id"], ch[1]);
    assert_eq!(shelf["items"][0]["unread_chapters"], 1);
    let history = json(app.get_as(&t, "/history").await, 200).await;
    assert_eq!(history["items"][0]["novel"]["id"], ids[0]);
    assert_eq!(history["items"][0]["progress"]["offset"], 30);
    let last = json(app.get_as(&t, "/bookshelf/last-read").await, 200).await;
    assert_eq!(last["novel"]["id"], ids[0]);
    assert_eq!(last["progress"]["chapter_index"], 2);
    // The novel detail shows it too.
    let detail = json(app.get_as(&t, &format!("/novels/{}", ids[0])).await, 200).await;
    assert_eq!(detail["on_shelf"], true);
    assert_eq!(detail["progress"]["offset"], 30);
}

async fn reading_a_chapter_moves_progress(app: TestApp) {
    let ids = add_books(&app, 1, 4).await;
    let ch = chapter_ids(&app, ids[0]).await;
    let t = app.token("dan").await;
    let read = json(
        app.get_as(&t, &format!("/novels/{}/chapters/{}", ids[0], ch[2]))
            .await,
        200,
    )
    .await;
    assert_eq!(read["progress"]["chapter_id"], ch[2]);
    assert_eq!(read["progress"]["offset"], 0);
    assert_eq!(read["progress"]["percent"], 50.0);
    // Scroll within the chapter, then open it again: the offset stays.
    let now = chrono::Utc::now().to_rfc3339();
    json(
        put(
            &app,
            &t,
            &format!("/progress/{}", ids[0]),
            &progress(ch[2], 300, 55.0, &now),
        )
        .await,
        200,
    )
    .await;
    let again = json(
        app.get_as(&t, &format!("/novels/{}/chapters/{}", ids[0], ch[2]))
            .await,
        200,
    )
    .await;
    assert_eq!(again["progress"]["offset"], 300);
    // A newer progress from another device (its clock slightly ahead, within the 5 minutes
    // taken as they are) is not overridden by opening an older chapter.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    json(
        put(
            &app,
            &t,
            &format!("/progress/{}", ids[0]),
            &progress(ch[3], 10, 80.0, &tomorrow),
        )
        .await,
        200,
    )
    .await;
    let opened = json(
        app.get_as(&t, &format!("/novels/{}/chapters/{}", ids[0], ch[0]))
            .await,
        200,
    )
    .await;
    assert_eq!(opened["progress"]["chapter_id"], ch[3]);
    // Anonymous reading records nothing.
    json(
        app.get(&format!("/novels/{}/chapters/{}", ids[0], ch[1]))
            .await,
        200,
    )
    .await;
    assert_eq!(app.count("reading_progress").await, 1);
}

async fn unread_counts_follow_imports(app: TestApp) {
    let ids = add_books(&app, 1, 3).await;
    let ch = chapter_ids(&app, ids[0]).await;
    let t = app.token("eve").await;
    json(
        put(&app, &t, &format!("/bookshelf/{}", ids[0]), &json!({})).await,
        201,
    )
    .await;
    json(
        put(
            &app,
            &t,
            &format!("/progress/{}", ids[0]),
            &progress(ch[2], 0, 100.0, "2026-11-21T08:00:00Z"),
        )
        .await,
        200,
    )
    .await;
    let item = &json(app.get_as(&t, "/bookshelf").await, 200).await["items"][0];
    assert_eq!(
        (
            item["unread_chapters"].as_i64(),
            item["has_update"].as_bool()
        ),
        (Some(0), Some(false))
    );
    // The author publishes two more chapters (an import bumps the catalog version; every
    // instance drops its caches within 2 s).
    import_novel(&app.db, &book("书0", 5)).await.unwrap();
    let mut item = Value::Null;
    for _ in 0..40 {
        item = json(app.get_as(&t, "/bookshelf").await, 200).await["items"][0].clone();
        if item["novel"]["chapter_count"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(item["unread_chapters"], 2);
    assert_eq!(item["has_update"], true);
    // Opening the novel clears `has_update`; the unread chapters stay unread.
    let mut cleared = false;
    for _ in 0..40 {
        json(app.get_as(&t, &format!("/novels/{}", ids[0])).await, 200).await;
        let item = json(app.get_as(&t, "/bookshelf").await, 200).await["items"][0].clone();
        if item["has_update"] == false {
            assert_eq!(item["unread_chapters"], 2);
            cleared = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(cleared);
}

async fn batch_progress_reports_bad_items(app: TestApp) {
    let ids = add_books(&app, 2, 3).await;
    let a = chapter_ids(&app, ids[0]).await;
    let b = chapter_ids(&app, ids[1]).await;
    let t = app.token("fox").await;
    let mut good_b = progress(b[1], 5, 40.0, "2026-11-21T08:00:00Z");
    good_b["novel_id"] = json!(ids[1]);
    let mut good_a = progress(a[0], 1, 2.0, "2026-11-21T08:00:00Z");
    good_a["novel_id"] = json!(ids[0]);
    let mut unknown = progress(a[0], 1, 2.0, "2026-11-21T08:00:00Z");
    unknown["novel_id"] = json!(999999);
    let mut bad_percent = progress(a[1], 1, 300.0, "2026-11-21T08:00:00Z");
    bad_percent["novel_id"] = json!(ids[0]);
    let items =
        json!([good_a, unknown, { "novel_id": ids[0], "chapter_id": "x" }, bad_percent, good_b]);
    let results = json(
        app.post_as(&t, "/progress/batch", &json!({ "items": items }))
            .await,
        200,
    )
    .await;
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
    assert_eq!(
        app.count("reading_progress").await,
        2,
        "the good items were applied"
    );
    let too_many: Vec<Value> = (0..101).map(|_| good_a.clone()).collect();
    error(
        app.post_as(&t, "/progress/batch", &json!({ "items": too_many }))
            .await,
        422,
        "validation_failed",
    )
    .await;
    error(
        app.post_as(&t, "/progress/batch", &json!({ "items": [] }))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

async fn history_lists_deletes_and_clears(app: TestApp) {
    let ids = add_books(&app, 3, 1).await;
    let t = app.token("gil").await;
    for id in &ids {
        json(app.get_as(&t, &format!("/novels/{id}")).await, 200).await;
    }
    json(app.get_as(&t, &format!("/novels/{}", ids[0])).await, 200).await;
    let h = json(app.get_as(&t, "/history?per_page=2").await, 200).await;
    assert_eq!(h["total"], 3);
    let order: Vec<i64> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["novel"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [ids[0], ids[2]], "one row per novel, newest first");
    assert!(h["items"][0]["viewed_at"].is_string());
    assert_eq!(
        delete(&app, &t, &format!("/history/{}", ids[2]))
            .await
            .status(),
        204
    );
    error(
        delete(&app, &t, &format!("/history/{}", ids[2])).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        json(app.get_as(&t, "/history").await, 200).await["total"],
        2
    );
    assert_eq!(delete(&app, &t, "/history").await.status(), 204);
    assert_eq!(
        json(app.get_as(&t, "/history").await, 200).await["total"],
        0
    );
}

async fn preferences_and_reader_settings(app: TestApp) {
    add_books(&app, 1, 1).await;
    import_novel(
        &app.db,
        &ImportNovel {
            channel: "male".into(),
            category: "玄幻".into(),
            ..book("男频", 1)
        },
    )
    .await
    .unwrap();
    let t = app.token("hal").await;
    let prefs = json(app.get_as(&t, "/me/preferences").await, 200).await;
    assert_eq!(prefs, json!({ "channel": null, "category_ids": [] }));
    let cats = json(app.get("/categories").await, 200).await;
    let male_cat = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "male")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let saved = json(
        put(
            &app,
            &t,
            "/me/preferences",
            &json!({ "channel": "male", "category_ids": [male_cat, male_cat] }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        saved,
        json!({ "channel": "male", "category_ids": [male_cat] })
    );
    let err = error(
        put(
            &app,
            &t,
            "/me/preferences",
            &json!({ "channel": "female", "category_ids": [male_cat, 987654] }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        err["details"]["category_ids"][0]
            .as_str()
            .unwrap()
            .contains("987654")
    );
    error(
        put(&app, &t, "/me/preferences", &json!({ "channel": "robots" })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        json(app.get_as(&t, "/me/preferences").await, 200).await["channel"],
        "male",
        "nothing half-written"
    );
    // `/categories` without a channel uses the reader's channel.
    let mine = json(app.get_as(&t, "/categories").await, 200).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|c| c["channel"] == "male")
    );
    assert_eq!(
        json(app.get("/categories").await, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        json(app.get_as(&t, "/me").await, 200).await["channel"],
        "male"
    );

    let defaults = json(app.get_as(&t, "/me/reader-settings").await, 200).await;
    assert_eq!(
        defaults,
        json!({ "font_size": 18, "line_spacing": 1.5, "brightness": 80, "background": "white", "page_turn": "slide" })
    );
    let patch = |body: Value| {
        app.client
            .patch(app.api("/me/reader-settings"))
            .bearer_auth(&t)
            .json(&body)
            .send()
    };
    let s = json(
        patch(json!({ "font_size": 24, "background": "night" }))
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (
            s["font_size"].as_i64(),
            s["background"].as_str(),
            s["page_turn"].as_str()
        ),
        (Some(24), Some("night"), Some("slide"))
    );
    let s = json(
        patch(json!({ "page_turn": "scroll", "line_spacing": 2.0 }))
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (
            s["font_size"].as_i64(),
            s["page_turn"].as_str(),
            s["line_spacing"].as_f64()
        ),
        (Some(24), Some("scroll"), Some(2.0))
    );
    for (body, field) in [
        (json!({ "font_size": 11 }), "font_size"),
        (json!({ "font_size": 49 }), "font_size"),
        (json!({ "line_spacing": 3.5 }), "line_spacing"),
        (json!({ "brightness": -1 }), "brightness"),
        (json!({ "background": "purple" }), "background"),
        (json!({ "page_turn": "flip" }), "page_turn"),
    ] {
        let err = error(patch(body).await.unwrap(), 422, "validation_failed").await;
        assert!(err["details"][field].is_array(), "{field}: {err}");
    }
    assert_eq!(
        json(app.get_as(&t, "/me").await, 200).await["reader_settings"]["font_size"],
        24
    );
}

async fn readers_are_isolated(app: TestApp) {
    let ids = add_books(&app, 2, 3).await;
    let ch = chapter_ids(&app, ids[0]).await;
    let alice = app.token("iris").await;
    let bob = app.token("jack").await;
    json(
        put(&app, &alice, &format!("/bookshelf/{}", ids[0]), &json!({})).await,
        201,
    )
    .await;
    json(
        put(
            &app,
            &alice,
            &format!("/progress/{}", ids[0]),
            &progress(ch[1], 9, 30.0, "2026-11-21T08:00:00Z"),
        )
        .await,
        200,
    )
    .await;
    json(
        app.get_as(&alice, &format!("/novels/{}", ids[1])).await,
        200,
    )
    .await;
    let patch = app
        .client
        .patch(app.api("/me/reader-settings"))
        .bearer_auth(&alice)
        .json(&json!({ "font_size": 30 }))
        .send();
    json(patch.await.unwrap(), 200).await;

    assert_eq!(
        json(app.get_as(&bob, "/bookshelf").await, 200).await["total"],
        0
    );
    assert_eq!(
        json(app.get_as(&bob, "/history").await, 200).await["total"],
        0
    );
    error(
        app.get_as(&bob, &format!("/progress/{}", ids[0])).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.get_as(&bob, "/bookshelf/last-read").await.status(), 204);
    error(
        delete(&app, &bob, &format!("/bookshelf/{}", ids[0])).await,
        404,
        "not_found",
    )
    .await;
    error(
        delete(&app, &bob, &format!("/history/{}", ids[1])).await,
        404,
        "not_found",
    )
    .await;
    let removed = json(
        app.post_as(&bob, "/bookshelf/remove", &json!({ "novel_ids": [ids[0]] }))
            .await,
        200,
    )
    .await;
    assert_eq!(removed["removed"], 0);
    assert_eq!(delete(&app, &bob, "/history").await.status(), 204);
    // Bob writing progress on the same novel makes his own row, never touches hers.
    json(
        put(
            &app,
            &bob,
            &format!("/progress/{}", ids[0]),
            &progress(ch[2], 1, 60.0, "2026-11-22T08:00:00Z"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        json(app.get_as(&bob, "/me/reader-settings").await, 200).await["font_size"],
        18
    );

    let shelf = json(app.get_as(&alice, "/bookshelf").await, 200).await;
    assert_eq!(shelf["total"], 1);
    assert_eq!(shelf["items"][0]["last_read"]["offset"], 9);
    assert_eq!(
        json(app.get_as(&alice, "/history").await, 200).await["total"],
        2
    );
    assert_eq!(
        json(
            app.get_as(&alice, &format!("/progress/{}", ids[0])).await,
            200
        )
        .await["chapter_id"],
        ch[1]
    );
}

async fn account_deletion_cascades(app: TestApp) {
    let ids = add_books(&app, 2, 2).await;
    let ch = chapter_ids(&app, ids[0]).await;
    let t = app.token("kai").await;
    let other = app.token("lou").await;
    for token in [&t, &other] {
        json(
            put(&app, token, &format!("/bookshelf/{}", ids[0]), &json!({})).await,
            201,
        )
        .await;
        json(
            put(
                &app,
                token,
                &format!("/progress/{}", ids[0]),
                &progress(ch[1], 1, 50.0, "2026-11-21T08:00:00Z"),
            )
            .await,
            200,
        )
        .await;
        let patch = app
            .client
            .patch(app.api("/me/reader-settings"))
            .bearer_auth(token)
            .json(&json!({ "brightness": 10 }))
            .send();
        json(patch.await.unwrap(), 200).await;
    }
    let cats = json(app.get("/categories").await, 200).await;
    json(
        put(
            &app,
            &t,
            "/me/preferences",
            &json!({ "channel": "female", "category_ids": [cats[0]["id"]] }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(delete(&app, &t, "/me").await.status(), 204);
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
    assert_eq!(
        json(app.get_as(&other, "/bookshelf").await, 200).await["total"],
        1
    );
}

async fn shelf_of_200_is_a_fixed_number_of_queries(app: TestApp) {
    let t = app.token("max").await;
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(
            import_novel(&app.db, &book(&format!("架{i}"), 1))
                .await
                .unwrap()
                .novel_id,
        );
    }
    app.catalog_settled().await;
    for id in &ids {
        json(
            put(&app, &t, &format!("/bookshelf/{id}"), &json!({})).await,
            201,
        )
        .await;
    }
    let mut costs = Vec::new();
    for per_page in [1, 20, 100] {
        let before = app.queries();
        let page = json(
            app.get_as(&t, &format!("/bookshelf?per_page={per_page}"))
                .await,
            200,
        )
        .await;
        assert_eq!(page["items"].as_array().unwrap().len(), per_page);
        assert_eq!(page["total"], 200);
        costs.push(app.queries() - before);
    }
    // Page with its total, novels and categories (new to the catalog cache), progress.
    assert!(
        costs.iter().all(|c| *c == costs[0] && *c <= 4),
        "queries per shelf page: {costs:?}"
    );
    // Steady state (session and novels cached): the page with its total, the progress.
    let before = app.queries();
    json(app.get_as(&t, "/bookshelf?per_page=100").await, 200).await;
    assert_eq!(app.queries() - before, 2, "steady-state shelf page");
    // Past the end: an empty page still knows the total.
    let past = json(app.get_as(&t, "/bookshelf?page=9&per_page=100").await, 200).await;
    assert_eq!(past["total"], 200);
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
}
