//! Idempotency keys, scoped by (shop, method, route, key). A 2xx response is stored in the
//! operation's own transaction, so a crash cannot separate the operation from its key.

use sqlx::AnyConnection;

use crate::db::Db;
use crate::error::StoreError;

/// Which request a key belongs to.
#[derive(Debug, Clone)]
pub struct KeyScope {
    pub tenant_id: String,
    pub method: String,
    pub route: String,
    pub key: String,
    pub request_hash: String,
    /// When this request claimed the key (the marker's `updated_at`): completing or releasing
    /// checks it, so a request whose stale marker was taken over cannot store its answer too.
    pub claimed_at: i64,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Begin {
    /// First use (or a stale in-progress marker taken over): run the operation.
    Run,
    /// Done before with the same body: answer this.
    Replay { status: u16, body: String },
    /// The key was used with another body.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Claims the key with an in-progress marker (its own committed transaction), or reports how it
/// was used before. A marker older than `stale_ms` is taken over.
pub async fn begin(
    db: &Db,
    scope: &KeyScope,
    now: i64,
    stale_ms: i64,
) -> Result<Begin, StoreError> {
    let mut tx = db.begin().await?;
    let inserted: Option<(String,)> = sqlx::query_as(
        "insert into idempotency_keys (tenant_id, method, route, key, request_hash, state, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, 'in_progress', $6, $6) on conflict do nothing returning key",
    )
    .bind(&scope.tenant_id)
    .bind(&scope.method)
    .bind(&scope.route)
    .bind(&scope.key)
    .bind(&scope.request_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if inserted.is_some() {
        tx.commit().await?;
        return Ok(Begin::Run);
    }
    let (hash, state, status, body, updated): (String, String, Option<i64>, Option<String>, i64) = sqlx::query_as(
        "select request_hash, state, response_status, response_body, updated_at from idempotency_keys \
         where tenant_id = $1 and method = $2 and route = $3 and key = $4",
    )
    .bind(&scope.tenant_id)
    .bind(&scope.method)
    .bind(&scope.route)
    .bind(&scope.key)
    .fetch_one(&mut *tx)
    .await?;
    let outcome = if hash != scope.request_hash {
        Begin::Mismatch
    } else if state == "done" {
        Begin::Replay {
            status: status.unwrap_or(200) as u16,
            body: body.unwrap_or_default(),
        }
    } else if updated < now - stale_ms {
        let taken = sqlx::query(
            "update idempotency_keys set updated_at = $5 where tenant_id = $1 and method = $2 and route = $3 and key = $4 \
             and state = 'in_progress' and updated_at = $6",
        )
        .bind(&scope.tenant_id)
        .bind(&scope.method)
        .bind(&scope.route)
        .bind(&scope.key)
        .bind(now)
        .bind(updated)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 1 {
            Begin::Run
        } else {
            Begin::InFlight
        }
    } else {
        Begin::InFlight
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Stores the response of the operation (inside its transaction for a 2xx; alone for a 4xx).
/// [`StoreError::KeyTakenOver`] when another request took the key over meanwhile: the caller's
/// transaction must then roll back.
pub async fn complete(
    conn: &mut AnyConnection,
    scope: &KeyScope,
    status: u16,
    body: &str,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update idempotency_keys set state = 'done', response_status = $5, response_body = $6, updated_at = $7 \
         where tenant_id = $1 and method = $2 and route = $3 and key = $4 and state = 'in_progress' and updated_at = $8",
    )
    .bind(&scope.tenant_id)
    .bind(&scope.method)
    .bind(&scope.route)
    .bind(&scope.key)
    .bind(i64::from(status))
    .bind(body)
    .bind(now)
    .bind(scope.claimed_at)
    .execute(conn)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::KeyTakenOver);
    }
    Ok(())
}

/// Frees the key after a server error, so the client may try again.
pub async fn release(db: &Db, scope: &KeyScope) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sqlx::query("delete from idempotency_keys where tenant_id = $1 and method = $2 and route = $3 and key = $4 and state = 'in_progress' and updated_at = $5")
        .bind(&scope.tenant_id)
        .bind(&scope.method)
        .bind(&scope.route)
        .bind(&scope.key)
        .bind(scope.claimed_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
