//! Shared application state handed to every handler.

use std::sync::Arc;
use std::time::Instant;

use store::Db;
use tokio::sync::Semaphore;

use crate::auth::jwt::TokenKeys;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::RateLimiter;
use crate::auth::session_cache::SessionCache;
use crate::background::JobQueue;
use crate::infra::redis::RedisLink;
use crate::settings::Settings;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub keys: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
    pub limiter: Arc<RateLimiter>,
    pub redis: RedisLink,
    pub jobs: JobQueue,
    pub sessions: SessionCache,
    /// Big whole-list answers (the invoice list of a big shop) being built at once. Building one
    /// is CPU work that holds the entire answer in memory (about 300 MiB for 100,000 invoices);
    /// more of them at a time than there are cores is no faster, only bigger, so the rest wait
    /// their turn.
    pub list_builds: Arc<Semaphore>,
    pub started: Instant,
}

impl AppState {
    pub fn new(
        db: Db,
        settings: Settings,
        redis: RedisLink,
        jobs: JobQueue,
        key_prefix: &str,
    ) -> anyhow::Result<AppState> {
        let keys = TokenKeys::new(
            settings.jwt_secret.expose(),
            settings.cookie_secret.expose(),
        )?;
        let hasher = PasswordHasher::new(settings.hash_cost)?;
        let limiter = RateLimiter::new(redis.clone(), key_prefix);
        // Exact only where this process is the sole server of its database (see SessionCache).
        let sessions = if db.backend() == store::Backend::Sqlite {
            SessionCache::enabled()
        } else {
            SessionCache::disabled()
        };
        Ok(AppState {
            db,
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            hasher,
            limiter: Arc::new(limiter),
            redis,
            jobs,
            sessions,
            list_builds: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            started: Instant::now(),
        })
    }
}
