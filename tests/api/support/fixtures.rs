//! Catalog fixtures and request bodies: `app.novel("斗破苍穹").heat(900).chapters(3).create()`,
//! the ids of a novel's chapters, login and refresh calls, a progress body, the paths of a
//! reader's data.

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use service::import::{ImportChapter, ImportNovel, ImportOutcome, import_novel};

use super::{Call, TestApp};

/// A novel to import. By default: author `<title>作者`, channel `female`, category `现代言情`,
/// heat 1, one chapter; chapter `i` is titled `第i章` and reads `<title>的第i章正文。`.
#[must_use = "a novel is only imported by `create` or `import`"]
pub struct NovelBuilder<'a> {
    db: &'a DatabaseConnection,
    novel: ImportNovel,
}

impl TestApp {
    /// A novel to import into this app's database.
    pub fn novel(&self, title: &str) -> NovelBuilder<'_> {
        NovelBuilder::on(&self.db, title)
    }

    /// `n` novels `书0`, `书1`, … of `chapters` chapters each; their ids.
    pub async fn add_novels(&self, n: usize, chapters: usize) -> Vec<i64> {
        let mut ids = Vec::new();
        for i in 0..n {
            ids.push(
                self.novel(&format!("书{i}"))
                    .chapters(chapters)
                    .create()
                    .await,
            );
        }
        ids
    }

    /// The ids of a novel's chapters, in order.
    pub async fn chapter_ids(&self, novel: i64) -> Vec<i64> {
        let path = format!("/novels/{novel}/chapters?per_page=1000");
        ids(&self.anon().get(path).expect(200).await["items"])
    }

    /// `POST /auth/login` with a WeChat `code`, anonymously.
    pub fn login_with(&self, code: &str) -> Call {
        self.anon().post("/auth/login", json!({ "code": code }))
    }

    /// `POST /auth/refresh` with `refresh_token` (any JSON value, as a client may send).
    pub fn refresh_with(&self, refresh_token: &Value) -> Call {
        let body = json!({ "refresh_token": refresh_token });
        self.anon().post("/auth/refresh", body)
    }

    /// Tells every instance that the catalog changed (they drop their caches within a poll)
    /// without importing anything, as an operator's re-import of unchanged content does.
    pub async fn bump_catalog(&self) {
        service::catalog_version::bump(&self.db)
            .await
            .expect("bump the catalog version");
    }
}

impl<'a> NovelBuilder<'a> {
    /// A novel to import into `db` (e.g. a replica's database).
    pub fn on(db: &'a DatabaseConnection, title: &str) -> Self {
        let novel = ImportNovel {
            title: title.into(),
            author: format!("{title}作者"),
            channel: "female".into(),
            category: "现代言情".into(),
            subcategory: None,
            status: None,
            intro: None,
            cover_url: None,
            heat: Some(1),
            collect_count: None,
            chapters: Vec::new(),
        };
        Self { db, novel }.chapters(1)
    }

    pub fn author(mut self, author: &str) -> Self {
        self.novel.author = author.into();
        self
    }

    pub fn channel(mut self, channel: &str) -> Self {
        self.novel.channel = channel.into();
        self
    }

    /// The top-level category.
    pub fn category(mut self, category: &str) -> Self {
        self.novel.category = category.into();
        self
    }

    pub fn subcategory(mut self, subcategory: &str) -> Self {
        self.novel.subcategory = Some(subcategory.into());
        self
    }

    pub fn status(mut self, status: &str) -> Self {
        self.novel.status = Some(status.into());
        self
    }

    pub fn intro(mut self, intro: &str) -> Self {
        self.novel.intro = Some(intro.into());
        self
    }

    pub fn cover(mut self, url: &str) -> Self {
        self.novel.cover_url = Some(url.into());
        self
    }

    pub fn heat(mut self, heat: i64) -> Self {
        self.novel.heat = Some(heat);
        self
    }

    pub fn collect(mut self, count: i64) -> Self {
        self.novel.collect_count = Some(count);
        self
    }

    /// `n` chapters of the default text.
    pub fn chapters(self, n: usize) -> Self {
        let texts: Vec<String> = (1..=n)
            .map(|i| format!("{}的第{i}章正文。", self.novel.title))
            .collect();
        self.texts(&texts)
    }

    /// One chapter per text, titled `第i章`.
    pub fn texts(mut self, texts: &[impl AsRef<str>]) -> Self {
        self.novel.chapters = texts
            .iter()
            .enumerate()
            .map(|(i, text)| ImportChapter {
                title: format!("第{}章", i + 1),
                content: text.as_ref().to_owned(),
            })
            .collect();
        self
    }

    /// The novel as the importer takes it (for a test that edits it or imports it twice).
    pub fn build(self) -> ImportNovel {
        self.novel
    }

    /// Imports it; what the import did.
    pub async fn import(self) -> ImportOutcome {
        import_novel(self.db, &self.novel).await.expect("import")
    }

    /// Imports it; its id.
    pub async fn create(self) -> i64 {
        self.import().await.novel_id
    }
}

/// The `id`s of a JSON array of objects.
pub fn ids(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["id"].as_i64().expect("an id"))
        .collect()
}

/// The body of `PUT /progress/{novel_id}`.
pub fn progress(chapter: i64, offset: i32, percent: f64, time: &str) -> Value {
    json!({ "chapter_id": chapter, "offset": offset, "percent": percent, "client_time": time })
}

/// The paths of one novel and of a reader's data about it.
pub mod paths {
    pub fn novel(id: i64) -> String {
        format!("/novels/{id}")
    }

    pub fn chapter(novel: i64, chapter: i64) -> String {
        format!("/novels/{novel}/chapters/{chapter}")
    }

    pub fn shelf(novel: i64) -> String {
        format!("/bookshelf/{novel}")
    }

    pub fn progress(novel: i64) -> String {
        format!("/progress/{novel}")
    }

    pub fn history(novel: i64) -> String {
        format!("/history/{novel}")
    }
}
