//! Invoices as the frontend reads them (reference §5.5, §12): `_id` everywhere, money as numbers,
//! populated `customer`, `items[].item` and `createdBy` where the original populated them, plus
//! `balanceDue` and `carriedForwardAmount`.

use std::collections::HashMap;

use domain::{Money, Quantity};
use serde_json::{Value, json};
use store::customers::CustomerRow;
use store::invoices::{InvoiceRow, LineRow};
use store::users::UserRow;

use crate::auth::responses::iso;
use crate::customers::customer_json;

pub fn money(minor: i64) -> Value {
    json!(Money::from_minor(minor).unwrap_or_default())
}

fn quantity(milli: i64) -> Value {
    json!(Quantity::from_milli(milli).unwrap_or_default())
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

pub fn line_json(l: &LineRow) -> Value {
    json!({
        "_id": l.id,
        "item": {"_id": l.item_id, "name": l.name, "sku": l.sku},
        "name": l.name,
        "sku": l.sku,
        "unit": l.unit,
        "quantity": quantity(l.quantity),
        "price": money(l.price),
        "listPrice": money(l.list_price),
        "tax": money(l.tax),
        "discount": money(l.discount),
        "total": money(l.total),
        "returnedQty": quantity(l.returned_qty),
    })
}

/// Stored split parts (paise) as the frontend reads them (rupees).
fn split_json(stored: &str) -> Value {
    let parts: Vec<Value> = serde_json::from_str(stored).unwrap_or_default();
    Value::Array(
        parts
            .into_iter()
            .map(|p| {
                json!({
                    "_id": p["_id"],
                    "method": p["method"],
                    "amount": money(p["amount"].as_i64().unwrap_or(0)),
                    "bankAccount": p["bankAccount"],
                })
            })
            .collect(),
    )
}

pub fn invoice_json(
    i: &InvoiceRow,
    lines: &[&LineRow],
    customer: CustomerShape<'_>,
    shop: ShopShape<'_>,
) -> Value {
    let customer = match (customer, &i.customer_id) {
        (_, None) => Value::Null,
        (CustomerShape::Full(Some(c)), _) => customer_json(c),
        (CustomerShape::Full(None), Some(id)) => json!({"_id": id}),
        (CustomerShape::Brief, Some(id)) => {
            json!({"_id": id, "name": i.customer_name, "phone": i.customer_phone})
        }
    };
    let created_by = match shop {
        ShopShape::Header(u) => json!({
            "_id": u.id, "shopName": u.shop_name, "name": u.name, "gstNumber": u.gst_number, "shopAddress": u.shop_address,
        }),
        ShopShape::Id => json!(i.tenant_id),
    };
    json!({
        "_id": i.id,
        "invoiceNo": i.invoice_no,
        "customer": customer,
        "salesOrder": i.sales_order_id,
        "items": lines.iter().map(|l| line_json(l)).collect::<Vec<_>>(),
        "subtotal": money(i.subtotal),
        "tax": money(i.tax),
        "discount": money(i.discount),
        "previousDueAmount": money(i.previous_due_amount),
        "totalAmount": money(i.total_amount),
        "paidAmount": money(i.paid_amount),
        "changeReturned": money(i.change_returned),
        "creditApplied": money(i.credit_applied),
        "returnedAmount": money(i.returned_amount),
        "hasReturns": i.has_returns != 0,
        "carriedForwardAmount": money(i.carried_forward_amount),
        "balanceDue": money(i.balance_due),
        "paymentStatus": i.payment_status,
        "paymentMethod": i.payment_method,
        "paidViaMethod": i.paid_via_method,
        "splitPaymentDetails": split_json(&i.split_payment_details),
        "bankAccount": i.bank_account_id,
        "localDate": i.local_date,
        "version": i.version,
        "createdBy": created_by,
        "isDeleted": i.is_deleted != 0,
        "deletedAt": i.deleted_at.map(iso),
        "createdAt": iso(i.created_at),
        "updatedAt": iso(i.updated_at),
    })
}

/// A list of invoices with their lines (`lines` in any order), written straight to JSON bytes:
/// one invoice's `Value` exists at a time, so a 100,000-invoice list costs its bytes, not a tree
/// of a million small allocations.
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
        let value = invoice_json(i, &own, CustomerShape::Brief, ShopShape::Id);
        // Writing a Value into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &value);
    }
    out.push(b']');
    out
}
