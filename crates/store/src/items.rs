//! Inventory items of a shop, and the append-only stock ledger every stock change writes.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

/// A stored item. Quantities are thousandths, money paise, the tax rate hundredths of a percent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub supplier_sku: Option<String>,
    pub category: String,
    pub hsn_code: String,
    pub tax_rate_bp: i64,
    pub cost_price: i64,
    pub selling_price: i64,
    pub stock_qty: i64,
    pub reserved_stock: i64,
    pub in_transit_stock: i64,
    pub low_stock_limit: i64,
    pub unit: String,
    pub track_batch: i64,
    pub track_expiry: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, tenant_id, name, sku, barcode, supplier_sku, category, hsn_code, tax_rate_bp, cost_price, \
     selling_price, stock_qty, reserved_stock, in_transit_stock, low_stock_limit, unit, track_batch, track_expiry, \
     created_at, updated_at";

/// Every field of an item that a shop sets (create, and update after merging).
#[derive(Debug, Clone)]
pub struct ItemFields {
    pub name: String,
    pub name_key: String,
    pub sku: Option<String>,
    pub sku_key: Option<String>,
    pub barcode: Option<String>,
    pub supplier_sku: Option<String>,
    pub category: String,
    pub hsn_code: String,
    pub tax_rate_bp: i64,
    pub cost_price: i64,
    pub selling_price: i64,
    pub low_stock_limit: i64,
    pub unit: String,
    pub track_batch: bool,
    pub track_expiry: bool,
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds the shop-set fields in the order both [`insert`] and [`update_fields`] name them.
fn bind_fields<'q>(query: AnyQuery<'q>, f: &'q ItemFields) -> AnyQuery<'q> {
    query
        .bind(&f.name)
        .bind(&f.name_key)
        .bind(f.sku.as_deref())
        .bind(f.sku_key.as_deref())
        .bind(f.barcode.as_deref())
        .bind(f.supplier_sku.as_deref())
        .bind(&f.category)
        .bind(&f.hsn_code)
        .bind(f.tax_rate_bp)
        .bind(f.cost_price)
        .bind(f.selling_price)
        .bind(f.low_stock_limit)
        .bind(&f.unit)
        .bind(i64::from(f.track_batch))
        .bind(i64::from(f.track_expiry))
}

/// Inserts an item with no stock (opening stock is a movement, see [`change_stock`]).
pub async fn insert(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &ItemFields,
    now: i64,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "insert into items (id, tenant_id, name, name_key, sku, sku_key, barcode, supplier_sku, category, hsn_code, \
             tax_rate_bp, cost_price, selling_price, low_stock_limit, unit, track_batch, track_expiry, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
    )
    .bind(id)
    .bind(tenant_id);
    bind_fields(query, f).bind(now).execute(conn).await?;
    Ok(())
}

/// Replaces the shop-set fields of a live item.
pub async fn update_fields(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &ItemFields,
    now: i64,
) -> Result<(), StoreError> {
    let query = sqlx::query(
        "update items set name = $3, name_key = $4, sku = $5, sku_key = $6, barcode = $7, supplier_sku = $8, category = $9, \
             hsn_code = $10, tax_rate_bp = $11, cost_price = $12, selling_price = $13, low_stock_limit = $14, unit = $15, \
             track_batch = $16, track_expiry = $17, updated_at = $18 \
         where id = $1 and tenant_id = $2 and deleted_at is null",
    )
    .bind(id)
    .bind(tenant_id);
    bind_fields(query, f).bind(now).execute(conn).await?;
    Ok(())
}

/// The same columns as [`ItemRow`], in order, as one JSON array per row.
#[derive(serde::Deserialize)]
struct ItemTuple(
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
);

impl From<ItemTuple> for ItemRow {
    fn from(t: ItemTuple) -> ItemRow {
        ItemRow {
            id: t.0,
            tenant_id: t.1,
            name: t.2,
            sku: t.3,
            barcode: t.4,
            supplier_sku: t.5,
            category: t.6,
            hsn_code: t.7,
            tax_rate_bp: t.8,
            cost_price: t.9,
            selling_price: t.10,
            stock_qty: t.11,
            reserved_stock: t.12,
            in_transit_stock: t.13,
            low_stock_limit: t.14,
            unit: t.15,
            track_batch: t.16,
            track_expiry: t.17,
            created_at: t.18,
            updated_at: t.19,
        }
    }
}

/// The shop's live items, newest first.
///
/// Fetched as one aggregated JSON value of raw columns: sqlx hands every SQLite row from its
/// worker thread to the runtime separately, which made a 2,000-item list cost ~14 µs a row.
/// Formatting stays in Rust; only the aggregate's spelling differs between the dialects.
pub async fn list(
    pool: &AnyPool,
    tenant_id: &str,
    backend: crate::Backend,
) -> Result<Vec<ItemRow>, StoreError> {
    let sql = match backend {
        crate::Backend::Sqlite => {
            "select coalesce(json_group_array(json_array(id, tenant_id, name, sku, barcode, supplier_sku, category, hsn_code, \
                 tax_rate_bp, cost_price, selling_price, stock_qty, reserved_stock, in_transit_stock, low_stock_limit, unit, \
                 track_batch, track_expiry, created_at, updated_at)), '[]') \
             from items where tenant_id = $1 and deleted_at is null"
        }
        crate::Backend::Postgres => {
            "select coalesce(json_agg(json_build_array(id, tenant_id, name, sku, barcode, supplier_sku, category, hsn_code, \
                 tax_rate_bp, cost_price, selling_price, stock_qty, reserved_stock, in_transit_stock, low_stock_limit, unit, \
                 track_batch, track_expiry, created_at, updated_at))::text, '[]') \
             from items where tenant_id = $1 and deleted_at is null"
        }
    };
    let (text,): (String,) = sqlx::query_as(sql).bind(tenant_id).fetch_one(pool).await?;
    let tuples: Vec<ItemTuple> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Other(sqlx::Error::Decode(Box::new(e))))?;
    let mut items: Vec<ItemRow> = tuples.into_iter().map(ItemRow::from).collect();
    // Newest first, ties by id: sorted here so both backends order identically.
    items.sort_unstable_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    Ok(items)
}

/// Live items whose available stock (`stock − reserved`) is at or below their limit, zero included.
pub async fn low_stock(pool: &AnyPool, tenant_id: &str) -> Result<Vec<ItemRow>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from items where tenant_id = $1 and deleted_at is null \
         and stock_qty - reserved_stock <= low_stock_limit order by created_at desc, id desc"
    );
    Ok(sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .fetch_all(pool)
        .await?)
}

/// A live item of the shop (another shop's id is simply not found).
pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ItemRow>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from items where id = $1 and tenant_id = $2 and deleted_at is null"
    );
    Ok(sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?)
}

/// The live item whose barcode, SKU (case-insensitively) or supplier SKU is `code`.
pub async fn find_by_code(
    pool: &AnyPool,
    tenant_id: &str,
    code: &str,
    code_key: &str,
) -> Result<Option<ItemRow>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from items where tenant_id = $1 and deleted_at is null \
         and (barcode = $2 or sku_key = $3 or supplier_sku = $2) order by created_at desc, id desc limit 1"
    );
    Ok(sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .bind(code)
        .bind(code_key)
        .fetch_optional(pool)
        .await?)
}

/// Locks a live item for a stock change in this transaction and returns its current row (on
/// PostgreSQL the no-op update takes the row lock; on SQLite the transaction holds the write lock).
pub async fn lock(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<ItemRow>, StoreError> {
    let sql = format!(
        "update items set updated_at = updated_at where id = $1 and tenant_id = $2 and deleted_at is null returning {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?)
}

/// What caused a stock change, for its ledger row.
pub struct StockReference<'a> {
    pub kind: &'a str,
    pub reference: &'a str,
}

/// Sets an item's stock to `after` (the row must be locked by [`lock`] in this transaction, which
/// gave `before`) and writes the movement. Refused (false) when `after` would fall below the
/// reserved quantity.
#[allow(clippy::too_many_arguments)]
pub async fn change_stock(
    conn: &mut AnyConnection,
    tenant_id: &str,
    item_id: &str,
    movement_id: &str,
    before: i64,
    after: i64,
    why: &StockReference<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update items set stock_qty = $3, updated_at = $4 where id = $1 and tenant_id = $2 and $3 >= reserved_stock and $3 >= 0",
    )
    .bind(item_id)
    .bind(tenant_id)
    .bind(after)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    insert_movement(
        conn,
        tenant_id,
        item_id,
        movement_id,
        why.kind,
        before,
        after,
        why.reference,
        now,
    )
    .await?;
    Ok(true)
}

/// Hides an item (its documents keep their snapshots); refused (false) while stock is reserved.
pub async fn soft_delete(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update items set deleted_at = $3, updated_at = $3 where id = $1 and tenant_id = $2 and deleted_at is null and reserved_stock = 0",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One row of the stock ledger.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MovementRow {
    pub id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub quantity: i64,
    pub before_qty: i64,
    pub after_qty: i64,
    pub reference: String,
    pub created_at: i64,
}

/// An item's movements, newest first.
pub async fn movements(
    pool: &AnyPool,
    tenant_id: &str,
    item_id: &str,
) -> Result<Vec<MovementRow>, StoreError> {
    Ok(sqlx::query_as::<_, MovementRow>(
        "select id, type, quantity, before_qty, after_qty, reference, created_at from stock_movements \
         where item_id = $1 and tenant_id = $2 order by created_at desc, id desc",
    )
    .bind(item_id)
    .bind(tenant_id)
    .fetch_all(pool)
    .await?)
}

/// Adds `delta` to an item's stock and overwrites the fields an import sets, writing one movement
/// (relative update: a concurrent sale between the import's read and this write is not lost).
#[allow(clippy::too_many_arguments)]
pub async fn import_into(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    f: &ItemFields,
    delta: i64,
    movement_id: &str,
    reference: &str,
    now: i64,
) -> Result<(), StoreError> {
    let (after,): (i64,) = sqlx::query_as(
        "update items set stock_qty = stock_qty + $3, category = $4, unit = $5, cost_price = $6, selling_price = $7, \
             sku = coalesce(sku, $8), sku_key = coalesce(sku_key, $9), updated_at = $10 \
         where id = $1 and tenant_id = $2 and deleted_at is null returning stock_qty",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(delta)
    .bind(&f.category)
    .bind(&f.unit)
    .bind(f.cost_price)
    .bind(f.selling_price)
    .bind(f.sku.as_deref())
    .bind(f.sku_key.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    if delta != 0 {
        insert_movement(
            conn,
            tenant_id,
            id,
            movement_id,
            "IMPORT",
            after - delta,
            after,
            reference,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Writes one stock-ledger row.
#[allow(clippy::too_many_arguments)]
pub async fn insert_movement(
    conn: &mut AnyConnection,
    tenant_id: &str,
    item_id: &str,
    movement_id: &str,
    kind: &str,
    before: i64,
    after: i64,
    reference: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into stock_movements (id, tenant_id, item_id, type, quantity, before_qty, after_qty, reference, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(movement_id)
    .bind(tenant_id)
    .bind(item_id)
    .bind(kind)
    .bind(after - before)
    .bind(before)
    .bind(after)
    .bind(reference)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the stock of an item just inserted by an import (no concurrent writer can know it yet).
pub async fn set_initial_stock(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    qty: i64,
) -> Result<(), StoreError> {
    sqlx::query("update items set stock_qty = $3 where id = $1 and tenant_id = $2")
        .bind(id)
        .bind(tenant_id)
        .bind(qty)
        .execute(conn)
        .await?;
    Ok(())
}

/// The shop's live items, read inside a transaction.
pub async fn list_in(
    conn: &mut AnyConnection,
    tenant_id: &str,
) -> Result<Vec<ItemRow>, StoreError> {
    let sql = format!(
        "select {COLUMNS} from items where tenant_id = $1 and deleted_at is null order by created_at, id"
    );
    Ok(sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .fetch_all(conn)
        .await?)
}

/// A new item of a bulk import, with its opening stock.
pub struct NewImported<'a> {
    pub id: &'a str,
    pub fields: &'a ItemFields,
    pub stock: i64,
    pub movement_id: &'a str,
    pub reference: &'a str,
}

/// Inserts many new items and their opening-stock movements, a few hundred rows per statement
/// (a 20,000-row import is then ~80 statements instead of 40,000 round trips).
pub async fn insert_many(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: &[NewImported<'_>],
    now: i64,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(500) {
        let sql = format!(
            "insert into items (id, tenant_id, name, name_key, sku, sku_key, category, unit, cost_price, selling_price, \
             stock_qty, created_at, updated_at) values {}",
            crate::value_rows(chunk.len(), 13)
        );
        let mut items = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            items = items
                .bind(r.id)
                .bind(tenant_id)
                .bind(&r.fields.name)
                .bind(&r.fields.name_key)
                .bind(r.fields.sku.as_deref())
                .bind(r.fields.sku_key.as_deref())
                .bind(&r.fields.category)
                .bind(&r.fields.unit)
                .bind(r.fields.cost_price)
                .bind(r.fields.selling_price)
                .bind(r.stock)
                .bind(now)
                .bind(now);
        }
        items.execute(&mut *conn).await?;
        let stocked: Vec<&NewImported> = chunk.iter().filter(|r| r.stock > 0).collect();
        if stocked.is_empty() {
            continue;
        }
        let sql = format!(
            "insert into stock_movements (id, tenant_id, item_id, type, quantity, before_qty, after_qty, reference, created_at) values {}",
            crate::value_rows(stocked.len(), 9)
        );
        let mut movements = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in stocked {
            movements = movements
                .bind(r.movement_id)
                .bind(tenant_id)
                .bind(r.id)
                .bind("IMPORT")
                .bind(r.stock)
                .bind(0i64)
                .bind(r.stock)
                .bind(r.reference)
                .bind(now);
        }
        movements.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Takes `quantity` from a live item's available stock (`stock − reserved ≥ quantity`) in one
/// conditional update and returns the item as it is afterwards; `None` when it is missing or has
/// too little available (the transaction must then be rolled back).
pub async fn take_stock(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    quantity: i64,
    now: i64,
) -> Result<Option<ItemRow>, StoreError> {
    let sql = format!(
        "update items set stock_qty = stock_qty - $3, updated_at = $4 \
         where id = $1 and tenant_id = $2 and deleted_at is null and stock_qty - reserved_stock >= $3 returning {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, ItemRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tenant_id)
        .bind(quantity)
        .bind(now)
        .fetch_optional(conn)
        .await?)
}

/// Puts `quantity` back into an item's stock (also of a deleted item: the goods are on the
/// shelf) and returns the stock afterwards.
pub async fn restock(
    conn: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    quantity: i64,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "update items set stock_qty = stock_qty + $3, updated_at = $4 where id = $1 and tenant_id = $2 returning stock_qty",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(quantity)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(after,)| after))
}

/// A stock-ledger row to write with [`insert_movements`].
pub struct NewMovement<'a> {
    pub id: String,
    pub item_id: &'a str,
    pub kind: &'a str,
    pub before: i64,
    pub after: i64,
    pub reference: &'a str,
}

/// Writes several stock-ledger rows in one statement.
pub async fn insert_movements(
    conn: &mut AnyConnection,
    tenant_id: &str,
    rows: &[NewMovement<'_>],
    now: i64,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "insert into stock_movements (id, tenant_id, item_id, type, quantity, before_qty, after_qty, reference, created_at) values {}",
        crate::value_rows(rows.len(), 9)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for m in rows {
        query = query
            .bind(m.id.as_str())
            .bind(tenant_id)
            .bind(m.item_id)
            .bind(m.kind)
            .bind(m.after - m.before)
            .bind(m.before)
            .bind(m.after)
            .bind(m.reference)
            .bind(now);
    }
    query.execute(conn).await?;
    Ok(())
}
