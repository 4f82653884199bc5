use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Options, PASSWORD, TestApp, eventually, token};

both_backends!(
    logout_revokes_the_session_on_the_next_request_and_can_be_repeated,
    refresh_rotates_and_a_reused_token_revokes_the_session,
    revoke_ends_the_session_of_one_refresh_token,
    revoke_all_ends_every_session,
    bearer_tokens_are_the_only_credential,
    expired_access_tokens_are_refused,
);

async fn logout_revokes_the_session_on_the_next_request_and_can_be_repeated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let other = token(&app.login("owner@shop.in", PASSWORD).await.body);
    app.assert_live(&t).await;
    let out = app
        .call(Method::POST, "/api/auth/logout", Some(&t), None)
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(
        out.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app.get("/api/auth/profile", Some(&t)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.message(), "Invalid or expired token");
    assert_eq!(
        app.call(Method::POST, "/api/auth/logout", Some(&t), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&other)).await.status,
        StatusCode::OK,
        "other sessions live on"
    );
    assert_eq!(
        app.call(Method::POST, "/api/auth/logout", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn refresh_rotates_and_a_reused_token_revokes_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app.register("owner@shop.in").await;
    app.assert_live(&token(&login)).await;
    let first = login["refreshToken"].as_str().unwrap().to_owned();
    let rotated = app
        .post("/api/auth/refresh", None, json!({"refreshToken": first}))
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    assert_eq!(rotated.body["token"], rotated.body["accessToken"]);
    assert_eq!(rotated.body["user"]["email"], "owner@shop.in");
    let second = rotated.body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let access = token(&rotated.body);
    assert_eq!(
        app.get("/api/auth/profile", Some(&access)).await.status,
        StatusCode::OK
    );
    // Replaying the rotated token is theft: the whole session dies.
    let replay = app
        .post("/api/auth/refresh", None, json!({"refreshToken": first}))
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/auth/profile", Some(&access)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&token(&login)))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let successor = app
        .post("/api/auth/refresh", None, json!({"refreshToken": second}))
        .await;
    assert_eq!(successor.status, StatusCode::UNAUTHORIZED);
    let unknown = app
        .post(
            "/api/auth/refresh",
            None,
            json!({"refreshToken": "f".repeat(64)}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.message()),
        (StatusCode::UNAUTHORIZED, "Invalid refresh token")
    );
    let missing = app.post("/api/auth/refresh", None, json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
}

async fn revoke_ends_the_session_of_one_refresh_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.register("owner@shop.in").await;
    let b = app.login("owner@shop.in", PASSWORD).await.body;
    app.assert_live(&token(&b)).await;
    let r = app
        .post(
            "/api/auth/revoke",
            Some(&token(&a)),
            json!({"refreshToken": b["refreshToken"]}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "Refresh token revoked successfully")
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&token(&b))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&token(&a))).await.status,
        StatusCode::OK
    );
    let unknown = app
        .post(
            "/api/auth/revoke",
            Some(&token(&a)),
            json!({"refreshToken": "0".repeat(64)}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.message()),
        (StatusCode::NOT_FOUND, "Refresh token not found")
    );
    // Another shop's refresh token is unknown to this shop.
    let other = app.register("other@shop.in").await;
    let foreign = app
        .post(
            "/api/auth/revoke",
            Some(&token(&a)),
            json!({"refreshToken": other["refreshToken"]}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/auth/profile", Some(&token(&other)))
            .await
            .status,
        StatusCode::OK
    );
}

async fn revoke_all_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = token(&app.register("owner@shop.in").await);
    let b = token(&app.login("owner@shop.in", PASSWORD).await.body);
    app.assert_live(&a).await;
    app.assert_live(&b).await;
    let r = app
        .call(Method::POST, "/api/auth/revoke-all", Some(&a), None)
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "All refresh tokens revoked successfully")
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

async fn bearer_tokens_are_the_only_credential(backend: Backend) {
    let app = TestApp::spawn(backend).await;
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
    let missing = app
        .call_with(
            Method::GET,
            "/api/auth/profile",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(
        (missing.status, missing.message()),
        (StatusCode::UNAUTHORIZED, "Not authorized, token missing")
    );
    let garbage = app.get("/api/auth/profile", Some("not-a-jwt")).await;
    assert_eq!(
        (garbage.status, garbage.message()),
        (StatusCode::UNAUTHORIZED, "Invalid or expired token")
    );
    // Same claims, signed with another key.
    let t = token(&registered.body);
    let claims: serde_json::Value = {
        use base64::Engine;
        let payload = t.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"someone-else-s-secret-0123456789abcdef").unwrap(),
    )
    .unwrap();
    assert_eq!(
        app.get("/api/auth/profile", Some(&forged)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let basic = app
        .call_with(
            Method::GET,
            "/api/auth/profile",
            None,
            None,
            &[("authorization", "Basic abc")],
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/auth/profile", Some(&t)).await.status,
        StatusCode::OK
    );
}

async fn expired_access_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::default().env("ACCESS_TOKEN_TTL", "1s")).await;
    let t = token(&app.register("owner@shop.in").await);
    eventually(Duration::from_secs(10), || async {
        let r = app.get("/api/auth/profile", Some(&t)).await;
        (r.status == StatusCode::UNAUTHORIZED).then_some(r.message().to_owned())
    })
    .await;
    assert_eq!(
        app.get("/api/auth/profile", Some(&t)).await.message(),
        "Invalid or expired token"
    );
}
