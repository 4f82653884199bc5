//! Per-shop daily figures (`daily_sales`, `daily_payment_methods`, `daily_collections`) in the
//! shop's time zone. They change in the same transaction as the documents they sum: an invoice
//! inserted or voided ([`crate::invoices`]), a payment or refund ledger row ([`crate::ledger`]).
//! [`rebuild`] recomputes them from the documents.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

/// Adds an invoice's figures to its day (or, with `sign` −1, takes a voided one's away).
#[allow(clippy::too_many_arguments)]
pub async fn add_sale(
    conn: &mut AnyConnection,
    tenant_id: &str,
    local_date: &str,
    method: &str,
    sign: i64,
    net_sales: i64,
    cost_of_goods: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into daily_sales (tenant_id, local_date, invoices, net_sales, cost_of_goods) values ($1, $2, $3, $4, $5) \
         on conflict (tenant_id, local_date) do update set invoices = daily_sales.invoices + excluded.invoices, \
             net_sales = daily_sales.net_sales + excluded.net_sales, cost_of_goods = daily_sales.cost_of_goods + excluded.cost_of_goods",
    )
    .bind(tenant_id)
    .bind(local_date)
    .bind(sign)
    .bind(sign * net_sales)
    .bind(sign * cost_of_goods)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into daily_payment_methods (tenant_id, local_date, method, invoices, net_sales) values ($1, $2, $3, $4, $5) \
         on conflict (tenant_id, local_date, method) do update set invoices = daily_payment_methods.invoices + excluded.invoices, \
             net_sales = daily_payment_methods.net_sales + excluded.net_sales",
    )
    .bind(tenant_id)
    .bind(local_date)
    .bind(method)
    .bind(sign)
    .bind(sign * net_sales)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds money received (negative: money handed back) to its day and channel.
pub async fn add_collection(
    conn: &mut AnyConnection,
    tenant_id: &str,
    local_date: &str,
    method: &str,
    amount: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into daily_collections (tenant_id, local_date, method, amount) values ($1, $2, $3, $4) \
         on conflict (tenant_id, local_date, method) do update set amount = daily_collections.amount + excluded.amount",
    )
    .bind(tenant_id)
    .bind(local_date)
    .bind(method)
    .bind(amount)
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes a shop's daily figures from its invoices and ledger, in the caller's transaction.
pub async fn rebuild(conn: &mut AnyConnection, tenant_id: &str) -> Result<(), StoreError> {
    for table in ["daily_sales", "daily_payment_methods", "daily_collections"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "delete from {table} where tenant_id = $1"
        )))
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "insert into daily_sales (tenant_id, local_date, invoices, net_sales, cost_of_goods) \
         select tenant_id, local_date, count(*), sum(subtotal - discount - returned_amount), sum(cost_of_goods) \
         from invoices where tenant_id = $1 and is_deleted = 0 group by tenant_id, local_date",
    )
    .bind(tenant_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into daily_payment_methods (tenant_id, local_date, method, invoices, net_sales) \
         select tenant_id, local_date, payment_method, count(*), sum(subtotal - discount - returned_amount) \
         from invoices where tenant_id = $1 and is_deleted = 0 group by tenant_id, local_date, payment_method",
    )
    .bind(tenant_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into daily_collections (tenant_id, local_date, method, amount) \
         select tenant_id, local_date, payment_method, sum(case when type = 'payment' then amount else -amount end) \
         from ledger_transactions where tenant_id = $1 and type in ('payment', 'refund') \
         group by tenant_id, local_date, payment_method",
    )
    .bind(tenant_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One non-zero aggregate row, for comparing maintained and rebuilt figures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct Row {
    pub table_name: String,
    pub local_date: String,
    pub method: String,
    pub a: i64,
    pub b: i64,
    pub c: i64,
}

/// Every non-zero daily figure of the shop, sorted.
pub async fn snapshot(conn: &mut AnyConnection, tenant_id: &str) -> Result<Vec<Row>, StoreError> {
    let mut rows = sqlx::query_as::<_, Row>(
        "select 'sales' as table_name, local_date, '' as method, invoices as a, net_sales as b, cost_of_goods as c \
             from daily_sales where tenant_id = $1 and (invoices <> 0 or net_sales <> 0 or cost_of_goods <> 0) \
         union all select 'methods', local_date, method, invoices, net_sales, 0 \
             from daily_payment_methods where tenant_id = $1 and (invoices <> 0 or net_sales <> 0) \
         union all select 'collections', local_date, method, amount, 0, 0 \
             from daily_collections where tenant_id = $1 and amount <> 0",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await?;
    rows.sort();
    Ok(rows)
}

/// The shop's figures over all days.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Totals {
    pub invoices: i64,
    pub net_sales: i64,
    pub cost_of_goods: i64,
}

pub async fn totals(pool: &AnyPool, tenant_id: &str) -> Result<Totals, StoreError> {
    // PostgreSQL sums bigints as numeric: cast back so both backends decode an integer.
    Ok(sqlx::query_as::<_, Totals>(
        "select cast(coalesce(sum(invoices), 0) as bigint) as invoices, cast(coalesce(sum(net_sales), 0) as bigint) as net_sales, \
                cast(coalesce(sum(cost_of_goods), 0) as bigint) as cost_of_goods from daily_sales where tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await?)
}

/// Net sales per day from `from` (a local date) on, ascending; days without sales left out.
pub async fn daily(
    pool: &AnyPool,
    tenant_id: &str,
    from: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select local_date, net_sales from daily_sales where tenant_id = $1 and local_date >= $2 \
             and (invoices <> 0 or net_sales <> 0) order by local_date",
    )
    .bind(tenant_id)
    .bind(from)
    .fetch_all(pool)
    .await?)
}

/// Sales by their original payment method: (method, invoices, net sales).
pub async fn by_method(
    pool: &AnyPool,
    tenant_id: &str,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select method, cast(sum(invoices) as bigint), cast(sum(net_sales) as bigint) from daily_payment_methods \
         where tenant_id = $1 group by method having sum(invoices) <> 0 order by method",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await?)
}

/// Money received by channel: (method, amount).
pub async fn collections(
    pool: &AnyPool,
    tenant_id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select method, cast(sum(amount) as bigint) from daily_collections where tenant_id = $1 group by method order by method",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await?)
}
