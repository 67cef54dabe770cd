//! Hot keywords are statistics, not reader data. A page-1 search that found something is
//! counted in memory — once per searcher, keyword and day — and a background task writes the
//! counts to the database in batches. `/search/hot` and the suggestions' `is_hot` read an
//! in-memory list, refreshed after each flush and on every catalog poll. A crash loses the
//! counts noted since the last flush (`HOT_KEYWORDS_FLUSH_MS`, 5 s by default); nothing else.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use chrono::{NaiveDate, Utc};
use entity::{search_keyword, search_keyword_hit};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::index::{is_invisible, normalize};
use crate::{ServiceError, ServiceResult};

/// Distinct (keyword, searcher) pairs waiting for a flush at most; the excess is not counted
/// and the flush logs how many were dropped.
pub const MAX_PENDING: usize = 100_000;
/// Pairs remembered as already counted today (8 bytes each); past this the memory starts over
/// (the database still refuses a second count).
const MAX_SEEN: usize = 1_000_000;
/// Hot keywords kept in memory (for `/search/hot`, at most 50, and the suggestions).
const LIST_SIZE: usize = 200;
/// Rows per statement.
const CHUNK: usize = 500;

/// Who searched, for "once per searcher per keyword per day".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Searcher {
    Reader(i64),
    /// An anonymous client, by address.
    Address(IpAddr),
    /// An anonymous client whose address is unknown (they all count as one).
    Anonymous,
}

impl Searcher {
    /// The key stored in `search_keyword_hits.searcher`.
    pub fn key(&self) -> String {
        match self {
            Self::Reader(id) => crate::account::searcher_key(*id),
            Self::Address(ip) => format!("ip:{ip}"),
            Self::Anonymous => "anonymous".into(),
        }
    }
}

/// Words an operator never wants to see among the hot keywords: a keyword that contains one
/// (both normalised, spaces ignored) is neither counted nor shown.
#[derive(Debug, Default)]
pub struct Blocklist {
    path: Option<PathBuf>,
    /// (modified, length) of the file when read: a change means reload.
    stamp: Option<(SystemTime, u64)>,
    words: Vec<String>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn without_spaces(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Blocklist {
    /// Reads a UTF-8 file, one word per line; blank lines and lines starting with `#` are
    /// skipped.
    pub fn load(path: &Path) -> ServiceResult<Self> {
        let unreadable = |e: std::io::Error| {
            ServiceError::Internal(format!(
                "cannot read the hot-keyword blocklist {}: {e}",
                path.display()
            ))
        };
        let stamp = stamp(path);
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        let mut words: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|w| without_spaces(&normalize(w)))
            .filter(|w| !w.is_empty())
            .collect();
        words.sort();
        words.dedup();
        Ok(Self {
            path: Some(path.to_owned()),
            stamp,
            words,
        })
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn blocks(&self, keyword: &str) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let keyword = without_spaces(keyword);
        self.words.iter().any(|w| keyword.contains(w.as_str()))
    }

    /// The file again when it changed since it was read.
    fn reloaded(&self) -> Option<ServiceResult<Self>> {
        let path = self.path.as_ref()?;
        (stamp(path) != self.stamp).then(|| Self::load(path))
    }
}

struct Pending {
    keyword: String,
    searcher: String,
    day: NaiveDate,
}

struct Tally {
    day: NaiveDate,
    /// (keyword, searcher) already counted today by this instance, as keyed hashes.
    seen: HashSet<u64>,
    pending: Vec<Pending>,
}

struct Inner {
    tally: Mutex<Tally>,
    /// Random keys: nobody can craft a keyword whose hash hides another one's.
    hasher: std::hash::RandomState,
    dropped: AtomicU64,
    list: RwLock<Arc<Vec<(String, i64)>>>,
    blocklist: RwLock<Arc<Blocklist>>,
    pruned_on: Mutex<Option<NaiveDate>>,
    /// One flush at a time (the background task and the shutdown hook).
    flushing: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The hot-keyword counter and list; cheap to clone.
#[derive(Clone)]
pub struct HotKeywords {
    inner: Arc<Inner>,
}

impl HotKeywords {
    pub fn new(blocklist: Blocklist) -> Self {
        Self {
            inner: Arc::new(Inner {
                tally: Mutex::new(Tally {
                    day: Utc::now().date_naive(),
                    seen: HashSet::new(),
                    pending: Vec::new(),
                }),
                hasher: std::hash::RandomState::new(),
                dropped: AtomicU64::new(0),
                list: RwLock::default(),
                blocklist: RwLock::new(Arc::new(blocklist)),
                pruned_on: Mutex::new(None),
                flushing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn blocklist(&self) -> Arc<Blocklist> {
        self.inner
            .blocklist
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Public text: some letter or digit, nothing invisible or undecodable, nothing blocked.
    fn presentable(&self, keyword: &str, blocklist: &Blocklist) -> bool {
        keyword.chars().any(char::is_alphanumeric)
            && !keyword
                .chars()
                .any(|c| is_invisible(c) || c == char::REPLACEMENT_CHARACTER)
            && !blocklist.blocks(keyword)
    }

    /// Counts a normalised keyword for a searcher (once a day), in memory.
    pub fn note(&self, keyword: &str, searcher: &Searcher) {
        if !self.presentable(keyword, &self.blocklist()) {
            return;
        }
        let day = Utc::now().date_naive();
        let searcher = searcher.key();
        let mut tally = lock(&self.inner.tally);
        if tally.day != day {
            tally.day = day;
            tally.seen.clear();
        }
        if tally.seen.len() >= MAX_SEEN {
            tally.seen.clear();
        }
        let pair = self.inner.hasher.hash_one((keyword, searcher.as_str()));
        if !tally.seen.insert(pair) {
            return;
        }
        if tally.pending.len() >= MAX_PENDING {
            self.inner.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        tally.pending.push(Pending {
            keyword: keyword.to_owned(),
            searcher,
            day,
        });
    }

    /// The hottest keywords, hottest first.
    pub fn top(&self, limit: usize) -> Vec<(String, i64)> {
        self.list().iter().take(limit).cloned().collect()
    }

    pub fn list(&self) -> Arc<Vec<(String, i64)>> {
        self.inner
            .list
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-reads the blocklist if its file changed, and the hot list from the database.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> ServiceResult<()> {
        if let Some(fresh) = self.blocklist().reloaded() {
            match fresh {
                Ok(b) => {
                    tracing::info!(words = b.len(), "hot-keyword blocklist reloaded");
                    *self
                        .inner
                        .blocklist
                        .write()
                        .unwrap_or_else(|p| p.into_inner()) = Arc::new(b);
                }
                Err(e) => tracing::warn!(error = %e, "keeping the previous blocklist"),
            }
        }
        let blocklist = self.blocklist();
        // Extra rows: some may be hidden (blocked, or junk counted by an older version).
        let words: Vec<(String, i64)> = top_keywords(db, LIST_SIZE as u64 * 2)
            .await?
            .into_iter()
            .filter(|(k, _)| self.presentable(k, &blocklist))
            .take(LIST_SIZE)
            .collect();
        *self.inner.list.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(words);
        Ok(())
    }

    /// Writes the counts noted since the last flush, then refreshes the list. On failure the
    /// batch is kept for the next flush (within `MAX_PENDING`). Returns the counts added.
    pub async fn flush(&self, db: &DatabaseConnection) -> ServiceResult<u64> {
        let _one = self.inner.flushing.lock().await;
        let batch = std::mem::take(&mut lock(&self.inner.tally).pending);
        let dropped = self.inner.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                max = MAX_PENDING,
                "hot keywords: too many searches to count between two flushes; the excess was not counted"
            );
        }
        if batch.is_empty() {
            return Ok(0);
        }
        match write(db, &batch).await {
            Ok(added) => {
                self.prune(db).await;
                if let Err(e) = self.refresh(db).await {
                    tracing::debug!(error = %e, "hot keyword refresh failed");
                }
                Ok(added)
            }
            Err(e) => {
                let mut tally = lock(&self.inner.tally);
                let room = MAX_PENDING.saturating_sub(tally.pending.len());
                let lost = batch.len().saturating_sub(room);
                tally.pending.extend(batch.into_iter().take(room));
                if lost > 0 {
                    self.inner.dropped.fetch_add(lost as u64, Ordering::Relaxed);
                }
                Err(e)
            }
        }
    }

    /// Forgets hits before yesterday once a day: they only serve "once per day".
    async fn prune(&self, db: &impl ConnectionTrait) {
        let today = Utc::now().date_naive();
        {
            let mut pruned = lock(&self.inner.pruned_on);
            if *pruned == Some(today) {
                return;
            }
            *pruned = Some(today);
        }
        let Some(before) = today.pred_opt() else {
            return;
        };
        if let Err(e) = search_keyword_hit::Entity::delete_many()
            .filter(search_keyword_hit::Column::Day.lt(before))
            .exec(db)
            .await
        {
            tracing::debug!(error = %e, "pruning old keyword hits failed");
        }
    }

    /// Flushes every `every` until the runtime stops.
    pub fn spawn_flusher(
        &self,
        db: DatabaseConnection,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let hot = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = hot.flush(&db).await {
                    tracing::warn!(error = %e, "hot keyword flush failed; retrying later");
                }
            }
        })
    }
}

/// One batch: keywords created if new; the hits inserted unless already there (another
/// instance, an earlier batch); counts raised by the hits this batch really added, in one
/// transaction, so a failed batch can be retried whole.
async fn write(db: &DatabaseConnection, batch: &[Pending]) -> ServiceResult<u64> {
    let now = Utc::now();
    let mut keywords: Vec<&str> = batch.iter().map(|p| p.keyword.as_str()).collect();
    keywords.sort_unstable();
    keywords.dedup();
    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in keywords.chunks(CHUNK) {
        crate::db::insert_ignore(
            db,
            chunk.iter().map(|k| search_keyword::ActiveModel {
                keyword: Set((*k).to_owned()),
                count: Set(0),
                updated_at: Set(now),
                ..Default::default()
            }),
        )
        .await?;
        let rows: Vec<(i64, String)> = search_keyword::Entity::find()
            .select_only()
            .column(search_keyword::Column::Id)
            .column(search_keyword::Column::Keyword)
            .filter(search_keyword::Column::Keyword.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(rows.into_iter().map(|(id, k)| (k, id)));
    }
    let tag = rand::random::<i64>() & i64::MAX;
    let txn = db.begin().await?;
    for chunk in batch.chunks(CHUNK) {
        let rows: Vec<search_keyword_hit::ActiveModel> = chunk
            .iter()
            .filter_map(|p| {
                let id = ids.get(&p.keyword)?;
                Some(search_keyword_hit::ActiveModel {
                    keyword_id: Set(*id),
                    searcher: Set(p.searcher.chars().take(64).collect()),
                    day: Set(p.day),
                    batch: Set(Some(tag)),
                })
            })
            .collect();
        if !rows.is_empty() {
            crate::db::insert_ignore(&txn, rows).await?;
        }
    }
    let added: Vec<(i64, i64)> = search_keyword_hit::Entity::find()
        .select_only()
        .column(search_keyword_hit::Column::KeywordId)
        .column_as(
            Expr::col(search_keyword_hit::Column::KeywordId).count(),
            "n",
        )
        .filter(search_keyword_hit::Column::Batch.eq(tag))
        .group_by(search_keyword_hit::Column::KeywordId)
        .into_tuple()
        .all(&txn)
        .await?;
    let mut by_increment: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, n) in &added {
        by_increment.entry(*n).or_default().push(*id);
    }
    for (n, ids) in by_increment {
        for chunk in ids.chunks(CHUNK) {
            search_keyword::Entity::update_many()
                .col_expr(
                    search_keyword::Column::Count,
                    Expr::col(search_keyword::Column::Count).add(n),
                )
                .col_expr(search_keyword::Column::UpdatedAt, Expr::value(now))
                .filter(search_keyword::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(added.iter().map(|(_, n)| *n as u64).sum())
}

/// The most searched keywords in the database, unfiltered.
async fn top_keywords(db: &impl ConnectionTrait, limit: u64) -> ServiceResult<Vec<(String, i64)>> {
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
    fn only_presentable_keywords_are_noted() {
        let dir = tempfile_dir();
        let path = dir.join("blocklist.txt");
        std::fs::write(&path, "# operators' list\n\n  坏词 \n").unwrap();
        let hot = HotKeywords::new(Blocklist::load(&path).unwrap());
        let me = Searcher::Anonymous;
        for k in [
            "%",
            "",
            "\u{FFFD}",
            "a\u{202E}b",
            "有坏词的书",
            "坏 词",
            "斗破",
            "斗破",
        ] {
            hot.note(k, &me);
        }
        let tally = lock(&hot.inner.tally);
        let noted: Vec<&str> = tally.pending.iter().map(|p| p.keyword.as_str()).collect();
        assert_eq!(noted, ["斗破"]);
        drop(tally);
        assert!(Blocklist::load(&dir.join("missing.txt")).is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lit-hot-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
