//! Periodic housekeeping: expired sessions, reset tokens, stale login counters and old
//! idempotency keys (the original's TTL indexes), and job retention.

use std::sync::Arc;

use jobs::{Handler, JobContext, JobError};

use super::WorkContext;

pub const CLEANUP: &str = "maintenance.cleanup_expired";
pub const RETENTION: &str = "maintenance.job_retention";

/// Idempotency keys are kept at least this long (SPEC: 24 h).
const IDEMPOTENCY_KEEP_MS: i64 = 48 * 3600 * 1000;
/// Login counters untouched this long are forgotten.
const THROTTLE_KEEP_MS: i64 = 24 * 3600 * 1000;

pub fn cleanup(context: Arc<WorkContext>) -> Handler {
    Arc::new(move |_job: JobContext| {
        let context = context.clone();
        Box::pin(async move {
            let now = store::now_ms();
            let mut tx = context.db.begin().await.map_err(JobError::retry)?;
            let sessions = store::sessions::delete_expired(&mut tx, now)
                .await
                .map_err(JobError::retry)?;
            let tokens = store::reset_tokens::delete_expired(&mut tx, now)
                .await
                .map_err(JobError::retry)?;
            let throttles = store::throttles::delete_stale(&mut tx, now - THROTTLE_KEEP_MS)
                .await
                .map_err(JobError::retry)?;
            let keys = sqlx::query("delete from idempotency_keys where created_at < $1")
                .bind(now - IDEMPOTENCY_KEEP_MS)
                .execute(&mut *tx)
                .await
                .map_err(JobError::retry)?
                .rows_affected();
            tx.commit().await.map_err(JobError::retry)?;
            Ok(
                serde_json::json!({"sessions": sessions, "resetTokens": tokens, "loginCounters": throttles, "idempotencyKeys": keys}),
            )
        })
    })
}

pub fn retention(context: Arc<WorkContext>) -> Handler {
    Arc::new(move |_job: JobContext| {
        let context = context.clone();
        Box::pin(async move {
            let mut tx = context.db.begin().await.map_err(JobError::retry)?;
            let deleted = jobs::queue::prune(&mut tx, context.keep_completed, context.keep_dead)
                .await
                .map_err(JobError::retry)?;
            tx.commit().await.map_err(JobError::retry)?;
            Ok(serde_json::json!({"deleted": deleted}))
        })
    })
}
