use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, register_body, token};

both_backends!(
    users_list_shows_only_the_caller,
    profile_update_changes_whitelisted_fields_only,
    deleting_an_account_ends_its_sessions_and_frees_its_email,
);

async fn users_list_shows_only_the_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.register("a@shop.in").await;
    app.register("b@shop.in").await;
    let list = app.get("/api/users", Some(&token(&a))).await;
    assert_eq!(list.status, StatusCode::OK);
    let users = list.body.as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "a@shop.in");
    assert!(users[0].get("passwordHash").is_none());
}

async fn profile_update_changes_whitelisted_fields_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.register("a@shop.in").await;
    let b = app.register("b@shop.in").await;
    let id = a["_id"].as_str().unwrap();
    let t = token(&a);
    let body = json!({
        "name": "Asha Stores", "email": "Owner@Asha.in", "phone": "9000000001", "shopName": "Asha Mart",
        "gstNumber": "29ABCDE1234F1Z5", "shopAddress": "12 MG Road", "timezone": "Europe/Berlin",
        "role": "admin", "_id": "000000000000000000000000", "password": "Hacked#123", "createdAt": "2000-01-01"
    });
    let r = app
        .call(
            Method::PUT,
            &format!("/api/users/{id}"),
            Some(&t),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.message(), "Profile updated successfully");
    let u = &r.body["user"];
    assert_eq!(
        (u["_id"].as_str(), u["email"].as_str(), u["role"].as_str()),
        (Some(id), Some("owner@asha.in"), Some("owner"))
    );
    assert_eq!(u["shopName"], "Asha Mart");
    assert_eq!(u["gstNumber"], "29ABCDE1234F1Z5");
    assert_eq!(u["timezone"], "Europe/Berlin");
    let profile = app.get("/api/auth/profile", Some(&t)).await.body;
    assert_eq!(profile["shopAddress"], "12 MG Road");
    assert_eq!(
        app.login("owner@asha.in", PASSWORD).await.status,
        StatusCode::OK,
        "password unchanged"
    );
    assert_eq!(
        app.login("owner@asha.in", "Hacked#123").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Another shop's id, a taken e-mail, a bad time zone.
    let other = b["_id"].as_str().unwrap();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/users/{other}"),
            Some(&t),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::FORBIDDEN,
            "Unauthorized: Cannot update other users' profiles"
        )
    );
    let r = app
        .call(
            Method::PUT,
            &format!("/api/users/{id}"),
            Some(&t),
            Some(json!({"email": "B@shop.in"})),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Email already in use")
    );
    let r = app
        .call(
            Method::PUT,
            &format!("/api/users/{id}"),
            Some(&t),
            Some(json!({"timezone": "Mars/Base"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("timezone"));
    assert_eq!(
        app.get("/api/auth/profile", Some(&t)).await.body["timezone"],
        "Europe/Berlin",
        "refused updates change nothing"
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&token(&b))).await.body["name"],
        "Asha Traders"
    );
}

async fn deleting_an_account_ends_its_sessions_and_frees_its_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.register("a@shop.in").await;
    let b = app.register("b@shop.in").await;
    let t = token(&a);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/users/{}", b["_id"].as_str().unwrap()),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/users/{}", a["_id"].as_str().unwrap()),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "User account deleted successfully")
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&t)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app.login("a@shop.in", PASSWORD).await;
    assert_eq!(
        (login.status, login.message()),
        (StatusCode::UNAUTHORIZED, "Invalid credentials")
    );
    let again = app
        .post("/api/auth/register", None, register_body("a@shop.in"))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_ne!(again.body["_id"], a["_id"]);
    // The deleted shop's row is kept (its documents refer to it).
    let (count,): (i64,) =
        sqlx::query_as("select count(*) from users where email_key = 'a@shop.in'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(count, 2);
}
