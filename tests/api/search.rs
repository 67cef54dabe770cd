//! Search: relevance, pinyin, normalisation, literal wildcards, hot keywords, freshness.

use serde_json::Value;
use service::import::{ImportChapter, ImportNovel, import_novel};

use crate::support::{TestApp, error, json};

crate::db_tests!(
    relevance_table,
    wildcards_and_odd_input_are_literal,
    hot_keywords_count_once_per_reader_per_day,
    overview_and_suggestions,
    index_follows_imports,
    polyphonic_characters_match_every_reading,
    near_misses_come_after_strict_hits,
    totals_are_exact_beyond_a_thousand,
    invalid_utf8_in_the_query_string_is_a_bad_request,
);

fn book(title: &str, author: &str, category: &str, heat: i64) -> ImportNovel {
    ImportNovel {
        title: title.into(),
        author: author.into(),
        channel: "male".into(),
        category: category.into(),
        subcategory: None,
        status: None,
        intro: None,
        cover_url: None,
        heat: Some(heat),
        collect_count: None,
        chapters: vec![ImportChapter {
            title: "第一章".into(),
            content: format!("{title}的正文"),
        }],
    }
}

async fn fixture(app: &TestApp) {
    for (title, author, cat, heat) in [
        ("斗破苍穹", "天蚕土豆", "玄幻", 900),
        ("斗罗大陆", "唐家三少", "玄幻", 950),
        ("凡人修仙传", "忘语", "仙侠", 800),
        ("遮天", "辰东", "玄幻", 700),
        ("完美世界", "辰东", "玄幻", 750),
        ("苍穹之下", "某人", "都市", 100),
        ("天蚕传说", "无名氏", "武侠", 600),
        ("100%纯爱", "百分百", "言情", 50),
        ("下划线_故事", "作者乙", "言情", 40),
        ("反斜杠\\传", "作者丙", "言情", 30),
    ] {
        import_novel(&app.db, &book(title, author, cat, heat))
            .await
            .unwrap();
    }
    indexed(app, "反斜杠\\传").await;
    wait_for(app, "斗破苍穹").await;
}

/// Waits until the index has `title`, the last of a series of imports (each reaches the index
/// on its own). Suggestions, unlike searches, count no hot keyword.
async fn indexed(app: &TestApp, title: &str) {
    for _ in 0..50 {
        let resp = app
            .client
            .get(app.api("/search/suggestions"))
            .query(&[("q", title)])
            .send()
            .await
            .unwrap();
        let found = json(resp, 200).await;
        if found
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["keyword"] == title)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the index never got {title}");
}

/// Waits for the index to pick up the catalog (it polls every 100 ms in tests).
async fn wait_for(app: &TestApp, q: &str) -> Value {
    for _ in 0..50 {
        let page = json(search(app, q).await, 200).await;
        if page["total"].as_u64().unwrap_or(0) > 0 {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the index never found {q}");
}

async fn search(app: &TestApp, q: &str) -> reqwest::Response {
    app.client
        .get(app.api("/search"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap()
}

fn first(page: &Value) -> (String, String) {
    let item = &page["items"][0];
    (
        item["title"].as_str().unwrap_or("").to_owned(),
        item["match"].as_str().unwrap_or("").to_owned(),
    )
}

async fn relevance_table(app: TestApp) {
    fixture(&app).await;
    let table = [
        ("斗破苍穹", "斗破苍穹", "exact"),
        ("辰东", "完美世界", "exact"),
        ("斗", "斗罗大陆", "title"),
        ("苍穹", "苍穹之下", "title"),
        ("天蚕", "天蚕传说", "title"),
        ("唐家", "斗罗大陆", "author"),
        ("破苍", "斗破苍穹", "title"),
        ("doupo", "斗破苍穹", "pinyin"),
        ("doupocangqiong", "斗破苍穹", "pinyin"),
        ("dpcq", "斗破苍穹", "pinyin"),
        ("DPCQ", "斗破苍穹", "pinyin"),
        ("dou po", "斗破苍穹", "pinyin"),
        ("ＤＰＣＱ", "斗破苍穹", "pinyin"),
        ("鬥破蒼穹", "斗破苍穹", "exact"),
        ("fanren", "凡人修仙传", "pinyin"),
        ("frxxc", "凡人修仙传", "pinyin"),
        ("chendong", "完美世界", "pinyin"),
        ("zhe", "遮天", "pinyin"),
    ];
    for (q, title, kind) in table {
        let page = json(search(&app, q).await, 200).await;
        assert_eq!(
            first(&page),
            (title.to_owned(), kind.to_owned()),
            "q = {q}: {page}"
        );
    }
    // The tiers in full: prefix before contains, title before author, heat within a tier.
    let page = json(search(&app, "苍穹").await, 200).await;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["苍穹之下", "斗破苍穹"]);
    let page = json(search(&app, "天蚕").await, 200).await;
    let got: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["title"].as_str().unwrap(), i["match"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("天蚕传说", "title"), ("斗破苍穹", "author")]);
    let page = json(search(&app, "辰东").await, 200).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][1]["title"], "遮天");
    // Paging.
    let p2 = json(
        app.client
            .get(app.api("/search"))
            .query(&[("q", "斗"), ("per_page", "1"), ("page", "2")])
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        (p2["total"].as_u64(), p2["total_pages"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(p2["items"][0]["title"], "斗破苍穹");
    assert!(
        p2["items"][0]["category"]["name"].is_string(),
        "items are NovelSummary"
    );
}

async fn wildcards_and_odd_input_are_literal(app: TestApp) {
    fixture(&app).await;
    for (q, title) in [
        ("%", "100%纯爱"),
        ("_", "下划线_故事"),
        ("\\", "反斜杠\\传"),
        ("0%", "100%纯爱"),
    ] {
        let page = json(search(&app, q).await, 200).await;
        assert_eq!(page["total"], 1, "q = {q}: {page}");
        assert_eq!(page["items"][0]["title"], title);
    }
    for q in ["'", "\"", "😀", "'; DROP TABLE novels; --", "%%%", "a_b"] {
        let page = json(search(&app, q).await, 200).await;
        assert_eq!(page["total"], 0, "q = {q}");
    }
    for q in ["", "   ", "　"] {
        error(search(&app, q).await, 422, "validation_failed").await;
    }
    error(
        search(&app, &"斗".repeat(65)).await,
        422,
        "validation_failed",
    )
    .await;
    json(search(&app, &"斗".repeat(64)).await, 200).await;
    // 10 characters that normalise (NFKC) to 180: refused, never a failed insert.
    error(
        search(&app, &"\u{FDFA}".repeat(10)).await,
        422,
        "validation_failed",
    )
    .await;
    error(app.get("/search").await, 422, "validation_failed").await;
    error(
        app.get("/search?q=dp&per_page=101").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("novels").await, 10);
}

async fn hot_keywords_count_once_per_reader_per_day(app: TestApp) {
    fixture(&app).await;
    json(search(&app, "dpcq").await, 200).await;
    json(search(&app, "dpcq").await, 200).await;
    let token = app.token("searcher").await;
    let as_reader = |q: &'static str| {
        app.client
            .get(app.api("/search"))
            .query(&[("q", q)])
            .bearer_auth(&token)
            .send()
    };
    json(as_reader("ＤＰＣＱ").await.unwrap(), 200).await;
    json(as_reader("dpcq").await.unwrap(), 200).await;
    // Page 2 does not count.
    json(
        app.client
            .get(app.api("/search"))
            .query(&[("q", "遮天"), ("page", "2")])
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    json(as_reader("遮天").await.unwrap(), 200).await;
    // Counts are written by the background flush (every 100 ms in tests).
    let words = crate::search_hot::hot_until(&app, |w| w.iter().any(|(k, _)| k == "遮天")).await;
    // The fixture's own waiting searches for 斗破苍穹 counted once for this address.
    assert_eq!(words[0], ("dpcq".to_owned(), 2), "{words:?}");
    assert!(words.contains(&("遮天".to_owned(), 1)));
    assert_eq!(
        app.count("search_keywords WHERE count > 0").await,
        3,
        "斗破苍穹, dpcq and 遮天"
    );
    error(
        app.get("/search/hot?limit=51").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        json(app.get("/search/hot?limit=1").await, 200)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn overview_and_suggestions(app: TestApp) {
    fixture(&app).await;
    let ov = |q: &'static str| {
        app.client
            .get(app.api("/search/overview"))
            .query(&[("q", q)])
            .send()
    };
    let o = json(ov("斗破苍穹").await.unwrap(), 200).await;
    assert_eq!(o["exact"]["title"], "斗破苍穹");
    assert!(
        o["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["title"] != "斗破苍穹")
    );
    let recs: Vec<&str> = o["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        recs,
        ["斗罗大陆", "完美世界", "遮天"],
        "same category, hottest first, never shown twice"
    );
    let none = json(ov("无此书").await.unwrap(), 200).await;
    assert!(none["exact"].is_null());
    assert_eq!(none["matches"], serde_json::json!([]));
    assert_eq!(none["recommendations"].as_array().unwrap().len(), 4);
    assert_eq!(
        none["recommendations"][0]["title"], "斗罗大陆",
        "global hot list"
    );
    let o = json(ov("天蚕").await.unwrap(), 200).await;
    assert!(o["exact"].is_null());
    assert_eq!(o["matches"].as_array().unwrap().len(), 2);

    let sug = |q: &'static str| {
        app.client
            .get(app.api("/search/suggestions"))
            .query(&[("q", q)])
            .send()
    };
    let s = json(sug("斗").await.unwrap(), 200).await;
    let words: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["斗罗大陆", "斗破苍穹"]);
    let s = json(sug("chen").await.unwrap(), 200).await;
    assert_eq!(
        s[0]["keyword"], "辰东",
        "authors complete too, also by pinyin"
    );
    // A hot keyword shows up flagged.
    json(search(&app, "dpcq").await, 200).await;
    let mut flagged = false;
    for _ in 0..50 {
        let s = json(sug("dp").await.unwrap(), 200).await;
        if s.as_array()
            .unwrap()
            .iter()
            .any(|x| x["keyword"] == "dpcq" && x["is_hot"] == true)
        {
            assert_eq!(s[0]["keyword"], "斗破苍穹");
            flagged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(flagged, "hot keywords are suggested");
    error(
        app.get("/search/suggestions?q=").await,
        422,
        "validation_failed",
    )
    .await;
    error(
        app.get("/search/suggestions?q=d&limit=21").await,
        422,
        "validation_failed",
    )
    .await;
}

async fn index_follows_imports(app: TestApp) {
    fixture(&app).await;
    assert_eq!(json(search(&app, "新书来了").await, 200).await["total"], 0);
    import_novel(&app.db, &book("新书来了", "新作者", "玄幻", 10))
        .await
        .unwrap();
    let page = wait_for(&app, "xinshu").await;
    assert_eq!(first(&page), ("新书来了".to_owned(), "pinyin".to_owned()));
    // A re-import that changes a novel's title... is a new (title, author): both are found.
    import_novel(&app.db, &book("遮天外传", "辰东", "玄幻", 1000))
        .await
        .unwrap();
    let mut page = Value::Null;
    for _ in 0..50 {
        page = json(search(&app, "辰东").await, 200).await;
        if page["total"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        first(&page),
        ("遮天外传".to_owned(), "exact".to_owned()),
        "the hottest exact author match"
    );
}

fn items(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["title"].as_str().unwrap().to_owned(),
                i["match"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn polyphonic_characters_match_every_reading(app: TestApp) {
    // Each title reads its polyphonic character one way; both readings must find it, in full
    // pinyin and in initials.
    let table: [(&str, [&str; 4]); 10] = [
        ("长老传奇", ["zhanglao", "changlao", "zlcq", "clcq"]),
        ("长安古意", ["changan", "zhangan", "cagy", "zagy"]),
        ("重生之门", ["chongsheng", "zhongsheng", "cszm", "zszm"]),
        ("重任在肩", ["zhongren", "chongren", "zrzj", "crzj"]),
        ("行者无疆", ["xingzhe", "hangzhe", "xzwj", "hzwj"]),
        ("银行往事", ["yinhang", "yinxing", "yhws", "yxws"]),
        ("乐府新编", ["yuefu", "lefu", "yfxb", "lfxb"]),
        ("快乐星球", ["kuaile", "kuaiyue", "klxq", "kyxq"]),
        ("传记文学", ["zhuanji", "chuanji", "zjwx", "cjwx"]),
        ("传奇人生", ["chuanqi", "zhuanqi", "cqrs", "zqrs"]),
    ];
    for (i, (title, _)) in table.iter().enumerate() {
        import_novel(&app.db, &book(title, "多音作者", "玄幻", 100 + i as i64))
            .await
            .unwrap();
    }
    indexed(&app, "传奇人生").await;
    for (title, spellings) in table {
        for q in spellings {
            let page = json(search(&app, q).await, 200).await;
            assert!(
                items(&page).contains(&(title.to_owned(), "pinyin".to_owned())),
                "{q} must find {title}: {page}"
            );
        }
    }
    // Ranking stays by tier, then heat: both 长 titles answer `c`/`z` initials in heat order.
    let page = json(search(&app, "zhang").await, 200).await;
    let got: Vec<String> = items(&page).into_iter().map(|(t, _)| t).collect();
    assert_eq!(got, ["长安古意", "长老传奇"], "{page}");
}

async fn near_misses_come_after_strict_hits(app: TestApp) {
    fixture(&app).await;
    // One wrong character.
    let page = json(search(&app, "斗破仓穹").await, 200).await;
    assert_eq!(
        first(&page),
        ("斗破苍穹".to_owned(), "partial".to_owned()),
        "{page}"
    );
    // The opening words of a title, then different ones.
    let page = json(search(&app, "凡人修仙之仙界篇").await, 200).await;
    assert_eq!(
        first(&page),
        ("凡人修仙传".to_owned(), "partial".to_owned()),
        "{page}"
    );
    assert_eq!(page["total"], page["items"].as_array().unwrap().len());
    // Strict hits first, whatever the heat: 苍穹之下 (heat 100) before 斗破苍穹 (900).
    let page = json(search(&app, "苍穹之").await, 200).await;
    assert_eq!(
        items(&page),
        [
            ("苍穹之下".to_owned(), "title".to_owned()),
            ("斗破苍穹".to_owned(), "partial".to_owned())
        ]
    );
    assert_eq!(page["total"], 2);
    for q in ["斗破苍穹", "天蚕土豆", "唐家三少", "完美世界", "斗罗大陆"] {
        let page = json(search(&app, q).await, 200).await;
        let kinds: Vec<String> = items(&page).into_iter().map(|(_, k)| k).collect();
        let first_partial = kinds
            .iter()
            .position(|k| k == "partial")
            .unwrap_or(kinds.len());
        assert!(
            kinds[first_partial..].iter().all(|k| k == "partial"),
            "{q}: {kinds:?}"
        );
        assert_ne!(kinds.first().map(String::as_str), Some("partial"), "{q}");
    }
    // The overview's close matches use them too.
    let o = json(
        app.client
            .get(app.api("/search/overview"))
            .query(&[("q", "斗破仓穹")])
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(o["exact"].is_null());
    assert_eq!(o["matches"][0]["title"], "斗破苍穹", "{o}");
    // Nothing shared: still nothing.
    assert_eq!(json(search(&app, "无此书名").await, 200).await["total"], 0);
}

async fn totals_are_exact_beyond_a_thousand(app: TestApp) {
    service::import::seed_synthetic(&app.db, 1_100, 0, |_| {})
        .await
        .unwrap();
    let page = wait_for(&app, "合成小说第1099部").await;
    assert_eq!(first(&page).1, "exact");
    let get = |q: &'static str, page: &'static str| {
        app.client
            .get(app.api("/search"))
            .query(&[("q", q), ("per_page", "100"), ("page", page)])
            .send()
    };
    // Every title and every author contains 合成: each novel once.
    let p = json(get("合成", "1").await.unwrap(), 200).await;
    assert_eq!(
        (p["total"].as_u64(), p["total_pages"].as_u64()),
        (Some(1100), Some(11))
    );
    let last = json(get("合成", "11").await.unwrap(), 200).await;
    assert_eq!(last["items"].as_array().unwrap().len(), 100);
    let past = json(get("合成", "12").await.unwrap(), 200).await;
    assert_eq!(past["items"], serde_json::json!([]));
    assert_eq!(past["total"], 1100);
    // 第1…: 1, 10–19, 100–199, 1000–1099.
    let p = json(get("合成小说第1", "1").await.unwrap(), 200).await;
    assert_eq!(p["total"], 211);
    // A single character and a common initial, counted whole too.
    let p = json(get("说", "1").await.unwrap(), 200).await;
    assert_eq!(p["total"], 1100);
    let p = json(get("hc", "1").await.unwrap(), 200).await;
    assert_eq!(p["total"], 1100, "合成 read he-cheng (titles and authors)");
}

async fn invalid_utf8_in_the_query_string_is_a_bad_request(app: TestApp) {
    fixture(&app).await;
    for path in [
        "/search?q=%FF",
        "/search?q=%E6%96",
        "/search/overview?q=%C0%AF",
        "/search/suggestions?q=%FF",
        "/novels?page=1&x=%FE",
    ] {
        error(app.get(path).await, 400, "bad_request").await;
    }
    // A well-formed U+FFFD is ordinary text (and finds nothing).
    assert_eq!(
        json(app.get("/search?q=%EF%BF%BD").await, 200).await["total"],
        0
    );
    let hot = crate::search_hot::hot_until(&app, |w| w.iter().any(|(k, _)| k == "斗破苍穹")).await;
    assert!(hot.iter().all(|(k, _)| !k.contains('\u{FFFD}')), "{hot:?}");
}
