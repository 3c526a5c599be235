//! The README's first command works for every profile on every day (issue 19, item 1): the demo
//! writes weeks of history relative to its "now", and which weekday that now falls on moved its
//! events around — Nishiyodogawa's delegation was posted before the designations it needs on
//! about three weekdays in seven. Here every seed profile's demo starts at each of seven
//! consecutive days, on a national holiday at night and in the year-end closure, and must reach
//! its ready line with no recurring duty lapsed.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Seven consecutive days (Monday 7 – Sunday 13 December 2026), a national holiday at night
/// (成人の日, Monday 11 January 2027, 02:00) and the year-end closure (30 December, 14:00).
const DAYS: [&str; 9] = [
    "2026-12-07T10:00:00+09:00",
    "2026-12-08T10:00:00+09:00",
    "2026-12-09T10:00:00+09:00",
    "2026-12-10T10:00:00+09:00",
    "2026-12-11T10:00:00+09:00",
    "2026-12-12T10:00:00+09:00",
    "2026-12-13T10:00:00+09:00",
    "2027-01-11T02:00:00+09:00",
    "2026-12-30T14:00:00+09:00",
];

const PROFILES: [&str; 5] = ["asahikawa", "kawaguchi", "kitakyushu", "saku", "nishiyodogawa"];

/// Starts `demo --fresh --profile P --at T` and waits for its ready line; on failure, what it
/// printed on stderr.
fn starts(profile: &str, at: &str) -> Result<Duration, String> {
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("stderr.txt");
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimamori"))
        .args(["demo", "--fresh", "--profile", profile, "--at", at, "--cameras", "1"])
        // Port 0: the demo binds its own port first, so demos started side by side (and their
        // simulated cameras) cannot take each other's.
        .args(["--listen", "127.0.0.1:0"])
        .arg("--data")
        .arg(dir.path().join("demo-data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    // A demo that hangs is killed after three minutes (its stdout then closes).
    let pid = child.id().to_string();
    let (done, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if watchdog.recv_timeout(Duration::from_secs(180)).is_err() {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let mut printed = Vec::new();
    let ready = BufReader::new(out).lines().map_while(Result::ok).any(|l| {
        let ready = l.contains("Ctrl-C");
        printed.push(l);
        ready
    });
    let _ = done.send(());
    let _ = child.kill();
    let _ = child.wait();
    // A city that keeps its duties: the history does every recurring duty in time, whatever the
    // date (issue 18 item 1), so the demo opens with none lapsed.
    if let Some(l) = printed.iter().find(|l| l.contains("recurring duties lapsed")) {
        return Err(format!("the demo's history let a duty lapse: {l}"));
    }
    if ready {
        Ok(t.elapsed())
    } else {
        let text = std::fs::read_to_string(&err).unwrap_or_default();
        let all: Vec<&str> = printed.iter().map(String::as_str).chain(text.lines()).collect();
        Err(all[all.len().saturating_sub(10)..].join("\n"))
    }
}

#[test]
fn the_demo_of_every_profile_starts_on_every_day() {
    let cases: Vec<(&str, &str)> =
        PROFILES.iter().flat_map(|p| DAYS.iter().map(move |d| (*p, *d))).collect();
    // Two at a time: this machine (and CI) has two cores.
    let failures = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((profile, at)) = cases.get(i) else { return };
                    match starts(profile, at) {
                        Ok(took) => eprintln!("demo {profile} at {at}: ready in {took:.1?}"),
                        Err(why) => {
                            failures.lock().unwrap().push(format!("{profile} at {at}:\n{why}"))
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "demos that did not start:\n\n{}", failures.join("\n\n"));
}
