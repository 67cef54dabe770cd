//! Search for Chinese readers: an in-process index of titles and authors (normalised text,
//! pinyin with every reading of polyphonic characters), rebuilt from the database at start and
//! whenever an import moves the catalog version, and the hot keywords. Ranking is tiered:
//! exact title/author, title prefix, title contains, author contains, pinyin, then — when those
//! are few — partial matches; ties by heat. Every handler is one call here.

#[cfg(test)]
mod bench;
pub mod hot;
mod index;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use entity::novel;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect};
use tokio::task::JoinHandle;

pub use hot::{Blocklist, HotKeywords, Searcher};
pub use index::{
    MAX_QUERY_CHARS, MAX_SPELLINGS, MatchKind, Matches, PARTIAL_BELOW, SearchIndex, is_invisible,
    normalize,
};

use crate::ServiceResult;
use crate::catalog::NovelSummary;
use crate::catalog_cache::CatalogCache;
use crate::catalog_version::Versions;
use crate::page::{PageRequest, Paged};

/// A search result: the novel and why it matched.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub novel: Arc<NovelSummary>,
    pub kind: MatchKind,
}

/// The single-screen result of the original app.
#[derive(Debug, Clone)]
pub struct Overview {
    pub exact: Option<Arc<NovelSummary>>,
    /// Up to 5 other matches (partial ones when the strict ones are few).
    pub matches: Vec<Arc<NovelSummary>>,
    /// Up to 4 hot novels from the best hit's top-level category (or overall).
    pub recommendations: Vec<Arc<NovelSummary>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub keyword: String,
    pub is_hot: bool,
}

/// The normalised query: empty, blank, or over 64 characters (as sent or once normalised —
/// NFKC can expand a character) is invalid.
pub fn parse_query(raw: &str) -> ServiceResult<String> {
    let too_long = |when: &str| {
        crate::ServiceError::invalid(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters{when}"),
        )
    };
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(too_long(""));
    }
    let q = normalize(raw);
    if q.is_empty() {
        return Err(crate::ServiceError::invalid("q", "must not be empty"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(too_long(" once normalised"));
    }
    Ok(q)
}

/// Loads the novels, hottest first, and builds an index.
async fn build_index(db: &impl ConnectionTrait) -> ServiceResult<SearchIndex> {
    let version = crate::catalog_version::read(db).await?;
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
    let started = std::time::Instant::now();
    // CPU-bound work (normalising, pinyin, sorting): off the async workers.
    let index = tokio::task::spawn_blocking(move || SearchIndex::from_rows(version, rows))
        .await
        .map_err(|e| crate::ServiceError::Internal(format!("index build panicked: {e}")))??;
    tracing::info!(
        novels = index.len(),
        ms = started.elapsed().as_millis() as u64,
        mib = index.heap_bytes() / (1 << 20),
        phases = ?index.build_phases,
        "search index built"
    );
    Ok(index)
}

/// The live index and the hot keywords shared by the handlers; cheap to clone.
#[derive(Clone)]
pub struct Search {
    index: Arc<RwLock<Arc<SearchIndex>>>,
    pub hot: HotKeywords,
}

impl Search {
    /// Builds the index and reads the hot keywords; `blocklist` names the operator's file of
    /// words never shown among them (unreadable → error).
    pub async fn build(db: &impl ConnectionTrait, blocklist: Option<&Path>) -> ServiceResult<Self> {
        let blocklist = match blocklist {
            Some(path) => Blocklist::load(path)?,
            None => Blocklist::default(),
        };
        let search = Self {
            index: Arc::new(RwLock::new(Arc::new(build_index(db).await?))),
            hot: HotKeywords::new(blocklist),
        };
        search.hot.refresh(db).await?;
        Ok(search)
    }

    pub fn index(&self) -> Arc<SearchIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keeps the index at the catalog version `versions` publishes (a failed rebuild is tried
    /// again every `every`) and the hot list fresh (every `every`).
    pub fn follow(
        &self,
        db: DatabaseConnection,
        mut versions: Versions,
        every: Duration,
    ) -> JoinHandle<()> {
        let search = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            // A long import moves the version at every novel: a rebuild starts at most once
            // per three durations of the last one, so rebuilding takes at most a quarter of
            // the time (at 100k novels, one 2.5 s build per 10 s) and the index trails such an
            // import by that much at most.
            let mut next_build = tokio::time::Instant::now();
            loop {
                tokio::select! {
                    changed = versions.changed() => if changed.is_err() {
                        break;
                    },
                    _ = tick.tick() => {
                        if let Err(e) = search.hot.refresh(&db).await {
                            tracing::debug!(error = %e, "hot keyword refresh failed");
                        }
                    }
                }
                if versions
                    .borrow()
                    .is_some_and(|v| v != search.index().version)
                {
                    tokio::time::sleep_until(next_build).await;
                    versions.borrow_and_update();
                    let started = tokio::time::Instant::now();
                    let built = build_index(&db).await;
                    next_build = started + started.elapsed() * 4;
                    match built {
                        Ok(fresh) => {
                            *search.index.write().unwrap_or_else(|p| p.into_inner()) =
                                Arc::new(fresh);
                        }
                        Err(e) => tracing::warn!(error = %e, "search index refresh failed"),
                    }
                }
            }
        })
    }

    /// Writes the hot-keyword counts noted so far (call it on shutdown too).
    pub async fn flush(&self, db: &DatabaseConnection) -> ServiceResult<u64> {
        self.hot.flush(db).await
    }

    /// `GET /search`: a page of ranked hits with the exact total. Page 1 of a search that found
    /// something counts toward the hot keywords.
    pub async fn page(
        &self,
        db: &impl ConnectionTrait,
        catalog: &CatalogCache,
        q: &str,
        page: PageRequest,
        searcher: &Searcher,
    ) -> ServiceResult<Paged<SearchHit>> {
        let q = parse_query(q)?;
        let index = self.index();
        let matches = index.search(&q);
        let total = matches.total() as u64;
        let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let hits = matches.hits(offset, page.per_page as usize);
        let kinds: HashMap<i64, MatchKind> = hits.iter().map(|(d, k)| (index.id(*d), *k)).collect();
        let ids: Vec<i64> = hits.iter().map(|(d, _)| index.id(*d)).collect();
        let items = catalog
            .summaries(db, &ids)
            .await?
            .into_iter()
            .map(|novel| SearchHit {
                kind: kinds.get(&novel.id).copied().unwrap_or(MatchKind::Title),
                novel,
            })
            .collect();
        if page.page == 1 && total > 0 {
            self.hot.note(&q, searcher);
        }
        Ok(Paged::new(items, page, total))
    }

    /// `GET /search/overview`: the exact hit, up to 5 close matches, and 4 hot novels of the
    /// best hit's category not shown already (overall when nothing matched).
    pub async fn overview(
        &self,
        db: &impl ConnectionTrait,
        catalog: &CatalogCache,
        q: &str,
    ) -> ServiceResult<Overview> {
        let q = parse_query(q)?;
        let index = self.index();
        let hits = index.search(&q).hits(0, 6);
        let exact = hits
            .first()
            .filter(|(_, k)| *k == MatchKind::Exact)
            .map(|(d, _)| *d);
        let matches: Vec<u32> = hits
            .iter()
            .map(|(d, _)| *d)
            .filter(|d| Some(*d) != exact)
            .take(5)
            .collect();
        let shown: Vec<u32> = matches.iter().copied().chain(exact).collect();
        let recommendations = index.hottest(hits.first().map(|(d, _)| *d), &shown, 4);
        let ids: Vec<i64> = shown
            .iter()
            .chain(&recommendations)
            .map(|d| index.id(*d))
            .collect();
        let by_id: HashMap<i64, Arc<NovelSummary>> = catalog
            .summaries(db, &ids)
            .await?
            .into_iter()
            .map(|n| (n.id, n))
            .collect();
        let pick = |docs: &[u32]| -> Vec<Arc<NovelSummary>> {
            docs.iter()
                .filter_map(|d| by_id.get(&index.id(*d)).cloned())
                .collect()
        };
        Ok(Overview {
            exact: exact.and_then(|d| by_id.get(&index.id(d)).cloned()),
            matches: pick(&matches),
            recommendations: pick(&recommendations),
        })
    }

    /// `GET /search/suggestions`: completions from titles and authors, then hot keywords with
    /// this prefix.
    pub fn suggestions(&self, q: &str, limit: usize) -> ServiceResult<Vec<Suggestion>> {
        let q = parse_query(q)?;
        let hot = self.hot.list();
        let is_hot = |k: &str| hot.iter().any(|(w, _)| w == k);
        let completions = self.index().complete(&q, limit);
        let mut out: Vec<Suggestion> = completions
            .iter()
            .map(|(raw, norm)| Suggestion {
                keyword: raw.clone(),
                is_hot: is_hot(norm),
            })
            .collect();
        for (word, _) in hot.iter().filter(|(w, _)| w.starts_with(&q)) {
            if out.len() >= limit {
                break;
            }
            if !completions.iter().any(|(_, norm)| norm == word) {
                out.push(Suggestion {
                    keyword: word.clone(),
                    is_hot: true,
                });
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    /// `GET /search/hot`: the most searched keywords, from memory.
    pub fn hot_keywords(&self, limit: usize) -> Vec<(String, i64)> {
        self.hot.top(limit)
    }
}
