//! Job queue benchmark: no-op jobs from enqueue to completion, and enqueue-to-start latency on an
//! idle queue, on SQLite (`synchronous=FULL`) and PostgreSQL.
//!
//!   cargo bench --bench jobs                       # SQLite, and PostgreSQL if reachable
//!   BENCH_JOBS=20000 BIZZAI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1/postgres cargo bench --bench jobs
//!
//! "Runners" are independent instances of the worker (as separate processes would be), each
//! claiming and recording outcomes in batches with 64 job slots.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobs::queue::{self, Defaults};
use jobs::runner::RunningJobs;
use jobs::wake::Wakers;
use jobs::{Handler, JobContext, NewJob, QueueConfig, Runner, RunnerConfig};
use store::{Db, DbOptions, SqliteSynchronous};
use tokio::sync::mpsc;

async fn connect(url: &str) -> Db {
    let db = Db::connect(&DbOptions {
        url: url.to_owned(),
        max_connections: 8,
        sqlite_synchronous: SqliteSynchronous::Full,
        busy_timeout: Duration::from_secs(10),
        acquire_timeout: Duration::from_secs(30),
    })
    .await
    .expect("database");
    db.migrate().await.expect("migrations");
    db
}

fn start_runner(
    db: &Db,
    wakers: &Wakers,
    slots: usize,
    handler: Handler,
    postgres_url: Option<String>,
) -> RunningJobs {
    let config = RunnerConfig {
        poll_interval: Duration::from_millis(200),
        postgres_url,
        ..RunnerConfig::default()
    };
    Runner::new(db.clone(), config, wakers.clone())
        .queue(QueueConfig {
            name: "bench".into(),
            concurrency: slots,
            defaults: Defaults::default(),
        })
        .handle("bench.noop", handler)
        .start()
}

async fn completed(db: &Db) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from jobs where queue = 'bench' and status = 'completed'")
            .fetch_one(db.reader())
            .await
            .unwrap();
    n
}

async fn throughput(
    db: &Db,
    runners: usize,
    slots: usize,
    total: usize,
    postgres_url: Option<String>,
) -> f64 {
    sqlx::query("delete from jobs")
        .execute(db.writer())
        .await
        .unwrap();
    let wakers = Wakers::default();
    let noop: Handler = Arc::new(|_job: JobContext| Box::pin(async { Ok(serde_json::json!({})) }));
    let running: Vec<RunningJobs> = (0..runners)
        .map(|_| start_runner(db, &wakers, slots, noop.clone(), postgres_url.clone()))
        .collect();
    let started = Instant::now();
    let per_tx = 500;
    for chunk in 0..total.div_ceil(per_tx) {
        let mut tx = db.begin().await.unwrap();
        for _ in 0..per_tx.min(total - chunk * per_tx) {
            queue::enqueue(
                &mut tx,
                db.backend(),
                &NewJob::new("bench", "bench.noop", serde_json::json!({})),
                Defaults::default(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        for _ in 0..runners {
            wakers.wake("bench");
        }
    }
    while completed(db).await < total as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    for r in running {
        r.shutdown(Duration::from_secs(5)).await;
    }
    rate
}

async fn idle_latency(db: &Db, samples: usize, postgres_url: Option<String>) -> (f64, f64) {
    sqlx::query("delete from jobs")
        .execute(db.writer())
        .await
        .unwrap();
    let wakers = Wakers::default();
    let (tx_start, mut rx_start) = mpsc::unbounded_channel::<Instant>();
    let handler: Handler = Arc::new(move |_job: JobContext| {
        let _ = tx_start.send(Instant::now());
        Box::pin(async { Ok(serde_json::json!({})) })
    });
    let running = start_runner(db, &wakers, 4, handler, postgres_url);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let mut tx = db.begin().await.unwrap();
        queue::enqueue(
            &mut tx,
            db.backend(),
            &NewJob::new("bench", "bench.noop", serde_json::json!({})),
            Defaults::default(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let committed = Instant::now();
        wakers.wake("bench");
        let began = rx_start.recv().await.unwrap();
        latencies.push(began.duration_since(committed).as_secs_f64() * 1000.0);
        // Let the queue go idle again (outcome recorded, claim loop waiting).
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.shutdown(Duration::from_secs(5)).await;
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    (pick(0.5), pick(0.99))
}

async fn run(label: &str, db: Db, postgres_url: Option<String>) {
    let total: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for (runners, slots) in [(1, 1), (1, 64), (4, 64)] {
        let rate = throughput(&db, runners, slots, total, postgres_url.clone()).await;
        println!(
            "{label:<22} {runners} runner(s) x {slots:>2} slots  {total} no-op jobs enqueue->completed: {rate:>8.0} jobs/s"
        );
    }
    let (p50, p99) = idle_latency(&db, 200, postgres_url).await;
    println!(
        "{label:<22} idle enqueue->start (in-process wake-up): p50 {p50:.2} ms  p99 {p99:.2} ms"
    );
    db.close().await;
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this binary without it, and
    // then it only has to build, not spend minutes measuring.
    if !std::env::args().any(|a| a == "--bench") {
        println!("jobs benchmark: run it with `cargo bench --bench jobs`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
        run("SQLite (FULL)", connect(&url).await, None).await;
        let pg = std::env::var("BIZZAI_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = pg.clone();
        let name = format!("bizzai_bench_{}", std::process::id());
        let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await else {
            println!("PostgreSQL not reachable at {admin}: skipped");
            return;
        };
        use sqlx::Executor;
        conn.execute(sqlx::AssertSqlSafe(format!("create database {name}")))
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
        let url = format!("{base}/{name}");
        run("PostgreSQL", connect(&url).await, Some(url.clone())).await;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "drop database {name} with (force)"
        )))
        .await
        .unwrap();
    });
}
