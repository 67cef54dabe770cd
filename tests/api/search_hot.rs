//! Hot keywords: counted in memory, written by a background flush, public text only.

use std::time::Duration;

use crate::support::{Backend, Caller, TestApp};

crate::db_tests!(only_searches_that_found_something_count_as_clean_text);
crate::backend_tests!(
    blocklisted_words_never_show,
    once_per_reader_per_day_across_flushes_and_instances,
    a_search_writes_nothing_before_the_flush,
);

/// `/search/hot?limit=50` as (keyword, count).
pub async fn hot(app: &TestApp) -> Vec<(String, i64)> {
    let hot = app.anon().get("/search/hot?limit=50").expect(200).await;
    hot.as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["keyword"].as_str().unwrap().to_owned(),
                h["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Polls `/search/hot` until `done` holds (the flush runs every 100 ms in tests).
pub async fn hot_until(
    app: &TestApp,
    done: impl Fn(&[(String, i64)]) -> bool,
) -> Vec<(String, i64)> {
    let mut words = Vec::new();
    for _ in 0..100 {
        words = hot(app).await;
        if done(&words) {
            return words;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("hot keywords never got there: {words:?}");
}

fn has(words: &[(String, i64)], k: &str) -> bool {
    words.iter().any(|(w, _)| w == k)
}

fn count_of(words: &[(String, i64)], k: &str) -> Option<i64> {
    words.iter().find(|(w, _)| w == k).map(|(_, n)| *n)
}

async fn search_as(caller: &Caller<'_>, q: &str) -> serde_json::Value {
    caller.get("/search").query(&[("q", q)]).expect(200).await
}

async fn fixture(app: &TestApp) {
    for (title, author, heat) in [
        ("斗破苍穹", "天蚕土豆", 900),
        ("遮天", "辰东", 700),
        ("完美世界", "辰东", 750),
        ("100%纯爱", "百分百", 50),
    ] {
        let novel = app.novel(title).author(author).channel("male");
        novel.category("玄幻").heat(heat).create().await;
    }
    for _ in 0..50 {
        if search_as(&app.anon(), "遮天").await["total"] == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the index never picked up the fixture");
}

async fn only_searches_that_found_something_count_as_clean_text(app: TestApp) {
    fixture(&app).await;
    // Junk counted by an older version stays hidden too.
    app.exec("INSERT INTO search_keywords (keyword, count, updated_at) VALUES ('\u{202E}txt', 1000, '2026-01-01 00:00:00'), ('%', 999, '2026-01-01 00:00:00')")
        .await;
    let anon = app.anon();
    assert_eq!(search_as(&anon, "无此书").await["total"], 0);
    assert_eq!(
        search_as(&anon, "%").await["total"],
        1,
        "found, but no letter"
    );
    for q in ["斗破\u{0}", "\u{202E}天蚕", "完美\u{200D}世界"] {
        assert!(search_as(&anon, q).await["total"].as_u64() > Some(0), "{q}");
    }
    let words = hot_until(&app, |w| has(w, "完美世界")).await;
    assert_eq!(count_of(&words, "斗破"), Some(1), "{words:?}");
    assert_eq!(count_of(&words, "天蚕"), Some(1), "{words:?}");
    assert!(!has(&words, "无此书") && !has(&words, "%"), "{words:?}");
    for (k, _) in &words {
        assert!(
            !k.chars().any(|c| c.is_control()
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}')),
            "{k:?} in {words:?}"
        );
    }
    assert_eq!(
        app.count("search_keywords WHERE keyword IN ('无此书', '斗破苍穹x')")
            .await,
        0,
        "zero-result queries are not even stored"
    );
    // Suggestions never flag the hidden junk either.
    let s = app.anon().get("/search/suggestions?q=%25");
    let s = s.expect(200).await;
    assert!(
        s.as_array().unwrap().iter().all(|x| x["is_hot"] == false),
        "{s}"
    );
}

/// The suggestions for `q` flagged hot.
async fn flagged(app: &TestApp, q: &str) -> Vec<String> {
    let suggestions = app.anon().get("/search/suggestions").query(&[("q", q)]);
    let suggestions = suggestions.expect(200).await;
    suggestions
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["is_hot"] == true)
        .map(|s| s["keyword"].as_str().unwrap().to_owned())
        .collect()
}

async fn blocklisted_words_never_show(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blocklist.txt");
    std::fs::write(&path, "# words never shown\n遮天\n\n").unwrap();
    let path_str = path.to_str().unwrap().to_owned();
    let Some(app) =
        TestApp::spawn_with(backend, &[("HOT_KEYWORDS_BLOCKLIST", path_str.as_str())]).await
    else {
        return;
    };
    fixture(&app).await;
    let reader = app.reader("listreader").await;
    for q in ["遮天", "遮 天", "辰东", "完美世界"] {
        search_as(&reader, q).await;
    }
    let words = hot_until(&app, |w| has(w, "完美世界")).await;
    assert!(!has(&words, "遮天") && !has(&words, "遮 天"), "{words:?}");
    assert_eq!(
        app.count("search_keywords WHERE keyword = '遮天'").await,
        0,
        "a blocked word is not even counted"
    );
    assert_eq!(flagged(&app, "完美").await, ["完美世界"]);
    // The operator adds a word: the file is re-read, and what was counted disappears too.
    std::fs::write(&path, "# words never shown\n遮天\n完美\n").unwrap();
    hot_until(&app, |w| !has(w, "完美世界") && has(w, "辰东")).await;
    assert!(flagged(&app, "完美").await.is_empty());
    assert!(flagged(&app, "遮").await.is_empty());
}

async fn once_per_reader_per_day_across_flushes_and_instances(backend: Backend) {
    let Some(a) = TestApp::spawn(backend).await else {
        return;
    };
    fixture(&a).await;
    let daily = a.reader("daily").await;
    search_as(&daily, "dpcq").await;
    hot_until(&a, |w| count_of(w, "dpcq") == Some(1)).await;
    // Again after that flush, and in another spelling that normalises the same.
    search_as(&daily, "dpcq").await;
    search_as(&daily, "ＤＰＣＱ").await;
    search_as(&daily, "辰东").await;
    let words = hot_until(&a, |w| has(w, "辰东")).await;
    assert_eq!(count_of(&words, "dpcq"), Some(1), "{words:?}");
    // Another instance on the same database knows nothing in memory: the database refuses.
    let b = TestApp::spawn_on(backend, a.test_db(), a.wechat.clone(), &[]).await;
    let daily_on_b = b.as_reader(daily.token());
    search_as(&daily_on_b, "dpcq").await;
    search_as(&daily_on_b, "完美世界").await;
    let words = hot_until(&b, |w| has(w, "完美世界")).await;
    assert_eq!(count_of(&words, "dpcq"), Some(1), "{words:?}");
    // Someone else (an anonymous address) does count.
    search_as(&a.anon(), "dpcq").await;
    hot_until(&a, |w| count_of(w, "dpcq") == Some(2)).await;
}

async fn a_search_writes_nothing_before_the_flush(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("HOT_KEYWORDS_FLUSH_MS", "3600000")]).await
    else {
        return;
    };
    fixture(&app).await;
    let before = app.queries();
    for q in ["遮天", "辰东", "dpcq", "完美"] {
        search_as(&app.anon(), q).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count("search_keywords").await, 0);
    assert_eq!(app.count("search_keyword_hits").await, 0);
    // Four uncached searches: one summaries query each (plus its categories), no write.
    let spent = app.queries() - before;
    assert!(spent <= 8, "{spent} statements");
}
