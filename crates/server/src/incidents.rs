//! Reconciliation incidents — what each kind records, typed from the code that opens one to the
//! page that shows it (issue 23, item 3): a mismatch the monthly reconciliation found
//! (ASA-3.5c, NIS-11.3), a duty not done by its deadline, a camera holding footage outside its
//! retention band, a recorder node's alert.
//!
//! The store keeps an incident's kind (`not_in_history`…) and its facts as JSON text; the API
//! answers them as `kind` and `detail`, the shape [`IncidentFacts`] (de)serialises to.

use crate::error::{ApiError, ApiResult};
use crate::fleet::NodeAlert;
use policy::reconcile::{Discrepancy, HistoryItem};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// What an incident is about, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum IncidentFacts {
    /// No history was submitted for a lent PC's month.
    MissingSubmission {},
    /// The system logged an extraction the PC's history does not list.
    NotInHistory {
        /// The logged extraction.
        id: i64,
    },
    /// The PC's history lists an extraction the system did not log.
    NotInLog {
        /// The history's line.
        #[schema(value_type = Object)]
        item: HistoryItem,
    },
    /// An emergency extraction whose post-hoc filing has not arrived.
    Unfiled {
        /// The logged extraction.
        id: i64,
    },
    /// A duty not done by its deadline.
    DutyLapsed(LapsedDuty),
    /// A camera's oldest footage outside the retention band.
    CameraFootageDrift(FootageDrift),
    /// A recorder node not heard from.
    NodeStale(NodeIncident),
    /// A recorder node's audit log failed verification.
    NodeAuditLog(NodeIncident),
    /// A recorder node's clock off the centre's.
    NodeClockDrift(NodeIncident),
    /// A recorder node short of disk space.
    NodeDiskLow(NodeIncident),
}

/// A lapsed duty: which, for whom, for which period, due when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LapsedDuty {
    /// The duty's id in the profile.
    pub duty: String,
    /// Its name in Japanese.
    pub name_ja: String,
    /// Its name in English.
    pub name_en: String,
    /// The subject's key (`workstation:3`, `office`…).
    pub subject: String,
    /// The subject as people name it.
    pub label: String,
    /// The period (`2026-11`…).
    pub period: String,
    /// When it was due (JST).
    pub due_at: String,
}

/// A camera whose oldest footage lies outside the retention band (SAK-9, NIS-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FootageDrift {
    /// The camera.
    pub camera: String,
    /// Its oldest recording day.
    pub oldest_day: String,
    /// That day's age in days.
    pub age_days: i64,
    /// Too young or too old.
    #[schema(value_type = String)]
    pub verdict: policy::camera_store::AgeVerdict,
    /// The band: floor and ceiling, in days.
    pub band: [u32; 2],
    /// The camera's own overwrite cycle, where known.
    pub overwrite_cycle_days: Option<i64>,
}

/// A recorder node's alert, with what the centre knew of the node then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NodeIncident {
    /// The node.
    pub node: String,
    /// Its site.
    pub site: String,
    /// The alert.
    pub alert: NodeAlert,
    /// Its last contact (JST).
    pub last_contact_at: Option<String>,
    /// What its audit log was found to hold.
    #[schema(value_type = Object)]
    pub audit_findings: Option<Value>,
    /// Its last health report.
    #[schema(value_type = Object)]
    pub health: Option<Value>,
}

impl From<&Discrepancy> for IncidentFacts {
    fn from(d: &Discrepancy) -> Self {
        match d {
            Discrepancy::MissingSubmission => IncidentFacts::MissingSubmission {},
            Discrepancy::NotInHistory { id } => IncidentFacts::NotInHistory { id: *id },
            Discrepancy::NotInLog { item } => IncidentFacts::NotInLog { item: item.clone() },
            Discrepancy::Unfiled { id } => IncidentFacts::Unfiled { id: *id },
        }
    }
}

impl IncidentFacts {
    /// A node's alert as an incident.
    pub fn node(facts: NodeIncident) -> Self {
        match facts.alert {
            NodeAlert::Stale => IncidentFacts::NodeStale(facts),
            NodeAlert::AuditLog => IncidentFacts::NodeAuditLog(facts),
            NodeAlert::ClockDrift => IncidentFacts::NodeClockDrift(facts),
            NodeAlert::DiskLow => IncidentFacts::NodeDiskLow(facts),
        }
    }

    /// Its kind, as stored and answered (`not_in_history`, `node_stale`…).
    pub fn kind(&self) -> &'static str {
        match self {
            IncidentFacts::MissingSubmission {} => "missing_submission",
            IncidentFacts::NotInHistory { .. } => "not_in_history",
            IncidentFacts::NotInLog { .. } => "not_in_log",
            IncidentFacts::Unfiled { .. } => "unfiled",
            IncidentFacts::DutyLapsed(_) => crate::duties::LAPSED,
            IncidentFacts::CameraFootageDrift(_) => "camera_footage_drift",
            IncidentFacts::NodeStale(_) => "node_stale",
            IncidentFacts::NodeAuditLog(_) => "node_audit_log",
            IncidentFacts::NodeClockDrift(_) => "node_clock_drift",
            IncidentFacts::NodeDiskLow(_) => "node_disk_low",
        }
    }

    /// The stored kind and detail (JSON text).
    pub fn stored(&self) -> ApiResult<(String, String)> {
        let Stored { kind, detail } = serde_json::to_value(self)
            .and_then(serde_json::from_value)
            .map_err(|_| ApiError::internal("an incident's facts"))?;
        Ok((kind, detail.to_string()))
    }

    /// The facts of a stored incident; an unknown kind or facts that do not fit it are a
    /// decoding error, never shown as something else.
    pub fn from_stored(kind: &str, detail: &str) -> Result<Self, serde_json::Error> {
        let detail: Value = serde_json::from_str(detail)?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "detail": detail }))
    }
}

/// An incident's facts as they travel: kind and detail.
#[derive(Deserialize)]
struct Stored {
    kind: String,
    detail: Value,
}

/// Where an incident belongs: its month (or period, or day), the lent PC it concerns (0 for
/// none), its deduplication key and the organisation that governs what it is about.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The month, period or day.
    pub month: &'a str,
    /// The lent PC; 0 for none.
    pub workstation: i64,
    /// What makes it the same incident again (with month, PC and kind).
    pub key: &'a str,
    /// The owner of what it is about (issue 15).
    pub owner: Option<i64>,
}

/// Opens an incident unless the same one is open already; whether it is new.
pub async fn open(
    ch: &store::Db,
    at: Place<'_>,
    facts: &IncidentFacts,
    now: i64,
) -> ApiResult<bool> {
    let (kind, detail) = facts.stored()?;
    let incident = store::emergency::NewIncident {
        month: at.month,
        workstation: at.workstation,
        kind: &kind,
        ref_key: at.key,
        detail: &detail,
        owner: at.owner,
    };
    Ok(ch.open_incident(&incident, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_stored_as_kind_and_detail_and_read_back() {
        let f = IncidentFacts::NotInHistory { id: 7 };
        let (kind, detail) = f.stored().unwrap();
        assert_eq!((kind.as_str(), detail.as_str()), ("not_in_history", r#"{"id":7}"#));
        assert_eq!(IncidentFacts::from_stored(&kind, &detail).unwrap(), f);
        // Rows written before the facts were typed carry the kind inside the detail too.
        let old =
            IncidentFacts::from_stored("missing_submission", r#"{"kind":"missing_submission"}"#);
        assert_eq!(old.unwrap(), IncidentFacts::MissingSubmission {});
        // An unknown kind is an error, not shown as something else.
        assert!(IncidentFacts::from_stored("mismatch", "{}").is_err());
    }

    #[test]
    fn every_kind_is_named_as_serde_names_it() {
        let node = |alert| NodeIncident {
            node: "node-2".into(),
            site: "駅前".into(),
            alert,
            last_contact_at: None,
            audit_findings: None,
            health: None,
        };
        let all = [
            IncidentFacts::MissingSubmission {},
            IncidentFacts::NotInHistory { id: 1 },
            IncidentFacts::NotInLog {
                item: HistoryItem { extracted_at: jiff::Timestamp::UNIX_EPOCH, camera: "c".into() },
            },
            IncidentFacts::Unfiled { id: 2 },
            IncidentFacts::DutyLapsed(LapsedDuty {
                duty: "monthly_history".into(),
                name_ja: "月次履歴".into(),
                name_en: "Monthly history".into(),
                subject: "workstation:3".into(),
                label: "PC-EAST".into(),
                period: "2026-11".into(),
                due_at: "2026-12-07T17:00:00+09:00".into(),
            }),
            IncidentFacts::CameraFootageDrift(FootageDrift {
                camera: "cam1".into(),
                oldest_day: "2026-11-01".into(),
                age_days: 35,
                verdict: policy::camera_store::AgeVerdict::TooOld,
                band: [7, 14],
                overwrite_cycle_days: None,
            }),
        ]
        .into_iter()
        .chain(NodeAlert::ALL.map(|a| IncidentFacts::node(node(a))));
        for f in all {
            let (kind, detail) = f.stored().unwrap();
            assert_eq!(kind, f.kind());
            assert_eq!(IncidentFacts::from_stored(&kind, &detail).unwrap(), f);
        }
    }
}
