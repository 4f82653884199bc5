//! Health endpoints for probes: liveness, readiness (database and migrations; Redis only as
//! degraded), and a summary.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::responses::iso;
use crate::infra::redis::RedisState;
use crate::state::AppState;

pub async fn banner() -> &'static str {
    "🧾 Grocery Billing Software Backend is running..."
}

pub async fn live() -> Response {
    Json(json!({"status": "alive", "timestamp": iso(store::now_ms())})).into_response()
}

pub async fn health(State(state): State<AppState>) -> Response {
    Json(json!({
        "status": "ok",
        "timestamp": iso(store::now_ms()),
        "uptime": state.started.elapsed().as_secs_f64(),
        "version": state.settings.version,
        "environment": state.settings.environment,
    }))
    .into_response()
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let timestamp = iso(store::now_ms());
    let redis = match state.redis.state() {
        RedisState::NotConfigured => "not_configured",
        RedisState::Connected => "connected",
        RedisState::Degraded => "degraded",
    };
    let database_ok = tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping())
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false);
    if !database_ok {
        let body = json!({"status": "not_ready", "timestamp": timestamp,
            "checks": {"database": "disconnected", "redis": redis}});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let pending = state.db.pending_migrations().await.unwrap_or(usize::MAX);
    if pending > 0 {
        let body = json!({"status": "not_ready", "timestamp": timestamp,
            "checks": {"database": "connected", "migrations": "pending", "redis": redis}});
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    Json(json!({"status": "ready", "timestamp": timestamp,
        "checks": {"database": "connected", "migrations": "up_to_date", "redis": redis}}))
    .into_response()
}
