//! Path parameters: ids must be 24 hex characters, else a 400 with the resource's own message.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::ApiError;

/// The single `{id}` segment of a path, as text (validated by the handler, which knows the
/// resource's "Invalid … ID format" message).
pub struct IdParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("Invalid path parameter"))?;
        Ok(IdParam(id))
    }
}
