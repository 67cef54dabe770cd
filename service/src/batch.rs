//! Point reads, batched: requests that want rows by key at the same moment share one
//! `WHERE key IN (…)` query instead of one query (and one pool checkout and release ping)
//! each. On two shared cores MariaDB spends most of its CPU on that per-query overhead: a
//! uniformly random chapter read in batches of 20 cost it half the CPU of 20 single reads.
//!
//! Nothing waits for a batch to fill: a read goes out at once while fewer than `in_flight`
//! batches of its kind run, and the reads that arrive meanwhile form the next batch. So a
//! lone request waits for nothing, and under load the batches grow by themselves. A batch
//! query is issued only after every key in it was asked for, so it sees every write committed
//! before the request came: batching never serves an older row than a query of one's own would.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::auth::unshare;
use crate::{ServiceError, ServiceResult};

/// Batch queries of reader data (`/me`, progress, shelf pages) running at once, per kind.
/// Their rows are in the database's memory, so a query is CPU, and two at a time keep it busy
/// while the next batch forms; more only shrink the batches back towards single reads. In one
/// A/B on two shared cores the shelf's p99 was 34–38 ms at 2, 50–54 ms at 4 and 82–84 ms at 8,
/// and `/me` ran 10–40 % faster at 2 than at 4.
pub const READER_DATA_IN_FLIGHT: usize = 2;
/// Chapter batches running at once: an uncached chapter is often a disk read, and reads in
/// parallel keep the disk busy.
pub const CHAPTERS_IN_FLIGHT: usize = 4;
/// The most keys one query asks for.
const MAX_BATCH: usize = 64;
/// Reads waiting for a batch; past it a read waits to be queued (a bound, not a drop).
const QUEUE: usize = 4096;

type Answer<V> = Result<Option<V>, Arc<ServiceError>>;

struct Want<K, V> {
    key: K,
    reply: oneshot::Sender<Answer<V>>,
}

/// The handle requests use; cheap to clone. Its task ends when the last handle is dropped.
pub struct Batches<K, V> {
    wants: mpsc::Sender<Want<K, V>>,
}

impl<K, V> Clone for Batches<K, V> {
    fn clone(&self) -> Self {
        Self {
            wants: self.wants.clone(),
        }
    }
}

impl<K, V> Batches<K, V>
where
    K: Copy + Eq + Hash + Ord + Send + 'static,
    V: Clone + Send + 'static,
{
    /// Starts the batching task (`kind` names it in the metrics). `read` gets the batch's keys (sorted, no repeats, padded to a
    /// power of two by repeating the last: a handful of statement shapes, each prepared once
    /// per connection) and answers the rows it found by key. A batch still unanswered after
    /// `deadline` is dropped and its requests get `Unavailable`: the database's own statement
    /// timeout can't end a query whose connection stalled, and a stuck batch would hold its
    /// slot after the database came back.
    pub fn spawn<F, Fut>(kind: &'static str, in_flight: usize, read: F, deadline: Duration) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ServiceResult<HashMap<K, V>>> + Send + 'static,
    {
        let (wants, queue) = mpsc::channel(QUEUE);
        tokio::spawn(dispatch(kind, Arc::new(read), queue, in_flight, deadline));
        Self { wants }
    }

    /// The row with this key, `None` when there is none. A request that gives up (a dropped
    /// future) leaves its batch unharmed.
    pub async fn load(&self, key: K) -> ServiceResult<Option<V>> {
        let (reply, answer) = oneshot::channel();
        let gone = || ServiceError::Unavailable("a batch reader stopped".into());
        self.wants
            .send(Want { key, reply })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?.map_err(unshare)
    }
}

async fn dispatch<K, V, F, Fut>(
    kind: &'static str,
    read: Arc<F>,
    mut queue: mpsc::Receiver<Want<K, V>>,
    in_flight: usize,
    deadline: Duration,
) where
    K: Copy + Eq + Hash + Ord + Send + 'static,
    V: Clone + Send + 'static,
    F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ServiceResult<HashMap<K, V>>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(in_flight.max(1)));
    while let Some(first) = queue.recv().await {
        // Waiting for a slot is what lets the next batch gather.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(want) => batch.push(want),
                Err(_) => break,
            }
        }
        crate::metrics::batch(kind, batch.len());
        let read = read.clone();
        tokio::spawn(async move {
            answer(read.as_ref(), batch, deadline).await;
            drop(slot);
        });
    }
}

/// Runs one batch and answers every request in it (a failure answers each with the error).
async fn answer<K, V, F, Fut>(read: &F, batch: Vec<Want<K, V>>, deadline: Duration)
where
    K: Copy + Eq + Hash + Ord,
    V: Clone,
    F: Fn(Vec<K>) -> Fut,
    Fut: Future<Output = ServiceResult<HashMap<K, V>>>,
{
    // Requests that already gave up need no row.
    let batch: Vec<Want<K, V>> = batch.into_iter().filter(|w| !w.reply.is_closed()).collect();
    if batch.is_empty() {
        return;
    }
    let keys = padded(batch.iter().map(|w| w.key).collect());
    let found = tokio::time::timeout(deadline, read(keys))
        .await
        .unwrap_or_else(|_| {
            crate::db::note_stall();
            let waited = deadline.as_millis();
            Err(ServiceError::Unavailable(format!(
                "no answer from the database in {waited} ms"
            )))
        });
    match found {
        Ok(found) => {
            for want in batch {
                let _ = want.reply.send(Ok(found.get(&want.key).cloned()));
            }
        }
        Err(e) => {
            let e = Arc::new(e);
            for want in batch {
                let _ = want.reply.send(Err(e.clone()));
            }
        }
    }
}

/// `keys` sorted, without repeats, padded to a power of two by repeating the last (a repeated
/// key matches nothing more): a handful of statement shapes, each prepared once per
/// connection, instead of one per batch size.
pub fn padded<K: Copy + Ord>(mut keys: Vec<K>) -> Vec<K> {
    keys.sort_unstable();
    keys.dedup();
    pad(keys)
}

/// `rows` padded to a power of two by repeating the last, for a statement whose shape grows
/// with its rows (and for which a repeat changes nothing).
pub fn pad<T: Clone>(mut rows: Vec<T>) -> Vec<T> {
    if let Some(last) = rows.last().cloned() {
        rows.resize(rows.len().next_power_of_two(), last);
    }
    rows
}

/// `CASE WHEN id = ? THEN ? … ELSE column END`: each listed row's own value of `column`, by
/// the row's id, for a multi-row `UPDATE` (a row not listed keeps its value).
pub fn by_id<C: sea_orm::ColumnTrait>(
    id: C,
    column: C,
    values: impl IntoIterator<Item = (i64, sea_orm::Value)>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{CaseStatement, Expr};
    let case = values
        .into_iter()
        .fold(CaseStatement::new(), |case, (row, value)| {
            case.case(id.eq(row), Expr::val(value))
        });
    Expr::Case(Box::new(case.finally(Expr::col(column))))
}

/// `count` `?` marks separated by commas, for an `IN (…)` list; only marks are ever formatted
/// into SQL, the keys are parameters.
pub fn marks(count: usize) -> String {
    vec!["?"; count].join(", ")
}
