//! Periodic jobs at fixed intervals. Every instance runs the scheduler; for each period exactly one
//! of them wins the compare-and-set on `job_schedules.next_run_at` and enqueues the job in the same
//! transaction.

use std::time::Duration;

use store::{Db, StoreError};

use crate::model::NewJob;
use crate::queue::{self, Defaults};

/// A job to enqueue every `interval`.
#[derive(Debug, Clone)]
pub struct Periodic {
    pub name: String,
    pub interval: Duration,
    pub queue: String,
    pub kind: String,
}

/// Enqueues `p`'s job if its period is due and this caller wins it. Returns the job id when it did.
pub async fn tick(db: &Db, p: &Periodic, defaults: Defaults) -> Result<Option<String>, StoreError> {
    let now = store::now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("insert into job_schedules (name, next_run_at) values ($1, $2) on conflict (name) do nothing")
        .bind(&p.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let won: Option<(i64,)> = sqlx::query_as(
        "update job_schedules set next_run_at = $2, last_run_at = $3 where name = $1 and next_run_at <= $3 returning next_run_at",
    )
    .bind(&p.name)
    .bind(now + p.interval.as_millis() as i64)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match won {
        Some(_) => {
            let job = NewJob::new(&p.queue, &p.kind, serde_json::json!({}))
                .unique(format!("periodic:{}", p.name));
            Some(
                queue::enqueue(&mut tx, db.backend(), &job, defaults)
                    .await?
                    .id,
            )
        }
        None => None,
    };
    tx.commit().await?;
    Ok(id)
}
