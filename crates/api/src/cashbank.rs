//! `/api/cashbank/accounts` (the shop's bank accounts, with the original's shapes) and the
//! `expenses` and `bills` lists the dashboard asks for, which bizzai does not keep (always `[]`).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::{Money, ObjectId};
use serde::Deserialize;
use serde_json::{Value, json};
use store::StoreError;
use store::bank_accounts::{BankAccountFields, BankAccountRow};

use crate::auth::extract::AuthUser;
use crate::auth::responses::iso;
use crate::error::ApiError;
use crate::http::input::trimmed;
use crate::http::json::Json;
use crate::http::path::IdParam;
use crate::state::AppState;

const ACCOUNT_TYPES: [&str; 4] = ["Savings", "Current", "Overdraft", "Loan"];
const NOT_FOUND: &str = "Account not found";

fn json(a: &BankAccountRow) -> Value {
    let money = |m: i64| Money::from_minor(m).unwrap_or_default();
    json!({
        "_id": a.id,
        "bankName": a.bank_name,
        "accountNumber": a.account_number,
        "accountType": a.account_type,
        "branch": a.branch,
        "ifsc": a.ifsc,
        "openingBalance": money(a.opening_balance),
        "currentBalance": money(a.current_balance),
        "status": a.status,
        "userId": a.tenant_id,
        "createdAt": iso(a.created_at),
        "updatedAt": iso(a.updated_at),
    })
}

/// Only these fields are read; `currentBalance` never (balances move through payments).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBody {
    bank_name: Option<String>,
    account_number: Option<String>,
    account_type: Option<String>,
    branch: Option<String>,
    ifsc: Option<String>,
    opening_balance: Option<Money>,
    status: Option<String>,
}

impl AccountBody {
    fn merge(self, mut f: BankAccountFields) -> Result<BankAccountFields, ApiError> {
        if let Some(v) = trimmed("bankName", self.bank_name, 100)? {
            f.bank_name = v;
        }
        if let Some(v) = trimmed("accountNumber", self.account_number, 40)? {
            f.account_number = v;
        }
        if let Some(v) = trimmed("ifsc", self.ifsc, 20)? {
            f.ifsc = v.to_uppercase();
        }
        if let Some(v) = trimmed("branch", self.branch, 100)? {
            f.branch = v;
        }
        if let Some(t) = self.account_type {
            let t = ACCOUNT_TYPES
                .iter()
                .find(|a| a.eq_ignore_ascii_case(t.trim()))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "accountType must be one of Savings, Current, Overdraft, Loan",
                    )
                })?;
            f.account_type = (*t).to_owned();
        }
        if let Some(s) = self.status {
            match s.trim() {
                "active" | "inactive" => f.status = s.trim().to_owned(),
                _ => return Err(ApiError::bad_request("status must be active or inactive")),
            }
        }
        if f.bank_name.is_empty() || f.account_number.is_empty() || f.ifsc.is_empty() {
            return Err(ApiError::bad_request("Please fill all required fields"));
        }
        Ok(f)
    }
}

fn duplicate(e: StoreError) -> ApiError {
    match e {
        StoreError::Unique { .. } => ApiError::bad_request("Account already exists"),
        other => other.into(),
    }
}

fn account_id(id: &str) -> Result<String, ApiError> {
    ObjectId::parse(id)
        .map(|i| i.to_hex())
        .map_err(|_| ApiError::not_found(NOT_FOUND))
}

pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Vec<Value>>, ApiError> {
    let accounts = store::bank_accounts::list(state.db.reader(), auth.tenant()).await?;
    Ok(JsonResponse(accounts.iter().map(json).collect()))
}

pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<AccountBody>,
) -> Result<Response, ApiError> {
    let opening = body.opening_balance.unwrap_or_default().minor();
    let empty = BankAccountFields {
        bank_name: String::new(),
        account_number: String::new(),
        account_type: "Savings".into(),
        branch: String::new(),
        ifsc: String::new(),
        status: "active".into(),
    };
    let fields = body.merge(empty)?;
    let id = ObjectId::new().to_hex();
    let now = store::now_ms();
    let account = store::transact!(state.db, ApiError, |tx| {
        store::bank_accounts::insert(tx, auth.tenant(), &id, &fields, opening, now)
            .await
            .map_err(duplicate)?;
        store::bank_accounts::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("account vanished")))
    })?;
    Ok((StatusCode::CREATED, JsonResponse(json(&account))).into_response())
}

/// Updates the descriptive fields; balances (opening and current) are not editable here.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
    Json(body): Json<AccountBody>,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = account_id(&id)?;
    let now = store::now_ms();
    let account = store::transact!(state.db, ApiError, |tx| {
        let current = store::bank_accounts::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        let fields = body.clone().merge(BankAccountFields {
            bank_name: current.bank_name.clone(),
            account_number: current.account_number.clone(),
            account_type: current.account_type.clone(),
            branch: current.branch.clone(),
            ifsc: current.ifsc.clone(),
            status: current.status.clone(),
        })?;
        store::bank_accounts::update(tx, auth.tenant(), &id, &fields, now)
            .await
            .map_err(duplicate)?;
        store::bank_accounts::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))
    })?;
    Ok(JsonResponse(json(&account)))
}

/// Hides an account nothing refers to; one that money moved through stays (its history must).
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    let id = account_id(&id)?;
    let now = store::now_ms();
    store::transact!(state.db, ApiError, |tx| {
        store::bank_accounts::get(tx, auth.tenant(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
        let used = store::bank_accounts::references(tx, auth.tenant(), &id).await?;
        if used > 0 {
            return Err(ApiError::bad_request(format!(
                "Cannot delete bank account with existing transactions ({used}). Please delete or clear transactions first to maintain data integrity."
            )));
        }
        store::bank_accounts::soft_delete(tx, auth.tenant(), &id, now).await?;
        Ok(())
    })?;
    Ok(JsonResponse(
        json!({"message": "Account deleted successfully"}),
    ))
}

/// Expenses and supplier bills are outside bizzai's scope; the dashboard reads an empty list.
pub async fn empty_list(_auth: AuthUser) -> JsonResponse<Vec<Value>> {
    JsonResponse(Vec::new())
}
