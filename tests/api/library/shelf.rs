//! The bookshelf: adding and removing novels, the order and unread counts of the list, the
//! last-read novel, the featured novels a new reader starts with, what a page costs.

use reqwest::Method;
use serde_json::{Value, json};

use super::{T0, shelve, shelve_two_and_read_the_first};
use crate::support::{Backend, Caller, TestApp, paths, progress};

crate::db_tests!(
    shelving_needs_a_token,
    shelving_an_unknown_novel_is_not_found,
    shelving_answers_201_then_200_when_already_there,
    parallel_adds_of_one_novel_make_one_row,
    one_shelf_row_under_64_clients_never_fails,
    the_shelf_lists_the_latest_added_first_with_unread_counts,
    removing_a_novel_answers_204_then_404,
    bulk_removal_counts_what_it_removed,
    bulk_removal_takes_1_to_100_ids,
    shelf_pages_hold_at_most_100,
    a_page_past_the_end_is_empty_but_knows_the_total,
    reading_moves_a_novel_to_the_front,
    last_read_is_empty_until_something_is_read,
    last_read_is_the_latest_progress,
    new_chapters_count_as_unread_and_flag_an_update,
    opening_the_novel_clears_the_update_flag_but_not_unread,
    another_readers_shelf_is_out_of_reach,
    a_shelf_page_is_a_fixed_number_of_queries,
);

crate::backend_tests!(
    an_empty_catalog_features_nothing,
    new_readers_start_with_the_three_hottest_novels,
    only_the_first_login_fills_the_shelf,
);

async fn shelving_needs_a_token(app: TestApp) {
    let ids = app.add_novels(1, 2).await;
    let bare = app.anon().request(Method::PUT, paths::shelf(ids[0]));
    bare.expect_error(401, "missing_token").await;
}

async fn shelving_an_unknown_novel_is_not_found(app: TestApp) {
    let amy = app.reader("amy").await;
    let add = amy.put("/bookshelf/999999", json!({}));
    add.expect_error(404, "not_found").await;
}

async fn shelving_answers_201_then_200_when_already_there(app: TestApp) {
    let ids = app.add_novels(1, 2).await;
    let amy = app.reader("amy").await;
    let added = amy.put(paths::shelf(ids[0]), json!({})).expect(201).await;
    assert_eq!(added["on_shelf"], true);
    amy.put(paths::shelf(ids[0]), json!({})).expect(200).await;
}

async fn parallel_adds_of_one_novel_make_one_row(app: TestApp) {
    let ids = app.add_novels(1, 2).await;
    let amy = app.reader("amy").await;
    let adds = (0..10).map(|_| amy.put(paths::shelf(ids[0]), json!({})).status());
    let statuses = futures::future::join_all(adds).await;
    let created = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(created, 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200));
    let rows = format!("bookshelf WHERE novel_id = {}", ids[0]);
    assert_eq!(app.count(&rows).await, 1);
}

/// 64 clients of one reader adding, removing and reading one novel at once: InnoDB deadlocks
/// concurrent `INSERT IGNORE`s of one key (each holds the duplicate's S lock and waits to
/// insert), worst after removals leave delete-marked rows behind; none of it may reach a
/// reader as a 5xx.
async fn one_shelf_row_under_64_clients_never_fails(app: TestApp) {
    let ids = app.add_novels(1, 3).await;
    let ch = app.chapter_ids(ids[0]).await;
    let amy = app.reader("amy").await;
    let (amy, ch, novel) = (&amy, &ch, ids[0]);
    let clients = (0..64).map(|c| async move {
        let mut statuses = Vec::new();
        for round in 0..24 {
            let status = match (c + round) % 4 {
                0 | 1 => amy.put(paths::shelf(novel), json!({})).status().await,
                2 => amy.delete(paths::shelf(novel)).status().await,
                _ => {
                    let t = chrono::Utc::now().to_rfc3339();
                    let body = progress(ch[round % 3], c as i32, 10.0, &t);
                    amy.put(paths::progress(novel), body).status().await
                }
            };
            statuses.push(status);
        }
        statuses
    });
    let statuses: Vec<u16> = futures::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect();
    let failed: Vec<_> = statuses.iter().filter(|s| **s >= 500).collect();
    assert!(
        failed.is_empty(),
        "{} of {}: {failed:?}",
        failed.len(),
        statuses.len()
    );
    assert!(statuses.iter().all(|s| [200, 201, 204, 404].contains(s)));
    let rows = format!("bookshelf WHERE novel_id = {}", ids[0]);
    assert!(app.count(&rows).await <= 1);
}

async fn the_shelf_lists_the_latest_added_first_with_unread_counts(app: TestApp) {
    let ids = app.add_novels(3, 2).await;
    let amy = app.reader("amy").await;
    shelve(&amy, &ids).await;
    let shelf = amy.get("/bookshelf").expect(200).await;
    assert_eq!(shelf["total"], 3);
    let first = &shelf["items"][0];
    assert_eq!(first["novel"]["id"], ids[2], "most recently added first");
    assert_eq!(first["unread_chapters"], 2);
    assert_eq!(first["has_update"], false);
    assert!(first["last_read"].is_null() && first["added_at"].is_string());
}

async fn removing_a_novel_answers_204_then_404(app: TestApp) {
    let ids = app.add_novels(1, 2).await;
    let amy = app.reader("amy").await;
    shelve(&amy, &ids).await;
    amy.delete(paths::shelf(ids[0])).expect(204).await;
    let again = amy.delete(paths::shelf(ids[0]));
    again.expect_error(404, "not_found").await;
}

async fn bulk_removal_counts_what_it_removed(app: TestApp) {
    let ids = app.add_novels(2, 2).await;
    let amy = app.reader("amy").await;
    shelve(&amy, &ids).await;
    let body = json!({ "novel_ids": [ids[0], ids[1], 999999] });
    let removed = amy.post("/bookshelf/remove", body).expect(200).await;
    assert_eq!(removed["removed"], 2);
    assert_eq!(amy.get("/bookshelf").expect(200).await["total"], 0);
}

async fn bulk_removal_takes_1_to_100_ids(app: TestApp) {
    let amy = app.reader("amy").await;
    let too_many: Vec<i64> = (1..=101).collect();
    for ids in [json!([]), json!(too_many)] {
        let remove = amy.post("/bookshelf/remove", json!({ "novel_ids": ids }));
        remove.expect_error(422, "validation_failed").await;
    }
}

async fn shelf_pages_hold_at_most_100(app: TestApp) {
    let amy = app.reader("amy").await;
    let page = amy.get("/bookshelf?per_page=101");
    page.expect_error(422, "validation_failed").await;
}

async fn a_page_past_the_end_is_empty_but_knows_the_total(app: TestApp) {
    let ids = app.add_novels(3, 1).await;
    let amy = app.reader("amy").await;
    shelve(&amy, &ids).await;
    let past = amy.get("/bookshelf?page=9&per_page=100").expect(200).await;
    assert_eq!(past["total"], 3);
    assert_eq!(past["items"].as_array().unwrap().len(), 0);
}

async fn reading_moves_a_novel_to_the_front(app: TestApp) {
    let ids = app.add_novels(2, 3).await;
    let cai = app.reader("cai").await;
    shelve(&cai, &ids).await;
    let shelf = cai.get("/bookshelf").expect(200).await;
    assert_eq!(shelf["items"][0]["novel"]["id"], ids[1]);
    let ch = app.chapter_ids(ids[0]).await;
    let body = progress(ch[1], 30, 50.0, T0);
    cai.put(paths::progress(ids[0]), body).expect(200).await;
    let shelf = cai.get("/bookshelf").expect(200).await;
    let first = &shelf["items"][0];
    assert_eq!(first["novel"]["id"], ids[0], "most recently read first");
    assert_eq!(first["last_read"]["chapter_id"], ch[1]);
    assert_eq!(first["unread_chapters"], 1);
}

/// Nothing read yet: no invented default.
async fn last_read_is_empty_until_something_is_read(app: TestApp) {
    let cai = app.reader("cai").await;
    cai.get("/bookshelf/last-read").expect(204).await;
}

async fn last_read_is_the_latest_progress(app: TestApp) {
    let cai = app.reader("cai").await;
    let (ids, _) = shelve_two_and_read_the_first(&app, &cai).await;
    let last = cai.get("/bookshelf/last-read").expect(200).await;
    assert_eq!(last["novel"]["id"], ids[0]);
    assert_eq!(last["progress"]["chapter_index"], 2);
}

/// `eve` has read all three chapters of a novel on her shelf; the novel's id.
async fn caught_up_reader(app: &TestApp) -> (Caller<'_>, i64) {
    let ids = app.add_novels(1, 3).await;
    let ch = app.chapter_ids(ids[0]).await;
    let eve = app.reader("eve").await;
    shelve(&eve, &ids).await;
    let body = progress(ch[2], 0, 100.0, T0);
    eve.put(paths::progress(ids[0]), body).expect(200).await;
    (eve, ids[0])
}

/// The author publishes two more chapters of `书0`; the reader's shelf item once the app's
/// caches show them (an import bumps the catalog version; every instance drops its caches
/// within 2 s).
async fn publish_two_more(app: &TestApp, reader: &Caller<'_>) -> Value {
    app.novel("书0").chapters(5).create().await;
    let mut item = Value::Null;
    for _ in 0..40 {
        item = reader.get("/bookshelf").expect(200).await["items"][0].clone();
        if item["novel"]["chapter_count"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    item
}

async fn new_chapters_count_as_unread_and_flag_an_update(app: TestApp) {
    let (eve, _) = caught_up_reader(&app).await;
    let item = &eve.get("/bookshelf").expect(200).await["items"][0];
    assert_eq!(
        (
            item["unread_chapters"].as_i64(),
            item["has_update"].as_bool()
        ),
        (Some(0), Some(false))
    );
    let item = publish_two_more(&app, &eve).await;
    assert_eq!(item["unread_chapters"], 2);
    assert_eq!(item["has_update"], true);
}

async fn opening_the_novel_clears_the_update_flag_but_not_unread(app: TestApp) {
    let (eve, id) = caught_up_reader(&app).await;
    publish_two_more(&app, &eve).await;
    let mut cleared = false;
    for _ in 0..40 {
        eve.get(paths::novel(id)).expect(200).await;
        let item = eve.get("/bookshelf").expect(200).await["items"][0].clone();
        if item["has_update"] == false {
            assert_eq!(item["unread_chapters"], 2);
            cleared = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(cleared);
}

async fn another_readers_shelf_is_out_of_reach(app: TestApp) {
    let ids = app.add_novels(1, 3).await;
    let alice = app.reader("iris").await;
    let bob = app.reader("jack").await;
    shelve(&alice, &ids).await;

    assert_eq!(bob.get("/bookshelf").expect(200).await["total"], 0);
    bob.get("/bookshelf/last-read").expect(204).await;
    let remove = bob.delete(paths::shelf(ids[0]));
    remove.expect_error(404, "not_found").await;
    let body = json!({ "novel_ids": [ids[0]] });
    let removed = bob.post("/bookshelf/remove", body).expect(200).await;
    assert_eq!(removed["removed"], 0);
    assert_eq!(alice.get("/bookshelf").expect(200).await["total"], 1);
}

async fn a_shelf_page_is_a_fixed_number_of_queries(app: TestApp) {
    let max = app.reader("max").await;
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(app.novel(&format!("架{i}")).create().await);
    }
    app.catalog_settled().await;
    shelve(&max, &ids).await;
    let mut costs = Vec::new();
    for per_page in [1, 20, 100] {
        let before = app.queries();
        let page = max.get(format!("/bookshelf?per_page={per_page}"));
        let page = page.expect(200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), per_page);
        assert_eq!(page["total"], 200);
        costs.push(app.queries() - before);
    }
    // Page with its total and progress, novels and categories (new to the catalog cache).
    assert!(
        costs.iter().all(|c| *c == costs[0] && *c <= 3),
        "queries per shelf page: {costs:?}"
    );
    // Steady state (session and novels cached): one query, the page with its total and the
    // progress.
    let before = app.queries();
    max.get("/bookshelf?per_page=100").expect(200).await;
    assert_eq!(app.queries() - before, 1, "steady-state shelf page");
}

/// An app that puts the three hottest novels on a new reader's shelf.
async fn featuring_three(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, &[("FEATURED_SHELF_SIZE", "3")]).await
}

/// The same, with five novels `热0`…`热4` of heats 10, 50, 30, 40, 20.
async fn hot_catalog_featuring_three(backend: Backend) -> Option<TestApp> {
    let app = featuring_three(backend).await?;
    for (i, heat) in [10, 50, 30, 40, 20].into_iter().enumerate() {
        app.novel(&format!("热{i}")).heat(heat).create().await;
    }
    Some(app)
}

async fn an_empty_catalog_features_nothing(backend: Backend) {
    let Some(app) = featuring_three(backend).await else {
        return;
    };
    let early = app.reader("early").await;
    assert_eq!(early.get("/bookshelf").expect(200).await["total"], 0);
}

async fn new_readers_start_with_the_three_hottest_novels(backend: Backend) {
    let Some(app) = hot_catalog_featuring_three(backend).await else {
        return;
    };
    let newbie = app.reader("newbie").await;
    let shelf = newbie.get("/bookshelf").expect(200).await;
    let mut titles: Vec<&str> = shelf["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["novel"]["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, ["热1", "热2", "热3"]);
}

async fn only_the_first_login_fills_the_shelf(backend: Backend) {
    let Some(app) = hot_catalog_featuring_three(backend).await else {
        return;
    };
    let newbie = app.reader("newbie").await;
    let shelf = newbie.get("/bookshelf").expect(200).await;
    let first = shelf["items"][0]["novel"]["id"].as_i64().unwrap();
    newbie.delete(paths::shelf(first)).expect(204).await;
    app.login("newbie").await;
    assert_eq!(newbie.get("/bookshelf").expect(200).await["total"], 2);
}
