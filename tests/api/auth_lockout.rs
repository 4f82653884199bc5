use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Options, PASSWORD, TestApp, eventually, token};

both_backends!(
    five_failures_lock_known_and_unknown_accounts_alike,
    a_lock_blocks_new_logins_and_force_logout_but_not_existing_sessions,
    success_clears_the_count_and_the_lock_expires,
    parallel_wrong_passwords_get_exactly_five_tries,
);

async fn parallel_wrong_passwords_get_exactly_five_tries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@shop.in").await;
    let attempts = (0..20).map(|_| app.login("owner@shop.in", "Wrong#123"));
    let replies = futures::future::join_all(attempts).await;
    let unauthorized = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    let locked = replies
        .iter()
        .filter(|r| r.status == StatusCode::LOCKED)
        .count();
    assert_eq!(
        (unauthorized, locked),
        (5, 15),
        "five failures count, the rest meet the lock"
    );
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::LOCKED
    );
}

async fn five_failures_lock_known_and_unknown_accounts_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@shop.in").await;
    for email in ["owner@shop.in", "ghost@shop.in"] {
        for attempt in 1..=5 {
            let reply = app.login(email, "Wrong#123").await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{email} attempt {attempt}: the fifth failure still answers 401"
            );
        }
        let locked = app.login(email, PASSWORD).await;
        assert_eq!(locked.status, StatusCode::LOCKED, "{email}");
        assert_eq!(
            locked.message(),
            "Account locked due to too many failed attempts. Try again later."
        );
        let until =
            chrono::DateTime::parse_from_rfc3339(locked.body["lockedUntil"].as_str().unwrap())
                .unwrap();
        let minutes =
            (until.timestamp_millis() - chrono::Utc::now().timestamp_millis()) as f64 / 60_000.0;
        assert!(
            (14.0..=15.01).contains(&minutes),
            "locked for 15 minutes, got {minutes}"
        );
    }
    // Known and unknown addresses are indistinguishable while locked.
    let known = app.login("owner@shop.in", "x").await;
    let unknown = app.login("ghost@shop.in", "x").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.message(), unknown.message());
}

async fn a_lock_blocks_new_logins_and_force_logout_but_not_existing_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = token(&app.register("owner@shop.in").await);
    for _ in 0..3 {
        app.login("owner@shop.in", "Wrong#123").await;
    }
    // force-logout failures count too.
    for _ in 0..2 {
        let r = app
            .post(
                "/api/auth/force-logout",
                None,
                json!({"email": "owner@shop.in", "password": "Wrong#123"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .post(
            "/api/auth/force-logout",
            None,
            json!({"email": "owner@shop.in", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert!(r.body["lockedUntil"].is_string());
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::LOCKED
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&session)).await.status,
        StatusCode::OK,
        "existing sessions keep working"
    );
}

async fn success_clears_the_count_and_the_lock_expires(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options::default().env("LOGIN_LOCKOUT_DURATION", "1s"),
    )
    .await;
    app.register("owner@shop.in").await;
    for _ in 0..4 {
        app.login("owner@shop.in", "Wrong#123").await;
    }
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::OK
    );
    // The count started again: four more failures do not lock.
    for _ in 0..4 {
        assert_eq!(
            app.login("owner@shop.in", "Wrong#123").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::OK
    );
    for _ in 0..5 {
        app.login("owner@shop.in", "Wrong#123").await;
    }
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::LOCKED
    );
    eventually(Duration::from_secs(10), || async {
        (app.login("owner@shop.in", PASSWORD).await.status == StatusCode::OK).then_some(())
    })
    .await;
}
