//! Gathers the yearly report's facts (KIT-8) from the governance records, the recorder in this
//! process (uptime, gaps, erasures) and the audit chain. Only categories and counts are taken:
//! no name, case text, account or complaint body is read into the facts.

use crate::state::AppState;
use audit::Store as _;
use policy::jst;
use report::{AuditDigest, CameraFact, ComplaintFact, Facts, OrderFact, RequestFact};
use std::collections::HashMap;

/// An error gathering the facts.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The fiscal year is out of range.
    #[error("fiscal year {0} is out of range")]
    Year(i16),
    /// The period has not begun.
    #[error("fiscal year {0} has not begun")]
    Future(i16),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The audit log failed.
    #[error("audit log: {0}")]
    Audit(String),
}

/// `[1 April of fy, 1 April of fy + 1)` in UTC milliseconds.
pub fn fiscal_year_bounds(fy: i16) -> Result<(i64, i64), ReportError> {
    let start = |y: i16| {
        jiff::civil::Date::new(y, 4, 1)
            .ok()
            .and_then(|d| jst::midnight(d).ok())
            .map(|t| t.as_millisecond())
            .ok_or(ReportError::Year(fy))
    };
    Ok((start(fy)?, start(fy + 1)?))
}

fn in_range(t: Option<i64>, from: i64, to: i64) -> bool {
    t.is_some_and(|t| t >= from && t < to)
}

/// The facts of fiscal year `fy`, up to now if it has not ended.
pub async fn gather(st: &AppState, fy: i16) -> Result<Facts, ReportError> {
    let now = st.clock.now_ms();
    let (from, end) = fiscal_year_bounds(fy)?;
    if from > now {
        return Err(ReportError::Future(fy));
    }
    let to = end.min(now);
    let p = &st.profile;

    // Cameras and their recording, from the recorder in this process when there is one.
    let node = {
        let exporter = st.exporter.read().unwrap_or_else(|e| e.into_inner()).clone();
        match exporter {
            Some(x) => x.report_facts(from, to).await.ok(),
            None => None,
        }
    };
    let sites: HashMap<i64, store::registry::Site> =
        st.db.sites().await?.into_iter().map(|s| (s.id, s)).collect();
    let mut cameras = Vec::new();
    for c in st.db.cameras().await? {
        let group = sites
            .get(&c.site_id)
            .map(|s| if s.system.is_empty() { s.name.clone() } else { s.system.clone() })
            .unwrap_or_default();
        let began = c.commissioned_at.unwrap_or(c.created_at);
        let operating = began < to && c.decommissioned_at.is_none_or(|d| d > from);
        let (mut period_ms, mut gap_ms, mut gaps) = (None, None, None);
        if let Some(n) = &node
            && let Some(first) = n.first_recorded.get(&c.code)
        {
            let start = from.max(*first);
            let stop = to.min(c.decommissioned_at.unwrap_or(to));
            if stop > start {
                let mine: Vec<(i64, i64)> = n
                    .gaps
                    .iter()
                    .filter(|g| g.0 == c.code)
                    .map(|g| (g.1.max(start), g.2.unwrap_or(stop).min(stop)))
                    .filter(|(a, b)| b > a)
                    .collect();
                period_ms = Some(stop - start);
                gap_ms = Some(mine.iter().map(|(a, b)| b - a).sum());
                gaps = Some(mine.len() as u64);
            }
        }
        cameras.push(CameraFact { code: c.code, group, operating, period_ms, gap_ms, gaps });
    }

    // Requests received in the period, by basis and the requesting organisation's kind.
    let org_kind: HashMap<i64, String> =
        st.db.organisations().await?.into_iter().map(|o| (o.id, o.kind)).collect();
    let account_kind: HashMap<i64, String> = st
        .db
        .accounts()
        .await?
        .into_iter()
        .map(|a| (a.id, org_kind.get(&a.organisation_id).cloned().unwrap_or_default()))
        .collect();
    let mut requests = Vec::new();
    for r in st.db.requests().await? {
        if !in_range(Some(r.created_at), from, to) {
            continue;
        }
        let basis = p.bases.iter().find(|b| b.id == r.basis);
        requests.push(RequestFact {
            basis: r.basis.clone(),
            basis_ja: basis.map_or_else(|| r.basis.clone(), |b| b.name_ja.clone()),
            basis_en: basis.map_or_else(|| r.basis.clone(), |b| b.name_en.clone()),
            recipient_kind: r
                .requester_id
                .and_then(|a| account_kind.get(&a).cloned())
                .unwrap_or_else(|| "city".into()),
            provided: matches!(r.state.as_str(), "extracted" | "reported" | "closed"),
            refused: r.state == "refused",
        });
    }

    // Emergency orders of the period.
    let orders = st
        .db
        .orders()
        .await?
        .into_iter()
        .filter(|o| in_range(Some(o.ordered_at), from, to))
        .map(|o| OrderFact {
            extracted: o.extraction_id.is_some(),
            filed: o.filed_at.is_some(),
            late: o.filing_due_at.is_some_and(|due| o.filed_at.unwrap_or(now) > due),
        })
        .collect();

    let holds =
        st.db.holds().await?.iter().filter(|h| in_range(Some(h.placed_at), from, to)).count()
            as u64;

    let complaints = st
        .db
        .complaints()
        .await?
        .into_iter()
        .filter(|c| {
            in_range(Some(c.received_at), from, to) || in_range(c.closed_at, from, to)
        })
        .map(|c| ComplaintFact {
            received: in_range(Some(c.received_at), from, to),
            closed: in_range(c.closed_at, from, to),
            overdue: c.responded_at.unwrap_or(now) > c.due_at,
            category: c.category,
        })
        .collect();

    // The audit chain's state at the end of the period.
    let mut audit = AuditDigest::default();
    let store = st.audit.store();
    let mut skip = 0u64;
    loop {
        let page = store.entries(skip, 5000).await.map_err(|e| ReportError::Audit(e.to_string()))?;
        if page.is_empty() {
            break;
        }
        skip += page.len() as u64;
        for e in &page {
            let at = e.at.as_millisecond();
            if at >= from && at < to {
                audit.entries += 1;
                if audit.last_seq.is_none_or(|s| (e.seq as i64) > s) {
                    audit.last_seq = Some(e.seq as i64);
                    audit.last_hash = Some(e.hash.to_hex().to_string());
                }
            }
        }
    }

    Ok(Facts {
        profile: p.profile.id.clone(),
        city_ja: p.profile.name_ja.clone(),
        city_en: p.profile.name_en.clone(),
        fiscal_year: fy,
        from: jst::rfc3339(jiff::Timestamp::from_millisecond(from).unwrap_or_default()),
        to: jst::rfc3339(jiff::Timestamp::from_millisecond(to).unwrap_or_default()),
        generated_at: jst::rfc3339(st.clock.now()),
        suppress_below: p.report.suppress_below,
        suppression_rule: p.report.suppression_rule.to_string(),
        rule: p.report.rule.as_ref().map(|r| r.to_string()),
        cameras,
        requests,
        orders,
        holds,
        complaints,
        erasures: node.map(|n| n.erased_camera_days),
        audit,
    })
}
