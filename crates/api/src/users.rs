//! The shop's own account: profile, update, delete, and `GET /api/users` (the caller only).

use std::str::FromStr;

use axum::Json as JsonResponse;
use axum::extract::State;
use domain::text::email_key;
use domain::validate::is_plausible_email;
use serde::Deserialize;
use serde_json::{Value, json};
use store::StoreError;
use store::users::ProfileUpdate;

use crate::auth::extract::AuthUser;
use crate::auth::responses::UserJson;
use crate::error::ApiError;
use crate::http::input::trimmed;
use crate::http::json::Json;
use crate::http::path::IdParam;
use crate::state::AppState;

pub async fn profile(auth: AuthUser) -> JsonResponse<UserJson> {
    JsonResponse(UserJson::from(auth.user.as_ref()))
}

pub async fn list(auth: AuthUser) -> JsonResponse<Vec<UserJson>> {
    JsonResponse(vec![UserJson::from(auth.user.as_ref())])
}

/// Only these fields can change; anything else in the body is ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateBody {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    shop_name: Option<String>,
    gst_number: Option<String>,
    shop_address: Option<String>,
    timezone: Option<String>,
}

fn require_self(auth: &AuthUser, id: &str) -> Result<(), ApiError> {
    if id.to_ascii_lowercase() != auth.user.id {
        return Err(ApiError::forbidden(
            "Unauthorized: Cannot update other users' profiles",
        ));
    }
    Ok(())
}

pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
    Json(body): Json<UpdateBody>,
) -> Result<JsonResponse<Value>, ApiError> {
    require_self(&auth, &id)?;
    let name = trimmed("name", body.name, 200)?;
    if name.as_deref().is_some_and(str::is_empty) {
        return Err(ApiError::bad_request("name must not be empty"));
    }
    let email = match body.email.map(|e| e.trim().to_owned()) {
        Some(e) if !is_plausible_email(&e) => {
            return Err(ApiError::bad_request("Please enter a valid email address"));
        }
        Some(e) => Some((e.to_lowercase(), email_key(&e))),
        None => None,
    };
    let timezone = match body.timezone.map(|t| t.trim().to_owned()) {
        Some(t) if chrono_tz::Tz::from_str(&t).is_err() => {
            return Err(ApiError::bad_request(
                "timezone must be an IANA time zone such as Asia/Kolkata",
            ));
        }
        other => other,
    };
    let update = ProfileUpdate {
        name,
        email,
        phone: trimmed("phone", body.phone, 20)?,
        shop_name: trimmed("shopName", body.shop_name, 200)?,
        gst_number: trimmed("gstNumber", body.gst_number, 20)?,
        shop_address: trimmed("shopAddress", body.shop_address, 500)?,
        timezone,
    };
    let now = store::now_ms();
    let user = store::transact!(state.db, ApiError, |tx| {
        if let Some((_, key)) = &update.email
            && store::users::email_taken_by_other(tx, key, auth.tenant()).await?
        {
            return Err(ApiError::bad_request("Email already in use"));
        }
        let updated = store::users::update_profile(tx, auth.tenant(), &update, now)
            .await
            .map_err(|e| match e {
                StoreError::Unique { .. } => ApiError::bad_request("Email already in use"),
                other => other.into(),
            })?;
        updated.ok_or_else(|| ApiError::not_found("User not found"))
    })?;
    state.sessions.forget_user(auth.tenant());
    Ok(JsonResponse(
        json!({"message": "Profile updated successfully", "user": UserJson::from(&user)}),
    ))
}

/// Hides the account and ends its sessions; the shop's documents are kept.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<JsonResponse<Value>, ApiError> {
    if id.to_ascii_lowercase() != auth.user.id {
        return Err(ApiError::forbidden(
            "Unauthorized: Cannot delete other users' accounts",
        ));
    }
    let now = store::now_ms();
    store::transact!(state.db, ApiError, |tx| {
        store::users::soft_delete(tx, auth.tenant(), now).await?;
        store::sessions::revoke_all(tx, auth.tenant(), "account_deleted", now).await?;
        Ok::<_, ApiError>(())
    })?;
    state.sessions.forget_user(auth.tenant());
    Ok(JsonResponse(
        json!({"message": "User account deleted successfully"}),
    ))
}
