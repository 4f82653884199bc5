//! Workers: per-queue claim loops with bounded concurrency, lease renewal, batched recording of
//! outcomes, stalled-job recovery, the periodic scheduler, and graceful shutdown.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use store::Db;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::{AbortHandle, JoinHandle};

use crate::model::JobError;
use crate::queue::{self, Claimed, Defaults, Outcome};
use crate::schedule::{self, Periodic};
use crate::wake::Wakers;

/// What a handler gets: the job's identity and its payload (never logged).
#[derive(Debug, Clone)]
pub struct JobContext {
    pub id: String,
    pub tenant_id: Option<String>,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 for the first attempt.
    pub attempt: i64,
    pub max_attempts: i64,
    /// The instance running this attempt.
    pub worker_id: String,
}

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<serde_json::Value, JobError>> + Send>>;
/// Runs one attempt of a job kind. Handlers must be idempotent: delivery is at least once.
pub type Handler = Arc<dyn Fn(JobContext) -> HandlerFuture + Send + Sync>;

/// A queue and how many of its jobs may run at once in this instance.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub name: String,
    pub concurrency: usize,
    pub defaults: Defaults,
}

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    pub lease: Duration,
    pub renew_every: Duration,
    pub poll_interval: Duration,
    pub reaper_interval: Duration,
    pub scheduler_interval: Duration,
    /// Most jobs claimed (and outcomes recorded) in one transaction.
    pub batch: usize,
    /// Identifies this instance in `jobs.worker_id`.
    pub worker_id: String,
    /// Listen for cross-instance wake-ups on this PostgreSQL URL.
    pub postgres_url: Option<String>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            lease: Duration::from_secs(30),
            renew_every: Duration::from_secs(10),
            poll_interval: Duration::from_millis(500),
            reaper_interval: Duration::from_secs(5),
            scheduler_interval: Duration::from_secs(1),
            batch: 64,
            worker_id: format!("{}-{}", std::process::id(), domain::ObjectId::new()),
            postgres_url: None,
        }
    }
}

pub struct Runner {
    db: Db,
    config: RunnerConfig,
    queues: Vec<QueueConfig>,
    handlers: HashMap<String, Handler>,
    periodic: Vec<Periodic>,
    wakers: Wakers,
}

type Running = Arc<Mutex<HashMap<String, (Claimed, Option<AbortHandle>)>>>;

struct Finished {
    job: Claimed,
    outcome: Outcome,
    /// The lease renewal of this attempt, stopped once the outcome is recorded.
    renewal: Option<AbortHandle>,
}

/// The started workers; [`RunningJobs::shutdown`] stops them.
pub struct RunningJobs {
    stop: watch::Sender<bool>,
    loops: Vec<JoinHandle<()>>,
    running: Running,
    finisher: Option<(mpsc::UnboundedSender<Finished>, JoinHandle<()>)>,
}

impl Runner {
    pub fn new(db: Db, config: RunnerConfig, wakers: Wakers) -> Runner {
        Runner {
            db,
            config,
            queues: Vec::new(),
            handlers: HashMap::new(),
            periodic: Vec::new(),
            wakers,
        }
    }

    pub fn queue(mut self, queue: QueueConfig) -> Runner {
        self.queues.push(queue);
        self
    }

    pub fn handle(mut self, kind: &str, handler: Handler) -> Runner {
        self.handlers.insert(kind.to_owned(), handler);
        self
    }

    pub fn every(mut self, periodic: Periodic) -> Runner {
        self.periodic.push(periodic);
        self
    }

    /// Spawns a claim loop per queue, the outcome recorder, the stalled-job reaper and the scheduler.
    pub fn start(self) -> RunningJobs {
        let (stop, stop_rx) = watch::channel(false);
        let running: Running = Arc::new(Mutex::new(HashMap::new()));
        let (finish_tx, finish_rx) = mpsc::unbounded_channel::<Finished>();
        let finisher = tokio::spawn(record_outcomes(
            self.db.clone(),
            finish_rx,
            self.config.batch,
        ));
        let handlers = Arc::new(self.handlers);
        let mut loops = Vec::new();
        if let Some(url) = &self.config.postgres_url {
            self.wakers.listen_postgres(url.clone(), stop_rx.clone());
        }
        for queue in &self.queues {
            loops.push(tokio::spawn(claim_loop(
                self.db.clone(),
                self.config.clone(),
                queue.clone(),
                handlers.clone(),
                self.wakers.clone(),
                running.clone(),
                finish_tx.clone(),
                stop_rx.clone(),
            )));
        }
        loops.push(tokio::spawn(reaper(
            self.db.clone(),
            self.config.reaper_interval,
            stop_rx.clone(),
        )));
        let defaults: HashMap<String, Defaults> = self
            .queues
            .iter()
            .map(|q| (q.name.clone(), q.defaults))
            .collect();
        loops.push(tokio::spawn(scheduler(
            self.db.clone(),
            self.periodic,
            defaults,
            self.config.scheduler_interval,
            self.wakers.clone(),
            stop_rx,
        )));
        RunningJobs {
            stop,
            loops,
            running,
            finisher: Some((finish_tx, finisher)),
        }
    }
}

impl RunningJobs {
    /// Stops claiming, waits up to `deadline` for running jobs, hands back what is still running
    /// (not counted as an attempt), and records every outcome before returning.
    pub async fn shutdown(mut self, deadline: Duration) {
        let _ = self.stop.send(true);
        for l in self.loops.drain(..) {
            let _ = l.await;
        }
        let started = tokio::time::Instant::now();
        while started.elapsed() < deadline
            && self.running.lock().map(|r| !r.is_empty()).unwrap_or(false)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let leftovers: Vec<(Claimed, Option<AbortHandle>)> = self
            .running
            .lock()
            .map(|mut r| r.drain().map(|(_, v)| v).collect())
            .unwrap_or_default();
        if let Some((tx, finisher)) = self.finisher.take() {
            for (job, abort) in leftovers {
                if let Some(abort) = abort {
                    abort.abort();
                }
                tracing::warn!(job_id = %job.id, kind = %job.kind, "job still running at shutdown: released for another attempt");
                let _ = tx.send(Finished {
                    job,
                    outcome: Outcome::Released,
                    renewal: None,
                });
            }
            drop(tx);
            let _ = finisher.await;
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn claim_loop(
    db: Db,
    config: RunnerConfig,
    queue: QueueConfig,
    handlers: Arc<HashMap<String, Handler>>,
    wakers: Wakers,
    running: Running,
    finished: mpsc::UnboundedSender<Finished>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(queue.concurrency.max(1)));
    let notify = wakers.of(&queue.name);
    loop {
        if *stop.borrow() {
            return;
        }
        let first = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => return },
            _ = stop.changed() => return,
        };
        let mut permits = vec![first];
        while permits.len() < config.batch {
            match slots.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        let claimed = match queue::claim(
            &db,
            &queue.name,
            &config.worker_id,
            permits.len() as i64,
            config.lease,
        )
        .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(queue = %queue.name, error = %e, "claiming jobs failed");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            drop(permits);
            tokio::select! {
                _ = notify.notified() => {}
                _ = tokio::time::sleep(config.poll_interval) => {}
                _ = stop.changed() => return,
            }
            continue;
        }
        for (job, permit) in claimed.into_iter().zip(permits) {
            let handler = handlers.get(&job.kind).cloned();
            // Registered before the task starts, so a fast task always finds its entry to remove.
            if let Ok(mut r) = running.lock() {
                r.insert(job.id.clone(), (job.clone(), None));
            }
            let id = job.id.clone();
            let task = tokio::spawn(run_one(
                db.clone(),
                config.clone(),
                job,
                handler,
                running.clone(),
                finished.clone(),
                permit,
            ));
            if let Ok(mut r) = running.lock()
                && let Some(entry) = r.get_mut(&id)
            {
                entry.1 = Some(task.abort_handle());
            }
        }
    }
}

async fn run_one(
    db: Db,
    config: RunnerConfig,
    job: Claimed,
    handler: Option<Handler>,
    running: Running,
    finished: mpsc::UnboundedSender<Finished>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    // Renewal runs beside the handler (never blocking it: the handler may hold the database's
    // only writer) and until the outcome is recorded.
    let (lost_tx, mut lost_rx) = oneshot::channel::<()>();
    let renewal = spawn_renewal(db, config.clone(), job.clone(), lost_tx);
    let outcome = match (
        handler,
        serde_json::from_str::<serde_json::Value>(&job.payload),
    ) {
        (None, _) => Outcome::Failed {
            error: format!("no handler for job kind {}", job.kind),
            permanent: true,
        },
        (_, Err(_)) => Outcome::Failed {
            error: "payload is not valid JSON".into(),
            permanent: true,
        },
        (Some(handler), Ok(payload)) => {
            let ctx = JobContext {
                id: job.id.clone(),
                tenant_id: job.tenant_id.clone(),
                kind: job.kind.clone(),
                payload,
                attempt: job.attempts,
                max_attempts: job.max_attempts,
                worker_id: config.worker_id.clone(),
            };
            let work = AssertUnwindSafe(handler(ctx)).catch_unwind();
            let result = tokio::select! {
                result = work => result,
                Ok(()) = &mut lost_rx => {
                    // Another worker owns the job now: stop, so it never runs twice at once.
                    tracing::warn!(job_id = %job.id, kind = %job.kind, "lease lost; abandoning this attempt");
                    if let Ok(mut r) = running.lock() {
                        r.remove(&job.id);
                    }
                    return;
                }
            };
            match result {
                Ok(Ok(value)) => Outcome::Completed { result: value },
                Ok(Err(JobError::Retry(e))) => Outcome::Failed {
                    error: e,
                    permanent: false,
                },
                Ok(Err(JobError::Permanent(e))) => Outcome::Failed {
                    error: e,
                    permanent: true,
                },
                Err(_) => Outcome::Failed {
                    error: "handler panicked".into(),
                    permanent: false,
                },
            }
        }
    };
    if let Outcome::Failed { error, permanent } = &outcome {
        tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, permanent, error = %crate::model::sanitize_error(error), "job attempt failed");
    }
    let id = job.id.clone();
    let _ = finished.send(Finished {
        job,
        outcome,
        renewal: Some(renewal.abort_handle()),
    });
    if let Ok(mut r) = running.lock() {
        r.remove(&id);
    }
}

/// Renews `job`'s lease every `renew_every` until aborted; reports a lost lease once and stops.
fn spawn_renewal(
    db: Db,
    config: RunnerConfig,
    job: Claimed,
    lost: oneshot::Sender<()>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.renew_every);
        tick.tick().await;
        loop {
            tick.tick().await;
            match queue::renew(&db, &job, config.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    let _ = lost.send(());
                    return;
                }
                Err(e) => tracing::warn!(job_id = %job.id, error = %e, "renewing a lease failed"),
            }
        }
    })
}

/// Records outcomes in batches: one transaction for everything that finished meanwhile. Leases
/// are renewed until then, so a slow database cannot make a finished job look stalled.
async fn record_outcomes(db: Db, mut rx: mpsc::UnboundedReceiver<Finished>, batch: usize) {
    while let Some(first) = rx.recv().await {
        let mut items = vec![first];
        while items.len() < batch.max(1) {
            match rx.try_recv() {
                Ok(item) => items.push(item),
                Err(_) => break,
            }
        }
        let mut attempt: u64 = 0;
        loop {
            attempt += 1;
            match record(&db, &items).await {
                Ok(()) => break,
                Err(e) if attempt < 30 => {
                    tracing::warn!(error = %e, "recording job outcomes failed; retrying");
                    tokio::time::sleep(Duration::from_millis((100 * attempt).min(1000))).await;
                }
                Err(e) => {
                    // The jobs stay active; once their leases lapse the reaper hands them out again.
                    tracing::error!(error = %e, "recording job outcomes failed; the jobs will be recovered after their lease");
                    break;
                }
            }
        }
        for item in &items {
            if let Some(renewal) = &item.renewal {
                renewal.abort();
            }
        }
    }
}

async fn record(db: &Db, items: &[Finished]) -> Result<(), store::StoreError> {
    let mut tx = db.begin().await?;
    for item in items {
        if !queue::finish(&mut tx, &item.job, &item.outcome).await? {
            tracing::warn!(job_id = %item.job.id, "outcome refused: the lease of this attempt had expired and the job was taken over");
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn reaper(db: Db, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        match queue::recover_stalled(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(count = n, "recovered stalled jobs whose lease expired"),
            Err(e) => tracing::warn!(error = %e, "stalled-job recovery failed"),
        }
    }
}

async fn scheduler(
    db: Db,
    periodic: Vec<Periodic>,
    defaults: HashMap<String, Defaults>,
    every: Duration,
    wakers: Wakers,
    mut stop: watch::Receiver<bool>,
) {
    if periodic.is_empty() {
        return;
    }
    loop {
        for p in &periodic {
            let d = defaults.get(&p.queue).copied().unwrap_or_default();
            match schedule::tick(&db, p, d).await {
                Ok(Some(_)) => wakers.wake(&p.queue),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(schedule = %p.name, error = %e, "periodic job check failed")
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
