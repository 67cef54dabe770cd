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

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::Progress;
use super::progress::{ProgressWrite, put_in, touch_in};
use crate::auth::unshare;
use crate::catalog::ChapterText;
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
    /// A signed-in chapter read: move to the start of this chapter.
    Touch(Arc<ChapterText>),
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

/// True for an error that is the write's own (its input), not its transaction's.
fn own_error(e: &ServiceError) -> bool {
    matches!(e, ServiceError::NotFound | ServiceError::Invalid(_))
}

async fn run_job(txn: &impl sea_orm::ConnectionTrait, want: &Want) -> ServiceResult<Done> {
    let (user_id, novel_id, now) = (want.user_id, want.novel_id, want.now);
    Ok(match &want.job {
        Job::Put { write, client_time } => {
            Done::Put(put_in(txn, user_id, novel_id, write, *client_time, now).await?)
        }
        Job::Touch(text) => Done::Touch(touch_in(txn, user_id, text, now).await?),
    })
}

/// The wants in one transaction: each write's own outcome, or the transaction's failure.
async fn together(
    db: &DatabaseConnection,
    batch: &[Want],
) -> ServiceResult<Vec<ServiceResult<Done>>> {
    with_retry(|| async {
        let txn = begin_write(db).await?;
        let mut done = Vec::with_capacity(batch.len());
        for want in batch {
            match run_job(&txn, want).await {
                Err(e) if !own_error(&e) => return Err(e),
                outcome => done.push(outcome),
            }
        }
        txn.commit().await?;
        Ok(done)
    })
    .await
}

/// One want in its own transaction.
async fn alone(db: &DatabaseConnection, want: &Want) -> ServiceResult<Done> {
    with_retry(|| async {
        let txn = begin_write(db).await?;
        let done = run_job(&txn, want).await?;
        txn.commit().await?;
        Ok(done)
    })
    .await
}

fn timed_out(deadline: Duration) -> ServiceError {
    let waited = deadline.as_millis();
    ServiceError::Unavailable(format!("no answer from the database in {waited} ms"))
}

/// Commits a batch and answers every write in it.
async fn commit(db: &DatabaseConnection, batch: Vec<Want>, deadline: Duration) {
    let mut batch: Vec<Want> = batch.into_iter().filter(|w| !w.reply.is_closed()).collect();
    if batch.is_empty() {
        return;
    }
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
