use reqwest::{Method, StatusCode};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, token};

both_backends!(
    errors_are_json_with_a_message_for_every_kind_of_bad_request,
    cors_allows_the_frontend_with_credentials_and_ignores_strangers,
    request_ids_are_echoed_or_generated,
    health_endpoints_report_liveness_and_readiness,
    an_internal_error_says_nothing_but_its_request_id,
    an_oversized_body_is_answered_413_not_a_reset,
);

async fn errors_are_json_with_a_message_for_every_kind_of_bad_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let url = |p: &str| format!("{}{p}", app.base);
    let c = &app.client;
    let check = |status: StatusCode, body: String, expected: StatusCode, what: &str| {
        assert_eq!(status, expected, "{what}: {body}");
        let json: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{what}: not JSON: {body}"));
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
        json
    };
    let r = c.get(url("/api/nothing-here")).send().await.unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::NOT_FOUND,
        "unknown route",
    );
    let r = c.delete(url("/api/auth/login")).send().await.unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
        "wrong method",
    );
    let r = c
        .post(url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let body = check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed JSON",
    );
    assert!(body["message"].as_str().unwrap().contains("Malformed JSON"));
    let r = c
        .post(url("/api/auth/login"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "missing content type",
    );
    let r = c
        .post(url("/api/auth/login"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "wrong content type",
    );
    let r = c
        .post(url("/api/auth/login"))
        .json(&serde_json::json!({"email": ["a"], "password": "x"}))
        .send()
        .await
        .unwrap();
    let body = check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "wrong type",
    );
    assert!(
        body["message"].as_str().unwrap().starts_with("email:"),
        "{body}"
    );
    let r = c
        .post(url("/api/auth/login"))
        .json(&serde_json::json!([1, 2]))
        .send()
        .await
        .unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "array body",
    );
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let r = c
        .post(url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "oversized body",
    );
    let r = c
        .put(url("/api/users/not-an-id"))
        .bearer_auth(&t)
        .json(&serde_json::json!({"name": 1}))
        .send()
        .await
        .unwrap();
    check(
        r.status(),
        r.text().await.unwrap(),
        StatusCode::BAD_REQUEST,
        "field type on an authenticated route",
    );
}

async fn cors_allows_the_frontend_with_credentials_and_ignores_strangers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let preflight = app
        .client
        .request(Method::OPTIONS, format!("{}/api/auth/login", app.base))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(h["access-control-allow-credentials"], "true");
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in [
        "content-type",
        "authorization",
        "idempotency-key",
        "x-request-id",
    ] {
        assert!(allowed.contains(header), "{header} in {allowed}");
    }
    assert_eq!(h["access-control-max-age"], "86400");
    let stranger = app
        .client
        .get(format!("{}/api/health/live", app.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::OK);
    assert!(
        stranger
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn request_ids_are_echoed_or_generated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let echoed = app
        .call_with(
            Method::GET,
            "/api/health/live",
            None,
            None,
            &[("x-request-id", "abc-123")],
        )
        .await;
    assert_eq!(echoed.headers["x-request-id"], "abc-123");
    let generated = app.get("/api/health/live", None).await;
    assert_eq!(
        generated.headers["x-request-id"].to_str().unwrap().len(),
        24
    );
    let hostile = app
        .call_with(
            Method::GET,
            "/api/health/live",
            None,
            None,
            &[("x-request-id", "a b\"<script>")],
        )
        .await;
    assert_ne!(hostile.headers["x-request-id"], "a b\"<script>");
}

async fn health_endpoints_report_liveness_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let live = app.get("/api/health/live", None).await;
    assert_eq!(
        (live.status, live.body["status"].as_str()),
        (StatusCode::OK, Some("alive"))
    );
    let health = app.get("/api/health", None).await;
    assert_eq!(health.body["status"], "ok");
    assert!(health.body["uptime"].as_f64().is_some() && health.body["version"].is_string());
    let ready = app.get("/api/health/ready", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.body);
    assert_eq!(ready.body["checks"]["database"], "connected");
    assert_eq!(ready.body["checks"]["redis"], "not_configured");
    let banner = app.get("/", None).await;
    assert_eq!(banner.status, StatusCode::OK);
}

async fn an_internal_error_says_nothing_but_its_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@shop.in").await;
    // Break the schema under the running server: the next login's query fails unexpectedly.
    sqlx::query("drop table login_throttles")
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = app
        .call_with(
            Method::POST,
            "/api/auth/login",
            None,
            Some(serde_json::json!({"email": "owner@shop.in", "password": "Wrong#123"})),
            &[("x-request-id", "req-500")],
        )
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.body,
        serde_json::json!({"message": "Internal server error", "requestId": "req-500"})
    );
}

/// A body over the limit is refused before it is read, but the server still drains what the client
/// keeps sending (bounded), so the client reads the 413 instead of a connection reset mid-upload.
async fn an_oversized_body_is_answered_413_not_a_reset(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    // A valid item followed by 12 MiB of whitespace (still valid JSON, so only the limit refuses
    // it), in 64 KiB chunks without Content-Length or in one piece with it, over a fresh
    // connection each time.
    let item = br#"{"name": "Rice", "category": "Grains", "costPrice": 40, "sellingPrice": 50}"#;
    let chunk = |n: usize| {
        let mut bytes = vec![b' '; 64 * 1024];
        if n == 0 {
            bytes[..item.len()].copy_from_slice(item);
        }
        bytes
    };
    for (round, declared) in [false, true].into_iter().cycle().take(6).enumerate() {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let chunks = (0..192).map(move |n| Ok::<_, std::io::Error>(chunk(n)));
        let mut request = client
            .post(format!("{}/api/inventory", app.base))
            .bearer_auth(&t)
            .header("content-type", "application/json");
        request = if declared {
            request.body((0..192).flat_map(chunk).collect::<Vec<u8>>())
        } else {
            request.body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round} (declared length {declared}): {e:?}"));
        assert_eq!(
            response.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "round {round}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("too large"),
            "{body}"
        );
    }
    // Nothing was created.
    let items = app.get("/api/inventory", Some(&t)).await.body;
    assert_eq!(items.as_array().map(Vec::len), Some(0), "{items}");
}
