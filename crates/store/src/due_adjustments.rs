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

/// Lowers the customer's dues by `amount` (guarded: never below zero), writes the adjustment and
/// its ledger row, and settles the customer's oldest invoices with it, all in the caller's
/// transaction. The guarded update takes the customer's lock first, like every money movement.
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
    local_date: &str,
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
    crate::ledger::insert(
        &mut *conn,
        &[crate::ledger::NewEntry {
            id: ledger_id.to_owned(),
            tenant_id,
            customer_id: Some(customer_id),
            invoice_id: None,
            due_adjustment_id: Some(id),
            entry: crate::ledger::Entry::DueAdjustment,
            amount,
            payment_method: ledger_method,
            bank_account_id: None,
            reference: "",
            notes,
            description: "Due adjustment".into(),
            created_at: now,
            local_date,
        }],
    )
    .await?;
    // Money not tied to one invoice settles the oldest outstanding invoices first.
    crate::invoices::settle_oldest_first(conn, tenant_id, customer_id, amount, now).await?;
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
