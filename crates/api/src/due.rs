//! `/api/due`: due adjustments (D1–D3). Money a customer settles outside an invoice lowers their
//! dues with one `due_adjustment` ledger row; `Idempotency-Key` makes a retried submit harmless.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{Money, ObjectId};
use serde::Deserialize;
use serde_json::{Value, json};
use store::due_adjustments::{AdjustmentRow, Applied};

use crate::auth::extract::AuthUser;
use crate::auth::responses::iso;
use crate::error::ApiError;
use crate::http::json::{Json, parse};
use crate::http::path::IdParam;
use crate::idempotency;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdjustBody {
    customer_id: Option<String>,
    adjustment_amount: Option<Money>,
    adjustment_method: Option<String>,
    notes: Option<String>,
}

/// The page's four methods and the ledger method each one records.
fn ledger_method(method: &str) -> Option<&'static str> {
    Some(match method {
        "cash" => "cash",
        "bank" => "bank_transfer",
        "credit" => "credit",
        "original_payment" => "original_payment",
        _ => return None,
    })
}

fn money(minor: i64) -> Money {
    Money::from_minor(minor).unwrap_or_default()
}

fn adjustment_json(a: &AdjustmentRow, auth: &AuthUser) -> Value {
    json!({
        "_id": a.id,
        "customer": {"_id": a.customer_id, "name": a.customer_name, "phone": a.customer_phone, "email": a.customer_email, "dues": money(a.customer_dues)},
        "adjustmentAmount": money(a.amount),
        "adjustmentMethod": a.method,
        "previousDue": money(a.previous_due),
        "updatedDue": money(a.updated_due),
        "notes": a.notes,
        "createdBy": {"_id": auth.user.id, "name": auth.user.name, "email": auth.user.email},
        "createdAt": iso(a.created_at),
    })
}

/// D1 `POST /api/due/adjust`.
pub async fn adjust(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    idempotency::run(
        &state,
        auth.tenant(),
        "POST",
        "/api/due/adjust",
        &headers,
        &body,
        |scope| {
            let (state, auth, body) = (&state, &auth, &body);
            async move { apply(state, auth, body, scope.as_ref()).await }
        },
    )
    .await
}

async fn apply(
    state: &AppState,
    auth: &AuthUser,
    raw: &Value,
    scope: Option<&store::idempotency::KeyScope>,
) -> Result<Response, ApiError> {
    let body: AdjustBody = parse(raw.to_string().as_bytes())?;
    let (Some(customer_id), Some(amount), Some(method)) = (
        body.customer_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
        body.adjustment_amount,
        body.adjustment_method
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) else {
        return Err(ApiError::bad_request(
            "Please provide customerId, adjustmentAmount and adjustmentMethod",
        ));
    };
    let customer_id = ObjectId::parse(customer_id)
        .map_err(|_| ApiError::bad_request("Invalid customer ID format"))?
        .to_hex();
    if !amount.is_positive() {
        return Err(ApiError::bad_request(
            "Adjustment amount must be greater than 0",
        ));
    }
    let ledger =
        ledger_method(method).ok_or_else(|| ApiError::bad_request("Invalid adjustment method"))?;
    let notes: String = body
        .notes
        .unwrap_or_default()
        .trim()
        .chars()
        .take(500)
        .collect();
    let id = ObjectId::new().to_hex();
    let ledger_id = ObjectId::new().to_hex();
    let response = store::transact!(state.db, ApiError, |tx| {
        let now = store::now_ms();
        let applied = store::due_adjustments::apply(
            tx,
            auth.tenant(),
            &customer_id,
            &id,
            &ledger_id,
            amount.minor(),
            method,
            ledger,
            &notes,
            now,
            &crate::sales::local_date(&auth.user.timezone, now),
        )
        .await?;
        match applied {
            Applied::NotFound => {
                return Err(ApiError::not_found("Customer not found or unauthorized"));
            }
            Applied::ExceedsDues(dues) => {
                return Err(ApiError::bad_request(format!(
                    "Adjustment amount cannot exceed the customer's outstanding dues (₹{})",
                    money(dues.max(0))
                )));
            }
            Applied::Done { .. } => {}
        }
        let row = store::due_adjustments::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("adjustment vanished")))?;
        let body = json!({"message": "Due adjustment created successfully", "adjustment": adjustment_json(&row, auth)});
        if let Some(scope) = scope {
            store::idempotency::complete(tx, scope, 201, &body.to_string(), now).await?;
        }
        Ok(body)
    })?;
    Ok((StatusCode::CREATED, JsonResponse(response)).into_response())
}

/// D2 `GET /api/due/adjustments`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Vec<Value>>, ApiError> {
    let rows = store::due_adjustments::list(state.db.reader(), auth.tenant(), None).await?;
    Ok(JsonResponse(
        rows.iter().map(|a| adjustment_json(a, &auth)).collect(),
    ))
}

/// D3 `GET /api/due/customer/:customerId/adjustments`.
pub async fn of_customer(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = ObjectId::parse(&id)
        .map_err(|_| ApiError::bad_request("Invalid customer ID format"))?
        .to_hex();
    let customer = {
        let mut conn = state.db.read_conn().await?;
        store::customers::get(&mut conn, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found("Customer not found or unauthorized"))?
    };
    let rows = store::due_adjustments::list(state.db.reader(), auth.tenant(), Some(&id)).await?;
    let adjustments: Vec<Value> = rows.iter().map(|a| adjustment_json(a, &auth)).collect();
    Ok(JsonResponse(
        json!({"customer": {"name": customer.name, "phone": customer.phone}, "adjustments": adjustments}),
    ))
}

/// The original's legacy due routes answered 501; they still do.
pub async fn legacy(_auth: AuthUser) -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "This endpoint is no longer supported; use POST /api/due/adjust",
    )
}
