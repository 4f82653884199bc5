//! Handlers of `/api/inventory` (I1–I8 of the reference, plus the stock ledger).

use std::collections::HashMap;

use axum::Json as JsonResponse;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ObjectId;
use domain::text::fold_key;
use serde_json::{Value, json};
use store::StoreError;
use store::items::{ItemRow, StockReference};

use super::input::ItemBody;
use super::output::{ItemJson, alerts, movement};
use crate::auth::extract::AuthUser;
use crate::error::ApiError;
use crate::http::json::Json;
use crate::http::path::IdParam;
use crate::state::AppState;

const NOT_FOUND: &str = "Item not found or unauthorized";

fn item_id(id: &str) -> Result<String, ApiError> {
    ObjectId::parse(id)
        .map(|i| i.to_hex())
        .map_err(|_| ApiError::bad_request("Invalid item ID format"))
}

/// Unique violations in the reference's words.
fn duplicate(e: StoreError, name_message: &'static str) -> ApiError {
    match e {
        StoreError::Unique { index } if index.contains("name_key") => {
            ApiError::bad_request(name_message)
        }
        StoreError::Unique { index } if index.contains("sku_key") => {
            ApiError::bad_request("An item with this SKU already exists in your inventory")
        }
        other => other.into(),
    }
}

async fn alerts_of(state: &AppState, tenant: &str) -> Result<Vec<Value>, ApiError> {
    Ok(alerts(
        &store::items::low_stock(state.db.reader(), tenant).await?,
    ))
}

/// I1: create an item; opening stock is the first movement of its ledger.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<ItemBody>,
) -> Result<Response, ApiError> {
    let (fields, opening) = body.create()?;
    let id = ObjectId::new().to_hex();
    let now = store::now_ms();
    let item = store::transact!(state.db, ApiError, |tx| {
        store::items::insert(tx, auth.tenant(), &id, &fields, now)
            .await
            .map_err(|e| duplicate(e, "Item already exists in your inventory"))?;
        if opening > 0 {
            let why = StockReference {
                kind: "OPENING_STOCK",
                reference: "Opening stock",
            };
            store::items::change_stock(
                tx,
                auth.tenant(),
                &id,
                &ObjectId::new().to_hex(),
                0,
                opening,
                &why,
                now,
            )
            .await?;
        }
        store::items::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("item vanished")))
    })?;
    let alerts = alerts_of(&state, auth.tenant()).await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(json!({"item": ItemJson::from(&item), "alerts": alerts})),
    )
        .into_response())
}

/// I3: the shop's items, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Vec<ItemJson>>, ApiError> {
    let items = store::items::list(state.db.reader(), auth.tenant(), state.db.backend()).await?;
    Ok(JsonResponse(items.iter().map(ItemJson::from).collect()))
}

/// I4: items whose available stock is at or below their limit.
pub async fn low_stock(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Vec<ItemJson>>, ApiError> {
    let items = store::items::low_stock(state.db.reader(), auth.tenant()).await?;
    Ok(JsonResponse(items.iter().map(ItemJson::from).collect()))
}

/// I5: look an item up by barcode, SKU or supplier SKU.
pub async fn scan(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<HashMap<String, String>>,
) -> Result<JsonResponse<Value>, ApiError> {
    let code = query
        .get("code")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("Scan code is required"))?;
    let item = store::items::find_by_code(state.db.reader(), auth.tenant(), code, &fold_key(code))
        .await?
        .ok_or_else(|| ApiError::not_found("Item not found"))?;
    let mut body = serde_json::to_value(ItemJson::from(&item)).map_err(ApiError::internal)?;
    // No purchases module yet: the last purchase rate is the cost price.
    body["lastPurchaseRate"] = body["costPrice"].clone();
    Ok(JsonResponse(body))
}

async fn find(state: &AppState, tenant: &str, id: &str) -> Result<ItemRow, ApiError> {
    let mut conn = state.db.read_conn().await?;
    store::items::get(&mut conn, tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

/// I6: one item.
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<ItemJson>, ApiError> {
    let id = item_id(&id)?;
    Ok(JsonResponse(ItemJson::from(
        &find(&state, auth.tenant(), &id).await?,
    )))
}

/// I7: whitelisted update; a new `stockQty` is an `ADJUSTMENT` movement, never below reserved.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
    Json(body): Json<ItemBody>,
) -> Result<Response, ApiError> {
    let id = item_id(&id)?;
    let now = store::now_ms();
    let item = store::transact!(state.db, ApiError, |tx| {
        let current = store::items::lock(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        let (fields, stock) = body.clone().update(&current)?;
        store::items::update_fields(tx, auth.tenant(), &id, &fields, now)
            .await
            .map_err(|e| duplicate(e, "Item name already exists in your inventory"))?;
        if let Some(after) = stock.filter(|s| *s != current.stock_qty) {
            let why = StockReference {
                kind: "ADJUSTMENT",
                reference: "Stock adjustment",
            };
            if !store::items::change_stock(
                tx,
                auth.tenant(),
                &id,
                &ObjectId::new().to_hex(),
                current.stock_qty,
                after,
                &why,
                now,
            )
            .await?
            {
                let reserved =
                    domain::Quantity::from_milli(current.reserved_stock).unwrap_or_default();
                return Err(ApiError::bad_request(format!(
                    "stockQty cannot be below the reserved stock ({reserved} reserved for sales orders)"
                )));
            }
        }
        store::items::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))
    })?;
    let alerts = alerts_of(&state, auth.tenant()).await?;
    Ok(JsonResponse(json!({"updated": ItemJson::from(&item), "alerts": alerts})).into_response())
}

/// I8: hide the item (documents keep their snapshots); refused while stock is reserved.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = item_id(&id)?;
    let now = store::now_ms();
    store::transact!(state.db, ApiError, |tx| {
        let current = store::items::lock(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        if current.reserved_stock > 0
            || !store::items::soft_delete(tx, auth.tenant(), &id, now).await?
        {
            return Err(ApiError::bad_request(
                "Cannot delete an item with reserved stock. Cancel or deliver its sales orders first.",
            ));
        }
        Ok(())
    })?;
    Ok(JsonResponse(json!({"message": "Item deleted"})))
}

/// The item's stock ledger, newest first.
pub async fn movements(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Vec<Value>>, ApiError> {
    let id = item_id(&id)?;
    find(&state, auth.tenant(), &id).await?;
    let rows = store::items::movements(state.db.reader(), auth.tenant(), &id).await?;
    Ok(JsonResponse(rows.iter().map(movement).collect()))
}
