//! The bizzai binary as a library: configuration, start-up and shutdown, so tests can start the
//! real application on a random port.

pub mod aggregates_cli;
pub mod config;
pub mod jobs_cli;
pub mod secrets;
pub mod seed_demo;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::App;
