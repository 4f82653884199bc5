//! The `Idempotency-Key` header on money-moving endpoints: replay of the first response for the
//! same body, 422 for another body, 409 while the first is still running, 5xx frees the key.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use store::idempotency::{Begin, KeyScope};

use crate::error::ApiError;
use crate::state::AppState;

/// An in-progress marker older than this is taken over (SPEC: 60 s).
const STALE_MS: i64 = 60_000;

/// The key of this request, if it has one, claimed or answered.
pub enum Claim {
    /// No key: run as usual.
    None,
    /// Run, then record the response with [`finish`].
    Run(KeyScope),
    /// Already answered: send this.
    Answer(Response),
}

/// Canonical JSON (object keys sorted) hashed, so formatting and key order do not matter.
fn request_hash(body: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

pub async fn claim(
    state: &AppState,
    tenant: &str,
    method: &str,
    route: &str,
    headers: &HeaderMap,
    body: &serde_json::Value,
) -> Result<Claim, ApiError> {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Ok(Claim::None);
    };
    if key.len() > 255 {
        return Err(ApiError::bad_request(
            "Idempotency-Key must be at most 255 characters",
        ));
    }
    let now = store::now_ms();
    let scope = KeyScope {
        tenant_id: tenant.to_owned(),
        method: method.to_owned(),
        route: route.to_owned(),
        key: key.to_owned(),
        request_hash: request_hash(body),
        claimed_at: now,
    };
    match store::idempotency::begin(&state.db, &scope, now, STALE_MS).await? {
        Begin::Run => Ok(Claim::Run(scope)),
        Begin::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = (status, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            response.headers_mut().insert(
                "idempotent-replayed",
                header::HeaderValue::from_static("true"),
            );
            Ok(Claim::Answer(response))
        }
        Begin::Mismatch => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key was already used with a different request body",
        )),
        Begin::InFlight => Err(ApiError::conflict(
            "A request with this Idempotency-Key is still being processed",
        )),
    }
}

/// After the operation failed: a 4xx is stored (and replayed later), a 5xx frees the key.
pub async fn after_error(state: &AppState, scope: &KeyScope, error: &ApiError) {
    if error.status().is_client_error() {
        let body = error.body_json().to_string();
        let stored = async {
            let mut tx = state.db.begin().await?;
            store::idempotency::complete(
                &mut tx,
                scope,
                error.status().as_u16(),
                &body,
                store::now_ms(),
            )
            .await?;
            tx.commit().await.map_err(store::StoreError::from)
        }
        .await;
        if let Err(e) = stored {
            tracing::warn!(error = %e, "could not store a refused request's idempotency key");
        }
    } else if let Err(e) = store::idempotency::release(&state.db, scope).await {
        tracing::warn!(error = %e, "could not release an idempotency key");
    }
}

/// Runs `operation` under the request's `Idempotency-Key`, if it has one: a replay or a refusal
/// of the key answers without running it; after a failure the key is stored (4xx) or freed
/// (5xx). The operation gets the claimed scope to complete inside its own transaction.
pub async fn run<F, Fut>(
    state: &AppState,
    tenant: &str,
    method: &str,
    route: &str,
    headers: &HeaderMap,
    body: &serde_json::Value,
    operation: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(Option<KeyScope>) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let scope = match claim(state, tenant, method, route, headers, body).await? {
        Claim::None => None,
        Claim::Run(scope) => Some(scope),
        Claim::Answer(response) => return Ok(response),
    };
    let outcome = operation(scope.clone()).await;
    if let (Err(e), Some(scope)) = (&outcome, &scope) {
        after_error(state, scope, e).await;
    }
    outcome
}
