//! Item bodies: only these fields are read; anything else (`addedBy`, `reservedStock`, `_id`, …)
//! is ignored, so a client cannot assign them.

use domain::text::fold_key;
use domain::{Money, Quantity};
use serde::Deserialize;
use store::items::{ItemFields, ItemRow};

use crate::error::ApiError;
use crate::http::input::trimmed;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    name: Option<String>,
    sku: Option<String>,
    barcode: Option<String>,
    #[serde(rename = "supplierSKU")]
    supplier_sku: Option<String>,
    category: Option<String>,
    hsn_code: Option<String>,
    tax_rate: Option<Money>,
    cost_price: Option<Money>,
    selling_price: Option<Money>,
    pub stock_qty: Option<Quantity>,
    low_stock_limit: Option<Quantity>,
    unit: Option<String>,
    track_batch: Option<bool>,
    track_expiry: Option<bool>,
}

/// Blank optional codes are absent.
fn code(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    Ok(trimmed(field, value, 100)?.filter(|v| !v.is_empty()))
}

fn price(field: &str, value: Money) -> Result<i64, ApiError> {
    if value.is_negative() {
        return Err(ApiError::bad_request(format!(
            "{field} must not be negative"
        )));
    }
    Ok(value.minor())
}

impl ItemBody {
    /// The fields of a new item: name and both prices are required (0 is a valid price).
    pub fn create(self) -> Result<(ItemFields, i64), ApiError> {
        let (Some(name), Some(cost), Some(selling)) = (
            self.name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty()),
            self.cost_price,
            self.selling_price,
        ) else {
            return Err(ApiError::bad_request("Please fill all required fields"));
        };
        let name = name.to_owned();
        let stock = self.stock_qty.unwrap_or_default();
        if stock.milli() < 0 {
            return Err(ApiError::bad_request("stockQty must not be negative"));
        }
        let defaults = ItemFields {
            name_key: fold_key(&name),
            name,
            sku: None,
            sku_key: None,
            barcode: None,
            supplier_sku: None,
            category: String::new(),
            hsn_code: String::new(),
            tax_rate_bp: 1800,
            cost_price: price("costPrice", cost)?,
            selling_price: price("sellingPrice", selling)?,
            low_stock_limit: 5000,
            unit: "pcs".into(),
            track_batch: false,
            track_expiry: false,
        };
        Ok((self.merge_into(defaults, true)?, stock.milli()))
    }

    /// The fields after applying this body to `current` (absent fields keep their value).
    pub fn update(self, current: &ItemRow) -> Result<(ItemFields, Option<i64>), ApiError> {
        let stock = self.stock_qty.map(|q| q.milli());
        if stock.is_some_and(|s| s < 0) {
            return Err(ApiError::bad_request("stockQty must not be negative"));
        }
        let base = ItemFields {
            name: current.name.clone(),
            name_key: fold_key(&current.name),
            sku: current.sku.clone(),
            sku_key: current.sku.as_deref().map(fold_key),
            barcode: current.barcode.clone(),
            supplier_sku: current.supplier_sku.clone(),
            category: current.category.clone(),
            hsn_code: current.hsn_code.clone(),
            tax_rate_bp: current.tax_rate_bp,
            cost_price: current.cost_price,
            selling_price: current.selling_price,
            low_stock_limit: current.low_stock_limit,
            unit: current.unit.clone(),
            track_batch: current.track_batch != 0,
            track_expiry: current.track_expiry != 0,
        };
        Ok((self.merge_into(base, false)?, stock))
    }

    fn merge_into(self, mut f: ItemFields, creating: bool) -> Result<ItemFields, ApiError> {
        if !creating && let Some(name) = trimmed("name", self.name, 200)? {
            if name.is_empty() {
                return Err(ApiError::bad_request("name must not be empty"));
            }
            f.name_key = fold_key(&name);
            f.name = name;
        }
        if creating && f.name.chars().count() > 200 {
            return Err(ApiError::bad_request("name must be at most 200 characters"));
        }
        if let Some(sku) = self.sku {
            f.sku = code("sku", Some(sku))?;
            f.sku_key = f.sku.as_deref().map(fold_key);
        }
        if let Some(barcode) = self.barcode {
            f.barcode = code("barcode", Some(barcode))?;
        }
        if let Some(s) = self.supplier_sku {
            f.supplier_sku = code("supplierSKU", Some(s))?;
        }
        if let Some(c) = trimmed("category", self.category, 100)? {
            f.category = c;
        }
        if let Some(h) = trimmed("hsnCode", self.hsn_code, 20)? {
            f.hsn_code = h;
        }
        if let Some(rate) = self.tax_rate {
            if rate.is_negative() || rate.minor() > 10_000 {
                return Err(ApiError::bad_request("taxRate must be between 0 and 100"));
            }
            f.tax_rate_bp = rate.minor();
        }
        if !creating {
            if let Some(cost) = self.cost_price {
                f.cost_price = price("costPrice", cost)?;
            }
            if let Some(selling) = self.selling_price {
                f.selling_price = price("sellingPrice", selling)?;
            }
        }
        if let Some(limit) = self.low_stock_limit {
            if limit.milli() < 0 {
                return Err(ApiError::bad_request("lowStockLimit must not be negative"));
            }
            f.low_stock_limit = limit.milli();
        }
        if let Some(unit) = trimmed("unit", self.unit, 20)? {
            if unit.is_empty() {
                return Err(ApiError::bad_request("unit must not be empty"));
            }
            f.unit = unit;
        }
        if let Some(b) = self.track_batch {
            f.track_batch = b;
        }
        if let Some(b) = self.track_expiry {
            f.track_expiry = b;
        }
        Ok(f)
    }
}
