//! The dashboard's figures that are not daily sums: customers' dues, stock, bank balances,
//! orders and returns. Each is one indexed query over the shop's current rows.

use sqlx::AnyPool;

use crate::error::StoreError;

#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct CustomerFigures {
    pub customers: i64,
    pub outstanding: i64,
    pub credit: i64,
}

pub async fn customers(pool: &AnyPool, tenant_id: &str) -> Result<CustomerFigures, StoreError> {
    Ok(sqlx::query_as::<_, CustomerFigures>(
        "select count(*) as customers, \
                cast(coalesce(sum(case when dues > 0 then dues else 0 end), 0) as bigint) as outstanding, \
                cast(coalesce(sum(case when dues < 0 then -dues else 0 end), 0) as bigint) as credit \
         from customers where tenant_id = $1 and deleted_at is null",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await?)
}

/// The customers who owe the most: (id, name, dues), at most `limit`.
pub async fn top_dues(
    pool: &AnyPool,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "select id, name, dues from customers where tenant_id = $1 and deleted_at is null and dues > 0 \
         order by dues desc, id limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The dashboard's stock figures, counted by the database (no item rows leave it).
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct StockFigures {
    pub items: i64,
    /// 0 < available ≤ limit.
    pub low: i64,
    /// available ≤ 0.
    pub out: i64,
    /// Σ stock (thousandths) × cost price (paise), in floating point: exact up to 2^53
    /// (inventories worth ₹90 billion), approximate beyond, never an overflow error.
    pub value_milli_paise: f64,
}

pub async fn stock(pool: &AnyPool, tenant_id: &str) -> Result<StockFigures, StoreError> {
    Ok(sqlx::query_as::<_, StockFigures>(
        "select count(*) as items, \
                cast(coalesce(sum(case when stock_qty - reserved_stock > 0 and stock_qty - reserved_stock <= low_stock_limit then 1 else 0 end), 0) as bigint) as low, \
                cast(coalesce(sum(case when stock_qty - reserved_stock <= 0 then 1 else 0 end), 0) as bigint) as out, \
                cast(coalesce(sum(cast(stock_qty as double precision) * cost_price), 0) as double precision) as value_milli_paise \
         from items where tenant_id = $1 and deleted_at is null",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await?)
}

#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct OtherFigures {
    pub bank_balance: i64,
    pub bank_accounts: i64,
    pub pending_orders: i64,
    pub completed_orders: i64,
    pub order_value: i64,
    pub returns: i64,
    pub returns_amount: i64,
}

pub async fn other(pool: &AnyPool, tenant_id: &str) -> Result<OtherFigures, StoreError> {
    Ok(sqlx::query_as::<_, OtherFigures>(
        "select \
           (select cast(coalesce(sum(current_balance), 0) as bigint) from bank_accounts where tenant_id = $1 and deleted_at is null) as bank_balance, \
           (select count(*) from bank_accounts where tenant_id = $1 and deleted_at is null) as bank_accounts, \
           (select count(*) from sales_orders where tenant_id = $1 and status in ('Draft', 'Confirmed', 'Partially Delivered')) as pending_orders, \
           (select count(*) from sales_orders where tenant_id = $1 and status in ('Delivered', 'Invoiced')) as completed_orders, \
           (select cast(coalesce(sum(total_amount), 0) as bigint) from sales_orders where tenant_id = $1 and status <> 'Cancelled') as order_value, \
           (select count(*) from returns where tenant_id = $1) as returns, \
           (select cast(coalesce(sum(total_return_amount), 0) as bigint) from returns where tenant_id = $1) as returns_amount",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await?)
}
