//! The shop's bank accounts. Balances move only through money movements that name an account.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BankAccountRow {
    pub id: String,
    pub tenant_id: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_type: String,
    pub branch: String,
    pub ifsc: String,
    pub opening_balance: i64,
    pub current_balance: i64,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, tenant_id, bank_name, account_number, account_type, branch, ifsc, opening_balance, \
     current_balance, status, created_at, updated_at";

/// The fields a shop sets.
#[derive(Debug, Clone)]
pub struct BankAccountFields {
    pub bank_name: String,
    pub account_number: String,
    pub account_type: String,
    pub branch: String,
    pub ifsc: String,
    pub status: String,
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &BankAccountFields,
    opening: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into bank_accounts (id, tenant_id, bank_name, account_number, account_type, branch, ifsc, opening_balance, \
             current_balance, status, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $10)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(&f.bank_name)
    .bind(&f.account_number)
    .bind(&f.account_type)
    .bind(&f.branch)
    .bind(&f.ifsc)
    .bind(opening)
    .bind(&f.status)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &BankAccountFields,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update bank_accounts set bank_name = $3, account_number = $4, account_type = $5, branch = $6, ifsc = $7, status = $8, \
             updated_at = $9 where id = $1 and tenant_id = $2 and deleted_at is null",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(&f.bank_name)
    .bind(&f.account_number)
    .bind(&f.account_type)
    .bind(&f.branch)
    .bind(&f.ifsc)
    .bind(&f.status)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(pool: &AnyPool, tenant_id: &str) -> Result<Vec<BankAccountRow>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from bank_accounts where tenant_id = $1 and deleted_at is null order by created_at, id"
    );
    Ok(
        sqlx::query_as::<_, BankAccountRow>(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .fetch_all(pool)
            .await?,
    )
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<BankAccountRow>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from bank_accounts where id = $1 and tenant_id = $2 and deleted_at is null"
    );
    Ok(
        sqlx::query_as::<_, BankAccountRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// How many documents and ledger rows name the account (they keep it from being deleted).
pub async fn references(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(
        "select (select count(*) from ledger_transactions where tenant_id = $1 and bank_account_id = $2) \
              + (select count(*) from invoices where tenant_id = $1 and bank_account_id = $2) \
              + (select count(*) from returns where tenant_id = $1 and bank_account_id = $2)",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

pub async fn soft_delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query("update bank_accounts set deleted_at = $3, updated_at = $3 where id = $1 and tenant_id = $2 and deleted_at is null")
        .bind(id)
        .bind(tenant_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Raises (or, with a negative amount, lowers) a live account's current balance by money that
/// moved through it; false when the shop has no such account.
pub async fn move_money(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    amount: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update bank_accounts set current_balance = current_balance + $3, updated_at = $4 \
         where id = $1 and tenant_id = $2 and deleted_at is null",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(amount)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
