//! Due adjustments: money a customer settles outside an invoice, lowering `dues` with one
//! `due_adjustment` ledger row.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdjustmentRow {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub customer_dues: i64,
    pub amount: i64,
    pub method: String,
    pub previous_due: i64,
    pub updated_due: i64,
    pub notes: String,
    pub created_at: i64,
}

const SELECT: &str = "select a.id, a.customer_id, c.name as customer_name, c.phone as customer_phone, c.email as customer_email, \
     c.dues as customer_dues, a.amount, a.method, a.previous_due, a.updated_due, a.notes, a.created_at \
     from due_adjustments a join customers c on c.id = a.customer_id";

/// What an adjustment did to the customer's dues.
pub enum Applied {
    Done {
        previous: i64,
        updated: i64,
    },
    /// The amount exceeds what the customer owes (the current dues are given).
    ExceedsDues(i64),
    NotFound,
}

/// Lowers the customer's dues by `amount` (guarded: never below zero) and writes the adjustment
/// and its ledger row, all in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    conn: &mut AnyConnection,
    tenant_id: &str,
    customer_id: &str,
    id: &str,
    ledger_id: &str,
    amount: i64,
    method: &str,
    ledger_method: &str,
    notes: &str,
    now: i64,
) -> Result<Applied, StoreError> {
    let updated: Option<(i64,)> = sqlx::query_as(
        "update customers set dues = dues - $3, updated_at = $4 where id = $1 and tenant_id = $2 and deleted_at is null and dues >= $3 \
         returning dues",
    )
    .bind(customer_id)
    .bind(tenant_id)
    .bind(amount)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((after,)) = updated else {
        let current: Option<(i64,)> = sqlx::query_as(
            "select dues from customers where id = $1 and tenant_id = $2 and deleted_at is null",
        )
        .bind(customer_id)
        .bind(tenant_id)
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(match current {
            Some((dues,)) => Applied::ExceedsDues(dues),
            None => Applied::NotFound,
        });
    };
    let before = after + amount;
    sqlx::query(
        "insert into due_adjustments (id, tenant_id, customer_id, amount, method, previous_due, updated_due, notes, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(customer_id)
    .bind(amount)
    .bind(method)
    .bind(before)
    .bind(after)
    .bind(notes)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into ledger_transactions (id, tenant_id, customer_id, due_adjustment_id, type, amount, effect, payment_method, notes, \
             description, created_at) values ($1, $2, $3, $4, 'due_adjustment', $5, $6, $7, $8, $9, $10)",
    )
    .bind(ledger_id)
    .bind(tenant_id)
    .bind(customer_id)
    .bind(id)
    .bind(amount)
    .bind(-amount)
    .bind(ledger_method)
    .bind(notes)
    .bind("Due adjustment")
    .bind(now)
    .execute(conn)
    .await?;
    Ok(Applied::Done {
        previous: before,
        updated: after,
    })
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<AdjustmentRow>, StoreError> {
    let sql = format!("{SELECT} where a.id = $1 and a.tenant_id = $2");
    Ok(sqlx::query_as::<_, AdjustmentRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?)
}

/// The shop's adjustments (optionally of one customer), newest first.
pub async fn list(
    pool: &AnyPool,
    tenant_id: &str,
    customer_id: Option<&str>,
) -> Result<Vec<AdjustmentRow>, StoreError> {
    let sql = format!(
        "{SELECT} where a.tenant_id = $1 and ($2 is null or a.customer_id = $2) order by a.created_at desc, a.id desc"
    );
    Ok(sqlx::query_as::<_, AdjustmentRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_all(pool)
        .await?)
}
