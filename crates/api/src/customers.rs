//! `/api/customers` (C1–C6 of the reference): validated, whitelisted, sorted by name the same way
//! on both databases, and deletable only when nothing is owed either way.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::text::{email_key, fold_key};
use domain::validate::{is_plausible_email, is_ten_digit_phone};
use domain::{Money, ObjectId};
use serde::Deserialize;
use serde_json::{Value, json};
use store::StoreError;
use store::customers::{CustomerFields, CustomerRow};

use crate::auth::extract::AuthUser;
use crate::auth::responses::iso;
use crate::error::ApiError;
use crate::http::json::Json;
use crate::http::path::IdParam;
use crate::state::AppState;

const NOT_FOUND: &str = "Customer not found or unauthorized";

fn money(minor: i64) -> Money {
    Money::from_minor(minor).unwrap_or_default()
}

pub fn customer_json(c: &CustomerRow) -> Value {
    let referred_by = match (&c.referred_by, &c.referred_by_name) {
        (Some(id), Some(name)) => json!({"_id": id, "name": name, "phone": c.referred_by_phone}),
        _ => Value::Null,
    };
    json!({
        "_id": c.id,
        "name": c.name,
        "phone": c.phone,
        "email": c.email,
        "address": c.address,
        "dues": money(c.dues),
        "referredBy": referred_by,
        "owner": c.tenant_id,
        "transactionHistory": [],
        "createdAt": iso(c.created_at),
        "updatedAt": iso(c.updated_at),
    })
}

fn customer_id(id: &str) -> Result<String, ApiError> {
    ObjectId::parse(id)
        .map(|i| i.to_hex())
        .map_err(|_| ApiError::bad_request("Invalid customer ID format"))
}

/// Only these fields are read (never `dues` or `owner`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerBody {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    referred_by: Option<String>,
}

impl CustomerBody {
    fn fields(self, current: Option<&CustomerRow>) -> Result<CustomerFields, ApiError> {
        let name = self
            .name
            .map(|n| n.trim().to_owned())
            .or_else(|| current.map(|c| c.name.clone()))
            .unwrap_or_default();
        let phone = self
            .phone
            .map(|p| p.trim().to_owned())
            .or_else(|| current.map(|c| c.phone.clone()))
            .unwrap_or_default();
        if name.is_empty() || phone.is_empty() {
            return Err(ApiError::bad_request("Name and phone are required"));
        }
        if name.chars().count() > 200 {
            return Err(ApiError::bad_request("name must be at most 200 characters"));
        }
        if !is_ten_digit_phone(&phone) {
            return Err(ApiError::bad_request("Phone is not valid"));
        }
        let email = match self.email {
            Some(e) => e.trim().to_lowercase(),
            None => current.map(|c| c.email.clone()).unwrap_or_default(),
        };
        if !email.is_empty() && !is_plausible_email(&email) {
            return Err(ApiError::bad_request("Please enter a valid email address"));
        }
        let address = self
            .address
            .map(|a| a.trim().to_owned())
            .or_else(|| current.map(|c| c.address.clone()))
            .unwrap_or_default();
        if address.chars().count() > 500 {
            return Err(ApiError::bad_request(
                "address must be at most 500 characters",
            ));
        }
        let referred_by = match self.referred_by.map(|r| r.trim().to_owned()) {
            Some(r) if r.is_empty() => None,
            Some(r) => Some(
                ObjectId::parse(&r)
                    .map(|i| i.to_hex())
                    .map_err(|_| ApiError::bad_request("Referred-by customer not found"))?,
            ),
            None => current.and_then(|c| c.referred_by.clone()),
        };
        Ok(CustomerFields {
            name_key: fold_key(&name),
            name,
            phone,
            email_key: (!email.is_empty()).then(|| email_key(&email)),
            email,
            address,
            referred_by,
        })
    }
}

async fn check(
    tx: &mut store::Tx,
    tenant: &str,
    f: &CustomerFields,
    except: &str,
    phone_msg: &str,
    email_msg: &str,
) -> Result<(), ApiError> {
    if let Some(r) = &f.referred_by
        && (r == except || store::customers::get(tx, tenant, r).await?.is_none())
    {
        return Err(ApiError::bad_request("Referred-by customer not found"));
    }
    let (phone_taken, email_taken) =
        store::customers::taken(tx, tenant, &f.phone, f.email_key.as_deref(), except).await?;
    if phone_taken {
        return Err(ApiError::bad_request(phone_msg.to_owned()));
    }
    if email_taken {
        return Err(ApiError::bad_request(email_msg.to_owned()));
    }
    Ok(())
}

fn unique(e: StoreError, message: &'static str) -> ApiError {
    match e {
        StoreError::Unique { .. } => ApiError::bad_request(message),
        other => other.into(),
    }
}

/// C1.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<CustomerBody>,
) -> Result<Response, ApiError> {
    let fields = body.fields(None)?;
    let id = ObjectId::new().to_hex();
    let now = store::now_ms();
    let customer = store::transact!(state.db, ApiError, |tx| {
        check(
            tx,
            auth.tenant(),
            &fields,
            &id,
            "Phone number already exists in your customer list",
            "Email already exists in your customer list",
        )
        .await?;
        store::customers::insert(tx, auth.tenant(), &id, &fields, now)
            .await
            .map_err(|e| unique(e, "Phone number already exists in your customer list"))?;
        store::customers::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("customer vanished")))
    })?;
    Ok((StatusCode::CREATED, JsonResponse(customer_json(&customer))).into_response())
}

/// C2: by name, `referredBy` populated.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Vec<Value>>, ApiError> {
    let customers = store::customers::list(state.db.reader(), auth.tenant()).await?;
    Ok(JsonResponse(customers.iter().map(customer_json).collect()))
}

async fn find(state: &AppState, tenant: &str, id: &str) -> Result<CustomerRow, ApiError> {
    let mut conn = state.db.read_conn().await?;
    store::customers::get(&mut conn, tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

/// C4.
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = customer_id(&id)?;
    Ok(JsonResponse(customer_json(
        &find(&state, auth.tenant(), &id).await?,
    )))
}

/// C5: whitelisted update (name, phone, email, address, referredBy).
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
    Json(body): Json<CustomerBody>,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = customer_id(&id)?;
    let now = store::now_ms();
    let customer = store::transact!(state.db, ApiError, |tx| {
        let current = store::customers::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        let fields = body.clone().fields(Some(&current))?;
        check(
            tx,
            auth.tenant(),
            &fields,
            &id,
            "Phone number already exists",
            "Email already exists",
        )
        .await?;
        store::customers::update(tx, auth.tenant(), &id, &fields, now)
            .await
            .map_err(|e| unique(e, "Phone number already exists"))?;
        store::customers::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))
    })?;
    Ok(JsonResponse(customer_json(&customer)))
}

/// C6: hidden (history kept) unless the customer owes, is owed, or has open invoices.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = customer_id(&id)?;
    let now = store::now_ms();
    store::transact!(state.db, ApiError, |tx| {
        let c = store::customers::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        if c.dues != 0 {
            let reason = if c.dues > 0 {
                "Customer still owes money to the shop"
            } else {
                "The shop still owes credit to the customer"
            };
            return Err(ApiError::bad_request("Cannot delete customer with pending dues").with("error", "CUSTOMER_HAS_DUES").with(
                "details",
                json!({"customerName": c.name, "pendingDues": money(c.dues), "reason": reason}),
            ));
        }
        let open = store::invoices::open_items(tx, auth.tenant(), &id).await?;
        if !open.is_empty() {
            let total: i64 = open.iter().map(|i| i.balance_due).sum();
            let invoices: Vec<Value> = open
                .iter()
                .map(|i| json!({"invoiceNo": i.invoice_no, "totalAmount": money(i.total_amount), "paidAmount": money(i.paid_amount),
                                "outstandingAmount": money(i.balance_due), "status": i.payment_status}))
                .collect();
            return Err(ApiError::bad_request("Cannot delete customer with unpaid invoices").with("error", "CUSTOMER_HAS_UNPAID_INVOICES").with(
                "details",
                json!({"customerName": c.name, "unpaidInvoiceCount": open.len(), "totalOutstandingAmount": money(total),
                       "unpaidInvoices": invoices, "reason": "Settle or return the outstanding invoices first"}),
            ));
        }
        if !store::customers::soft_delete(tx, auth.tenant(), &id, now).await? {
            return Err(
                ApiError::bad_request("Cannot delete customer with pending dues")
                    .with("error", "CUSTOMER_HAS_DUES"),
            );
        }
        Ok(())
    })?;
    Ok(JsonResponse(json!({"message": "Customer deleted"})))
}

/// C3: the customer's ledger, newest first.
pub async fn transactions(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = customer_id(&id)?;
    let customer = find(&state, auth.tenant(), &id).await?;
    let rows = store::customers::ledger(state.db.reader(), auth.tenant(), &id).await?;
    let transactions: Vec<Value> = rows
        .iter()
        .map(|t| {
            let invoice = match (&t.invoice_id, &t.invoice_no) {
                (Some(id), Some(no)) => json!({"_id": id, "invoiceNo": no, "totalAmount": money(t.invoice_total.unwrap_or(0)), "paymentStatus": t.invoice_status}),
                _ => Value::Null,
            };
            json!({"_id": t.id, "type": t.kind, "amount": money(t.amount), "effect": money(t.effect), "paymentMethod": t.payment_method,
                   "description": t.description, "reference": t.reference, "notes": t.notes, "customer": t.customer_id,
                   "invoice": invoice, "createdAt": iso(t.created_at)})
        })
        .collect();
    Ok(JsonResponse(
        json!({"customer": {"name": customer.name, "phone": customer.phone}, "transactions": transactions}),
    ))
}
