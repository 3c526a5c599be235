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
    start_demo_env(cwd, args, &[])
}

/// [`start_demo_in`] with extra environment variables.
pub fn start_demo_env(
    cwd: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Proc, String) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // Port 0: the demo binds first and prints the address it got, so demos started side by side
    // (and their simulated cameras) never race for a port.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimamori"))
        .arg("demo")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let mut base = None;
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(url) = l.split("open: ").nth(1) {
            base = Some(url.trim().trim_end_matches('/').to_owned());
        }
        if l.contains("Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let base = base.expect("the demo printed no address to open");
    let port: u16 = base.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap();
    wait_for_port(port, Duration::from_secs(30));
    (Proc(child), base)
}

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

/// A map tile server on loopback that answers every `GET` with a small PNG and counts the
/// requests: the browser tests draw maps without the network.
pub fn tile_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    // A 1×1 grey PNG.
    const PNG: [u8; 67] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a,
        0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68,
        0x00, 0x00, 0x00, 0x82, 0x00, 0x81, 0x77, 0xcd, 0x72, 0xb6, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n",
                PNG.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&PNG);
        }
    });
    (port, served)
}
