//! E-mail through the queue: password reset end to end with a real SMTP server, outages,
//! rejected recipients, and the outbox folder.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, Options, PASSWORD, TestApp, eventually, token};
use crate::smtp_sink::SmtpSink;

both_backends!(
    the_reset_mail_arrives_and_its_link_resets_the_password_and_ends_every_session,
    forgot_password_answers_the_same_for_unknown_addresses_and_sends_nothing,
    smtp_down_then_back_retries_with_growing_delays_and_delivers_once,
    a_rejected_recipient_is_dead_after_one_attempt_with_the_server_reply,
    without_smtp_mail_is_written_to_the_outbox,
    an_email_job_delivers_html_text_and_attachments,
    starttls_required_refuses_a_server_without_it,
    forgot_password_is_limited_to_ten_an_hour,
    an_expired_reset_token_is_refused,
);

async fn an_expired_reset_token_is_refused(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    app.register("owner@shop.in").await;
    app.post(
        "/api/auth/forgot-password",
        None,
        json!({"email": "owner@shop.in"}),
    )
    .await;
    let mail = sink.wait_for(1, Duration::from_secs(15)).await.remove(0);
    let (reset_token, email) = reset_link(&mail.decoded_text());
    let (created, expires): (i64, i64) =
        sqlx::query_as("select created_at, expires_at from password_reset_tokens")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(expires - created, 3_600_000, "valid for one hour");
    // Move the expiry into the past instead of waiting an hour.
    sqlx::query("update password_reset_tokens set expires_at = $1")
        .bind(store::now_ms() - 1)
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = app
        .post(
            "/api/auth/reset-password",
            None,
            json!({"token": reset_token, "email": email, "password": "NewSecret#9"}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Invalid or expired reset token")
    );
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::OK,
        "the password is unchanged"
    );
}

fn smtp(port: u16) -> Options {
    Options::default()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", port.to_string())
        .env("SMTP_TIMEOUT", "2s")
        .env("FRONTEND_URL", "https://shop.example")
}

/// The `token` and `email` of the reset link in a mail.
fn reset_link(text: &str) -> (String, String) {
    let start = text
        .find("https://shop.example/reset-password?token=")
        .expect("reset link in the mail");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    let query = link.split_once('?').unwrap().1.replace("&amp;", "&");
    let mut token = String::new();
    let mut email = String::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("token", v)) => token = v.to_owned(),
            Some(("email", v)) => email = v.replace("%40", "@"),
            _ => {}
        }
    }
    (token, email)
}

async fn the_reset_mail_arrives_and_its_link_resets_the_password_and_ends_every_session(
    backend: Backend,
) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    let first = token(&app.register("owner@shop.in").await);
    let second = token(&app.login("owner@shop.in", PASSWORD).await.body);
    app.assert_live(&first).await;
    app.assert_live(&second).await;
    let r = app
        .post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "Owner@Shop.in"}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::OK,
            "If this email exists, a reset link has been sent"
        )
    );
    let mail = sink.wait_for(1, Duration::from_secs(15)).await.remove(0);
    assert_eq!(mail.to, vec!["owner@shop.in"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Reset your BizzAI password")
    );
    let text = mail.decoded_text();
    let (reset_token, email) = reset_link(&text);
    assert_eq!(email, "owner@shop.in");
    assert_eq!(reset_token.len(), 64);
    // Only the token's hash rests in the database.
    let (stored,): (String,) = sqlx::query_as("select token_hash from password_reset_tokens")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_ne!(stored, reset_token);
    let weak = app
        .post(
            "/api/auth/reset-password",
            None,
            json!({"token": reset_token, "email": email, "password": "weak"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    let wrong_email = app
        .post(
            "/api/auth/reset-password",
            None,
            json!({"token": reset_token, "email": "x@shop.in", "password": "NewSecret#9"}),
        )
        .await;
    assert_eq!(
        (wrong_email.status, wrong_email.message()),
        (StatusCode::BAD_REQUEST, "Invalid or expired reset token")
    );
    let ok = app
        .post(
            "/api/auth/reset-password",
            None,
            json!({"token": reset_token, "email": email, "password": "NewSecret#9"}),
        )
        .await;
    assert_eq!(
        (ok.status, ok.message()),
        (StatusCode::OK, "Password reset successful. Please log in.")
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/auth/profile", Some(&second)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("owner@shop.in", "NewSecret#9").await.status,
        StatusCode::OK
    );
    let again = app
        .post(
            "/api/auth/reset-password",
            None,
            json!({"token": reset_token, "email": email, "password": "Other#Secret9"}),
        )
        .await;
    assert_eq!(
        (again.status, again.message()),
        (StatusCode::BAD_REQUEST, "Invalid or expired reset token"),
        "single use"
    );
    let missing = app
        .post("/api/auth/reset-password", None, json!({"email": email}))
        .await;
    assert_eq!(
        missing.message(),
        "Token, email and new password are required"
    );
}

async fn forgot_password_answers_the_same_for_unknown_addresses_and_sends_nothing(
    backend: Backend,
) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    app.register("owner@shop.in").await;
    let unknown = app
        .post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "ghost@shop.in"}),
        )
        .await;
    let known = app
        .post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "owner@shop.in"}),
        )
        .await;
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body));
    let missing = app.post("/api/auth/forgot-password", None, json!({})).await;
    assert_eq!(
        (missing.status, missing.message()),
        (StatusCode::BAD_REQUEST, "Email is required")
    );
    // The known address's mail arrives; the unknown one never had a job.
    let mails = sink.wait_for(1, Duration::from_secs(15)).await;
    assert!(mails.iter().all(|m| m.to == vec!["owner@shop.in"]));
    let (jobs,): (i64,) = sqlx::query_as("select count(*) from jobs where queue = 'email'")
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(jobs, 1);
}

async fn smtp_down_then_back_retries_with_growing_delays_and_delivers_once(backend: Backend) {
    let port = SmtpSink::reserve_port();
    let options = smtp(port)
        .env("JOBS_EMAIL_BACKOFF", "400ms")
        .env("JOBS_EMAIL_MAX_ATTEMPTS", "6");
    let app = TestApp::spawn_with(backend, options).await;
    app.register("owner@shop.in").await;
    app.post(
        "/api/auth/forgot-password",
        None,
        json!({"email": "owner@shop.in"}),
    )
    .await;
    let mut pauses = Vec::new();
    for attempt in 1..=2i64 {
        let (pause, error) = eventually(Duration::from_secs(15), || async {
            sqlx::query_as::<_, (i64, i64, i64, String, Option<String>)>(
                "select run_at, updated_at, attempts, status, last_error from jobs where queue = 'email'",
            )
            .fetch_optional(app.db.reader())
            .await
            .unwrap()
            .filter(|(_, _, attempts, status, _)| *attempts == attempt && status == "failed")
            .map(|(run_at, updated, _, _, error)| (run_at - updated, error))
        })
        .await;
        assert!(error.unwrap_or_default().contains("SMTP"));
        pauses.push(pause);
    }
    assert!(
        pauses[1] > pauses[0]
            && (320..=480).contains(&pauses[0])
            && (640..=960).contains(&pauses[1]),
        "{pauses:?}"
    );
    let sink = SmtpSink::start_on(port).await;
    let mails = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    let (status, attempts): (String, i64) = eventually(Duration::from_secs(10), || async {
        sqlx::query_as::<_, (String, i64)>(
            "select status, attempts from jobs where queue = 'email'",
        )
        .fetch_one(app.db.reader())
        .await
        .ok()
        .filter(|(s, _)| s == "completed")
    })
    .await;
    assert_eq!(status, "completed");
    assert!(attempts >= 3);
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
}

async fn a_rejected_recipient_is_dead_after_one_attempt_with_the_server_reply(backend: Backend) {
    let sink = SmtpSink::start().await;
    sink.reject_recipient("owner@shop.in");
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    app.register("owner@shop.in").await;
    app.post(
        "/api/auth/forgot-password",
        None,
        json!({"email": "owner@shop.in"}),
    )
    .await;
    let (attempts, error): (i64, Option<String>) = eventually(Duration::from_secs(15), || async {
        sqlx::query_as::<_, (String, i64, Option<String>)>(
            "select status, attempts, last_error from jobs where queue = 'email'",
        )
        .fetch_optional(app.db.reader())
        .await
        .unwrap()
        .filter(|(s, _, _)| s == "dead")
        .map(|(_, a, e)| (a, e))
    })
    .await;
    assert_eq!(attempts, 1);
    let error = error.unwrap();
    assert!(
        error.contains("550") && error.contains("Recipient address rejected"),
        "{error}"
    );
}

async fn without_smtp_mail_is_written_to_the_outbox(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("owner@shop.in").await;
    app.post(
        "/api/auth/forgot-password",
        None,
        json!({"email": "owner@shop.in"}),
    )
    .await;
    let outbox = app.data_dir.join("outbox");
    let eml = eventually(Duration::from_secs(15), || async {
        std::fs::read_dir(&outbox)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"))
    })
    .await;
    let content = std::fs::read_to_string(eml).unwrap();
    assert!(
        content.contains("Subject: Reset your BizzAI password"),
        "{content}"
    );
}

async fn an_email_job_delivers_html_text_and_attachments(backend: Backend) {
    use base64::Engine;
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    let email = json!({
        "to": "customer@shop.in",
        "subject": "Invoice INV-00001",
        "text": "Thank you for your purchase!",
        "html": "<p>Thank you for your <b>purchase</b>!</p>",
        "attachments": [{
            "filename": "invoice.pdf",
            "contentType": "application/pdf",
            "data": base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.7 test attachment"),
        }],
    });
    let mut tx = app.db.begin().await.unwrap();
    let job = jobs::queue::enqueue(
        &mut tx,
        app.db.backend(),
        &jobs::NewJob::new("email", "email.send", email),
        jobs::queue::Defaults::default(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mail = sink.wait_for(1, Duration::from_secs(15)).await.remove(0);
    assert_eq!(mail.to, vec!["customer@shop.in"]);
    assert_eq!(mail.header("Subject").as_deref(), Some("Invoice INV-00001"));
    let text = mail.decoded_text();
    assert!(text.contains("Thank you for your purchase!"), "{text}");
    assert!(text.contains("<b>purchase</b>"), "{text}");
    assert!(text.contains("%PDF-1.7 test attachment"), "{text}");
    assert!(
        mail.data.contains("filename=\"invoice.pdf\"")
            || mail.data.contains("filename=invoice.pdf"),
        "{}",
        mail.data
    );
    let row = eventually(Duration::from_secs(10), || async {
        jobs::queue::get(&app.db, &job.id)
            .await
            .unwrap()
            .filter(|r| r.status == "completed")
    })
    .await;
    assert!(row.result.unwrap().contains("\"attachments\":1"));
}

async fn starttls_required_refuses_a_server_without_it(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port).env("SMTP_SECURE", "starttls")).await;
    app.register("owner@shop.in").await;
    app.post(
        "/api/auth/forgot-password",
        None,
        json!({"email": "owner@shop.in"}),
    )
    .await;
    let error: String = eventually(Duration::from_secs(15), || async {
        sqlx::query_as::<_, (i64, Option<String>)>(
            "select attempts, last_error from jobs where queue = 'email'",
        )
        .fetch_optional(app.db.reader())
        .await
        .unwrap()
        .filter(|(attempts, error)| *attempts >= 1 && error.is_some())
        .and_then(|(_, error)| error)
    })
    .await;
    assert!(error.starts_with("SMTP"), "{error}");
    assert!(sink.messages().is_empty(), "nothing was sent in plain text");
}

async fn forgot_password_is_limited_to_ten_an_hour(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..10 {
        let r = app
            .post(
                "/api/auth/forgot-password",
                None,
                json!({"email": format!("n{i}@shop.in")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "request {i}");
    }
    let r = app
        .post(
            "/api/auth/forgot-password",
            None,
            json!({"email": "last@shop.in"}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many password reset requests. Please try again later."
        )
    );
    assert!(r.headers.get("retry-after").is_some());
    // Reset has its own budget.
    let reset = app
        .post(
            "/api/auth/reset-password",
            None,
            json!({"token": "x", "email": "a@shop.in", "password": "NewSecret#9"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::BAD_REQUEST);
}
