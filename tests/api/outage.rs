//! The database going away under a running server: 503s (never 500s), readiness reports it, and
//! everything recovers by itself.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{
    Backend, Options, PASSWORD, TestApp, eventually, fresh_database, postgres_enabled, token,
};
use crate::tcp_proxy::TcpProxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_recovers_by_itself() {
    if !postgres_enabled() {
        eprintln!("PostgreSQL suite skipped (BIZZAI_TEST_POSTGRES=skip)");
        return;
    }
    let (url, _guard) = fresh_database(Backend::Postgres).await;
    // Route the server's connections through a proxy: postgres://user@HOST:PORT/db → 127.0.0.1:proxy.
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (host_port, database) = rest.split_once('/').unwrap();
    let proxy = TcpProxy::start(host_port.to_owned()).await;
    let proxied = format!("{scheme_user}@127.0.0.1:{}/{database}", proxy.port);
    let options = Options {
        database_url: Some(proxied),
        ..Options::default().env("DATABASE_ACQUIRE_TIMEOUT", "1s")
    };
    let app = TestApp::spawn_with(Backend::Postgres, options).await;
    let t = token(&app.register("owner@shop.in").await);

    proxy.cut();
    let ready = app.get("/api/health/ready", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["checks"]["database"], "disconnected");
    assert_eq!(
        app.get("/api/health/live", None).await.status,
        StatusCode::OK
    );
    for reply in [
        app.login("owner@shop.in", PASSWORD).await,
        app.get("/api/auth/profile", Some(&t)).await,
    ] {
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{:?}",
            reply.body
        );
        assert!(
            reply.message().contains("temporarily unavailable"),
            "{:?}",
            reply.body
        );
    }

    proxy.restore();
    eventually(Duration::from_secs(20), || async {
        (app.get("/api/health/ready", None).await.status == StatusCode::OK).then_some(())
    })
    .await;
    assert_eq!(
        app.get("/api/auth/profile", Some(&t)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.login("owner@shop.in", PASSWORD).await.status,
        StatusCode::OK
    );
}
