//! Building and running the application.

use std::net::SocketAddr;
use std::time::Duration;

use api::background::{self, JobQueue, WorkContext};
use api::infra::redis::RedisLink;
use api::mail::{MailTransport, Mailer};
use api::{AppState, Settings};
use store::{Db, DbOptions};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::secrets;

/// A started application, bound to its port, ready to serve.
pub struct App {
    /// Held while serving a SQLite database: it proves this is the file's only server.
    _server_lock: Option<std::fs::File>,
    listener: TcpListener,
    state: AppState,
    shutdown_timeout: Duration,
    workers: Option<jobs::Runner>,
}

/// Connects to the database described by `config`.
pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    if !config.is_postgres() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let db = Db::connect(&DbOptions {
        url: config.database_url.clone(),
        max_connections: config.database_pool_size,
        sqlite_synchronous: config.sqlite_synchronous,
        busy_timeout: config.sqlite_busy_timeout,
        acquire_timeout: config.database_acquire_timeout,
    })
    .await?;
    Ok(db)
}

impl App {
    /// Connects, migrates (unless `migrate` is false), and binds `config.host:config.port`
    /// (port 0 picks a free one).
    pub async fn build(config: Config, migrate: bool) -> anyhow::Result<App> {
        let server_lock = if config.is_postgres() {
            None
        } else {
            sqlite_server_lock(&config.database_url)?
        };
        let db = connect(&config).await?;
        if migrate {
            let report = db.migrate().await?;
            for line in &report.applied {
                tracing::info!(migration = %line, "applied migration");
            }
        }
        let postgres = config.is_postgres();
        let jwt_secret = secrets::resolve(
            &config.jwt_secret,
            "jwt_secret",
            &db,
            &config.data_dir,
            postgres,
        )
        .await?;
        let cookie_secret = secrets::resolve(
            &config.cookie_secret,
            "cookie_secret",
            &db,
            &config.data_dir,
            postgres,
        )
        .await?;
        let redis = match &config.redis_url {
            Some(url) => RedisLink::connect(url)?,
            None => RedisLink::disabled(),
        };
        let settings = Settings {
            production: config.production,
            jwt_secret,
            cookie_secret,
            access_token_ttl: config.access_token_ttl,
            refresh_token_ttl: config.refresh_token_ttl,
            single_device_sessions: config.single_device_sessions,
            cookie_same_site: config.cookie_same_site,
            trusted_proxies: config.trusted_proxies.clone(),
            allowed_origins: config.allowed_origins.clone(),
            shop_timezone: config.shop_timezone.clone(),
            body_limit: config.body_limit,
            import_max_bytes: config.import_max_bytes,
            request_timeout: config.request_timeout,
            hash_cost: config.hash_cost,
            lockout_failures: 5,
            lockout_duration: config.lockout_duration,
            auth_rate_limit: config.auth_rate_limit,
            auth_rate_window: config.auth_rate_window,
            reset_rate_limit: config.reset_rate_limit,
            reset_rate_window: config.reset_rate_window,
            version: env!("CARGO_PKG_VERSION"),
            environment: config.app_env.clone(),
        };
        let queue = JobQueue::new(db.backend(), &config.jobs);
        let workers = if config.jobs.enabled {
            let context = WorkContext {
                db: db.clone(),
                mailer: mailer(&config)?,
                frontend_url: config.frontend_url.clone(),
                reset_token_ttl: config.jobs.reset_token_ttl,
                keep_completed: config.jobs.keep_completed,
                keep_dead: config.jobs.keep_dead,
                fonts: match api::pdf::Fonts::load(&config.pdf_font_dir) {
                    Ok(fonts) => Some(std::sync::Arc::new(fonts)),
                    Err(e) => {
                        // Everything else works; PDF jobs fail with this reason until fixed.
                        tracing::warn!(error = %e, "invoice PDFs unavailable: install fonts-dejavu-core or set PDF_FONT_DIR");
                        None
                    }
                },
            };
            let listen_url = postgres.then(|| config.database_url.clone());
            Some(background::runner(
                db.clone(),
                &queue,
                &config.jobs,
                context,
                listen_url,
            ))
        } else {
            None
        };
        let state = AppState::new(db, settings, redis, queue, &config.redis_key_prefix)?;
        let listener = TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
        Ok(App {
            _server_lock: server_lock,
            listener,
            state,
            shutdown_timeout: config.shutdown_timeout,
            workers,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish for at most the
    /// shutdown timeout, and closes the database.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let db = self.state.db.clone();
        let workers = self.workers.map(jobs::Runner::start);
        let router = api::router::build(self.state);
        let grace = self.shutdown_timeout;
        // One signal stops both: the server stops accepting, the workers stop claiming, and both
        // get the same deadline to finish what is in flight.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut server_stop = stop_rx.clone();
        let server = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = server_stop.wait_for(|stopped| *stopped).await;
        });
        let mut workers_stop = stop_rx.clone();
        let workers_done = tokio::spawn(async move {
            if let Some(workers) = workers {
                let _ = workers_stop.wait_for(|stopped| *stopped).await;
                workers.shutdown(grace).await;
            }
        });
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let mut deadline_stop = stop_rx;
        let deadline = async move {
            let _ = deadline_stop.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        };
        let served = tokio::select! {
            result = server => result,
            _ = deadline => {
                tracing::warn!("shutdown timeout reached with requests still running");
                Ok(())
            }
        };
        if served.is_err() {
            workers_done.abort();
        }
        let _ = workers_done.await;
        db.close().await;
        served?;
        Ok(())
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

/// The mail transport: SMTP when `SMTP_HOST` is set, else `.eml` files in `DATA_DIR/outbox`.
pub fn mailer(config: &Config) -> anyhow::Result<Mailer> {
    let transport = match &config.smtp {
        Some(smtp) => MailTransport::Smtp(smtp.clone()),
        None => MailTransport::Outbox(config.data_dir.join("outbox")),
    };
    Mailer::new(&transport, &config.email_from)
}

/// Takes `<database file>.server.lock`, refusing to serve a SQLite file that another `bizzai
/// serve` is serving: the in-process session cache is exact only for a single server (the CLI
/// does not take the lock and may run alongside).
fn sqlite_server_lock(database_url: &str) -> anyhow::Result<Option<std::fs::File>> {
    let path = database_url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return Ok(None);
    }
    let lock_path = format!("{path}.server.lock");
    if let Some(dir) = std::path::Path::new(&lock_path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!(
                "another bizzai server is already serving {path} (lock {lock_path}); SQLite has one server process"
            )
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}
