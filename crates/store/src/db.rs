//! Connection pools and write transactions.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};

use crate::error::StoreError;

/// An open write transaction.
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which SQL engine is behind the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite's `synchronous` pragma: `full` makes every commit durable across an OS crash or power
/// loss; `normal` (in WAL mode) may lose the last commits on power loss but never corrupts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path/to/file.db` or `postgres://…`.
    pub url: String,
    /// Connections for reads (SQLite) or for everything (PostgreSQL).
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSynchronous,
    /// How long SQLite waits for a lock held by another process before giving up.
    pub busy_timeout: Duration,
    /// How long a request waits for a pooled connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
}

/// The application database.
///
/// On SQLite all writes go through a one-connection pool, so concurrent write transactions queue
/// in the pool instead of failing with `SQLITE_BUSY`, and each starts with `BEGIN IMMEDIATE` so a
/// second process (the CLI) waits for `busy_timeout` rather than failing. Reads use their own pool
/// and see the last committed state (WAL).
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// SQLite only: the queue that lets concurrent writes share a commit.
    group: Option<crate::group_commit::GroupCommit>,
}

/// How often a transaction that hit contention is run before the error is returned.
pub const MAX_ATTEMPTS: u32 = 8;

impl Db {
    pub async fn connect(options: &DbOptions) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend =
            if options.url.starts_with("postgres:") || options.url.starts_with("postgresql:") {
                Backend::Postgres
            } else if options.url.starts_with("sqlite:") {
                Backend::Sqlite
            } else {
                return Err(StoreError::Other(sqlx::Error::Configuration(
                    "DATABASE_URL must start with sqlite: or postgres:".into(),
                )));
            };
        let connect = AnyConnectOptions::from_str(&options.url)?.disable_statement_logging();
        match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    group: None,
                })
            }
            Backend::Sqlite => {
                let pragmas = sqlite_pragmas(options);
                // Waiting for the one writer is contention, not unavailability: under a burst,
                // writes queue here for up to the request budget rather than fail after 5 s.
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(options.acquire_timeout.max(Duration::from_secs(30)))
                    .after_connect(move |conn, _| {
                        let pragmas = pragmas.clone();
                        Box::pin(async move {
                            conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                            Ok(())
                        })
                    })
                    .connect_with(connect.clone())
                    .await?;
                // WAL must be set before readers open the file; the writer did it above.
                let pragmas = sqlite_pragmas(options);
                let read = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .acquire_timeout(options.acquire_timeout)
                    .after_connect(move |conn, _| {
                        let pragmas = pragmas.clone();
                        Box::pin(async move {
                            conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                            Ok(())
                        })
                    })
                    .connect_with(connect)
                    .await?;
                Ok(Db {
                    read,
                    group: Some(crate::group_commit::GroupCommit::start(write.clone())),
                    write,
                    backend,
                })
            }
        }
    }

    pub(crate) fn group_commit(&self) -> Option<&crate::group_commit::GroupCommit> {
        self.group.as_ref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// One connection of the read pool, for reads that belong together (an invoice, its lines
    /// and its customer); a pool that cannot give one in time is [`StoreError::Unavailable`].
    pub async fn read_conn(&self) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        Ok(self.read.acquire().await?)
    }

    /// The pool writes go through (the same as the reader on PostgreSQL).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        };
        Ok(tx)
    }

    /// Pause before running a transaction again after contention (exponential, with jitter, so
    /// contenders do not collide again at once). Used by [`crate::transact!`].
    pub async fn contention_backoff(attempt: u32) {
        let base = 2u64.pow(attempt.min(6));
        let jitter = rand::random::<u64>() % (base + 1);
        tokio::time::sleep(Duration::from_millis(base + jitter)).await;
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Errors that may be contention worth a retry of the whole transaction.
pub trait Retryable {
    fn is_retryable(&self) -> bool;
}

impl Retryable for StoreError {
    fn is_retryable(&self) -> bool {
        StoreError::is_retryable(self)
    }
}

fn sqlite_pragmas(options: &DbOptions) -> String {
    let sync = match options.sqlite_synchronous {
        SqliteSynchronous::Full => "FULL",
        SqliteSynchronous::Normal => "NORMAL",
    };
    format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = {}; PRAGMA temp_store = MEMORY;",
        options.busy_timeout.as_millis()
    )
}
