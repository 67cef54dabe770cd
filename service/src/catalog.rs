//! The catalog an anonymous reader browses: categories, novels, chapters, rankings.
//! Every listing is a fixed number of queries whatever the page size (no N+1).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{category, chapter, novel};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::db::{Stamp, instant_sql};
use crate::page::{PageRequest, Paged};
use crate::{ServiceError, ServiceResult};

const SHORT_INTRO_CHARS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Male,
    Female,
}

impl Channel {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "male" => Some(Self::Male),
            "female" => Some(Self::Female),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NovelStatus {
    Serial,
    Finished,
}

impl NovelStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "serial" => Some(Self::Serial),
            "finished" => Some(Self::Finished),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Serial => "serial",
            Self::Finished => "finished",
        }
    }
}

/// Word-count buckets of the novel filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordsBucket {
    Under500k,
    From500kTo1m,
    Over1m,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NovelSort {
    #[default]
    Hot,
    Collect,
    Latest,
    Words,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RankingKind {
    Hot,
    Collect,
    Latest,
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NovelFilter {
    /// A top-level category or a subcategory.
    pub category_id: Option<i64>,
    pub channel: Option<Channel>,
    pub status: Option<NovelStatus>,
    pub words: Option<WordsBucket>,
    pub sort: NovelSort,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NovelSummary {
    pub id: i64,
    pub title: String,
    pub author: String,
    pub cover_url: String,
    pub intro: String,
    pub category: CategoryRef,
    pub channel: String,
    pub status: String,
    pub word_count: i64,
    pub chapter_count: i32,
    pub heat: i64,
    pub collect_count: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChapterMeta {
    pub id: i64,
    pub novel_id: i64,
    pub index: i32,
    pub title: String,
    pub word_count: i32,
    pub updated_at: DateTime<Utc>,
}

/// A chapter's meta as `chapter_metas` reads it.
#[derive(FromQueryResult)]
struct ChapterMetaRow {
    id: i64,
    novel_id: i64,
    position: i32,
    title: String,
    word_count: i32,
    updated_at: Stamp,
}

impl From<ChapterMetaRow> for ChapterMeta {
    fn from(c: ChapterMetaRow) -> Self {
        Self {
            id: c.id,
            novel_id: c.novel_id,
            index: c.position,
            title: c.title,
            word_count: c.word_count,
            updated_at: c.updated_at.0,
        }
    }
}

/// The chapters `select` finds (its filters, order and limit kept), as metas.
async fn chapter_metas(
    db: &impl ConnectionTrait,
    select: Select<chapter::Entity>,
) -> ServiceResult<Vec<ChapterMeta>> {
    use chapter::Column as C;
    let updated_at = instant_sql(db.get_database_backend(), "`chapters`.`updated_at`");
    let rows = select
        .select_only()
        .columns([C::Id, C::NovelId, C::Position, C::Title, C::WordCount])
        .expr_as(Expr::cust(updated_at), "updated_at")
        .into_model::<ChapterMetaRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ChapterMeta::from).collect())
}

#[derive(Debug, Clone, PartialEq)]
pub struct NovelDetail {
    pub summary: NovelSummary,
    pub intro: String,
    pub latest_chapter: Option<ChapterMeta>,
    pub first_chapter_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChapterText {
    pub meta: ChapterMeta,
    pub content: String,
    pub prev_chapter_id: Option<i64>,
    pub next_chapter_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubCategory {
    pub id: i64,
    pub name: String,
    pub novel_count: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryNode {
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub icon_url: String,
    pub novel_count: i64,
    pub subcategories: Vec<SubCategory>,
}

fn short_intro(intro: &str) -> String {
    let trimmed = intro.trim();
    let mut out: String = trimmed.chars().take(SHORT_INTRO_CHARS).collect();
    if out.len() < trimmed.len() {
        out.push('…');
    }
    out
}

/// A summary's columns as one query reads them: the category's name joined in, and the intro
/// cut in the query to one character more than the short intro keeps (imports store intros
/// trimmed, so those are its first characters), unless the full intro is asked for.
#[derive(Debug, FromQueryResult)]
struct SummaryRow {
    id: i64,
    title: String,
    author: String,
    category_id: i64,
    category_name: Option<String>,
    channel: String,
    status: String,
    intro: String,
    cover_url: String,
    word_count: i64,
    chapter_count: i32,
    heat: i64,
    collect_count: i64,
    updated_at: Stamp,
}

impl SummaryRow {
    fn into_summary(self) -> NovelSummary {
        NovelSummary {
            intro: short_intro(&self.intro),
            category: CategoryRef {
                id: self.category_id,
                name: self.category_name.unwrap_or_default(),
            },
            id: self.id,
            title: self.title,
            author: self.author,
            cover_url: self.cover_url,
            channel: self.channel,
            status: self.status,
            word_count: self.word_count,
            chapter_count: self.chapter_count,
            heat: self.heat,
            collect_count: self.collect_count,
            updated_at: self.updated_at.0,
        }
    }
}

/// The novels `select` finds (its filters, order and limit kept) as summary rows: one query,
/// whatever their number and categories.
async fn summary_rows(
    db: &impl ConnectionTrait,
    select: Select<novel::Entity>,
    full_intro: bool,
) -> ServiceResult<Vec<SummaryRow>> {
    use novel::Column as N;
    let intro = Expr::col((novel::Entity, N::Intro));
    let intro: sea_orm::sea_query::SimpleExpr = if full_intro {
        intro
    } else {
        let keep = i64::try_from(SHORT_INTRO_CHARS + 1).unwrap_or(i64::MAX);
        Func::cust("SUBSTR").arg(intro).arg(1).arg(keep).into()
    };
    let updated_at = Expr::cust(instant_sql(
        db.get_database_backend(),
        "`novels`.`updated_at`",
    ));
    let in_category = novel::Entity::belongs_to(category::Entity)
        .from(N::CategoryId)
        .to(category::Column::Id)
        .into();
    Ok(select
        .select_only()
        .columns([
            N::Id,
            N::Title,
            N::Author,
            N::CategoryId,
            N::Channel,
            N::Status,
            N::CoverUrl,
            N::WordCount,
            N::ChapterCount,
            N::Heat,
            N::CollectCount,
        ])
        .expr_as(updated_at, "updated_at")
        .expr_as(intro, "intro")
        .column_as(category::Column::Name, "category_name")
        .join(JoinType::LeftJoin, in_category)
        .into_model::<SummaryRow>()
        .all(db)
        .await?)
}

/// The novels `select` finds, as summaries, in its order.
async fn summaries(
    db: &impl ConnectionTrait,
    select: Select<novel::Entity>,
) -> ServiceResult<Vec<NovelSummary>> {
    let rows = summary_rows(db, select, false).await?;
    Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
}

/// The summaries of `ids` that exist, in the order of `ids`: one query.
pub async fn summaries_by_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> ServiceResult<Vec<NovelSummary>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = novel::Entity::find().filter(novel::Column::Id.is_in(ids.to_vec()));
    let mut by_id: HashMap<i64, NovelSummary> = summaries(db, select)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn sorted(select: Select<novel::Entity>, sort: NovelSort) -> Select<novel::Entity> {
    let col = match sort {
        NovelSort::Hot => novel::Column::Heat,
        NovelSort::Collect => novel::Column::CollectCount,
        NovelSort::Latest => novel::Column::UpdatedAt,
        NovelSort::Words => novel::Column::WordCount,
    };
    // Both descending, so MySQL walks the (col) index (which ends in the primary key)
    // backwards instead of sorting.
    select
        .order_by(col, Order::Desc)
        .order_by(novel::Column::Id, Order::Desc)
}

/// `GET /novels`.
pub async fn list_novels(
    db: &impl ConnectionTrait,
    filter: &NovelFilter,
    page: PageRequest,
) -> ServiceResult<Paged<NovelSummary>> {
    let mut cond = Condition::all();
    if let Some(id) = filter.category_id {
        cond = cond.add(
            Condition::any()
                .add(novel::Column::CategoryId.eq(id))
                .add(novel::Column::TopCategoryId.eq(id)),
        );
    }
    if let Some(c) = filter.channel {
        cond = cond.add(novel::Column::Channel.eq(c.as_str()));
    }
    if let Some(s) = filter.status {
        cond = cond.add(novel::Column::Status.eq(s.as_str()));
    }
    match filter.words {
        Some(WordsBucket::Under500k) => cond = cond.add(novel::Column::WordCount.lt(500_000)),
        Some(WordsBucket::From500kTo1m) => {
            cond = cond
                .add(novel::Column::WordCount.gte(500_000))
                .add(novel::Column::WordCount.lt(1_000_000))
        }
        Some(WordsBucket::Over1m) => cond = cond.add(novel::Column::WordCount.gte(1_000_000)),
        None => {}
    }
    let base = novel::Entity::find().filter(cond);
    let total = base.clone().count(db).await?;
    let select = sorted(base, filter.sort)
        .offset(page.offset())
        .limit(page.per_page);
    Ok(Paged::new(summaries(db, select).await?, page, total))
}

/// `GET /novels/{id}`: the summary, the full intro, the latest and the first chapter.
pub async fn novel_detail(db: &impl ConnectionTrait, id: i64) -> ServiceResult<NovelDetail> {
    let row = summary_rows(db, novel::Entity::find_by_id(id), true)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)?;
    let intro = row.intro.clone();
    let ends = chapter::Entity::find()
        .filter(chapter::Column::NovelId.eq(id))
        .filter(
            Condition::any().add(chapter::Column::Position.eq(1)).add(
                chapter::Column::Position.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .expr(Expr::col(chapter::Column::Position).max())
                        .from(chapter::Entity)
                        .and_where(Expr::col(chapter::Column::NovelId).eq(id))
                        .to_owned(),
                ),
            ),
        );
    let ends = chapter_metas(db, ends).await?;
    let first_chapter_id = ends.iter().find(|c| c.index == 1).map(|c| c.id);
    let latest_chapter = ends.into_iter().max_by_key(|c| c.index);
    Ok(NovelDetail {
        summary: row.into_summary(),
        intro,
        latest_chapter,
        first_chapter_id,
    })
}

/// A novel's (chapter count, top category); `NotFound` for an unknown novel.
async fn ensure_novel(db: &impl ConnectionTrait, id: i64) -> ServiceResult<(i32, i64)> {
    novel::Entity::find_by_id(id)
        .select_only()
        .columns([novel::Column::ChapterCount, novel::Column::TopCategoryId])
        .into_tuple()
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// `GET /novels/{id}/chapters`.
pub async fn list_chapters(
    db: &impl ConnectionTrait,
    novel_id: i64,
    order: SortOrder,
    page: PageRequest,
) -> ServiceResult<Paged<ChapterMeta>> {
    let (chapter_count, _) = ensure_novel(db, novel_id).await?;
    let order = if order == SortOrder::Desc {
        Order::Desc
    } else {
        Order::Asc
    };
    let rows = chapter::Entity::find()
        .filter(chapter::Column::NovelId.eq(novel_id))
        .order_by(chapter::Column::Position, order)
        .offset(page.offset())
        .limit(page.per_page);
    let total = u64::try_from(chapter_count).unwrap_or(0);
    Ok(Paged::new(chapter_metas(db, rows).await?, page, total))
}

/// The select list of a chapter's text with its neighbours' ids, for a query whose chapter is
/// `c` and which left-joins `chapter_contents cc` (the unique (novel_id, position) index
/// answers the two subqueries). A macro so that it can be part of a `concat!`.
macro_rules! chapter_text_select {
    () => {
        "c.`id`, c.`novel_id`, c.`position`, c.`title`, c.`word_count`, \
        {updated_at} AS updated_at, cc.`content` AS text, \
        (SELECT p.`id` FROM `chapters` p WHERE p.`novel_id` = c.`novel_id` AND p.`position` = c.`position` - 1) AS prev_id, \
        (SELECT n.`id` FROM `chapters` n WHERE n.`novel_id` = c.`novel_id` AND n.`position` = c.`position` + 1) AS next_id"
    };
}
pub(crate) use chapter_text_select;

impl ChapterText {
    /// Reads a row selected with `chapter_text_select!` (its `updated_at` is `instant_sql`'s
    /// of `c.updated_at`).
    pub(crate) fn from_row(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
        let content: Option<String> = row.try_get("", "text")?;
        Ok(Self {
            prev_chapter_id: row.try_get("", "prev_id")?,
            next_chapter_id: row.try_get("", "next_id")?,
            content: content.unwrap_or_default(),
            meta: ChapterMetaRow::from_query_result(row, "")?.into(),
        })
    }
}

/// `GET /novels/{id}/recommendations`: same top-level category, hottest first, never the
/// novel itself; filled up from the global hot list.
pub async fn recommendations(
    db: &impl ConnectionTrait,
    novel_id: i64,
    limit: u64,
) -> ServiceResult<Vec<NovelSummary>> {
    let (_, top_category_id) = ensure_novel(db, novel_id).await?;
    let picked = sorted(
        novel::Entity::find()
            .filter(novel::Column::TopCategoryId.eq(top_category_id))
            .filter(novel::Column::Id.ne(novel_id)),
        NovelSort::Hot,
    )
    .limit(limit);
    let mut picked = summaries(db, picked).await?;
    if (picked.len() as u64) < limit {
        let mut exclude: Vec<i64> = picked.iter().map(|p| p.id).collect();
        exclude.push(novel_id);
        let more = sorted(
            novel::Entity::find().filter(novel::Column::Id.is_not_in(exclude)),
            NovelSort::Hot,
        )
        .limit(limit - picked.len() as u64);
        picked.extend(summaries(db, more).await?);
    }
    Ok(picked)
}

/// `GET /rankings/{kind}`.
pub async fn ranking(
    db: &impl ConnectionTrait,
    kind: RankingKind,
    channel: Option<Channel>,
    limit: u64,
) -> ServiceResult<Vec<NovelSummary>> {
    let mut select = novel::Entity::find();
    if let Some(c) = channel {
        select = select.filter(novel::Column::Channel.eq(c.as_str()));
    }
    let select = match kind {
        RankingKind::Hot => sorted(select, NovelSort::Hot),
        RankingKind::Collect => sorted(select, NovelSort::Collect),
        RankingKind::Latest => sorted(select, NovelSort::Latest),
        RankingKind::Finished => sorted(
            select.filter(novel::Column::Status.eq(NovelStatus::Finished.as_str())),
            NovelSort::Hot,
        ),
    };
    summaries(db, select.limit(limit)).await
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    id: i64,
    n: i64,
}

/// `GET /categories`: two levels with novel counts (three queries).
pub async fn categories(
    db: &impl ConnectionTrait,
    channel: Option<Channel>,
) -> ServiceResult<Vec<CategoryNode>> {
    let mut select = category::Entity::find()
        .order_by_asc(category::Column::SortOrder)
        .order_by_asc(category::Column::Id);
    if let Some(c) = channel {
        select = select.filter(category::Column::Channel.eq(c.as_str()));
    }
    let all = select.all(db).await?;
    let count_by = |col: novel::Column| {
        novel::Entity::find()
            .select_only()
            .column_as(col, "id")
            .column_as(Expr::col(novel::Column::Id).count(), "n")
            .group_by(col)
            .into_model::<CountRow>()
            .all(db)
    };
    let leaf: HashMap<i64, i64> = count_by(novel::Column::CategoryId)
        .await?
        .into_iter()
        .map(|r| (r.id, r.n))
        .collect();
    let top: HashMap<i64, i64> = count_by(novel::Column::TopCategoryId)
        .await?
        .into_iter()
        .map(|r| (r.id, r.n))
        .collect();
    let mut nodes: Vec<CategoryNode> = all
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| CategoryNode {
            id: c.id,
            name: c.name.clone(),
            channel: c.channel.clone(),
            icon_url: c.icon_url.clone(),
            novel_count: top.get(&c.id).copied().unwrap_or(0),
            subcategories: Vec::new(),
        })
        .collect();
    for sub in all.iter().filter(|c| c.parent_id.is_some()) {
        if let Some(parent) = nodes.iter_mut().find(|n| Some(n.id) == sub.parent_id) {
            parent.subcategories.push(SubCategory {
                id: sub.id,
                name: sub.name.clone(),
                novel_count: leaf.get(&sub.id).copied().unwrap_or(0),
            });
        }
    }
    Ok(nodes)
}
