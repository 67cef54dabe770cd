//! In-process caches for hot, rarely changing catalog reads, bounded in size and time, and
//! dropped on every instance when an import moves the shared catalog version.
//!
//! quick_cache rather than moka: a list page reads up to 100 summaries, and moka's per-read
//! bookkeeping (an access log drained by housekeeping on the reader's thread) cost about 1 µs
//! a read, a seventh of a search request's CPU. quick_cache's hit is a shard read lock and a
//! flag; it has no time-to-live, so entries carry their birth and are read as missing after
//! `TTL`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sea_orm::ConnectionTrait;
use tokio::task::JoinHandle;

use crate::catalog::{
    self, CategoryNode, Channel, ChapterMeta, ChapterText, NovelDetail, NovelFilter, NovelSummary,
    RankingKind, SortOrder,
};
use crate::catalog_version::Versions;
use crate::chapter_batch::ChapterBatches;
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

const TTL: Duration = Duration::from_secs(60);

type RankingKey = (RankingKind, Option<Channel>, u64);
type NovelPageKey = (NovelFilter, PageRequest);
type ChapterPageKey = (i64, SortOrder, PageRequest);

/// A cached value, when it was read, and the cache's generation when its read began.
#[derive(Clone)]
struct Aged<V> {
    born: Instant,
    generation: u64,
    value: V,
}

impl<V> Aged<V> {
    /// Younger than `TTL` and read since the last `clear`: a load that began before an import
    /// cleared the caches may insert what it read after the clear, and that is stale.
    fn fresh(&self, generation: &AtomicU64) -> bool {
        self.born.elapsed() < TTL && self.generation == generation.load(Ordering::Acquire)
    }
}

type Store<K, V, W = quick_cache::UnitWeighter> = Arc<Cache<K, Aged<V>, W>>;

/// Chapters weigh their text (and a little for the rest), so the cache holds ~64 MiB of it.
#[derive(Clone)]
struct TextWeight;

impl<K> Weighter<K, Aged<Arc<ChapterText>>> for TextWeight {
    fn weight(&self, _: &K, v: &Aged<Arc<ChapterText>>) -> u64 {
        v.value.content.len() as u64 + 256
    }
}

#[derive(Clone)]
pub struct CatalogCache {
    categories: Store<Option<Channel>, Arc<Vec<CategoryNode>>>,
    details: Store<i64, Arc<NovelDetail>>,
    chapters: Store<(i64, i64), Arc<ChapterText>, TextWeight>,
    rankings: Store<RankingKey, Arc<Vec<NovelSummary>>>,
    novel_pages: Store<NovelPageKey, Arc<Paged<NovelSummary>>>,
    chapter_pages: Store<ChapterPageKey, Arc<Paged<ChapterMeta>>>,
    summaries: Store<i64, Arc<NovelSummary>>,
    version: Arc<AtomicI64>,
    /// Moves on every `clear`; entries of an older generation read as missing.
    generation: Arc<AtomicU64>,
}

fn sized<K: Eq + std::hash::Hash, V: Clone>(items: usize) -> Store<K, V> {
    Arc::new(Cache::new(items))
}

impl Default for CatalogCache {
    fn default() -> Self {
        Self {
            categories: sized(8),
            details: sized(20_000),
            chapters: Arc::new(Cache::with_weighter(32_768, 64 * 1024 * 1024, TextWeight)),
            rankings: sized(512),
            novel_pages: sized(4_096),
            chapter_pages: sized(8_192),
            summaries: sized(50_000),
            version: Arc::new(AtomicI64::new(-1)),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl CatalogCache {
    pub async fn categories(
        &self,
        db: &impl ConnectionTrait,
        channel: Option<Channel>,
    ) -> ServiceResult<Arc<Vec<CategoryNode>>> {
        self.cached(&self.categories, "categories", channel, async {
            Ok(Arc::new(catalog::categories(db, channel).await?))
        })
        .await
    }

    pub async fn novel_detail(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> ServiceResult<Arc<NovelDetail>> {
        self.cached(&self.details, "details", id, async {
            Ok(Arc::new(catalog::novel_detail(db, id).await?))
        })
        .await
    }

    /// A chapter; misses are read by `batches`, together with other readers' misses.
    pub async fn chapter(
        &self,
        batches: &ChapterBatches,
        novel_id: i64,
        chapter_id: i64,
    ) -> ServiceResult<Arc<ChapterText>> {
        let load = batches.load(novel_id, chapter_id);
        self.cached(&self.chapters, "chapters", (novel_id, chapter_id), load)
            .await
    }

    pub async fn ranking(
        &self,
        db: &impl ConnectionTrait,
        kind: RankingKind,
        channel: Option<Channel>,
        limit: u64,
    ) -> ServiceResult<Arc<Vec<NovelSummary>>> {
        self.cached(&self.rankings, "rankings", (kind, channel, limit), async {
            Ok(Arc::new(catalog::ranking(db, kind, channel, limit).await?))
        })
        .await
    }

    /// A page of `GET /novels`.
    pub async fn novels(
        &self,
        db: &impl ConnectionTrait,
        filter: &NovelFilter,
        page: PageRequest,
    ) -> ServiceResult<Arc<Paged<NovelSummary>>> {
        self.cached(
            &self.novel_pages,
            "novel_pages",
            (filter.clone(), page),
            async { Ok(Arc::new(catalog::list_novels(db, filter, page).await?)) },
        )
        .await
    }

    /// A page of a novel's table of contents.
    pub async fn chapters(
        &self,
        db: &impl ConnectionTrait,
        novel_id: i64,
        order: SortOrder,
        page: PageRequest,
    ) -> ServiceResult<Arc<Paged<ChapterMeta>>> {
        self.cached(
            &self.chapter_pages,
            "chapter_pages",
            (novel_id, order, page),
            async {
                Ok(Arc::new(
                    catalog::list_chapters(db, novel_id, order, page).await?,
                ))
            },
        )
        .await
    }

    /// Summaries of these novels, in this order: cached ones from memory, the rest with one
    /// query (missing ids are skipped).
    pub async fn summaries(
        &self,
        db: &impl ConnectionTrait,
        ids: &[i64],
    ) -> ServiceResult<Vec<Arc<NovelSummary>>> {
        let mut found: Vec<Option<Arc<NovelSummary>>> = ids
            .iter()
            .map(|id| {
                let hit = self.summaries.get(id).filter(|a| a.fresh(&self.generation));
                hit.map(|aged| aged.value)
            })
            .collect();
        let missing: Vec<i64> = ids
            .iter()
            .zip(&found)
            .filter(|(_, hit)| hit.is_none())
            .map(|(id, _)| *id)
            .collect();
        crate::metrics::catalog_cache_many(
            "summaries",
            (ids.len() - missing.len()) as u64,
            missing.len() as u64,
        );
        if !missing.is_empty() {
            let generation = self.generation.load(Ordering::Acquire);
            let mut read: HashMap<i64, Arc<NovelSummary>> = HashMap::new();
            for s in catalog::summaries_by_ids(db, &missing).await? {
                let s = Arc::new(s);
                let born = Instant::now();
                let aged = Aged {
                    born,
                    generation,
                    value: s.clone(),
                };
                self.summaries.insert(s.id, aged);
                read.insert(s.id, s);
            }
            for (id, slot) in ids.iter().zip(found.iter_mut()) {
                if slot.is_none() {
                    *slot = read.get(id).cloned();
                }
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.categories.clear();
        self.details.clear();
        self.chapters.clear();
        self.rankings.clear();
        self.novel_pages.clear();
        self.chapter_pages.clear();
        self.summaries.clear();
    }

    /// Drops everything whenever the catalog version moves (see `catalog_version`).
    pub fn follow(&self, mut versions: Versions) -> JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            while versions.changed().await.is_ok() {
                let Some(current) = *versions.borrow_and_update() else {
                    continue;
                };
                let seen = cache.version.swap(current, Ordering::SeqCst);
                if seen != current {
                    cache.clear();
                    // The first version seen is no change.
                    if seen != -1 {
                        tracing::info!("catalog changed: caches cleared");
                    }
                }
            }
        })
    }
}

impl CatalogCache {
    /// A cache lookup that counts hits and misses; readers missing the same key at once share
    /// one load (a reader that waited for another's load counts as a hit: it cost no query). A
    /// failed load is not cached: the next reader loads again.
    async fn cached<K, V, W>(
        &self,
        cache: &Cache<K, Aged<V>, W>,
        name: &'static str,
        key: K,
        load: impl Future<Output = ServiceResult<V>>,
    ) -> ServiceResult<V>
    where
        K: std::hash::Hash + Eq + Clone,
        V: Clone,
        W: Weighter<K, Aged<V>> + Clone,
    {
        if let Some(hit) = cache.get(&key) {
            if hit.fresh(&self.generation) {
                crate::metrics::catalog_cache(name, true);
                return Ok(hit.value);
            }
            cache.remove(&key);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let missed = AtomicBool::new(false);
        let value = cache
            .get_or_insert_async(&key, async {
                missed.store(true, Ordering::Relaxed);
                let value = load.await?;
                Ok::<_, ServiceError>(Aged {
                    born: Instant::now(),
                    generation,
                    value,
                })
            })
            .await
            .map(|aged| aged.value);
        crate::metrics::catalog_cache(name, !missed.load(Ordering::Relaxed));
        value
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// An import that clears the caches while a load is reading the old catalog: what that
    /// load read is not served afterwards. (Here quick_cache's own placeholder also drops the
    /// late insert; the generation is what guards `summaries`, which inserts by hand.)
    #[tokio::test]
    async fn a_load_that_began_before_a_clear_is_not_served_after_it() {
        let cache = CatalogCache::default();
        let loads = AtomicUsize::new(0);
        let load = |clear_meanwhile: bool| {
            let (cache, loads) = (&cache, &loads);
            async move {
                loads.fetch_add(1, Ordering::SeqCst);
                if clear_meanwhile {
                    cache.clear();
                }
                Ok(Arc::new(Vec::new()))
            }
        };
        let key = None;
        cache
            .cached(&cache.categories, "t", key, load(true))
            .await
            .ok();
        cache
            .cached(&cache.categories, "t", key, load(false))
            .await
            .ok();
        assert_eq!(
            loads.load(Ordering::SeqCst),
            2,
            "the stale entry was served"
        );
        cache
            .cached(&cache.categories, "t", key, load(false))
            .await
            .ok();
        assert_eq!(loads.load(Ordering::SeqCst), 2, "a fresh entry is served");
    }
}
