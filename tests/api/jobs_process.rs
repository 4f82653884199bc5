//! The queue across processes: kill -9 and restart, graceful shutdown, two instances on one
//! PostgreSQL database, and the operator CLI.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jobs::NewJob;
use jobs::queue::{self, Defaults, Outcome};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{
    Backend, Options, TestApp, connect, eventually, fresh_database, postgres_enabled,
};
use crate::process::{BIN, free_port, sigterm, wait_exit, wait_live};

both_backends!(
    killed_with_sigkill_and_restarted_every_job_completes_exactly_once,
    sigterm_lets_a_running_job_finish_within_the_deadline,
    sigterm_releases_a_job_still_running_at_the_deadline_without_counting_it,
);

fn spawn_server(
    database_url: &str,
    data_dir: &std::path::Path,
    port: u16,
    extra: &[(&str, &str)],
) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("DATA_DIR", data_dir)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("JWT_SECRET", "process-test-secret-0123456789abcdef012345")
        .env("COOKIE_SECRET", "process-test-cookie-0123456789abcdef01234")
        .env("JOBS_TEST_KINDS", "true")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

async fn enqueue_many(db: &store::Db, jobs: &[NewJob]) -> Vec<String> {
    let mut tx = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for job in jobs {
        ids.push(
            queue::enqueue(&mut tx, db.backend(), job, Defaults::default())
                .await
                .unwrap()
                .id,
        );
    }
    tx.commit().await.unwrap();
    ids
}

async fn count(db: &store::Db, status: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from jobs where queue = 'test' and status = $1")
            .bind(status)
            .fetch_one(db.reader())
            .await
            .unwrap();
    n
}

async fn killed_with_sigkill_and_restarted_every_job_completes_exactly_once(backend: Backend) {
    let (url, _guard) = fresh_database(backend).await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let settings = [
        ("JOB_LEASE", "2s"),
        ("JOB_LEASE_RENEW", "500ms"),
        ("JOB_REAPER_INTERVAL", "200ms"),
        ("JOBS_TEST_CONCURRENCY", "4"),
    ];
    let mut server = spawn_server(&url, data.path(), port, &settings);
    wait_live(port).await;
    let db = connect(&url).await;
    let jobs: Vec<NewJob> = (0..40)
        .map(|_| NewJob::new("test", "test.sleep", json!({"ms": 250})))
        .collect();
    let ids = enqueue_many(&db, &jobs).await;
    eventually(Duration::from_secs(30), || async {
        (count(&db, "completed").await >= 4 && count(&db, "active").await >= 1).then_some(())
    })
    .await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let interrupted = count(&db, "active").await;
    assert!(interrupted >= 1, "jobs were running when the process died");
    assert!(count(&db, "completed").await < 40);
    let mut server = spawn_server(&url, data.path(), port, &settings);
    wait_live(port).await;
    eventually(Duration::from_secs(60), || async {
        (count(&db, "completed").await == 40).then_some(())
    })
    .await;
    let (total, retried): (i64, i64) = sqlx::query_as("select count(*), coalesce(sum(case when attempts > 1 then 1 else 0 end), 0) from jobs where queue = 'test'")
        .fetch_one(db.reader())
        .await
        .unwrap();
    assert_eq!(total, ids.len() as i64, "no job was lost or duplicated");
    assert!(
        retried >= interrupted,
        "the interrupted attempts were run again: {retried} vs {interrupted}"
    );
    sigterm(&server);
    assert_eq!(
        wait_exit(&mut server, Duration::from_secs(25)).code(),
        Some(0)
    );
    db.close().await;
}

async fn sigterm_lets_a_running_job_finish_within_the_deadline(backend: Backend) {
    let (url, _guard) = fresh_database(backend).await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = spawn_server(&url, data.path(), port, &[("SHUTDOWN_TIMEOUT", "10s")]);
    wait_live(port).await;
    let db = connect(&url).await;
    let id = enqueue_many(
        &db,
        &[NewJob::new("test", "test.sleep", json!({"ms": 1500}))],
    )
    .await
    .remove(0);
    eventually(Duration::from_secs(10), || async {
        (count(&db, "active").await == 1).then_some(())
    })
    .await;
    sigterm(&server);
    assert_eq!(
        wait_exit(&mut server, Duration::from_secs(15)).code(),
        Some(0)
    );
    let row = queue::get(&db, &id).await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("completed", 1));
    db.close().await;
}

async fn sigterm_releases_a_job_still_running_at_the_deadline_without_counting_it(
    backend: Backend,
) {
    let (url, _guard) = fresh_database(backend).await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = spawn_server(&url, data.path(), port, &[("SHUTDOWN_TIMEOUT", "1s")]);
    wait_live(port).await;
    let db = connect(&url).await;
    let id = enqueue_many(
        &db,
        &[NewJob::new("test", "test.sleep", json!({"ms": 60_000}))],
    )
    .await
    .remove(0);
    eventually(Duration::from_secs(10), || async {
        (count(&db, "active").await == 1).then_some(())
    })
    .await;
    let started = std::time::Instant::now();
    sigterm(&server);
    assert_eq!(
        wait_exit(&mut server, Duration::from_secs(10)).code(),
        Some(0)
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    let row = queue::get(&db, &id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.attempts),
        ("waiting", 0),
        "released, not counted as an attempt"
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_share_the_work_without_running_a_job_twice() {
    if !postgres_enabled() {
        eprintln!("PostgreSQL suite skipped (BIZZAI_TEST_POSTGRES=skip)");
        return;
    }
    let options = Options::default()
        .env("JOBS_TEST_KINDS", "true")
        .env("JOBS_TEST_CONCURRENCY", "8")
        .env("SESSION_CLEANUP_INTERVAL", "1s");
    let a = TestApp::spawn_with(Backend::Postgres, options.clone()).await;
    let b = TestApp::spawn_with(
        Backend::Postgres,
        Options {
            database_url: Some(a.database_url.clone()),
            ..options
        },
    )
    .await;
    let jobs: Vec<NewJob> = (0..300)
        .map(|_| NewJob::new("test", "test.sleep", json!({"ms": 30})))
        .collect();
    enqueue_many(&a.db, &jobs).await;
    eventually(Duration::from_secs(60), || async {
        (count(&a.db, "completed").await == 300).then_some(())
    })
    .await;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("select attempts, result from jobs where queue = 'test'")
            .fetch_all(a.db.reader())
            .await
            .unwrap();
    assert!(
        rows.iter().all(|(attempts, _)| *attempts == 1),
        "every job was claimed exactly once"
    );
    let workers: std::collections::HashSet<String> = rows
        .iter()
        .map(|(_, r)| {
            serde_json::from_str::<serde_json::Value>(r).unwrap()["worker"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(workers.len(), 2, "both instances worked");
    // The periodic cleanup is started once per period across both instances.
    let created: Vec<i64> = eventually(Duration::from_secs(20), || async {
        let rows: Vec<(i64,)> = sqlx::query_as("select created_at from jobs where kind = 'maintenance.cleanup_expired' order by created_at")
            .fetch_all(a.db.reader())
            .await
            .unwrap();
        (rows.len() >= 4).then(|| rows.into_iter().map(|r| r.0).collect())
    })
    .await;
    for pair in created.windows(2) {
        assert!(
            pair[1] - pair[0] >= 950,
            "two starts within one period: {created:?}"
        );
    }
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_lists_counts_and_retries_dead_jobs() {
    let (url, _guard) = fresh_database(Backend::Sqlite).await;
    let data = tempfile::tempdir().unwrap();
    let db = connect(&url).await;
    let ids = enqueue_many(
        &db,
        &[
            NewJob::new("email", "email.send", json!({})),
            NewJob::new("email", "email.send", json!({})),
        ],
    )
    .await;
    let claimed = queue::claim(&db, "email", "w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    for job in &claimed {
        queue::finish(
            &mut tx,
            job,
            &Outcome::Failed {
                error: "SMTP permanent error (550): no".into(),
                permanent: true,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    db.close().await;
    let cli = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("DATA_DIR", data.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed = cli(&["jobs", "list", "--status", "dead"]);
    assert!(
        ids.iter().all(|id| listed.contains(id.as_str())),
        "{listed}"
    );
    assert!(listed.contains("SMTP permanent error (550)"));
    assert!(cli(&["jobs", "stats"]).contains("dead=2"));
    assert!(cli(&["jobs", "retry", &ids[0]]).starts_with("1 dead job(s)"));
    assert!(cli(&["jobs", "retry", "--queue", "email", "--dead"]).starts_with("1 dead job(s)"));
    let stats = cli(&["jobs", "stats"]);
    assert!(
        stats.contains("waiting=2") && stats.contains("dead=0"),
        "{stats}"
    );
    let out = Command::new(BIN)
        .args(["jobs", "list", "--status", "bogus"])
        .env_clear()
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
}
