//! The clocks every record's time rests on (issue 22, item 7; PROD-TIME-1): the centre's clock,
//! as this machine's kernel reports it, is held to the profile's tolerance; leaving it is on the
//! audit trail once per change, not at every check.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::{BACKENDS, World};

// rule: NIS-3.2.1 — the recording's time is kept accurate: the clock is watched and a drift
// out of tolerance is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_centres_clock_is_checked_against_the_tolerance_and_a_change_is_audited() {
    for backend in BACKENDS {
        let w = World::new("kitakyushu", backend, "2026-12-05T09:00:00+09:00").await;
        let kernel = clocksync::kernel().expect("Linux answers adjtimex");
        let tolerance = f64::from(w.profile.recording.clock_tolerance_ms);
        assert_eq!(tolerance, 1000.0, "the default tolerance");
        let first = server::clockwatch::check(&w.srv.state).await.unwrap();
        let centre = first.iter().find(|c| c.host == "centre").unwrap();
        // The same kernel, read twice: the standing agrees with it.
        assert_eq!(centre.synchronised, kernel.synchronised);
        assert_eq!(centre.within_tolerance, kernel.within(tolerance), "{centre:?} vs {kernel:?}");
        assert_eq!(centre.rule, "PROD-TIME-1");
        server::clockwatch::check(&w.srv.state).await.unwrap();
        let (_, v) = w.api.get("/api/v1/audit?actor=system&limit=100", &w.admin).await;
        let trail = v.get("items").cloned().unwrap_or(v);
        let out: Vec<_> = trail
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "clock.out_of_tolerance" && e["object"] == "clock:centre")
            .collect();
        if centre.within_tolerance {
            assert!(out.is_empty(), "{out:?}");
        } else {
            // Once, with what was measured and the rule, though checked twice.
            assert_eq!(out.len(), 1, "{trail}");
            assert_eq!(out[0]["rule"], "PROD-TIME-1");
            assert_eq!(out[0]["detail"]["tolerance_ms"], 1000);
            assert_eq!(out[0]["detail"]["synchronised"], kernel.synchronised);
        }
    }
}
