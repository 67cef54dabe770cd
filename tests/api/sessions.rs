//! The signed-in loop without a session query per request: live sessions cached per instance,
//! revocations followed through the database feed within one second, and the statements each
//! signed-in request costs in the steady state.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::library::{add_books, chapter_ids, progress, put};
use crate::support::{Backend, TestApp, error, json};

crate::backend_tests!(revocation_reaches_every_instance_within_a_second);
crate::db_tests!(
    signed_in_reads_cost_one_query_and_losing_writes_none,
    logout_with_another_readers_refresh_token_ends_only_ones_own
);

/// A logout names a refresh token to end that login too; another reader's token ends nothing,
/// on this instance or through the revocation feed.
async fn logout_with_another_readers_refresh_token_ends_only_ones_own(app: TestApp) {
    let mallory = app.token("mallory").await;
    let bob = app.login("bob").await;
    let bob_access = bob["access_token"].as_str().unwrap().to_owned();
    let resp = app
        .client
        .post(app.api("/auth/logout"))
        .bearer_auth(&mallory)
        .json(&json!({ "refresh_token": bob["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    error(app.get_as(&mallory, "/me").await, 401, "invalid_token").await;
    // Past the feed's bound, Bob is still signed in and can still refresh.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    json(app.get_as(&bob_access, "/me").await, 200).await;
    json(
        app.post_json(
            "/auth/refresh",
            &json!({ "refresh_token": bob["refresh_token"] }),
        )
        .await,
        200,
    )
    .await;
}

/// Polls `path` on `app` until it answers 401; how long that took.
async fn until_refused(app: &TestApp, token: &str, path: &str) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if app.get_as(token, path).await.status() == 401 {
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
        let login = a.login(who).await;
        let token = login["access_token"].as_str().unwrap().to_owned();
        // B has seen the session live (and cached it).
        json(b.get_as(&token, "/me").await, 200).await;
        json(b.get_as(&token, "/me").await, 200).await;
        let resp = a
            .client
            .post(a.api("/auth/logout"))
            .bearer_auth(&token)
            .json(&json!({ "all_devices": everywhere }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204);
        // At once on the instance that answered ...
        error(a.get_as(&token, "/me").await, 401, "invalid_token").await;
        // ... and within the bound on the other.
        let took = until_refused(&b, &token, "/me").await;
        assert!(
            took <= Duration::from_secs(1),
            "{who}: B refused after {took:?}"
        );
    }
    // Account deletion ends every session everywhere.
    let token = a.token("gone").await;
    json(b.get_as(&token, "/me").await, 200).await;
    let resp = a
        .client
        .delete(a.api("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let took = until_refused(&b, &token, "/bookshelf").await;
    assert!(
        took <= Duration::from_secs(1),
        "deleted reader refused after {took:?}"
    );
}

async fn signed_in_reads_cost_one_query_and_losing_writes_none(app: TestApp) {
    let novels = add_books(&app, 1, 4).await;
    let ch = chapter_ids(&app, novels[0]).await;
    let t = app.token("steady").await;
    let path = format!("/progress/{}", novels[0]);
    json(
        app.client
            .put(app.api("/me/preferences"))
            .bearer_auth(&t)
            .json(&json!({ "channel": "female", "category_ids": [] }))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let now = chrono::Utc::now();
    json(
        put(
            &app,
            &t,
            &path,
            &progress(ch[1], 10, 30.0, &now.to_rfc3339()),
        )
        .await,
        200,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    json(app.get_as(&t, "/me").await, 200).await; // the session is now known live

    let before = app.queries();
    let me = json(app.get_as(&t, "/me").await, 200).await;
    assert_eq!(me["preferences"]["channel"], "female");
    assert_eq!(app.queries() - before, 1, "GET /me");

    let before = app.queries();
    let p = json(app.get_as(&t, &path).await, 200).await;
    assert_eq!(p["offset"], 10);
    assert_eq!(app.queries() - before, 1, "GET /progress/{{id}}");

    // A write that does not win (older device time) reads and writes nothing else.
    let before = app.queries();
    let older = (now - chrono::Duration::minutes(1)).to_rfc3339();
    let stored = json(
        put(&app, &t, &path, &progress(ch[3], 99, 90.0, &older)).await,
        200,
    )
    .await;
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
    let stored = json(
        put(&app, &t, &path, &progress(ch[2], 20, 50.0, &newer)).await,
        200,
    )
    .await;
    assert_eq!(stored["offset"], 20);
    assert_eq!(app.queries() - before, 3, "winning PUT, not on the shelf");
    let shelf = format!("/bookshelf/{}", novels[0]);
    let resp = app
        .client
        .put(app.api(&shelf))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let before = app.queries();
    let newest = (now + chrono::Duration::seconds(2)).to_rfc3339();
    let stored = json(
        put(&app, &t, &path, &progress(ch[2], 30, 50.0, &newest)).await,
        200,
    )
    .await;
    assert_eq!(stored["offset"], 30);
    assert_eq!(app.queries() - before, 4, "winning PUT, on the shelf");

    // An uncached chapter (its novel known to the cache) is one query, neighbours included.
    json(app.get(&format!("/novels/{}", novels[0])).await, 200).await;
    let before = app.queries();
    let text = json(
        app.get(&format!("/novels/{}/chapters/{}", novels[0], ch[1]))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (
            text["prev_chapter_id"].as_i64(),
            text["next_chapter_id"].as_i64()
        ),
        (Some(ch[0]), Some(ch[2]))
    );
    assert_eq!(app.queries() - before, 1, "uncached chapter");
}
