//! Work outside the request: the job kinds bizzai runs and the handle handlers use to enqueue.

pub mod invoice_documents;
pub mod maintenance;
pub mod password_reset;
pub mod send_email;
pub mod test_kinds;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jobs::queue::{self, Defaults, Enqueued};
use jobs::schedule::Periodic;
use jobs::wake::Wakers;
use jobs::{NewJob, QueueConfig, Runner, RunnerConfig};
use sqlx::AnyConnection;
use store::{Backend, Db, StoreError};

use crate::mail::Mailer;

pub const EMAIL: &str = "email";
pub const PDF: &str = "pdf";
pub const MAINTENANCE: &str = "maintenance";
pub const TEST: &str = "test";

/// Queue settings from the configuration.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub lease: Duration,
    pub renew_every: Duration,
    pub poll_interval: Duration,
    pub reaper_interval: Duration,
    pub queues: Vec<QueueConfig>,
    pub session_cleanup_interval: Duration,
    pub retention_interval: Duration,
    pub keep_completed: i64,
    pub keep_dead: i64,
    pub reset_token_ttl: Duration,
    /// Registers `test.noop` and `test.sleep` on queue `test` (tests and benchmarks).
    pub test_kinds: bool,
    /// Run workers in this process (off for CLI commands).
    pub enabled: bool,
}

/// What request handlers use to enqueue jobs inside their transaction and wake workers after it.
#[derive(Clone)]
pub struct JobQueue {
    backend: Backend,
    wakers: Wakers,
    defaults: Arc<HashMap<String, Defaults>>,
}

impl JobQueue {
    pub fn new(backend: Backend, settings: &JobSettings) -> JobQueue {
        let defaults = settings
            .queues
            .iter()
            .map(|q| (q.name.clone(), q.defaults))
            .collect();
        JobQueue {
            backend,
            wakers: Wakers::default(),
            defaults: Arc::new(defaults),
        }
    }

    pub async fn enqueue(
        &self,
        conn: &mut AnyConnection,
        job: &NewJob,
    ) -> Result<Enqueued, StoreError> {
        let defaults = self.defaults.get(&job.queue).copied().unwrap_or_default();
        queue::enqueue(conn, self.backend, job, defaults).await
    }

    /// Wakes this instance's workers of `queue`; call once the enqueueing transaction committed.
    pub fn wake(&self, queue: &str) {
        self.wakers.wake(queue);
    }

    pub fn wakers(&self) -> &Wakers {
        &self.wakers
    }
}

/// Everything a job handler may need.
pub struct WorkContext {
    pub db: Db,
    pub mailer: Mailer,
    pub frontend_url: String,
    pub reset_token_ttl: Duration,
    pub keep_completed: i64,
    pub keep_dead: i64,
    /// `None` when the fonts could not be loaded (PDF jobs then fail with that reason).
    pub fonts: Option<Arc<crate::pdf::Fonts>>,
}

/// The runner with every job kind and periodic job of bizzai registered.
pub fn runner(
    db: Db,
    queue: &JobQueue,
    settings: &JobSettings,
    context: WorkContext,
    postgres_url: Option<String>,
) -> Runner {
    let context = Arc::new(context);
    let config = RunnerConfig {
        lease: settings.lease,
        renew_every: settings.renew_every,
        poll_interval: settings.poll_interval,
        reaper_interval: settings.reaper_interval,
        postgres_url,
        ..RunnerConfig::default()
    };
    let mut runner = Runner::new(db, config, queue.wakers().clone());
    for q in &settings.queues {
        if q.name != TEST || settings.test_kinds {
            runner = runner.queue(q.clone());
        }
    }
    runner = runner
        .handle(send_email::KIND, send_email::handler(context.clone()))
        .handle(
            password_reset::KIND,
            password_reset::handler(context.clone()),
        )
        .handle(
            invoice_documents::PDF_KIND,
            invoice_documents::pdf_handler(context.clone()),
        )
        .handle(
            invoice_documents::EMAIL_KIND,
            invoice_documents::email_handler(context.clone()),
        )
        .handle(maintenance::CLEANUP, maintenance::cleanup(context.clone()))
        .handle(
            maintenance::RETENTION,
            maintenance::retention(context.clone()),
        )
        .every(Periodic {
            name: "cleanup-expired".into(),
            interval: settings.session_cleanup_interval,
            queue: MAINTENANCE.into(),
            kind: maintenance::CLEANUP.into(),
        })
        .every(Periodic {
            name: "job-retention".into(),
            interval: settings.retention_interval,
            queue: MAINTENANCE.into(),
            kind: maintenance::RETENTION.into(),
        });
    if settings.test_kinds {
        runner = runner
            .handle(test_kinds::NOOP, test_kinds::noop())
            .handle(test_kinds::SLEEP, test_kinds::sleep());
    }
    runner
}
