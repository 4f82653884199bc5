//! Deleting an invoice is a void (P4 `DELETE /api/pos/invoice/:id`, S5 `DELETE
//! /api/sales-invoice/invoice/:id`): only an invoice nothing but its goods touched; stock and
//! dues are restored with ledger rows, and the document stays readable with `isDeleted: true`.

use std::collections::BTreeMap;

use axum::Json as JsonResponse;
use axum::extract::State;
use domain::ObjectId;
use serde_json::{Value, json};
use store::items::NewMovement;
use store::ledger::{Entry, NewEntry};
use store::{StoreError, Tx};

use super::payment::{invoice_id, lock_invoice};
use crate::auth::extract::AuthUser;
use crate::error::ApiError;
use crate::http::path::IdParam;
use crate::state::AppState;

pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = invoice_id(&id)?;
    let tenant = auth.tenant();
    store::transact!(state.db, ApiError, |tx| {
        void(tx, tenant, &auth.user.timezone, &id).await
    })?;
    Ok(JsonResponse(
        json!({"message": "Invoice voided successfully"}),
    ))
}

async fn void(tx: &mut Tx, tenant: &str, timezone: &str, id: &str) -> Result<(), ApiError> {
    let invoice = lock_invoice(tx, tenant, id).await?;
    // Read under the lock: ledger and stock rows stay in commit order.
    let now = store::now_ms();
    if invoice.is_deleted != 0 {
        return Err(ApiError::bad_request("Invoice is void"));
    }
    let reason =
        if invoice.paid_amount > 0 || store::invoices::received_money(tx, tenant, id).await? {
            Some("money was received on it")
        } else if invoice.credit_applied > 0 {
            Some("customer credit was applied to it")
        } else if invoice.has_returns != 0 || invoice.returned_amount > 0 {
            Some("it has returns")
        } else if invoice.previous_due_amount > 0 {
            Some("it carries a previous due")
        } else if invoice.carried_forward_amount > 0 {
            Some("its balance was carried forward to a later invoice")
        } else {
            None
        };
    if let Some(reason) = reason {
        return Err(ApiError::bad_request(format!(
            "Cannot delete invoice {}: {reason}. Make a return instead.",
            invoice.invoice_no
        )));
    }
    if !store::invoices::void(tx, tenant, id, now).await? {
        return Err(StoreError::Raced.into());
    }
    // Stock back on the shelf, one movement per item, items in id order.
    let lines = store::invoices::lines(tx, tenant, id).await?;
    let mut returned: BTreeMap<&str, i64> = BTreeMap::new();
    for l in &lines {
        *returned.entry(l.item_id.as_str()).or_default() += l.quantity;
    }
    let mut movements = Vec::with_capacity(returned.len());
    for (&item, &quantity) in &returned {
        if let Some(after) = store::items::restock(tx, tenant, item, quantity, now).await? {
            movements.push(NewMovement {
                id: ObjectId::new().to_hex(),
                item_id: item,
                kind: "SALE_VOID",
                before: after - quantity,
                after,
                reference: &invoice.invoice_no,
            });
        }
    }
    store::items::insert_movements(tx, tenant, &movements, now).await?;
    // The goods no longer owed: one `void` row.
    let goods = invoice.goods();
    if let (Some(customer), true) = (&invoice.customer_id, goods > 0) {
        store::customers::add_dues(tx, tenant, customer, -goods, now).await?;
        store::ledger::insert(
            tx,
            &[NewEntry {
                id: ObjectId::new().to_hex(),
                tenant_id: tenant,
                customer_id: Some(customer),
                invoice_id: Some(id),
                due_adjustment_id: None,
                entry: Entry::Void,
                amount: goods,
                payment_method: "due",
                bank_account_id: None,
                reference: "",
                notes: "",
                description: format!("Invoice {} voided", invoice.invoice_no),
                created_at: now,
                local_date: &super::local_date(timezone, now),
            }],
        )
        .await?;
    }
    Ok(())
}
