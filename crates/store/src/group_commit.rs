//! Group commit for SQLite: write operations that arrive while a commit is in progress share the
//! next transaction, each inside its own savepoint.
//!
//! With `synchronous=FULL` every commit is an fsync (about a millisecond here), and SQLite has one
//! writer, so one transaction per sale caps a shop at roughly a thousand sales a second whatever
//! the CPU. A batch of operations shares one `BEGIN IMMEDIATE … COMMIT`: an operation that fails
//! is rolled back to its savepoint alone, the others commit together, and nobody gets an answer
//! before the commit that makes their writes durable. Atomicity per operation is unchanged.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use sqlx::{AnyConnection, AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::db::{MAX_ATTEMPTS, Retryable};
use crate::error::StoreError;
use crate::{Backend, Db};

/// A future borrowing the connection it runs on.
pub type ConnFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// How many operations one transaction takes at most (bounds the work a failure of the commit
/// itself sends back to be run again).
const MAX_BATCH: usize = 128;

type Run = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> ConnFuture<'c, bool> + Send>;

/// One queued operation: runs on the shared connection and says whether to keep its writes; is
/// told the outcome of the commit.
struct Job {
    run: Run,
    committed: oneshot::Sender<Result<(), String>>,
}

/// The queue in front of the SQLite writer connection.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl GroupCommit {
    /// Starts the task that runs batches on `writer` (the one-connection write pool). It ends
    /// when the last handle is dropped.
    pub fn start(writer: AnyPool) -> GroupCommit {
        let (jobs, queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(run_batches(writer, queue));
        GroupCommit { jobs }
    }
}

async fn run_batches(writer: AnyPool, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let (mut runs, mut told) = (Vec::new(), Vec::new());
        let mut next = Some(first);
        while let Some(job) = next.take() {
            // Nobody waits for it any more (the request timed out or the client left): do not
            // commit a sale whose caller was told it failed.
            if !job.committed.is_closed() {
                runs.push(job.run);
                told.push(job.committed);
            }
            if runs.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if runs.is_empty() {
            continue;
        }
        let outcome = run_batch(&writer, runs).await.map_err(|e| e.to_string());
        for committed in told {
            let _ = committed.send(outcome.clone());
        }
    }
}

/// Runs the operations in one transaction, each in its own savepoint; `Err` when the
/// transaction itself failed (then none of their writes exist).
async fn run_batch(writer: &AnyPool, runs: Vec<Run>) -> Result<(), StoreError> {
    let mut conn = writer.acquire().await?;
    conn.execute("BEGIN IMMEDIATE").await?;
    let mut result = Ok(());
    for run in runs {
        let step: Result<(), StoreError> = async {
            conn.execute("SAVEPOINT operation").await?;
            // A panicking operation is one that failed: its writes are rolled back.
            let keep = AssertUnwindSafe(run(&mut conn))
                .catch_unwind()
                .await
                .unwrap_or(false);
            if !keep {
                conn.execute("ROLLBACK TO operation").await?;
            }
            conn.execute("RELEASE operation").await?;
            Ok(())
        }
        .await;
        if let Err(e) = step {
            result = Err(e);
            break;
        }
    }
    if let Err(e) = result {
        let _ = conn.execute("ROLLBACK").await;
        return Err(e);
    }
    if let Err(e) = conn.execute("COMMIT").await {
        let _ = conn.execute("ROLLBACK").await;
        return Err(e.into());
    }
    Ok(())
}

impl Db {
    /// Runs `operation` as one atomic write and commits it, retrying contention like
    /// [`crate::transact!`]. On SQLite operations that arrive together share one commit (see
    /// the module docs); on PostgreSQL each runs in its own transaction, since the server commits
    /// concurrent transactions in parallel.
    ///
    /// `operation` may run more than once (after contention), so it must only write through the
    /// connection it is given.
    pub async fn write_grouped<T, E, F>(&self, operation: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Retryable + Send + 'static,
        F: for<'c> Fn(&'c mut AnyConnection) -> ConnFuture<'c, Result<T, E>>
            + Send
            + Sync
            + 'static,
    {
        let operation = Arc::new(operation);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = match (self.backend(), self.group_commit()) {
                (Backend::Sqlite, Some(group)) => grouped_once(group, operation.clone()).await,
                _ => self.own_transaction(operation.as_ref()).await,
            };
            match outcome {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    Db::contention_backoff(attempt).await;
                }
                other => return other,
            }
        }
    }

    async fn own_transaction<T, E, F>(&self, operation: &F) -> Result<T, E>
    where
        E: From<StoreError>,
        F: for<'c> Fn(&'c mut AnyConnection) -> ConnFuture<'c, Result<T, E>>,
    {
        let mut tx = self.begin().await?;
        let value = operation(&mut tx).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(value)
    }
}

async fn grouped_once<T, E, F>(group: &GroupCommit, operation: Arc<F>) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'c> Fn(&'c mut AnyConnection) -> ConnFuture<'c, Result<T, E>> + Send + Sync + 'static,
{
    let slot: Arc<Mutex<Option<Result<T, E>>>> = Arc::new(Mutex::new(None));
    let writer_slot = slot.clone();
    let (committed, outcome) = oneshot::channel();
    let job = Job {
        run: Box::new(move |conn| {
            Box::pin(async move {
                let result = operation(conn).await;
                let keep = result.is_ok();
                *writer_slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                keep
            })
        }),
        committed,
    };
    if group.jobs.send(job).await.is_err() {
        return Err(StoreError::Unavailable(sqlx::Error::PoolClosed).into());
    }
    let committed = outcome
        .await
        .map_err(|_| StoreError::Unavailable(sqlx::Error::WorkerCrashed))?;
    let result = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    match (committed, result) {
        // The operation's own refusal (its writes were rolled back to its savepoint).
        (_, Some(Err(e))) => Err(e),
        (Ok(()), Some(Ok(value))) => Ok(value),
        // It panicked: its writes were rolled back.
        (Ok(()), None) => Err(StoreError::Unavailable(sqlx::Error::WorkerCrashed).into()),
        // The shared transaction failed (before or after this operation ran): nothing of it
        // exists; run it again.
        (Err(message), _) => Err(StoreError::GroupFailed(message).into()),
    }
}

#[cfg(test)]
mod tests {
    //! The two paths no HTTP test can reach on purpose: a caller that gave up before its batch
    //! ran, and a shared commit that fails after its operations succeeded.

    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::{DbOptions, SqliteSynchronous};

    async fn sqlite() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DbOptions {
            url: format!("sqlite://{}/t.db?mode=rwc", dir.path().display()),
            max_connections: 2,
            sqlite_synchronous: SqliteSynchronous::Full,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
        db.writer()
            .execute(
                "create table parent (id integer primary key); \
                 create table child (id integer primary key, parent_id integer not null \
                   references parent (id) deferrable initially deferred)",
            )
            .await
            .unwrap();
        (db, dir)
    }

    fn queued(db: &Db) -> usize {
        let jobs = &db.group_commit().unwrap().jobs;
        jobs.max_capacity() - jobs.capacity()
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn parents(db: &Db) -> Vec<i64> {
        sqlx::query_scalar("select id from parent order by id")
            .fetch_all(db.writer())
            .await
            .unwrap()
    }

    /// Occupies the writer with an operation (inserting parent 1) until the returned sender fires.
    async fn hold_writer(db: &Db) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, released) = oneshot::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let started = Arc::new(AtomicBool::new(false));
        let running = started.clone();
        let handle = tokio::spawn({
            let db = db.clone();
            async move {
                db.write_grouped(move |conn| {
                    let released = released.clone();
                    let running = running.clone();
                    Box::pin(async move {
                        running.store(true, Ordering::SeqCst);
                        let wait = released.lock().unwrap().take();
                        if let Some(wait) = wait {
                            let _ = wait.await;
                        }
                        sqlx::query("insert into parent (id) values (1)")
                            .execute(&mut *conn)
                            .await?;
                        Ok::<_, StoreError>(())
                    })
                })
                .await
                .unwrap();
            }
        });
        until("the writer to be held", || started.load(Ordering::SeqCst)).await;
        (release, handle)
    }

    /// Inserts parent `id`, counting its runs; `bad_first` makes the first run also leave a
    /// child whose parent does not exist, which only the COMMIT checks (a deferred key).
    fn insert_parent(
        db: &Db,
        id: i64,
        runs: Arc<AtomicUsize>,
        bad_first: bool,
    ) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        let db = db.clone();
        tokio::spawn(async move {
            db.write_grouped(move |conn| {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                Box::pin(async move {
                    if bad_first && run == 1 {
                        sqlx::query("insert into child (parent_id) values (999)")
                            .execute(&mut *conn)
                            .await?;
                    }
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "insert into parent (id) values ({id})"
                    )))
                    .execute(&mut *conn)
                    .await?;
                    Ok::<_, StoreError>(())
                })
            })
            .await
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_operation_whose_caller_is_gone_is_not_run() {
        let (db, _dir) = sqlite().await;
        let (release, holder) = hold_writer(&db).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let gone = insert_parent(&db, 2, runs.clone(), false);
        until("the operation to be queued", || queued(&db) == 1).await;
        gone.abort();
        assert!(gone.await.unwrap_err().is_cancelled());
        release.send(()).unwrap();
        holder.await.unwrap();
        // A later operation commits after the abandoned one was taken from the queue.
        insert_parent(&db, 3, Arc::new(AtomicUsize::new(0)), false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            runs.load(Ordering::SeqCst),
            0,
            "the abandoned operation ran"
        );
        assert_eq!(parents(&db).await, [1, 3]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_shared_commit_runs_every_operation_again() {
        let (db, _dir) = sqlite().await;
        let (release, holder) = hold_writer(&db).await;
        let (bad_runs, good_runs) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let bad = insert_parent(&db, 10, bad_runs.clone(), true);
        until("the first operation to be queued", || queued(&db) == 1).await;
        let good = insert_parent(&db, 11, good_runs.clone(), false);
        until("both operations to be queued", || queued(&db) == 2).await;
        release.send(()).unwrap();
        holder.await.unwrap();
        // Both ran in one batch whose COMMIT failed on the dangling child; both ran again.
        bad.await.unwrap().unwrap();
        good.await.unwrap().unwrap();
        assert_eq!(bad_runs.load(Ordering::SeqCst), 2);
        assert_eq!(good_runs.load(Ordering::SeqCst), 2);
        assert_eq!(parents(&db).await, [1, 10, 11]);
        let children: i64 = sqlx::query_scalar("select count(*) from child")
            .fetch_one(db.writer())
            .await
            .unwrap();
        assert_eq!(children, 0);
    }
}
