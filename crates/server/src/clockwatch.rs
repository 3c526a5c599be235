//! The clocks every time in the records rests on (issue 22, item 7; PROD-TIME-1; NIS-3.2.1
//! 常に正確な内容が記録されるよう): the centre's and the recorder node's, as their kernels report
//! their synchronisation (`clocksync`), held to the profile's `clock_tolerance_ms`. A clock
//! leaving the tolerance (or coming back) is written to the audit trail once per change and
//! logged; the recorder's status and `/metrics` show each clock as it is now.

use crate::state::AppState;
use audit::{Event, Outcome};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// One machine's clock, as the status and the metrics show it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ClockStatus {
    /// `centre`, or the node's id.
    pub host: String,
    /// The kernel reports the clock synchronised to a time source.
    pub synchronised: bool,
    /// Worst-case error (ms).
    pub max_error_ms: f64,
    /// Offset still being corrected (ms).
    pub offset_ms: f64,
    /// How far the node's clock is from the centre's (ms), measured when it answered; `None`
    /// for the centre itself.
    pub from_centre_ms: Option<i64>,
    /// Within the profile's tolerance.
    pub within_tolerance: bool,
    /// The tolerance (ms).
    pub tolerance_ms: u32,
    /// The rule.
    pub rule: String,
}

/// Every clock now: the centre's, then the node's when one is attached and answers.
pub async fn clocks(st: &AppState) -> Vec<ClockStatus> {
    let tolerance = st.profile.recording.clock_tolerance_ms;
    let rule = policy::rule::cited::CLOCK_SYNC.to_string();
    let status = |host: String, r: node::ClockReport, from_centre_ms: Option<i64>| {
        let off = from_centre_ms.map_or(0.0, |o| o as f64);
        let state = clocksync::SyncState {
            synchronised: r.synchronised,
            max_error_ms: r.max_error_ms,
            est_error_ms: r.est_error_ms,
            offset_ms: r.offset_ms,
        };
        let tol = f64::from(tolerance);
        ClockStatus {
            host,
            synchronised: r.synchronised,
            max_error_ms: r.max_error_ms,
            offset_ms: r.offset_ms,
            from_centre_ms,
            within_tolerance: state.within(tol) && off.abs() <= tol,
            tolerance_ms: tolerance,
            rule: rule.clone(),
        }
    };
    let mut out = Vec::new();
    if let Some(s) = clocksync::kernel() {
        let r = node::ClockReport {
            synchronised: s.synchronised,
            max_error_ms: s.max_error_ms,
            est_error_ms: s.est_error_ms,
            offset_ms: s.offset_ms,
            at_ms: st.clock.now_ms(),
        };
        out.push(status("centre".into(), r, None));
    }
    if let Some(node) = st.node()
        && let Ok(Some(r)) = node.clock().await
    {
        let from_centre = r.at_ms - st.clock.now_ms();
        out.push(status(node.id().to_owned(), r, Some(from_centre)));
    }
    out
}

/// Checks the clocks once: each one whose standing changed since the last check (a clock is
/// taken as in tolerance before its first check) is audited and logged.
pub async fn check(st: &AppState) -> Result<Vec<ClockStatus>, crate::error::ApiError> {
    let now = clocks(st).await;
    for c in &now {
        let before = {
            let mut seen = st.clock_standing.lock().unwrap_or_else(|p| p.into_inner());
            seen.insert(c.host.clone(), c.within_tolerance).unwrap_or(true)
        };
        if before == c.within_tolerance {
            continue;
        }
        let action =
            if c.within_tolerance { "clock.in_tolerance" } else { "clock.out_of_tolerance" };
        if c.within_tolerance {
            tracing::info!(host = %c.host, max_error_ms = c.max_error_ms, "clock back within tolerance");
        } else {
            tracing::warn!(host = %c.host, synchronised = c.synchronised, max_error_ms = c.max_error_ms, tolerance_ms = c.tolerance_ms, "clock out of tolerance");
        }
        let mut ev = Event::new("system", action, format!("clock:{}", c.host), Outcome::Ok);
        ev.rule = Some(c.rule.clone());
        ev.detail = json!({
            "synchronised": c.synchronised,
            "max_error_ms": c.max_error_ms,
            "offset_ms": c.offset_ms,
            "from_centre_ms": c.from_centre_ms,
            "tolerance_ms": c.tolerance_ms,
        });
        st.audit(ev).await?;
    }
    Ok(now)
}

/// Checks the clocks at start and every minute until the task is aborted.
pub fn spawn_watch(state: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = check(&state).await {
                tracing::error!(error = ?e, "could not record a clock's standing");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    })
}
