//! Request bodies read under a per-route limit.
//!
//! A body over its limit is refused with a 413, but what the client is still sending is drained
//! (bounded in bytes and time) before the answer goes out. Closing a socket with unread data makes
//! the kernel reset the connection, and an HTTP/1.1 client in the middle of its upload then sees
//! "broken pipe" instead of the 413 and its message; nginx drains for the same reason
//! (`lingering_close`).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use crate::error::ApiError;

/// The largest body a route accepts, set as a request extension by the router (an inner route's
/// layer overrides the router-wide one).
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// Used if a router forgot to set a limit.
const FALLBACK_LIMIT: usize = 1024 * 1024;
/// How much of a refused body is read and thrown away at most, and for how long.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The whole body as bytes, or a 413 once it is over the route's limit.
pub struct LimitedBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for LimitedBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        read(req).await.map(LimitedBytes)
    }
}

pub async fn read(req: Request) -> Result<Bytes, ApiError> {
    let limit = req
        .extensions()
        .get::<BodyLimit>()
        .map_or(FALLBACK_LIMIT, |l| l.0);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A client that asked `Expect: 100-continue` has sent nothing yet: reading the body would
    // invite the upload that is refused anyway.
    let waits_for_continue = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let body = req.into_body();
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        // Past the drain's own bound the connection is reset anyway: no point reading.
        if !waits_for_continue && n <= DRAIN_BYTES as u64 {
            drain(body).await;
        }
        return Err(too_large());
    }
    let mut chunks = body.into_data_stream();
    // What the client declares is reserved only up to a modest size: the bytes have to arrive.
    let reserve = declared.unwrap_or(0).min(64 * 1024) as usize;
    let mut collected = BytesMut::with_capacity(reserve);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("Could not read the request body"))?;
        if collected.len() + chunk.len() > limit {
            drain_stream(chunks).await;
            return Err(too_large());
        }
        collected.extend_from_slice(&chunk);
    }
    Ok(collected.freeze())
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large")
}

async fn drain(body: Body) {
    drain_stream(body.into_data_stream()).await;
}

async fn drain_stream(mut chunks: axum::body::BodyDataStream) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = chunks.next().await {
            seen += chunk.len();
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}
