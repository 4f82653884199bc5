//! `GET /api/jobs/:id`: a shop's own job (another shop's job is a 404), without its payload.

use axum::Json;
use axum::extract::State;
use domain::ObjectId;
use serde_json::{Value, json};

use crate::auth::extract::AuthUser;
use crate::auth::responses::iso;
use crate::error::ApiError;
use crate::http::path::IdParam;
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(id): IdParam,
) -> Result<Json<Value>, ApiError> {
    let id = ObjectId::parse(&id)
        .map_err(|_| ApiError::bad_request("Invalid job ID format"))?
        .to_hex();
    let job = jobs::queue::get_for_tenant(&state.db, &id, auth.tenant())
        .await?
        .ok_or_else(|| ApiError::not_found("Job not found"))?;
    let result = job
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
        .unwrap_or(Value::Null);
    Ok(Json(json!({
        "_id": job.id,
        "queue": job.queue,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "maxAttempts": job.max_attempts,
        "lastError": job.last_error,
        "result": result,
        "createdAt": iso(job.created_at),
        "finishedAt": job.finished_at.map(iso),
    })))
}
