//! The real binary: exit codes, `migrate`, graceful shutdown, kept development secrets.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{
    Backend, Options, TestApp, eventually, postgres_enabled, register_body, token,
};
use crate::process::{BIN, free_port, sigterm, wait_exit};

fn bizzai(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", data_dir)
        .env("HOST", "127.0.0.1")
        .env("RUST_LOG", "warn")
        .current_dir(data_dir);
    cmd
}

#[test]
fn invalid_configuration_exits_with_code_2_and_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("PORT", "abc")], "PORT"),
        (&[("DATABASE_URL", "mysql://db")], "DATABASE_URL"),
        (&[("SHUTDOWN_TIMEOUT", "forever")], "SHUTDOWN_TIMEOUT"),
        (&[("APP_ENV", "production")], "JWT_SECRET"),
        (
            &[
                ("APP_ENV", "production"),
                ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
                ("COOKIE_SECRET", "weak"),
            ],
            "COOKIE_SECRET",
        ),
    ];
    for (vars, name) in cases {
        let mut cmd = bizzai(dir.path());
        cmd.arg("serve");
        for (k, v) in *vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {stderr}");
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{vars:?}: one line: {stderr}"
        );
        assert!(stderr.contains(name), "{vars:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn migrate_prints_a_report_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = bizzai(dir.path()).arg("migrate").output().unwrap();
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(text.contains("applied migration 0001"), "{text}");
    assert!(
        text.contains("✓ invoices: ") && text.contains("invoices_tenant_invoice_no_unique"),
        "{text}"
    );
    assert!(
        text.trim_end().ends_with("tables with their indexes."),
        "{text}"
    );
    let second = bizzai(dir.path()).arg("migrate").output().unwrap();
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert!(!text.contains("applied migration"), "{text}");
    assert!(text.contains("Schema is up to date"), "{text}");
}

async fn wait_ready(base: &str) {
    let client = reqwest::Client::new();
    eventually(Duration::from_secs(30), || async {
        client
            .get(format!("{base}/api/health/live"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_on_sigterm_with_code_0_and_keeps_its_generated_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let start = || {
        bizzai(dir.path())
            .arg("serve")
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = start();
    wait_ready(&base).await;
    let client = reqwest::Client::new();
    let registered: serde_json::Value = client
        .post(format!("{base}/api/auth/register"))
        .json(&register_body("owner@shop.in"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(25)).code(),
        Some(0)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("secrets/jwt_secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A restart signs with the same generated secret: the session survives.
    let mut child = start();
    wait_ready(&base).await;
    let profile = client
        .get(format!("{base}/api/auth/profile"))
        .bearer_auth(token(&registered))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), StatusCode::OK);
    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(25)).code(),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_migrate_leaves_readiness_at_503_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Create the database file with an empty schema, then serve without migrating.
    let mut child = bizzai(dir.path())
        .args(["serve", "--no-migrate"])
        .env("PORT", port.to_string())
        .env("JWT_SECRET", "0123456789abcdef0123456789abcdef")
        .env("COOKIE_SECRET", "0123456789abcdef0123456789abcdef")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&base).await;
    let ready = reqwest::get(format!("{base}/api/health/ready"))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["migrations"], "pending");
    assert!(
        bizzai(dir.path())
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );
    let ready = reqwest::get(format!("{base}/api/health/ready"))
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(25)).code(),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_postgres_database_share_the_generated_secrets() {
    if !postgres_enabled() {
        eprintln!("PostgreSQL suite skipped (BIZZAI_TEST_POSTGRES=skip)");
        return;
    }
    let no_secrets = Options::default()
        .env("JWT_SECRET", "")
        .env("COOKIE_SECRET", "");
    let a = TestApp::spawn_with(Backend::Postgres, no_secrets.clone()).await;
    let b = TestApp::spawn_with(
        Backend::Postgres,
        Options {
            database_url: Some(a.database_url.clone()),
            ..no_secrets
        },
    )
    .await;
    let t = token(&a.register("owner@shop.in").await);
    assert_eq!(
        b.get("/api/auth/profile", Some(&t)).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut first = bizzai(dir.path())
        .arg("serve")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&format!("http://127.0.0.1:{port}")).await;
    let second = bizzai(dir.path())
        .arg("serve")
        .env("PORT", free_port().to_string())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&second.stderr)
            .contains("another bizzai server is already serving")
    );
    // The CLI may still run beside the server.
    assert!(
        bizzai(dir.path())
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );
    sigterm(&first);
    assert_eq!(
        wait_exit(&mut first, Duration::from_secs(25)).code(),
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_the_server_with_code_0() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = bizzai(dir.path())
        .arg("serve")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(&format!("http://127.0.0.1:{port}")).await;
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(25)).code(),
        Some(0)
    );
}
