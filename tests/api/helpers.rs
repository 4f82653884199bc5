//! The test application and its databases.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bizzai::{App, Config};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `mod name { sqlite(), postgres() }` from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if !$crate::helpers::postgres_enabled() {
                        eprintln!("PostgreSQL suite skipped (BIZZAI_TEST_POSTGRES=skip)");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn postgres_enabled() -> bool {
    std::env::var("BIZZAI_TEST_POSTGRES")
        .map(|v| v != "skip")
        .unwrap_or(true)
}

pub fn redis_url() -> Option<String> {
    if std::env::var("BIZZAI_TEST_REDIS").is_ok_and(|v| v == "skip") {
        return None;
    }
    Some(
        std::env::var("BIZZAI_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
    )
}

fn postgres_admin_url() -> String {
    std::env::var("BIZZAI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `postgres://…/postgres` with another database name.
fn postgres_url_for(database: &str) -> String {
    let admin = postgres_admin_url();
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let cut = base
        .rfind('/')
        .filter(|i| *i > "postgres://".len())
        .unwrap_or(base.len());
    format!("{}/{database}{query}", &base[..cut])
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

pub fn unique(prefix: &str) -> String {
    let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}{n}", std::process::id())
}

async fn admin_connection() -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(&postgres_admin_url()).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {} ({e}). Run ./scripts/test, or set BIZZAI_TEST_POSTGRES_URL, \
             or BIZZAI_TEST_POSTGRES=skip to skip the PostgreSQL suite",
            postgres_admin_url()
        )
    })
}

/// The migrated template database, created once per schema version (guarded by an advisory lock,
/// so concurrent test processes create it once).
async fn template_database() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            use sqlx::Executor;
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                std::hash::Hash::hash(&std::fs::read(f).unwrap(), &mut hasher);
            }
            let name = format!("bizzai_tpl_{:x}", std::hash::Hasher::finish(&hasher));
            let mut admin = admin_connection().await;
            admin
                .execute("select pg_advisory_lock(724242)")
                .await
                .unwrap();
            let exists: Option<(i32,)> =
                sqlx::query_as("select 1 from pg_database where datname = $1")
                    .bind(&name)
                    .fetch_optional(&mut admin)
                    .await
                    .unwrap();
            if exists.is_none() {
                let building = format!("{name}_building");
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "drop database if exists {building} with (force)"
                    )))
                    .await
                    .unwrap();
                admin
                    .execute(sqlx::AssertSqlSafe(format!("create database {building}")))
                    .await
                    .unwrap();
                let db = store::Db::connect(&store::DbOptions {
                    url: postgres_url_for(&building),
                    max_connections: 2,
                    sqlite_synchronous: store::SqliteSynchronous::Full,
                    busy_timeout: Duration::from_secs(5),
                    acquire_timeout: Duration::from_secs(10),
                })
                .await
                .unwrap();
                db.migrate().await.unwrap();
                db.close().await;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "alter database {building} rename to {name}"
                    )))
                    .await
                    .unwrap();
            }
            admin
                .execute("select pg_advisory_unlock(724242)")
                .await
                .unwrap();
            name
        })
        .await
}

/// A PostgreSQL database cloned from the template, dropped when the test ends.
pub struct PgDatabase {
    name: String,
}

impl PgDatabase {
    async fn create() -> PgDatabase {
        use sqlx::Executor;
        let template = template_database().await;
        let name = unique("bizzai_t_");
        let mut admin = admin_connection().await;
        let mut attempts = 0;
        loop {
            let sql = format!("create database {name} template {template}");
            match admin.execute(sqlx::AssertSqlSafe(sql)).await {
                Ok(_) => break,
                // Another test's clone of the same template may be in progress.
                Err(e)
                    if attempts < 50 && e.to_string().contains("being accessed by other users") =>
                {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("create database {name}: {e}"),
            }
        }
        PgDatabase { name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime; do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    use sqlx::Executor;
                    let mut admin = admin_connection().await;
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "drop database if exists {name} with (force)"
                        )))
                        .await;
                });
            }
        })
        .join();
    }
}

pub enum DatabaseGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] PgDatabase),
}

/// A new empty, migrated database: a SQLite file in a temporary folder, or a PostgreSQL database
/// cloned from the template. It is removed when the guard is dropped.
pub async fn fresh_database(backend: Backend) -> (String, DatabaseGuard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (
                format!("sqlite://{}/bizzai.db?mode=rwc", dir.path().display()),
                DatabaseGuard::Sqlite(dir),
            )
        }
        Backend::Postgres => {
            let db = PgDatabase::create().await;
            (postgres_url_for(&db.name), DatabaseGuard::Postgres(db))
        }
    }
}

/// Connects to a test database directly (as a second process would).
pub async fn connect(url: &str) -> store::Db {
    let db = store::Db::connect(&store::DbOptions {
        url: url.to_owned(),
        max_connections: 2,
        sqlite_synchronous: store::SqliteSynchronous::Full,
        busy_timeout: Duration::from_secs(10),
        acquire_timeout: Duration::from_secs(10),
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    db
}

/// What a test may change about the configuration, as environment variables.
#[derive(Default, Clone)]
pub struct Options {
    pub env: Vec<(&'static str, String)>,
    pub redis: bool,
    /// Share the database of another test app (several instances on one database).
    pub database_url: Option<String>,
}

impl Options {
    pub fn env(mut self, var: &'static str, value: impl Into<String>) -> Options {
        self.env.push((var, value.into()));
        self
    }
    pub fn with_redis(mut self) -> Options {
        self.redis = true;
        self
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: store::Db,
    pub database_url: String,
    pub data_dir: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _guard: Option<DatabaseGuard>,
    _data: tempfile::TempDir,
}

/// A response as a test reads it.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        if std::env::var_os("BIZZAI_TEST_LOG").is_some() {
            // Server logs for debugging a test: BIZZAI_TEST_LOG=1 RUST_LOG=warn cargo test … -- --nocapture
            bizzai::telemetry::init(false);
        }
        let data = tempfile::tempdir().unwrap();
        let data_dir = data.path().to_path_buf();
        let (database_url, guard) = match &options.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let (url, guard) = fresh_database(backend).await;
                (url, Some(guard))
            }
        };
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("DATA_DIR".into(), data_dir.display().to_string());
        vars.insert("DATABASE_URL".into(), database_url.clone());
        vars.insert("DATABASE_POOL_SIZE".into(), "4".into());
        vars.insert("HOST".into(), "127.0.0.1".into());
        vars.insert(
            "JWT_SECRET".into(),
            "test-jwt-secret-0123456789abcdef0123456789".into(),
        );
        vars.insert(
            "COOKIE_SECRET".into(),
            "test-cookie-secret-0123456789abcdef012345".into(),
        );
        if options.redis {
            let url = redis_url().expect("this test needs Redis (BIZZAI_TEST_REDIS=skip was set)");
            vars.insert("REDIS_URL".into(), url);
            vars.insert(
                "REDIS_KEY_PREFIX".into(),
                format!("{}:", unique("bizzai-test-")),
            );
        }
        for (k, v) in &options.env {
            vars.insert((*k).to_owned(), v.clone());
        }
        let mut config =
            Config::from_lookup(&move |k| vars.get(k).cloned()).expect("test configuration");
        config.port = 0;
        config.hash_cost = api::settings::HashCost::TESTING;
        let app = App::build(config, true).await.expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let db = app.state().db.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.serve_until(async move {
            let _ = stopped.await;
        }));
        TestApp {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            db,
            database_url,
            data_dir,
            stop: Some(stop),
            _guard: guard,
            _data: data,
        }
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(method, path, token, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Runs the `bizzai` binary with `args` against this app's database and data directory.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(crate::process::BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.database_url)
            .env("DATA_DIR", &self.data_dir)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the bizzai binary runs")
    }

    /// Registers a shop and returns the register response body (with `token`, `refreshToken`).
    pub async fn register(&self, email: &str) -> Value {
        let reply = self
            .post("/api/auth/register", None, register_body(email))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "register {email}: {:?}",
            reply.body
        );
        reply.body
    }

    /// Asserts that `token` authenticates now (which also warms any session cache).
    pub async fn assert_live(&self, token: &str) {
        let r = self.get("/api/auth/profile", Some(token)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "session should be live: {:?}",
            r.body
        );
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub const PASSWORD: &str = "Secret#123";

pub fn register_body(email: &str) -> Value {
    json!({"name": "Asha Traders", "email": email, "password": PASSWORD, "phone": "9876543210", "shopName": "Asha Kirana"})
}

pub fn token(body: &Value) -> String {
    body["token"].as_str().expect("token").to_owned()
}

/// Polls `check` until it returns `Some`, failing the test after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < deadline,
            "condition not met within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
