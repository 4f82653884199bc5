//! Every SQL operation of the queue. Worker-side state changes are guarded by the attempt token
//! of the claim, so only the current holder of a job can finish it.

use std::time::Duration;

use domain::ObjectId;
use sqlx::AnyConnection;
use store::{Backend, Db, StoreError};

use crate::backoff;
use crate::model::{JobRow, NewJob, Status, sanitize_error};

/// Defaults applied to options a [`NewJob`] leaves unset.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub max_attempts: i64,
    pub backoff: Duration,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            max_attempts: 3,
            backoff: Duration::from_secs(2),
        }
    }
}

/// The result of an enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub id: String,
    /// False when a live job with the same unique key already existed (and is returned instead).
    pub created: bool,
}

/// The PostgreSQL channel that wakes workers of every instance when a transaction with jobs commits.
pub const NOTIFY_CHANNEL: &str = "bizzai_jobs";

/// Inserts `job` inside the caller's transaction. On PostgreSQL a `NOTIFY` is queued too, which
/// the server delivers only if (and when) the transaction commits.
pub async fn enqueue(
    conn: &mut AnyConnection,
    backend: Backend,
    job: &NewJob,
    defaults: Defaults,
) -> Result<Enqueued, StoreError> {
    let now = store::now_ms();
    let payload = job.payload.to_string();
    // A conflict means a live job holds the unique key; if that job finishes between our insert
    // and our look-up, the key is free again and the insert is simply tried once more.
    let mut tries = 0;
    let id = loop {
        tries += 1;
        let id = ObjectId::new().to_hex();
        let inserted: Option<(String,)> = sqlx::query_as(
            "insert into jobs (id, tenant_id, queue, kind, payload, status, priority, attempts, max_attempts, backoff_ms, \
                               run_at, unique_key, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, 'waiting', $6, 0, $7, $8, $9, $10, $11, $11) \
             on conflict do nothing returning id",
        )
        .bind(&id)
        .bind(job.tenant_id.as_deref())
        .bind(&job.queue)
        .bind(&job.kind)
        .bind(&payload)
        .bind(job.priority)
        .bind(job.max_attempts.unwrap_or(defaults.max_attempts).max(1))
        .bind(job.backoff.unwrap_or(defaults.backoff).as_millis() as i64)
        .bind(job.run_at.unwrap_or(now))
        .bind(job.unique_key.as_deref())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_some() {
            break id;
        }
        let existing: Option<(String,)> =
            sqlx::query_as("select id from jobs where unique_key = $1 and status in ('waiting', 'active', 'failed')")
                .bind(job.unique_key.as_deref())
                .fetch_optional(&mut *conn)
                .await?;
        match existing {
            Some((existing,)) => {
                return Ok(Enqueued {
                    id: existing,
                    created: false,
                });
            }
            None if tries < 3 => continue,
            None => return Err(StoreError::Other(sqlx::Error::RowNotFound)),
        }
    };
    if backend == Backend::Postgres {
        sqlx::query("select pg_notify($1, $2)")
            .bind(NOTIFY_CHANNEL)
            .bind(&job.queue)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Enqueued { id, created: true })
}

/// A job handed to a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub tenant_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub backoff_ms: i64,
    pub attempt_token: String,
}

/// Claims up to `limit` runnable jobs of `queue` for `lease`. One statement: on PostgreSQL the
/// candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent claimers never see the
/// same job; on SQLite the write lock serialises claimers, and the status guard does the rest.
pub async fn claim(
    db: &Db,
    queue: &str,
    worker_id: &str,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, StoreError> {
    let now = store::now_ms();
    let token = ObjectId::new().to_hex();
    let sql = match db.backend() {
        Backend::Postgres => {
            "update jobs set status = 'active', attempts = attempts + 1, lease_until = $1, attempt_token = $2, \
                 worker_id = $3, started_at = coalesce(started_at, $4), updated_at = $4 \
             where id in (select id from jobs where queue = $5 and status in ('waiting', 'failed') and run_at <= $4 \
                          order by priority desc, run_at, id limit $6 for update skip locked) \
             returning id, tenant_id, kind, payload, attempts, max_attempts, backoff_ms, attempt_token"
        }
        Backend::Sqlite => {
            "update jobs set status = 'active', attempts = attempts + 1, lease_until = $1, attempt_token = $2, \
                 worker_id = $3, started_at = coalesce(started_at, $4), updated_at = $4 \
             where id in (select id from jobs where queue = $5 and status in ('waiting', 'failed') and run_at <= $4 \
                          order by priority desc, run_at, id limit $6) \
             returning id, tenant_id, kind, payload, attempts, max_attempts, backoff_ms, attempt_token"
        }
    };
    let mut tx = db.begin().await?;
    let claimed = sqlx::query_as::<_, Claimed>(sql)
        .bind(now + lease.as_millis() as i64)
        .bind(&token)
        .bind(worker_id)
        .bind(now)
        .bind(queue)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Completed {
        result: serde_json::Value,
    },
    Failed {
        error: String,
        permanent: bool,
    },
    /// Handed back at shutdown: not counted as an attempt.
    Released,
}

/// Records the outcome of one attempt; false when the claim is no longer this worker's
/// (its lease expired and the job was recovered or claimed again).
pub async fn finish(
    conn: &mut AnyConnection,
    job: &Claimed,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let now = store::now_ms();
    let done = match outcome {
        Outcome::Completed { result } => {
            sqlx::query(
                "update jobs set status = 'completed', result = $3, last_error = null, lease_until = null, \
                     finished_at = $4, updated_at = $4 \
                 where id = $1 and attempt_token = $2 and status = 'active'",
            )
            .bind(&job.id)
            .bind(&job.attempt_token)
            .bind(result.to_string())
            .bind(now)
            .execute(conn)
            .await?
        }
        Outcome::Failed { error, permanent } => {
            let dead = *permanent || job.attempts >= job.max_attempts;
            let run_at = now + backoff::with_jitter(Duration::from_millis(job.backoff_ms.max(0) as u64), job.attempts).as_millis() as i64;
            sqlx::query(
                "update jobs set status = $3, last_error = $4, lease_until = null, run_at = $5, \
                     finished_at = $6, updated_at = $7 \
                 where id = $1 and attempt_token = $2 and status = 'active'",
            )
            .bind(&job.id)
            .bind(&job.attempt_token)
            .bind(if dead { Status::Dead.as_str() } else { Status::Failed.as_str() })
            .bind(sanitize_error(error))
            .bind(if dead { now } else { run_at })
            .bind(if dead { Some(now) } else { None })
            .bind(now)
            .execute(conn)
            .await?
        }
        Outcome::Released => {
            sqlx::query(
                "update jobs set status = 'waiting', attempts = attempts - 1, lease_until = null, attempt_token = null, \
                     run_at = $3, updated_at = $3 \
                 where id = $1 and attempt_token = $2 and status = 'active'",
            )
            .bind(&job.id)
            .bind(&job.attempt_token)
            .bind(now)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Extends the lease of a running job; false when the claim was lost.
pub async fn renew(db: &Db, job: &Claimed, lease: Duration) -> Result<bool, StoreError> {
    let now = store::now_ms();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "update jobs set lease_until = $3, updated_at = $4 where id = $1 and attempt_token = $2 and status = 'active'",
    )
    .bind(&job.id)
    .bind(&job.attempt_token)
    .bind(now + lease.as_millis() as i64)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Returns jobs whose lease expired (their worker died or hung) to `waiting`, or to `dead` when
/// that was their last attempt. The stalled attempt counts. Returns how many were recovered.
pub async fn recover_stalled(db: &Db) -> Result<u64, StoreError> {
    let now = store::now_ms();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "update jobs set status = case when attempts >= max_attempts then 'dead' else 'waiting' end, \
             finished_at = case when attempts >= max_attempts then $1 else null end, \
             last_error = 'stalled', lease_until = null, attempt_token = null, run_at = $1, updated_at = $1 \
         where status = 'active' and lease_until < $1",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Deletes all but the newest `keep_completed` completed and `keep_dead` dead jobs of each queue.
/// Failed jobs, which will still be retried, are never pruned.
pub async fn prune(
    conn: &mut AnyConnection,
    keep_completed: i64,
    keep_dead: i64,
) -> Result<u64, StoreError> {
    let queues: Vec<(String,)> = sqlx::query_as("select distinct queue from jobs")
        .fetch_all(&mut *conn)
        .await?;
    let mut deleted = 0;
    for (queue,) in queues {
        for (status, keep) in [("completed", keep_completed), ("dead", keep_dead)] {
            let done = sqlx::query(
                "delete from jobs where queue = $1 and status = $2 and id not in \
                 (select id from jobs where queue = $1 and status = $2 order by finished_at desc, id desc limit $3)",
            )
            .bind(&queue)
            .bind(status)
            .bind(keep)
            .execute(&mut *conn)
            .await?;
            deleted += done.rows_affected();
        }
    }
    Ok(deleted)
}

const ROW_COLUMNS: &str = "id, tenant_id, queue, kind, status, priority, attempts, max_attempts, run_at, last_error, result, created_at, finished_at";

/// One job of one shop (another shop's job does not exist for it).
pub async fn get_for_tenant(
    db: &Db,
    id: &str,
    tenant_id: &str,
) -> Result<Option<JobRow>, StoreError> {
    let sql = format!("select {ROW_COLUMNS} from jobs where id = $1 and tenant_id = $2");
    let row = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(db.reader())
        .await?;
    Ok(row)
}

/// The newest job of a shop with this unique key, finished or not.
pub async fn latest_with_key(
    db: &Db,
    tenant_id: &str,
    unique_key: &str,
) -> Result<Option<JobRow>, StoreError> {
    let sql = format!(
        "select {ROW_COLUMNS} from jobs where unique_key = $1 and tenant_id = $2 order by created_at desc, id desc limit 1"
    );
    let row = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql))
        .bind(unique_key)
        .bind(tenant_id)
        .fetch_optional(db.reader())
        .await?;
    Ok(row)
}

/// Any job by id (operator tools and tests).
pub async fn get(db: &Db, id: &str) -> Result<Option<JobRow>, StoreError> {
    let sql = format!("select {ROW_COLUMNS} from jobs where id = $1");
    let row = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    Ok(row)
}

/// Jobs, newest first, optionally of one queue and status.
pub async fn list(
    db: &Db,
    queue: Option<&str>,
    status: Option<Status>,
    limit: i64,
) -> Result<Vec<JobRow>, StoreError> {
    let sql = format!(
        "select {ROW_COLUMNS} from jobs where ($1 is null or queue = $1) and ($2 is null or status = $2) \
         order by created_at desc, id desc limit $3"
    );
    let rows = sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql))
        .bind(queue)
        .bind(status.map(Status::as_str))
        .bind(limit)
        .fetch_all(db.reader())
        .await?;
    Ok(rows)
}

/// Puts dead jobs back to `waiting` with a fresh set of attempts: one by id, or every dead job of a
/// queue. Returns how many.
pub async fn retry_dead(db: &Db, id: Option<&str>, queue: Option<&str>) -> Result<u64, StoreError> {
    let now = store::now_ms();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "update jobs set status = 'waiting', attempts = 0, run_at = $3, finished_at = null, lease_until = null, \
             attempt_token = null, updated_at = $3 \
         where status = 'dead' and ($1 is null or id = $1) and ($2 is null or queue = $2)",
    )
    .bind(id)
    .bind(queue)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Counts per queue and status.
#[derive(Debug, Clone)]
pub struct QueueStats {
    pub queue: String,
    pub counts: Vec<(Status, i64)>,
    /// Age in milliseconds of the oldest job that is runnable now and still waiting.
    pub oldest_waiting_ms: Option<i64>,
}

pub async fn stats(db: &Db) -> Result<Vec<QueueStats>, StoreError> {
    let now = store::now_ms();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "select queue, status, count(*) from jobs group by queue, status order by queue",
    )
    .fetch_all(db.reader())
    .await?;
    let oldest: Vec<(String, i64)> = sqlx::query_as(
        "select queue, min(run_at) from jobs where status in ('waiting', 'failed') and run_at <= $1 group by queue",
    )
    .bind(now)
    .fetch_all(db.reader())
    .await?;
    let mut out: Vec<QueueStats> = Vec::new();
    for (queue, status, count) in rows {
        if out.last().map(|s| s.queue != queue).unwrap_or(true) {
            let oldest_waiting_ms = oldest
                .iter()
                .find(|(q, _)| *q == queue)
                .map(|(_, t)| now - t);
            out.push(QueueStats {
                queue: queue.clone(),
                counts: Vec::new(),
                oldest_waiting_ms,
            });
        }
        if let (Some(s), Some(last)) = (Status::parse(&status), out.last_mut()) {
            last.counts.push((s, count));
        }
    }
    Ok(out)
}
