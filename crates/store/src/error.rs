//! Storage errors, classified so that callers can pick the right HTTP status.

use sqlx::error::ErrorKind;

/// What went wrong in the database, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique index refused the write; `index` names it (same name on both backends).
    #[error("unique index {index} violated")]
    Unique { index: String },
    /// Lock contention, a deadlock or a serialization failure: the operation may be retried.
    #[error("transient conflict")]
    Conflict(#[source] sqlx::Error),
    /// A compare-and-set found its row changed since it was read: the transaction is run again.
    #[error("row changed since it was read")]
    Raced,
    /// The shared transaction of a group commit failed after this operation ran: none of its
    /// writes exist, and it is run again.
    #[error("shared transaction failed: {0}")]
    GroupFailed(String),
    /// An idempotency key this request claimed was taken over by a later request with the same
    /// key (the claim had gone stale): this request must not store its outcome.
    #[error("idempotency key taken over by another request")]
    KeyTakenOver,
    /// The database cannot be reached or the pool is exhausted.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

impl StoreError {
    /// True when running the whole transaction again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict(_) | StoreError::Raced | StoreError::GroupFailed(_)
        )
    }
}

// SQLite: 5 BUSY, 6 LOCKED, 517 BUSY_SNAPSHOT, 261 BUSY_RECOVERY, 262 LOCKED_SHAREDCACHE.
// PostgreSQL: 40001 serialization failure, 40P01 deadlock detected, 55P03 lock not available.
const RETRYABLE_CODES: &[&str] = &["5", "6", "517", "261", "262", "40001", "40P01", "55P03"];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) => {
                if db.kind() == ErrorKind::UniqueViolation {
                    let index = db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| sqlite_unique_index(db.message()));
                    return StoreError::Unique { index };
                }
                if db
                    .code()
                    .is_some_and(|c| RETRYABLE_CODES.contains(&c.as_ref()))
                {
                    return StoreError::Conflict(e);
                }
                if db.code().is_some_and(|c| is_connection_failure(&c)) {
                    return StoreError::Unavailable(e);
                }
                StoreError::Other(e)
            }
            // A connection that breaks mid-conversation (or before the handshake) is the database
            // being away, not a bug.
            sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e),
            _ => StoreError::Other(e),
        }
    }
}

/// PostgreSQL SQLSTATE classes meaning "the server is not there for us right now": 08
/// connection exception, 57P01–57P03 shutdown or starting up, 53300 too many connections.
fn is_connection_failure(code: &str) -> bool {
    code.starts_with("08") || ["57P01", "57P02", "57P03", "53300"].contains(&code)
}

/// SQLite reports `UNIQUE constraint failed: items.tenant_id, items.name_key` without the index
/// name; map the column list to the index that PostgreSQL would name.
fn sqlite_unique_index(message: &str) -> String {
    let columns = message.split_once(": ").map(|(_, c)| c).unwrap_or(message);
    let known: &[(&str, &str)] = &[
        ("users.email_key", "users_email_key_live_unique"),
        (
            "items.tenant_id, items.name_key",
            "items_tenant_name_key_live_unique",
        ),
        (
            "items.tenant_id, items.sku_key",
            "items_tenant_sku_key_live_unique",
        ),
        (
            "customers.tenant_id, customers.phone",
            "customers_tenant_phone_live_unique",
        ),
        (
            "invoices.tenant_id, invoices.invoice_no",
            "invoices_tenant_invoice_no_unique",
        ),
        (
            "returns.tenant_id, returns.return_no",
            "returns_tenant_return_no_unique",
        ),
        (
            "sales_orders.tenant_id, sales_orders.order_number",
            "sales_orders_tenant_order_number_unique",
        ),
        (
            "refresh_tokens.token_hash",
            "refresh_tokens_token_hash_unique",
        ),
        (
            "password_reset_tokens.token_hash",
            "password_reset_tokens_token_hash_unique",
        ),
        ("jobs.unique_key", "jobs_unique_key_live"),
        (
            "bank_accounts.tenant_id, bank_accounts.account_number",
            "bank_accounts_tenant_number_live_unique",
        ),
    ];
    known
        .iter()
        .find(|(cols, _)| *cols == columns)
        .map(|(_, index)| (*index).to_owned())
        .unwrap_or_else(|| columns.to_owned())
}
