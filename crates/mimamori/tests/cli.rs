//! The CLI contract of the foundation issue, exercised through the real binary.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mimamori")).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn profile_list_prints_name_and_japanese_name() {
    let o = run(&["profile", "list"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "asahikawa\t旭川市\nkawaguchi\t川口市\nkitakyushu\t北九州市\nsaku\t佐久市\nnishiyodogawa\t大阪市西淀川区\n"
    );
}

#[test]
fn profile_show_json_is_the_resolved_profile() {
    let v = json(&["profile", "show", "nishiyodogawa", "--json"]);
    assert_eq!(v["profile"]["id"], "nishiyodogawa");
    assert_eq!(v["retention"]["default"]["days"], 10);
    assert_eq!(v["workflow"]["chain"].as_array().unwrap().len(), 3);
    assert_eq!(v["emergency"]["outside_window"], "allow_with_reason");
    // Without --json it prints TOML that loads back as the same profile.
    let o = run(&["profile", "show", "nishiyodogawa"]);
    let reparsed = policy::profile::load_str(&stdout(&o)).unwrap();
    assert_eq!(reparsed, policy::resolve_seed("nishiyodogawa").unwrap());
}

#[test]
fn profile_check_accepts_a_valid_file_and_reports_problems_with_lines() {
    let dir = std::env::temp_dir().join(format!("mimamori-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, policy::profile::seed_source("kawaguchi").unwrap()).unwrap();
    let o = run(&["profile", "check", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stdout(&o));

    let bad = dir.join("bad.toml");
    let text = policy::profile::seed_source("kawaguchi")
        .unwrap()
        .replace("by = [\"manager\"]", "by = [\"chief\"]")
        .replace(
            "ceiling = { days = 31, rule = \"PROD-RET-2\" }",
            "ceiling = { days = 5, rule = \"PROD-RET-2\" }",
        );
    std::fs::write(&bad, &text).unwrap();
    let o = run(&["profile", "check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let line = text.lines().position(|l| l.contains("by = [\"chief\"]")).unwrap() + 1;
    assert!(
        out.contains(&format!("bad.toml:{line}:"))
            && out.contains("PROD-PROFILE-1: unknown role \"chief\""),
        "{out}"
    );
    assert!(
        out.contains("PROD-PROFILE-2: the floor (7 days) is above the ceiling (5 days)"),
        "{out}"
    );
    // The same file as --profile is refused with a one-line error.
    let o = run(&[
        "policy",
        "calendar",
        "--profile",
        bad.to_str().unwrap(),
        "--at",
        "2026-11-23T10:00:00Z",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn policy_calendar_contract() {
    let v = json(&[
        "policy",
        "calendar",
        "--profile",
        "asahikawa",
        "--at",
        "2026-11-23T10:00:00+09:00",
        "--json",
    ]);
    assert_eq!(
        v,
        serde_json::json!({
            "date": "2026-11-23",
            "national_holiday": "勤労感謝の日",
            "closed_day": true,
            "office_hours": false,
            "emergency_window": true
        })
    );
    // The date is the JST date of the instant: 2026-11-24 01:00 UTC is 10:00 JST, an office day.
    let v = json(&[
        "policy",
        "calendar",
        "--profile",
        "kitakyushu",
        "--at",
        "2026-11-24T01:00:00Z",
        "--json",
    ]);
    assert_eq!(v["date"], "2026-11-24");
    assert_eq!(v["national_holiday"], serde_json::Value::Null);
    assert_eq!(v["office_hours"], true);
    assert_eq!(v["emergency_window"], false);
}

#[test]
fn policy_retention_contract() {
    let v = json(&[
        "policy",
        "retention",
        "--profile",
        "nishiyodogawa",
        "--recorded-at",
        "2026-11-23T23:59:59.999+09:00",
        "--json",
    ]);
    assert_eq!(v["erase_at"], "2026-12-04T00:00:00+09:00");
    assert_eq!(v["counting"], "from_next_day");
    let v = json(&[
        "policy",
        "retention",
        "--profile",
        "saku",
        "--recorded-at",
        "2027-01-30T12:00:00+09:00",
        "--months",
        "1",
        "--json",
    ]);
    assert_eq!(v["erase_at"], "2027-03-01T00:00:00+09:00");
}

#[test]
fn a_setting_outside_the_bounds_exits_1_and_names_the_rule() {
    let o = run(&[
        "policy",
        "retention",
        "--profile",
        "saku",
        "--recorded-at",
        "2026-11-23T10:00:00+09:00",
        "--months",
        "2",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: SAK-9: at most 1 month\n");
    let o = run(&[
        "policy",
        "retention",
        "--profile",
        "saku",
        "--recorded-at",
        "2026-11-23T10:00:00+09:00",
        "--days",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "error: PROD-RET-1: at least 7 days\n");
}

#[test]
fn bad_input_gets_a_one_line_error_and_no_panic() {
    let cases: &[&[&str]] = &[
        &["policy", "calendar", "--profile", "atlantis", "--at", "2026-11-23T10:00:00Z"],
        &["policy", "calendar", "--profile", "saku", "--at", "2026-11-23 10:00"],
        &["policy", "calendar", "--profile", "saku", "--at", "2026-11-23T10:00:00"],
        &["policy", "calendar", "--profile", "saku", "--at", "2150-01-01T00:00:00Z"],
        &["policy", "calendar", "--profile", "saku"],
        &[
            "policy",
            "calendar",
            "--profile",
            "saku",
            "--at",
            "2026-11-23T10:00:00Z",
            "--frobnicate",
        ],
        &[
            "policy",
            "retention",
            "--profile",
            "saku",
            "--recorded-at",
            "2026-11-23T10:00:00Z",
            "--days",
            "-4",
        ],
        &[
            "policy",
            "retention",
            "--profile",
            "saku",
            "--recorded-at",
            "2026-11-23T10:00:00Z",
            "--days",
            "0",
        ],
        &[
            "policy",
            "retention",
            "--profile",
            "saku",
            "--recorded-at",
            "2026-11-23T10:00:00Z",
            "--days",
            "3",
            "--months",
            "1",
        ],
        &["profile", "show", "atlantis", "--json"],
        &["profile", "check", "/nonexistent/city.toml"],
        &["nonsense"],
    ];
    for args in cases {
        let o = run(args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} should fail");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
