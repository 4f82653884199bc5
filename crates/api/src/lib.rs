//! The HTTP API of bizzai (axum): routes, extractors, the error policy and middleware.
//!
//! `router::build` assembles every route in one readable list; each resource lives in its own
//! module with thin handlers that parse input into domain types, check the tenant, and call the
//! store in one transaction.

pub mod auth;
pub mod background;
pub mod cashbank;
pub mod customers;
pub mod due;
pub mod error;
pub mod health;
pub mod http;
pub mod idempotency;
pub mod infra;
pub mod inventory;
pub mod jobs_api;
pub mod mail;
pub mod pdf;
pub mod reports;
pub mod router;
pub mod sales;
pub mod settings;
pub mod state;
pub mod users;

pub use error::ApiError;
pub use settings::Settings;
pub use state::AppState;
