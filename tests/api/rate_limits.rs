use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Options, PASSWORD, TestApp, redis_url, register_body, unique};

both_backends!(
    login_is_limited_per_client_ip,
    login_is_limited_per_account_across_ips,
    a_locked_account_answers_423_even_past_the_limit,
    register_is_limited_per_client_ip,
    instances_share_limits_through_redis,
    limits_hold_in_process_while_redis_is_down,
);

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> crate::helpers::Reply {
    app.call_with(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
        &[("x-forwarded-for", ip)],
    )
    .await
}

async fn login_is_limited_per_client_ip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..20 {
        let r = app.login(&format!("nobody{i}@shop.in"), "Wrong#123").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "request {i}");
    }
    let r = app.login("nobody-else@shop.in", "Wrong#123").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.message(),
        "Too many login attempts. Please try again later."
    );
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.body["retryAfter"], retry);
    // X-Forwarded-For from an untrusted peer changes nothing.
    assert_eq!(
        login_from(&app, "203.0.113.7", "x@shop.in", "Wrong#123")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn login_is_limited_per_account_across_ips(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options::default().env("TRUSTED_PROXIES", "127.0.0.1"),
    )
    .await;
    app.register("owner@shop.in").await;
    for i in 0..20 {
        let r = login_from(&app, &format!("198.51.100.{i}"), "owner@shop.in", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}");
    }
    let r = login_from(&app, "198.51.100.200", "owner@shop.in", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Another account from a fresh address is unaffected.
    app.register("second@shop.in").await;
    assert_eq!(
        login_from(&app, "198.51.100.201", "second@shop.in", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

async fn a_locked_account_answers_423_even_past_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@shop.in").await;
    for _ in 0..5 {
        assert_eq!(
            app.login("owner@shop.in", "Wrong#123").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    for i in 0..15 {
        app.login(&format!("filler{i}@shop.in"), "Wrong#123").await;
    }
    assert_eq!(
        app.login("someone@shop.in", "Wrong#123").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let locked = app.login("owner@shop.in", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::LOCKED);
    assert!(locked.body["lockedUntil"].is_string());
}

async fn register_is_limited_per_client_ip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..20 {
        let r = app
            .post(
                "/api/auth/register",
                None,
                register_body(&format!("shop{i}@shop.in")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "request {i}");
    }
    let r = app
        .post(
            "/api/auth/register",
            None,
            register_body("one-more@shop.in"),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        app.login("one-more@shop.in", PASSWORD).await.status != StatusCode::OK,
        "nothing was created"
    );
}

async fn instances_share_limits_through_redis(backend: Backend) {
    if redis_url().is_none() {
        eprintln!("Redis tests skipped (BIZZAI_TEST_REDIS=skip)");
        return;
    }
    let prefix = format!("{}:", unique("shared-"));
    let a = TestApp::spawn_with(
        backend,
        Options::default()
            .with_redis()
            .env("REDIS_KEY_PREFIX", prefix.clone()),
    )
    .await;
    let b = TestApp::spawn_with(
        backend,
        Options::default()
            .with_redis()
            .env("REDIS_KEY_PREFIX", prefix),
    )
    .await;
    // Wait until both instances are connected to Redis.
    for app in [&a, &b] {
        crate::helpers::eventually(std::time::Duration::from_secs(10), || async {
            (app.get("/api/health/ready", None).await.body["checks"]["redis"] == "connected")
                .then_some(())
        })
        .await;
    }
    for i in 0..10 {
        assert_eq!(
            a.login(&format!("n{i}@shop.in"), "Wrong#123").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            b.login(&format!("m{i}@shop.in"), "Wrong#123").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        a.login("z@shop.in", "Wrong#123").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        b.login("y@shop.in", "Wrong#123").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn limits_hold_in_process_while_redis_is_down(backend: Backend) {
    // Nothing listens on port 1: Redis is configured but unreachable.
    let app = TestApp::spawn_with(
        backend,
        Options::default().env("REDIS_URL", "redis://127.0.0.1:1"),
    )
    .await;
    let ready = app.get("/api/health/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["checks"]["redis"], "degraded");
    app.register("owner@shop.in").await;
    for i in 0..19 {
        let r = app.login(&format!("n{i}@shop.in"), "Wrong#123").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "request {i}");
    }
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
