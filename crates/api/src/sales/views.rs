//! Reading invoices: P2 and S2 (lists, voids left out), P3 and S3 (one invoice, also a void),
//! S1 (the sales-invoice page's totals).

use axum::Json as JsonResponse;
use axum::extract::State;
use serde_json::{Value, json};

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::output::{CustomerShape, ShopShape, invoice_json, list_bytes, money};
use super::payment::{invoice_id, not_found};
use crate::auth::extract::AuthUser;
use crate::error::ApiError;
use crate::http::path::IdParam;
use crate::state::AppState;

/// Lists of more invoices than this wait for a turn in [`AppState::list_builds`]; smaller ones
/// (a fraction of a second) never queue behind a big shop's.
const BIG_LIST: i64 = 5_000;

/// P2 `GET /api/pos/invoices` and S2 `GET /api/sales-invoice/invoices`.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> Result<Response, ApiError> {
    let (reader, tenant) = (state.db.reader(), auth.tenant());
    let turn = if store::invoices::count(reader, tenant).await? > BIG_LIST {
        // Closed only if the state is dropped, which never happens while serving.
        let turn = state.list_builds.clone().acquire_owned().await;
        Some(turn.map_err(ApiError::internal)?)
    } else {
        None
    };
    let text = store::invoices::list(reader, tenant, state.db.backend()).await?;
    // Seconds of CPU for a big shop: off the async workers. The turn ends with the build, even
    // if the client has gone meanwhile.
    let body = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let (invoices, lines) = text.decode()?;
        Ok::<_, store::StoreError>(list_bytes(&invoices, &lines))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn detail(
    state: &AppState,
    auth: &AuthUser,
    raw: &str,
    shop: ShopShape<'_>,
) -> Result<Value, ApiError> {
    let id = invoice_id(raw)?;
    let tenant = auth.tenant();
    let mut conn = state.db.read_conn().await?;
    let invoice = store::invoices::get(&mut conn, tenant, &id)
        .await?
        .ok_or_else(not_found)?;
    let lines = store::invoices::lines(&mut conn, tenant, &id).await?;
    let customer = match &invoice.customer_id {
        Some(c) => store::customers::get_any(&mut conn, tenant, c).await?,
        None => None,
    };
    let lines: Vec<_> = lines.iter().collect();
    Ok(invoice_json(
        &invoice,
        &lines,
        CustomerShape::Full(customer.as_ref()),
        shop,
    ))
}

/// P3 `GET /api/pos/invoice/:id`: with the shop header for the printed invoice.
pub async fn pos_detail(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let header = auth.user.clone();
    Ok(JsonResponse(
        detail(&state, &auth, &id, ShopShape::Header(&header)).await?,
    ))
}

/// S3 `GET /api/sales-invoice/invoice/:id`.
pub async fn sales_detail(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    Ok(JsonResponse(
        detail(&state, &auth, &id, ShopShape::Id).await?,
    ))
}

/// S1 `GET /api/sales-invoice/summary`: net sales, money recorded on invoices, customer dues.
pub async fn summary(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Value>, ApiError> {
    let s = store::invoices::summary(state.db.reader(), auth.tenant()).await?;
    Ok(JsonResponse(json!({
        "totalInvoices": s.invoices,
        "totalSales": money(s.net_sales),
        "totalPaid": money(s.paid),
        "outstandingDues": money(s.outstanding_dues),
    })))
}
