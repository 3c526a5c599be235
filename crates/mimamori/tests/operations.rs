//! Operations (issue 22): the server run the way a city's IT section runs it — from a
//! configuration file with its secrets in owner-only files, logging JSON — recording a camera
//! while a real Prometheus (Debian's) scrapes `/metrics` with the configured token, and
//! Prometheus' own `promtool` checks the exposition text.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Proc, free_port, wait_for_port};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mimamori")
}

fn private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

const TOKEN: &str = "c0ffee-metrics-token-7f3a9b2e51d4";

/// The series of one metric in an exposition text: (labels, value).
fn series<'a>(text: &'a str, name: &str) -> Vec<(&'a str, f64)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(r) => r.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            Some((labels, value.split_whitespace().next()?.parse().ok()?))
        })
        .collect()
}

// issue 22, items 1 and 3.
#[test]
fn served_from_a_configuration_file_and_scraped_by_prometheus() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cam_port = free_port();
    let _camsim = Proc(
        Command::new(bin())
            .args(["camsim", "--cameras", "1", "--port", &cam_port.to_string()])
            .args(["--width", "320", "--height", "240", "--seconds", "4", "--bitrate", "300000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(cam_port, Duration::from_secs(60));

    // The camera's credentials and the metrics token in owner-only files, never on a command
    // line; the configuration itself may be world-readable.
    private(&d.join("cameras"), &format!("gate1=rtsp://viewer:pa55@127.0.0.1:{cam_port}/cam1\n"));
    private(&d.join("metrics-token"), &format!("{TOKEN}\n"));
    let port = free_port();
    let config = d.join("mimamori.toml");
    let text = format!(
        r#"role = "all"
profile = "kitakyushu"
listen = "127.0.0.1:{port}"
trusted_proxies = ["10.1.0.10/32"]

[database]
url = "{db}"

[node]
id = "east-1"
data = "{data}"
key = "{key}"
segment_secs = 2
min_free_mib = 1
camera_networks = ["127.0.0.0/8"]
cameras_file = "{cams}"

[metrics]
token_file = "{token}"

[log]
format = "json"
"#,
        db = d.join("gov.db").display(),
        data = d.join("recorder").display(),
        key = d.join("node.key").display(),
        cams = d.join("cameras").display(),
        token = d.join("metrics-token").display(),
    );
    std::fs::write(&config, &text).unwrap();

    let out = Command::new(bin()).args(["config", "check"]).arg(&config).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ok — role all, profile kitakyushu"), "{stdout}");

    // A problem keeps the server from starting, said with its line.
    let bad = d.join("bad.toml");
    std::fs::write(&bad, text.replace("segment_secs = 2", "segment_secs = 0")).unwrap();
    let out = Command::new(bin()).args(["serve", "--config"]).arg(&bad).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("bad.toml:13:16: 0 s: a segment lasts between 1 and 3600 seconds"),
        "{stderr}"
    );

    let log = d.join("serve.log");
    let _serve = Proc(
        Command::new(bin())
            .args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, Duration::from_secs(60));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::blocking::Client::new();

    // A failed login, counted as one.
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "login": "nobody", "password": "wrong-password" }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);

    // Deny by default: no token, a wrong token.
    let r = http.get(format!("{base}/metrics")).send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = http.get(format!("{base}/metrics")).bearer_auth("c0ffee").send().unwrap();
    assert_eq!(r.status(), 401);

    // With the token: the camera's frames once it records.
    let scrape = || {
        let r = http.get(format!("{base}/metrics")).bearer_auth(TOKEN).send().unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text")
        );
        r.text().unwrap()
    };
    let t = Instant::now();
    let text = loop {
        let text = scrape();
        let frames = series(&text, "mimamori_camera_frames_total");
        if frames.iter().any(|(l, v)| l.contains("camera=\"gate1\"") && *v > 50.0)
            && series(&text, "mimamori_node_segments").iter().any(|(_, v)| *v >= 1.0)
        {
            break text;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "no frames recorded:\n{text}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let one = |name: &str, labels: &str| -> f64 {
        series(&text, name)
            .into_iter()
            .find(|(l, _)| l.contains(labels))
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in\n{text}"))
            .1
    };
    assert_eq!(one("mimamori_camera_recording", "node=\"east-1\",camera=\"gate1\""), 1.0);
    assert!(one("mimamori_camera_bytes_total", "camera=\"gate1\"") > 10_000.0);
    assert!(one("mimamori_camera_lag_seconds", "camera=\"gate1\"") < 30.0);
    // A healthy camera does not flap; on a loaded CI machine one stall-timeout reconnect can
    // happen (seen in a full parallel run), so the count is bounded rather than zero.
    assert!(one("mimamori_camera_reconnects_total", "camera=\"gate1\"") <= 1.0);
    assert_eq!(one("mimamori_node_up", "node=\"east-1\""), 1.0);
    assert!(one("mimamori_node_disk_free_bytes", "east-1") > 1e6);
    assert!(one("mimamori_node_keys_held", "east-1") >= 1.0);
    assert_eq!(one("mimamori_logins_total", "outcome=\"failure\""), 1.0);
    assert!(
        one("mimamori_http_requests_total", "route=\"/api/v1/auth/login\",status=\"401\"") >= 1.0
    );
    assert!(one("mimamori_audit_head_seq", "") >= 1.0, "the failed login is audited");
    assert_eq!(one("mimamori_audit_halted", ""), 0.0);
    // Both clocks (PROD-TIME-1): the centre's and the node's, read from the same kernel here.
    let centre = one("mimamori_clock_synchronised", "host=\"centre\"");
    assert_eq!(one("mimamori_clock_synchronised", "host=\"east-1\""), centre);
    assert_eq!(centre == 1.0, clocksync::kernel().unwrap().synchronised);
    assert!(one("mimamori_clock_max_error_seconds", "host=\"centre\"") >= 0.0);
    assert_eq!(series(&text, "mimamori_clock_within_tolerance").len(), 2, "centre and node");
    // Kitakyushu's duties are there, due or lapsed, for each duty of the profile.
    assert!(!series(&text, "mimamori_duties").is_empty(), "{text}");
    // Never a concrete path, a token or a password.
    assert!(!text.contains(TOKEN) && !text.contains("pa55") && !text.contains("nobody"));

    // Prometheus' own checker parses the exposition text (a parse error exits 1). Its linter
    // reads the classic text format, where a counter's HELP names `…_total`; OpenMetrics names
    // the family without it, which is the one lint finding allowed (exit 3).
    let (status, said) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .output_with_stdin(text.as_bytes());
    assert!(matches!(status.code(), Some(0 | 3)), "promtool: {status} {said}");
    for finding in said.lines().filter(|l| !l.trim().is_empty()) {
        assert!(finding.ends_with("_total no help text"), "promtool: {said}");
    }

    // A real Prometheus scrapes it with the token from a file, as a city would configure it.
    let prom_port = free_port();
    let prom_config = d.join("prometheus.yml");
    std::fs::write(
        &prom_config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: mimamori\n    \
             authorization:\n      credentials_file: {}\n    static_configs:\n      \
             - targets: ['127.0.0.1:{port}']\n",
            d.join("metrics-token").display()
        ),
    )
    .unwrap();
    let _prom = Proc(
        Command::new("prometheus")
            .arg(format!("--config.file={}", prom_config.display()))
            .arg(format!("--storage.tsdb.path={}", d.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("prometheus.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_for_port(prom_port, Duration::from_secs(60));
    // Prometheus answers 503 in plain text until its storage is ready: that is "not yet".
    let query = |q: &str| -> serde_json::Value {
        http.get(format!("http://127.0.0.1:{prom_port}/api/v1/query"))
            .query(&[("query", q)])
            .send()
            .ok()
            .and_then(|r| r.json().ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let t = Instant::now();
    loop {
        let up = query("up{job=\"mimamori\"}");
        let frames = query("mimamori_camera_frames_total{camera=\"gate1\",node=\"east-1\"}");
        let value = |v: &serde_json::Value| -> Option<f64> {
            v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
        };
        if value(&up) == Some(1.0) && value(&frames).is_some_and(|f| f > 0.0) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "Prometheus did not scrape: up={up} frames={frames}\n{}",
            std::fs::read_to_string(d.join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // The log is JSON, one object per line, and holds no secret.
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!lines.is_empty(), "{log}");
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{l}");
    }
    assert!(!log.contains("pa55") && !log.contains(TOKEN), "a secret in the log:\n{log}");
}

/// Runs a command with `input` on its standard input; its status and standard error.
trait WithStdin {
    fn output_with_stdin(&mut self, input: &[u8]) -> (std::process::ExitStatus, String);
}

impl WithStdin for Command {
    fn output_with_stdin(&mut self, input: &[u8]) -> (std::process::ExitStatus, String) {
        use std::io::Write;
        let mut child = self.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        )
    }
}

// issue 22, item 4 — the Debian package: the binary, two hardened units that systemd itself
// verifies, the example configurations as conffiles that `config check` accepts.
#[test]
fn packaged_as_a_deb_with_hardened_units() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(workspace.join("scripts/package-deb"))
        .arg("--binary")
        .arg(bin())
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let deb = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let field = |name: &str| {
        let o = Command::new("dpkg-deb").args(["--field", &deb, name]).output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(field("Package"), "mimamori");
    assert!(field("Depends").contains("adduser"));
    let o = Command::new("dpkg-deb").args(["--ctrl-tarfile", &deb]).output().unwrap();
    assert!(o.status.success());

    let root = dir.path().join("root");
    let o = Command::new("dpkg-deb").args(["-x", &deb]).arg(&root).output().unwrap();
    assert!(o.status.success());
    let o = Command::new("dpkg-deb").args(["-e", &deb]).arg(dir.path().join("DEBIAN")).output();
    assert!(o.unwrap().status.success());
    let conffiles = std::fs::read_to_string(dir.path().join("DEBIAN/conffiles")).unwrap();
    assert_eq!(conffiles, "/etc/mimamori/mimamori.toml\n/etc/mimamori/recorder.toml\n");
    for script in ["postinst", "postrm"] {
        let s = Command::new("sh").arg("-n").arg(dir.path().join("DEBIAN").join(script)).status();
        assert!(s.unwrap().success(), "{script} is not valid sh");
    }
    assert!(root.join("usr/bin/mimamori").is_file());

    // The packaged configurations are accepted as they are.
    for conf in ["mimamori.toml", "recorder.toml"] {
        let o = Command::new(root.join("usr/bin/mimamori"))
            .args(["config", "check"])
            .arg(root.join("etc/mimamori").join(conf))
            .output()
            .unwrap();
        assert!(o.status.success(), "{conf}: {}", String::from_utf8_lossy(&o.stdout));
    }

    // systemd verifies the units in the unpacked tree (with the system's own targets beside
    // them), and rates their exposure: every sandboxing option a recorder can live with.
    let units = root.join("lib/systemd/system");
    let o = Command::new("cp").arg("-an").arg("/lib/systemd/system/.").arg(&units).output();
    assert!(o.unwrap().status.success());
    let analyze = |args: &[&str]| {
        Command::new("systemd-analyze")
            .args(args)
            .arg(format!("--root={}", root.display()))
            .args(["mimamori.service", "mimamori-recorder.service"])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let o = analyze(&["verify", "--man=no"]);
    let said =
        String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    // Exposure on systemd's 0–100 scale (shown as 0.0–10.0): at most 1.5, "OK".
    let o = analyze(&["security", "--offline=yes", "--threshold=15"]);
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "systemd-analyze security: {said}");
    for unit in ["mimamori.service", "mimamori-recorder.service"] {
        let text = std::fs::read_to_string(units.join(unit)).unwrap();
        for line in [
            "User=mimamori",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "ReadWritePaths=/var/lib/mimamori",
            "UMask=0077",
        ] {
            assert!(text.lines().any(|l| l == line), "{unit} lacks {line}");
        }
    }
}

// issue 22, item 1 — HTTPS from the process itself when the configuration names a certificate:
// a client that trusts it gets the API; plain HTTP and a client that does not trust it do not.
#[test]
fn served_over_https_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"])
        .args(["-days", "30", "-keyout", "centre.key", "-out", "centre.crt"])
        .args(["-subj", "/CN=centre.city.local", "-addext", "subjectAltName=IP:127.0.0.1"])
        .current_dir(d)
        .output()
        .expect("openssl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let port = free_port();
    let config = d.join("mimamori.toml");
    std::fs::write(
        &config,
        format!(
            "role = \"central\"\nprofile = \"saku\"\nlisten = \"127.0.0.1:{port}\"\n\
             [database]\nurl = \"{db}\"\n[node]\nkey = \"{key}\"\n\
             [tls]\ncert_file = \"{crt}\"\nkey_file = \"{tkey}\"\n",
            db = d.join("gov.db").display(),
            key = d.join("node.key").display(),
            crt = d.join("centre.crt").display(),
            tkey = d.join("centre.key").display(),
        ),
    )
    .unwrap();
    // The key readable by others: said with its line, and the server does not start.
    {
        use std::os::unix::fs::PermissionsExt;
        let key = d.join("centre.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = Command::new(bin()).args(["config", "check"]).arg(&config).output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            !out.status.success() && said.contains(":10:12: ") && said.contains("chmod 600"),
            "{said}"
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new(bin()).args(["config", "check"]).arg(&config).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let _serve = Proc(
        Command::new(bin())
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, Duration::from_secs(60));
    let curl = |args: &[&str], url: String| {
        let o = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"])
            .args(args)
            .arg(url)
            .output()
            .expect("curl");
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let cert = d.join("centre.crt").display().to_string();
    let https = format!("https://127.0.0.1:{port}/api/v1/public/rules-doc");
    assert_eq!(curl(&["--cacert", &cert], https.clone()), (Some(0), "200".into()));
    let (code, _) = curl(&[], https);
    assert_eq!(code, Some(60), "a certificate the client does not trust is refused");
    let (code, status) = curl(&[], format!("http://127.0.0.1:{port}/api/v1/public/rules-doc"));
    assert!(code != Some(0) || status != "200", "plain HTTP is not served: {code:?} {status}");
}
