//! SQL storage for bizzai on SQLite (embedded default) and PostgreSQL, behind one API.
//!
//! Queries are written once with `$n` placeholders and run through sqlx's `Any` driver; the few
//! places where the dialects differ branch on [`Backend`]. Every function that touches a shop's
//! data takes the tenant id as a required argument.

pub mod aggregates;
pub mod bank_accounts;
pub mod counters;
pub mod customers;
pub mod db;
pub mod due_adjustments;
pub mod error;
pub mod explain;
pub mod group_commit;
pub mod idempotency;
pub mod invoice_pdfs;
pub mod invoices;
pub mod items;
pub mod ledger;
pub mod migrate;
pub mod reports;
pub mod reset_tokens;
pub mod secrets;
pub mod sessions;
pub mod throttles;
pub mod users;

pub use db::{Backend, Db, DbOptions, SqliteSynchronous, Tx};
pub use error::StoreError;

/// Milliseconds since the Unix epoch: the one time representation stored in every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `($1, …, $n), ($n+1, …)`: placeholders for a multi-row insert (sqlx's query builder writes `?`
/// through the `Any` driver, which PostgreSQL does not accept).
pub(crate) fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs a block in one write transaction and commits it, running it again from the start when
/// the database reports contention (busy, deadlock, serialization failure), so contention never
/// reaches the client as an error.
///
/// `transact!(db, ErrorType, |tx| { ...; Ok(value) })`: inside the block `tx` is `&mut Tx`,
/// `?` converts into `ErrorType` (which must implement `From<StoreError>` and
/// [`db::Retryable`]), and `return Err(..)` rolls back. A macro rather than a function taking a
/// closure, because the futures of closures borrowing a transaction cannot be proven `Send`.
#[macro_export]
macro_rules! transact {
    ($db:expr, $err:ty, |$tx:ident| $body:block) => {{
        let db: &$crate::Db = &$db;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result: ::std::result::Result<_, $err> = async {
                let mut transaction = db.begin().await?;
                let value = {
                    let $tx: &mut $crate::Tx = &mut transaction;
                    let outcome: ::std::result::Result<_, $err> = async { $body }.await;
                    outcome?
                };
                transaction
                    .commit()
                    .await
                    .map_err($crate::StoreError::from)?;
                Ok(value)
            }
            .await;
            match result {
                Err(e)
                    if $crate::db::Retryable::is_retryable(&e)
                        && attempt < $crate::db::MAX_ATTEMPTS =>
                {
                    $crate::Db::contention_backoff(attempt).await;
                }
                other => break other,
            }
        }
    }};
}
