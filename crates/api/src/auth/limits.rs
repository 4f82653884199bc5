//! The auth endpoints' limits: per client IP and per account, each endpoint its own budget.

use std::net::IpAddr;

use crate::error::ApiError;
use crate::state::AppState;

/// Which budget a request spends.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Register,
    Login,
    ForceLogout,
    Forgot,
    Reset,
}

impl Budget {
    fn name(self) -> &'static str {
        match self {
            Budget::Register => "register",
            Budget::Login => "login",
            Budget::ForceLogout => "force-logout",
            Budget::Forgot => "forgot",
            Budget::Reset => "reset",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Budget::Forgot | Budget::Reset => {
                "Too many password reset requests. Please try again later."
            }
            _ => "Too many login attempts. Please try again later.",
        }
    }
}

/// Spends one request of `budget` for the client IP and for the account (e-mail key); the first
/// one exhausted answers 429 with `Retry-After`.
pub async fn spend(
    state: &AppState,
    budget: Budget,
    ip: IpAddr,
    email_key: Option<&str>,
) -> Result<(), ApiError> {
    let s = &state.settings;
    let (limit, window) = match budget {
        Budget::Forgot | Budget::Reset => (s.reset_rate_limit, s.reset_rate_window),
        _ => (s.auth_rate_limit, s.auth_rate_window),
    };
    let ip_result = state
        .limiter
        .hit(&format!("{}:ip:{ip}", budget.name()), limit, window)
        .await;
    let account_result = match email_key {
        Some(key) if !key.is_empty() => {
            state
                .limiter
                .hit(&format!("{}:acct:{key}", budget.name()), limit, window)
                .await
        }
        _ => Ok(()),
    };
    match ip_result.and(account_result) {
        Ok(()) => Ok(()),
        Err(e) => Err(ApiError::too_many_requests(
            budget.message(),
            e.retry_after_secs,
        )),
    }
}
