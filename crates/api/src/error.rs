//! One error type with one policy: every failure becomes JSON with a `message`.
//!
//! A 4xx says what was wrong (naming the field); a 500 says only "Internal server error" and the
//! request id, while the cause goes to the log once.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use store::StoreError;

use crate::http::request_id::current_request_id;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Map<String, Value>,
    retry_after: Option<u64>,
    cause: Option<anyhow::Error>,
    /// Built from database contention: the transaction may be run again.
    retryable: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        let mut body = Map::new();
        body.insert("message".into(), Value::String(message.into()));
        ApiError {
            status,
            body,
            retry_after: None,
            cause: None,
            retryable: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
            .with("retryAfter", retry_after_secs);
        e.retry_after = Some(retry_after_secs);
        e
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// An unexpected failure: logged with its cause, answered as a bare 500.
    pub fn internal(cause: impl Into<anyhow::Error>) -> ApiError {
        let mut e = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
        e.cause = Some(cause.into());
        e
    }

    /// Adds a field to the JSON body (`lockedUntil`, `deviceConflict`, …).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.body.insert(key.into(), value.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body a client gets for a 4xx (what an idempotency key replays).
    pub fn body_json(&self) -> Value {
        Value::Object(self.body.clone())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) | StoreError::Raced | StoreError::GroupFailed(_) => {
                tracing::warn!(cause = ?std::error::Error::source(&e), "database contention persisted");
                let mut api =
                    ApiError::unavailable("Service temporarily unavailable. Please try again.");
                api.retryable = true;
                api
            }
            StoreError::Unavailable(_) => {
                tracing::warn!(cause = ?std::error::Error::source(&e), "database unavailable");
                ApiError::unavailable("Service temporarily unavailable. Please try again.")
            }
            StoreError::KeyTakenOver => {
                ApiError::conflict("A request with this Idempotency-Key is still being processed")
            }
            other => ApiError::internal(other),
        }
    }
}

impl store::db::Retryable for ApiError {
    fn is_retryable(&self) -> bool {
        self.retryable
    }
}

impl IntoResponse for ApiError {
    fn into_response(mut self) -> Response {
        if self.status.is_server_error() {
            let request_id = current_request_id();
            if let Some(cause) = &self.cause {
                tracing::error!(request_id = %request_id, error = ?cause, "request failed");
            }
            if self.status == StatusCode::INTERNAL_SERVER_ERROR {
                self.body = Map::new();
                self.body
                    .insert("message".into(), json!("Internal server error"));
            }
            self.body.insert("requestId".into(), json!(request_id));
        }
        let mut response = (self.status, axum::Json(Value::Object(self.body))).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
