//! Server-side sessions and their rotating refresh tokens.
//!
//! The access JWT names a session; a request is authenticated only while that session is
//! neither revoked nor expired, so revocation takes effect on the very next request.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;
use crate::users::UserRow;

/// A new session and its first refresh token.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub user_agent: &'a str,
    pub ip: &'a str,
    pub refresh_token_id: &'a str,
    pub refresh_token_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn create(conn: &mut AnyConnection, s: &NewSession<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "insert into sessions (id, user_id, device_id, user_agent, ip, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.id)
    .bind(s.user_id)
    .bind(s.device_id)
    .bind(s.user_agent)
    .bind(s.ip)
    .bind(s.now)
    .bind(s.expires_at)
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(
        conn,
        s.refresh_token_id,
        s.id,
        s.user_id,
        s.refresh_token_hash,
        s.now,
        s.expires_at,
    )
    .await
}

async fn insert_refresh_token(
    conn: &mut AnyConnection,
    id: &str,
    session_id: &str,
    user_id: &str,
    hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into refresh_tokens (id, session_id, user_id, token_hash, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(session_id)
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session's account and expiry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveSession {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub session_expires_at: i64,
}

/// The live session `session_id` of user `user_id`, with its account: one indexed look-up per
/// authenticated request.
pub async fn authenticate(
    pool: &AnyPool,
    session_id: &str,
    user_id: &str,
    now: i64,
) -> Result<Option<LiveSession>, StoreError> {
    let row = sqlx::query_as::<_, LiveSession>(
        "select u.id, u.email, u.name, u.password_hash, u.phone, u.shop_name, u.gst_number, u.shop_address, \
                u.timezone, u.role, u.created_at, u.updated_at, s.expires_at as session_expires_at \
         from sessions s join users u on u.id = s.user_id \
         where s.id = $1 and s.user_id = $2 and s.revoked_at is null and s.expires_at > $3 and u.deleted_at is null",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// Device ids of the user's live sessions (for `SINGLE_DEVICE_SESSIONS`).
pub async fn live_devices(
    conn: &mut AnyConnection,
    user_id: &str,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "select device_id from sessions where user_id = $1 and revoked_at is null and expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Revokes one session (idempotent). Returns whether it was live.
pub async fn revoke(
    conn: &mut AnyConnection,
    session_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query("update sessions set revoked_at = $2, revoked_reason = $3 where id = $1 and revoked_at is null")
        .bind(session_id)
        .bind(now)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of a user; returns how many.
pub async fn revoke_all(
    conn: &mut AnyConnection,
    user_id: &str,
    reason: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let done = sqlx::query("update sessions set revoked_at = $2, revoked_reason = $3 where user_id = $1 and revoked_at is null")
        .bind(user_id)
        .bind(now)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Revokes the user's live sessions on one device (a new login there replaces them).
pub async fn revoke_device(
    conn: &mut AnyConnection,
    user_id: &str,
    device_id: &str,
    reason: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "update sessions set revoked_at = $3, revoked_reason = $4 where user_id = $1 and device_id = $2 and revoked_at is null",
    )
    .bind(user_id)
    .bind(device_id)
    .bind(now)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The session a refresh token of this user belongs to, whatever its state.
pub async fn session_of_refresh_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "select session_id from refresh_tokens where token_hash = $1 and user_id = $2",
    )
    .bind(token_hash)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

/// The result of presenting a refresh token.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current: it is now rotated, and the session lives on with a new token.
    Rotated { session_id: String, user_id: String },
    /// Unknown token.
    Unknown,
    /// The session was revoked or has expired.
    Dead,
    /// The token had already been rotated: someone replayed it, so its session is now revoked.
    Reused { user_id: String },
}

/// session id, user id, rotated at, session revoked at, session expires at.
type PresentedToken = (String, String, Option<i64>, Option<i64>, i64);

/// Rotates a refresh token inside `conn`'s transaction: the presented token is marked rotated by a
/// guarded update (two concurrent refreshes cannot both win), its successor is inserted, and the
/// session's life is extended to the successor's expiry.
pub async fn rotate_refresh_token(
    conn: &mut AnyConnection,
    presented_hash: &str,
    successor_id: &str,
    successor_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<Rotation, StoreError> {
    let claimed: Option<(String, String)> = sqlx::query_as(
        "update refresh_tokens set rotated_at = $2 \
         where token_hash = $1 and rotated_at is null and expires_at > $2 \
           and session_id in (select id from sessions where revoked_at is null and expires_at > $2) \
         returning session_id, user_id",
    )
    .bind(presented_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((session_id, user_id)) = claimed {
        insert_refresh_token(
            conn,
            successor_id,
            &session_id,
            &user_id,
            successor_hash,
            now,
            expires_at,
        )
        .await?;
        sqlx::query("update sessions set expires_at = $2 where id = $1")
            .bind(&session_id)
            .bind(expires_at)
            .execute(&mut *conn)
            .await?;
        return Ok(Rotation::Rotated {
            session_id,
            user_id,
        });
    }
    let known: Option<PresentedToken> = sqlx::query_as(
        "select t.session_id, t.user_id, t.rotated_at, s.revoked_at, s.expires_at from refresh_tokens t \
         join sessions s on s.id = t.session_id where t.token_hash = $1",
    )
    .bind(presented_hash)
    .fetch_optional(&mut *conn)
    .await?;
    match known {
        None => Ok(Rotation::Unknown),
        Some((session_id, user_id, Some(_), None, session_expires)) if session_expires > now => {
            revoke(conn, &session_id, "refresh_token_reuse", now).await?;
            Ok(Rotation::Reused { user_id })
        }
        Some(_) => Ok(Rotation::Dead),
    }
}

/// Deletes sessions that expired or were revoked before `before`, with their refresh tokens.
pub async fn delete_expired(conn: &mut AnyConnection, before: i64) -> Result<u64, StoreError> {
    sqlx::query(
        "delete from refresh_tokens where session_id in \
         (select id from sessions where expires_at < $1 or revoked_at < $1)",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query("delete from sessions where expires_at < $1 or revoked_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Revokes session `session_id` only if it belongs to `user_id` (logout with a token naming it).
pub async fn revoke_own(
    conn: &mut AnyConnection,
    session_id: &str,
    user_id: &str,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update sessions set revoked_at = $3, revoked_reason = $4 where id = $1 and user_id = $2 and revoked_at is null",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(now)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
