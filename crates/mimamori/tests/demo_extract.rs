//! The README's own commands (issue 25, D1): `mimamori demo` run from a fresh directory with its
//! default, *relative* data directory (`demo-data`), then footage taken out exactly as a city
//! would — request, approval, instruction, extraction on the dedicated PC, download — and the
//! package verified offline with what `recorder publish` prints for the demo's layout.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::city::Http;
use common::start_demo_in;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_demo_extracts_from_its_relative_data_directory() {
    let cwd = tempfile::tempdir().unwrap();
    // As the README says: no `--data`, so the default, relative `demo-data`.
    let (_demo, base) = start_demo_in(cwd.path(), &["--cameras", "2", "--segment-secs", "2"]);
    let data = cwd.path().join("demo-data");
    // What the demo writes is its own user's only (issue 16, M9), whatever the umask.
    {
        use std::os::unix::fs::PermissionsExt;
        for f in
            ["mimamori.db", "node.key", "recorder/node.db", "recorder/audit.log", "demo-logins.txt"]
        {
            let mode = std::fs::metadata(data.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f}: {mode:o}");
        }
        let mode = std::fs::metadata(data.join("recorder")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "recorder/: {mode:o}");
    }
    assert!(data.join("recorder/node.db").exists(), "the default data directory is ./demo-data");

    // The city's dedicated PC, from the printed enrolment links.
    let http = Http::new(&base);
    let city_pc = http.enrol_city_pc(&data).await;
    let from = jiff::Timestamp::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let to = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3);
    let (request, officer, bytes) = http.extract(&city_pc, "cam2", from, to).await;
    let rid = request["id"].as_i64().unwrap();
    let file = cwd.path().join("package.zip");
    std::fs::write(&file, &bytes).unwrap();

    // What the city publishes, from the demo's own layout, then the offline check.
    let published = Command::new(env!("CARGO_BIN_EXE_mimamori"))
        .args(["recorder", "publish", "--data", "demo-data/recorder", "--out", "published"])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(published.status.success(), "{}", String::from_utf8_lossy(&published.stderr));
    let verify = Command::new(env!("CARGO_BIN_EXE_mimamori"))
        .args(["verify", "package.zip", "--public-key", "published/node-public-key.txt"])
        .args(["--city-cert", "published/city-export.crt"])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{text}\n{}", String::from_utf8_lossy(&verify.stderr));

    // Issue 17 item 2: the package names what it was made for, first; presented for another
    // request it fails, offline and against the city's records.
    let number = request["number"].as_str().unwrap().to_owned();
    assert!(
        text.contains(&format!("made for: request {number} (id {rid})"))
            && text.contains("recipient 旭川東警察署 刑事課"),
        "{text}"
    );
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_mimamori"))
            .args(["verify", "package.zip", "--public-key", "published/node-public-key.txt"])
            .args(extra)
            .current_dir(cwd.path())
            .output()
            .unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (code, t) = run(&["--request", &number]);
    assert_eq!(code, Some(0), "{t}");
    let (code, t) = run(&["--request", "1999-0001"]);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("not made for request 1999-0001"), "{t}");
    // Against the records (the token in a file, never in argv).
    std::fs::write(cwd.path().join("token.txt"), format!("{officer}\n")).unwrap();
    let against = ["--against", http.base.as_str(), "--token-file", "token.txt"];
    let (code, t) = run(&[&against[..], &["--request", &number]].concat());
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("matches the city's records") && !t.contains("already used"), "{t}");
    // Its use written in the ledger: the records say it is already used.
    // Handed over now, as the server's clock says.
    let me = http.ok("GET", "/api/v1/me", Some(&officer), None, None).await;
    http.ok(
        "POST",
        "/api/v1/ledger",
        Some(&officer),
        None,
        Some(json!({ "request_id": rid, "handed_over_at": me["now"] })),
    )
    .await;
    let (code, t) = run(&against);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("already used: recorded in the usage ledger"), "{t}");
    let (code, t) = run(&[&against[..], &["--request", "1999-0001"]].concat());
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("the city's records say this package was made for request"), "{t}");
    // Without a usable token: could not check (2), not "tampered".
    std::fs::write(cwd.path().join("token.txt"), "not-a-token\n").unwrap();
    let (code, t) = run(&against);
    assert_eq!(code, Some(2), "{t}");
}
