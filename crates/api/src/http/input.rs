//! Small helpers for text fields of request bodies.

use crate::error::ApiError;

/// The field trimmed, refused (400 naming it) when longer than `max` characters.
pub fn trimmed(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.chars().count() > max => Err(ApiError::bad_request(format!(
            "{field} must be at most {max} characters"
        ))),
        other => Ok(other),
    }
}
