use std::net::IpAddr;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use service::account::{Accounts, LoginCodes};
use service::auth::AuthSettings;
use service::catalog_cache::CatalogCache;
use service::chapter_batch::ChapterBatches;
use service::db::DbOptions;
use service::library::{ProgressReads, ProgressWrites, ShelfPages};
use service::replica::{ReadRouting, ReplicaOptions};
use service::search::Search;
use service::wechat::WechatClient;
use service::wechat::emulator::{Emulator, EmulatorConfig};
use service::wechat::token::AccessTokenManager;

use crate::config::Config;
use crate::server::Lifecycle;

/// Shared by every handler. One `Arc`: axum clones the state for every request (handlers and
/// middleware), and one reference count is cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `AppState` shares.
pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub auth: Arc<AuthSettings>,
    pub wechat: WechatClient,
    pub wechat_tokens: AccessTokenManager,
    pub login_codes: LoginCodes,
    pub auth_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    pub catalog: CatalogCache,
    pub search: Search,
    /// The in-process WeChat emulator in development; kept alive with the state.
    pub emulator: Option<Arc<Emulator>>,
    /// Catalog reads that miss the caches: pass `&state.read` as the connection. It reads the
    /// replica while healthy (else the primary); reader data never goes through it.
    pub read: ReadRouting,
    /// Chapter texts the cache lacks, read in batches on `read`.
    pub chapters: ChapterBatches,
    /// `GET /me` reads, batched on the primary.
    pub accounts: Accounts,
    /// Progress writes (`PUT /progress`, signed-in chapter reads), committed in shared
    /// transactions on the primary.
    pub writes: ProgressWrites,
    /// `GET /progress/{id}` reads, batched on the primary.
    pub progress: ProgressReads,
    /// `GET /bookshelf` pages, batched on the primary.
    pub shelves: ShelfPages,
    /// Draining after SIGTERM (`/readyz` answers 503).
    pub lifecycle: Lifecycle,
}

impl AppState {
    pub async fn new(config: Config, db: DatabaseConnection) -> anyhow::Result<Self> {
        crate::metrics::install();
        let auth = AuthSettings::new(
            &config.jwt_secret,
            chrono::Duration::seconds(config.access_token_ttl_secs),
            chrono::Duration::days(config.refresh_token_ttl_days),
            chrono::Duration::seconds(config.refresh_grace_secs),
            config.featured_shelf_size,
        );
        let wechat_deadline = std::time::Duration::from_millis(config.wechat_deadline_ms);
        let (wechat, emulator) = match (&config.wechat.app_id, &config.wechat.app_secret) {
            (Some(id), Some(secret)) => (
                WechatClient::new(&config.wechat.api_base, id, secret.clone())?
                    .with_deadline(wechat_deadline),
                None,
            ),
            _ => {
                anyhow::ensure!(
                    !config.is_production(),
                    "the WeChat emulator refuses to run in production"
                );
                let emulator =
                    Emulator::spawn(EmulatorConfig::default(), ([127, 0, 0, 1], 0).into()).await?;
                tracing::warn!(
                    base_url = %emulator.base_url,
                    "WECHAT_APP_ID is not set: using the built-in WeChat emulator (development only). \
                     Any code such as `alice.1` logs in reader `alice`; see README"
                );
                let client = WechatClient::new(
                    &emulator.base_url,
                    emulator.app_id(),
                    SecretString::from(emulator.app_secret()),
                )?
                .with_deadline(wechat_deadline);
                (client, Some(Arc::new(emulator)))
            }
        };
        let wechat_tokens = AccessTokenManager::new(wechat.clone(), auth.secret_box.clone());
        let per_minute = std::num::NonZeroU32::new(config.auth_rate_limit_per_minute)
            .ok_or_else(|| anyhow::anyhow!("AUTH_RATE_LIMIT_PER_MINUTE must be at least 1"))?;
        let auth_limiter = Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute)));
        spawn_limiter_gc(&auth_limiter);
        let poll = std::time::Duration::from_millis(config.catalog_poll_ms.max(50));
        let read = match &config.database_replica_url {
            Some(url) => {
                let mut pool = DbOptions {
                    max_connections: config.db_max_connections,
                    ..Default::default()
                };
                // A dead replica costs a read at most this long before it runs on the primary.
                pool.acquire_timeout = std::time::Duration::from_secs(1);
                let opts = ReplicaOptions {
                    url: url.clone(),
                    check_every: std::time::Duration::from_millis(config.replica_check_ms),
                    max_lag: std::time::Duration::from_secs(config.replica_max_lag_secs),
                    pool,
                };
                ReadRouting::with_replica(db.clone(), opts).await
            }
            None => ReadRouting::primary_only(db.clone()),
        };
        let catalog = CatalogCache::default();
        let statement_timeout = std::time::Duration::from_millis(config.db_statement_timeout_ms);
        let chapters = ChapterBatches::spawn(read.clone(), statement_timeout);
        let accounts = Accounts::spawn(db.clone(), statement_timeout);
        let writes = ProgressWrites::spawn(db.clone(), statement_timeout);
        let shelves = ShelfPages::spawn(db.clone(), statement_timeout);
        let progress = ProgressReads::spawn(db.clone(), statement_timeout);
        auth.sessions.spawn_watcher(db.clone());
        let search = match Search::build(&read.db(), config.hot_keywords_blocklist.as_deref()).await
        {
            Ok(s) => s,
            Err(e) if read.on_replica() => {
                tracing::warn!(error = %e, "search index build on the replica failed; using the primary");
                Search::build(&db, config.hot_keywords_blocklist.as_deref()).await?
            }
            Err(e) => return Err(e.into()),
        };
        // The watcher reads the same database as the catalog reads it keeps fresh: an import
        // becomes visible once the replica has it.
        {
            let (catalog, search) = (catalog.clone(), search.clone());
            read.follow(move |db| {
                // A switch may land on a database that is a little behind or ahead.
                catalog.clear();
                let (versions, watcher) = service::catalog_version::watch(db.clone(), poll);
                vec![
                    watcher,
                    catalog.follow(versions.clone()),
                    search.follow(db, versions, poll),
                ]
            });
        }
        crate::metrics::spawn_index_sampler(&search);
        search.hot.spawn_flusher(
            db.clone(),
            std::time::Duration::from_millis(config.hot_keywords_flush_ms),
        );
        Ok(Self(Arc::new(Shared {
            db,
            config: Arc::new(config),
            auth: Arc::new(auth),
            wechat,
            wechat_tokens,
            login_codes: LoginCodes::default(),
            auth_limiter,
            catalog,
            search,
            emulator,
            read,
            chapters,
            accounts,
            writes,
            shelves,
            progress,
            lifecycle: Lifecycle::default(),
        })))
    }
}

/// Forget idle clients so that the limiter's memory stays bounded.
fn spawn_limiter_gc(limiter: &Arc<DefaultKeyedRateLimiter<IpAddr>>) {
    let weak = Arc::downgrade(limiter);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(l) = weak.upgrade() else { break };
            l.retain_recent();
            l.shrink_to_fit();
        }
    });
}
