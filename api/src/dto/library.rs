//! The reader's own data: shelf, progress (also shown in catalog answers), history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{NovelSummary, Timestamp};
use crate::error::ApiError;

/// Where the reader is in a novel.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    #[schema(example = 12)]
    pub novel_id: i64,
    #[schema(example = 345)]
    pub chapter_id: i64,
    #[schema(example = 1)]
    pub chapter_index: i32,
    #[schema(example = "第一回 灵根育孕源流出 心性修持大道生")]
    pub chapter_title: String,
    /// Characters into the chapter.
    #[schema(example = 1200)]
    pub offset: i32,
    /// 0..=100, of the whole novel.
    #[schema(example = 0.4)]
    pub percent: f64,
    pub updated_at: Timestamp,
}

impl From<service::library::Progress> for Progress {
    fn from(p: service::library::Progress) -> Self {
        Self {
            novel_id: p.novel_id,
            chapter_id: p.chapter_id,
            chapter_index: p.chapter_index,
            chapter_title: p.chapter_title,
            offset: p.offset,
            percent: p.percent,
            updated_at: p.updated_at.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfItem {
    pub novel: NovelSummary,
    pub added_at: Timestamp,
    #[schema(required = true)]
    pub last_read: Option<Progress>,
    /// Chapters after the last-read one.
    #[schema(example = 3)]
    pub unread_chapters: i32,
    /// A chapter appeared since the reader last opened the novel.
    pub has_update: bool,
}

impl From<service::library::ShelfItem> for ShelfItem {
    fn from(i: service::library::ShelfItem) -> Self {
        Self {
            novel: i.novel.into(),
            added_at: i.added_at.into(),
            last_read: i.last_read.map(Progress::from),
            unread_chapters: i.unread_chapters,
            has_update: i.has_update,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShelfEntry {
    #[schema(example = 12)]
    pub novel_id: i64,
    pub on_shelf: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct RemoveRequest {
    /// 1..=100 novel ids.
    #[validate(length(min = 1, max = 100, message = "must have 1 to 100 ids"))]
    #[schema(example = json!([12, 15]))]
    pub novel_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    pub removed: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LastRead {
    pub novel: NovelSummary,
    pub progress: Progress,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    pub novel: NovelSummary,
    #[schema(required = true)]
    pub progress: Option<Progress>,
    pub viewed_at: Timestamp,
}

impl From<service::library::HistoryItem> for HistoryItem {
    fn from(i: service::library::HistoryItem) -> Self {
        Self {
            novel: i.novel.into(),
            progress: i.progress.map(Progress::from),
            viewed_at: i.viewed_at.into(),
        }
    }
}

fn finite_percent(p: f64) -> Result<(), validator::ValidationError> {
    if (0.0..=100.0).contains(&p) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("range")
            .with_message("must be between 0 and 100".into()))
    }
}

/// A progress write from a device.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct ProgressRequest {
    #[schema(example = 345)]
    pub chapter_id: i64,
    /// Characters into the chapter.
    #[validate(range(min = 0, max = 10_000_000, message = "must be between 0 and 10000000"))]
    #[schema(example = 1200)]
    pub offset: i32,
    /// 0..=100, of the whole novel.
    #[validate(custom(function = "finite_percent"))]
    #[schema(example = 0.4)]
    pub percent: f64,
    /// When the device recorded it (RFC 3339); the newer write wins. Before
    /// 2020-01-01T00:00:00Z → 422 (a reset device clock); more than 5 minutes ahead of the
    /// server → taken as the server's time (a clock running ahead must not win forever).
    #[schema(example = "2026-11-22T03:00:00.000Z")]
    pub client_time: DateTime<Utc>,
}

impl From<&ProgressRequest> for service::library::ProgressWrite {
    fn from(r: &ProgressRequest) -> Self {
        Self {
            chapter_id: r.chapter_id,
            offset: r.offset,
            percent: r.percent,
            client_time: r.client_time,
        }
    }
}

/// One item of a batch: the PUT body plus `novel_id`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BatchItem {
    #[schema(example = 12)]
    pub novel_id: i64,
    #[serde(flatten)]
    pub progress: ProgressRequest,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
pub struct BatchRequest {
    /// 1..=100 items, each validated on its own.
    #[validate(length(min = 1, max = 100, message = "must have 1 to 100 items"))]
    #[schema(value_type = Vec<BatchItem>)]
    pub items: Vec<serde_json::Value>,
}

/// A batch item that was not applied; the others were.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemError {
    /// Position of the item in the request.
    pub index: usize,
    #[schema(required = true)]
    pub novel_id: Option<i64>,
    pub error: crate::error::ErrorBody,
}

impl BatchItem {
    /// One raw item of a batch, read and validated on its own; with the `novel_id` it names,
    /// if any, so that a rejection can say which novel it was about.
    pub fn parse(raw: serde_json::Value) -> (Option<i64>, Result<Self, ApiError>) {
        let novel_id = raw.get("novel_id").and_then(serde_json::Value::as_i64);
        let item = serde_json::from_value::<Self>(raw)
            .map_err(|e| ApiError::invalid("item", e.to_string()))
            .and_then(|item| {
                item.progress.validate()?;
                Ok(item)
            });
        (novel_id, item)
    }
}

/// Per item, in request order: the stored `Progress`, or why the item was rejected.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchResult {
    Applied(Progress),
    Rejected(BatchItemError),
}

impl BatchResult {
    /// The result of item `index`: the item's own faults are reported for it; a failure of the
    /// server fails the whole request.
    pub fn of(
        index: usize,
        novel_id: Option<i64>,
        written: Result<service::library::Progress, ApiError>,
    ) -> Result<Self, ApiError> {
        match written {
            Ok(p) => Ok(Self::Applied(p.into())),
            Err(e @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => Err(e),
            Err(e) => Ok(Self::Rejected(BatchItemError {
                index,
                novel_id,
                error: e.body(),
            })),
        }
    }
}
