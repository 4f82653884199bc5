//! A shop's customers. `dues` is always the sum of the customer's ledger effects: positive, the
//! customer owes the shop; negative, the shop owes the customer (credit).

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub dues: i64,
    pub referred_by: Option<String>,
    pub referred_by_name: Option<String>,
    pub referred_by_phone: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "select c.id, c.tenant_id, c.name, c.phone, c.email, c.address, c.dues, c.referred_by, \
     r.name as referred_by_name, r.phone as referred_by_phone, c.created_at, c.updated_at \
     from customers c left join customers r on r.id = c.referred_by and r.tenant_id = c.tenant_id";

/// The fields a shop sets.
#[derive(Debug, Clone)]
pub struct CustomerFields {
    pub name: String,
    pub name_key: String,
    pub phone: String,
    pub email: String,
    pub email_key: Option<String>,
    pub address: String,
    pub referred_by: Option<String>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &CustomerFields,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into customers (id, tenant_id, name, name_key, phone, email, email_key, address, referred_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(&f.name)
    .bind(&f.name_key)
    .bind(&f.phone)
    .bind(&f.email)
    .bind(f.email_key.as_deref())
    .bind(&f.address)
    .bind(f.referred_by.as_deref())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &CustomerFields,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "update customers set name = $3, name_key = $4, phone = $5, email = $6, email_key = $7, address = $8, referred_by = $9, \
             updated_at = $10 where id = $1 and tenant_id = $2 and deleted_at is null",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(&f.name)
    .bind(&f.name_key)
    .bind(&f.phone)
    .bind(&f.email)
    .bind(f.email_key.as_deref())
    .bind(&f.address)
    .bind(f.referred_by.as_deref())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Live customers by name (case- and accent-insensitively, then by id): identical on both backends.
pub async fn list(pool: &AnyPool, tenant_id: &str) -> Result<Vec<CustomerRow>, StoreError> {
    let sql = format!(
        "{SELECT} where c.tenant_id = $1 and c.deleted_at is null order by c.name_key, c.id"
    );
    Ok(sqlx::query_as::<_, CustomerRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .fetch_all(pool)
        .await?)
}

pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<CustomerRow>, StoreError> {
    let sql = format!("{SELECT} where c.id = $1 and c.tenant_id = $2 and c.deleted_at is null");
    Ok(sqlx::query_as::<_, CustomerRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?)
}

/// Which live customer of the shop (other than `except`) already has this phone or e-mail key.
pub async fn taken(
    conn: &mut AnyConnection,
    tenant_id: &str,
    phone: &str,
    email_key: Option<&str>,
    except: &str,
) -> Result<(bool, bool), StoreError> {
    let (phone_taken, email_taken): (i64, i64) = sqlx::query_as(
        "select coalesce(sum(case when phone = $2 then 1 else 0 end), 0), \
                coalesce(sum(case when $3 is not null and email_key = $3 then 1 else 0 end), 0) \
         from customers where tenant_id = $1 and deleted_at is null and id <> $4",
    )
    .bind(tenant_id)
    .bind(phone)
    .bind(email_key)
    .bind(except)
    .fetch_one(conn)
    .await?;
    Ok((phone_taken > 0, email_taken > 0))
}

pub async fn soft_delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update customers set deleted_at = $3, updated_at = $3 where id = $1 and tenant_id = $2 and deleted_at is null and dues = 0",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A ledger row with the invoice it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: String,
    pub customer_id: Option<String>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub amount: i64,
    pub effect: i64,
    pub payment_method: String,
    pub reference: String,
    pub notes: String,
    pub description: String,
    pub created_at: i64,
    pub invoice_id: Option<String>,
    pub invoice_no: Option<String>,
    pub invoice_total: Option<i64>,
    pub invoice_status: Option<String>,
}

/// The customer's ledger, newest first.
pub async fn ledger(
    pool: &AnyPool,
    tenant_id: &str,
    customer_id: &str,
) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(sqlx::query_as::<_, LedgerRow>(
        "select t.id, t.customer_id, t.type, t.amount, t.effect, t.payment_method, t.reference, t.notes, t.description, t.created_at, \
                t.invoice_id, i.invoice_no, i.total_amount as invoice_total, i.payment_status as invoice_status \
         from ledger_transactions t left join invoices i on i.id = t.invoice_id \
         where t.tenant_id = $1 and t.customer_id = $2 order by t.created_at desc, t.id desc",
    )
    .bind(tenant_id)
    .bind(customer_id)
    .fetch_all(pool)
    .await?)
}

/// Locks a live customer for a money movement and returns its dues. Every operation that moves a
/// customer's money (sale, payment, void, return, adjustment) takes this lock first, so the
/// customer's invoices and dues are read and changed by one transaction at a time.
pub async fn lock(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<i64>, StoreError> {
    lock_row(conn, tenant_id, id, "and deleted_at is null").await
}

/// Like [`lock`], also for a deleted customer (a document of theirs still moves money).
pub async fn lock_any(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<i64>, StoreError> {
    lock_row(conn, tenant_id, id, "").await
}

/// PostgreSQL: `select … for update` (a no-op update would add a row version per sale to the
/// hottest rows and slow every later reader of them). SQLite has no row locks and needs none:
/// its write transaction already excludes every other writer.
async fn lock_row(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    live: &str,
) -> Result<Option<i64>, StoreError> {
    let for_update = if conn.backend_name() == "PostgreSQL" {
        " for update"
    } else {
        ""
    };
    let sql =
        format!("select dues from customers where id = $1 and tenant_id = $2 {live}{for_update}");
    let row: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(dues,)| dues))
}

/// Adds `delta` to a customer's dues (the caller holds the lock and writes the ledger rows that
/// explain it).
pub async fn add_dues(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    delta: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "update customers set dues = dues + $3, updated_at = $4 where id = $1 and tenant_id = $2",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(delta)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A customer of the shop, also a deleted one (documents keep showing who they were).
pub async fn get_any(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<CustomerRow>, StoreError> {
    let sql = format!("{SELECT} where c.id = $1 and c.tenant_id = $2");
    Ok(sqlx::query_as::<_, CustomerRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?)
}
