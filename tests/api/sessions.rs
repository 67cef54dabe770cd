//! The signed-in loop without a session query per request: live sessions cached per instance,
//! revocations followed through the database feed within one second, and the statements each
//! signed-in request costs in the steady state.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Backend, TestApp, paths, progress};

crate::backend_tests!(
    revocation_reaches_every_instance_within_a_second,
    a_revocation_committed_after_a_later_one_still_reaches_every_instance
);
crate::db_tests!(
    signed_in_reads_cost_one_query_and_losing_writes_none,
    readers_asking_at_once_share_queries_and_each_gets_their_own,
    logout_with_another_readers_refresh_token_ends_only_ones_own,
    a_write_of_a_reader_deleted_meanwhile_is_a_conflict
);

/// Readers who open the app at the same moment (queued for a busy database) share batched
/// `GET /me` and `GET /progress/{id}` queries; each gets their own account (with a change
/// made just before) and their own progress.
async fn readers_asking_at_once_share_queries_and_each_gets_their_own(app: TestApp) {
    let mut readers = Vec::new();
    for i in 0..24 {
        readers.push(app.reader(&format!("r{i}")).await);
    }
    futures::future::join_all(readers.iter().map(|r| r.get("/me").send())).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the sessions are now known live
    for (i, r) in readers.iter().enumerate() {
        let name = json!({ "nickname": format!("读者{i}") });
        r.patch("/me", name).expect(200).await;
    }
    let before = app.queries();
    let asks = futures::future::join_all(readers.iter().map(|r| r.get("/me").send()));
    let answers = app.while_pool_held(Duration::from_millis(300), asks).await;
    let spent = app.queries() - before;
    for (i, resp) in answers.into_iter().enumerate() {
        let me = crate::support::json(resp, 200).await;
        assert_eq!(me["nickname"], format!("读者{i}"));
    }
    // At most one batch per slot (4) while the pool was held, then the rest together.
    assert!(spent <= 6, "{spent} queries for 24 readers");

    // The same for their progress in a novel: each their own, and 404 for the one who has none.
    let novel = app.add_novels(1, 2).await[0];
    let chapter = app.chapter_ids(novel).await[1];
    let now = chrono::Utc::now().to_rfc3339();
    for (i, r) in readers.iter().enumerate().skip(1) {
        let body = progress(chapter, i as i32, 10.0, &now);
        r.put(paths::progress(novel), body).expect(200).await;
    }
    app.catalog_settled().await;
    let before = app.queries();
    let asks = readers.iter().map(|r| r.get(paths::progress(novel)).send());
    let answers = app
        .while_pool_held(Duration::from_millis(300), futures::future::join_all(asks))
        .await;
    let spent = app.queries() - before;
    for (i, resp) in answers.into_iter().enumerate() {
        if i == 0 {
            crate::support::error(resp, 404, "not_found").await;
        } else {
            assert_eq!(crate::support::json(resp, 200).await["offset"], i);
        }
    }
    assert!(spent <= 6, "{spent} progress queries for 24 readers");
}

/// A logout names a refresh token to end that login too; another reader's token ends nothing,
/// on this instance or through the revocation feed.
async fn logout_with_another_readers_refresh_token_ends_only_ones_own(app: TestApp) {
    let mallory = app.reader("mallory").await;
    let bob = app.login("bob").await;
    let bobs = json!({ "refresh_token": bob["refresh_token"] });
    mallory.post("/auth/logout", bobs).expect(204).await;
    mallory.get("/me").expect_error(401, "invalid_token").await;
    // Past the feed's bound, Bob is still signed in and can still refresh.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let bob_access = bob["access_token"].as_str().unwrap();
    app.as_reader(bob_access).get("/me").expect(200).await;
    app.refresh_with(&bob["refresh_token"]).expect(200).await;
}

/// Polls `path` on `app` until it answers 401; how long that took.
async fn until_refused(app: &TestApp, token: &str, path: &str) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if app.as_reader(token).get(path).status().await == 401 {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path} still accepted the token after 5 s");
}

async fn revocation_reaches_every_instance_within_a_second(backend: Backend) {
    let a = TestApp::spawn(backend).await.unwrap();
    let b = TestApp::spawn_on(backend, a.test_db(), a.wechat.clone(), &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // both follow the feed
    for (who, everywhere) in [("one", false), ("all", true)] {
        let token = a.token(who).await;
        let (on_a, on_b) = (a.as_reader(&token), b.as_reader(&token));
        // B has seen the session live (and cached it).
        on_b.get("/me").expect(200).await;
        on_b.get("/me").expect(200).await;
        let logout = on_a.post("/auth/logout", json!({ "all_devices": everywhere }));
        logout.expect(204).await;
        // At once on the instance that answered ...
        on_a.get("/me").expect_error(401, "invalid_token").await;
        // ... and within the bound on the other.
        let took = until_refused(&b, &token, "/me").await;
        assert!(
            took <= Duration::from_secs(1),
            "{who}: B refused after {took:?}"
        );
    }
    // Account deletion ends every session everywhere.
    let token = a.token("gone").await;
    b.as_reader(&token).get("/me").expect(200).await;
    a.as_reader(&token).delete("/me").expect(204).await;
    let took = until_refused(&b, &token, "/bookshelf").await;
    assert!(
        took <= Duration::from_secs(1),
        "deleted reader refused after {took:?}"
    );
}

/// Feed ids are handed out at insert, not at commit: an account deletion waiting on a row
/// lock commits its revocation after a logout that got a later id, and after the other
/// instance read past that id. It must still reach that instance within the bound.
async fn a_revocation_committed_after_a_later_one_still_reaches_every_instance(backend: Backend) {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    if backend == Backend::Sqlite {
        return; // one writer at a time: its ids commit in their order
    }
    let a = TestApp::spawn(backend).await.unwrap();
    let b = TestApp::spawn_on(backend, a.test_db(), a.wechat.clone(), &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // both follow the feed
    let victim = a.token("victim").await;
    let me = b.as_reader(&victim).get("/me").expect(200).await;
    let victim_id = me["id"].as_i64().unwrap();
    // Another transaction holds the reader's row, so the deletion inserts its revocation (id
    // N) and waits ...
    let held = sea_orm::Database::connect(a.test_db().url.as_str())
        .await
        .unwrap();
    let txn = held.begin().await.unwrap();
    let lock = format!("SELECT id FROM users WHERE id = {victim_id} FOR UPDATE");
    txn.execute_unprepared(&lock).await.unwrap();
    let delete = a.as_reader(&victim).delete("/me").expect(204);
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // ... while a logout gets N + 1, commits, and both instances read past it.
        let other = a.token("other").await;
        let logout = json!({ "all_devices": false });
        a.as_reader(&other)
            .post("/auth/logout", logout)
            .expect(204)
            .await;
        until_refused(&b, &other, "/me").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        b.as_reader(&victim).get("/me").expect(200).await; // not deleted yet
        txn.commit().await.unwrap();
    };
    tokio::join!(delete, meanwhile);
    let took = until_refused(&b, &victim, "/me").await;
    assert!(
        took <= Duration::from_secs(1),
        "the late revocation reached B after {took:?}"
    );
}

/// Within the revocation bound another instance may still take a deleted reader's token; a
/// progress write it then makes finds no account: 409, never a 500.
async fn a_write_of_a_reader_deleted_meanwhile_is_a_conflict(app: TestApp) {
    let novel = app.add_novels(1, 2).await[0];
    let chapter = app.chapter_ids(novel).await[0];
    let ghost = app.reader("ghost").await;
    let id = ghost.get("/me").expect(200).await["id"].as_i64().unwrap();
    // Deleted behind this instance's back (its session is cached live), as by another instance.
    app.exec(&format!("DELETE FROM users WHERE id = {id}"))
        .await;
    let now = chrono::Utc::now().to_rfc3339();
    let write = progress(chapter, 0, 0.0, &now);
    let answer = ghost.put(paths::progress(novel), write);
    answer.expect_error(409, "conflict").await;
}

async fn signed_in_reads_cost_one_query_and_losing_writes_none(app: TestApp) {
    let novels = app.add_novels(1, 4).await;
    let ch = app.chapter_ids(novels[0]).await;
    let steady = app.reader("steady").await;
    let path = paths::progress(novels[0]);
    let female = json!({ "channel": "female", "category_ids": [] });
    steady.put("/me/preferences", female).expect(200).await;
    let now = chrono::Utc::now();
    let body = progress(ch[1], 10, 30.0, &now.to_rfc3339());
    steady.put(&path, body).expect(200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    steady.get("/me").expect(200).await; // the session is now known live

    let before = app.queries();
    let me = steady.get("/me").expect(200).await;
    assert_eq!(me["preferences"]["channel"], "female");
    assert_eq!(app.queries() - before, 1, "GET /me");

    let before = app.queries();
    let p = steady.get(&path).expect(200).await;
    assert_eq!(p["offset"], 10);
    assert_eq!(app.queries() - before, 1, "GET /progress/{{id}}");

    // A write that does not win (older device time) reads and writes nothing else.
    let before = app.queries();
    let older = (now - chrono::Duration::minutes(1)).to_rfc3339();
    let body = progress(ch[3], 99, 90.0, &older);
    let stored = steady.put(&path, body).expect(200).await;
    assert_eq!(stored["offset"], 10);
    assert_eq!(
        app.queries() - before,
        1,
        "losing PUT: the chapter and the stored progress, one query"
    );

    // A winning write: that read, then the conditional upsert and the history upsert; the
    // shelf's order too when the novel is on the shelf.
    let before = app.queries();
    let newer = (now + chrono::Duration::seconds(1)).to_rfc3339();
    let body = progress(ch[2], 20, 50.0, &newer);
    let stored = steady.put(&path, body).expect(200).await;
    assert_eq!(stored["offset"], 20);
    assert_eq!(app.queries() - before, 3, "winning PUT, not on the shelf");
    steady
        .put(paths::shelf(novels[0]), json!({}))
        .expect(201)
        .await;
    let before = app.queries();
    let newest = (now + chrono::Duration::seconds(2)).to_rfc3339();
    let stored = steady.put(&path, progress(ch[2], 30, 50.0, &newest));
    assert_eq!(stored.expect(200).await["offset"], 30);
    assert_eq!(app.queries() - before, 4, "winning PUT, on the shelf");

    // An uncached chapter (its novel known to the cache) is one query, neighbours included.
    app.anon().get(paths::novel(novels[0])).expect(200).await;
    let before = app.queries();
    let chapter = app.anon().get(paths::chapter(novels[0], ch[1]));
    let text = chapter.expect(200).await;
    assert_eq!(
        (
            text["prev_chapter_id"].as_i64(),
            text["next_chapter_id"].as_i64()
        ),
        (Some(ch[0]), Some(ch[2]))
    );
    assert_eq!(app.queries() - before, 1, "uncached chapter");

    // Signed in, an uncached chapter of a novel the catalog cache has never seen: the text and
    // its neighbours as anonymous readers get them (one query, shared with other readers'
    // misses), then the move of the progress in one transaction: one read of the novel's
    // chapter count and the reader's rows, the conditional upsert, history and (on the shelf)
    // the shelf's order.
    let other = app.novel("未见").chapters(3).create().await;
    let other_ch = app.chapter_ids(other).await;
    app.catalog_settled().await;
    let before = app.queries();
    let read = steady
        .get(paths::chapter(other, other_ch[1]))
        .expect(200)
        .await;
    assert_eq!(read["progress"]["chapter_id"], other_ch[1]);
    assert_eq!(
        (
            read["prev_chapter_id"].as_i64(),
            read["next_chapter_id"].as_i64()
        ),
        (Some(other_ch[0]), Some(other_ch[2]))
    );
    let spent = app.queries() - before;
    assert_eq!(spent, 4, "signed-in chapter, off the shelf");
    steady.put(paths::shelf(other), json!({})).expect(201).await;
    let before = app.queries();
    let read = steady.get(paths::chapter(other, other_ch[2]));
    assert_eq!(
        read.expect(200).await["progress"]["chapter_id"],
        other_ch[2]
    );
    assert_eq!(app.queries() - before, 5, "signed-in chapter, on the shelf");
}
