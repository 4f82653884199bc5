//! Authentication: tokens, password hashing, the device cookie, lockout and rate limits, and the
//! `/api/auth` routes.

pub mod cookie;
pub mod extract;
pub mod jwt;
pub mod limits;
pub mod password;
pub mod rate_limit;
pub mod responses;
pub mod routes;
pub mod session_cache;
pub mod sessions;
