//! The queue's guarantees, exercised against the real database of a running app.

use std::time::Duration;

use jobs::NewJob;
use jobs::queue::{self, Defaults, Outcome};
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Options, TestApp, eventually, token};

both_backends!(
    a_rolled_back_transaction_leaves_no_job_and_a_committed_one_has_it,
    a_live_unique_key_returns_the_existing_job,
    a_stale_worker_cannot_finish_a_job_taken_over_after_its_lease,
    a_worker_that_stops_renewing_loses_its_job_to_another_attempt,
    a_failing_job_retries_with_growing_delays_and_ends_dead,
    a_permanent_error_is_dead_after_one_attempt,
    retention_keeps_the_newest_completed_and_dead_and_every_failed_job,
    jobs_are_visible_to_their_own_shop_only,
);

fn test_kinds() -> Options {
    Options::default().env("JOBS_TEST_KINDS", "true")
}

async fn a_rolled_back_transaction_leaves_no_job_and_a_committed_one_has_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let job = NewJob::new("q-tx", "test.noop", json!({}));
    let mut tx = app.db.begin().await.unwrap();
    let rolled = queue::enqueue(&mut tx, app.db.backend(), &job, Defaults::default())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(queue::get(&app.db, &rolled.id).await.unwrap().is_none());
    let mut tx = app.db.begin().await.unwrap();
    let kept = queue::enqueue(&mut tx, app.db.backend(), &job, Defaults::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let row = queue::get(&app.db, &kept.id)
        .await
        .unwrap()
        .expect("committed job exists");
    assert_eq!(
        (row.status.as_str(), row.attempts, row.max_attempts),
        ("waiting", 0, 3)
    );
}

async fn a_live_unique_key_returns_the_existing_job(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let job = NewJob::new("q-unique", "test.noop", json!({})).unique("the-key");
    let enqueue = || async {
        let mut tx = app.db.begin().await.unwrap();
        let e = queue::enqueue(&mut tx, app.db.backend(), &job, Defaults::default())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        e
    };
    let first = enqueue().await;
    let second = enqueue().await;
    assert!(first.created && !second.created);
    assert_eq!(first.id, second.id);
    // Once finished, the key is free again.
    let claimed = queue::claim(&app.db, "q-unique", "w", 1, Duration::from_secs(30))
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    assert!(
        queue::finish(
            &mut tx,
            &claimed[0],
            &Outcome::Completed { result: json!({}) }
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    let third = enqueue().await;
    assert!(third.created);
    assert_ne!(third.id, first.id);
}

async fn a_stale_worker_cannot_finish_a_job_taken_over_after_its_lease(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut tx = app.db.begin().await.unwrap();
    let job = queue::enqueue(
        &mut tx,
        app.db.backend(),
        &NewJob::new("q-stall", "test.noop", json!({})),
        Defaults::default(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let stale = queue::claim(&app.db, "q-stall", "stale", 10, Duration::from_millis(200))
        .await
        .unwrap()
        .remove(0);
    assert!(
        queue::claim(&app.db, "q-stall", "other", 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "one holder at a time"
    );
    eventually(Duration::from_secs(10), || async {
        (queue::recover_stalled(&app.db).await.unwrap() == 1).then_some(())
    })
    .await;
    let row = queue::get(&app.db, &job.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.attempts, row.last_error.as_deref()),
        ("waiting", 1, Some("stalled"))
    );
    let fresh = queue::claim(&app.db, "q-stall", "fresh", 10, Duration::from_secs(30))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(fresh.attempts, 2, "the stalled attempt counts");
    assert!(
        !queue::renew(&app.db, &stale, Duration::from_secs(30))
            .await
            .unwrap()
    );
    let mut tx = app.db.begin().await.unwrap();
    assert!(
        !queue::finish(
            &mut tx,
            &stale,
            &Outcome::Completed {
                result: json!({"by": "stale"})
            }
        )
        .await
        .unwrap()
    );
    assert!(
        queue::finish(
            &mut tx,
            &fresh,
            &Outcome::Completed {
                result: json!({"by": "fresh"})
            }
        )
        .await
        .unwrap()
    );
    assert!(
        !queue::finish(
            &mut tx,
            &stale,
            &Outcome::Failed {
                error: "late".into(),
                permanent: false
            }
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    let row = queue::get(&app.db, &job.id).await.unwrap().unwrap();
    assert_eq!(row.status, "completed");
    assert!(row.result.unwrap().contains("fresh"));
}

async fn a_worker_that_stops_renewing_loses_its_job_to_another_attempt(backend: Backend) {
    // The first attempt blocks for a minute and never renews its one-second lease.
    let options = test_kinds()
        .env("JOB_LEASE", "1s")
        .env("JOB_LEASE_RENEW", "1h")
        .env("JOB_REAPER_INTERVAL", "200ms");
    let app = TestApp::spawn_with(backend, options).await;
    let mut tx = app.db.begin().await.unwrap();
    let job = NewJob::new(
        "test",
        "test.sleep",
        json!({"ms": 60_000, "onlyFirstAttempt": true}),
    );
    let id = queue::enqueue(&mut tx, app.db.backend(), &job, Defaults::default())
        .await
        .unwrap()
        .id;
    tx.commit().await.unwrap();
    let row = eventually(Duration::from_secs(15), || async {
        queue::get(&app.db, &id)
            .await
            .unwrap()
            .filter(|r| r.status == "completed")
    })
    .await;
    assert_eq!(row.attempts, 2);
    assert!(row.result.unwrap().contains("\"attempt\":2"));
}

async fn a_failing_job_retries_with_growing_delays_and_ends_dead(backend: Backend) {
    let app = TestApp::spawn_with(backend, test_kinds().env("JOBS_TEST_BACKOFF", "300ms")).await;
    let mut tx = app.db.begin().await.unwrap();
    let job = NewJob::new("test", "test.sleep", json!({"failTimes": 99}));
    let id = queue::enqueue(
        &mut tx,
        app.db.backend(),
        &job,
        Defaults {
            max_attempts: 3,
            backoff: Duration::from_millis(300),
        },
    )
    .await
    .unwrap()
    .id;
    tx.commit().await.unwrap();
    // While failed, run_at − the failure time is the pause before the next attempt.
    let mut delays = Vec::new();
    for attempt in 1..=2 {
        let (run_at, failed_at): (i64, i64) = eventually(Duration::from_secs(10), || async {
            sqlx::query_as::<_, (i64, i64, i64, String)>(
                "select run_at, updated_at, attempts, status from jobs where id = $1",
            )
            .bind(&id)
            .fetch_one(app.db.reader())
            .await
            .ok()
            .filter(|(_, _, attempts, status)| *attempts == attempt && status == "failed")
            .map(|(r, u, _, _)| (r, u))
        })
        .await;
        delays.push(run_at - failed_at);
    }
    assert!(
        (240..=360).contains(&delays[0]),
        "first pause 300 ms ± 20 %: {delays:?}"
    );
    assert!(
        (480..=720).contains(&delays[1]),
        "second pause 600 ms ± 20 %: {delays:?}"
    );
    let row = eventually(Duration::from_secs(10), || async {
        queue::get(&app.db, &id)
            .await
            .unwrap()
            .filter(|r| r.status == "dead")
    })
    .await;
    assert_eq!(row.attempts, 3);
    assert_eq!(
        row.last_error.as_deref(),
        Some("failing on purpose (attempt 3)")
    );
}

async fn a_permanent_error_is_dead_after_one_attempt(backend: Backend) {
    let app = TestApp::spawn_with(backend, test_kinds()).await;
    let mut tx = app.db.begin().await.unwrap();
    let job = NewJob::new("test", "test.sleep", json!({"permanent": true}));
    let id = queue::enqueue(&mut tx, app.db.backend(), &job, Defaults::default())
        .await
        .unwrap()
        .id;
    let unknown = queue::enqueue(
        &mut tx,
        app.db.backend(),
        &NewJob::new("test", "no.such.kind", json!({})),
        Defaults::default(),
    )
    .await
    .unwrap()
    .id;
    tx.commit().await.unwrap();
    for id in [id, unknown] {
        let row = eventually(Duration::from_secs(10), || async {
            queue::get(&app.db, &id)
                .await
                .unwrap()
                .filter(|r| r.status == "dead")
        })
        .await;
        assert_eq!(row.attempts, 1);
        assert!(row.finished_at.is_some());
    }
}

async fn retention_keeps_the_newest_completed_and_dead_and_every_failed_job(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = store::now_ms();
    let statements = [("completed", 150), ("dead", 250), ("failed", 5)];
    for (status, n) in statements {
        let sql = format!(
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < {n}) \
             insert into jobs (id, queue, kind, payload, status, attempts, max_attempts, backoff_ms, run_at, created_at, updated_at, finished_at) \
             select '{status}' || i, 'q-ret', 'test.noop', '{{}}', '{status}', 1, 3, 2000, {now}, {now} + i, {now} + i, {now} + i from n"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.db.writer())
            .await
            .unwrap();
    }
    let mut tx = app.db.begin().await.unwrap();
    queue::prune(&mut tx, 100, 200).await.unwrap();
    tx.commit().await.unwrap();
    let count = |status: &'static str| {
        let db = app.db.clone();
        async move {
            let (n,): (i64,) =
                sqlx::query_as("select count(*) from jobs where queue = 'q-ret' and status = $1")
                    .bind(status)
                    .fetch_one(db.reader())
                    .await
                    .unwrap();
            n
        }
    };
    assert_eq!(
        (
            count("completed").await,
            count("dead").await,
            count("failed").await
        ),
        (100, 200, 5)
    );
    // The newest were kept.
    let (oldest,): (i64,) = sqlx::query_as(
        "select min(finished_at) from jobs where queue = 'q-ret' and status = 'completed'",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!(oldest, now + 51);
}

async fn jobs_are_visible_to_their_own_shop_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.register("a@shop.in").await;
    let b = app.register("b@shop.in").await;
    assert_eq!(
        app.post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "a@shop.in"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let (id,): (String,) = sqlx::query_as("select id from jobs where tenant_id = $1")
        .bind(a["_id"].as_str().unwrap())
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    let mine = app.get(&format!("/api/jobs/{id}"), Some(&token(&a))).await;
    assert_eq!(mine.status, StatusCode::OK);
    let keys: Vec<&str> = mine
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "_id",
        "queue",
        "kind",
        "status",
        "attempts",
        "maxAttempts",
        "lastError",
        "result",
        "createdAt",
        "finishedAt",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(mine.body.get("payload").is_none());
    assert_eq!(mine.body["queue"], "email");
    let theirs = app.get(&format!("/api/jobs/{id}"), Some(&token(&b))).await;
    assert_eq!(
        (theirs.status, theirs.message()),
        (StatusCode::NOT_FOUND, "Job not found")
    );
    let missing = app
        .get("/api/jobs/0123456789abcdef01234567", Some(&token(&a)))
        .await;
    assert_eq!(
        missing.body, theirs.body,
        "a foreign id answers exactly like a missing one"
    );
    assert_eq!(
        app.get("/api/jobs/nope", Some(&token(&a))).await.status,
        StatusCode::BAD_REQUEST
    );
}
