//! P1 `POST /api/pos/invoice`: the POS sale, in one transaction (SPEC §2, §3.1).
//!
//! Locks are taken in one order: the customer, then items by id, then bank accounts by id, then
//! the shop's invoice counter, then the customer's older invoices. Payments, voids and due
//! adjustments take the customer first too, so everything touching a customer's invoices is
//! serialized by that lock and concurrent operations wait instead of deadlocking; what contention
//! remains is retried by `Db::write_grouped`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::sale::{self, Buyer, MoneyPart, PayMethod, SalePlan, SaleTerms};
use domain::{Money, ObjectId, Quantity};
use serde_json::{Value, json};
use sqlx::AnyConnection;
use store::invoices::{InvoiceRow, LineRow, Reduction};
use store::items::{ItemRow, NewMovement};
use store::ledger::{Entry, NewEntry};

use super::input::{self, Checkout, CheckoutBody};
use super::output::{CustomerShape, ShopShape, invoice_json};
use super::{local_date, record_sale};
use crate::auth::extract::AuthUser;
use crate::error::ApiError;
use crate::http::json::{Json, parse};
use crate::idempotency;
use crate::state::AppState;

pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    idempotency::run(
        &state,
        auth.tenant(),
        "POST",
        "/api/pos/invoice",
        &headers,
        &body,
        |scope| {
            let (state, auth, body) = (&state, &auth, &body);
            async move { sell(state, auth, body, scope.as_ref()).await }
        },
    )
    .await
}

async fn sell(
    state: &AppState,
    auth: &AuthUser,
    raw: &Value,
    scope: Option<&store::idempotency::KeyScope>,
) -> Result<Response, ApiError> {
    let body: CheckoutBody = parse(raw.to_string().as_bytes())?;
    let request = Arc::new(input::checkout(body)?);
    let (auth, scope, jobs) = (auth.clone(), scope.cloned(), state.jobs.clone());
    // Sales that arrive together share one commit on SQLite (store::group_commit).
    let (body, status, goods, mailed) = state
        .db
        .write_grouped(move |conn| {
            let (auth, request, scope, jobs) =
                (auth.clone(), request.clone(), scope.clone(), jobs.clone());
            Box::pin(async move { sell_in(conn, &jobs, &auth, &request, scope.as_ref()).await })
        })
        .await?;
    if mailed {
        state.jobs.wake(crate::background::EMAIL);
    }
    record_sale(&status, goods);
    Ok((StatusCode::CREATED, JsonResponse(body)).into_response())
}

/// The sale and its response, inside the write; the response is stored for the idempotency key
/// in the same transaction.
async fn sell_in(
    conn: &mut AnyConnection,
    jobs: &crate::background::JobQueue,
    auth: &AuthUser,
    request: &Checkout,
    scope: Option<&store::idempotency::KeyScope>,
) -> Result<(Value, String, i64, bool), ApiError> {
    let tenant = auth.tenant();
    let sale = record(conn, auth, request, None).await?;
    let now = sale.invoice.created_at;
    let customer = match &sale.invoice.customer_id {
        Some(id) => store::customers::get_any(conn, tenant, id).await?,
        None => None,
    };
    // A customer with an e-mail gets the invoice, mailed by a job committed with the sale.
    let mailed = match customer
        .as_ref()
        .map(|c| c.email.as_str())
        .filter(|e| !e.is_empty())
    {
        Some(to) => {
            let job = crate::background::invoice_documents::email_job(tenant, &sale.invoice.id, to);
            jobs.enqueue(conn, &job).await?;
            true
        }
        None => false,
    };
    let lines: Vec<&LineRow> = sale.lines.iter().collect();
    let invoice = invoice_json(
        &sale.invoice,
        &lines,
        CustomerShape::Full(customer.as_ref()),
        ShopShape::Header(&auth.user),
    );
    let body = json!({"message": "Invoice created successfully", "invoice": invoice});
    if let Some(scope) = scope {
        store::idempotency::complete(conn, scope, 201, &body.to_string(), now).await?;
    }
    Ok((
        body,
        sale.invoice.payment_status.clone(),
        sale.plan.goods,
        mailed,
    ))
}

/// What a sale wrote.
pub struct Sale {
    pub invoice: InvoiceRow,
    pub lines: Vec<LineRow>,
    pub plan: SalePlan,
}

/// Writes the sale: stock, invoice, allocation, dues, ledger and bank balances. `at` dates it in
/// the past (demo data); the API always passes `None` (now, read under the sale's locks).
pub async fn record(
    tx: &mut AnyConnection,
    auth: &AuthUser,
    r: &Checkout,
    at: Option<i64>,
) -> Result<Sale, ApiError> {
    let clock = || at.unwrap_or_else(store::now_ms);
    let started = clock();
    let tenant = auth.tenant();
    // 1. The customer's lock, and their dues.
    let buyer = match &r.customer_id {
        None => Buyer::WalkIn,
        Some(id) => Buyer::Customer {
            dues: store::customers::lock(tx, tenant, id)
                .await?
                .ok_or_else(|| ApiError::bad_request("Customer not found or unauthorized"))?,
        },
    };
    // 2. Stock: lines of one item summed, items taken in id order.
    let mut wanted: BTreeMap<&str, i64> = BTreeMap::new();
    for l in &r.lines {
        *wanted.entry(l.item_id.as_str()).or_default() += l.quantity;
    }
    let mut items: BTreeMap<&str, ItemRow> = BTreeMap::new();
    for (&id, &quantity) in &wanted {
        match store::items::take_stock(tx, tenant, id, quantity, started).await? {
            Some(item) => {
                items.insert(id, item);
            }
            None => return Err(stock_refusal(tx, tenant, id, quantity).await?),
        }
    }
    // 3. Lines priced by the server: the item's selling price unless the cashier overrode it.
    let mut lines = Vec::with_capacity(r.lines.len());
    let (mut subtotal, mut cost_of_goods) = (0i64, 0i64);
    for (n, l) in r.lines.iter().enumerate() {
        let item = &items[l.item_id.as_str()];
        let price = l.price.unwrap_or(item.selling_price);
        let quantity = Quantity::from_milli(l.quantity).map_err(|_| too_large())?;
        let total = Money::from_minor(price)
            .and_then(|p| p.times(quantity))
            .map_err(|_| too_large())?
            .minor();
        let cost = Money::from_minor(item.cost_price)
            .and_then(|p| p.times(quantity))
            .map_err(|_| too_large())?
            .minor();
        subtotal += total;
        cost_of_goods += cost;
        if subtotal > domain::money::MAX_MINOR || cost_of_goods > domain::money::MAX_MINOR {
            return Err(too_large());
        }
        lines.push(LineRow {
            id: ObjectId::new().to_hex(),
            invoice_id: String::new(),
            line_no: n as i64,
            item_id: item.id.clone(),
            name: item.name.clone(),
            sku: item.sku.clone().unwrap_or_default(),
            unit: item.unit.clone(),
            quantity: l.quantity,
            price,
            list_price: item.selling_price,
            cost_price: item.cost_price,
            tax: 0,
            discount: 0,
            total,
            returned_qty: 0,
        });
    }
    // 4. The arithmetic.
    let terms = SaleTerms {
        subtotal,
        discount: r.discount,
        previous_due: r.previous_due,
        credit_applied: r.credit_applied,
        paid: r.paid,
        change_returned: r.change_returned,
    };
    let plan = sale::plan_sale(terms, buyer).map_err(|refusal| {
        let e = ApiError::bad_request(refusal.message());
        match refusal {
            sale::SaleRefusal::DiscountAboveSubtotal { .. } => e.with("field", "discount"),
            _ => e,
        }
    })?;
    let kept = sale::kept_parts(&r.parts, r.change_returned);
    // 5. Money into bank accounts, accounts in id order. Every account the request names is
    // checked, also one that receives nothing once the change is taken out.
    let mut into_accounts: BTreeMap<&str, i64> = BTreeMap::new();
    for part in &r.parts {
        if let Some(account) = &part.account {
            into_accounts.entry(account.as_str()).or_default();
        }
    }
    for part in &kept {
        if let Some(account) = &part.account {
            *into_accounts.entry(account.as_str()).or_default() += part.amount;
        }
    }
    for (&account, &amount) in &into_accounts {
        if !store::bank_accounts::move_money(tx, tenant, account, amount, started).await? {
            return Err(
                ApiError::bad_request("Bank account not found or unauthorized")
                    .with("field", "bankAccount"),
            );
        }
    }
    // 6. The number, from the shop's counter (held until commit: consecutive, gap-free).
    let number = store::counters::next(tx, tenant, "invoice").await?;
    let invoice_no = store::counters::document_number("INV", number);
    // The sale's time is read under the last of its locks, so numbers, documents and ledger rows
    // are ordered as they were committed.
    let now = clock();
    let day = local_date(&auth.user.timezone, now);
    let invoice_id = ObjectId::new().to_hex();
    for line in &mut lines {
        line.invoice_id = invoice_id.clone();
    }
    // 7. A rolled-in previous due carries the oldest outstanding balances onto this invoice.
    if let (Some(customer), true) = (&r.customer_id, r.previous_due > 0) {
        carry_forward(tx, tenant, customer, r.previous_due, now).await?;
    }
    // 8. The invoice, its lines and the stock ledger.
    let (method, via) = sale::recorded_methods(r.method, plan.credit_applied, plan.applied);
    let split = if r.method == PayMethod::Split {
        split_details(&r.parts)
    } else {
        "[]".to_owned()
    };
    let single_account = match r.method {
        PayMethod::Split => None,
        _ => r.parts.first().and_then(|p| p.account.clone()),
    };
    let invoice = InvoiceRow {
        id: invoice_id.clone(),
        tenant_id: tenant.to_owned(),
        invoice_no: invoice_no.clone(),
        customer_id: r.customer_id.clone(),
        sales_order_id: None,
        subtotal,
        tax: 0,
        discount: r.discount,
        previous_due_amount: r.previous_due,
        total_amount: plan.total,
        paid_amount: plan.applied,
        change_returned: r.change_returned,
        credit_applied: plan.credit_applied,
        returned_amount: 0,
        carried_forward_amount: 0,
        balance_due: plan.balance_due,
        payment_status: sale::payment_status(plan.total, plan.balance_due).to_owned(),
        payment_method: method.as_str().to_owned(),
        paid_via_method: via.map(|m| m.as_str().to_owned()),
        bank_account_id: single_account,
        split_payment_details: split,
        has_returns: 0,
        cost_of_goods,
        local_date: day.clone(),
        version: 1,
        is_deleted: 0,
        deleted_at: None,
        created_at: now,
        updated_at: now,
        customer_name: None,
        customer_phone: None,
    };
    store::invoices::insert(tx, &invoice).await?;
    store::invoices::insert_lines(tx, tenant, &lines).await?;
    let movements: Vec<NewMovement> = items
        .iter()
        .map(|(&id, item)| NewMovement {
            id: ObjectId::new().to_hex(),
            item_id: id,
            kind: "POS_SALE",
            before: item.stock_qty + wanted[id],
            after: item.stock_qty,
            reference: &invoice_no,
        })
        .collect();
    store::items::insert_movements(tx, tenant, &movements, now).await?;
    // 9. Change kept settles the customer's oldest invoices; dues move by goods − money kept.
    if let Some(customer) = &r.customer_id {
        store::invoices::settle_oldest_first(tx, tenant, customer, plan.excess, now).await?;
        store::customers::add_dues(tx, tenant, customer, plan.goods - plan.kept, now).await?;
    }
    // 10. The ledger: one `sale` row for the goods, one `payment` row per part of the money kept.
    let mut entries = Vec::with_capacity(kept.len() + 1);
    if r.customer_id.is_some() && plan.goods > 0 {
        entries.push(NewEntry {
            id: ObjectId::new().to_hex(),
            tenant_id: tenant,
            customer_id: r.customer_id.as_deref(),
            invoice_id: Some(&invoice_id),
            due_adjustment_id: None,
            entry: Entry::Sale,
            amount: plan.goods,
            payment_method: method.as_str(),
            bank_account_id: None,
            reference: "",
            notes: "",
            description: format!("Sale invoice {invoice_no}"),
            created_at: now,
            local_date: &day,
        });
    }
    for part in &kept {
        entries.push(NewEntry {
            id: ObjectId::new().to_hex(),
            tenant_id: tenant,
            customer_id: r.customer_id.as_deref(),
            invoice_id: Some(&invoice_id),
            due_adjustment_id: None,
            entry: Entry::Payment,
            amount: part.amount,
            payment_method: part.method.as_str(),
            bank_account_id: part.account.as_deref(),
            reference: "",
            notes: "",
            description: format!("Payment received for invoice {invoice_no}"),
            created_at: now,
            local_date: &day,
        });
    }
    store::ledger::insert(tx, &entries).await?;
    Ok(Sale {
        invoice,
        lines,
        plan,
    })
}

/// Moves `amount` of the customer's oldest outstanding balances onto the new invoice.
async fn carry_forward(
    tx: &mut AnyConnection,
    tenant: &str,
    customer: &str,
    amount: i64,
    now: i64,
) -> Result<(), ApiError> {
    let left = store::invoices::reduce_oldest_first(
        tx,
        tenant,
        customer,
        Reduction::CarriedForward,
        amount,
        now,
    )
    .await?;
    if left > 0 {
        // Dues above the open balances (dues set outside invoices, e.g. imported): what is not
        // on any invoice is carried from nowhere; the mismatch is not made worse.
        tracing::warn!(
            customer,
            left,
            "previous due exceeds the customer's open invoices"
        );
    }
    Ok(())
}

/// The split parts as stored (paise), each with its own `_id`.
fn split_details(parts: &[MoneyPart<Option<String>>]) -> String {
    let parts: Vec<Value> = parts
        .iter()
        .map(|p| {
            json!({"_id": ObjectId::new().to_hex(), "method": p.method.as_str(), "amount": p.amount, "bankAccount": p.account})
        })
        .collect();
    Value::Array(parts).to_string()
}

fn too_large() -> ApiError {
    ApiError::bad_request("Amount must not be more than 1000000000000")
}

/// The original's answer for an item that cannot be sold in this quantity.
async fn stock_refusal(
    tx: &mut AnyConnection,
    tenant: &str,
    id: &str,
    quantity: i64,
) -> Result<ApiError, ApiError> {
    let Some(item) = store::items::get(tx, tenant, id).await? else {
        return Ok(ApiError::bad_request(format!(
            "Item not found or unauthorized: {id}"
        )));
    };
    let qty = |milli: i64| Quantity::from_milli(milli).unwrap_or_default();
    let available = item.stock_qty - item.reserved_stock;
    if item.stock_qty >= quantity && item.reserved_stock > 0 {
        return Ok(ApiError::bad_request(format!(
            "Cannot sell {}. {} units are reserved for Sales Orders. Available stock: {}",
            item.name,
            qty(item.reserved_stock),
            qty(available)
        ))
        .with("isReservedStock", true)
        .with("availableStock", json!(qty(available)))
        .with("reservedStock", json!(qty(item.reserved_stock)))
        .with("totalStock", json!(qty(item.stock_qty))));
    }
    Ok(ApiError::bad_request(format!(
        "Insufficient stock for {}. Available: {}",
        item.name,
        qty(available.max(0))
    ))
    .with("availableStock", json!(qty(available.max(0)))))
}
