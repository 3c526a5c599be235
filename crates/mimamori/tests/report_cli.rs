//! `mimamori report annual` and `mimamori rules-doc` on the demo's records, as an operator runs
//! them: the demo runs, stops (SIGTERM), and the commands write their files. rule: KIT-8,
//! KAW-2.2.7, PROD-REPORT-1

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::start_demo;
use std::process::Command;
use std::time::Duration;

#[test]
fn annual_report_and_rules_document_from_the_demo_records() {
    let dir = tempfile::tempdir().unwrap();
    let (demo, _base) =
        start_demo("kitakyushu", dir.path(), &["--cameras", "1", "--segment-secs", "2"]);
    std::thread::sleep(Duration::from_secs(6)); // a few sealed segments
    let pid = demo.0.id();
    assert!(Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    let mut demo = demo;
    demo.0.wait().unwrap();

    let db = dir.path().join("mimamori.db");
    let out_dir = dir.path().join("report");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_mimamori")).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let listed = run(&[
        "report",
        "annual",
        "--fiscal-year",
        "2026",
        "--profile",
        "kitakyushu",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--recorder",
        dir.path().join("recorder").to_str().unwrap(),
    ]);
    assert_eq!(listed.lines().count(), 10, "{listed}");
    assert!(listed.contains("2026-oversight.csv"), "checks and lapsed duties (issue 18)");
    let html = std::fs::read_to_string(out_dir.join("2026-report.ja.html")).unwrap();
    assert!(html.contains("令和8年度") && html.contains("KIT-8"), "the rule that requires it");
    let csv = std::fs::read(out_dir.join("2026-recording.csv")).unwrap();
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let cam1 = text.lines().find(|l| l.starts_with("cam1,")).unwrap();
    let uptime: f64 = cam1.split(',').nth(2).unwrap().parse().unwrap();
    assert!(uptime > 50.0, "recorded since the demo started: {cam1}");
    let all: String = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for personal in ["u_applicant", "admin", "自転車盗難", "電話 0166"] {
        assert!(!all.contains(personal), "{personal} in the report files");
    }

    let md = dir.path().join("rules.md");
    run(&[
        "rules-doc",
        "--profile",
        "kitakyushu",
        "--db",
        db.to_str().unwrap(),
        "--out",
        md.to_str().unwrap(),
    ]);
    let doc = std::fs::read_to_string(&md).unwrap();
    for item in [
        "（ア）設置目的",
        "（イ）設置場所",
        "（ウ）管理責任者及び従事者",
        "（エ）画像の取扱いの制限",
        "（オ）漏えい",
        "（カ）保存期間",
        "（キ）その他",
    ] {
        assert!(doc.contains(item), "{item} missing");
    }
    assert!(doc.contains("cam1") && doc.contains("7日"), "from the live configuration");
    // A database that does not exist is a clear error, not a new empty one.
    let o = Command::new(env!("CARGO_BIN_EXE_mimamori"))
        .args(["rules-doc", "--db", "/nonexistent/x.db", "--out"])
        .arg(dir.path().join("x.html"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no database"));
}
