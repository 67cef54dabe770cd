//! Categories, novels, chapters and the catalog's filter and sort enums.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Progress, Timestamp, api_enum, stored};

api_enum! {
    /// The reading channel (频道): novels for male or female readers.
    pub enum Channel {
        Male = "male",
        Female = "female",
    }
}

impl From<Channel> for service::catalog::Channel {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Male => Self::Male,
            Channel::Female => Self::Female,
        }
    }
}

api_enum! {
    /// `serial` (连载, still being written) or `finished` (完结).
    pub enum NovelStatus {
        Serial = "serial",
        Finished = "finished",
    }
}

impl From<NovelStatus> for service::catalog::NovelStatus {
    fn from(s: NovelStatus) -> Self {
        match s {
            NovelStatus::Serial => Self::Serial,
            NovelStatus::Finished => Self::Finished,
        }
    }
}

api_enum! {
    /// Length filter: under 500,000 characters, 500,000 to 1,000,000, over 1,000,000.
    pub enum WordsBucket {
        Under500k = "lt_500k",
        From500kTo1m = "500k_1m",
        Over1m = "gt_1m",
    }
}

impl From<WordsBucket> for service::catalog::WordsBucket {
    fn from(w: WordsBucket) -> Self {
        match w {
            WordsBucket::Under500k => Self::Under500k,
            WordsBucket::From500kTo1m => Self::From500kTo1m,
            WordsBucket::Over1m => Self::Over1m,
        }
    }
}

api_enum! {
    /// Novel list order: `hot` (heat), `collect` (collections), `latest` (last update) or
    /// `words` (length); all descending.
    pub enum NovelSort {
        Hot = "hot",
        Collect = "collect",
        Latest = "latest",
        Words = "words",
    }
}

impl From<NovelSort> for service::catalog::NovelSort {
    fn from(s: NovelSort) -> Self {
        match s {
            NovelSort::Hot => Self::Hot,
            NovelSort::Collect => Self::Collect,
            NovelSort::Latest => Self::Latest,
            NovelSort::Words => Self::Words,
        }
    }
}

api_enum! {
    /// Chapter order: `asc` (reading order) or `desc` (newest first).
    pub enum SortOrder {
        Asc = "asc",
        Desc = "desc",
    }
}

impl From<SortOrder> for service::catalog::SortOrder {
    fn from(o: SortOrder) -> Self {
        match o {
            SortOrder::Asc => Self::Asc,
            SortOrder::Desc => Self::Desc,
        }
    }
}

api_enum! {
    /// A ranking: `hot` (heat), `collect` (collections), `latest` (recently updated) or
    /// `finished` (finished novels by heat).
    pub enum RankingKind {
        Hot = "hot",
        Collect = "collect",
        Latest = "latest",
        Finished = "finished",
    }
}

impl From<RankingKind> for service::catalog::RankingKind {
    fn from(k: RankingKind) -> Self {
        match k {
            RankingKind::Hot => Self::Hot,
            RankingKind::Collect => Self::Collect,
            RankingKind::Latest => Self::Latest,
            RankingKind::Finished => Self::Finished,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRefBody {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "古典名著")]
    pub name: String,
}

/// A novel in lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct NovelSummary {
    #[schema(example = 12)]
    pub id: i64,
    #[schema(example = "西游记")]
    pub title: String,
    #[schema(example = "吴承恩")]
    pub author: String,
    #[schema(example = "https://img.example.com/covers/xiyouji.jpg")]
    pub cover_url: String,
    /// Short intro (the detail has the full text).
    #[schema(example = "东胜神洲傲来国花果山上，一块仙石孕育出一只石猴……")]
    pub intro: String,
    pub category: CategoryRefBody,
    pub channel: Channel,
    pub status: NovelStatus,
    /// Characters in all chapters.
    #[schema(example = 820000)]
    pub word_count: i64,
    #[schema(example = 100)]
    pub chapter_count: i32,
    #[schema(example = 1200)]
    pub heat: i64,
    #[schema(example = 300)]
    pub collect_count: i64,
    pub updated_at: Timestamp,
}

impl From<&service::catalog::NovelSummary> for NovelSummary {
    fn from(n: &service::catalog::NovelSummary) -> Self {
        Self {
            id: n.id,
            title: n.title.clone(),
            author: n.author.clone(),
            cover_url: n.cover_url.clone(),
            intro: n.intro.clone(),
            category: CategoryRefBody {
                id: n.category.id,
                name: n.category.name.clone(),
            },
            channel: stored(Channel::parse, "channel", &n.channel, Channel::Male),
            status: stored(NovelStatus::parse, "status", &n.status, NovelStatus::Serial),
            word_count: n.word_count,
            chapter_count: n.chapter_count,
            heat: n.heat,
            collect_count: n.collect_count,
            updated_at: n.updated_at.into(),
        }
    }
}

impl From<service::catalog::NovelSummary> for NovelSummary {
    fn from(n: service::catalog::NovelSummary) -> Self {
        (&n).into()
    }
}

impl From<std::sync::Arc<service::catalog::NovelSummary>> for NovelSummary {
    fn from(n: std::sync::Arc<service::catalog::NovelSummary>) -> Self {
        n.as_ref().into()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Chapter {
    #[schema(example = 345)]
    pub id: i64,
    #[schema(example = 12)]
    pub novel_id: i64,
    /// 1-based reading order.
    #[schema(example = 1)]
    pub index: i32,
    #[schema(example = "第一回 灵根育孕源流出 心性修持大道生")]
    pub title: String,
    #[schema(example = 3200)]
    pub word_count: i32,
    pub updated_at: Timestamp,
}

impl From<&service::catalog::ChapterMeta> for Chapter {
    fn from(c: &service::catalog::ChapterMeta) -> Self {
        Self {
            id: c.id,
            novel_id: c.novel_id,
            index: c.index,
            title: c.title.clone(),
            word_count: c.word_count,
            updated_at: c.updated_at.into(),
        }
    }
}

impl From<service::catalog::ChapterMeta> for Chapter {
    fn from(c: service::catalog::ChapterMeta) -> Self {
        (&c).into()
    }
}

/// `NovelSummary` with the full intro, the latest and first chapter; with a token also
/// `on_shelf` and `progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NovelDetail {
    #[serde(flatten)]
    pub summary: NovelSummary,
    #[schema(required = true)]
    pub latest_chapter: Option<Chapter>,
    #[schema(required = true, example = 345)]
    pub first_chapter_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_shelf: Option<bool>,
    /// Present (possibly null) only when a token is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Progress>)]
    pub progress: Option<Option<Progress>>,
}

/// A chapter with its text; with a token also the reader's `progress`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChapterContent {
    #[serde(flatten)]
    pub chapter: Chapter,
    #[schema(example = "诗曰：混沌未分天地乱，茫茫渺渺无人见。自从盘古破鸿蒙，开辟从兹清浊辨……")]
    pub content: String,
    #[schema(required = true)]
    pub prev_chapter_id: Option<i64>,
    #[schema(required = true, example = 346)]
    pub next_chapter_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Progress>)]
    pub progress: Option<Option<Progress>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubCategory {
    pub id: i64,
    #[schema(example = "神魔")]
    pub name: String,
    #[schema(example = 4)]
    pub novel_count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "古典名著")]
    pub name: String,
    pub channel: Channel,
    #[schema(example = "https://img.example.com/icons/classics.png")]
    pub icon_url: String,
    #[schema(example = 9)]
    pub novel_count: i64,
    pub subcategories: Vec<SubCategory>,
}

impl From<&service::catalog::CategoryNode> for Category {
    fn from(c: &service::catalog::CategoryNode) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            channel: stored(Channel::parse, "channel", &c.channel, Channel::Male),
            icon_url: c.icon_url.clone(),
            novel_count: c.novel_count,
            subcategories: c
                .subcategories
                .iter()
                .map(|s| SubCategory {
                    id: s.id,
                    name: s.name.clone(),
                    novel_count: s.novel_count,
                })
                .collect(),
        }
    }
}

impl From<&service::library::OpenedChapter> for ChapterContent {
    fn from(opened: &service::library::OpenedChapter) -> Self {
        let text = &opened.text;
        Self {
            chapter: Chapter::from(&text.meta),
            content: text.content.clone(),
            prev_chapter_id: text.prev_chapter_id,
            next_chapter_id: text.next_chapter_id,
            progress: opened.progress.clone().map(|p| p.map(Progress::from)),
        }
    }
}

impl From<service::library::OpenedNovel> for NovelDetail {
    fn from(opened: service::library::OpenedNovel) -> Self {
        let detail = &opened.detail;
        let mut summary = NovelSummary::from(&detail.summary);
        summary.intro = detail.intro.clone();
        let reader = opened.reader;
        Self {
            summary,
            latest_chapter: detail.latest_chapter.as_ref().map(Chapter::from),
            first_chapter_id: detail.first_chapter_id,
            on_shelf: reader.as_ref().map(|r| r.on_shelf),
            progress: reader.map(|r| r.progress.map(Progress::from)),
        }
    }
}
