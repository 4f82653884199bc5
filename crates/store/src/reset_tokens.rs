//! Password-reset tokens (only their SHA-256 is stored), single use, with an expiry.

use sqlx::AnyConnection;

use crate::error::StoreError;

/// Stores the token of the reset e-mail job `job_id`, replacing the one of an earlier attempt.
pub async fn replace_for_job(
    conn: &mut AnyConnection,
    job_id: &str,
    user_id: &str,
    hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into password_reset_tokens (id, user_id, token_hash, created_at, expires_at) values ($1, $2, $3, $4, $5) \
         on conflict (id) do update set token_hash = excluded.token_hash, created_at = excluded.created_at, \
             expires_at = excluded.expires_at, used_at = null",
    )
    .bind(job_id)
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses up the token: returns the user it resets when the hash is current, unexpired, unused and
/// belongs to the live account with `email_key`. Every other open token of that user dies too.
pub async fn consume(
    conn: &mut AnyConnection,
    hash: &str,
    email_key: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let found: Option<(String, String)> = sqlx::query_as(
        "update password_reset_tokens set used_at = $3 \
         where token_hash = $1 and used_at is null and expires_at > $3 \
           and user_id in (select id from users where email_key = $2 and deleted_at is null) \
         returning id, user_id",
    )
    .bind(hash)
    .bind(email_key)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((_, user_id)) = found else {
        return Ok(None);
    };
    sqlx::query(
        "update password_reset_tokens set used_at = $2 where user_id = $1 and used_at is null",
    )
    .bind(&user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(Some(user_id))
}

pub async fn delete_expired(conn: &mut AnyConnection, now: i64) -> Result<u64, StoreError> {
    let done =
        sqlx::query("delete from password_reset_tokens where expires_at < $1 or used_at < $1")
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}
