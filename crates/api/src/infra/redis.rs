//! The link to Redis: optional, shared by rate limits (and later cache and wake-ups), and never a
//! reason for a request to fail.
//!
//! The connection is made in the background, so the server starts while Redis is down. A circuit
//! breaker stops calls for a while after a failure, so a dead Redis costs one short timeout per
//! breaker period instead of one per request; callers then fall back to in-process state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long one Redis command may take before it counts as a failure.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);
/// How long the breaker stays open after a failure before a call may try again.
const OPEN_FOR: Duration = Duration::from_secs(5);

#[derive(Clone, Default)]
pub struct RedisLink {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    manager: RwLock<Option<ConnectionManager>>,
    open_until_ms: AtomicU64,
    ever_connected: AtomicBool,
}

/// Redis is not configured, not connected, or the breaker is open.
#[derive(Debug, thiserror::Error)]
#[error("redis unavailable")]
pub struct RedisUnavailable;

/// What the readiness endpoint reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisState {
    NotConfigured,
    Connected,
    Degraded,
}

fn now_ms() -> u64 {
    store::now_ms().max(0) as u64
}

impl RedisLink {
    /// No Redis: everything stays in process.
    pub fn disabled() -> RedisLink {
        RedisLink { inner: None }
    }

    /// Starts connecting to `url` in the background and keeps trying until it succeeds.
    pub fn connect(url: &str) -> Result<RedisLink, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let inner = Arc::new(Inner {
            manager: RwLock::new(None),
            open_until_ms: AtomicU64::new(0),
            ever_connected: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(2)))
                .set_response_timeout(Some(COMMAND_TIMEOUT))
                .set_number_of_retries(1)
                .set_max_delay(Duration::from_secs(2));
            let mut delay = Duration::from_millis(200);
            loop {
                if weak.upgrade().is_none() {
                    return;
                }
                match client
                    .get_connection_manager_with_config(config.clone())
                    .await
                {
                    Ok(manager) => {
                        if let Some(inner) = weak.upgrade() {
                            if let Ok(mut slot) = inner.manager.write() {
                                *slot = Some(manager);
                            }
                            inner.ever_connected.store(true, Ordering::Relaxed);
                            tracing::info!("connected to Redis");
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "Redis not reachable yet; using in-process fallbacks");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        Ok(RedisLink { inner: Some(inner) })
    }

    pub fn is_configured(&self) -> bool {
        self.inner.is_some()
    }

    pub fn state(&self) -> RedisState {
        match &self.inner {
            None => RedisState::NotConfigured,
            Some(inner) => {
                let connected = inner.manager.read().map(|m| m.is_some()).unwrap_or(false);
                if connected && inner.open_until_ms.load(Ordering::Relaxed) <= now_ms() {
                    RedisState::Connected
                } else {
                    RedisState::Degraded
                }
            }
        }
    }

    /// Runs one Redis operation unless the breaker is open; a failure or timeout opens it.
    pub async fn run<T, F, Fut>(&self, op: F) -> Result<T, RedisUnavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let inner = self.inner.as_ref().ok_or(RedisUnavailable)?;
        if inner.open_until_ms.load(Ordering::Relaxed) > now_ms() {
            return Err(RedisUnavailable);
        }
        let manager = inner
            .manager
            .read()
            .ok()
            .and_then(|m| m.clone())
            .ok_or(RedisUnavailable)?;
        match tokio::time::timeout(COMMAND_TIMEOUT, op(manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                self.trip(inner, &e.to_string());
                Err(RedisUnavailable)
            }
            Err(_) => {
                self.trip(inner, "timeout");
                Err(RedisUnavailable)
            }
        }
    }

    fn trip(&self, inner: &Inner, why: &str) {
        let until = now_ms() + OPEN_FOR.as_millis() as u64;
        let previous = inner.open_until_ms.swap(until, Ordering::Relaxed);
        if previous <= now_ms() {
            tracing::warn!(
                error = why,
                "Redis call failed; circuit open, using in-process fallbacks"
            );
        }
    }
}
