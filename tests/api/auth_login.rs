use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Options, PASSWORD, TestApp, token};

both_backends!(
    login_answers_the_flat_user_and_matches_email_case_insensitively,
    wrong_password_and_unknown_email_answer_the_same_401,
    several_devices_may_be_logged_in_at_once,
    single_device_mode_answers_the_original_409,
    force_logout_revokes_every_session,
    bcrypt_hashes_are_accepted_and_upgraded_to_argon2id,
);

async fn login_answers_the_flat_user_and_matches_email_case_insensitively(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("owner@shop.in").await;
    let reply = app.login(" OWNER@Shop.in ", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    for key in [
        "_id",
        "name",
        "email",
        "shopName",
        "gstNumber",
        "shopAddress",
        "phone",
        "token",
        "refreshToken",
    ] {
        assert!(reply.body.get(key).is_some(), "login body has {key}");
    }
    assert_eq!(reply.body["_id"], registered["_id"]);
    assert!(reply.headers.get("set-cookie").is_some());
    let missing = app
        .post("/api/auth/login", None, json!({"email": "owner@shop.in"}))
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.message(), "Please enter email and password");
}

async fn wrong_password_and_unknown_email_answer_the_same_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@shop.in").await;
    let wrong = app.login("owner@shop.in", "Wrong#123").await;
    let unknown = app.login("nobody@shop.in", "Wrong#123").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.message(), "Invalid credentials");
}

async fn several_devices_may_be_logged_in_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = token(&app.register("owner@shop.in").await);
    let second = token(&app.login("owner@shop.in", PASSWORD).await.body);
    assert_eq!(
        app.get("/api/auth/profile", Some(&first)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&second)).await.status,
        StatusCode::OK
    );
}

async fn single_device_mode_answers_the_original_409(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options::default().env("SINGLE_DEVICE_SESSIONS", "true"),
    )
    .await;
    let registered = app
        .post(
            "/api/auth/register",
            None,
            crate::helpers::register_body("owner@shop.in"),
        )
        .await;
    let cookie = registered
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // Another browser (no cookie) is refused with the original's message.
    let other = app.login("owner@shop.in", PASSWORD).await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert!(
        other
            .message()
            .contains("currently active on another device"),
        "{}",
        other.message()
    );
    assert_eq!(other.body["deviceConflict"], true);
    app.assert_live(&token(&registered.body)).await;
    // The same browser may log in again (its old session is replaced).
    let same = app
        .call_with(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "owner@shop.in", "password": PASSWORD})),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/auth/profile", Some(&token(&registered.body)))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // A forged cookie is another device.
    let forged = app
        .call_with(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "owner@shop.in", "password": PASSWORD})),
            &[(
                "cookie",
                &format!("deviceId={}.{}", "a".repeat(64), "0".repeat(64)),
            )],
        )
        .await;
    assert_eq!(forged.status, StatusCode::CONFLICT);
    // force-logout frees the account for the other browser.
    let freed = app
        .post(
            "/api/auth/force-logout",
            None,
            json!({"email": "owner@shop.in", "password": PASSWORD}),
        )
        .await;
    assert_eq!(freed.status, StatusCode::OK);
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::OK
    );
}

async fn force_logout_revokes_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = token(&app.register("owner@shop.in").await);
    let b = token(&app.login("owner@shop.in", PASSWORD).await.body);
    app.assert_live(&b).await;
    let missing = app
        .post(
            "/api/auth/force-logout",
            None,
            json!({"email": "owner@shop.in"}),
        )
        .await;
    assert_eq!(
        (missing.status, missing.message()),
        (StatusCode::BAD_REQUEST, "Invalid credentials")
    );
    let wrong = app
        .post(
            "/api/auth/force-logout",
            None,
            json!({"email": "owner@shop.in", "password": "Nope#1234"}),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.message()),
        (StatusCode::UNAUTHORIZED, "Invalid credentials")
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&a)).await.status,
        StatusCode::OK,
        "a failed force-logout changes nothing"
    );
    let ok = app
        .post(
            "/api/auth/force-logout",
            None,
            json!({"email": "owner@shop.in", "password": PASSWORD}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        ok.message(),
        "All sessions revoked successfully. You can now log in from this device."
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&a)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&b)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn bcrypt_hashes_are_accepted_and_upgraded_to_argon2id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.register("legacy@shop.in").await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let legacy = bcrypt::hash("Legacy#123", 4).unwrap();
    sqlx::query("update users set password_hash = $1 where id = $2")
        .bind(&legacy)
        .bind(&id)
        .execute(app.db.writer())
        .await
        .unwrap();
    assert_eq!(
        app.login("legacy@shop.in", "Wrong#123").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("legacy@shop.in", "Legacy#123").await.status,
        StatusCode::OK
    );
    let (hash,): (String,) = sqlx::query_as("select password_hash from users where id = $1")
        .bind(&id)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_eq!(
        app.login("legacy@shop.in", "Legacy#123").await.status,
        StatusCode::OK
    );
}
