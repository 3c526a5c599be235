//! Monthly reconciliation (ASA-3.5c, NIS-11.3): the extraction history the police or agency
//! submits for its lent PC is matched against the filed requests and the system's own access log.
//! Every mismatch becomes an incident the manager closes with a note.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// One extraction as the agency's PC history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// When it was extracted.
    pub extracted_at: Timestamp,
    /// Camera code.
    pub camera: String,
}

/// One extraction as the system's access log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedExtraction {
    /// The emergency order (or other record) id.
    pub id: i64,
    /// When it was extracted.
    pub extracted_at: Timestamp,
    /// Cameras.
    pub cameras: Vec<String>,
    /// Whether its post-hoc filing has arrived.
    pub filed: bool,
}

/// What the reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discrepancy {
    /// No history was submitted for the month.
    MissingSubmission,
    /// The system logged an extraction the submitted history does not list.
    NotInHistory {
        /// The logged record.
        id: i64,
    },
    /// The history lists an extraction the system did not log.
    NotInLog {
        /// The history item.
        item: HistoryItem,
    },
    /// An extraction whose filing has not arrived.
    Unfiled {
        /// The logged record.
        id: i64,
    },
}

/// Matches a month's submitted history (`None` if nothing was submitted) against the system's log
/// for the same workstation. Two records match when they name the same camera and their times
/// are within `tolerance` (PC clocks drift).
pub fn reconcile(
    history: Option<&[HistoryItem]>,
    logged: &[LoggedExtraction],
    tolerance: SignedDuration,
) -> Vec<Discrepancy> {
    let mut out = Vec::new();
    for l in logged.iter().filter(|l| !l.filed) {
        out.push(Discrepancy::Unfiled { id: l.id });
    }
    let Some(history) = history else {
        out.insert(0, Discrepancy::MissingSubmission);
        return out;
    };
    // Each logged (extraction, camera) pair may absorb one history item.
    let mut pairs: Vec<(i64, &str, Timestamp, bool)> = logged
        .iter()
        .flat_map(|l| l.cameras.iter().map(move |c| (l.id, c.as_str(), l.extracted_at, false)))
        .collect();
    for item in history {
        let hit = pairs.iter_mut().find(|(_, cam, at, used)| {
            !*used && *cam == item.camera && at.duration_since(item.extracted_at).abs() <= tolerance
        });
        match hit {
            Some(p) => p.3 = true,
            None => out.push(Discrepancy::NotInLog { item: item.clone() }),
        }
    }
    let mut unmatched: Vec<i64> = pairs.iter().filter(|p| !p.3).map(|p| p.0).collect();
    unmatched.dedup();
    for id in unmatched {
        out.push(Discrepancy::NotInHistory { id });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn matching_history_gives_nothing_but_unfiled() {
        let logged = [LoggedExtraction {
            id: 1,
            extracted_at: t("2026-11-23T01:00:00Z"),
            cameras: vec!["c1".into()],
            filed: true,
        }];
        let hist = [HistoryItem { extracted_at: t("2026-11-23T01:03:00Z"), camera: "c1".into() }];
        assert!(reconcile(Some(&hist), &logged, SignedDuration::from_mins(10)).is_empty());
    }

    #[test]
    fn every_kind_of_mismatch_is_found() {
        let logged = [
            LoggedExtraction {
                id: 1,
                extracted_at: t("2026-11-23T01:00:00Z"),
                cameras: vec!["c1".into()],
                filed: false,
            },
            LoggedExtraction {
                id: 2,
                extracted_at: t("2026-11-24T01:00:00Z"),
                cameras: vec!["c2".into()],
                filed: true,
            },
        ];
        let hist = [
            HistoryItem { extracted_at: t("2026-11-23T01:01:00Z"), camera: "c1".into() },
            HistoryItem { extracted_at: t("2026-11-25T01:00:00Z"), camera: "c3".into() },
        ];
        let d = reconcile(Some(&hist), &logged, SignedDuration::from_mins(10));
        assert!(d.contains(&Discrepancy::Unfiled { id: 1 }));
        assert!(d.contains(&Discrepancy::NotInHistory { id: 2 }));
        assert!(d.contains(&Discrepancy::NotInLog { item: hist[1].clone() }));
        assert_eq!(
            reconcile(None, &logged, SignedDuration::from_mins(10))[0],
            Discrepancy::MissingSubmission
        );
    }
}
