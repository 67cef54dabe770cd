//! In-process caches for hot, rarely changing catalog reads, bounded in size and time, and
//! dropped on every instance when an import moves the shared catalog version.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use moka::future::Cache;
use sea_orm::ConnectionTrait;
use tokio::task::JoinHandle;

use crate::ServiceResult;
use crate::auth::unshare;
use crate::catalog::{
    self, CategoryNode, Channel, ChapterMeta, ChapterText, NovelDetail, NovelFilter, NovelSummary,
    RankingKind, SortOrder,
};
use crate::catalog_version::Versions;
use crate::chapter_batch::ChapterBatches;
use crate::page::{PageRequest, Paged};

const TTL: Duration = Duration::from_secs(60);

type RankingKey = (RankingKind, Option<Channel>, u64);
type NovelPageKey = (NovelFilter, PageRequest);
type ChapterPageKey = (i64, SortOrder, PageRequest);

#[derive(Clone)]
pub struct CatalogCache {
    categories: Cache<Option<Channel>, Arc<Vec<CategoryNode>>>,
    details: Cache<i64, Arc<NovelDetail>>,
    chapters: Cache<(i64, i64), Arc<ChapterText>>,
    rankings: Cache<RankingKey, Arc<Vec<NovelSummary>>>,
    novel_pages: Cache<NovelPageKey, Arc<Paged<NovelSummary>>>,
    chapter_pages: Cache<ChapterPageKey, Arc<Paged<ChapterMeta>>>,
    summaries: Cache<i64, Arc<NovelSummary>>,
    version: Arc<AtomicI64>,
}

impl Default for CatalogCache {
    fn default() -> Self {
        Self {
            categories: Cache::builder().max_capacity(8).time_to_live(TTL).build(),
            details: Cache::builder()
                .max_capacity(20_000)
                .time_to_live(TTL)
                .build(),
            // Weighted by text size: at most ~64 MiB of chapter text.
            chapters: Cache::builder()
                .weigher(|_, v: &Arc<ChapterText>| {
                    u32::try_from(v.content.len() + 256).unwrap_or(u32::MAX)
                })
                .max_capacity(64 * 1024 * 1024)
                .time_to_live(TTL)
                .build(),
            rankings: Cache::builder().max_capacity(512).time_to_live(TTL).build(),
            novel_pages: Cache::builder()
                .max_capacity(4_096)
                .time_to_live(TTL)
                .build(),
            chapter_pages: Cache::builder()
                .max_capacity(8_192)
                .time_to_live(TTL)
                .build(),
            summaries: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(TTL)
                .build(),
            version: Arc::new(AtomicI64::new(-1)),
        }
    }
}

impl CatalogCache {
    pub async fn categories(
        &self,
        db: &impl ConnectionTrait,
        channel: Option<Channel>,
    ) -> ServiceResult<Arc<Vec<CategoryNode>>> {
        cached(&self.categories, "categories", channel, async {
            Ok(Arc::new(catalog::categories(db, channel).await?))
        })
        .await
    }

    pub async fn novel_detail(
        &self,
        db: &impl ConnectionTrait,
        id: i64,
    ) -> ServiceResult<Arc<NovelDetail>> {
        cached(&self.details, "details", id, async {
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
        cached(&self.chapters, "chapters", (novel_id, chapter_id), load).await
    }

    /// A chapter only if it is cached (counted as a hit or a miss), for a caller that loads a
    /// miss its own way and then `put_chapter`s it.
    pub async fn cached_chapter(&self, novel_id: i64, chapter_id: i64) -> Option<Arc<ChapterText>> {
        let found = self.chapters.get(&(novel_id, chapter_id)).await;
        crate::metrics::catalog_cache("chapters", found.is_some());
        found
    }

    pub async fn put_chapter(&self, text: Arc<ChapterText>) {
        let key = (text.meta.novel_id, text.meta.id);
        self.chapters.insert(key, text).await;
    }

    pub async fn ranking(
        &self,
        db: &impl ConnectionTrait,
        kind: RankingKind,
        channel: Option<Channel>,
        limit: u64,
    ) -> ServiceResult<Arc<Vec<NovelSummary>>> {
        cached(&self.rankings, "rankings", (kind, channel, limit), async {
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
        cached(
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
        cached(
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
    ) -> ServiceResult<Vec<NovelSummary>> {
        let mut found: HashMap<i64, Arc<NovelSummary>> = HashMap::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.summaries.get(id).await {
                Some(s) => {
                    found.insert(*id, s);
                }
                None => missing.push(*id),
            }
        }
        crate::metrics::catalog_cache_many(
            "summaries",
            (ids.len() - missing.len()) as u64,
            missing.len() as u64,
        );
        for s in catalog::summaries_by_ids(db, &missing).await? {
            let s = Arc::new(s);
            self.summaries.insert(s.id, s.clone()).await;
            found.insert(s.id, s);
        }
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).map(|s| (**s).clone()))
            .collect())
    }

    pub fn clear(&self) {
        self.categories.invalidate_all();
        self.details.invalidate_all();
        self.chapters.invalidate_all();
        self.rankings.invalidate_all();
        self.novel_pages.invalidate_all();
        self.chapter_pages.invalidate_all();
        self.summaries.invalidate_all();
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

/// A cache lookup that counts hits and misses (a caller that waited for another caller's
/// load counts as a hit: it cost no query).
async fn cached<K, V>(
    cache: &Cache<K, V>,
    name: &'static str,
    key: K,
    load: impl Future<Output = ServiceResult<V>>,
) -> ServiceResult<V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    let missed = AtomicBool::new(false);
    let value = cache
        .try_get_with(key, async {
            missed.store(true, Ordering::Relaxed);
            load.await
        })
        .await
        .map_err(unshare);
    crate::metrics::catalog_cache(name, !missed.load(Ordering::Relaxed));
    value
}
