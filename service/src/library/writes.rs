//! Progress writes, committed together: the writes of readers who turn a page at the same
//! moment share one transaction (one `BEGIN`, one `COMMIT`, one log flush and one pool
//! checkout) instead of one each. Every write is answered only after its transaction
//! committed, so a 2xx is as durable as before; nothing is written behind.
//!
//! Readers are split over `LANES` lanes by id, and a lane runs one transaction at a time: two
//! transactions of this instance never touch the same reader's rows, so they can't deadlock
//! on them. Within a transaction the writes run in (reader, novel) order, keeping their order
//! of arrival for the same novel; another instance's transactions take the same order. As with
//! batched reads, nothing waits for a batch to fill: a lane that is free starts at once, and
//! what arrives while it runs forms its next transaction.
//!
//! A write that fails on its own (an unknown novel, a chapter of another novel) fails alone.
//! A transaction that fails for another reason is run again write by write, each in its own
//! transaction, so that one bad write can't fail its neighbours; a database that doesn't
//! answer within the deadline fails them all with 503.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tokio::sync::{mpsc, oneshot};

use super::Progress;
use super::history::touch_history;
use super::progress::{
    ProgressWrite, Stored, Target, Winner, missing_target, read_for_writes, store_progress,
};
use super::shelf::mark_read;
use crate::auth::unshare;
use crate::db::{begin_write, with_retry};
use crate::{ServiceError, ServiceResult};

/// Transactions running at once (one per lane).
const LANES: usize = 4;
/// The most writes one transaction carries.
const MAX_BATCH: usize = 64;
/// Writes waiting in one lane; past it a write waits to be queued (a bound, not a drop).
const QUEUE: usize = 1024;

/// What a write does.
pub(super) enum Job {
    /// `PUT /progress`: store `write` if it is newer (`client_time` as ordered).
    Put {
        write: ProgressWrite,
        client_time: DateTime<Utc>,
    },
    /// A signed-in chapter read: move to the start of this chapter (by id).
    Touch(i64),
}

/// What a write answers.
pub(super) enum Done {
    Put(Progress),
    Touch(Option<Progress>),
}

type Answer = Result<Done, Arc<ServiceError>>;

struct Want {
    user_id: i64,
    novel_id: i64,
    /// The server's clock when the request came.
    now: DateTime<Utc>,
    job: Job,
    reply: oneshot::Sender<Answer>,
}

/// The handle requests use; cheap to clone. Its tasks end when the last handle is dropped.
#[derive(Clone)]
pub struct ProgressWrites {
    lanes: Arc<[mpsc::Sender<Want>]>,
}

impl ProgressWrites {
    /// Starts the lanes on `db` (the primary). A transaction still unfinished after `deadline`
    /// is dropped (its writes are not committed) and its writes answer 503.
    pub fn spawn(db: DatabaseConnection, deadline: Duration) -> Self {
        let lanes = (0..LANES)
            .map(|_| {
                let (wants, queue) = mpsc::channel(QUEUE);
                tokio::spawn(lane(db.clone(), queue, deadline));
                wants
            })
            .collect();
        Self { lanes }
    }

    /// Runs `job` for the reader in the novel; answers once it is committed (or failed). A
    /// request that gives up before its transaction starts is left out of it.
    pub(super) async fn run(
        &self,
        user_id: i64,
        novel_id: i64,
        now: DateTime<Utc>,
        job: Job,
    ) -> ServiceResult<Done> {
        let (reply, answer) = oneshot::channel();
        let want = Want {
            user_id,
            novel_id,
            now,
            job,
            reply,
        };
        let lane = &self.lanes[user_id.unsigned_abs() as usize % self.lanes.len()];
        let gone = || ServiceError::Unavailable("the progress writer stopped".into());
        lane.send(want).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(unshare)
    }
}

async fn lane(db: DatabaseConnection, mut queue: mpsc::Receiver<Want>, deadline: Duration) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(want) => batch.push(want),
                Err(_) => break,
            }
        }
        commit(&db, batch, deadline).await;
    }
}

/// A (reader, novel) pair's rows as the transaction goes: what its read found, then what its
/// writes so far made of it.
struct Pair {
    now: Stored,
    /// Set once a write of the transaction won: the novel's chapter count and the server's
    /// time of that write (for the shelf).
    moved: Option<(i32, DateTime<Utc>)>,
}

/// The wants in one transaction: each write's own outcome, or the transaction's failure. The
/// transaction reads once for all of them (one query), decides each write in order against
/// the rows as the earlier writes left them, then writes the pairs' final progress (one
/// conditional update of the rows already there, one insert of first writes), the history
/// and the shelf of the novels on it: one statement each whatever their number, so at most
/// five, and only the read when no write wins.
async fn together(
    db: &DatabaseConnection,
    batch: &[Want],
) -> ServiceResult<Vec<ServiceResult<Done>>> {
    with_retry(|| async {
        let txn = begin_write(db).await?;
        let done = run(&txn, batch).await?;
        txn.commit().await?;
        Ok(done)
    })
    .await
}

/// The chapter a want writes for.
fn chapter_of(want: &Want) -> i64 {
    match &want.job {
        Job::Put { write, .. } => write.chapter_id,
        Job::Touch(chapter_id) => *chapter_id,
    }
}

async fn run(
    txn: &impl ConnectionTrait,
    batch: &[Want],
) -> ServiceResult<Vec<ServiceResult<Done>>> {
    // The read: one query.
    let wants: Vec<(i64, i64, i64)> = batch
        .iter()
        .map(|w| (w.user_id, w.novel_id, chapter_of(w)))
        .collect();
    let found = read_for_writes(txn, &wants).await?;
    let mut pairs: BTreeMap<(i64, i64), Pair> = BTreeMap::new();
    for (want, found) in batch.iter().zip(&found) {
        // Every arm of a pair read the same rows (one statement, one snapshot); a want whose
        // chapter is not in its novel read none, and fails below.
        if let Some((_, stored)) = found {
            let key = (want.user_id, want.novel_id);
            pairs.entry(key).or_insert_with(|| Pair {
                now: stored.clone(),
                moved: None,
            });
        }
    }

    // The decisions, in order.
    let mut done = Vec::with_capacity(batch.len());
    for (want, found) in batch.iter().zip(&found) {
        let target = found.as_ref().map(|(target, _)| target);
        let pair = pairs.get_mut(&(want.user_id, want.novel_id));
        let outcome = match (&want.job, target.zip(pair)) {
            (Job::Put { .. }, None) => Err(missing_target(txn, want.novel_id).await?),
            (Job::Touch(_), None) => Err(ServiceError::NotFound),
            (Job::Put { write, client_time }, Some((target, pair))) => {
                let write = (write.offset, write.percent, *client_time);
                Ok(Done::Put(decide(pair, target, write, want.now)))
            }
            (Job::Touch(_), Some((target, pair))) => {
                let progress = match &pair.now.progress {
                    // Already in this chapter: the place in it stays.
                    Some(p) if p.chapter_id == target.chapter_id => p.clone(),
                    _ => {
                        let percent = if target.chapter_count > 0 {
                            f64::from(target.position - 1) * 100.0 / f64::from(target.chapter_count)
                        } else {
                            0.0
                        };
                        let write = (0, (percent * 100.0).round() / 100.0, want.now);
                        decide(pair, target, write, want.now)
                    }
                };
                Ok(Done::Touch(Some(progress)))
            }
        };
        done.push(outcome);
    }

    // The writes, one statement each for the whole transaction: progress (the rows already
    // there, then first writes), history, shelf.
    let mut winners = Vec::new();
    let mut history = Vec::new();
    let mut shelf = Vec::new();
    for (&(user_id, novel_id), pair) in &pairs {
        let (Some((chapter_count, at)), Some(progress)) = (pair.moved, &pair.now.progress) else {
            continue;
        };
        winners.push(Winner {
            user_id,
            progress,
            row: pair.now.progress_row,
        });
        history.push((user_id, novel_id));
        // Reading moves the novel up the shelf and marks its chapters as seen. (A novel put on
        // the shelf since our read is as if it were added right after this write.)
        if let Some(row) = pair.now.shelf_row {
            shelf.push((row, chapter_count, at));
        }
    }
    if !store_progress(txn, &winners).await? {
        // A newer write from another device (another instance) landed after our read: the
        // whole transaction is run again, reading it.
        return Err(ServiceError::Contended(
            "a newer progress landed meanwhile".into(),
        ));
    }
    touch_history(txn, &history).await?;
    mark_read(txn, &shelf).await?;
    Ok(done)
}

/// The write `(offset, percent, client_time)` at `target`, if it is newer than the pair's
/// progress; returns the pair's progress afterwards.
fn decide(
    pair: &mut Pair,
    target: &Target,
    (offset, percent, client_time): (i32, f64, DateTime<Utc>),
    now: DateTime<Utc>,
) -> Progress {
    if let Some(p) = pair
        .now
        .progress
        .as_ref()
        .filter(|p| p.client_time >= client_time)
    {
        return p.clone();
    }
    let ours = Progress {
        novel_id: target.novel_id,
        chapter_id: target.chapter_id,
        chapter_index: target.position,
        chapter_title: target.title.clone(),
        offset,
        percent,
        client_time,
        updated_at: now,
    };
    pair.now.progress = Some(ours.clone());
    pair.moved = Some((target.chapter_count, now));
    ours
}

/// One want in its own transaction.
async fn alone(db: &DatabaseConnection, want: &Want) -> ServiceResult<Done> {
    together(db, std::slice::from_ref(want))
        .await?
        .pop()
        .unwrap_or_else(|| Err(ServiceError::Internal("a write without an answer".into())))
}

fn timed_out(deadline: Duration) -> ServiceError {
    crate::db::note_stall();
    let waited = deadline.as_millis();
    ServiceError::Unavailable(format!("no answer from the database in {waited} ms"))
}

/// Commits a batch and answers every write in it.
async fn commit(db: &DatabaseConnection, batch: Vec<Want>, deadline: Duration) {
    let mut batch: Vec<Want> = batch.into_iter().filter(|w| !w.reply.is_closed()).collect();
    if batch.is_empty() {
        return;
    }
    crate::metrics::batch("progress_writes", batch.len());
    // Stable: writes to the same novel keep their order of arrival.
    batch.sort_by_key(|w| (w.user_id, w.novel_id));
    let outcome = tokio::time::timeout(deadline, together(db, &batch))
        .await
        .unwrap_or_else(|_| Err(timed_out(deadline)));
    match outcome {
        Ok(done) => {
            for (want, done) in batch.into_iter().zip(done) {
                let _ = want.reply.send(done.map_err(Arc::new));
            }
        }
        Err(e) if batch.len() == 1 || matches!(e, ServiceError::Unavailable(_)) => {
            let e = Arc::new(e);
            for want in batch {
                let _ = want.reply.send(Err(e.clone()));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, writes = batch.len(), "a batch of progress writes failed; running them one by one");
            let end = tokio::time::Instant::now() + deadline;
            for want in batch {
                let done = tokio::time::timeout_at(end, alone(db, &want))
                    .await
                    .unwrap_or_else(|_| Err(timed_out(deadline)));
                let _ = want.reply.send(done.map_err(Arc::new));
            }
        }
    }
}
