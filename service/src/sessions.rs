//! Live login sessions cached per instance, kept honest by a revocation feed in the database.
//!
//! An authenticated request needs to know that its session was not ended. Reading the session
//! row every time costs a query per request; instead each instance keeps the sessions it has
//! seen live, and follows `session_revocations` (by id, like `catalog_version`) every
//! `POLL`. A logout, a refresh-token reuse or an account deletion takes effect at once on
//! the instance that handled it and within `BOUND` (1 s) everywhere else. When the feed
//! cannot be read for longer than the bound, the cache is not trusted: every request reads
//! the session row again until the feed is back.
//!
//! Ids are handed out at insert, not at commit: a revoking transaction that got id N can
//! commit after one that got N + 1 (an account deletion waiting on a row lock). So the ids
//! the feed skipped are read again on every poll for `LATE`, longer than any transaction
//! lives (the request deadline ends it), until they appear.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::session_revocation;
use moka::future::Cache;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// How stale this instance's view of revocations may be.
pub const BOUND: Duration = Duration::from_secs(1);
/// How often the feed is read (well inside the bound).
const POLL: Duration = Duration::from_millis(200);
/// How long a cached or revoked entry is remembered; feed rows older than this are deleted.
const MEMORY: Duration = Duration::from_secs(600);
/// How long a skipped id is looked for again (a rolled-back insert leaves one for good).
const LATE: Duration = Duration::from_secs(60);
/// Skipped ids looked for at once; past it the oldest are given up (and logged).
const MAX_GAPS: usize = 2_000;

#[derive(Debug, Clone, Copy)]
struct Live {
    user_id: i64,
    expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct SessionCache {
    live: Cache<i64, Live>,
    /// Revoked here or seen in the feed: a check that was already under way when the
    /// revocation arrived must not put the session back.
    revoked_sessions: Cache<i64, ()>,
    revoked_users: Cache<i64, ()>,
    feed: Arc<Feed>,
}

struct Feed {
    last_id: AtomicI64,
    /// Ids below `last_id` not seen yet, each looked for until its instant.
    gaps: std::sync::Mutex<Vec<(i64, Instant)>>,
    /// When the feed was last read successfully (`None`: not yet).
    read_at: std::sync::Mutex<Option<Instant>>,
}

impl Default for SessionCache {
    fn default() -> Self {
        Self {
            live: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(MEMORY)
                .support_invalidation_closures()
                .build(),
            revoked_sessions: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(MEMORY)
                .build(),
            revoked_users: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(MEMORY)
                .build(),
            feed: Arc::new(Feed {
                last_id: AtomicI64::new(0),
                gaps: std::sync::Mutex::new(Vec::new()),
                read_at: std::sync::Mutex::new(None),
            }),
        }
    }
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("live", &self.live.entry_count())
            .finish_non_exhaustive()
    }
}

impl SessionCache {
    /// True while the feed has been read within the bound.
    fn trusted(&self) -> bool {
        self.feed
            .read_at
            .lock()
            .map(|t| t.is_some_and(|t| t.elapsed() < BOUND))
            .unwrap_or(false)
    }

    /// The session's owner if this instance knows it to be live.
    pub async fn check(&self, session_id: i64, user_id: i64, now: DateTime<Utc>) -> bool {
        if !self.trusted() {
            return false;
        }
        let Some(live) = self.live.get(&session_id).await else {
            return false;
        };
        live.user_id == user_id
            && live.expires_at > now
            && !self.revoked_sessions.contains_key(&session_id)
            && !self.revoked_users.contains_key(&user_id)
    }

    /// Remembers a session just read live from the database.
    pub async fn remember(&self, session_id: i64, user_id: i64, expires_at: DateTime<Utc>) {
        if self.revoked_sessions.contains_key(&session_id)
            || self.revoked_users.contains_key(&user_id)
        {
            return;
        }
        self.live
            .insert(
                session_id,
                Live {
                    user_id,
                    expires_at,
                },
            )
            .await;
    }

    /// Applies a revocation on this instance at once.
    pub async fn forget(&self, session_id: Option<i64>, user_id: Option<i64>) {
        if let Some(sid) = session_id {
            self.revoked_sessions.insert(sid, ()).await;
            self.live.invalidate(&sid).await;
        }
        if let Some(uid) = user_id.filter(|_| session_id.is_none()) {
            self.revoked_users.insert(uid, ()).await;
            let _ = self
                .live
                .invalidate_entries_if(move |_, l| l.user_id == uid);
        }
    }

    /// Follows the feed until the process ends.
    pub fn spawn_watcher(&self, db: DatabaseConnection) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            let mut since_cleanup = 0u32;
            loop {
                tick.tick().await;
                // Bounded: a poll that hangs on a silent database would stop following the
                // feed without ever falling back to checking sessions in the database.
                match crate::db::bounded(POLL * 3, this.poll(&db)).await {
                    Ok(()) => {
                        if failing {
                            tracing::info!("revocation feed readable again");
                        }
                        failing = false;
                    }
                    Err(e) if crate::db::pool_closed(&e) => return,
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "cannot read the revocation feed: checking every session in the database until it is back");
                        }
                        failing = true;
                    }
                }
                since_cleanup += 1;
                if since_cleanup >= 300 {
                    since_cleanup = 0;
                    let cutoff =
                        Utc::now() - chrono::Duration::from_std(MEMORY).unwrap_or_default();
                    let _ = session_revocation::Entity::delete_many()
                        .filter(session_revocation::Column::CreatedAt.lt(cutoff))
                        .exec(&db)
                        .await;
                }
            }
        });
    }

    async fn poll(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let started = Instant::now();
        let first = self
            .feed
            .read_at
            .lock()
            .map(|t| t.is_none())
            .unwrap_or(true);
        if first {
            // Only what happens from now on matters: sessions are not cached yet.
            let max: Option<Option<i64>> = session_revocation::Entity::find()
                .select_only()
                .column_as(session_revocation::Column::Id.max(), "m")
                .into_tuple()
                .one(db)
                .await?;
            self.feed
                .last_id
                .store(max.flatten().unwrap_or(0), Ordering::SeqCst);
        } else {
            loop {
                let after = self.feed.last_id.load(Ordering::SeqCst);
                let gaps = self.open_gaps();
                let rows = session_revocation::Entity::find()
                    .filter(
                        Condition::any()
                            .add(session_revocation::Column::Id.gt(after))
                            .add(session_revocation::Column::Id.is_in(gaps)),
                    )
                    .order_by_asc(session_revocation::Column::Id)
                    .limit(1000)
                    .all(db)
                    .await?;
                let mut seen = after;
                let (mut filled, mut skipped) = (Vec::new(), Vec::new());
                for r in &rows {
                    self.forget(r.session_id, r.user_id).await;
                    if r.id <= after {
                        filled.push(r.id);
                    } else {
                        // Bounded: a jump in the ids (a changed auto-increment) is no list.
                        let from = (seen + 1).max(r.id.saturating_sub(MAX_GAPS as i64));
                        skipped.extend(from..r.id);
                        seen = r.id;
                    }
                }
                self.note_gaps(&filled, &skipped);
                self.feed.last_id.store(seen, Ordering::SeqCst);
                if rows.len() < 1000 {
                    break;
                }
            }
        }
        if let Ok(mut t) = self.feed.read_at.lock() {
            *t = Some(started);
        }
        Ok(())
    }

    /// The skipped ids still looked for (expired ones dropped).
    fn open_gaps(&self) -> Vec<i64> {
        let Ok(mut gaps) = self.feed.gaps.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        gaps.retain(|(_, until)| *until > now);
        gaps.iter().map(|(id, _)| *id).collect()
    }

    /// Drops the gaps that appeared and adds the ids this read skipped.
    fn note_gaps(&self, filled: &[i64], skipped: &[i64]) {
        let Ok(mut gaps) = self.feed.gaps.lock() else {
            return;
        };
        gaps.retain(|(id, _)| !filled.contains(id));
        let until = Instant::now() + LATE;
        gaps.extend(skipped.iter().map(|id| (*id, until)));
        if gaps.len() > MAX_GAPS {
            let over = gaps.len() - MAX_GAPS;
            tracing::warn!(
                given_up = over,
                "too many skipped revocation ids: the oldest are no longer looked for"
            );
            gaps.drain(..over);
        }
    }
}

/// Writes revocations to the feed (in the caller's transaction).
pub async fn publish(
    db: &impl ConnectionTrait,
    session_ids: &[i64],
    user_id: Option<i64>,
) -> Result<(), sea_orm::DbErr> {
    let now = crate::db::now_micros();
    let mut rows: Vec<session_revocation::ActiveModel> = session_ids
        .iter()
        .map(|sid| session_revocation::ActiveModel {
            id: NotSet,
            session_id: Set(Some(*sid)),
            user_id: Set(None),
            created_at: Set(now),
        })
        .collect();
    if let Some(uid) = user_id {
        rows.push(session_revocation::ActiveModel {
            id: NotSet,
            session_id: Set(None),
            user_id: Set(Some(uid)),
            created_at: Set(now),
        });
    }
    if !rows.is_empty() {
        session_revocation::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
