//! The durable job queue of bizzai, stored in the application database.
//!
//! A job is inserted with [`queue::enqueue`] inside the caller's business transaction, so a
//! committed sale always has its jobs and a rolled-back one never does. Workers ([`runner`])
//! claim jobs under a lease that they renew while running; each claim carries an attempt token,
//! so a worker whose lease expired and whose job was claimed again can no longer complete or fail
//! it. Failures are retried with exponential backoff and jitter ([`backoff`]) up to the job's
//! maximum attempts, then the job is `dead`. Periodic jobs ([`schedule`]) are started by exactly
//! one instance per period. Statuses: `waiting`, `active`, `completed`, `failed` (will retry),
//! `dead`.

pub mod backoff;
pub mod model;
pub mod queue;
pub mod runner;
pub mod schedule;
pub mod wake;

pub use model::{JobError, JobRow, NewJob, Status};
pub use runner::{Handler, JobContext, QueueConfig, Runner, RunnerConfig};
