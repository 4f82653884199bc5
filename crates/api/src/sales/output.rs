//! Invoices as the frontend reads them (reference §5.5, §12): `_id` everywhere, money as numbers,
//! populated `customer`, `items[].item` and `createdBy` where the original populated them, plus
//! `balanceDue` and `carriedForwardAmount`.

use std::collections::HashMap;

use domain::{Money, Quantity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::customers::CustomerRow;
use store::invoices::{InvoiceRow, LineRow};
use store::users::UserRow;

use crate::auth::responses::iso;
use crate::customers::customer_json;

/// Stored paise as rupees (stored amounts are always within the limit).
pub fn money(minor: i64) -> Money {
    Money::from_minor(minor).unwrap_or_default()
}

fn quantity(milli: i64) -> Quantity {
    Quantity::from_milli(milli).unwrap_or_default()
}

/// How `customer` is shown.
pub enum CustomerShape<'a> {
    /// The whole customer (detail and write responses); `None` for a walk-in.
    Full(Option<&'a CustomerRow>),
    /// `{_id, name, phone}` (lists).
    Brief,
}

/// How `createdBy` is shown.
pub enum ShopShape<'a> {
    /// `{_id, shopName, name, gstNumber, shopAddress}` (POS detail and sale).
    Header(&'a UserRow),
    Id,
}

/// An invoice line as the frontend reads it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineJson<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    item: ItemRef<'a>,
    name: &'a str,
    sku: &'a str,
    unit: &'a str,
    quantity: Quantity,
    price: Money,
    list_price: Money,
    tax: Money,
    discount: Money,
    total: Money,
    returned_qty: Quantity,
}

#[derive(Serialize)]
struct ItemRef<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    name: &'a str,
    sku: &'a str,
}

impl<'a> LineJson<'a> {
    fn new(l: &'a LineRow) -> Self {
        LineJson {
            id: &l.id,
            item: ItemRef {
                id: &l.item_id,
                name: &l.name,
                sku: &l.sku,
            },
            name: &l.name,
            sku: &l.sku,
            unit: &l.unit,
            quantity: quantity(l.quantity),
            price: money(l.price),
            list_price: money(l.list_price),
            tax: money(l.tax),
            discount: money(l.discount),
            total: money(l.total),
            returned_qty: quantity(l.returned_qty),
        }
    }
}

/// A stored split part: `amount` in paise. Lenient like the reader it replaced: a missing key is
/// `null`, an amount that is not an integer is 0.
#[derive(Deserialize)]
struct StoredPart {
    #[serde(rename = "_id", default)]
    id: Value,
    #[serde(default)]
    method: Value,
    #[serde(default)]
    amount: Value,
    #[serde(rename = "bankAccount", default)]
    bank_account: Value,
}

/// A split part as the frontend reads it (rupees).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartJson {
    #[serde(rename = "_id")]
    id: Value,
    method: Value,
    amount: Money,
    bank_account: Value,
}

fn split_parts(stored: &str) -> Vec<PartJson> {
    if stored == "[]" {
        return Vec::new();
    }
    let parts: Vec<StoredPart> = serde_json::from_str(stored).unwrap_or_default();
    parts
        .into_iter()
        .map(|p| PartJson {
            id: p.id,
            method: p.method,
            amount: money(p.amount.as_i64().unwrap_or(0)),
            bank_account: p.bank_account,
        })
        .collect()
}

#[derive(Serialize)]
#[serde(untagged)]
enum CustomerJson<'a> {
    Walkin(()),
    Full(Value),
    Brief {
        #[serde(rename = "_id")]
        id: &'a str,
        name: &'a Option<String>,
        phone: &'a Option<String>,
    },
    Id {
        #[serde(rename = "_id")]
        id: &'a str,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum CreatedBy<'a> {
    Header {
        #[serde(rename = "_id")]
        id: &'a str,
        #[serde(rename = "shopName")]
        shop_name: &'a str,
        name: &'a str,
        #[serde(rename = "gstNumber")]
        gst_number: &'a str,
        #[serde(rename = "shopAddress")]
        shop_address: &'a str,
    },
    Id(&'a str),
}

/// An invoice as the frontend reads it; written straight to bytes for lists, turned into a
/// `Value` for single answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InvoiceJson<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    invoice_no: &'a str,
    customer: CustomerJson<'a>,
    sales_order: &'a Option<String>,
    items: Vec<LineJson<'a>>,
    subtotal: Money,
    tax: Money,
    discount: Money,
    previous_due_amount: Money,
    total_amount: Money,
    paid_amount: Money,
    change_returned: Money,
    credit_applied: Money,
    returned_amount: Money,
    has_returns: bool,
    carried_forward_amount: Money,
    balance_due: Money,
    payment_status: &'a str,
    payment_method: &'a str,
    paid_via_method: &'a Option<String>,
    split_payment_details: Vec<PartJson>,
    bank_account: &'a Option<String>,
    local_date: &'a str,
    version: i64,
    created_by: CreatedBy<'a>,
    is_deleted: bool,
    deleted_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl<'a> InvoiceJson<'a> {
    fn new(
        i: &'a InvoiceRow,
        lines: &[&'a LineRow],
        customer: CustomerShape<'a>,
        shop: ShopShape<'a>,
    ) -> Self {
        let customer = match (customer, &i.customer_id) {
            (_, None) => CustomerJson::Walkin(()),
            (CustomerShape::Full(Some(c)), _) => CustomerJson::Full(customer_json(c)),
            (CustomerShape::Full(None), Some(id)) => CustomerJson::Id { id },
            (CustomerShape::Brief, Some(id)) => CustomerJson::Brief {
                id,
                name: &i.customer_name,
                phone: &i.customer_phone,
            },
        };
        let created_by = match shop {
            ShopShape::Header(u) => CreatedBy::Header {
                id: &u.id,
                shop_name: &u.shop_name,
                name: &u.name,
                gst_number: &u.gst_number,
                shop_address: &u.shop_address,
            },
            ShopShape::Id => CreatedBy::Id(&i.tenant_id),
        };
        InvoiceJson {
            id: &i.id,
            invoice_no: &i.invoice_no,
            customer,
            sales_order: &i.sales_order_id,
            items: lines.iter().map(|l| LineJson::new(l)).collect(),
            subtotal: money(i.subtotal),
            tax: money(i.tax),
            discount: money(i.discount),
            previous_due_amount: money(i.previous_due_amount),
            total_amount: money(i.total_amount),
            paid_amount: money(i.paid_amount),
            change_returned: money(i.change_returned),
            credit_applied: money(i.credit_applied),
            returned_amount: money(i.returned_amount),
            has_returns: i.has_returns != 0,
            carried_forward_amount: money(i.carried_forward_amount),
            balance_due: money(i.balance_due),
            payment_status: &i.payment_status,
            payment_method: &i.payment_method,
            paid_via_method: &i.paid_via_method,
            split_payment_details: split_parts(&i.split_payment_details),
            bank_account: &i.bank_account_id,
            local_date: &i.local_date,
            version: i.version,
            created_by,
            is_deleted: i.is_deleted != 0,
            deleted_at: i.deleted_at.map(iso),
            created_at: iso(i.created_at),
            updated_at: iso(i.updated_at),
        }
    }
}

pub fn invoice_json(
    i: &InvoiceRow,
    lines: &[&LineRow],
    customer: CustomerShape<'_>,
    shop: ShopShape<'_>,
) -> Value {
    serde_json::to_value(InvoiceJson::new(i, lines, customer, shop)).unwrap_or(Value::Null)
}

/// A list of invoices with their lines (`lines` in any order), written straight to JSON bytes:
/// no `Value` tree, so a 100,000-invoice list costs its bytes, not millions of small allocations.
pub fn list_bytes(invoices: &[InvoiceRow], lines: &[LineRow]) -> Vec<u8> {
    let mut by_invoice: HashMap<&str, Vec<&LineRow>> = HashMap::new();
    for l in lines {
        by_invoice.entry(l.invoice_id.as_str()).or_default().push(l);
    }
    let mut out = Vec::with_capacity(invoices.len() * 1_200 + 2);
    out.push(b'[');
    for (n, i) in invoices.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let mut own = by_invoice.remove(i.id.as_str()).unwrap_or_default();
        own.sort_by_key(|l| l.line_no);
        let invoice = InvoiceJson::new(i, &own, CustomerShape::Brief, ShopShape::Id);
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &invoice);
    }
    out.push(b']');
    out
}
