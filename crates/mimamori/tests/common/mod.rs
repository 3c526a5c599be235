//! Helpers shared by the tests that run the `mimamori` binary as a process.

#![allow(dead_code, clippy::unwrap_used)] // tests unwrap: a panic is the failure report

pub mod city;

use std::process::Child;
use std::time::{Duration, Instant};

/// A child process killed when dropped (a failing test leaves nothing running).
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, within: Duration) {
    let t = Instant::now();
    while t.elapsed() < within {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing listens on port {port}");
}

/// Starts `mimamori demo --fresh` for `profile` in `dir` with `extra` options, on a free
/// loopback port; returns it once it serves, and its base URL.
pub fn start_demo(profile: &str, dir: &std::path::Path, extra: &[&str]) -> (Proc, String) {
    let mut args = vec!["--fresh", "--profile", profile, "--data"];
    let data = dir.to_string_lossy();
    args.push(&data);
    args.extend_from_slice(extra);
    start_demo_in(std::path::Path::new("."), &args)
}

/// Starts `mimamori demo ARGS` in the working directory `cwd` (the README's way: relative
/// paths resolve there) on a free loopback port; returns it once it serves, and its base URL.
pub fn start_demo_in(cwd: &std::path::Path, args: &[&str]) -> (Proc, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimamori"))
        .arg("demo")
        .args(args)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    for l in lines.by_ref() {
        if l.unwrap().contains("Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    wait_for_port(port, Duration::from_secs(30));
    (Proc(child), format!("http://127.0.0.1:{port}"))
}

/// The password the demo gives every account.
pub const DEMO_PASSWORD: &str = "mimamori-demo-2026";

/// A bearer token for `login` on a running server (panics with the answer when refused).
pub async fn bearer_token(c: &reqwest::Client, base: &str, login: &str, password: &str) -> String {
    let v: serde_json::Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "login": login, "password": password, "session": "bearer" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap_or_else(|| panic!("login {login}: {v}")).to_owned()
}
