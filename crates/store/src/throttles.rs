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

/// What one more failed attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Counted; no lock yet.
    Counted,
    /// This failure was the `max_failures`-th: the key is locked until the given time.
    LockedNow(i64),
    /// A concurrent attempt had locked the key already: this one is not counted.
    AlreadyLocked(i64),
}

/// Counts one more failure atomically (one statement, so parallel attempts cannot slip past the
/// lock); the `max_failures`-th consecutive one locks the key until `now + lock_ms` and starts the
/// count again.
pub async fn record_failure(
    conn: &mut AnyConnection,
    email_key: &str,
    now: i64,
    max_failures: i64,
    lock_ms: i64,
) -> Result<Failure, StoreError> {
    let (failures, locked_until): (i64, Option<i64>) = sqlx::query_as(
        "insert into login_throttles (email_key, failures, locked_until, updated_at) values ($1, 1, null, $2) \
         on conflict (email_key) do update set \
             failures = case when login_throttles.locked_until > $2 then login_throttles.failures \
                             else login_throttles.failures + 1 end, \
             updated_at = $2 \
         returning failures, locked_until",
    )
    .bind(email_key)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Ok(Failure::AlreadyLocked(until));
    }
    if failures < max_failures {
        return Ok(Failure::Counted);
    }
    let until = now + lock_ms;
    sqlx::query("update login_throttles set failures = 0, locked_until = $2, updated_at = $3 where email_key = $1")
        .bind(email_key)
        .bind(until)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(Failure::LockedNow(until))
}

/// The lock in force, read inside a write transaction (on PostgreSQL the guarded update takes the
/// row lock, so a concurrent failure that is about to lock the key is waited for).
pub async fn lock_in_force(
    conn: &mut AnyConnection,
    email_key: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "update login_throttles set updated_at = updated_at where email_key = $1 and locked_until > $2 returning locked_until",
    )
    .bind(email_key)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| r.0))
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
