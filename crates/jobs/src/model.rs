//! Jobs as stored and as handlers see them.

use std::time::Duration;

use serde::Serialize;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Waiting,
    Active,
    Completed,
    /// Failed an attempt; will be retried at `run_at`.
    Failed,
    /// Attempts exhausted or unrecoverable; only the CLI brings it back.
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Active => "active",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "waiting" => Status::Waiting,
            "active" => Status::Active,
            "completed" => Status::Completed,
            "failed" => Status::Failed,
            "dead" => Status::Dead,
            _ => return None,
        })
    }

    pub const ALL: [Status; 5] = [
        Status::Waiting,
        Status::Active,
        Status::Completed,
        Status::Failed,
        Status::Dead,
    ];
}

/// A job to enqueue. Unset options take the queue's defaults.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub tenant_id: Option<String>,
    pub max_attempts: Option<i64>,
    pub backoff: Option<Duration>,
    /// Run no earlier than this (epoch ms); default now.
    pub run_at: Option<i64>,
    /// Higher runs first.
    pub priority: i64,
    /// While a job with this key is not finished, enqueueing another is a no-op returning it.
    pub unique_key: Option<String>,
}

impl NewJob {
    pub fn new(queue: &str, kind: &str, payload: serde_json::Value) -> NewJob {
        NewJob {
            queue: queue.to_owned(),
            kind: kind.to_owned(),
            payload,
            tenant_id: None,
            max_attempts: None,
            backoff: None,
            run_at: None,
            priority: 0,
            unique_key: None,
        }
    }

    pub fn tenant(mut self, tenant_id: &str) -> NewJob {
        self.tenant_id = Some(tenant_id.to_owned());
        self
    }

    pub fn unique(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: i64) -> NewJob {
        self.max_attempts = Some(n);
        self
    }

    pub fn backoff(mut self, d: Duration) -> NewJob {
        self.backoff = Some(d);
        self
    }

    pub fn delay(mut self, d: Duration) -> NewJob {
        self.run_at = Some(store::now_ms() + d.as_millis() as i64);
        self
    }

    pub fn priority(mut self, p: i64) -> NewJob {
        self.priority = p;
        self
    }
}

/// A stored job, as the CLI and `GET /api/jobs/:id` show it (never its payload).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub queue: String,
    pub kind: String,
    pub status: String,
    pub priority: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub result: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// Why a job's attempt failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (a connection refused, a 4xx SMTP reply).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (a rejected recipient, a malformed payload): straight to `dead`.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    pub fn retry(message: impl std::fmt::Display) -> JobError {
        JobError::Retry(message.to_string())
    }
    pub fn permanent(message: impl std::fmt::Display) -> JobError {
        JobError::Permanent(message.to_string())
    }
}

/// `lastError` is one short line without control characters.
pub fn sanitize_error(message: &str) -> String {
    let line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line
    }
}
