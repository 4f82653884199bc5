//! `/api/auth/*`: register, login, force-logout, refresh, revoke, revoke-all, logout.

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ObjectId;
use domain::text::email_key;
use domain::validate::{is_plausible_email, is_strong_password, is_ten_digit_phone};
use serde::Deserialize;
use serde_json::json;
use store::sessions::Rotation;
use store::{StoreError, now_ms};

use crate::auth::cookie;
use crate::auth::extract::{AuthUser, bearer};
use crate::auth::limits::{self, Budget};
use crate::auth::password::Verdict;
use crate::auth::responses::{LoginJson, RefreshJson, UserJson, iso};
use crate::auth::sessions::{self, Origin, hash_token, new_refresh_token};
use crate::error::ApiError;
use crate::http::client_ip::ClientIp;
use crate::http::json::Json;
use crate::state::AppState;

const WEAK_PASSWORD: &str =
    "Password too weak. Use at least 8 characters with uppercase, lowercase, number, and symbol.";
const INVALID_CREDENTIALS: &str = "Invalid credentials";

/// Present and not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn with_cookie(mut response: Response, set_cookie: &str) -> Response {
    if let Ok(v) = set_cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

fn locked(until: i64) -> ApiError {
    ApiError::new(
        StatusCode::LOCKED,
        "Account locked due to too many failed attempts. Try again later.",
    )
    .with("lockedUntil", iso(until))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBody {
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    phone: Option<String>,
    shop_name: Option<String>,
}

pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<RegisterBody>,
) -> Result<Response, ApiError> {
    let (Some(name), Some(email), Some(phone)) =
        (given(&body.name), given(&body.email), given(&body.phone))
    else {
        return Err(ApiError::bad_request("Please fill all required fields"));
    };
    let Some(password) = body.password.as_deref().filter(|p| !p.is_empty()) else {
        return Err(ApiError::bad_request("Please fill all required fields"));
    };
    if !is_ten_digit_phone(phone) {
        return Err(ApiError::bad_request(
            "Phone number must be exactly 10 digits",
        ));
    }
    if !is_strong_password(password) {
        return Err(ApiError::bad_request(WEAK_PASSWORD));
    }
    if !is_plausible_email(email) {
        return Err(ApiError::bad_request("Please enter a valid email address"));
    }
    if name.chars().count() > 200
        || body
            .shop_name
            .as_deref()
            .is_some_and(|s| s.chars().count() > 200)
    {
        return Err(ApiError::bad_request(
            "name and shopName must be at most 200 characters",
        ));
    }
    let key = email_key(email);
    limits::spend(&state, Budget::Register, ip, Some(&key)).await?;
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(ApiError::internal)?;
    let email = email.to_lowercase();
    let shop_name = body.shop_name.as_deref().map(str::trim).unwrap_or("");
    let id = ObjectId::new().to_hex();
    let device_id =
        cookie::read(&headers, &state.keys.cookie_key).unwrap_or_else(cookie::new_device_id);
    let origin = Origin::new(&device_id, ip, &headers);
    let now = now_ms();
    let timezone = state.settings.shop_timezone.clone();
    let started = store::transact!(state.db, ApiError, |tx| {
        let new_user = store::users::NewUser {
            id: &id,
            email: &email,
            email_key: &key,
            name,
            password_hash: &hash,
            phone,
            shop_name,
            timezone: &timezone,
            now,
        };
        store::users::insert(tx, &new_user)
            .await
            .map_err(|e| match e {
                StoreError::Unique { .. } => ApiError::bad_request("User already exists"),
                other => other.into(),
            })?;
        let user = store::users::find_live(tx, &id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user vanished")))?;
        let started = sessions::start(&state, tx, &id, &origin, now).await?;
        Ok::<_, ApiError>((user, started))
    })?;
    let (user, tokens) = started;
    let body = LoginJson {
        user: UserJson::from(&user),
        token: tokens.access_token,
        refresh_token: tokens.refresh_token,
    };
    let response = (StatusCode::CREATED, JsonResponse(body)).into_response();
    Ok(with_cookie(
        response,
        &cookie::set(&state.settings, &state.keys.cookie_key, &device_id),
    ))
}

#[derive(Deserialize)]
pub struct CredentialsBody {
    email: Option<String>,
    password: Option<String>,
}

/// Verifies credentials with lockout and rate limiting: a locked key answers 423 before any limit
/// is counted; a wrong password (or unknown e-mail) counts one failure and answers 401.
async fn check_credentials(
    state: &AppState,
    budget: Budget,
    ip: std::net::IpAddr,
    email: &str,
    password: &str,
) -> Result<(store::users::UserRow, Verdict), ApiError> {
    let key = email_key(email);
    let now = now_ms();
    if let Some(until) = store::throttles::locked_until(state.db.reader(), &key, now).await? {
        return Err(locked(until));
    }
    limits::spend(state, budget, ip, Some(&key)).await?;
    let user = store::users::find_by_email_key(state.db.reader(), &key).await?;
    let verdict = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
        .map_err(ApiError::internal)?;
    match (user, verdict) {
        (Some(user), verdict @ (Verdict::Match | Verdict::MatchNeedsUpgrade(_))) => {
            Ok((user, verdict))
        }
        _ => {
            let failures = state.settings.lockout_failures;
            let lock_ms = state.settings.lockout_duration.as_millis() as i64;
            let failure = store::transact!(state.db, ApiError, |tx| {
                store::throttles::record_failure(tx, &key, now, failures, lock_ms)
                    .await
                    .map_err(ApiError::from)
            })?;
            match failure {
                // A parallel attempt locked the account while this password was being checked.
                store::throttles::Failure::AlreadyLocked(until) => Err(locked(until)),
                _ => Err(ApiError::unauthorized(INVALID_CREDENTIALS)),
            }
        }
    }
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<CredentialsBody>,
) -> Result<Response, ApiError> {
    let (Some(email), Some(password)) = (
        given(&body.email),
        body.password.as_deref().filter(|p| !p.is_empty()),
    ) else {
        return Err(ApiError::bad_request("Please enter email and password"));
    };
    let (user, verdict) = check_credentials(&state, Budget::Login, ip, email, password).await?;
    let device_id =
        cookie::read(&headers, &state.keys.cookie_key).unwrap_or_else(cookie::new_device_id);
    let origin = Origin::new(&device_id, ip, &headers);
    let now = now_ms();
    let key = email_key(email);
    let single_device = state.settings.single_device_sessions;
    let tokens = store::transact!(state.db, ApiError, |tx| {
        // Re-checked here: a parallel wrong attempt may have locked the account meanwhile.
        if let Some(until) = store::throttles::lock_in_force(tx, &key, now).await? {
            return Err(locked(until));
        }
        if single_device {
            let live = store::sessions::live_devices(tx, &user.id, now).await?;
            if live.iter().any(|d| *d != device_id) {
                return Err(ApiError::conflict(
                    "This account is currently active on another device.",
                )
                .with("deviceConflict", true));
            }
            store::sessions::revoke_device(tx, &user.id, &device_id, "replaced", now).await?;
        }
        store::throttles::clear(tx, &key).await?;
        if let Verdict::MatchNeedsUpgrade(hash) = &verdict {
            store::users::set_password_hash(tx, &user.id, hash, now).await?;
        }
        sessions::start(&state, tx, &user.id, &origin, now).await
    })?;
    state.sessions.forget_user(&user.id);
    let body = LoginJson {
        user: UserJson::from(&user),
        token: tokens.access_token,
        refresh_token: tokens.refresh_token,
    };
    let response = JsonResponse(body).into_response();
    Ok(with_cookie(
        response,
        &cookie::set(&state.settings, &state.keys.cookie_key, &device_id),
    ))
}

pub async fn force_logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<CredentialsBody>,
) -> Result<Response, ApiError> {
    let (Some(email), Some(password)) = (
        given(&body.email),
        body.password.as_deref().filter(|p| !p.is_empty()),
    ) else {
        return Err(ApiError::bad_request(INVALID_CREDENTIALS));
    };
    let (user, _) = check_credentials(&state, Budget::ForceLogout, ip, email, password).await?;
    let now = now_ms();
    let email_key = email_key(email);
    store::transact!(state.db, ApiError, |tx| {
        if let Some(until) = store::throttles::lock_in_force(tx, &email_key, now).await? {
            return Err(locked(until));
        }
        store::sessions::revoke_all(tx, &user.id, "force_logout", now)
            .await
            .map_err(ApiError::from)
    })?;
    state.sessions.forget_user(&user.id);
    let response =
        JsonResponse(json!({"message": "All sessions revoked successfully. You can now log in from this device."}))
            .into_response();
    Ok(with_cookie(response, &cookie::clear(&state.settings)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshBody {
    refresh_token: Option<String>,
}

pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshBody>,
) -> Result<Response, ApiError> {
    let Some(presented) = given(&body.refresh_token) else {
        return Err(ApiError::bad_request("Refresh token is required"));
    };
    let presented_hash = hash_token(presented);
    let (next_token, next_hash) = new_refresh_token();
    let now = now_ms();
    let expires_at = now + state.settings.refresh_token_ttl.as_millis() as i64;
    let outcome = store::transact!(state.db, ApiError, |tx| {
        let rotation = store::sessions::rotate_refresh_token(
            tx,
            &presented_hash,
            &ObjectId::new().to_hex(),
            &next_hash,
            now,
            expires_at,
        )
        .await?;
        let Rotation::Rotated {
            session_id,
            user_id,
        } = rotation
        else {
            return Ok::<_, ApiError>(Err(rotation));
        };
        let Some(user) = store::users::find_live(tx, &user_id).await? else {
            return Ok(Err(Rotation::Dead));
        };
        Ok(Ok((user, session_id)))
    })?;
    match outcome {
        Ok((user, session_id)) => {
            let access = sessions::access_token(&state, &user.id, &session_id, now)?;
            let body = RefreshJson {
                token: access.clone(),
                access_token: access,
                refresh_token: next_token,
                user: UserJson::from(&user),
            };
            Ok(JsonResponse(body).into_response())
        }
        Err(Rotation::Unknown) => Err(ApiError::unauthorized("Invalid refresh token")),
        Err(Rotation::Reused { user_id }) => {
            state.sessions.forget_user(&user_id);
            Err(ApiError::unauthorized(
                "Refresh token was already used; the session has been revoked",
            )
            .with("sessionExpired", true))
        }
        Err(_) => {
            Err(ApiError::unauthorized("Refresh token expired or revoked")
                .with("sessionExpired", true))
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<RefreshBody>,
) -> Result<Response, ApiError> {
    let Some(presented) = given(&body.refresh_token) else {
        return Err(ApiError::bad_request("Refresh token is required"));
    };
    let hash = hash_token(presented);
    let now = now_ms();
    let session_id = store::transact!(state.db, ApiError, |tx| {
        let Some(session_id) =
            store::sessions::session_of_refresh_token(tx, &hash, auth.tenant()).await?
        else {
            return Err(ApiError::not_found("Refresh token not found"));
        };
        store::sessions::revoke(tx, &session_id, "revoked", now).await?;
        Ok(session_id)
    })?;
    state.sessions.forget_user(auth.tenant());
    let response =
        JsonResponse(json!({"message": "Refresh token revoked successfully"})).into_response();
    Ok(if session_id == auth.session_id {
        with_cookie(response, &cookie::clear(&state.settings))
    } else {
        response
    })
}

pub async fn revoke_all(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Response, ApiError> {
    let now = now_ms();
    store::transact!(state.db, ApiError, |tx| {
        store::sessions::revoke_all(tx, auth.tenant(), "revoke_all", now)
            .await
            .map_err(ApiError::from)
    })?;
    state.sessions.forget_user(auth.tenant());
    let response =
        JsonResponse(json!({"message": "All refresh tokens revoked successfully"})).into_response();
    Ok(with_cookie(response, &cookie::clear(&state.settings)))
}

/// Ends the caller's session. A token whose session is already over still answers 200, so a
/// repeated logout is harmless; an expired token's session is ended all the same.
pub async fn logout(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
) -> Result<Response, ApiError> {
    let token =
        bearer(&parts).ok_or_else(|| ApiError::unauthorized("Not authorized, token missing"))?;
    let claims = state
        .keys
        .verify_ignoring_expiry(token)
        .ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))?;
    let now = now_ms();
    store::transact!(state.db, ApiError, |tx| {
        store::sessions::revoke_own(tx, &claims.sid, &claims.id, "logout", now)
            .await
            .map_err(ApiError::from)
    })?;
    state.sessions.forget_user(&claims.id);
    let response = JsonResponse(json!({"message": "Logged out successfully"})).into_response();
    Ok(with_cookie(response, &cookie::clear(&state.settings)))
}

/// The original issued CSRF tokens nothing checked; bizzai authenticates by Bearer header only,
/// which a cross-site form cannot send, so the token is informational.
pub async fn csrf_token(_auth: AuthUser) -> impl IntoResponse {
    let bytes: [u8; 32] = rand::random();
    JsonResponse(json!({"csrfToken": hex::encode(bytes)}))
}

#[derive(Deserialize)]
pub struct ForgotBody {
    email: Option<String>,
}

const RESET_SENT: &str = "If this email exists, a reset link has been sent";

/// Answers the same 200 for known and unknown addresses; for a known one the reset e-mail job is
/// queued (the job creates the token).
pub async fn forgot_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<ForgotBody>,
) -> Result<Response, ApiError> {
    let Some(email) = given(&body.email) else {
        return Err(ApiError::bad_request("Email is required"));
    };
    let key = email_key(email);
    limits::spend(&state, Budget::Forgot, ip, Some(&key)).await?;
    if let Some(user) = store::users::find_by_email_key(state.db.reader(), &key).await? {
        let job = jobs::NewJob::new(
            crate::background::EMAIL,
            crate::background::password_reset::KIND,
            json!({"userId": user.id}),
        )
        .tenant(&user.id)
        .unique(format!("password-reset:{}", user.id));
        store::transact!(state.db, ApiError, |tx| {
            state.jobs.enqueue(tx, &job).await.map_err(ApiError::from)
        })?;
        state.jobs.wake(crate::background::EMAIL);
    }
    Ok(JsonResponse(json!({"message": RESET_SENT})).into_response())
}

#[derive(Deserialize)]
pub struct ResetBody {
    token: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

/// Sets a new password with a reset token: single use, one hour, and every session of the
/// account ends (a reset usually means the old password leaked).
pub async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<ResetBody>,
) -> Result<Response, ApiError> {
    let (Some(token), Some(email), Some(password)) = (
        given(&body.token),
        given(&body.email),
        body.password.as_deref().filter(|p| !p.is_empty()),
    ) else {
        return Err(ApiError::bad_request(
            "Token, email and new password are required",
        ));
    };
    if !is_strong_password(password) {
        return Err(ApiError::bad_request(WEAK_PASSWORD));
    }
    let key = email_key(email);
    limits::spend(&state, Budget::Reset, ip, Some(&key)).await?;
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(ApiError::internal)?;
    let token_hash = hash_token(token);
    let now = now_ms();
    let user_id = store::transact!(state.db, ApiError, |tx| {
        let Some(user_id) = store::reset_tokens::consume(tx, &token_hash, &key, now).await? else {
            return Err(ApiError::bad_request("Invalid or expired reset token"));
        };
        store::users::set_password_hash(tx, &user_id, &hash, now).await?;
        store::sessions::revoke_all(tx, &user_id, "password_reset", now).await?;
        store::throttles::clear(tx, &key).await?;
        Ok(user_id)
    })?;
    state.sessions.forget_user(&user_id);
    Ok(
        JsonResponse(json!({"message": "Password reset successful. Please log in."}))
            .into_response(),
    )
}
