use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, register_body};

both_backends!(
    register_returns_the_flat_user_with_tokens_and_a_device_cookie,
    register_refuses_bad_input_and_creates_nothing,
    concurrent_registrations_of_one_email_create_one_account
);

async fn register_returns_the_flat_user_with_tokens_and_a_device_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let reply = app
        .post("/api/auth/register", None, register_body("Owner@Shop.in"))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let b = &reply.body;
    assert_eq!(b["_id"].as_str().unwrap().len(), 24);
    assert!(
        b["_id"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|c| c.is_ascii_hexdigit())
    );
    assert_eq!(b["email"], "owner@shop.in");
    assert_eq!(b["name"], "Asha Traders");
    assert_eq!(b["shopName"], "Asha Kirana");
    assert_eq!(b["phone"], "9876543210");
    assert_eq!(b["timezone"], "Asia/Kolkata");
    assert!(
        b["token"].as_str().unwrap().split('.').count() == 3,
        "a JWT"
    );
    assert!(b["refreshToken"].as_str().unwrap().len() >= 32);
    assert!(b.get("password").is_none() && b.get("passwordHash").is_none());
    let cookie = reply.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("deviceId="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    // The token works at once.
    let profile = app
        .get("/api/auth/profile", Some(b["token"].as_str().unwrap()))
        .await;
    assert_eq!(profile.status, StatusCode::OK);
    assert_eq!(profile.body["email"], "owner@shop.in");
}

async fn register_refuses_bad_input_and_creates_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            json!({"email": "a@b.in", "password": PASSWORD, "phone": "9876543210"}),
            "Please fill all required fields",
        ),
        (
            json!({"name": " ", "email": "a@b.in", "password": PASSWORD, "phone": "9876543210"}),
            "Please fill all required fields",
        ),
        (
            json!({"name": "A", "email": "a@b.in", "password": PASSWORD, "phone": "98765"}),
            "Phone number must be exactly 10 digits",
        ),
        (
            json!({"name": "A", "email": "a@b.in", "password": PASSWORD, "phone": "12345.6789"}),
            "Phone number must be exactly 10 digits",
        ),
        (
            json!({"name": "A", "email": "a@b.in", "password": "weakpass", "phone": "9876543210"}),
            "Password too weak. Use at least 8 characters with uppercase, lowercase, number, and symbol.",
        ),
        (
            json!({"name": "A", "email": "not-an-email", "password": PASSWORD, "phone": "9876543210"}),
            "Please enter a valid email address",
        ),
    ];
    for (body, message) in cases {
        let reply = app.post("/api/auth/register", None, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.message(), message, "{body}");
    }
    // Nothing was created: the address of the first valid-looking attempt is still free.
    assert_eq!(
        app.login("a@b.in", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A type error names the field.
    let reply = app
        .post(
            "/api/auth/register",
            None,
            json!({"name": 5, "email": "a@b.in", "password": PASSWORD, "phone": "9876543210"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.message().starts_with("name:"), "{}", reply.message());
    // Duplicates are case-insensitive.
    app.register("dup@shop.in").await;
    let reply = app
        .post("/api/auth/register", None, register_body("DUP@shop.IN"))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.message(), "User already exists");
}

async fn concurrent_registrations_of_one_email_create_one_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let attempts =
        (0..8).map(|_| app.post("/api/auth/register", None, register_body("race@shop.in")));
    let replies = futures::future::join_all(attempts).await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let duplicate = replies
        .iter()
        .filter(|r| r.status == StatusCode::BAD_REQUEST && r.message() == "User already exists")
        .count();
    assert_eq!(
        (created, duplicate),
        (1, 7),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let (accounts,): (i64,) =
        sqlx::query_as("select count(*) from users where email_key = 'race@shop.in'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(accounts, 1);
}
