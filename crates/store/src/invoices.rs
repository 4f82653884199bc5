//! Sales invoices and their lines. An invoice is never deleted: a void hides it from lists and
//! totals and keeps it readable. `balance_due` is what is still outstanding on it (SPEC
//! "Allocation"); every change of it goes through a compare-and-set on the balance the caller read
//! under the customer's lock, so money is never applied twice.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

/// A stored invoice, with its customer's name and phone (also of a deleted customer: history is
/// kept).
///
/// Field order is the column order of [`COLUMNS`]: lists read rows as JSON arrays by position.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct InvoiceRow {
    pub id: String,
    pub tenant_id: String,
    pub invoice_no: String,
    pub customer_id: Option<String>,
    pub sales_order_id: Option<String>,
    pub subtotal: i64,
    pub tax: i64,
    pub discount: i64,
    pub previous_due_amount: i64,
    pub total_amount: i64,
    pub paid_amount: i64,
    pub change_returned: i64,
    pub credit_applied: i64,
    pub returned_amount: i64,
    pub carried_forward_amount: i64,
    pub balance_due: i64,
    pub payment_status: String,
    pub payment_method: String,
    pub paid_via_method: Option<String>,
    pub bank_account_id: Option<String>,
    /// JSON: `[{"_id", "method", "amount" (paise), "bankAccount"}]`.
    pub split_payment_details: String,
    pub has_returns: i64,
    pub cost_of_goods: i64,
    pub local_date: String,
    pub version: i64,
    pub is_deleted: i64,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    #[sqlx(default)]
    pub customer_name: Option<String>,
    #[sqlx(default)]
    pub customer_phone: Option<String>,
}

impl InvoiceRow {
    /// The value of the goods sold (what net sales count).
    pub fn goods(&self) -> i64 {
        self.subtotal - self.discount
    }
}

/// A stored line: the item's name, sku, unit and cost price as they were at the sale.
///
/// Field order is the column order of [`LINE_COLUMNS`] (see [`InvoiceRow`]).
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct LineRow {
    pub id: String,
    pub invoice_id: String,
    pub line_no: i64,
    pub item_id: String,
    pub name: String,
    pub sku: String,
    pub unit: String,
    pub quantity: i64,
    pub price: i64,
    pub list_price: i64,
    pub cost_price: i64,
    pub tax: i64,
    pub discount: i64,
    pub total: i64,
    pub returned_qty: i64,
}

/// The invoice columns in [`InvoiceRow`]'s order, without the customer's (a macro, so that both
/// spellings below are literals).
macro_rules! invoice_columns {
    () => {
        "i.id, i.tenant_id, i.invoice_no, i.customer_id, i.sales_order_id, i.subtotal, i.tax, i.discount, \
         i.previous_due_amount, i.total_amount, i.paid_amount, i.change_returned, i.credit_applied, i.returned_amount, \
         i.carried_forward_amount, i.balance_due, i.payment_status, i.payment_method, i.paid_via_method, i.bank_account_id, \
         i.split_payment_details, i.has_returns, i.cost_of_goods, i.local_date, i.version, i.is_deleted, i.deleted_at, \
         i.created_at, i.updated_at"
    };
}

const COLUMNS: &str = concat!(
    invoice_columns!(),
    ", c.name as customer_name, c.phone as customer_phone"
);

/// [`COLUMNS`] as arguments of a JSON array (no aliases).
const ARRAY_COLUMNS: &str = concat!(invoice_columns!(), ", c.name, c.phone");

const FROM: &str = "from invoices i left join customers c on c.id = i.customer_id";

const LINE_COLUMNS: &str = "l.id, l.invoice_id, l.line_no, l.item_id, l.name, l.sku, l.unit, l.quantity, l.price, \
     l.list_price, l.cost_price, l.tax, l.discount, l.total, l.returned_qty";

pub async fn insert(conn: &mut AnyConnection, i: &InvoiceRow) -> Result<(), StoreError> {
    sqlx::query(
        "insert into invoices (id, tenant_id, invoice_no, customer_id, sales_order_id, subtotal, tax, discount, \
             previous_due_amount, total_amount, paid_amount, change_returned, credit_applied, returned_amount, \
             carried_forward_amount, balance_due, payment_status, payment_method, paid_via_method, bank_account_id, \
             split_payment_details, has_returns, cost_of_goods, local_date, version, is_deleted, deleted_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
             $24, $25, $26, $27, $28, $29)",
    )
    .bind(&i.id)
    .bind(&i.tenant_id)
    .bind(&i.invoice_no)
    .bind(i.customer_id.as_deref())
    .bind(i.sales_order_id.as_deref())
    .bind(i.subtotal)
    .bind(i.tax)
    .bind(i.discount)
    .bind(i.previous_due_amount)
    .bind(i.total_amount)
    .bind(i.paid_amount)
    .bind(i.change_returned)
    .bind(i.credit_applied)
    .bind(i.returned_amount)
    .bind(i.carried_forward_amount)
    .bind(i.balance_due)
    .bind(&i.payment_status)
    .bind(&i.payment_method)
    .bind(i.paid_via_method.as_deref())
    .bind(i.bank_account_id.as_deref())
    .bind(&i.split_payment_details)
    .bind(i.has_returns)
    .bind(i.cost_of_goods)
    .bind(&i.local_date)
    .bind(i.version)
    .bind(i.is_deleted)
    .bind(i.deleted_at)
    .bind(i.created_at)
    .bind(i.updated_at)
    .execute(&mut *conn)
    .await?;
    crate::aggregates::add_sale(
        conn,
        &i.tenant_id,
        &i.local_date,
        &i.payment_method,
        1,
        i.goods() - i.returned_amount,
        i.cost_of_goods,
    )
    .await
}

pub async fn insert_lines(
    conn: &mut AnyConnection,
    tenant_id: &str,
    lines: &[LineRow],
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "insert into invoice_lines (id, tenant_id, invoice_id, line_no, item_id, name, sku, unit, quantity, price, list_price, \
         cost_price, tax, discount, total, returned_qty) values {}",
        crate::value_rows(lines.len(), 16)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for l in lines {
        query = query
            .bind(&l.id)
            .bind(tenant_id)
            .bind(&l.invoice_id)
            .bind(l.line_no)
            .bind(&l.item_id)
            .bind(&l.name)
            .bind(&l.sku)
            .bind(&l.unit)
            .bind(l.quantity)
            .bind(l.price)
            .bind(l.list_price)
            .bind(l.cost_price)
            .bind(l.tax)
            .bind(l.discount)
            .bind(l.total)
            .bind(l.returned_qty);
    }
    query.execute(conn).await?;
    Ok(())
}

/// One invoice of the shop, void or not.
pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<InvoiceRow>, StoreError> {
    let sql = format!("select {COLUMNS} {FROM} where i.id = $1 and i.tenant_id = $2");
    Ok(sqlx::query_as::<_, InvoiceRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn lines(
    conn: &mut AnyConnection,
    tenant_id: &str,
    invoice_id: &str,
) -> Result<Vec<LineRow>, StoreError> {
    let sql = format!(
        "select {LINE_COLUMNS} from invoice_lines l where l.invoice_id = $1 and l.tenant_id = $2 order by l.line_no"
    );
    Ok(sqlx::query_as::<_, LineRow>(sqlx::AssertSqlSafe(sql))
        .bind(invoice_id)
        .bind(tenant_id)
        .fetch_all(conn)
        .await?)
}

/// The shop's live invoices and all their lines as fetched: two JSON arrays of raw columns.
pub struct ListText {
    invoices: String,
    lines: String,
}

impl ListText {
    /// The invoices newest first, and their lines in no particular order. A big shop's list is
    /// a second of CPU: call it off the async workers.
    pub fn decode(&self) -> Result<(Vec<InvoiceRow>, Vec<LineRow>), StoreError> {
        decode_list(&self.invoices, &self.lines)
    }
}

/// The shop's live invoices and all their lines (see [`ListText`]).
///
/// One statement, so one snapshot: a sale committing meanwhile is in both or in neither. Rows
/// come back as two aggregated JSON values of raw columns (as the item list does): handing each of
/// a few hundred thousand rows separately from sqlx's SQLite worker to the runtime, and through
/// `Any`, cost more than the query itself. (Each value is one text, which both databases cap
/// near 1 GB: some two million invoices.)
pub async fn list(
    pool: &AnyPool,
    tenant_id: &str,
    backend: crate::Backend,
) -> Result<ListText, StoreError> {
    let (aggregate, as_text) = match backend {
        crate::Backend::Sqlite => ("json_group_array(json_array(", ")), '[]')"),
        crate::Backend::Postgres => ("json_agg(json_build_array(", "))::text, '[]')"),
    };
    let sql = format!(
        "select \
           (select coalesce({aggregate}{ARRAY_COLUMNS}{as_text} {FROM} \
            where i.tenant_id = $1 and i.is_deleted = 0), \
           (select coalesce({aggregate}{LINE_COLUMNS}{as_text} from invoice_lines l \
            join invoices i on i.id = l.invoice_id where l.tenant_id = $1 and i.is_deleted = 0)"
    );
    let (invoices, lines): (String, String) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .fetch_one(pool)
        .await?;
    Ok(ListText { invoices, lines })
}

/// How many invoices the shop has, voids included (an index count: how big its list will be).
pub async fn count(pool: &AnyPool, tenant_id: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("select count(*) from invoices where tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(pool)
            .await?,
    )
}

fn decode_list(invoices: &str, lines: &str) -> Result<(Vec<InvoiceRow>, Vec<LineRow>), StoreError> {
    let decode = |e: serde_json::Error| StoreError::Other(sqlx::Error::Decode(Box::new(e)));
    let mut invoices: Vec<InvoiceRow> = serde_json::from_str(invoices).map_err(decode)?;
    let lines: Vec<LineRow> = serde_json::from_str(lines).map_err(decode)?;
    // Newest first, ties by id: sorted here so both backends order identically.
    invoices.sort_unstable_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    Ok((invoices, lines))
}

/// An invoice with money outstanding.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenItem {
    pub id: String,
    pub invoice_no: String,
    pub total_amount: i64,
    pub paid_amount: i64,
    pub balance_due: i64,
    pub payment_status: String,
}

/// The customer's invoices with money outstanding, oldest first (allocation calls it with the
/// customer locked; a customer's deletion lists them).
pub async fn open_items(
    conn: &mut AnyConnection,
    tenant_id: &str,
    customer_id: &str,
) -> Result<Vec<OpenItem>, StoreError> {
    Ok(sqlx::query_as::<_, OpenItem>(
        "select id, invoice_no, total_amount, paid_amount, balance_due, payment_status from invoices \
         where customer_id = $1 and tenant_id = $2 and balance_due > 0 and is_deleted = 0 order by created_at, id",
    )
    .bind(customer_id)
    .bind(tenant_id)
    .fetch_all(conn)
    .await?)
}

/// What lowered an invoice's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// Money received (`paid_amount`).
    Paid,
    /// Taken over by a later invoice as its previous due (`carried_forward_amount`).
    CarriedForward,
    /// Customer credit spent on it (`credit_applied`).
    Credit,
}

/// Lowers a live invoice's balance from `expected` by `amount` and sets its status; false when
/// the balance is no longer `expected` (someone else changed it) or the invoice is void.
#[allow(clippy::too_many_arguments)]
pub async fn reduce_balance(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    how: Reduction,
    amount: i64,
    expected: i64,
    status: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let column = match how {
        Reduction::Paid => "paid_amount",
        Reduction::CarriedForward => "carried_forward_amount",
        Reduction::Credit => "credit_applied",
    };
    let sql = format!(
        "update invoices set {column} = {column} + $3, balance_due = balance_due - $3, payment_status = $5, \
             version = version + 1, updated_at = $6 \
         where id = $1 and tenant_id = $2 and is_deleted = 0 and balance_due = $4 and $3 > 0 and $3 <= $4"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .bind(amount)
        .bind(expected)
        .bind(status)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Applies money not tied to one invoice (change kept, a due adjustment) to the customer's
/// outstanding invoices, oldest first, as money received; returns what is left over (which the
/// caller's dues already show as credit). Call with the customer locked.
pub async fn settle_oldest_first(
    conn: &mut AnyConnection,
    tenant_id: &str,
    customer_id: &str,
    amount: i64,
    now: i64,
) -> Result<i64, StoreError> {
    reduce_oldest_first(conn, tenant_id, customer_id, Reduction::Paid, amount, now).await
}

/// Lowers the customer's outstanding balances, oldest first, by `amount` in all, recording it as
/// `how` (money received, or carried forward onto a new invoice); returns what no open balance
/// took. Call with the customer locked.
pub async fn reduce_oldest_first(
    conn: &mut AnyConnection,
    tenant_id: &str,
    customer_id: &str,
    how: Reduction,
    amount: i64,
    now: i64,
) -> Result<i64, StoreError> {
    if amount <= 0 {
        return Ok(0);
    }
    let open = open_items(&mut *conn, tenant_id, customer_id).await?;
    let balances: Vec<i64> = open.iter().map(|o| o.balance_due).collect();
    let (takes, left) = domain::sale::allocate_oldest_first(&balances, amount);
    for (item, take) in open.iter().zip(takes) {
        if take == 0 {
            break;
        }
        let status = domain::sale::payment_status(item.total_amount, item.balance_due - take);
        let done = reduce_balance(
            &mut *conn,
            tenant_id,
            &item.id,
            how,
            take,
            item.balance_due,
            status,
            now,
        )
        .await?;
        if !done {
            return Err(StoreError::Raced);
        }
    }
    Ok(left)
}

/// Voids an invoice when nothing but its goods ever touched it (nothing paid, no credit, no
/// returns, no previous due carried in or out, no money received with it at all); false
/// otherwise or when already void. Its `balance_due` is kept (voids count in no sum).
pub async fn void(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let voided: Option<(String, String, i64, i64)> = sqlx::query_as(
        "update invoices set is_deleted = 1, deleted_at = $3, version = version + 1, updated_at = $3 \
         where id = $1 and tenant_id = $2 and is_deleted = 0 and paid_amount = 0 and credit_applied = 0 and returned_amount = 0 \
             and has_returns = 0 and previous_due_amount = 0 and carried_forward_amount = 0 \
             and not exists (select 1 from ledger_transactions t where t.invoice_id = $1 and t.type = 'payment') \
         returning local_date, payment_method, subtotal - discount, cost_of_goods",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((local_date, method, goods, cost_of_goods)) = voided else {
        return Ok(false);
    };
    // The figures of the invoice's own day.
    crate::aggregates::add_sale(
        conn,
        tenant_id,
        &local_date,
        &method,
        -1,
        goods,
        cost_of_goods,
    )
    .await?;
    Ok(true)
}

/// Whether money was received with the invoice (a `payment` ledger row names it), also when none
/// of it stayed on the invoice (a zero total, all kept as credit).
pub async fn received_money(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select 1 from ledger_transactions where invoice_id = $1 and tenant_id = $2 and type = 'payment' limit 1",
    )
    .bind(id)
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// The sales-invoice page's figures, over invoices that are not void.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct Summary {
    pub invoices: i64,
    pub net_sales: i64,
    pub paid: i64,
    pub outstanding_dues: i64,
}

pub async fn summary(pool: &AnyPool, tenant_id: &str) -> Result<Summary, StoreError> {
    Ok(sqlx::query_as::<_, Summary>(
        // PostgreSQL sums bigints as numeric: cast back so both backends decode an integer.
        "select count(*) as invoices, \
                cast(coalesce(sum(subtotal - discount - returned_amount), 0) as bigint) as net_sales, \
                cast(coalesce(sum(paid_amount), 0) as bigint) as paid, \
                (select cast(coalesce(sum(dues), 0) as bigint) from customers where tenant_id = $1 and dues > 0) as outstanding_dues \
         from invoices where tenant_id = $1 and is_deleted = 0",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await?)
}
