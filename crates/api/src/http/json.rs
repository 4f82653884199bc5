//! A JSON body extractor with the error policy of the API: wrong content type, malformed JSON,
//! wrong types and unknown enum values are 400s whose message names the field path; a body over
//! its limit is a 413.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` for request bodies.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::bad_request(
                "Content-Type must be application/json",
            ));
        }
        let bytes = super::body::read(req).await?;
        parse(&bytes).map(Json)
    }
}

/// Deserializes a body, reporting the path of the first offending field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request(format!(
                "Malformed JSON: {}",
                strip_position(&inner.to_string())
            ));
        }
        let detail = strip_position(&inner.to_string());
        if path == "." || path.is_empty() {
            ApiError::bad_request(format!("Invalid request body: {detail}"))
        } else {
            ApiError::bad_request(format!("{path}: {detail}")).with("field", path)
        }
    })?;
    de.end()
        .map_err(|_| ApiError::bad_request("Malformed JSON: trailing characters after the body"))?;
    Ok(value)
}

/// serde_json appends " at line 1 column 17"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
