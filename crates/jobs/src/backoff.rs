//! Delay before the next attempt: `base × 2^(n−1)` after the n-th failed attempt, ±20 % jitter
//! (2 s, 4 s, 8 s … with the default base of 2 s).

use std::time::Duration;

/// The exact delay before attempt `attempts_made + 1`, without jitter.
pub fn nominal(base: Duration, attempts_made: i64) -> Duration {
    let exponent = (attempts_made.max(1) - 1).min(20) as u32;
    base.saturating_mul(2u32.saturating_pow(exponent))
}

/// The delay with ±20 % jitter, so jobs that failed together do not retry together.
pub fn with_jitter(base: Duration, attempts_made: i64) -> Duration {
    let nominal = nominal(base, attempts_made).as_millis() as f64;
    let factor = 0.8 + rand::random::<f64>() * 0.4;
    Duration::from_millis((nominal * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_base() {
        let base = Duration::from_secs(2);
        assert_eq!(nominal(base, 1), Duration::from_secs(2));
        assert_eq!(nominal(base, 2), Duration::from_secs(4));
        assert_eq!(nominal(base, 3), Duration::from_secs(8));
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for attempt in 1..5 {
            for _ in 0..200 {
                let d = with_jitter(Duration::from_secs(2), attempt).as_millis() as f64;
                let n = nominal(Duration::from_secs(2), attempt).as_millis() as f64;
                assert!(d >= n * 0.8 - 1.0 && d <= n * 1.2 + 1.0, "{d} vs {n}");
            }
        }
    }
}
