//! Operator commands: opening the database with one-line start-up errors, `import`,
//! `import-txt`, `seed --synthetic`, and the demo catalog.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use service::ServiceError;
use service::import::{ImportNovel, decode_text, import_novel, split_chapters};
use tokio::io::AsyncBufReadExt;

use crate::config::Config;

/// Opens the pool after one fast connection attempt, so that a start-up failure is one line
/// that names the fix (a dead server, a missing database, an SQLite file without `mode=rwc`)
/// within seconds, instead of a pool timing out.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = &config.database_url;
    migration::database::check_reachable(url)
        .await
        .map_err(anyhow::Error::msg)?;
    let db = service::db::connect(url, &config.db_options())
        .await
        // `DbErr` repeats its source in its own message: print it once, without the chain.
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", migration::database::describe(url)))?;
    tracing::info!(
        backend = service::db::backend_name(&db),
        database = %migration::database::describe(url),
        "database connected"
    );
    Ok(db)
}

/// Applies pending migrations (the server's `AUTO_MIGRATE`).
pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    use sea_orm_migration::MigratorTrait;
    migration::Migrator::up(db, None)
        .await
        .map_err(|e| anyhow::anyhow!("applying migrations failed: {e}"))
}

/// `literature import --help`: the JSON Lines format, field by field (the README's "Import"
/// section and `docs/import.schema.json` say the same).
pub const IMPORT_FORMAT_HELP: &str = "\
FORMAT
  UTF-8 JSON Lines: one novel per line, one JSON object per novel. Blank lines are skipped;
  unknown fields are an error. JSON Schema of one line: docs/import.schema.json.

  {\"title\":\"西游记\",\"author\":\"吴承恩\",\"channel\":\"male\",\"category\":\"古典名著\",
   \"subcategory\":\"神魔\",\"status\":\"finished\",\"intro\":\"…\",\"heat\":9800,
   \"chapters\":[{\"title\":\"第一回 灵根育孕源流出\",\"content\":\"诗曰：混沌未分天地乱……\"}]}

FIELDS (a novel is identified by title + author; importing it again updates it)
  title          string, required   1-200 characters (trimmed)
  author         string, required   1-100 characters (trimmed)
  channel        string, required   \"male\" or \"female\"
  category       string, required   top-level category, 1-64 characters, no '/'
  subcategory    string, optional   category under `category` that the novel is filed in,
                                    1-64 characters, no '/'
  status         string, optional   \"serial\" or \"finished\" (new novels: serial)
  intro          string, optional   the blurb (new novels: empty)
  cover_url      string, optional   at most 512 characters (new novels: empty)
  heat           integer, optional  >= 0; orders the hot ranking and search ties (new: 0)
  collect_count  integer, optional  >= 0; orders the collect ranking (new: 0)
  chapters       array, required    1-50000 chapters in reading order: entry n is chapter n
    .title       string, required   1-200 characters (trimmed)
    .content     string, required   plain text, not blank; kept as given (line breaks are
                                    paragraphs); its word count is its non-space characters

RE-IMPORTING
  An optional field left out keeps the stored value. Chapter n replaces the stored chapter n
  when its title or text differ; stored chapters past the end of `chapters` are kept. A novel
  or chapter whose content is already stored as given is not written at all (its updated_at
  and ETag stay; counted as unchanged). Heat and collect_count changes are saved without
  moving the novel up the \"latest\" order. Categories that do not exist yet are created and
  listed in the summary (\"created categories: ...\"): check them for typos.

OUTCOME
  Each novel is one transaction; a bad line is reported with its line number and skipped; the
  command prints a summary and exits non-zero when any line failed.";

/// The demo catalog shipped in the binary (public-domain classics).
pub const DEMO_CATALOG: &str = include_str!("../../data/demo.jsonl");

/// What an import did. Unchanged novels and chapters were not written at all.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub chapters_added: usize,
    pub chapters_updated: usize,
    pub chapters_unchanged: usize,
    /// Categories the import created (`name (channel)` or `parent/name (channel)`): a typo in
    /// a category name shows up here instead of silently becoming a new category.
    pub categories_created: Vec<String>,
    pub failed: Vec<(usize, String)>,
}

impl ImportSummary {
    fn add(&mut self, outcome: service::import::ImportOutcome) {
        if outcome.created {
            self.created += 1;
        } else if outcome.changed {
            self.updated += 1;
        } else {
            self.unchanged += 1;
        }
        self.chapters_added += outcome.chapters_added;
        self.chapters_updated += outcome.chapters_updated;
        self.chapters_unchanged += outcome.chapters_unchanged;
        for c in outcome.categories_created {
            if !self.categories_created.contains(&c) {
                self.categories_created.push(c);
            }
        }
    }

    pub fn novels(&self) -> usize {
        self.created + self.updated + self.unchanged
    }
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} novels ({} new, {} updated, {} unchanged), chapters: {} added, {} updated, {} unchanged; {} lines failed",
            self.novels(),
            self.created,
            self.updated,
            self.unchanged,
            self.chapters_added,
            self.chapters_updated,
            self.chapters_unchanged,
            self.failed.len()
        )?;
        if !self.categories_created.is_empty() {
            write!(
                f,
                "; created categories: {}",
                self.categories_created.join(", ")
            )?;
        }
        Ok(())
    }
}

/// A readable one-line reason for a failed novel.
fn reason(e: &ServiceError) -> String {
    match e {
        ServiceError::Invalid(fields) => fields
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("; "),
        ServiceError::Conflict(_) => "conflicts with a concurrent change; retry".into(),
        other => other.to_string(),
    }
}

/// Imports one JSON line; `Err` carries the reason.
async fn import_line(
    db: &DatabaseConnection,
    line: &str,
    summary: &mut ImportSummary,
) -> Result<(), String> {
    let novel: ImportNovel =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let outcome = import_novel(db, &novel).await.map_err(|e| reason(&e))?;
    summary.add(outcome);
    Ok(())
}

/// Imports a JSON Lines file: bad lines are reported with their number and skipped.
pub async fn import_jsonl(db: &DatabaseConnection, path: &Path) -> anyhow::Result<ImportSummary> {
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    // indicatif draws only on a terminal; piped output stays clean.
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut lines = tokio::io::BufReader::new(file).lines();
    let mut summary = ImportSummary::default();
    let mut n = 0;
    while let Some(line) = lines
        .next_line()
        .await
        .with_context(|| format!("reading {}", path.display()))?
    {
        n += 1;
        bar.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Err(why) = import_line(db, &line, &mut summary).await {
            bar.suspend(|| eprintln!("line {n}: {why}"));
            summary.failed.push((n, why));
        }
        bar.set_message(format!("{} novels", summary.novels()));
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// Imports a plain-text novel, split into chapters at its headings.
pub async fn import_txt(
    db: &DatabaseConnection,
    path: &Path,
    meta: ImportNovel,
) -> anyhow::Result<ImportSummary> {
    let bytes = tokio::fs::read(path)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    let chapters = split_chapters(&decode_text(&bytes));
    anyhow::ensure!(!chapters.is_empty(), "{} has no text", path.display());
    let novel = ImportNovel { chapters, ..meta };
    let mut summary = ImportSummary::default();
    let outcome = import_novel(db, &novel)
        .await
        .map_err(|e| anyhow::anyhow!(reason(&e)))?;
    summary.add(outcome);
    Ok(summary)
}

/// Loads the demo catalog into an empty database (development convenience).
pub async fn load_demo_if_empty(db: &DatabaseConnection) -> anyhow::Result<Option<ImportSummary>> {
    if !service::import::catalog_is_empty(db).await? {
        return Ok(None);
    }
    let mut summary = ImportSummary::default();
    for (i, line) in DEMO_CATALOG.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(why) = import_line(db, line, &mut summary).await {
            summary.failed.push((i + 1, why));
        }
    }
    Ok(Some(summary))
}

/// `seed --synthetic`: a deterministic catalog for benchmarks.
pub async fn seed(db: &DatabaseConnection, novels: u64, chapters: u32) -> anyhow::Result<u64> {
    let bar = ProgressBar::new(novels).with_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} novels {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let created =
        service::import::seed_synthetic(db, novels, chapters, |done| bar.set_position(done))
            .await?;
    bar.finish_and_clear();
    Ok(created)
}
