//! Request limits as a sliding window (the current window's count plus the previous window's,
//! weighted by how much of it still overlaps the last `window`), so "20 per minute" also holds
//! across a window boundary. Counters are shared through Redis when it is configured and
//! reachable, and kept in process otherwise (also while Redis is down, so limits never vanish).

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
    local: Mutex<Local>,
}

#[derive(Default)]
struct Local {
    /// key → (window index, count in it, count in the window before).
    counters: HashMap<String, (u64, u64, u64)>,
    last_sweep_ms: u64,
}

/// Past this many counters the in-process map drops those of finished windows (at most every 10 s).
const LOCAL_SWEEP_AT: usize = 50_000;

impl RateLimiter {
    pub fn new(redis: RedisLink, prefix: &str) -> RateLimiter {
        RateLimiter {
            redis,
            prefix: prefix.to_owned(),
            local: Mutex::new(Local::default()),
        }
    }

    /// Counts one request for `key`; refuses it when more than `limit` fell into the last `window`.
    pub async fn hit(&self, key: &str, limit: u64, window: Duration) -> Result<(), Exceeded> {
        let window_ms = window.as_millis().max(1) as u64;
        let now = store::now_ms().max(0) as u64;
        let slot = now / window_ms;
        let into_slot = now - slot * window_ms;
        let (current, previous) = match self.redis_counts(key, slot, window_ms).await {
            Some(counts) => counts,
            None => self.local_counts(key, slot, now),
        };
        let overlap = (window_ms - into_slot) as f64 / window_ms as f64;
        let estimate = current as f64 + previous as f64 * overlap;
        if estimate > limit as f64 {
            let retry_after_secs = ((window_ms - into_slot) as f64 / 1000.0).ceil().max(1.0) as u64;
            Err(Exceeded { retry_after_secs })
        } else {
            Ok(())
        }
    }

    async fn redis_counts(&self, key: &str, slot: u64, window_ms: u64) -> Option<(u64, u64)> {
        if !self.redis.is_configured() {
            return None;
        }
        let current_key = format!("{}rl:{key}:{slot}", self.prefix);
        let previous_key = format!("{}rl:{key}:{}", self.prefix, slot.saturating_sub(1));
        self.redis
            .run(|mut conn| async move {
                let (current, previous): (u64, Option<u64>) = redis::pipe()
                    .atomic()
                    .incr(&current_key, 1u64)
                    .cmd("PEXPIRE")
                    .arg(&current_key)
                    .arg(window_ms * 2)
                    .ignore()
                    .get(&previous_key)
                    .query_async(&mut conn)
                    .await?;
                Ok((current, previous.unwrap_or(0)))
            })
            .await
            .ok()
    }

    fn local_counts(&self, key: &str, slot: u64, now: u64) -> (u64, u64) {
        let Ok(mut local) = self.local.lock() else {
            return (0, 0);
        };
        if local.counters.len() >= LOCAL_SWEEP_AT
            && now.saturating_sub(local.last_sweep_ms) > 10_000
        {
            local.counters.retain(|_, (s, _, _)| *s + 1 >= slot);
            local.last_sweep_ms = now;
        }
        let entry = local.counters.entry(key.to_owned()).or_insert((slot, 0, 0));
        if entry.0 != slot {
            let previous = if entry.0 + 1 == slot { entry.1 } else { 0 };
            *entry = (slot, 0, previous);
        }
        entry.1 += 1;
        (entry.1, entry.2)
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

    #[test]
    fn the_previous_window_still_counts_across_the_boundary() {
        let limiter = RateLimiter::new(RedisLink::disabled(), "t:");
        // 20 requests at the very end of window 7, then the next one just after it began.
        for _ in 0..20 {
            limiter.local_counts("k", 7, 7 * 60_000 + 59_900);
        }
        let (current, previous) = limiter.local_counts("k", 8, 8 * 60_000 + 100);
        assert_eq!((current, previous), (1, 20));
        let overlap = (60_000.0 - 100.0) / 60_000.0;
        assert!(
            current as f64 + previous as f64 * overlap > 20.0,
            "refused: 21 within one minute"
        );
        // Two windows later nothing is left.
        assert_eq!(limiter.local_counts("k", 10, 10 * 60_000), (1, 0));
    }
}
