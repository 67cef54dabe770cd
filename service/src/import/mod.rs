//! Loading the catalog. Here: the novel as an import describes it (one JSON Lines line), its
//! checks, and `import_novel`; `text`: plain-text novels; `synthetic`: the benchmarks'
//! catalog. A novel is identified by (title, author); importing it again updates it and
//! upserts chapters by position. One novel = one transaction.

mod synthetic;
mod text;

pub use synthetic::{seed_synthetic, synthetic_novel};
pub use text::{decode_text, split_chapters};

use std::collections::HashMap;

use chrono::Utc;
use entity::{category, chapter, chapter_content, novel};
use sea_orm::IntoActiveModel;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionSession, TransactionTrait,
};
use serde::Deserialize;

use crate::catalog::{Channel, NovelStatus};
use crate::{ServiceError, ServiceResult};

const BATCH: usize = 200;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportNovel {
    pub title: String,
    pub author: String,
    pub channel: String,
    pub category: String,
    #[serde(default)]
    pub subcategory: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub intro: Option<String>,
    #[serde(default)]
    pub cover_url: Option<String>,
    #[serde(default)]
    pub heat: Option<i64>,
    #[serde(default)]
    pub collect_count: Option<i64>,
    pub chapters: Vec<ImportChapter>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportChapter {
    pub title: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub novel_id: i64,
    pub created: bool,
    /// False when the novel was already stored exactly so: nothing was written, its
    /// `updated_at` and chapter ETags stay as they were.
    pub changed: bool,
    pub chapters_added: usize,
    pub chapters_updated: usize,
    pub chapters_unchanged: usize,
    /// Categories this import created, as `name (channel)` or `parent/name (channel)`.
    pub categories_created: Vec<String>,
}

fn bad(msg: impl Into<String>) -> ServiceError {
    ServiceError::invalid("novel", msg)
}

/// Checks a novel before anything is written.
pub fn validate(n: &ImportNovel) -> ServiceResult<()> {
    let len = |s: &str| s.trim().chars().count();
    if !(1..=200).contains(&len(&n.title)) {
        return Err(bad("title must be 1 to 200 characters"));
    }
    if !(1..=100).contains(&len(&n.author)) {
        return Err(bad("author must be 1 to 100 characters"));
    }
    if Channel::parse(&n.channel).is_none() {
        return Err(bad("channel must be male or female"));
    }
    if !(1..=64).contains(&len(&n.category)) || n.category.contains('/') {
        return Err(bad("category must be 1 to 64 characters without '/'"));
    }
    if let Some(sub) = &n.subcategory
        && (!(1..=64).contains(&len(sub)) || sub.contains('/'))
    {
        return Err(bad("subcategory must be 1 to 64 characters without '/'"));
    }
    if let Some(s) = &n.status
        && NovelStatus::parse(s).is_none()
    {
        return Err(bad("status must be serial or finished"));
    }
    if n.cover_url.as_deref().is_some_and(|u| u.len() > 512) {
        return Err(bad("cover_url must be at most 512 characters"));
    }
    if n.heat.is_some_and(|h| h < 0) || n.collect_count.is_some_and(|c| c < 0) {
        return Err(bad("heat and collect_count must not be negative"));
    }
    if n.chapters.is_empty() || n.chapters.len() > 50_000 {
        return Err(bad("chapters must have 1 to 50000 entries"));
    }
    for (i, c) in n.chapters.iter().enumerate() {
        if !(1..=200).contains(&len(&c.title)) {
            return Err(bad(format!(
                "chapter {} title must be 1 to 200 characters",
                i + 1
            )));
        }
        if c.content.trim().is_empty() {
            return Err(bad(format!("chapter {} content is empty", i + 1)));
        }
    }
    Ok(())
}

/// Characters that count as words in a Chinese novel: everything but whitespace.
pub fn word_count(text: &str) -> i64 {
    text.chars().filter(|c| !c.is_whitespace()).count() as i64
}

/// Finds or creates a category; `true` when this call created it.
async fn upsert_category(
    db: &impl ConnectionTrait,
    channel: &str,
    name: &str,
    parent: Option<(i64, &str)>,
) -> ServiceResult<(i64, bool)> {
    let path = match parent {
        Some((_, parent_name)) => format!("{parent_name}/{name}"),
        None => name.to_owned(),
    };
    let find = || {
        category::Entity::find()
            .filter(category::Column::Channel.eq(channel))
            .filter(category::Column::Path.eq(path.clone()))
            .one(db)
    };
    if let Some(c) = find().await? {
        return Ok((c.id, false));
    }
    let row = category::ActiveModel {
        id: NotSet,
        parent_id: Set(parent.map(|p| p.0)),
        channel: Set(channel.to_owned()),
        name: Set(name.to_owned()),
        path: Set(path.clone()),
        icon_url: Set(String::new()),
        sort_order: Set(0),
        created_at: Set(Utc::now()),
    };
    let inserted = crate::db::insert_ignore(db, [row]).await?;
    find()
        .await?
        .map(|c| (c.id, inserted > 0))
        .ok_or_else(|| ServiceError::Internal("category vanished".into()))
}

/// Imports one novel in one transaction. When it changed anything, the same transaction
/// moves the catalog version, so every instance refreshes its caches and search index.
#[tracing::instrument(skip_all, fields(title = %n.title))]
pub async fn import_novel<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    n: &ImportNovel,
) -> ServiceResult<ImportOutcome> {
    validate(n)?;
    // A server may be writing at the same time: a lost lock race runs the novel again.
    crate::db::with_retry(|| async {
        let txn = crate::db::begin_write(db).await?;
        let outcome = import_in(&txn, n).await?;
        if outcome.changed {
            // Last, so that the version row is locked only until the commit.
            crate::catalog_version::bump(&txn).await?;
        }
        txn.commit().await?;
        Ok(outcome)
    })
    .await
}

/// True while the catalog has no novel (the demo catalog is loaded only then).
pub async fn catalog_is_empty(db: &impl ConnectionTrait) -> ServiceResult<bool> {
    Ok(novel::Entity::find().one(db).await?.is_none())
}

async fn import_in(db: &impl ConnectionTrait, n: &ImportNovel) -> ServiceResult<ImportOutcome> {
    let now = Utc::now();
    let title = n.title.trim();
    let author = n.author.trim();
    let top_name = n.category.trim();
    let mut categories_created = Vec::new();
    let (top, top_new) = upsert_category(db, &n.channel, top_name, None).await?;
    if top_new {
        categories_created.push(format!("{top_name} ({})", n.channel));
    }
    let leaf = match &n.subcategory {
        Some(sub) => {
            let sub = sub.trim();
            let (id, new) = upsert_category(db, &n.channel, sub, Some((top, top_name))).await?;
            if new {
                categories_created.push(format!("{top_name}/{sub} ({})", n.channel));
            }
            id
        }
        None => top,
    };
    let existing = novel::Entity::find()
        .filter(novel::Column::Title.eq(title))
        .filter(novel::Column::Author.eq(author))
        .one(db)
        .await?;
    let created = existing.is_none();
    // The stored row (or a new one), with only differing fields set, so that an unchanged
    // novel is not written at all.
    let mut am = match &existing {
        Some(m) => m.clone().into_active_model(),
        None => novel::ActiveModel {
            id: NotSet,
            title: Set(title.to_owned()),
            author: Set(author.to_owned()),
            created_at: Set(now),
            heat: Set(0),
            collect_count: Set(0),
            intro: Set(String::new()),
            cover_url: Set(String::new()),
            status: Set(NovelStatus::Serial.as_str().to_owned()),
            word_count: Set(0),
            chapter_count: Set(0),
            updated_at: Set(now),
            ..Default::default()
        },
    };
    // What readers see changed: moves `updated_at` (the "latest" order). Heat and collect
    // counts are statistics a nightly import refreshes: written, but not an update.
    let mut content_changed = false;
    let mut stats_changed = false;
    macro_rules! set_if_differs {
        ($field:ident, $value:expr, $flag:ident) => {{
            let value = $value;
            if existing.as_ref().is_none_or(|m| m.$field != value) {
                am.$field = Set(value);
                $flag = true;
            }
        }};
    }
    set_if_differs!(category_id, leaf, content_changed);
    set_if_differs!(top_category_id, top, content_changed);
    set_if_differs!(channel, n.channel.clone(), content_changed);
    if let Some(s) = &n.status {
        set_if_differs!(status, s.clone(), content_changed);
    }
    if let Some(i) = &n.intro {
        set_if_differs!(intro, i.trim().to_owned(), content_changed);
    }
    if let Some(c) = &n.cover_url {
        set_if_differs!(cover_url, c.trim().to_owned(), content_changed);
    }
    if let Some(h) = n.heat {
        set_if_differs!(heat, h, stats_changed);
    }
    if let Some(c) = n.collect_count {
        set_if_differs!(collect_count, c, stats_changed);
    }
    let novel_id = match &existing {
        Some(m) => m.id,
        None => am.clone().insert(db).await?.id,
    };

    let (chapters_added, chapters_updated, chapters_unchanged) =
        upsert_chapters(db, novel_id, n, now).await?;
    let chapters_changed = chapters_added + chapters_updated > 0;
    if !created && (content_changed || stats_changed || chapters_changed) {
        if content_changed || chapters_changed {
            am.updated_at = Set(now);
        }
        am.update(db).await?;
    }
    if created || chapters_changed {
        refresh_novel_totals(db, novel_id).await?;
    }
    Ok(ImportOutcome {
        novel_id,
        created,
        changed: created || content_changed || stats_changed || chapters_changed,
        chapters_added,
        chapters_updated,
        chapters_unchanged,
        categories_created,
    })
}

/// Upserts a novel's chapters by position; a chapter whose title and text are as stored is
/// not written. Stored texts are compared a batch at a time, so memory stays bounded for long
/// novels. Returns (added, updated, unchanged).
async fn upsert_chapters(
    db: &impl ConnectionTrait,
    novel_id: i64,
    n: &ImportNovel,
    now: chrono::DateTime<Utc>,
) -> ServiceResult<(usize, usize, usize)> {
    let known: HashMap<i32, (i64, String)> = chapter::Entity::find()
        .select_only()
        .column(chapter::Column::Position)
        .column(chapter::Column::Id)
        .column(chapter::Column::Title)
        .filter(chapter::Column::NovelId.eq(novel_id))
        .into_tuple::<(i32, i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(p, id, t)| (p, (id, t)))
        .collect();
    let mut fresh: Vec<(i32, &ImportChapter)> = Vec::new();
    let mut stored: Vec<(i64, &String, &ImportChapter)> = Vec::new();
    for (i, c) in n.chapters.iter().enumerate() {
        let position = i32::try_from(i + 1).map_err(|_| bad("too many chapters"))?;
        match known.get(&position) {
            Some((id, stored_title)) => stored.push((*id, stored_title, c)),
            None => fresh.push((position, c)),
        }
    }
    let (mut updated, mut unchanged) = (0, 0);
    for batch in stored.chunks(BATCH) {
        let texts: HashMap<i64, String> = chapter_content::Entity::find()
            .select_only()
            .column(chapter_content::Column::ChapterId)
            .column(chapter_content::Column::Content)
            .filter(chapter_content::Column::ChapterId.is_in(batch.iter().map(|b| b.0)))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for &(id, stored_title, c) in batch {
            let text_same = texts.get(&id).is_some_and(|t| *t == c.content);
            if text_same && stored_title == c.title.trim() {
                unchanged += 1;
                continue;
            }
            chapter::Entity::update_many()
                .col_expr(chapter::Column::Title, Expr::value(c.title.trim()))
                .col_expr(
                    chapter::Column::WordCount,
                    Expr::value(word_count(&c.content)),
                )
                .col_expr(chapter::Column::UpdatedAt, Expr::value(now))
                .filter(chapter::Column::Id.eq(id))
                .exec(db)
                .await?;
            if !text_same {
                chapter_content::Entity::update_many()
                    .col_expr(
                        chapter_content::Column::Content,
                        Expr::value(c.content.clone()),
                    )
                    .filter(chapter_content::Column::ChapterId.eq(id))
                    .exec(db)
                    .await?;
            }
            updated += 1;
        }
    }
    for batch in fresh.chunks(BATCH) {
        insert_chapters(
            db,
            novel_id,
            batch
                .iter()
                .map(|(p, c)| (*p, c.title.trim(), c.content.as_str())),
            now,
        )
        .await?;
    }
    Ok((fresh.len(), updated, unchanged))
}

/// Inserts chapters and their text: two multi-row inserts and one id lookup.
async fn insert_chapters<'a>(
    db: &impl ConnectionTrait,
    novel_id: i64,
    rows: impl Iterator<Item = (i32, &'a str, &'a str)>,
    now: chrono::DateTime<Utc>,
) -> ServiceResult<()> {
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    let metas = rows.iter().map(|(p, t, c)| chapter::ActiveModel {
        id: NotSet,
        novel_id: Set(novel_id),
        position: Set(*p),
        title: Set((*t).to_owned()),
        word_count: Set(i32::try_from(word_count(c)).unwrap_or(i32::MAX)),
        created_at: Set(now),
        updated_at: Set(now),
    });
    chapter::Entity::insert_many(metas)
        .exec_without_returning(db)
        .await?;
    let positions: Vec<i32> = rows.iter().map(|r| r.0).collect();
    let ids: HashMap<i32, i64> = chapter::Entity::find()
        .select_only()
        .column(chapter::Column::Position)
        .column(chapter::Column::Id)
        .filter(chapter::Column::NovelId.eq(novel_id))
        .filter(chapter::Column::Position.is_in(positions))
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let texts = rows.iter().filter_map(|(p, _, c)| {
        ids.get(p).map(|id| chapter_content::ActiveModel {
            chapter_id: Set(*id),
            content: Set((*c).to_owned()),
        })
    });
    chapter_content::Entity::insert_many(texts)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Recomputes a novel's chapter count and word count from its chapters.
async fn refresh_novel_totals(db: &impl ConnectionTrait, novel_id: i64) -> ServiceResult<()> {
    // Summed here rather than with SUM(), whose type differs between MySQL and SQLite.
    let counts: Vec<i32> = chapter::Entity::find()
        .select_only()
        .column(chapter::Column::WordCount)
        .filter(chapter::Column::NovelId.eq(novel_id))
        .into_tuple()
        .all(db)
        .await?;
    let count = counts.len() as i64;
    let words: i64 = counts.iter().map(|w| i64::from(*w)).sum();
    novel::Entity::update_many()
        .col_expr(
            novel::Column::ChapterCount,
            Expr::value(i32::try_from(count).unwrap_or(i32::MAX)),
        )
        .col_expr(novel::Column::WordCount, Expr::value(words))
        .filter(novel::Column::Id.eq(novel_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_count_ignores_whitespace() {
        assert_eq!(word_count("天下 大势\n分久必合"), 8);
    }
}
