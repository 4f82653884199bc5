//! `AuthUser`: the Bearer token alone authenticates; the session it names must be live.

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use store::users::UserRow;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated shop (tenant) and the session of this request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: std::sync::Arc<UserRow>,
    pub session_id: String,
}

impl AuthUser {
    /// The tenant id every store call of this request is scoped to.
    pub fn tenant(&self) -> &str {
        &self.user.id
    }
}

/// The raw Bearer token, if the header has one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token =
            bearer(parts).ok_or_else(|| ApiError::unauthorized("Not authorized, token missing"))?;
        let claims = state
            .keys
            .verify(token)
            .ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))?;
        let now = store::now_ms();
        if let Some(user) = state.sessions.get(&claims.sid, &claims.id, now) {
            return Ok(AuthUser {
                user,
                session_id: claims.sid,
            });
        }
        let ticket = state.sessions.ticket();
        let live = store::sessions::authenticate(state.db.reader(), &claims.sid, &claims.id, now)
            .await?
            .ok_or_else(|| ApiError::unauthorized("Invalid or expired token"))?;
        let user = std::sync::Arc::new(live.user);
        state
            .sessions
            .fill(ticket, &claims.sid, user.clone(), live.session_expires_at);
        Ok(AuthUser {
            user,
            session_id: claims.sid,
        })
    }
}
