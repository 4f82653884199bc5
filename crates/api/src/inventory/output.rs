//! Items as the frontend reads them, and the stock alerts that create and update answer with.

use domain::{Money, Quantity};
use serde::Serialize;
use serde_json::{Value, json};
use store::items::{ItemRow, MovementRow};

use crate::auth::responses::iso;

fn qty(milli: i64) -> Quantity {
    Quantity::from_milli(milli).unwrap_or_default()
}

fn money(minor: i64) -> Money {
    Money::from_minor(minor).unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemJson {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    sku: String,
    barcode: String,
    #[serde(rename = "supplierSKU")]
    supplier_sku: String,
    category: String,
    hsn_code: String,
    tax_rate: Money,
    cost_price: Money,
    selling_price: Money,
    stock_qty: Quantity,
    reserved_stock: Quantity,
    in_transit_stock: Quantity,
    available_stock: Quantity,
    over_committed_stock: Quantity,
    low_stock_limit: Quantity,
    unit: String,
    track_batch: bool,
    track_expiry: bool,
    batches: Vec<Value>,
    added_by: String,
    created_at: String,
    updated_at: String,
}

impl From<&ItemRow> for ItemJson {
    fn from(i: &ItemRow) -> Self {
        ItemJson {
            id: i.id.clone(),
            name: i.name.clone(),
            sku: i.sku.clone().unwrap_or_default(),
            barcode: i.barcode.clone().unwrap_or_default(),
            supplier_sku: i.supplier_sku.clone().unwrap_or_default(),
            category: i.category.clone(),
            hsn_code: i.hsn_code.clone(),
            // Hundredths of a percent read like paise: 1800 → 18.
            tax_rate: money(i.tax_rate_bp),
            cost_price: money(i.cost_price),
            selling_price: money(i.selling_price),
            stock_qty: qty(i.stock_qty),
            reserved_stock: qty(i.reserved_stock),
            in_transit_stock: qty(i.in_transit_stock),
            available_stock: qty((i.stock_qty - i.reserved_stock).max(0)),
            over_committed_stock: qty((i.reserved_stock - i.stock_qty).max(0)),
            low_stock_limit: qty(i.low_stock_limit),
            unit: i.unit.clone(),
            track_batch: i.track_batch != 0,
            track_expiry: i.track_expiry != 0,
            batches: Vec::new(),
            added_by: i.tenant_id.clone(),
            created_at: iso(i.created_at),
            updated_at: iso(i.updated_at),
        }
    }
}

/// `[{type, message, itemId}]` for every low-stock item of the shop (available ≤ limit).
pub fn alerts(low: &[ItemRow]) -> Vec<Value> {
    low.iter()
        .map(|i| {
            let available = i.stock_qty - i.reserved_stock;
            if available <= 0 {
                json!({"type": "out-of-stock", "message": format!("{} is out of stock!", i.name), "itemId": i.id})
            } else {
                json!({"type": "low-stock", "message": format!("{} is running low (only {} left)", i.name, qty(available)), "itemId": i.id})
            }
        })
        .collect()
}

pub fn movement(m: &MovementRow) -> Value {
    json!({
        "_id": m.id,
        "type": m.kind,
        "quantity": qty(m.quantity),
        "before": qty(m.before_qty),
        "after": qty(m.after_qty),
        "reference": m.reference,
        "createdAt": iso(m.created_at),
    })
}
