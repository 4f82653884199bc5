//! Consecutive failed logins per e-mail key and the lock they cause.
//!
//! Unknown addresses get a row exactly like known ones, so a lock (423) reveals nothing about
//! whether an account exists.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

/// The lock in force for this e-mail key, if any (epoch ms until which it holds).
pub async fn locked_until(
    pool: &AnyPool,
    email_key: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("select locked_until from login_throttles where email_key = $1")
            .bind(email_key)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|r| r.0).filter(|until| *until > now))
}

/// Counts one more failure atomically; the `max_failures`-th consecutive one locks the key until
/// `now + lock_ms` and starts the count again. Returns the lock when this failure set it.
pub async fn record_failure(
    conn: &mut AnyConnection,
    email_key: &str,
    now: i64,
    max_failures: i64,
    lock_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let (failures,): (i64,) = sqlx::query_as(
        "insert into login_throttles (email_key, failures, locked_until, updated_at) values ($1, 1, null, $2) \
         on conflict (email_key) do update set failures = login_throttles.failures + 1, updated_at = $2 \
         returning failures",
    )
    .bind(email_key)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    if failures < max_failures {
        return Ok(None);
    }
    let until = now + lock_ms;
    sqlx::query("update login_throttles set failures = 0, locked_until = $2, updated_at = $3 where email_key = $1")
        .bind(email_key)
        .bind(until)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(Some(until))
}

/// A successful login or password reset clears the count and any lock.
pub async fn clear(conn: &mut AnyConnection, email_key: &str) -> Result<(), StoreError> {
    sqlx::query("delete from login_throttles where email_key = $1")
        .bind(email_key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets counters untouched since `before` whose lock is over.
pub async fn delete_stale(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("delete from login_throttles where updated_at < $1 and (locked_until is null or locked_until < $1)")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
