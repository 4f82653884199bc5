//! Running the real `bizzai` binary from tests: ports, readiness, signals and exit.

use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use crate::helpers::eventually;

pub const BIN: &str = env!("CARGO_BIN_EXE_bizzai");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `GET /api/health/live` answers on `port`.
pub async fn wait_live(port: u16) {
    let client = reqwest::Client::new();
    eventually(Duration::from_secs(30), || async {
        client
            .get(format!("http://127.0.0.1:{port}/api/health/live"))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    })
    .await;
}

pub fn sigterm(child: &Child) {
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
}

/// The exit status, failing the test (and killing the process) after `within`.
pub fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > within {
            let _ = child.kill();
            panic!("bizzai did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
