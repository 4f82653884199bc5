//! Job kinds for tests and benchmarks, registered only when `JOBS_TEST_KINDS=true`.

use std::sync::Arc;
use std::time::Duration;

use jobs::{Handler, JobContext, JobError};

pub const NOOP: &str = "test.noop";
pub const SLEEP: &str = "test.sleep";

/// Does nothing; answers which instance ran it.
pub fn noop() -> Handler {
    Arc::new(|job: JobContext| {
        Box::pin(async move { Ok(serde_json::json!({"worker": job.worker_id})) })
    })
}

/// Sleeps `ms` milliseconds (only on the first attempt with `onlyFirstAttempt`); fails
/// (retryably) while `attempt <= failTimes`, or permanently with `permanent`.
pub fn sleep() -> Handler {
    Arc::new(|job: JobContext| {
        Box::pin(async move {
            let only_first = job.payload["onlyFirstAttempt"].as_bool().unwrap_or(false);
            let ms = if only_first && job.attempt > 1 {
                0
            } else {
                job.payload["ms"].as_u64().unwrap_or(0)
            };
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let fail_times = job.payload["failTimes"].as_i64().unwrap_or(0);
            if job.attempt <= fail_times {
                return Err(JobError::retry(format!(
                    "failing on purpose (attempt {})",
                    job.attempt
                )));
            }
            if job.payload["permanent"].as_bool().unwrap_or(false) {
                return Err(JobError::permanent("permanent failure on purpose"));
            }
            Ok(serde_json::json!({"slept": ms, "attempt": job.attempt, "worker": job.worker_id}))
        })
    })
}
