//! A deterministic synthetic catalog for benchmarks (`seed --synthetic`), written with batched
//! inserts rather than novel by novel.

use chrono::Utc;
use entity::novel;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{BATCH, insert_chapters, upsert_category};
use crate::ServiceResult;

const PHRASES: &[&str] = &[
    "夜色渐深，城中灯火次第亮起。",
    "少年握紧手中的长剑，目光望向远山。",
    "风从旷野吹来，带着泥土与青草的气息。",
    "她轻轻推开木门，院中桂花正开得热闹。",
    "老人放下茶盏，缓缓说起多年前的旧事。",
    "雨点敲打着青瓦，檐下的灯笼摇摇晃晃。",
    "山路蜿蜒，马蹄声在石板上清脆作响。",
    "他翻开泛黄的书页，字里行间尽是前人心血。",
];

fn synthetic_text(seed: u64, chars: usize) -> String {
    let mut out = String::with_capacity(chars * 3);
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.chars().count() < chars {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51afd7ed558ccd);
        out.push_str(PHRASES[(x % PHRASES.len() as u64) as usize]);
    }
    out
}

/// Title, author and heat of synthetic novel `i` (the benchmarks' catalog).
pub fn synthetic_novel(i: u64) -> (String, String, i64) {
    (
        format!("合成小说第{i}部"),
        format!("合成作者{}", i % 997),
        ((i * 7919) % 100_000) as i64,
    )
}

/// Seeds `novels` × `chapters` deterministic novels with batched inserts; novels that already
/// exist (by title and author) are left alone. Calls `progress` with the novels done so far.
/// When it wrote anything (even if it then failed), it moves the catalog version once at the
/// end: instances rebuild their index once, not once per batch.
pub async fn seed_synthetic(
    db: &impl ConnectionTrait,
    novels: u64,
    chapters: u32,
    progress: impl FnMut(u64),
) -> ServiceResult<u64> {
    let mut wrote = false;
    let seeded = seed(db, novels, chapters, progress, &mut wrote).await;
    if wrote {
        crate::catalog_version::bump(db).await?;
    }
    seeded
}

async fn seed(
    db: &impl ConnectionTrait,
    novels: u64,
    chapters: u32,
    mut progress: impl FnMut(u64),
    wrote: &mut bool,
) -> ServiceResult<u64> {
    const TOPS: &[(&str, &str, &[&str])] = &[
        ("male", "玄幻", &["东方玄幻", "异世大陆"]),
        ("male", "仙侠", &["修真文明", "古典仙侠"]),
        ("male", "都市", &["都市生活", "异术超能"]),
        ("male", "历史", &["架空历史", "两宋元明"]),
        ("male", "科幻", &["星际文明", "末世危机"]),
        ("female", "古代言情", &["宫闱宅斗", "古典架空"]),
        ("female", "现代言情", &["豪门世家", "职场情缘"]),
        ("female", "幻想言情", &["仙侣奇缘", "异世幻想"]),
        ("female", "青春校园", &["青春纯爱", "校园生活"]),
        ("female", "悬疑推理", &["悬疑探险", "侦探推理"]),
    ];
    let mut leaves: Vec<(i64, i64, &str)> = Vec::new();
    for (channel, top, subs) in TOPS {
        let (top_id, _) = upsert_category(db, channel, top, None).await?;
        for sub in *subs {
            leaves.push((
                top_id,
                upsert_category(db, channel, sub, Some((top_id, top)))
                    .await?
                    .0,
                channel,
            ));
        }
    }
    let now = Utc::now();
    let mut created = 0;
    let mut start = 0;
    while start < novels {
        let end = (start + 500).min(novels);
        let batch: Vec<novel::ActiveModel> = (start..end)
            .map(|i| {
                let (top, leaf, channel) = leaves[(i % leaves.len() as u64) as usize];
                let words = i64::from(chapters) * 400;
                let (title, author, heat) = synthetic_novel(i);
                novel::ActiveModel {
                    id: NotSet,
                    title: Set(title),
                    author: Set(author),
                    category_id: Set(leaf),
                    top_category_id: Set(top),
                    channel: Set(channel.to_owned()),
                    status: Set(if i % 3 == 0 { "finished" } else { "serial" }.to_owned()),
                    intro: Set(synthetic_text(i, 120)),
                    cover_url: Set(String::new()),
                    word_count: Set(words),
                    chapter_count: Set(0),
                    heat: Set(heat),
                    collect_count: Set(((i * 104_729) % 50_000) as i64),
                    created_at: Set(now),
                    updated_at: Set(now - chrono::Duration::seconds((i % 86_400) as i64)),
                }
            })
            .collect();
        let inserted = crate::db::insert_ignore(db, batch).await?;
        created += inserted;
        *wrote |= inserted > 0;
        let titles: Vec<String> = (start..end).map(|i| synthetic_novel(i).0).collect();
        let fresh: Vec<(i64, i32)> = novel::Entity::find()
            .select_only()
            .column(novel::Column::Id)
            .column(novel::Column::ChapterCount)
            .filter(novel::Column::Title.is_in(titles))
            .order_by_asc(novel::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        for (novel_id, existing) in fresh {
            if existing > 0 || chapters == 0 {
                continue;
            }
            *wrote = true;
            let texts: Vec<(i32, String, String)> = (1..=chapters as i32)
                .map(|p| {
                    (
                        p,
                        format!("第{p}章 风起"),
                        synthetic_text(novel_id as u64 * 1000 + p as u64, 400),
                    )
                })
                .collect();
            for chunk in texts.chunks(BATCH) {
                insert_chapters(
                    db,
                    novel_id,
                    chunk.iter().map(|(p, t, c)| (*p, t.as_str(), c.as_str())),
                    now,
                )
                .await?;
            }
            novel::Entity::update_many()
                .col_expr(novel::Column::ChapterCount, Expr::value(chapters as i32))
                .filter(novel::Column::Id.eq(novel_id))
                .exec(db)
                .await?;
        }
        progress(end);
        start = end;
    }
    Ok(created)
}
