//! Search: relevance, pinyin, normalisation, literal wildcards, hot keywords, freshness.

use serde_json::{Value, json};

use crate::support::{Call, Caller, TestApp};

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

/// A male-channel novel by `author` in `category`.
async fn add(app: &TestApp, title: &str, author: &str, category: &str, heat: i64) {
    let novel = app.novel(title).author(author).channel("male");
    novel.category(category).heat(heat).create().await;
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
        add(app, title, author, cat, heat).await;
    }
    indexed(app, "反斜杠\\传").await;
    wait_for(app, "斗破苍穹").await;
}

/// Waits until the index has `title`, the last of a series of imports (each reaches the index
/// on its own). Suggestions, unlike searches, count no hot keyword.
async fn indexed(app: &TestApp, title: &str) {
    for _ in 0..50 {
        let found = app.anon().get("/search/suggestions").query(&[("q", title)]);
        let found = found.expect(200).await;
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
        let page = search(app, q).expect(200).await;
        if page["total"].as_u64().unwrap_or(0) > 0 {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the index never found {q}");
}

/// `GET /search?q=…`, anonymously.
fn search(app: &TestApp, q: &str) -> Call {
    query(&app.anon(), "/search", q)
}

/// `GET path?q=…`.
fn query(caller: &Caller<'_>, path: &str, q: &str) -> Call {
    caller.get(path).query(&[("q", q)])
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
        let page = search(&app, q).expect(200).await;
        assert_eq!(
            first(&page),
            (title.to_owned(), kind.to_owned()),
            "q = {q}: {page}"
        );
    }
    // The tiers in full: prefix before contains, title before author, heat within a tier.
    let page = search(&app, "苍穹").expect(200).await;
    let titles: Vec<String> = items(&page).into_iter().map(|(t, _)| t).collect();
    assert_eq!(titles, ["苍穹之下", "斗破苍穹"]);
    let page = search(&app, "天蚕").expect(200).await;
    assert_eq!(
        items(&page),
        [
            ("天蚕传说".to_owned(), "title".to_owned()),
            ("斗破苍穹".to_owned(), "author".to_owned())
        ]
    );
    let page = search(&app, "辰东").expect(200).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][1]["title"], "遮天");
    // Paging.
    let p2 = search(&app, "斗").query(&[("per_page", "1"), ("page", "2")]);
    let p2 = p2.expect(200).await;
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
        let page = search(&app, q).expect(200).await;
        assert_eq!(page["total"], 1, "q = {q}: {page}");
        assert_eq!(page["items"][0]["title"], title);
    }
    for q in ["'", "\"", "😀", "'; DROP TABLE novels; --", "%%%", "a_b"] {
        let page = search(&app, q).expect(200).await;
        assert_eq!(page["total"], 0, "q = {q}");
    }
    // Blank, 65 characters, and 10 characters that normalise (NFKC) to 180: refused, never
    // a failed insert.
    for q in ["", "   ", "　", &"斗".repeat(65), &"\u{FDFA}".repeat(10)] {
        search(&app, q).expect_error(422, "validation_failed").await;
    }
    search(&app, &"斗".repeat(64)).expect(200).await;
    for path in ["/search", "/search?q=dp&per_page=101"] {
        let refused = app.anon().get(path);
        refused.expect_error(422, "validation_failed").await;
    }
    assert_eq!(app.count("novels").await, 10);
}

async fn hot_keywords_count_once_per_reader_per_day(app: TestApp) {
    fixture(&app).await;
    search(&app, "dpcq").expect(200).await;
    search(&app, "dpcq").expect(200).await;
    let searcher = app.reader("searcher").await;
    query(&searcher, "/search", "ＤＰＣＱ").expect(200).await;
    query(&searcher, "/search", "dpcq").expect(200).await;
    // Page 2 does not count.
    let page2 = search(&app, "遮天").query(&[("page", "2")]);
    page2.expect(200).await;
    query(&searcher, "/search", "遮天").expect(200).await;
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
    let too_many = app.anon().get("/search/hot?limit=51");
    too_many.expect_error(422, "validation_failed").await;
    let one = app.anon().get("/search/hot?limit=1").expect(200).await;
    assert_eq!(one.as_array().unwrap().len(), 1);
}

async fn overview_and_suggestions(app: TestApp) {
    fixture(&app).await;
    let anon = app.anon();
    let overview = async |q: &str| query(&anon, "/search/overview", q).expect(200).await;
    let o = overview("斗破苍穹").await;
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
    let none = overview("无此书").await;
    assert!(none["exact"].is_null());
    assert_eq!(none["matches"], json!([]));
    assert_eq!(none["recommendations"].as_array().unwrap().len(), 4);
    assert_eq!(
        none["recommendations"][0]["title"], "斗罗大陆",
        "global hot list"
    );
    let o = overview("天蚕").await;
    assert!(o["exact"].is_null());
    assert_eq!(o["matches"].as_array().unwrap().len(), 2);

    let suggestions = async |q: &str| query(&anon, "/search/suggestions", q).expect(200).await;
    let s = suggestions("斗").await;
    let words: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, ["斗罗大陆", "斗破苍穹"]);
    let s = suggestions("chen").await;
    assert_eq!(
        s[0]["keyword"], "辰东",
        "authors complete too, also by pinyin"
    );
    // A hot keyword shows up flagged.
    search(&app, "dpcq").expect(200).await;
    let mut flagged = false;
    for _ in 0..50 {
        let s = suggestions("dp").await;
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
    for path in ["/search/suggestions?q=", "/search/suggestions?q=d&limit=21"] {
        anon.get(path).expect_error(422, "validation_failed").await;
    }
}

async fn index_follows_imports(app: TestApp) {
    fixture(&app).await;
    assert_eq!(search(&app, "新书来了").expect(200).await["total"], 0);
    add(&app, "新书来了", "新作者", "玄幻", 10).await;
    let page = wait_for(&app, "xinshu").await;
    assert_eq!(first(&page), ("新书来了".to_owned(), "pinyin".to_owned()));
    // A re-import that changes a novel's title... is a new (title, author): both are found.
    add(&app, "遮天外传", "辰东", "玄幻", 1000).await;
    let mut page = Value::Null;
    for _ in 0..50 {
        page = search(&app, "辰东").expect(200).await;
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
        add(&app, title, "多音作者", "玄幻", 100 + i as i64).await;
    }
    indexed(&app, "传奇人生").await;
    for (title, spellings) in table {
        for q in spellings {
            let page = search(&app, q).expect(200).await;
            assert!(
                items(&page).contains(&(title.to_owned(), "pinyin".to_owned())),
                "{q} must find {title}: {page}"
            );
        }
    }
    // Ranking stays by tier, then heat: both 长 titles answer `c`/`z` initials in heat order.
    let page = search(&app, "zhang").expect(200).await;
    let got: Vec<String> = items(&page).into_iter().map(|(t, _)| t).collect();
    assert_eq!(got, ["长安古意", "长老传奇"], "{page}");
}

async fn near_misses_come_after_strict_hits(app: TestApp) {
    fixture(&app).await;
    // One wrong character.
    let page = search(&app, "斗破仓穹").expect(200).await;
    assert_eq!(
        first(&page),
        ("斗破苍穹".to_owned(), "partial".to_owned()),
        "{page}"
    );
    // The opening words of a title, then different ones.
    let page = search(&app, "凡人修仙之仙界篇").expect(200).await;
    assert_eq!(
        first(&page),
        ("凡人修仙传".to_owned(), "partial".to_owned()),
        "{page}"
    );
    assert_eq!(page["total"], page["items"].as_array().unwrap().len());
    // Strict hits first, whatever the heat: 苍穹之下 (heat 100) before 斗破苍穹 (900).
    let page = search(&app, "苍穹之").expect(200).await;
    assert_eq!(
        items(&page),
        [
            ("苍穹之下".to_owned(), "title".to_owned()),
            ("斗破苍穹".to_owned(), "partial".to_owned())
        ]
    );
    assert_eq!(page["total"], 2);
    for q in ["斗破苍穹", "天蚕土豆", "唐家三少", "完美世界", "斗罗大陆"] {
        let page = search(&app, q).expect(200).await;
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
    let o = query(&app.anon(), "/search/overview", "斗破仓穹");
    let o = o.expect(200).await;
    assert!(o["exact"].is_null());
    assert_eq!(o["matches"][0]["title"], "斗破苍穹", "{o}");
    // Nothing shared: still nothing.
    assert_eq!(search(&app, "无此书名").expect(200).await["total"], 0);
}

async fn totals_are_exact_beyond_a_thousand(app: TestApp) {
    service::import::seed_synthetic(&app.db, 1_100, 0, |_| {})
        .await
        .unwrap();
    let page = wait_for(&app, "合成小说第1099部").await;
    assert_eq!(first(&page).1, "exact");
    let paged = async |q: &str, page: &str| {
        let page = search(&app, q).query(&[("per_page", "100"), ("page", page)]);
        page.expect(200).await
    };
    // Every title and every author contains 合成: each novel once.
    let p = paged("合成", "1").await;
    assert_eq!(
        (p["total"].as_u64(), p["total_pages"].as_u64()),
        (Some(1100), Some(11))
    );
    let last = paged("合成", "11").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 100);
    let past = paged("合成", "12").await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total"], 1100);
    // 第1…: 1, 10–19, 100–199, 1000–1099.
    assert_eq!(paged("合成小说第1", "1").await["total"], 211);
    // A single character and a common initial, counted whole too.
    assert_eq!(paged("说", "1").await["total"], 1100);
    let hc = paged("hc", "1").await;
    assert_eq!(hc["total"], 1100, "合成 read he-cheng (titles and authors)");
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
        app.anon().get(path).expect_error(400, "bad_request").await;
    }
    // A well-formed U+FFFD is ordinary text (and finds nothing).
    let replacement = app.anon().get("/search?q=%EF%BF%BD").expect(200).await;
    assert_eq!(replacement["total"], 0);
    let hot = crate::search_hot::hot_until(&app, |w| w.iter().any(|(k, _)| k == "斗破苍穹")).await;
    assert!(hot.iter().all(|(k, _)| !k.contains('\u{FFFD}')), "{hot:?}");
}
