//! The catalog: categories, novels, chapters, recommendations, rankings, import, caching.

use serde_json::{Value, json};
use service::import::{ImportChapter, ImportNovel, import_novel};

use crate::support::{TestApp, error, json};

crate::db_tests!(
    categories_have_two_levels_and_counts,
    novels_filter_sort_and_page,
    novel_detail_for_anonymous_and_readers,
    chapters_list_and_read_with_etag,
    recommendations_and_rankings,
    listings_are_a_fixed_number_of_queries,
    import_is_idempotent_and_refreshes_caches,
    jsonl_import_reports_bad_lines,
    text_import_detects_gbk,
);

fn chapters(n: usize, tag: &str) -> Vec<ImportChapter> {
    (1..=n)
        .map(|i| ImportChapter {
            title: format!("第{i}章 {tag}"),
            content: format!("{tag}的第{i}章正文。"),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn novel(
    title: &str,
    channel: &str,
    cat: &str,
    sub: Option<&str>,
    status: &str,
    heat: i64,
    collect: i64,
    n: usize,
) -> ImportNovel {
    ImportNovel {
        title: title.into(),
        author: format!("{title}作者"),
        channel: channel.into(),
        category: cat.into(),
        subcategory: sub.map(Into::into),
        status: Some(status.into()),
        intro: Some(format!("{title}的简介。").repeat(12)),
        cover_url: Some(format!("https://img.example.com/{heat}.jpg")),
        heat: Some(heat),
        collect_count: Some(collect),
        chapters: chapters(n, title),
    }
}

/// Eight novels over two channels; returns title → id.
async fn fixture(app: &TestApp) -> std::collections::HashMap<String, i64> {
    let novels = [
        novel(
            "玄一",
            "male",
            "玄幻",
            Some("东方玄幻"),
            "serial",
            900,
            10,
            3,
        ),
        novel(
            "玄二",
            "male",
            "玄幻",
            Some("异世大陆"),
            "finished",
            800,
            90,
            2,
        ),
        novel("玄三", "male", "玄幻", None, "finished", 100, 50, 1),
        novel(
            "都一",
            "male",
            "都市",
            Some("都市生活"),
            "serial",
            700,
            30,
            2,
        ),
        novel(
            "言一",
            "female",
            "古代言情",
            Some("宫闱宅斗"),
            "finished",
            950,
            20,
            2,
        ),
        novel(
            "言二",
            "female",
            "古代言情",
            Some("宫闱宅斗"),
            "serial",
            600,
            70,
            2,
        ),
        novel("校一", "female", "青春校园", None, "finished", 500, 80, 1),
        novel("悬一", "female", "悬疑推理", None, "serial", 400, 60, 5),
    ];
    let mut ids = std::collections::HashMap::new();
    for n in &novels {
        let out = import_novel(&app.db, n).await.unwrap();
        ids.insert(n.title.clone(), out.novel_id);
    }
    // Word-count buckets without megabytes of text.
    app.exec(&format!(
        "UPDATE novels SET word_count = 1200000 WHERE id = {}",
        ids["玄一"]
    ))
    .await;
    app.exec(&format!(
        "UPDATE novels SET word_count = 600000 WHERE id = {}",
        ids["言一"]
    ))
    .await;
    ids
}

fn titles(v: &Value) -> Vec<String> {
    let list = v.get("items").unwrap_or(v);
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn categories_have_two_levels_and_counts(app: TestApp) {
    fixture(&app).await;
    let all = json(app.get("/categories").await, 200).await;
    assert_eq!(all.as_array().unwrap().len(), 5);
    let male = json(app.get("/categories?channel=male").await, 200).await;
    let xuan = male
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "玄幻")
        .unwrap()
        .clone();
    assert_eq!(xuan["channel"], "male");
    assert_eq!(xuan["novel_count"], 3);
    let subs: Vec<(String, i64)> = xuan["subcategories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["novel_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        subs,
        [("东方玄幻".to_owned(), 1), ("异世大陆".to_owned(), 1)]
    );
    assert!(
        male.as_array()
            .unwrap()
            .iter()
            .all(|c| c["channel"] == "male")
    );
    error(
        app.get("/categories?channel=robot").await,
        422,
        "validation_failed",
    )
    .await;
}

async fn novels_filter_sort_and_page(app: TestApp) {
    let ids = fixture(&app).await;
    let page = json(app.get("/novels?per_page=3").await, 200).await;
    assert_eq!(titles(&page), ["言一", "玄一", "玄二"]);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["total_pages"].as_i64(),
            page["page"].as_i64()
        ),
        (Some(8), Some(3), Some(1))
    );
    let last = json(app.get("/novels?per_page=3&page=3").await, 200).await;
    assert_eq!(titles(&last), ["悬一", "玄三"]);
    let beyond = json(app.get("/novels?per_page=3&page=9").await, 200).await;
    assert!(titles(&beyond).is_empty());

    let top = ids["玄一"]; // any novel of 玄幻 gives its category ids
    let detail = json(app.get(&format!("/novels/{top}")).await, 200).await;
    let sub_id = detail["category"]["id"].as_i64().unwrap();
    let cats = json(app.get("/categories?channel=male").await, 200).await;
    let top_id = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "玄幻")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        titles(&json(app.get(&format!("/novels?category_id={top_id}")).await, 200).await),
        ["玄一", "玄二", "玄三"]
    );
    assert_eq!(
        titles(&json(app.get(&format!("/novels?category_id={sub_id}")).await, 200).await),
        ["玄一"]
    );
    assert_eq!(
        titles(&json(app.get("/novels?channel=female&status=finished").await, 200).await),
        ["言一", "校一"]
    );
    assert_eq!(
        titles(&json(app.get("/novels?words=gt_1m").await, 200).await),
        ["玄一"]
    );
    assert_eq!(
        titles(&json(app.get("/novels?words=500k_1m").await, 200).await),
        ["言一"]
    );
    assert_eq!(
        json(app.get("/novels?words=lt_500k").await, 200).await["total"],
        6
    );
    assert_eq!(
        titles(&json(app.get("/novels?sort=collect&per_page=2").await, 200).await),
        ["玄二", "校一"]
    );
    assert_eq!(
        titles(&json(app.get("/novels?sort=words&per_page=2").await, 200).await),
        ["玄一", "言一"]
    );
    let latest = json(app.get("/novels?sort=latest&per_page=1").await, 200).await;
    assert_eq!(titles(&latest), ["悬一"]);
    let first = &page["items"][0];
    for key in [
        "id",
        "title",
        "author",
        "cover_url",
        "intro",
        "category",
        "channel",
        "status",
        "word_count",
        "chapter_count",
        "heat",
        "collect_count",
        "updated_at",
    ] {
        assert!(first.get(key).is_some(), "NovelSummary lacks {key}");
    }
    assert!(
        first["intro"].as_str().unwrap().chars().count() <= 61,
        "the list intro is short"
    );

    for bad in [
        "sort=random",
        "sort=heat;DROP TABLE novels",
        "channel=x",
        "status=done",
        "words=1m",
        "per_page=101",
        "per_page=0",
        "page=0",
        "page=-1",
    ] {
        let err = error(
            app.get(&format!("/novels?{bad}")).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(err["details"].is_object(), "{bad}: {err}");
    }
    error(app.get("/novels?page=abc").await, 400, "bad_request").await;
    assert_eq!(
        json(app.get("/novels").await, 200).await["total"],
        8,
        "nothing was dropped"
    );
}

async fn novel_detail_for_anonymous_and_readers(app: TestApp) {
    let ids = fixture(&app).await;
    let id = ids["悬一"];
    let anon = json(app.get(&format!("/novels/{id}")).await, 200).await;
    assert!(
        anon["intro"].as_str().unwrap().chars().count() > 60,
        "the detail has the full intro"
    );
    assert_eq!(anon["latest_chapter"]["index"], 5);
    assert_eq!(anon["latest_chapter"]["title"], "第5章 悬一");
    assert!(anon["first_chapter_id"].as_i64().is_some());
    assert!(anon.get("on_shelf").is_none() && anon.get("progress").is_none());

    let token = app.token("reader").await;
    let mine = json(app.get_as(&token, &format!("/novels/{id}")).await, 200).await;
    assert_eq!(mine["on_shelf"], false);
    assert!(mine["progress"].is_null());
    assert_eq!(
        app.count(&format!("browse_history WHERE novel_id = {id}"))
            .await,
        1
    );
    json(app.get_as(&token, &format!("/novels/{id}")).await, 200).await;
    assert_eq!(
        app.count(&format!("browse_history WHERE novel_id = {id}"))
            .await,
        1,
        "one row per novel"
    );

    error(app.get("/novels/999999").await, 404, "not_found").await;
    error(app.get("/novels/abc").await, 400, "bad_request").await;
    error(
        app.get_as("not-a-token", &format!("/novels/{id}")).await,
        401,
        "invalid_token",
    )
    .await;
}

async fn chapters_list_and_read_with_etag(app: TestApp) {
    let ids = fixture(&app).await;
    let id = ids["悬一"];
    let asc = json(
        app.get(&format!("/novels/{id}/chapters?per_page=2")).await,
        200,
    )
    .await;
    let idx: Vec<i64> = asc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_i64().unwrap())
        .collect();
    assert_eq!(idx, [1, 2]);
    assert_eq!(asc["total"], 5);
    assert_eq!(asc["total_pages"], 3);
    let desc = json(
        app.get(&format!("/novels/{id}/chapters?order=desc&per_page=1000"))
            .await,
        200,
    )
    .await;
    let idx: Vec<i64> = desc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["index"].as_i64().unwrap())
        .collect();
    assert_eq!(idx, [5, 4, 3, 2, 1]);
    assert!(
        desc["items"][0].get("content").is_none(),
        "lists never carry text"
    );
    error(
        app.get(&format!("/novels/{id}/chapters?per_page=1001"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    error(
        app.get(&format!("/novels/{id}/chapters?order=up")).await,
        422,
        "validation_failed",
    )
    .await;
    error(app.get("/novels/999999/chapters").await, 404, "not_found").await;

    let all: Vec<i64> = asc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let first = json(
        app.get(&format!("/novels/{id}/chapters/{}", all[0])).await,
        200,
    )
    .await;
    assert!(first["prev_chapter_id"].is_null());
    assert_eq!(first["next_chapter_id"], all[1]);
    assert_eq!(first["content"], "悬一的第1章正文。");
    let last_id = desc["items"][0]["id"].as_i64().unwrap();
    let last = json(
        app.get(&format!("/novels/{id}/chapters/{last_id}")).await,
        200,
    )
    .await;
    assert!(last["next_chapter_id"].is_null());
    assert_eq!(last["prev_chapter_id"], desc["items"][1]["id"]);
    // A chapter of another novel is not found through this novel.
    let other = ids["玄一"];
    error(
        app.get(&format!("/novels/{other}/chapters/{}", all[0]))
            .await,
        404,
        "not_found",
    )
    .await;

    let resp = app.get(&format!("/novels/{id}/chapters/{}", all[1])).await;
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let again = app
        .client
        .get(app.api(&format!("/novels/{id}/chapters/{}", all[1])))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let stale = app
        .client
        .get(app.api(&format!("/novels/{id}/chapters/{}", all[1])))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    // With a token the response is private and carries the reader's progress.
    let token = app.token("reader").await;
    let resp = app
        .get_as(&token, &format!("/novels/{id}/chapters/{}", all[1]))
        .await;
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("private")
    );
    let body = json(resp, 200).await;
    assert!(body.get("progress").is_some());
}

async fn recommendations_and_rankings(app: TestApp) {
    let ids = fixture(&app).await;
    let recs = json(
        app.get(&format!("/novels/{}/recommendations", ids["玄一"]))
            .await,
        200,
    )
    .await;
    // Same top-level category first (hottest first), then the global hot list.
    assert_eq!(titles(&recs), ["玄二", "玄三", "言一", "都一"]);
    let recs = json(
        app.get(&format!("/novels/{}/recommendations?limit=8", ids["校一"]))
            .await,
        200,
    )
    .await;
    assert_eq!(recs.as_array().unwrap().len(), 7);
    assert!(
        !titles(&recs).contains(&"校一".to_owned()),
        "never the novel itself"
    );
    error(
        app.get(&format!("/novels/{}/recommendations?limit=0", ids["校一"]))
            .await,
        422,
        "validation_failed",
    )
    .await;
    error(
        app.get("/novels/999999/recommendations").await,
        404,
        "not_found",
    )
    .await;

    assert_eq!(
        titles(&json(app.get("/rankings/hot?limit=2").await, 200).await),
        ["言一", "玄一"]
    );
    assert_eq!(
        titles(
            &json(
                app.get("/rankings/collect?channel=female&limit=2").await,
                200
            )
            .await
        ),
        ["校一", "言二"]
    );
    assert_eq!(
        titles(&json(app.get("/rankings/finished?channel=male").await, 200).await),
        ["玄二", "玄三"]
    );
    assert_eq!(
        json(app.get("/rankings/latest").await, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        8
    );
    error(app.get("/rankings/worst").await, 422, "validation_failed").await;
    error(
        app.get("/rankings/hot?limit=51").await,
        422,
        "validation_failed",
    )
    .await;
}

async fn listings_are_a_fixed_number_of_queries(app: TestApp) {
    for i in 0..30 {
        let n = novel(
            &format!("批量{i}"),
            if i % 2 == 0 { "male" } else { "female" },
            &format!("类{}", i % 4),
            Some("子类"),
            "serial",
            i,
            i,
            1,
        );
        import_novel(&app.db, &n).await.unwrap();
    }
    app.catalog_settled().await;
    let mut costs = Vec::new();
    for per_page in [1, 5, 30] {
        let before = app.queries();
        let page = json(app.get(&format!("/novels?per_page={per_page}")).await, 200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), per_page);
        costs.push(app.queries() - before);
    }
    assert!(
        costs.iter().all(|c| *c == costs[0] && *c <= 3),
        "queries per page: {costs:?}"
    );
    let before = app.queries();
    json(app.get("/rankings/hot?limit=30").await, 200).await;
    assert!(app.queries() - before <= 2);
}

async fn import_is_idempotent_and_refreshes_caches(app: TestApp) {
    let mut n = novel("重复", "male", "玄幻", Some("东方玄幻"), "serial", 10, 1, 3);
    let first = import_novel(&app.db, &n).await.unwrap();
    assert!(first.created && first.chapters_added == 3);
    let id = first.novel_id;
    let before = json(app.get(&format!("/novels/{id}")).await, 200).await;
    assert_eq!(before["chapter_count"], 3);
    let chapter_ids: Vec<i64> =
        json(app.get(&format!("/novels/{id}/chapters")).await, 200).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();

    // Again, with a changed chapter and two new ones: same novel, chapters upserted by
    // position; the two chapters as stored are left alone.
    n.chapters[1].content = "改过的第二章。".into();
    n.chapters.extend(chapters(5, "重复").into_iter().skip(3));
    n.heat = Some(99);
    let second = import_novel(&app.db, &n).await.unwrap();
    assert_eq!(
        (
            second.novel_id,
            second.created,
            second.chapters_added,
            second.chapters_updated,
            second.chapters_unchanged
        ),
        (id, false, 2, 1, 2)
    );
    assert_eq!(app.count("novels").await, 1);
    assert_eq!(app.count("chapters").await, 5);
    assert_eq!(app.count("chapter_contents").await, 5);

    // Every instance drops its caches within its poll interval (2 s).
    let mut fresh = Value::Null;
    for _ in 0..40 {
        fresh = json(app.get(&format!("/novels/{id}")).await, 200).await;
        if fresh["chapter_count"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(fresh["chapter_count"], 5);
    assert_eq!(fresh["heat"], 99);
    let text = json(
        app.get(&format!("/novels/{id}/chapters/{}", chapter_ids[1]))
            .await,
        200,
    )
    .await;
    assert_eq!(
        text["content"], "改过的第二章。",
        "same chapter id, new text"
    );
    let third = json(
        app.get(&format!("/novels/{id}/chapters/{}", chapter_ids[2]))
            .await,
        200,
    )
    .await;
    assert!(
        third["next_chapter_id"].is_i64(),
        "the new fourth chapter follows the third"
    );

    // A bad novel is rejected whole.
    let mut bad = novel("坏的", "male", "玄幻", None, "serial", 1, 1, 2);
    bad.chapters[1].content = "   ".into();
    assert!(import_novel(&app.db, &bad).await.is_err());
    assert_eq!(app.count("novels").await, 1);
}

async fn jsonl_import_reports_bad_lines(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.jsonl");
    let good = |t: &str| {
        json!({"title": t, "author": "某人", "channel": "female", "category": "现代言情", "chapters": [{"title": "第一章", "content": "正文"}]}).to_string()
    };
    let lines = [
        good("好一"),
        "{not json".to_owned(),
        json!({"title": "缺章节", "author": "某人", "channel": "female", "category": "现代言情"}).to_string(),
        String::new(),
        json!({"title": "坏频道", "author": "某人", "channel": "robots", "category": "现代言情", "chapters": [{"title": "一", "content": "x"}]}).to_string(),
        good("好二"),
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let summary = api::cli::import_jsonl(&app.db, &path).await.unwrap();
    assert_eq!(summary.created, 2);
    let failed: Vec<usize> = summary.failed.iter().map(|(n, _)| *n).collect();
    assert_eq!(failed, [2, 3, 5]);
    assert!(
        summary.failed[2].1.contains("channel"),
        "{:?}",
        summary.failed
    );
    assert!(summary.to_string().contains("3 lines failed"));
    // Idempotent: the same file again changes nothing and never duplicates.
    let again = api::cli::import_jsonl(&app.db, &path).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
    assert_eq!(app.count("novels").await, 2);
    assert_eq!(app.count("chapters").await, 2);
}

async fn text_import_detects_gbk(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.txt");
    let text = "楔子\n很久以前。\n\n第一章 开端\n天下大势，分久必合。\n第二章 发展\n合久必分。\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&path, &gbk).unwrap();
    let meta = ImportNovel {
        title: "文本书".into(),
        author: "佚名".into(),
        channel: "male".into(),
        category: "历史".into(),
        subcategory: None,
        status: None,
        intro: None,
        cover_url: None,
        heat: None,
        collect_count: None,
        chapters: Vec::new(),
    };
    let summary = api::cli::import_txt(&app.db, &path, meta).await.unwrap();
    assert_eq!(summary.chapters_added, 3);
    let list = json(app.get("/novels").await, 200).await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let chapters = json(app.get(&format!("/novels/{id}/chapters")).await, 200).await;
    let names: Vec<&str> = chapters["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["前言", "第一章 开端", "第二章 发展"]);
    let cid = chapters["items"][1]["id"].as_i64().unwrap();
    assert_eq!(
        json(app.get(&format!("/novels/{id}/chapters/{cid}")).await, 200).await["content"],
        "天下大势，分久必合。"
    );
}
