//! The in-process search index: normalised titles and authors with a suffix array over them
//! (exact substring search for any query length), and sorted pinyin spellings (every reading
//! of a polyphonic character) for prefix search. Documents are numbered in heat order, so a
//! set of matches is a bitset whose ascending order is the ranking within a tier, and counting
//! every match is a popcount: totals are exact whatever the query.

use std::collections::HashMap;

use fixedbitset::FixedBitSet;
use pinyin::ToPinyinMulti;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::{ServiceError, ServiceResult};

/// Longest query, in characters, after normalisation too.
pub const MAX_QUERY_CHARS: usize = 64;
/// Pinyin spellings indexed per title or author, per kind (full pinyin, initials). A text whose
/// polyphonic characters allow more combinations keeps, in this order: the most common reading
/// of every character, then every spelling with one other reading (earlier characters first),
/// then two, and so on until the cap. Documented in the README ("Search").
pub const MAX_SPELLINGS: usize = 32;
/// Partial matches are looked for only when the strict tiers found fewer hits than this.
pub const PARTIAL_BELOW: usize = 20;
/// A pinyin key never needs to be longer than the longest (all-ASCII) query.
const MAX_KEY_BYTES: usize = MAX_QUERY_CHARS;

/// Why a novel matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    Exact,
    Title,
    Author,
    Pinyin,
    Partial,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Title => "title",
            Self::Author => "author",
            Self::Pinyin => "pinyin",
            Self::Partial => "partial",
        }
    }
}

/// Control, format (zero-width joiners, bidi overrides such as U+202E, the BOM), private-use and
/// unassigned characters: invisible or meaningless in a title or a query.
pub fn is_invisible(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Other
}

/// Full-width → half-width (NFKC), invisible characters dropped, traditional → simplified, lower
/// case, single spaces.
pub fn normalize(s: &str) -> String {
    let visible: String = s
        .nfkc()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if is_invisible(c) {
                None
            } else {
                Some(c)
            }
        })
        .collect();
    let simplified = fast2s::convert(&visible).to_lowercase();
    simplified.split_whitespace().collect::<Vec<_>>().join(" ")
}

const ALNUM: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

/// The readings of each character that has any (Chinese characters, ASCII letters and digits):
/// full pinyin and initials, each deduplicated with the most common reading first.
type Readings = Vec<Vec<&'static str>>;

fn readings(text: &str) -> (Readings, Readings) {
    let (mut full, mut initials): (Readings, Readings) = (Vec::new(), Vec::new());
    for c in text.chars() {
        if let Some(multi) = c.to_pinyin_multi() {
            let (mut f, mut i): (Vec<&'static str>, Vec<&'static str>) = (Vec::new(), Vec::new());
            for p in multi {
                if !f.contains(&p.plain()) {
                    f.push(p.plain());
                }
                if !i.contains(&p.first_letter()) {
                    i.push(p.first_letter());
                }
            }
            full.push(f);
            initials.push(i);
        } else if c.is_ascii_alphanumeric() {
            let c = c.to_ascii_lowercase();
            if let Some(at) = ALNUM.find(c) {
                full.push(vec![&ALNUM[at..at + 1]]);
                initials.push(vec![&ALNUM[at..at + 1]]);
            }
        }
    }
    (full, initials)
}

/// Up to `cap` distinct spellings of a sequence of readings, each cut to `MAX_KEY_BYTES`: the
/// first reading everywhere, then one other reading at one position, then at two, …
fn spellings(readings: &[Vec<&'static str>], cap: usize) -> Vec<String> {
    struct Walk<'a> {
        readings: &'a [Vec<&'static str>],
        alts: Vec<usize>,
        choice: Vec<usize>,
        out: Vec<String>,
        cap: usize,
        /// Attempts left: truncation can make spellings collide, so bound the work too.
        budget: usize,
    }
    impl Walk<'_> {
        /// Gives `k` more positions (from `alts[from..]`) another reading; false when done.
        fn choose(&mut self, k: usize, from: usize) -> bool {
            if k == 0 {
                let mut s = String::new();
                for (r, c) in self.readings.iter().zip(&self.choice) {
                    s.push_str(r[*c]);
                    if s.len() >= MAX_KEY_BYTES {
                        break;
                    }
                }
                s.truncate(MAX_KEY_BYTES);
                if !s.is_empty() && !self.out.contains(&s) {
                    self.out.push(s);
                }
                self.budget = self.budget.saturating_sub(1);
                return self.out.len() < self.cap && self.budget > 0;
            }
            for i in from..self.alts.len() {
                if self.alts.len() - i < k {
                    break;
                }
                let p = self.alts[i];
                for alt in 1..self.readings[p].len() {
                    self.choice[p] = alt;
                    if !self.choose(k - 1, i + 1) {
                        return false;
                    }
                }
                self.choice[p] = 0;
            }
            true
        }
    }
    // Positions past the first MAX_KEY_BYTES characters can't reach a key.
    let alts: Vec<usize> = readings
        .iter()
        .enumerate()
        .take(MAX_KEY_BYTES)
        .filter(|(_, r)| r.len() > 1)
        .map(|(i, _)| i)
        .collect();
    let mut walk = Walk {
        readings,
        choice: vec![0; readings.len()],
        out: Vec::new(),
        cap,
        budget: cap.saturating_mul(4),
        alts,
    };
    for k in 0..=walk.alts.len() {
        if !walk.choose(k, 0) {
            break;
        }
    }
    walk.out
}

/// Every indexed pinyin key of a normalised text: full spellings and initials.
fn pinyin_keys(text: &str) -> Vec<String> {
    let (full, initials) = readings(text);
    let mut keys = spellings(&full, MAX_SPELLINGS);
    for k in spellings(&initials, MAX_SPELLINGS) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// A suffix of a field's text: `pos` in `text`, up to the field's end.
#[derive(Debug, Clone, Copy)]
struct Suffix {
    pos: u32,
    field: u32,
}

/// A pinyin key in `spelled`.
#[derive(Debug, Clone, Copy)]
struct Spelling {
    off: u32,
    field: u32,
    len: u8,
}

/// An immutable snapshot of the index. Field `2d` is document `d`'s title, `2d + 1` its author;
/// documents are in heat order (hottest first).
#[derive(Debug, Default)]
pub struct SearchIndex {
    pub version: i64,
    ids: Vec<i64>,
    top_category: Vec<i64>,
    by_category: HashMap<i64, Vec<u32>>,
    /// Normalised fields back to back; field `f` is `text[bounds[f]..bounds[f + 1]]`.
    text: String,
    bounds: Vec<u32>,
    /// The fields as written, likewise.
    raw: String,
    raw_bounds: Vec<u32>,
    /// Every suffix of every field, sorted.
    suffixes: Vec<Suffix>,
    /// Fields sorted by their normalised text (completions).
    names: Vec<u32>,
    spelled: String,
    /// Pinyin keys, sorted.
    spellings: Vec<Spelling>,
}

fn too_large() -> ServiceError {
    ServiceError::Internal("the catalog is too large for the search index".into())
}

impl SearchIndex {
    /// Builds the index from `(novel id, title, author, top-level category)`, hottest first.
    pub fn from_rows(
        version: i64,
        rows: impl IntoIterator<Item = (i64, String, String, i64)>,
    ) -> ServiceResult<Self> {
        let mut ix = Self {
            version,
            bounds: vec![0],
            raw_bounds: vec![0],
            ..Default::default()
        };
        for (id, title, author, top) in rows {
            let doc = u32::try_from(ix.ids.len()).map_err(|_| too_large())?;
            ix.ids.push(id);
            ix.top_category.push(top);
            ix.by_category.entry(top).or_default().push(doc);
            for written in [title, author] {
                ix.text.push_str(&normalize(&written));
                ix.bounds
                    .push(u32::try_from(ix.text.len()).map_err(|_| too_large())?);
                ix.raw.push_str(&written);
                ix.raw_bounds
                    .push(u32::try_from(ix.raw.len()).map_err(|_| too_large())?);
            }
        }
        let fields = u32::try_from(ix.bounds.len() - 1).map_err(|_| too_large())?;
        let (mut suffixes, mut spellings, mut spelled) = (Vec::new(), Vec::new(), String::new());
        for field in 0..fields {
            let start = ix.bounds[field as usize];
            let text = ix.field(field);
            for (i, _) in text.char_indices() {
                // i < text.len(), and start + text.len() fits in u32 (checked above).
                suffixes.push(Suffix {
                    pos: start + i as u32,
                    field,
                });
            }
            for key in pinyin_keys(text) {
                let off = u32::try_from(spelled.len()).map_err(|_| too_large())?;
                spelled.push_str(&key);
                spellings.push(Spelling {
                    off,
                    field,
                    // Keys are at most MAX_KEY_BYTES (64) long.
                    len: key.len().min(MAX_KEY_BYTES) as u8,
                });
            }
        }
        ix.suffixes = suffixes;
        ix.spellings = spellings;
        ix.spelled = spelled;
        ix.names = (0..fields).collect();
        let (text, bounds) = (ix.text.as_bytes(), &ix.bounds);
        ix.suffixes
            .sort_unstable_by(|a, b| suffix(text, bounds, a).cmp(suffix(text, bounds, b)));
        let spelled = ix.spelled.as_bytes();
        ix.spellings
            .sort_unstable_by(|a, b| spelling(spelled, a).cmp(spelling(spelled, b)));
        ix.names.sort_by(|a, b| {
            field_bytes(text, bounds, *a)
                .cmp(field_bytes(text, bounds, *b))
                .then(a.cmp(b))
        });
        Ok(ix)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The novel id of a document.
    pub fn id(&self, doc: u32) -> i64 {
        self.ids[doc as usize]
    }

    /// Bytes the index holds (its arrays and text; allocator overhead aside).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.ids.capacity() * 8
            + self.top_category.capacity() * 8
            + self
                .by_category
                .values()
                .map(|v| v.capacity() * 4 + 48)
                .sum::<usize>()
            + self.text.capacity()
            + self.bounds.capacity() * 4
            + self.raw.capacity()
            + self.raw_bounds.capacity() * 4
            + self.suffixes.capacity() * size_of::<Suffix>()
            + self.names.capacity() * 4
            + self.spelled.capacity()
            + self.spellings.capacity() * size_of::<Spelling>()
    }

    fn field(&self, field: u32) -> &str {
        &self.text[self.bounds[field as usize] as usize..self.bounds[field as usize + 1] as usize]
    }

    fn raw_field(&self, field: u32) -> &str {
        &self.raw
            [self.raw_bounds[field as usize] as usize..self.raw_bounds[field as usize + 1] as usize]
    }

    /// The suffixes that start with `q`.
    fn suffix_range(&self, q: &[u8]) -> &[Suffix] {
        let (text, bounds) = (self.text.as_bytes(), &self.bounds);
        let lo = self
            .suffixes
            .partition_point(|s| suffix(text, bounds, s) < q);
        let len = self.suffixes[lo..].partition_point(|s| suffix(text, bounds, s).starts_with(q));
        &self.suffixes[lo..lo + len]
    }

    /// The pinyin keys that start with `q`.
    fn spelling_range(&self, q: &[u8]) -> &[Spelling] {
        let spelled = self.spelled.as_bytes();
        let lo = self.spellings.partition_point(|s| spelling(spelled, s) < q);
        let len = self.spellings[lo..].partition_point(|s| spelling(spelled, s).starts_with(q));
        &self.spellings[lo..lo + len]
    }

    /// The fields whose text starts with `q`.
    fn name_range(&self, q: &[u8]) -> &[u32] {
        let (text, bounds) = (self.text.as_bytes(), &self.bounds);
        let lo = self
            .names
            .partition_point(|f| field_bytes(text, bounds, *f) < q);
        let len =
            self.names[lo..].partition_point(|f| field_bytes(text, bounds, *f).starts_with(q));
        &self.names[lo..lo + len]
    }

    /// Every match of a normalised query, ranked: exact title or author, title prefix, title
    /// contains, author contains, pinyin prefix (full or initials, any reading), then — only
    /// when those found fewer than `PARTIAL_BELOW` — partial matches. Heat breaks ties.
    pub fn search(&self, q: &str) -> Matches {
        let n = self.ids.len();
        let [mut exact, mut prefix, mut title, mut author, mut pinyin] =
            std::array::from_fn(|_| FixedBitSet::with_capacity(n));
        if !q.is_empty() {
            for s in self.suffix_range(q.as_bytes()) {
                let doc = (s.field / 2) as usize;
                let start = self.bounds[s.field as usize];
                let at_start = s.pos == start;
                if s.field % 2 == 1 {
                    author.insert(doc);
                } else {
                    title.insert(doc);
                    if at_start {
                        prefix.insert(doc);
                    }
                }
                if at_start && (self.bounds[s.field as usize + 1] - start) as usize == q.len() {
                    exact.insert(doc);
                }
            }
        }
        let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_empty() && compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            for s in self.spelling_range(compact.as_bytes()) {
                pinyin.insert((s.field / 2) as usize);
            }
        }
        // Each document in its best tier only (prefix and exact hits are in `title` too).
        pinyin.difference_with(&title);
        pinyin.difference_with(&author);
        author.difference_with(&title);
        author.difference_with(&exact);
        title.difference_with(&prefix);
        title.difference_with(&exact);
        prefix.difference_with(&exact);
        let strict = [exact, prefix, title, author, pinyin];
        let counts = std::array::from_fn(|i| strict[i].count_ones(..));
        let mut matches = Matches {
            strict,
            counts,
            partial: Vec::new(),
        };
        if matches.strict_total() < PARTIAL_BELOW {
            matches.partial = self.partial(&compact, &matches.strict);
        }
        matches
    }

    /// Documents sharing at least a third of the query's distinct character bigrams (and at
    /// least one) in their title or author, strict matches excluded; most shared first, then
    /// heat.
    fn partial(&self, compact: &str, strict: &[FixedBitSet; 5]) -> Vec<u32> {
        let chars: Vec<char> = compact.chars().collect();
        let mut bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
        bigrams.sort_unstable();
        bigrams.dedup();
        // A query is at most 64 characters: at most 63 bigrams, so the scores fit in a u8.
        if bigrams.len() < 2 || bigrams.len() > u8::MAX as usize - 1 {
            return Vec::new();
        }
        let need = bigrams.len().div_ceil(3).max(1);
        let fields = self.bounds.len() - 1;
        let (mut score, mut seen) = (vec![0u8; fields], vec![0u8; fields]);
        for (i, b) in bigrams.iter().enumerate() {
            let mark = i as u8 + 1;
            for s in self.suffix_range(b.as_bytes()) {
                let f = s.field as usize;
                if seen[f] != mark {
                    seen[f] = mark;
                    score[f] += 1;
                }
            }
        }
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); bigrams.len() + 1];
        for (doc, pair) in score.chunks_exact(2).enumerate() {
            let best = pair[0].max(pair[1]) as usize;
            if best >= need && !strict.iter().any(|t| t.contains(doc)) {
                buckets[best].push(doc as u32);
            }
        }
        buckets.into_iter().rev().flatten().collect()
    }

    /// Completions of a normalised prefix from titles and authors (also by pinyin prefix),
    /// hottest first among the first 64 of each kind in key order, as written.
    /// Returns (as written, normalised).
    pub fn complete(&self, q: &str, limit: usize) -> Vec<(String, String)> {
        let mut fields: Vec<u32> = self
            .name_range(q.as_bytes())
            .iter()
            .take(64)
            .copied()
            .collect();
        let compact: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_empty() && compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            fields.extend(
                self.spelling_range(compact.as_bytes())
                    .iter()
                    .take(64)
                    .map(|s| s.field),
            );
        }
        fields.sort_unstable();
        fields.dedup();
        let mut out: Vec<(String, String)> = Vec::new();
        for f in fields {
            let raw = self.raw_field(f);
            if !out.iter().any(|(w, _)| w == raw) {
                out.push((raw.to_owned(), self.field(f).to_owned()));
            }
            if out.len() >= limit {
                break;
            }
        }
        out
    }

    /// Hottest novels of a document's top-level category (of all when `near` is `None`),
    /// skipping `exclude`.
    pub fn hottest(&self, near: Option<u32>, exclude: &[u32], limit: usize) -> Vec<u32> {
        let category = near
            .and_then(|d| self.top_category.get(d as usize))
            .and_then(|c| self.by_category.get(c));
        let docs: Box<dyn Iterator<Item = u32>> = match category {
            Some(list) => Box::new(list.iter().copied()),
            None => Box::new(0..self.ids.len() as u32),
        };
        docs.filter(|d| !exclude.contains(d)).take(limit).collect()
    }
}

fn suffix<'a>(text: &'a [u8], bounds: &[u32], s: &Suffix) -> &'a [u8] {
    &text[s.pos as usize..bounds[s.field as usize + 1] as usize]
}

fn field_bytes<'a>(text: &'a [u8], bounds: &[u32], field: u32) -> &'a [u8] {
    &text[bounds[field as usize] as usize..bounds[field as usize + 1] as usize]
}

fn spelling<'a>(spelled: &'a [u8], s: &Spelling) -> &'a [u8] {
    &spelled[s.off as usize..s.off as usize + s.len as usize]
}

const STRICT_KINDS: [MatchKind; 5] = [
    MatchKind::Exact,
    MatchKind::Title,
    MatchKind::Title,
    MatchKind::Author,
    MatchKind::Pinyin,
];

/// Every match of one query: disjoint strict tiers (bitsets over documents) and the partial
/// matches in rank order.
#[derive(Debug)]
pub struct Matches {
    strict: [FixedBitSet; 5],
    counts: [usize; 5],
    partial: Vec<u32>,
}

impl Matches {
    pub fn strict_total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Every match, partial ones included: exact, never capped.
    pub fn total(&self) -> usize {
        self.strict_total() + self.partial.len()
    }

    /// Documents `offset..offset + limit` of the ranking, with why they matched.
    pub fn hits(&self, offset: usize, limit: usize) -> Vec<(u32, MatchKind)> {
        let mut out = Vec::with_capacity(limit.min(self.total().saturating_sub(offset)));
        let mut skip = offset;
        for ((set, count), kind) in self.strict.iter().zip(self.counts).zip(STRICT_KINDS) {
            if skip >= count {
                skip -= count;
                continue;
            }
            for doc in set.ones().skip(skip) {
                if out.len() >= limit {
                    return out;
                }
                out.push((doc as u32, kind));
            }
            skip = 0;
        }
        out.extend(
            self.partial
                .iter()
                .skip(skip)
                .take(limit - out.len())
                .map(|d| (*d, MatchKind::Partial)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: &[(&str, &str)]) -> SearchIndex {
        SearchIndex::from_rows(
            1,
            rows.iter()
                .enumerate()
                .map(|(i, (t, a))| (i as i64 + 1, t.to_string(), a.to_string(), 1)),
        )
        .unwrap()
    }

    fn titles(ix: &SearchIndex, q: &str) -> Vec<(i64, &'static str)> {
        let m = ix.search(&normalize(q));
        m.hits(0, 100)
            .into_iter()
            .map(|(d, k)| (ix.id(d), k.as_str()))
            .collect()
    }

    #[test]
    fn normalises_width_script_case_and_invisibles() {
        assert_eq!(normalize("  鬥破蒼穹 "), "斗破苍穹");
        assert_eq!(normalize("ＤＰＣＱ"), "dpcq");
        assert_eq!(normalize("Dou  Po"), "dou po");
        assert_eq!(normalize("dou\tpo"), "dou po");
        assert_eq!(normalize("斗\u{202E}破\u{200D}苍\0穹\u{FEFF}"), "斗破苍穹");
        assert_eq!(normalize("\u{202E}\u{200B}"), "");
    }

    #[test]
    fn pinyin_full_and_initials() {
        let keys = pinyin_keys("斗破苍穹");
        assert_eq!(keys[0], "doupocangqiong");
        assert!(keys.contains(&"dpcq".to_owned()), "{keys:?}");
        let keys = pinyin_keys("第3部");
        assert!(keys.contains(&"di3bu".to_owned()) && keys.contains(&"d3b".to_owned()));
    }

    #[test]
    fn every_reading_of_a_polyphonic_character() {
        for (text, wanted) in [
            ("长老", ["zhanglao", "changlao", "zl", "cl"]),
            ("重生", ["chongsheng", "zhongsheng", "cs", "zs"]),
            ("行者", ["xingzhe", "hangzhe", "xz", "hz"]),
            ("乐府", ["lefu", "yuefu", "lf", "yf"]),
            ("传记", ["chuanji", "zhuanji", "cj", "zj"]),
        ] {
            let keys = pinyin_keys(text);
            for w in wanted {
                assert!(keys.contains(&w.to_owned()), "{text}: {w} not in {keys:?}");
            }
        }
    }

    #[test]
    fn spellings_are_capped_single_alternatives_first() {
        // 40 characters with two readings each: 2^40 combinations.
        let readings: Vec<Vec<&'static str>> = (0..40).map(|_| vec!["a", "b"]).collect();
        let out = spellings(&readings, MAX_SPELLINGS);
        assert_eq!(out.len(), MAX_SPELLINGS);
        assert_eq!(out[0], "a".repeat(40));
        // Then one `b` at each position, earliest first.
        assert_eq!(out[1], format!("b{}", "a".repeat(39)));
        assert_eq!(out[2], format!("ab{}", "a".repeat(38)));
        // Long texts are cut to the longest query.
        let long: Vec<Vec<&'static str>> = (0..100).map(|_| vec!["zhuang"]).collect();
        assert_eq!(spellings(&long, MAX_SPELLINGS)[0].len(), MAX_KEY_BYTES);
    }

    #[test]
    fn tiers_and_exact_totals() {
        let ix = index(&[
            ("斗罗大陆", "唐家三少"),
            ("斗破苍穹", "天蚕土豆"),
            ("天蚕传说", "无名氏"),
            ("苍穹之下", "某人"),
        ]);
        assert_eq!(titles(&ix, "苍穹"), [(4, "title"), (2, "title")]);
        assert_eq!(titles(&ix, "天蚕"), [(3, "title"), (2, "author")]);
        // One strict hit: 苍穹之下 shares a bigram, so it follows as a partial match.
        assert_eq!(titles(&ix, "斗破苍穹"), [(2, "exact"), (4, "partial")]);
        assert_eq!(titles(&ix, "dpcq"), [(2, "pinyin")]);
        assert_eq!(titles(&ix, "斗"), [(1, "title"), (2, "title")]);
        let m = ix.search("斗");
        assert_eq!(m.total(), 2);
        assert_eq!(m.hits(1, 10), [(1, MatchKind::Title)]);
        assert!(m.hits(5, 10).is_empty());
    }

    #[test]
    fn partial_matches_come_after_strict_ones() {
        let ix = index(&[
            ("斗罗大陆", "唐家三少"),
            ("斗破苍穹", "天蚕土豆"),
            ("凡人修仙传", "忘语"),
        ]);
        assert_eq!(titles(&ix, "斗破仓穹"), [(2, "partial")]);
        assert_eq!(titles(&ix, "凡人修仙之仙界篇"), [(3, "partial")]);
        // 斗罗 is a strict hit (title contains): never below the partial ones.
        let got = titles(&ix, "斗罗");
        assert_eq!(got, [(1, "title")]);
        // More shared bigrams first, heat second.
        let ix2 = index(&[("甲乙丙", "某"), ("乙丙丁戊", "某"), ("庚辛", "某")]);
        assert_eq!(titles(&ix2, "甲乙丙丁戊"), [(2, "partial"), (1, "partial")]);
        assert!(titles(&ix, "无此书").is_empty());
    }
}
