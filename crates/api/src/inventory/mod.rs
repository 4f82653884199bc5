//! `/api/inventory`: items with whitelisted fields, a stock ledger for every stock change, low
//! stock, scan, and alerts.

pub mod import;
pub mod input;
pub mod output;
pub mod routes;
