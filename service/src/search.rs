//! Search for Chinese readers: an in-process index of titles and authors (normalised text,
//! character uni/bigrams, full pinyin and initials), rebuilt from the database at start and
//! whenever an import bumps the catalog version. Ranking is tiered: exact title/author, title
//! prefix, title contains, author contains, pinyin; ties by heat.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use entity::{novel, search_keyword, search_keyword_hit};
use moka::future::Cache;
use pinyin::ToPinyin;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use unicode_normalization::UnicodeNormalization;

use crate::catalog_cache::catalog_version;
use crate::{ServiceError, ServiceResult};

/// Candidates examined per query; a query found in more titles than this (e.g. a single
/// common character) ranks only the hottest ones.
const MAX_CANDIDATES: usize = 1_000;
pub const MAX_QUERY_CHARS: usize = 64;

/// Why a novel matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    Title,
    Author,
    Pinyin,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Title => "title",
            Self::Author => "author",
            Self::Pinyin => "pinyin",
        }
    }
}

/// Full-width → half-width (NFKC), traditional → simplified, lower case, single spaces.
pub fn normalize(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    let simplified = fast2s::convert(&nfkc).to_lowercase();
    simplified.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Full pinyin and initials of a (normalised) text; ASCII letters and digits are kept.
fn pinyin_keys(s: &str) -> (String, String) {
    let (mut full, mut initials) = (String::new(), String::new());
    for c in s.chars() {
        if let Some(p) = c.to_pinyin() {
            full.push_str(p.plain());
            initials.push_str(p.first_letter());
        } else if c.is_ascii_alphanumeric() {
            full.push(c);
            initials.push(c);
        }
    }
    (full, initials)
}

fn grams(s: &str) -> HashSet<String> {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out: HashSet<String> = chars.iter().map(|c| c.to_string()).collect();
    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    out
}

#[derive(Debug, Clone)]
struct Doc {
    id: i64,
    top_category_id: i64,
    title: String,
    author: String,
    raw_title: String,
    raw_author: String,
}

/// An immutable snapshot of the index; docs are ordered by heat, so a doc's position is its
/// rank and every posting list is already in heat order.
#[derive(Debug, Default)]
pub struct SearchIndex {
    docs: Vec<Doc>,
    grams: HashMap<String, Vec<u32>>,
    /// (key, doc, is_author) sorted by key: normalised names, then pinyin keys.
    names: Vec<(String, u32, bool)>,
    pinyin: Vec<(String, u32, bool)>,
    by_category: HashMap<i64, Vec<u32>>,
    pub version: i64,
}

impl SearchIndex {
    /// Builds the index from the novels table.
    pub async fn build(db: &impl ConnectionTrait) -> ServiceResult<Self> {
        let version = catalog_version(db).await?;
        let rows: Vec<(i64, String, String, i64)> = novel::Entity::find()
            .select_only()
            .column(novel::Column::Id)
            .column(novel::Column::Title)
            .column(novel::Column::Author)
            .column(novel::Column::TopCategoryId)
            .order_by_desc(novel::Column::Heat)
            .order_by_desc(novel::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let mut index = Self {
            version,
            ..Default::default()
        };
        for (i, (id, title, author, top)) in rows.into_iter().enumerate() {
            let i =
                u32::try_from(i).map_err(|_| ServiceError::Internal("too many novels".into()))?;
            let doc = Doc {
                id,
                top_category_id: top,
                title: normalize(&title),
                author: normalize(&author),
                raw_title: title,
                raw_author: author,
            };
            for g in grams(&doc.title).into_iter().chain(grams(&doc.author)) {
                index.grams.entry(g).or_default().push(i);
            }
            for (text, is_author) in [(&doc.title, false), (&doc.author, true)] {
                index.names.push((text.clone(), i, is_author));
                let (full, initials) = pinyin_keys(text);
                for key in [full, initials] {
                    if !key.is_empty() {
                        index.pinyin.push((key, i, is_author));
                    }
                }
            }
            index.by_category.entry(top).or_default().push(i);
            index.docs.push(doc);
        }
        for list in index.grams.values_mut() {
            list.dedup();
        }
        index.names.sort_unstable();
        index.pinyin.sort_unstable();
        Ok(index)
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Entries of a sorted key list that start with `prefix` (at most `cap`).
    fn prefixed<'a>(
        list: &'a [(String, u32, bool)],
        prefix: &str,
        cap: usize,
    ) -> &'a [(String, u32, bool)] {
        let start = list.partition_point(|(k, _, _)| k.as_str() < prefix);
        let len = list[start..]
            .iter()
            .take(cap)
            .take_while(|(k, _, _)| k.starts_with(prefix))
            .count();
        &list[start..start + len]
    }

    /// Docs whose title or author contains every gram of `q`, hottest first (capped).
    fn candidates(&self, q: &str) -> Vec<u32> {
        let mut lists: Vec<&Vec<u32>> = Vec::new();
        for g in grams(q) {
            // Bigrams suffice when there are any; single characters only for 1-char queries.
            if q.chars().filter(|c| !c.is_whitespace()).count() > 1 && g.chars().count() == 1 {
                continue;
            }
            match self.grams.get(&g) {
                Some(list) => lists.push(list),
                None => return Vec::new(),
            }
        }
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return Vec::new();
        };
        first
            .iter()
            .filter(|d| rest.iter().all(|l| l.binary_search(d).is_ok()))
            .take(MAX_CANDIDATES)
            .copied()
            .collect()
    }

    /// Ranked matches for a normalised query: novel ids with the reason, best first.
    pub fn search(&self, q: &str) -> Vec<(i64, MatchKind)> {
        if q.is_empty() {
            return Vec::new();
        }
        let mut tiers: [Vec<u32>; 5] = Default::default();
        let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        let pinyin_query =
            !compact.is_empty() && compact.chars().all(|c| c.is_ascii_alphanumeric());
        let mut seen = HashSet::new();
        for d in self.candidates(q) {
            let doc = &self.docs[d as usize];
            let tier = if doc.title == q || doc.author == q {
                0
            } else if doc.title.starts_with(q) {
                1
            } else if doc.title.contains(q) {
                2
            } else if doc.author.contains(q) {
                3
            } else {
                continue;
            };
            if pinyin_query {
                seen.insert(d);
            }
            tiers[tier].push(d);
        }
        if pinyin_query {
            let mut hits: Vec<u32> = Self::prefixed(&self.pinyin, &compact, MAX_CANDIDATES)
                .iter()
                .map(|(_, d, _)| *d)
                .filter(|d| !seen.contains(d))
                .collect();
            hits.sort_unstable();
            hits.dedup();
            tiers[4] = hits;
        }
        let kinds = [
            MatchKind::Exact,
            MatchKind::Title,
            MatchKind::Title,
            MatchKind::Author,
            MatchKind::Pinyin,
        ];
        tiers
            .iter()
            .zip(kinds)
            .flat_map(|(docs, kind)| docs.iter().map(move |d| (self.docs[*d as usize].id, kind)))
            .collect()
    }

    /// Completions of a normalised prefix from titles and authors (also by pinyin), hottest
    /// first, as the reader wrote them.
    /// Returns (as written, normalised).
    pub fn complete(&self, q: &str, limit: usize) -> Vec<(String, String)> {
        let mut hits: Vec<(u32, bool)> = Self::prefixed(&self.names, q, 64)
            .iter()
            .map(|(_, d, a)| (*d, *a))
            .collect();
        let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_empty() && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            hits.extend(
                Self::prefixed(&self.pinyin, &compact, 64)
                    .iter()
                    .map(|(_, d, a)| (*d, *a)),
            );
        }
        hits.sort_unstable();
        let mut out: Vec<(String, String)> = Vec::new();
        for (d, is_author) in hits {
            let doc = &self.docs[d as usize];
            let (raw, norm) = if is_author {
                (&doc.raw_author, &doc.author)
            } else {
                (&doc.raw_title, &doc.title)
            };
            if !out.iter().any(|(w, _)| w == raw) {
                out.push((raw.clone(), norm.clone()));
            }
            if out.len() >= limit {
                break;
            }
        }
        out
    }

    /// Hottest novels of a top-level category (or of all), skipping `exclude`.
    pub fn hottest(&self, top_category_id: Option<i64>, exclude: &[i64], limit: usize) -> Vec<i64> {
        let ids: Box<dyn Iterator<Item = i64>> =
            match top_category_id.and_then(|c| self.by_category.get(&c)) {
                Some(list) => Box::new(list.iter().map(|d| self.docs[*d as usize].id)),
                None => Box::new(self.docs.iter().map(|d| d.id)),
            };
        ids.filter(|id| !exclude.contains(id)).take(limit).collect()
    }

    pub fn top_category_of(&self, id: i64) -> Option<i64> {
        self.docs
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.top_category_id)
    }
}

/// Ranked hits: novel ids with the reason, best first.
pub type Hits = Arc<Vec<(i64, MatchKind)>>;

/// The live index and the hot-keyword bookkeeping shared by the handlers.
#[derive(Clone)]
pub struct Search {
    index: Arc<RwLock<Arc<SearchIndex>>>,
    /// The hottest keywords, hottest first (normalised, as counted).
    hot: Arc<RwLock<Arc<Vec<String>>>>,
    /// (keyword, searcher, day) already counted, so repeats cost no query.
    counted: Cache<(String, String, chrono::NaiveDate), ()>,
    /// Ranked hits per (index version, normalised query): popular queries repeat a lot.
    results: Cache<(i64, String), Hits>,
}

impl Search {
    pub async fn build(db: &impl ConnectionTrait) -> ServiceResult<Self> {
        let started = std::time::Instant::now();
        let index = SearchIndex::build(db).await?;
        tracing::info!(
            novels = index.len(),
            ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
        let search = Self {
            index: Arc::new(RwLock::new(Arc::new(index))),
            hot: Arc::default(),
            counted: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(24 * 3600))
                .build(),
            results: Cache::builder()
                .max_capacity(20_000)
                .time_to_live(Duration::from_secs(300))
                .build(),
        };
        search.refresh_hot(db).await?;
        Ok(search)
    }

    pub fn index(&self) -> Arc<SearchIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rebuilds when the catalog version moved since the current snapshot.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> ServiceResult<bool> {
        let version = catalog_version(db).await?;
        if version == self.index().version {
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let fresh = Arc::new(SearchIndex::build(db).await?);
        tracing::info!(
            novels = fresh.len(),
            ms = started.elapsed().as_millis() as u64,
            "search index rebuilt"
        );
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(true)
    }

    async fn refresh_hot(&self, db: &impl ConnectionTrait) -> ServiceResult<()> {
        let words: Vec<String> = hot_keywords(db, 200)
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        *self.hot.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(words);
        Ok(())
    }

    /// Keeps the index current (bounded staleness: `every`) and the hot list fresh.
    pub fn spawn_watcher(
        &self,
        db: DatabaseConnection,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let search = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = search.refresh(&db).await {
                    tracing::warn!(error = %e, "search index refresh failed");
                }
                if let Err(e) = search.refresh_hot(&db).await {
                    tracing::debug!(error = %e, "hot keyword refresh failed");
                }
            }
        })
    }

    /// Ranked hits for a normalised query, from the current index.
    pub async fn search(&self, q: &str) -> Hits {
        let index = self.index();
        self.results
            .get_with((index.version, q.to_owned()), async move {
                Arc::new(index.search(q))
            })
            .await
    }

    /// Suggestions: completions from titles and authors, then hot keywords with this prefix.
    pub fn suggest(&self, q: &str, limit: usize) -> Vec<(String, bool)> {
        let hot = self.hot.read().unwrap_or_else(|p| p.into_inner()).clone();
        let completions = self.index().complete(q, limit);
        let mut out: Vec<(String, bool)> = completions
            .iter()
            .map(|(raw, norm)| (raw.clone(), hot.contains(norm)))
            .collect();
        for word in hot.iter().filter(|w| w.starts_with(q)) {
            if out.len() >= limit {
                break;
            }
            if !completions.iter().any(|(_, norm)| norm == word) {
                out.push((word.clone(), true));
            }
        }
        out.truncate(limit);
        out
    }

    /// Counts a page-1 search toward the hot keywords: once per searcher per day.
    pub async fn count(
        &self,
        db: &impl ConnectionTrait,
        keyword: &str,
        searcher: &str,
    ) -> ServiceResult<()> {
        let day = Utc::now().date_naive();
        let key = (keyword.to_owned(), searcher.to_owned(), day);
        if self.counted.contains_key(&key) {
            return Ok(());
        }
        let now = Utc::now();
        let row = search_keyword::ActiveModel {
            keyword: Set(keyword.to_owned()),
            count: Set(0),
            updated_at: Set(now),
            ..Default::default()
        };
        crate::db::insert_ignore(db, [row]).await?;
        let id: Option<i64> = search_keyword::Entity::find()
            .select_only()
            .column(search_keyword::Column::Id)
            .filter(search_keyword::Column::Keyword.eq(keyword))
            .into_tuple()
            .one(db)
            .await?;
        let id = id.ok_or_else(|| ServiceError::Internal("keyword vanished".into()))?;
        let hit = search_keyword_hit::ActiveModel {
            keyword_id: Set(id),
            searcher: Set(searcher.chars().take(64).collect()),
            day: Set(day),
        };
        if crate::db::insert_ignore(db, [hit]).await? == 1 {
            search_keyword::Entity::update_many()
                .col_expr(
                    search_keyword::Column::Count,
                    Expr::col(search_keyword::Column::Count).add(1),
                )
                .col_expr(search_keyword::Column::UpdatedAt, Expr::value(now))
                .filter(search_keyword::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
        self.counted.insert(key, ()).await;
        Ok(())
    }
}

/// The most searched keywords.
pub async fn hot_keywords(
    db: &impl ConnectionTrait,
    limit: u64,
) -> ServiceResult<Vec<(String, i64)>> {
    Ok(search_keyword::Entity::find()
        .select_only()
        .column(search_keyword::Column::Keyword)
        .column(search_keyword::Column::Count)
        .filter(search_keyword::Column::Count.gt(0))
        .order_by_desc(search_keyword::Column::Count)
        .order_by_asc(search_keyword::Column::Keyword)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_width_script_and_case() {
        assert_eq!(normalize("  鬥破蒼穹 "), "斗破苍穹");
        assert_eq!(normalize("ＤＰＣＱ"), "dpcq");
        assert_eq!(normalize("Dou  Po"), "dou po");
    }

    #[test]
    fn pinyin_full_and_initials() {
        assert_eq!(
            pinyin_keys("斗破苍穹"),
            ("doupocangqiong".to_owned(), "dpcq".to_owned())
        );
        assert_eq!(pinyin_keys("第3部"), ("di3bu".to_owned(), "d3b".to_owned()));
    }
}
