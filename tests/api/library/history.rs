//! Browsing history: a row per novel opened, newest first, removable one by one or all.

use super::shelve_two_and_read_the_first;
use crate::support::{Caller, TestApp, paths};

crate::db_tests!(
    opened_novels_are_listed_once_each_newest_first,
    removing_a_novel_from_history_answers_204_then_404,
    clearing_the_history_empties_it,
    saving_progress_records_history,
    another_readers_history_is_out_of_reach,
);

/// `gil` opens three novels, then the first again; the novels' ids.
async fn gil_browses(app: &TestApp) -> (Caller<'_>, Vec<i64>) {
    let ids = app.add_novels(3, 1).await;
    let gil = app.reader("gil").await;
    for id in ids.iter().chain([&ids[0]]) {
        gil.get(paths::novel(*id)).expect(200).await;
    }
    (gil, ids)
}

async fn opened_novels_are_listed_once_each_newest_first(app: TestApp) {
    let (gil, ids) = gil_browses(&app).await;
    let h = gil.get("/history?per_page=2").expect(200).await;
    assert_eq!(h["total"], 3);
    let order: Vec<i64> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["novel"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [ids[0], ids[2]], "one row per novel, newest first");
    assert!(h["items"][0]["viewed_at"].is_string());
}

async fn removing_a_novel_from_history_answers_204_then_404(app: TestApp) {
    let (gil, ids) = gil_browses(&app).await;
    gil.delete(paths::history(ids[2])).expect(204).await;
    let again = gil.delete(paths::history(ids[2]));
    again.expect_error(404, "not_found").await;
    assert_eq!(gil.get("/history").expect(200).await["total"], 2);
}

async fn clearing_the_history_empties_it(app: TestApp) {
    let (gil, _) = gil_browses(&app).await;
    gil.delete("/history").expect(204).await;
    assert_eq!(gil.get("/history").expect(200).await["total"], 0);
}

async fn saving_progress_records_history(app: TestApp) {
    let cai = app.reader("cai").await;
    let (ids, _) = shelve_two_and_read_the_first(&app, &cai).await;
    let history = cai.get("/history").expect(200).await;
    assert_eq!(history["items"][0]["novel"]["id"], ids[0]);
    assert_eq!(history["items"][0]["progress"]["offset"], 30);
}

async fn another_readers_history_is_out_of_reach(app: TestApp) {
    let ids = app.add_novels(2, 1).await;
    let alice = app.reader("iris").await;
    let bob = app.reader("jack").await;
    for id in &ids {
        alice.get(paths::novel(*id)).expect(200).await;
    }
    assert_eq!(bob.get("/history").expect(200).await["total"], 0);
    let remove = bob.delete(paths::history(ids[1]));
    remove.expect_error(404, "not_found").await;
    bob.delete("/history").expect(204).await;
    assert_eq!(alice.get("/history").expect(200).await["total"], 2);
}
