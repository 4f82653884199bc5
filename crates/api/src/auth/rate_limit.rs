//! Fixed-window request counters, shared through Redis when it is configured and reachable, and
//! kept in process otherwise (also while Redis is down, so limits never disappear).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::infra::redis::RedisLink;

/// Refused: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub retry_after_secs: u64,
}

pub struct RateLimiter {
    redis: RedisLink,
    prefix: String,
    local: Mutex<HashMap<String, (u64, u64)>>,
}

/// Past this many counters the in-process map drops those of finished windows.
const LOCAL_SWEEP_AT: usize = 50_000;

impl RateLimiter {
    pub fn new(redis: RedisLink, prefix: &str) -> RateLimiter {
        RateLimiter {
            redis,
            prefix: prefix.to_owned(),
            local: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key` and refuses it when more than `limit` fell into the current
    /// window of length `window`.
    pub async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<(), Exceeded> {
        let window_ms = window.as_millis().max(1) as u64;
        let now = store::now_ms().max(0) as u64;
        let slot = now / window_ms;
        let retry_after_secs = (((slot + 1) * window_ms - now) as f64 / 1000.0)
            .ceil()
            .max(1.0) as u64;
        let count = match self.redis_count(key, slot, window_ms).await {
            Some(count) => count,
            None => self.local_count(key, slot),
        };
        if count > limit {
            Err(Exceeded { retry_after_secs })
        } else {
            Ok(())
        }
    }

    async fn redis_count(&self, key: &str, slot: u64, window_ms: u64) -> Option<u64> {
        if !self.redis.is_configured() {
            return None;
        }
        let redis_key = format!("{}rl:{key}:{slot}", self.prefix);
        self.redis
            .run(|mut conn| async move {
                let (count,): (u64,) = redis::pipe()
                    .atomic()
                    .incr(&redis_key, 1u64)
                    .cmd("PEXPIRE")
                    .arg(&redis_key)
                    .arg(window_ms * 2)
                    .ignore()
                    .query_async(&mut conn)
                    .await?;
                Ok(count)
            })
            .await
            .ok()
    }

    fn local_count(&self, key: &str, slot: u64) -> u64 {
        let Ok(mut map) = self.local.lock() else {
            return 0;
        };
        if map.len() >= LOCAL_SWEEP_AT {
            map.retain(|_, (s, _)| *s >= slot);
        }
        let entry = map.entry(key.to_owned()).or_insert((slot, 0));
        if entry.0 != slot {
            *entry = (slot, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_past_the_limit_within_a_window() {
        let limiter = RateLimiter::new(RedisLink::disabled(), "t:");
        for _ in 0..3 {
            assert!(limiter.hit("k", 3, Duration::from_secs(60)).await.is_ok());
        }
        let refused = limiter
            .hit("k", 3, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(refused.retry_after_secs >= 1 && refused.retry_after_secs <= 60);
        assert!(
            limiter
                .hit("other", 3, Duration::from_secs(60))
                .await
                .is_ok()
        );
    }
}
