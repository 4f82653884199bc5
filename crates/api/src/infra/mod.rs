//! Connections to infrastructure the API can live without (Redis).

pub mod redis;
