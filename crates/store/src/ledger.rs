//! The customer ledger (`ledger_transactions`): one row per money movement, `amount > 0`, and
//! `effect` its signed effect on the customer's dues (SPEC §2).

use sqlx::AnyConnection;

use crate::error::StoreError;

/// What kind of movement a row records, and the sign of its effect on dues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Sale,
    Payment,
    Return,
    Refund,
    DueAdjustment,
    Void,
}

impl Entry {
    pub fn as_str(self) -> &'static str {
        match self {
            Entry::Sale => "sale",
            Entry::Payment => "payment",
            Entry::Return => "return",
            Entry::Refund => "refund",
            Entry::DueAdjustment => "due_adjustment",
            Entry::Void => "void",
        }
    }

    /// +1 when the row raises what the customer owes.
    fn sign(self) -> i64 {
        match self {
            Entry::Sale | Entry::Refund => 1,
            Entry::Payment | Entry::Return | Entry::DueAdjustment | Entry::Void => -1,
        }
    }
}

/// One row to write. `amount` must be > 0 (the table refuses 0).
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub id: String,
    pub tenant_id: &'a str,
    pub customer_id: Option<&'a str>,
    pub invoice_id: Option<&'a str>,
    pub due_adjustment_id: Option<&'a str>,
    pub entry: Entry,
    pub amount: i64,
    pub payment_method: &'a str,
    pub bank_account_id: Option<&'a str>,
    pub reference: &'a str,
    pub notes: &'a str,
    pub description: String,
    pub created_at: i64,
    /// The shop's local date of `created_at`.
    pub local_date: &'a str,
}

/// Writes the rows in one statement; money received (`payment`) and handed back (`refund`) also
/// moves the day's collections.
pub async fn insert(conn: &mut AnyConnection, rows: &[NewEntry<'_>]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "insert into ledger_transactions (id, tenant_id, customer_id, invoice_id, due_adjustment_id, type, amount, effect, \
         payment_method, bank_account_id, reference, notes, description, created_at, local_date) values {}",
        crate::value_rows(rows.len(), 15)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for r in rows {
        query = query
            .bind(r.id.as_str())
            .bind(r.tenant_id)
            .bind(r.customer_id)
            .bind(r.invoice_id)
            .bind(r.due_adjustment_id)
            .bind(r.entry.as_str())
            .bind(r.amount)
            .bind(r.entry.sign() * r.amount)
            .bind(r.payment_method)
            .bind(r.bank_account_id)
            .bind(r.reference)
            .bind(r.notes)
            .bind(r.description.as_str())
            .bind(r.created_at)
            .bind(r.local_date);
    }
    query.execute(&mut *conn).await?;
    for r in rows {
        let amount = match r.entry {
            Entry::Payment => r.amount,
            Entry::Refund => -r.amount,
            _ => continue,
        };
        crate::aggregates::add_collection(
            &mut *conn,
            r.tenant_id,
            r.local_date,
            r.payment_method,
            amount,
        )
        .await?;
    }
    Ok(())
}
