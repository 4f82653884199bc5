//! The settings the HTTP layer needs, typed once at start-up by the binary's configuration.

use std::time::Duration;

use ipnet::IpNet;

/// A secret that never appears in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `SameSite` attribute of the device cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

/// Cost of argon2id hashing. Production uses the OWASP defaults; tests use cheap parameters.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl HashCost {
    pub const PRODUCTION: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
    pub const TESTING: HashCost = HashCost {
        memory_kib: 256,
        iterations: 1,
    };
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub production: bool,
    pub jwt_secret: Secret,
    pub cookie_secret: Secret,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub single_device_sessions: bool,
    pub cookie_same_site: SameSite,
    pub trusted_proxies: Vec<IpNet>,
    /// Exact origins allowed for credentialed CORS (FRONTEND_URL, ALLOWED_ORIGINS, the dev servers).
    pub allowed_origins: Vec<String>,
    pub shop_timezone: String,
    pub body_limit: usize,
    pub import_max_bytes: usize,
    pub request_timeout: Duration,
    pub hash_cost: HashCost,
    /// Consecutive failures before an account locks, and for how long.
    pub lockout_failures: i64,
    pub lockout_duration: Duration,
    /// Requests per window for register, login and force-logout (per IP and per account).
    pub auth_rate_limit: u64,
    pub auth_rate_window: Duration,
    /// Requests per window for forgot- and reset-password.
    pub reset_rate_limit: u64,
    pub reset_rate_window: Duration,
    pub version: &'static str,
    pub environment: String,
}
