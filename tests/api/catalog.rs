//! The catalog: categories, novels, chapters, recommendations, rankings, import, caching.

use std::collections::HashMap;

use serde_json::{Value, json};
use service::import::import_novel;

use crate::support::{NovelBuilder, TestApp, ids, paths};

crate::db_tests!(
    categories_have_two_levels_and_counts,
    novels_filter_sort_and_page,
    novel_detail_for_anonymous_and_readers,
    short_intros_are_cut_at_sixty_characters,
    chapters_list_and_read_with_etag,
    concurrent_uncached_chapters_share_queries,
    recommendations_and_rankings,
    listings_are_a_fixed_number_of_queries,
    import_is_idempotent_and_refreshes_caches,
    jsonl_import_reports_bad_lines,
    text_import_detects_gbk,
);

/// A novel as the catalog lists it: an intro of 84 characters and a cover.
fn listed<'a>(app: &'a TestApp, title: &str, heat: i64) -> NovelBuilder<'a> {
    let intro = format!("{title}的简介。").repeat(12);
    let cover = format!("https://img.example.com/{heat}.jpg");
    app.novel(title).heat(heat).intro(&intro).cover(&cover)
}

/// Eight novels over two channels; returns title → id.
async fn fixture(app: &TestApp) -> HashMap<String, i64> {
    #[rustfmt::skip]
    let novels = [
        // title, channel, category, subcategory, status, heat, collect count, chapters
        ("玄一", "male", "玄幻", Some("东方玄幻"), "serial", 900, 10, 3),
        ("玄二", "male", "玄幻", Some("异世大陆"), "finished", 800, 90, 2),
        ("玄三", "male", "玄幻", None, "finished", 100, 50, 1),
        ("都一", "male", "都市", Some("都市生活"), "serial", 700, 30, 2),
        ("言一", "female", "古代言情", Some("宫闱宅斗"), "finished", 950, 20, 2),
        ("言二", "female", "古代言情", Some("宫闱宅斗"), "serial", 600, 70, 2),
        ("校一", "female", "青春校园", None, "finished", 500, 80, 1),
        ("悬一", "female", "悬疑推理", None, "serial", 400, 60, 5),
    ];
    let mut ids = HashMap::new();
    for (title, channel, category, sub, status, heat, collect, chapters) in novels {
        let mut novel = listed(app, title, heat).channel(channel).category(category);
        if let Some(sub) = sub {
            novel = novel.subcategory(sub);
        }
        let novel = novel.status(status).collect(collect).chapters(chapters);
        ids.insert(title.to_owned(), novel.create().await);
    }
    // Word-count buckets without megabytes of text.
    for (title, words) in [("玄一", 1_200_000), ("言一", 600_000)] {
        let id = ids[title];
        app.exec(&format!(
            "UPDATE novels SET word_count = {words} WHERE id = {id}"
        ))
        .await;
    }
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

/// The titles of an anonymous `GET path`.
async fn titles_at(app: &TestApp, path: &str) -> Vec<String> {
    titles(&app.anon().get(path).expect(200).await)
}

/// The `index` of each chapter of a list.
fn indexes(list: &Value) -> Vec<i64> {
    let items = list["items"].as_array().unwrap();
    items.iter().map(|c| c["index"].as_i64().unwrap()).collect()
}

/// The id of the top-level category `name` of `channel`.
async fn category_id(app: &TestApp, channel: &str, name: &str) -> i64 {
    let cats = app.anon().get(format!("/categories?channel={channel}"));
    let cats = cats.expect(200).await;
    let cat = cats.as_array().unwrap().iter().find(|c| c["name"] == name);
    cat.unwrap()["id"].as_i64().unwrap()
}

async fn categories_have_two_levels_and_counts(app: TestApp) {
    fixture(&app).await;
    let anon = app.anon();
    let all = anon.get("/categories").expect(200).await;
    assert_eq!(all.as_array().unwrap().len(), 5);
    let male = anon.get("/categories?channel=male").expect(200).await;
    let male = male.as_array().unwrap();
    let xuan = male.iter().find(|c| c["name"] == "玄幻").unwrap();
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
    assert!(male.iter().all(|c| c["channel"] == "male"));
    let robots = anon.get("/categories?channel=robot");
    robots.expect_error(422, "validation_failed").await;
}

async fn novels_filter_sort_and_page(app: TestApp) {
    let ids = fixture(&app).await;
    let anon = app.anon();
    let page = anon.get("/novels?per_page=3").expect(200).await;
    assert_eq!(titles(&page), ["言一", "玄一", "玄二"]);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["total_pages"].as_i64(),
            page["page"].as_i64()
        ),
        (Some(8), Some(3), Some(1))
    );
    let last = titles_at(&app, "/novels?per_page=3&page=3").await;
    assert_eq!(last, ["悬一", "玄三"]);
    assert!(
        titles_at(&app, "/novels?per_page=3&page=9")
            .await
            .is_empty()
    );

    // 玄一's category is a subcategory of 玄幻.
    let detail = anon.get(paths::novel(ids["玄一"])).expect(200).await;
    let sub_id = detail["category"]["id"].as_i64().unwrap();
    let top_id = category_id(&app, "male", "玄幻").await;
    let by_top = titles_at(&app, &format!("/novels?category_id={top_id}")).await;
    assert_eq!(by_top, ["玄一", "玄二", "玄三"]);
    let by_sub = titles_at(&app, &format!("/novels?category_id={sub_id}")).await;
    assert_eq!(by_sub, ["玄一"]);
    for (query, expected) in [
        ("channel=female&status=finished", &["言一", "校一"][..]),
        ("words=gt_1m", &["玄一"]),
        ("words=500k_1m", &["言一"]),
        ("sort=collect&per_page=2", &["玄二", "校一"]),
        ("sort=words&per_page=2", &["玄一", "言一"]),
        ("sort=latest&per_page=1", &["悬一"]),
    ] {
        let got = titles_at(&app, &format!("/novels?{query}")).await;
        assert_eq!(got, expected, "{query}");
    }
    let small = anon.get("/novels?words=lt_500k").expect(200).await;
    assert_eq!(small["total"], 6);
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
        let err = anon.get(format!("/novels?{bad}"));
        let err = err.expect_error(422, "validation_failed").await;
        assert!(err["details"].is_object(), "{bad}: {err}");
    }
    let abc = anon.get("/novels?page=abc");
    abc.expect_error(400, "bad_request").await;
    let all = anon.get("/novels").expect(200).await;
    assert_eq!(all["total"], 8, "nothing was dropped");
}

/// The list intro is cut in the query (by characters, not bytes, on both databases): 60
/// characters are kept whole, a 61st becomes `…`; the detail keeps the whole intro; the
/// category's name comes with the summary.
async fn short_intros_are_cut_at_sixty_characters(app: TestApp) {
    let sixty = "简介写满六十个字"
        .repeat(8)
        .chars()
        .take(60)
        .collect::<String>();
    let longer = format!("{sixty}多");
    app.novel("整六十")
        .category("仙侠")
        .intro(&sixty)
        .heat(2)
        .create()
        .await;
    let id = app
        .novel("六十一")
        .category("仙侠")
        .intro(&longer)
        .heat(1)
        .create()
        .await;
    let page = app.anon().get("/novels?sort=hot").expect(200).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        items[0]["intro"],
        sixty.as_str(),
        "60 characters stay whole"
    );
    assert_eq!(items[1]["intro"], format!("{sixty}…"), "a 61st is cut");
    assert_eq!(items[1]["category"]["name"], "仙侠");
    let detail = app.anon().get(paths::novel(id)).expect(200).await;
    assert_eq!(detail["intro"], longer.as_str());
    assert_eq!(detail["category"]["name"], "仙侠");
}

async fn novel_detail_for_anonymous_and_readers(app: TestApp) {
    let ids = fixture(&app).await;
    let anon = app.anon();
    let id = ids["悬一"];
    let public = anon.get(paths::novel(id)).expect(200).await;
    assert!(
        public["intro"].as_str().unwrap().chars().count() > 60,
        "the detail has the full intro"
    );
    assert_eq!(public["latest_chapter"]["index"], 5);
    assert_eq!(public["latest_chapter"]["title"], "第5章");
    assert!(public["first_chapter_id"].as_i64().is_some());
    assert!(public.get("on_shelf").is_none() && public.get("progress").is_none());

    let reader = app.reader("reader").await;
    let mine = reader.get(paths::novel(id)).expect(200).await;
    assert_eq!(mine["on_shelf"], false);
    assert!(mine["progress"].is_null());
    let viewed = format!("browse_history WHERE novel_id = {id}");
    assert_eq!(app.count(&viewed).await, 1);
    reader.get(paths::novel(id)).expect(200).await;
    assert_eq!(app.count(&viewed).await, 1, "one row per novel");

    let unknown = anon.get("/novels/999999");
    unknown.expect_error(404, "not_found").await;
    let abc = anon.get("/novels/abc");
    abc.expect_error(400, "bad_request").await;
    let bad_token = app.as_reader("not-a-token").get(paths::novel(id));
    bad_token.expect_error(401, "invalid_token").await;
}

async fn chapters_list_and_read_with_etag(app: TestApp) {
    let ids = fixture(&app).await;
    let anon = app.anon();
    let id = ids["悬一"];
    let chapters = |query: &str| anon.get(format!("/novels/{id}/chapters?{query}"));
    let asc = chapters("per_page=2").expect(200).await;
    assert_eq!(indexes(&asc), [1, 2]);
    assert_eq!(asc["total"], 5);
    assert_eq!(asc["total_pages"], 3);
    let desc = chapters("order=desc&per_page=1000").expect(200).await;
    assert_eq!(indexes(&desc), [5, 4, 3, 2, 1]);
    assert!(
        desc["items"][0].get("content").is_none(),
        "lists never carry text"
    );
    for query in ["per_page=1001", "order=up"] {
        chapters(query).expect_error(422, "validation_failed").await;
    }
    let unknown = anon.get("/novels/999999/chapters");
    unknown.expect_error(404, "not_found").await;

    let all = ids_of(&asc);
    let first = anon.get(paths::chapter(id, all[0])).expect(200).await;
    assert!(first["prev_chapter_id"].is_null());
    assert_eq!(first["next_chapter_id"], all[1]);
    assert_eq!(first["content"], "悬一的第1章正文。");
    let last_id = desc["items"][0]["id"].as_i64().unwrap();
    let last = anon.get(paths::chapter(id, last_id)).expect(200).await;
    assert!(last["next_chapter_id"].is_null());
    assert_eq!(last["prev_chapter_id"], desc["items"][1]["id"]);
    // A chapter of another novel is not found through this novel.
    let elsewhere = anon.get(paths::chapter(ids["玄一"], all[0]));
    elsewhere.expect_error(404, "not_found").await;

    let second = paths::chapter(id, all[1]);
    let resp = anon.get(&second).send().await;
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let cache = resp.headers()["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age"), "{cache}");
    let again = anon.get(&second).header("if-none-match", &etag);
    let again = again.send().await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let stale = anon
        .get(&second)
        .header("if-none-match", "\"something-else\"");
    assert_eq!(stale.status().await, 200);
    // With a token the response is private and carries the reader's progress.
    let reader = app.reader("reader").await;
    let resp = reader.get(&second).send().await;
    let cache = resp.headers()["cache-control"].to_str().unwrap();
    assert!(cache.contains("private"), "{cache}");
    let body = crate::support::json(resp, 200).await;
    assert!(body.get("progress").is_some());
}

/// Readers opening chapters the cache lacks at the same moment share batched queries; each gets
/// its own chapter with its neighbours, and a wrong novel or chapter in the same batch is 404.
async fn concurrent_uncached_chapters_share_queries(app: TestApp) {
    let ids = app.add_novels(8, 6).await;
    let mut wanted = Vec::new();
    for id in &ids {
        let ch = app.chapter_ids(*id).await;
        for (k, c) in ch.iter().enumerate() {
            let prev = k.checked_sub(1).map(|p| ch[p]);
            wanted.push((*id, *c, prev, ch.get(k + 1).copied()));
        }
    }
    app.catalog_settled().await;
    let anon = app.anon();
    let before = app.queries();
    let reads = wanted
        .iter()
        .map(|(novel, c, ..)| anon.get(paths::chapter(*novel, *c)).send());
    let wrong = [
        anon.get(paths::chapter(ids[0], wanted[47].1)).send(), // a chapter of another novel
        anon.get(paths::chapter(ids[0], 999_999)).send(),
    ];
    let all = async {
        futures::join!(
            futures::future::join_all(reads),
            futures::future::join_all(wrong)
        )
    };
    let hold = std::time::Duration::from_millis(300);
    let (reads, wrong) = app.while_pool_held(hold, all).await;
    let spent = app.queries() - before;
    for (resp, (novel, c, prev, next)) in reads.into_iter().zip(&wanted) {
        let body = crate::support::json(resp, 200).await;
        assert_eq!(
            (body["novel_id"].as_i64(), body["id"].as_i64()),
            (Some(*novel), Some(*c))
        );
        assert_eq!(body["prev_chapter_id"].as_i64(), *prev);
        assert_eq!(body["next_chapter_id"].as_i64(), *next);
    }
    for resp in wrong {
        assert_eq!(resp.status(), 404);
    }
    // At most one batch per slot (4) while the pool was held, then the rest together.
    assert!(
        spent <= 6,
        "{} concurrent uncached reads cost {spent} queries",
        wanted.len() + 2
    );
}

/// The ids of a page's items.
fn ids_of(page: &Value) -> Vec<i64> {
    ids(&page["items"])
}

async fn recommendations_and_rankings(app: TestApp) {
    let ids = fixture(&app).await;
    let anon = app.anon();
    let recommended = |title: &str, query: &str| {
        let id = ids[title];
        anon.get(format!("/novels/{id}/recommendations{query}"))
    };
    let recs = recommended("玄一", "").expect(200).await;
    // Same top-level category first (hottest first), then the global hot list.
    assert_eq!(titles(&recs), ["玄二", "玄三", "言一", "都一"]);
    let recs = recommended("校一", "?limit=8").expect(200).await;
    assert_eq!(recs.as_array().unwrap().len(), 7);
    assert!(
        !titles(&recs).contains(&"校一".to_owned()),
        "never the novel itself"
    );
    let none = recommended("校一", "?limit=0");
    none.expect_error(422, "validation_failed").await;
    let unknown = anon.get("/novels/999999/recommendations");
    unknown.expect_error(404, "not_found").await;

    for (path, expected) in [
        ("/rankings/hot?limit=2", &["言一", "玄一"][..]),
        (
            "/rankings/collect?channel=female&limit=2",
            &["校一", "言二"],
        ),
        ("/rankings/finished?channel=male", &["玄二", "玄三"]),
    ] {
        assert_eq!(titles_at(&app, path).await, expected, "{path}");
    }
    assert_eq!(titles_at(&app, "/rankings/latest").await.len(), 8);
    for path in ["/rankings/worst", "/rankings/hot?limit=51"] {
        anon.get(path).expect_error(422, "validation_failed").await;
    }
}

async fn listings_are_a_fixed_number_of_queries(app: TestApp) {
    let anon = app.anon();
    for i in 0..30 {
        let channel = if i % 2 == 0 { "male" } else { "female" };
        let novel = listed(&app, &format!("批量{i}"), i).channel(channel);
        let novel = novel.category(&format!("类{}", i % 4)).subcategory("子类");
        novel.status("serial").collect(i).create().await;
    }
    app.catalog_settled().await;
    let mut costs = Vec::new();
    for per_page in [1, 5, 30] {
        let before = app.queries();
        let page = anon.get(format!("/novels?per_page={per_page}"));
        let page = page.expect(200).await;
        assert_eq!(page["items"].as_array().unwrap().len(), per_page);
        costs.push(app.queries() - before);
    }
    // The count and the page (its categories' names joined in).
    assert!(
        costs.iter().all(|c| *c == costs[0] && *c <= 2),
        "queries per page: {costs:?}"
    );
    let before = app.queries();
    anon.get("/rankings/hot?limit=30").expect(200).await;
    assert_eq!(app.queries() - before, 1, "a ranking");
    let id = page_first_id(&anon.get("/novels?sort=latest&per_page=1").expect(200).await);
    let before = app.queries();
    anon.get(paths::novel(id)).expect(200).await;
    assert_eq!(
        app.queries() - before,
        2,
        "an uncached detail: the novel, its first and latest chapters"
    );
}

fn page_first_id(page: &Value) -> i64 {
    page["items"][0]["id"].as_i64().unwrap()
}

async fn import_is_idempotent_and_refreshes_caches(app: TestApp) {
    let anon = app.anon();
    let novel = |chapters| {
        let novel = listed(&app, "重复", 10).channel("male").category("玄幻");
        let novel = novel.subcategory("东方玄幻").status("serial").collect(1);
        novel.chapters(chapters)
    };
    let first = novel(3).import().await;
    assert!(first.created && first.chapters_added == 3);
    let id = first.novel_id;
    let before = anon.get(paths::novel(id)).expect(200).await;
    assert_eq!(before["chapter_count"], 3);
    let chapter_ids = app.chapter_ids(id).await;

    // Again, with a changed chapter and two new ones: same novel, chapters upserted by
    // position; the two chapters as stored are left alone.
    let mut n = novel(5).build();
    n.chapters[1].content = "改过的第二章。".into();
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
        fresh = anon.get(paths::novel(id)).expect(200).await;
        if fresh["chapter_count"] == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(fresh["chapter_count"], 5);
    assert_eq!(fresh["heat"], 99);
    let read = |chapter: i64| anon.get(paths::chapter(id, chapter)).expect(200);
    let text = read(chapter_ids[1]).await;
    assert_eq!(
        text["content"], "改过的第二章。",
        "same chapter id, new text"
    );
    let third = read(chapter_ids[2]).await;
    assert!(
        third["next_chapter_id"].is_i64(),
        "the new fourth chapter follows the third"
    );

    // A bad novel is rejected whole.
    let bad = app
        .novel("坏的")
        .channel("male")
        .category("玄幻")
        .chapters(2);
    let mut bad = bad.build();
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
    let anon = app.anon();
    let path = dir.path().join("book.txt");
    let text = "楔子\n很久以前。\n\n第一章 开端\n天下大势，分久必合。\n第二章 发展\n合久必分。\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&path, &gbk).unwrap();
    // The metadata of `literature import --txt`; the chapters come from the file.
    let meta = app
        .novel("文本书")
        .author("佚名")
        .channel("male")
        .category("历史");
    let summary = api::cli::import_txt(&app.db, &path, meta.build())
        .await
        .unwrap();
    assert_eq!(summary.chapters_added, 3);
    let list = anon.get("/novels").expect(200).await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let chapters = anon.get(format!("/novels/{id}/chapters")).expect(200).await;
    let names: Vec<&str> = chapters["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["前言", "第一章 开端", "第二章 发展"]);
    let cid = chapters["items"][1]["id"].as_i64().unwrap();
    let chapter = anon.get(paths::chapter(id, cid)).expect(200).await;
    assert_eq!(chapter["content"], "天下大势，分久必合。");
}
