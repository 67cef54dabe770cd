//! The in-process search index: normalised titles and authors with a suffix array over them
//! (exact substring search for any query length), and sorted pinyin spellings (every reading
//! of a polyphonic character) for prefix search. Documents are numbered in heat order, so a
//! set of matches is a bitset whose ascending order is the ranking within a tier, and counting
//! every match is a popcount: totals are exact whatever the query.

use std::collections::HashMap;
use std::time::{Duration, Instant};

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

/// A pinyin key: `spelled[off]` is its length, the key follows.
#[derive(Debug, Clone, Copy)]
struct Spelling {
    off: u32,
    field: u32,
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
    /// The fields as written, for those whose normalised text differs (most don't).
    raw: HashMap<u32, Box<str>>,
    /// Every suffix of every field, sorted.
    suffixes: Vec<Suffix>,
    /// Fields sorted by their normalised text (completions).
    names: Vec<u32>,
    /// Pinyin keys, each a length byte then the key; fields with the same text share theirs.
    spelled: Vec<u8>,
    /// Pinyin keys, sorted.
    spellings: Vec<Spelling>,
    /// Documents containing each of the most frequent character bigrams (title or author), so
    /// that partial matching never walks their long suffix ranges.
    frequent: HashMap<Vec<u8>, FixedBitSet>,
    /// How long each phase of the build took.
    pub build_phases: Vec<(&'static str, Duration)>,
}

/// Frequent bigrams kept as document sets at most (each `documents / 8` bytes).
const MAX_FREQUENT: usize = 256;

/// Phase timings of a build.
struct Laps(Vec<(&'static str, Duration)>, Instant);

impl Laps {
    fn start() -> Self {
        Self(Vec::new(), Instant::now())
    }

    fn mark(&mut self, phase: &'static str) {
        self.0.push((phase, self.1.elapsed()));
        self.1 = Instant::now();
    }
}

/// Re-raises a worker's panic (the build runs under `spawn_blocking`, which reports it).
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// `f` over `items` on every core, in order.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let chunk = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<U>>()))
            .collect();
        parts.into_iter().flat_map(join).collect()
    })
}

fn field_str<'a>(text: &'a str, bounds: &[u32], field: u32) -> &'a str {
    &text[bounds[field as usize] as usize..bounds[field as usize + 1] as usize]
}

/// Every suffix of every field, sorted.
fn suffix_array(text: &str, bounds: &[u32], fields: u32) -> Vec<Suffix> {
    let mut suffixes = Vec::with_capacity(text.chars().count());
    for field in 0..fields {
        let start = bounds[field as usize];
        for (i, _) in field_str(text, bounds, field).char_indices() {
            // i < the field's length, and the whole text fits in u32 (checked).
            suffixes.push(Suffix {
                pos: start + i as u32,
                field,
            });
        }
    }
    let bytes = text.as_bytes();
    suffixes.sort_unstable_by(|a, b| suffix(bytes, bounds, a).cmp(suffix(bytes, bounds, b)));
    suffixes
}

/// The sorted pinyin keys of every field and their arena; a text shared by several fields
/// (an author's name) is spelled once.
fn spell(text: &str, bounds: &[u32], fields: u32) -> ServiceResult<(Vec<Spelling>, Vec<u8>)> {
    let mut unique: HashMap<&str, u32> = HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut which: Vec<u32> = Vec::with_capacity(fields as usize);
    for field in 0..fields {
        let t = field_str(text, bounds, field);
        let next = texts.len() as u32;
        let id = *unique.entry(t).or_insert(next);
        if id == next {
            texts.push(t);
        }
        which.push(id);
    }
    drop(unique);
    // Each text's keys as (length byte, key) records; one buffer per worker, few allocations.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(16));
    let chunks: Vec<&[&str]> = texts.chunks(texts.len().div_ceil(threads).max(1)).collect();
    let parts = par_map(&chunks, |chunk| {
        let (mut buf, mut ends) = (Vec::new(), Vec::with_capacity(chunk.len()));
        for t in *chunk {
            for key in pinyin_keys(t) {
                buf.push(key.len() as u8); // at most MAX_KEY_BYTES
                buf.extend_from_slice(key.as_bytes());
            }
            ends.push(buf.len());
        }
        buf.shrink_to_fit();
        (buf, ends)
    });
    let mut spelled: Vec<u8> = Vec::with_capacity(parts.iter().map(|(b, _)| b.len()).sum());
    let mut offsets: Vec<(u32, u32)> = Vec::with_capacity(texts.len()); // (start, end) in spelled
    for (buf, ends) in parts {
        let base = spelled.len();
        let mut start = base;
        spelled.extend_from_slice(&buf);
        for end in ends {
            let end = base + end;
            offsets.push((
                u32::try_from(start).map_err(|_| too_large())?,
                u32::try_from(end).map_err(|_| too_large())?,
            ));
            start = end;
        }
    }
    let keys_of = |(mut off, end): (u32, u32)| {
        let mut n = 0;
        while off < end {
            n += 1;
            off += 1 + u32::from(spelled[off as usize]);
        }
        n
    };
    let counts: Vec<usize> = offsets.iter().map(|o| keys_of(*o)).collect();
    let mut spellings =
        Vec::with_capacity(which.iter().map(|id| counts[*id as usize]).sum::<usize>());
    for (field, id) in which.into_iter().enumerate() {
        let (mut off, end) = offsets[id as usize];
        while off < end {
            spellings.push(Spelling {
                off,
                field: field as u32,
            });
            off += 1 + u32::from(spelled[off as usize]);
        }
    }
    spellings.sort_unstable_by(|a, b| spelling(&spelled, a).cmp(spelling(&spelled, b)));
    Ok((spellings, spelled))
}

/// Document sets of the bigrams found at least `documents / 32` times (at most
/// `MAX_FREQUENT`, the most frequent first): runs of the sorted suffixes sharing two characters.
fn frequent_bigrams(
    text: &str,
    bounds: &[u32],
    suffixes: &[Suffix],
    documents: usize,
) -> HashMap<Vec<u8>, FixedBitSet> {
    let bytes = text.as_bytes();
    let bigram = |s: &Suffix| -> Option<&[u8]> {
        let rest = &text[s.pos as usize..bounds[s.field as usize + 1] as usize];
        let mut chars = rest.char_indices();
        chars.next()?;
        let (i, c) = chars.next()?;
        Some(&bytes[s.pos as usize..s.pos as usize + i + c.len_utf8()])
    };
    let threshold = (documents / 32).max(64);
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (start, len) in `suffixes`
    let mut start = 0;
    while start < suffixes.len() {
        let key = bigram(&suffixes[start]);
        let len = suffixes[start..]
            .iter()
            .take_while(|s| key.is_some() && bigram(s) == key)
            .count()
            .max(1);
        if key.is_some() && len >= threshold {
            runs.push((start, len));
        }
        start += len;
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.1));
    runs.truncate(MAX_FREQUENT);
    runs.into_iter()
        .filter_map(|(start, len)| {
            let key = bigram(&suffixes[start])?.to_vec();
            let mut docs = FixedBitSet::with_capacity(documents);
            for s in &suffixes[start..start + len] {
                docs.insert((s.field / 2) as usize);
            }
            Some((key, docs))
        })
        .collect()
}

fn too_large() -> ServiceError {
    ServiceError::Internal("the catalog is too large for the search index".into())
}

impl SearchIndex {
    /// Builds the index from `(novel id, title, author, top-level category)`, hottest first.
    /// The independent phases run on all cores.
    pub fn from_rows(
        version: i64,
        rows: impl IntoIterator<Item = (i64, String, String, i64)>,
    ) -> ServiceResult<Self> {
        let mut laps = Laps::start();
        let rows: Vec<(i64, String, String, i64)> = rows.into_iter().collect();
        let normalized = par_map(&rows, |(_, t, a, _)| [normalize(t), normalize(a)]);
        let mut ix = Self {
            version,
            bounds: vec![0],
            ..Default::default()
        };
        for ((id, title, author, top), norm) in rows.into_iter().zip(normalized) {
            let doc = u32::try_from(ix.ids.len()).map_err(|_| too_large())?;
            ix.ids.push(id);
            ix.top_category.push(top);
            ix.by_category.entry(top).or_default().push(doc);
            for (written, norm) in [title, author].into_iter().zip(norm) {
                if written != norm {
                    let field = u32::try_from(ix.bounds.len() - 1).map_err(|_| too_large())?;
                    ix.raw.insert(field, written.into_boxed_str());
                }
                ix.text.push_str(&norm);
                ix.bounds
                    .push(u32::try_from(ix.text.len()).map_err(|_| too_large())?);
            }
        }
        let fields = u32::try_from(ix.bounds.len() - 1).map_err(|_| too_large())?;
        laps.mark("normalise");
        let (text, bounds) = (ix.text.as_str(), ix.bounds.as_slice());
        let (suffixes, spelled) = std::thread::scope(|s| {
            let suffixes = s.spawn(|| suffix_array(text, bounds, fields));
            let spelled = spell(text, bounds, fields);
            (join(suffixes), spelled)
        });
        let (spellings, spelled) = spelled?;
        laps.mark("suffix array ∥ pinyin");
        ix.frequent = frequent_bigrams(text, bounds, &suffixes, ix.ids.len());
        ix.suffixes = suffixes;
        ix.spellings = spellings;
        ix.spelled = spelled;
        let (text, bounds) = (ix.text.as_bytes(), &ix.bounds);
        ix.names = (0..fields).collect();
        ix.names.sort_by(|a, b| {
            field_bytes(text, bounds, *a)
                .cmp(field_bytes(text, bounds, *b))
                .then(a.cmp(b))
        });
        // Built by pushing: give back the growth slack (up to half of each array).
        ix.text.shrink_to_fit();
        ix.bounds.shrink_to_fit();
        ix.ids.shrink_to_fit();
        ix.top_category.shrink_to_fit();
        ix.by_category.values_mut().for_each(Vec::shrink_to_fit);
        laps.mark("names, frequent bigrams");
        ix.build_phases = laps.0;
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
            + self.raw.values().map(|r| r.len() + 32).sum::<usize>()
            + self.suffixes.capacity() * size_of::<Suffix>()
            + self.names.capacity() * 4
            + self.spelled.capacity()
            + self.spellings.capacity() * size_of::<Spelling>()
            + self
                .frequent
                .values()
                .map(|d| d.len() / 8 + 64)
                .sum::<usize>()
    }

    fn field(&self, field: u32) -> &str {
        &self.text[self.bounds[field as usize] as usize..self.bounds[field as usize + 1] as usize]
    }

    fn raw_field(&self, field: u32) -> &str {
        match self.raw.get(&field) {
            Some(raw) => raw,
            None => self.field(field),
        }
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
        let spelled = &self.spelled;
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
            partial: None,
        };
        if matches.strict_total() < PARTIAL_BELOW {
            matches.partial = self.partial(&compact, &matches.strict);
        }
        matches
    }

    /// Documents sharing at least a third of the query's distinct character bigrams (and at
    /// least one) with their title or author, strict matches excluded; ranked most shared
    /// first, then heat. Each bigram is a document set (precomputed when frequent); the
    /// per-document counts are kept as bit planes, so adding a set costs a few word operations
    /// per 64 documents. Nothing is ranked here: the counts per score come from popcounts, and
    /// `Partial::page` walks only as far as the page asked for (a bigram shared by every title
    /// would otherwise rank the whole catalog for each query).
    fn partial(&self, compact: &str, strict: &[FixedBitSet; 5]) -> Option<Partial> {
        let chars: Vec<char> = compact.chars().collect();
        let mut bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
        bigrams.sort_unstable();
        bigrams.dedup();
        if bigrams.len() < 2 {
            return None;
        }
        let need = bigrams.len().div_ceil(3);
        let n = self.ids.len();
        let words = n.div_ceil(usize::BITS as usize);
        let depth = (usize::BITS - bigrams.len().leading_zeros()) as usize;
        let mut planes = vec![vec![0usize; words]; depth];
        let mut scratch = FixedBitSet::with_capacity(n);
        for b in &bigrams {
            let set = match self.frequent.get(b.as_bytes()) {
                Some(set) => set,
                None => {
                    let range = self.suffix_range(b.as_bytes());
                    if range.is_empty() {
                        continue;
                    }
                    scratch.clear();
                    for s in range {
                        scratch.insert((s.field / 2) as usize);
                    }
                    &scratch
                }
            };
            for (w, bits) in set.as_slice().iter().enumerate() {
                let mut carry = *bits;
                for plane in planes.iter_mut() {
                    if carry == 0 {
                        break;
                    }
                    let next = plane[w] & carry;
                    plane[w] ^= carry;
                    carry = next;
                }
            }
        }
        let mut excluded = vec![0usize; words];
        for t in strict {
            for (e, bits) in excluded.iter_mut().zip(t.as_slice()) {
                *e |= bits;
            }
        }
        let mut partial = Partial {
            planes,
            excluded,
            counts: vec![0; bigrams.len() + 1],
        };
        for score in need..=bigrams.len() {
            partial.counts[score] = (0..words)
                .map(|w| partial.scored(w, score).count_ones() as usize)
                .sum();
        }
        Some(partial)
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
    let at = s.off as usize;
    &spelled[at + 1..at + 1 + spelled[at] as usize]
}

const STRICT_KINDS: [MatchKind; 5] = [
    MatchKind::Exact,
    MatchKind::Title,
    MatchKind::Title,
    MatchKind::Author,
    MatchKind::Pinyin,
];

/// Every match of one query: disjoint strict tiers (bitsets over documents) and the partial
/// matches, ranked on demand.
#[derive(Debug)]
pub struct Matches {
    strict: [FixedBitSet; 5],
    counts: [usize; 5],
    partial: Option<Partial>,
}

/// Partial matches: how many of the query's bigrams each document shares, as bit planes
/// (bit `i` of document `d`'s count is bit `d` of `planes[i]`), strict matches left out.
#[derive(Debug)]
struct Partial {
    planes: Vec<Vec<usize>>,
    /// The strict matches, by word: never partial ones too.
    excluded: Vec<usize>,
    /// Documents with each score (0 below the least score that counts).
    counts: Vec<usize>,
}

impl Partial {
    /// The documents of word `w` (64 of them) sharing exactly `score` bigrams.
    fn scored(&self, w: usize, score: usize) -> usize {
        let mut mask = !self.excluded[w];
        for (i, plane) in self.planes.iter().enumerate() {
            mask &= if score >> i & 1 == 1 {
                plane[w]
            } else {
                !plane[w]
            };
        }
        mask
    }

    fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Ranked documents `skip..` (most shared bigrams first, then heat: document order), at
    /// most `limit` of them, appended to `out`.
    fn page(&self, mut skip: usize, limit: usize, out: &mut Vec<(u32, MatchKind)>) {
        let end = out.len() + limit;
        for (score, &count) in self.counts.iter().enumerate().rev() {
            if skip >= count {
                skip -= count;
                continue;
            }
            for w in 0..self.excluded.len() {
                let mut bits = self.scored(w, score);
                let ones = bits.count_ones() as usize;
                if skip >= ones {
                    skip -= ones;
                    continue;
                }
                while bits != 0 {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    if out.len() >= end {
                        return;
                    }
                    let doc = w * usize::BITS as usize + bit;
                    out.push((doc as u32, MatchKind::Partial));
                }
            }
        }
    }
}

impl Matches {
    pub fn strict_total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Every match, partial ones included: exact, never capped.
    pub fn total(&self) -> usize {
        self.strict_total() + self.partial.as_ref().map_or(0, Partial::total)
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
        if let Some(partial) = &self.partial {
            let left = limit - out.len();
            partial.page(skip, left, &mut out);
        }
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

    #[test]
    fn frequent_bigram_sets_score_like_the_suffix_ranges() {
        let rows: Vec<(String, String)> = (0..300)
            .map(|i| (format!("甲乙丙{i}"), format!("作者{}", i % 7)))
            .collect();
        let mut ix = SearchIndex::from_rows(
            1,
            rows.iter()
                .enumerate()
                .map(|(i, (t, a))| (i as i64 + 1, t.clone(), a.clone(), 1)),
        )
        .unwrap();
        assert!(ix.frequent.contains_key("甲乙".as_bytes()), "precomputed");
        let hits = |ix: &SearchIndex, q: &str| {
            let m = ix.search(q);
            (m.total(), m.hits(0, 400))
        };
        let with_sets = [
            hits(&ix, "甲乙丙丁"),
            hits(&ix, "乙丙12作者3"),
            hits(&ix, "丁乙丙"),
        ];
        ix.frequent.clear();
        let without = [
            hits(&ix, "甲乙丙丁"),
            hits(&ix, "乙丙12作者3"),
            hits(&ix, "丁乙丙"),
        ];
        assert_eq!(with_sets, without);
        assert_eq!(with_sets[0].0, 300);
        assert!(with_sets[0].1.iter().all(|(_, k)| *k == MatchKind::Partial));
        // Document 122: 乙丙, 丙1, 12 in its title and 作者, 者3 in its author (122 % 7 = 3)
        // share 5 bigrams; most shared first.
        assert_eq!(with_sets[1].1[0].0, 122);
        // Pages of the ranking, partial ones included, are slices of the whole ranking.
        let m = ix.search("乙丙12作者3");
        let whole = m.hits(0, 400);
        let paged: Vec<_> = (0..whole.len().div_ceil(7))
            .flat_map(|page| m.hits(page * 7, 7))
            .collect();
        assert_eq!(paged, whole);
        assert_eq!(m.hits(whole.len(), 7), []);
    }
}
