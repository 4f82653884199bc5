//! Receiving money against one invoice: P5 `PUT /api/pos/invoice/:id/payment` and S4
//! `PUT /api/sales-invoice/invoice/:id/mark-paid`. Never more than the invoice's `balanceDue`;
//! one ledger row each; a named bank account's balance rises.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use domain::ObjectId;
use domain::sale::{self, PayMethod};
use serde_json::{Value, json};
use store::invoices::{InvoiceRow, Reduction};
use store::ledger::{Entry, NewEntry};
use store::{StoreError, Tx};

use super::input::{self, Payment, PaymentBody};
use super::output::{CustomerShape, ShopShape, invoice_json, money};
use crate::auth::extract::AuthUser;
use crate::error::ApiError;
use crate::http::json::{Json, parse};
use crate::http::path::IdParam;
use crate::idempotency;
use crate::state::AppState;

/// Which endpoint: they differ in default method and message only.
#[derive(Clone, Copy)]
enum Endpoint {
    Pos,
    SalesInvoice,
}

pub async fn pos(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let route = format!("/api/pos/invoice/{id}/payment");
    run(&state, &auth, &id, &route, &headers, &body, Endpoint::Pos).await
}

pub async fn mark_paid(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let route = format!("/api/sales-invoice/invoice/{id}/mark-paid");
    run(
        &state,
        &auth,
        &id,
        &route,
        &headers,
        &body,
        Endpoint::SalesInvoice,
    )
    .await
}

/// The key is scoped by the concrete path, so one key used on two invoices is two requests.
async fn run(
    state: &AppState,
    auth: &AuthUser,
    id: &str,
    route: &str,
    headers: &HeaderMap,
    body: &Value,
    endpoint: Endpoint,
) -> Result<Response, ApiError> {
    idempotency::run(
        state,
        auth.tenant(),
        "PUT",
        route,
        headers,
        body,
        |scope| async move { receive(state, auth, id, body, endpoint, scope.as_ref()).await },
    )
    .await
}

pub fn invoice_id(raw: &str) -> Result<String, ApiError> {
    ObjectId::parse(raw)
        .map(|id| id.to_hex())
        .map_err(|_| ApiError::bad_request("Invalid invoice ID format"))
}

pub fn not_found() -> ApiError {
    ApiError::not_found("Invoice not found or unauthorized")
}

/// Reads an invoice for a change and takes its customer's lock first (the global lock order),
/// then reads it again under that lock.
pub async fn lock_invoice(tx: &mut Tx, tenant: &str, id: &str) -> Result<InvoiceRow, ApiError> {
    let first = store::invoices::get(tx, tenant, id)
        .await?
        .ok_or_else(not_found)?;
    let Some(customer) = &first.customer_id else {
        return Ok(first);
    };
    store::customers::lock_any(tx, tenant, customer).await?;
    store::invoices::get(tx, tenant, id)
        .await?
        .ok_or_else(not_found)
}

async fn receive(
    state: &AppState,
    auth: &AuthUser,
    raw_id: &str,
    raw: &Value,
    endpoint: Endpoint,
    scope: Option<&store::idempotency::KeyScope>,
) -> Result<Response, ApiError> {
    let id = invoice_id(raw_id)?;
    let body: PaymentBody = parse(raw.to_string().as_bytes())?;
    let default_method = match endpoint {
        Endpoint::Pos => PayMethod::Cash,
        Endpoint::SalesInvoice => PayMethod::BankTransfer,
    };
    let payment = input::payment(body, default_method)?;
    let tenant = auth.tenant();
    let body = store::transact!(state.db, ApiError, |tx| {
        let invoice = apply(tx, tenant, &auth.user.timezone, &id, &payment).await?;
        let now = invoice.updated_at;
        let customer = match &invoice.customer_id {
            Some(c) => store::customers::get_any(tx, tenant, c).await?,
            None => None,
        };
        let lines = store::invoices::lines(tx, tenant, &id).await?;
        let lines: Vec<_> = lines.iter().collect();
        let json_invoice = invoice_json(
            &invoice,
            &lines,
            CustomerShape::Full(customer.as_ref()),
            ShopShape::Id,
        );
        let message = match endpoint {
            Endpoint::Pos => "Payment recorded successfully".to_owned(),
            Endpoint::SalesInvoice => format!("Invoice marked as {}", invoice.payment_status),
        };
        let body = json!({"message": message, "invoice": json_invoice});
        if let Some(scope) = scope {
            store::idempotency::complete(tx, scope, 200, &body.to_string(), now).await?;
        }
        Ok(body)
    })?;
    Ok(JsonResponse(body).into_response())
}

/// Applies the payment and returns the invoice as it is afterwards.
async fn apply(
    tx: &mut Tx,
    tenant: &str,
    timezone: &str,
    id: &str,
    p: &Payment,
) -> Result<InvoiceRow, ApiError> {
    let invoice = lock_invoice(tx, tenant, id).await?;
    // Read under the lock: the customer's ledger stays in commit order.
    let now = store::now_ms();
    if invoice.is_deleted != 0 {
        return Err(ApiError::bad_request("Invoice is void"));
    }
    if invoice.balance_due == 0 {
        return Err(ApiError::bad_request("Invoice is already fully paid"));
    }
    if p.amount > invoice.balance_due {
        return Err(ApiError::bad_request(format!(
            "Payment exceeds outstanding balance. Remaining: ₹{}",
            sale::rupees(invoice.balance_due)
        ))
        .with("remaining", serde_json::json!(money(invoice.balance_due))));
    }
    let status = sale::payment_status(invoice.total_amount, invoice.balance_due - p.amount);
    let done = store::invoices::reduce_balance(
        tx,
        tenant,
        id,
        Reduction::Paid,
        p.amount,
        invoice.balance_due,
        status,
        now,
    )
    .await?;
    if !done {
        return Err(StoreError::Raced.into());
    }
    if let Some(account) = &p.bank_account
        && !store::bank_accounts::move_money(tx, tenant, account, p.amount, now).await?
    {
        return Err(
            ApiError::bad_request("Bank account not found or unauthorized")
                .with("field", "bankAccount"),
        );
    }
    if let Some(customer) = &invoice.customer_id {
        store::customers::add_dues(tx, tenant, customer, -p.amount, now).await?;
    }
    store::ledger::insert(
        tx,
        &[NewEntry {
            id: ObjectId::new().to_hex(),
            tenant_id: tenant,
            customer_id: invoice.customer_id.as_deref(),
            invoice_id: Some(id),
            due_adjustment_id: None,
            entry: Entry::Payment,
            amount: p.amount,
            payment_method: p.method.as_str(),
            bank_account_id: p.bank_account.as_deref(),
            reference: &p.reference,
            notes: &p.notes,
            description: format!("Payment received for invoice {}", invoice.invoice_no),
            created_at: now,
            local_date: &super::local_date(timezone, now),
        }],
    )
    .await?;
    store::invoices::get(tx, tenant, id)
        .await?
        .ok_or_else(not_found)
}
