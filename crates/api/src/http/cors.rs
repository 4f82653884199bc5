//! CORS as the frontend needs it: credentials allowed, so the origin is echoed, never `*`.
//! A disallowed origin simply gets no CORS headers (the original answered 500).

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header, request::Parts};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// `allowed` are exact origins; outside production any `http://localhost:*` and
/// `http://127.0.0.1:*` is allowed too.
pub fn layer(allowed: Vec<String>, production: bool) -> CorsLayer {
    let allowed = Arc::new(allowed);
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, _: &Parts| {
                origin
                    .to_str()
                    .map(|o| is_allowed(o, &allowed, production))
                    .unwrap_or(false)
            },
        ))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotency-key"),
            header::IF_NONE_MATCH,
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            header::RETRY_AFTER,
            header::ETAG,
        ])
        .max_age(Duration::from_secs(86_400))
}

pub fn is_allowed(origin: &str, allowed: &[String], production: bool) -> bool {
    let origin = origin.trim_end_matches('/');
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    if production {
        return false;
    }
    ["http://localhost", "http://127.0.0.1"].iter().any(|host| {
        origin == *host
            || origin
                .strip_prefix(host)
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let allowed = vec!["https://shop.example".to_owned()];
        assert!(is_allowed("https://shop.example", &allowed, true));
        assert!(!is_allowed("https://evil.example", &allowed, true));
        assert!(!is_allowed("http://localhost:5173", &allowed, true));
        assert!(is_allowed("http://localhost:5173", &allowed, false));
        assert!(is_allowed("http://127.0.0.1:3000", &allowed, false));
        assert!(!is_allowed(
            "http://localhost.evil.example",
            &allowed,
            false
        ));
        assert!(!is_allowed("http://localhost:5173.evil", &allowed, false));
    }
}
