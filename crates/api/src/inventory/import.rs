//! I2 `POST /api/inventory/import`: up to 20,000 rows in one transaction. Each row is validated on
//! its own and reported; valid rows create items or add stock to the item they match (by SKU,
//! case-insensitively, else by name), each stock effect one movement.

use std::collections::HashMap;

use axum::Json as JsonResponse;
use axum::extract::State;
use domain::text::fold_key;
use domain::{Money, ObjectId, Quantity};
use serde::Deserialize;
use serde_json::{Value, json};
use store::items::ItemFields;

use super::output::alerts;
use crate::auth::extract::AuthUser;
use crate::error::ApiError;
use crate::http::json::Json;
use crate::state::AppState;

pub const MAX_ROWS: usize = 20_000;

const UNITS: [&str; 18] = [
    "pcs", "kg", "g", "mg", "l", "ml", "box", "pack", "bag", "bottle", "can", "dozen", "m", "cm",
    "ft", "unit", "pair", "set",
];

#[derive(Deserialize)]
pub struct ImportBody {
    items: Option<Value>,
}

/// A row that passed validation.
struct Row {
    number: usize,
    name: String,
    sku: Option<String>,
    category: String,
    unit: String,
    cost: i64,
    selling: i64,
    stock: i64,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match &v[key] {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value, key: &str) -> Option<String> {
    match &v[key] {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn validate(number_in_file: usize, v: &Value) -> Result<Row, Vec<String>> {
    let mut errors = Vec::new();
    let name = text(v, "name");
    if name.as_ref().is_none_or(|n| n.chars().count() > 200) {
        errors.push("Item name is required (at most 200 characters)".to_owned());
    }
    let mut price = |key: &str, label: &str| match number(v, key).map(|t| Money::parse(&t)) {
        None => {
            errors.push(format!("{label} is required"));
            0
        }
        Some(Ok(m)) if !m.is_negative() => m.minor(),
        Some(_) => {
            errors.push(format!("{label} must be a number of at least 0"));
            0
        }
    };
    let cost = price("costPrice", "Cost price");
    let selling = price("sellingPrice", "Selling price");
    let category = text(v, "category");
    if category.is_none() {
        errors.push("Category is required".to_owned());
    }
    let unit = text(v, "unit")
        .map(|u| u.to_lowercase())
        .unwrap_or_else(|| "pcs".to_owned());
    if !UNITS.contains(&unit.as_str()) {
        errors.push(format!("Unit must be one of: {}", UNITS.join(", ")));
    }
    let stock = match number(v, "stockQty").map(|t| Quantity::parse_non_negative(&t)) {
        None => 0,
        Some(Ok(q)) => q.milli(),
        Some(Err(e)) => {
            errors.push(format!("Stock quantity {e}"));
            0
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Row {
        number: number_in_file,
        name: name.unwrap_or_default(),
        sku: text(v, "sku").filter(|s| s.chars().count() <= 100),
        category: category.unwrap_or_default(),
        unit,
        cost,
        selling,
        stock,
    })
}

pub async fn import(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<ImportBody>,
) -> Result<JsonResponse<Value>, ApiError> {
    let Some(Value::Array(rows)) = body.items else {
        return Err(ApiError::bad_request("No items provided for import"));
    };
    if rows.is_empty() {
        return Err(ApiError::bad_request("No items provided for import"));
    }
    if rows.len() > MAX_ROWS {
        return Err(ApiError::bad_request(format!(
            "Too many rows: at most {MAX_ROWS} items per import"
        )));
    }
    // A SKU that appears twice in the file is ambiguous: every occurrence is refused.
    let mut sku_count: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        if let Some(sku) = text(r, "sku") {
            *sku_count.entry(fold_key(&sku)).or_default() += 1;
        }
    }
    let mut valid = Vec::new();
    let mut validation_errors = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let number = i + 1;
        let mut outcome = validate(number, r);
        if let Some(sku) = text(r, "sku")
            && sku_count.get(&fold_key(&sku)).copied().unwrap_or(0) > 1
        {
            let message = format!("SKU {sku} appears more than once in the file");
            outcome = match outcome {
                Ok(_) => Err(vec![message]),
                Err(mut e) => {
                    e.push(message);
                    Err(e)
                }
            };
        }
        match outcome {
            Ok(row) => valid.push(row),
            Err(errors) => validation_errors.push(
                json!({"row": number, "itemName": text(r, "name").unwrap_or_default(),
                "sku": text(r, "sku").unwrap_or_default(), "errors": errors}),
            ),
        }
    }
    let now = store::now_ms();
    let tenant = auth.tenant().to_owned();
    let (created, updated, errors) = store::transact!(state.db, ApiError, |tx| {
        let existing = store::items::list_in(tx, &tenant).await?;
        let mut by_sku: HashMap<String, usize> = HashMap::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        // (id, sku, still only in `fresh`, not yet inserted)
        let mut items: Vec<(String, Option<String>, bool)> = Vec::new();
        for item in existing {
            let index = items.len();
            if let Some(sku) = &item.sku {
                by_sku.insert(fold_key(sku), index);
            }
            by_name.insert(fold_key(&item.name), index);
            items.push((item.id, item.sku, false));
        }
        let (mut created, mut updated, mut errors) = (0usize, 0usize, Vec::new());
        // New items are inserted together at the end; later rows of the file may match them.
        let mut fresh: Vec<(String, ItemFields, i64, String)> = Vec::new();
        for row in &valid {
            let name_key = fold_key(&row.name);
            let sku_key = row.sku.as_deref().map(fold_key);
            let found = sku_key
                .as_ref()
                .and_then(|k| by_sku.get(k))
                .or_else(|| by_name.get(&name_key))
                .copied();
            let fields = ItemFields {
                name: row.name.clone(),
                name_key: name_key.clone(),
                sku: row.sku.clone(),
                sku_key: sku_key.clone(),
                barcode: None,
                supplier_sku: None,
                category: row.category.clone(),
                hsn_code: String::new(),
                tax_rate_bp: 1800,
                cost_price: row.cost,
                selling_price: row.selling,
                low_stock_limit: 5000,
                unit: row.unit.clone(),
                track_batch: false,
                track_expiry: false,
            };
            let reference = format!("Import row {}", row.number);
            match found {
                Some(index) => {
                    if items[index].2 {
                        // A later row for an item this file creates: insert the pending ones first.
                        flush(tx, &tenant, &mut fresh, now).await?;
                        for entry in items.iter_mut() {
                            entry.2 = false;
                        }
                    }
                    let (id, current_sku, _) = items[index].clone();
                    if let (Some(current), Some(new)) = (&current_sku, &row.sku)
                        && fold_key(current) != fold_key(new)
                    {
                        errors.push(json!({"row": row.number, "itemName": row.name,
                            "error": format!("An item named {} already exists with SKU {current}", row.name)}));
                        continue;
                    }
                    store::items::import_into(
                        tx,
                        &tenant,
                        &id,
                        &fields,
                        row.stock,
                        &ObjectId::new().to_hex(),
                        &reference,
                        now,
                    )
                    .await?;
                    if current_sku.is_none() && row.sku.is_some() {
                        items[index].1 = row.sku.clone();
                        if let Some(k) = sku_key {
                            by_sku.insert(k, index);
                        }
                    }
                    updated += 1;
                }
                None => {
                    let id = ObjectId::new().to_hex();
                    let index = items.len();
                    items.push((id.clone(), row.sku.clone(), true));
                    by_name.insert(name_key, index);
                    if let Some(k) = sku_key {
                        by_sku.insert(k, index);
                    }
                    fresh.push((id, fields, row.stock, reference));
                    created += 1;
                }
            }
        }
        flush(tx, &tenant, &mut fresh, now).await?;
        Ok((created, updated, errors))
    })?;
    let skipped = rows.len() - created - updated;
    let alerts = alerts(&store::items::low_stock(state.db.reader(), auth.tenant()).await?);
    Ok(JsonResponse(json!({
        "message": format!("Import completed: {created} items created, {updated} items updated, {skipped} skipped"),
        "imported": created,
        "updated": updated,
        "skipped": skipped,
        "errors": errors,
        "validationErrors": validation_errors,
        "alerts": alerts,
    })))
}

/// Inserts the pending new items of an import (and their opening-stock movements).
async fn flush(
    tx: &mut store::Tx,
    tenant: &str,
    fresh: &mut Vec<(String, ItemFields, i64, String)>,
    now: i64,
) -> Result<(), ApiError> {
    let movement_ids: Vec<String> = fresh.iter().map(|_| ObjectId::new().to_hex()).collect();
    let rows: Vec<store::items::NewImported> = fresh
        .iter()
        .zip(&movement_ids)
        .map(
            |((id, fields, stock, reference), movement_id)| store::items::NewImported {
                id,
                fields,
                stock: *stock,
                movement_id,
                reference,
            },
        )
        .collect();
    store::items::insert_many(tx, tenant, &rows, now).await?;
    fresh.clear();
    Ok(())
}
