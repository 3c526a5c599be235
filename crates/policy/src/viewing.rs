//! Authorised viewing of recorded footage (issue 20): a viewing is a record first — who, on
//! which dedicated PC, which cameras, which range, why, with whom — and playback stays inside
//! it. Decided here, from the profile's `[viewing]` section and the record; the server only
//! asks.
//!
//! - The range ends at least `delay_minutes` before now (ALL-REC-2: never live).
//! - The session is the viewer's, on the PC it was opened on, until it expires or is closed.
//! - Only the recorded cameras, only the recorded range.

use crate::profile::Profile;
use crate::workflow::Refusal;

/// Milliseconds in a minute.
const MINUTE_MS: i64 = 60_000;

/// A viewing as recorded: the scope its playback stays in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session<'a> {
    /// The viewer's account.
    pub viewer: i64,
    /// The dedicated PC it was opened on (0: none).
    pub workstation: i64,
    /// The cameras recorded for it.
    pub cameras: &'a [String],
    /// The range recorded for it (UTC ms).
    pub range: (i64, i64),
    /// When its playback session ends (UTC ms); `None` for a record made before playback
    /// existed (it plays nothing).
    pub expires_ms: Option<i64>,
    /// Closed by the viewer.
    pub closed: bool,
    /// Witnesses named and not yet judged necessary by the role the profile names (ASA-3.4a).
    pub witnesses_pending: bool,
}

/// Where a viewing's witnesses stand when it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Witnesses {
    /// None named, or the profile asks no judgement: recorded as named.
    AsNamed,
    /// The viewer holds a role that judges: judged by the viewer, now.
    JudgedByViewer,
    /// Waiting for the judgement: nothing plays until then.
    Pending,
}

/// One request to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask<'a> {
    /// Who asks.
    pub viewer: i64,
    /// From which dedicated PC (0: none).
    pub workstation: i64,
    /// Which camera.
    pub camera: &'a str,
    /// From when (UTC ms).
    pub from_ms: i64,
    /// Now (UTC ms).
    pub now_ms: i64,
}

impl Profile {
    /// May a viewing of `[from, to)` be recorded at `now`? The range must end at least the
    /// profile's delay before now (ALL-REC-2) and after it starts.
    pub fn check_viewing_range(&self, from: i64, to: i64, now: i64) -> Result<(), Refusal> {
        if to <= from {
            return Err(Refusal::new(&self.viewing.rule, "the range must end after it starts")
                .key("range_order")
                .at("to"));
        }
        let edge = self.viewing_edge(now);
        if to > edge {
            return Err(Refusal::new(
                &self.recording.live_view_rule,
                format!(
                    "footage is viewed only once recorded at least {} minutes ago (no live \
                     monitoring): end the range earlier",
                    self.viewing.delay_minutes
                ),
            )
            .key("viewing_live_edge")
            .with("minutes", self.viewing.delay_minutes)
            .at("to"));
        }
        Ok(())
    }

    /// Where witnesses named for a viewing stand (ASA-3.4a): with the profile naming roles that
    /// judge, the viewing must say why others are present (`reason`), and is judged at once when
    /// the viewer holds such a role, else it waits for one.
    pub fn check_witnesses(
        &self,
        witnesses: &[String],
        reason: &str,
        viewer_roles: &[String],
    ) -> Result<Witnesses, Refusal> {
        let judges = &self.viewing.witnesses_judged_by;
        if witnesses.is_empty() || judges.is_empty() {
            return Ok(Witnesses::AsNamed);
        }
        if reason.trim().is_empty() {
            return Err(Refusal::new(
                &self.viewing.rule,
                "others are present only when the manager finds it especially necessary: say why",
            )
            .key("viewing_witness_reason")
            .at("witness_reason"));
        }
        Ok(if viewer_roles.iter().any(|r| judges.contains(r)) {
            Witnesses::JudgedByViewer
        } else {
            Witnesses::Pending
        })
    }

    /// May someone holding `roles` judge the witnesses of a viewing by `viewer` (ASA-3.4a)?
    pub fn check_witness_judge(&self, roles: &[String]) -> Result<(), Refusal> {
        let judges = &self.viewing.witnesses_judged_by;
        if roles.iter().any(|r| judges.contains(r)) {
            return Ok(());
        }
        Err(Refusal::new(
            &self.viewing.rule,
            format!("only the {} judges whether others may be present", judges.join(", ")),
        )
        .key("viewing_witness_judge")
        .with("roles", judges.join(", ")))
    }

    /// The latest instant a viewing at `now` may show (UTC ms).
    pub fn viewing_edge(&self, now: i64) -> i64 {
        now - i64::from(self.viewing.delay_minutes) * MINUTE_MS
    }

    /// When a viewing opened at `now` stops playing (UTC ms).
    pub fn viewing_expires(&self, now: i64) -> i64 {
        now + i64::from(self.viewing.session_minutes) * MINUTE_MS
    }

    /// May `ask` be served within `session`? Each refusal names what is outside the record.
    pub fn check_play(&self, session: &Session<'_>, ask: &Ask<'_>) -> Result<(), Refusal> {
        let rule = &self.viewing.rule;
        if ask.viewer != session.viewer {
            return Err(Refusal::new(rule, "this viewing is another person's: record your own")
                .key("viewing_other_person"));
        }
        if ask.workstation != session.workstation {
            return Err(Refusal::new(
                self.workstation_rule(),
                "this viewing was opened on another dedicated PC: it plays only there",
            )
            .key("viewing_other_pc"));
        }
        if session.witnesses_pending {
            return Err(Refusal::state(
                rule,
                "others are named as present: the manager has not yet judged it necessary",
            )
            .key("viewing_witnesses_pending"));
        }
        if session.closed {
            return Err(Refusal::state(rule, "this viewing is closed").key("viewing_closed"));
        }
        match session.expires_ms {
            Some(end) if ask.now_ms < end => {}
            _ => {
                return Err(Refusal::state(
                    rule,
                    "this viewing's session has ended: record a new viewing to look again",
                )
                .key("viewing_expired"));
            }
        }
        if !session.cameras.iter().any(|c| c == ask.camera) {
            return Err(Refusal::new(
                rule,
                format!("camera {} is not among this viewing's cameras", ask.camera),
            )
            .key("viewing_other_camera")
            .with("code", ask.camera)
            .at("camera"));
        }
        if ask.from_ms < session.range.0 || ask.from_ms >= session.range.1 {
            return Err(Refusal::new(rule, "that time is outside this viewing's range")
                .key("viewing_outside_range")
                .at("from"));
        }
        // The record's range was checked against the live edge when it was made; a range ends
        // where it ends, so this only guards a record whose range reaches past the edge now.
        if ask.from_ms >= self.viewing_edge(ask.now_ms) {
            return Err(Refusal::new(
                &self.recording.live_view_rule,
                "footage this recent is not shown (no live monitoring)",
            )
            .key("viewing_live_edge")
            .with("minutes", self.viewing.delay_minutes)
            .at("from"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const NOW: i64 = 1_796_500_000_000;

    fn seed(id: &str) -> Profile {
        crate::profile::seed(id).unwrap().unwrap()
    }

    // rule: ALL-REC-2 — a viewing never reaches the live edge.
    #[test]
    fn a_range_ends_before_the_live_edge() {
        let p = seed("asahikawa");
        let edge = NOW - 10 * MINUTE_MS;
        assert!(p.check_viewing_range(edge - 3_600_000, edge, NOW).is_ok());
        let r = p.check_viewing_range(edge - 3_600_000, edge + 1, NOW).unwrap_err();
        assert_eq!(r.rule.as_str(), "ASA-2.1", "the city's clause for ALL-REC-2");
        assert_eq!(r.key, Some("viewing_live_edge"));
        assert_eq!(p.check_viewing_range(edge, edge, NOW).unwrap_err().key, Some("range_order"));
    }

    // rule: ASA-3.4a — playback only of the viewer's own record, on its PC, its cameras, its
    // range, while its session lasts.
    #[test]
    fn playback_stays_inside_the_record() {
        let p = seed("asahikawa");
        let cams = vec!["cam1".to_owned(), "cam2".to_owned()];
        let s = Session {
            viewer: 7,
            workstation: 3,
            cameras: &cams,
            range: (NOW - 7_200_000, NOW - 3_600_000),
            expires_ms: Some(NOW + 60_000),
            closed: false,
            witnesses_pending: false,
        };
        let ok = Ask {
            viewer: 7,
            workstation: 3,
            camera: "cam2",
            from_ms: NOW - 5_000_000,
            now_ms: NOW,
        };
        assert!(p.check_play(&s, &ok).is_ok());
        let key = |a: Ask<'_>, s: &Session<'_>| p.check_play(s, &a).unwrap_err().key;
        assert_eq!(key(Ask { viewer: 8, ..ok }, &s), Some("viewing_other_person"));
        assert_eq!(key(Ask { workstation: 4, ..ok }, &s), Some("viewing_other_pc"));
        assert_eq!(key(Ask { workstation: 0, ..ok }, &s), Some("viewing_other_pc"));
        assert_eq!(key(Ask { camera: "cam3", ..ok }, &s), Some("viewing_other_camera"));
        assert_eq!(key(Ask { from_ms: NOW - 7_200_001, ..ok }, &s), Some("viewing_outside_range"));
        assert_eq!(key(Ask { from_ms: NOW - 3_600_000, ..ok }, &s), Some("viewing_outside_range"));
        assert_eq!(key(Ask { now_ms: NOW + 60_000, ..ok }, &s), Some("viewing_expired"));
        assert_eq!(key(ok, &Session { closed: true, ..s.clone() }), Some("viewing_closed"));
        assert_eq!(key(ok, &Session { expires_ms: None, ..s.clone() }), Some("viewing_expired"));
        assert_eq!(
            key(ok, &Session { witnesses_pending: true, ..s.clone() }),
            Some("viewing_witnesses_pending")
        );
        // The other PC is refused under the clause that places the PCs (ASA-3.2e).
        let r = p.check_play(&s, &Ask { workstation: 4, ..ok }).unwrap_err();
        assert_eq!(r.rule.as_str(), "ASA-3.2e");
    }

    // rule: ASA-3.4a — others are present only when the manager finds it especially necessary.
    #[test]
    fn witnesses_wait_for_the_managers_judgement() {
        let p = seed("asahikawa");
        let w = vec!["交通防犯課 主査".to_owned()];
        let officer = vec!["handling_officer".to_owned()];
        let manager = vec!["manager".to_owned()];
        assert_eq!(p.check_witnesses(&[], "", &officer), Ok(Witnesses::AsNamed));
        let r = p.check_witnesses(&w, " ", &officer).unwrap_err();
        assert_eq!(
            (r.key, r.field.as_deref()),
            (Some("viewing_witness_reason"), Some("witness_reason"))
        );
        assert_eq!(p.check_witnesses(&w, "映像の確認に専門知識", &officer), Ok(Witnesses::Pending));
        assert_eq!(
            p.check_witnesses(&w, "映像の確認に専門知識", &manager),
            Ok(Witnesses::JudgedByViewer)
        );
        assert!(p.check_witness_judge(&manager).is_ok());
        assert_eq!(p.check_witness_judge(&officer).unwrap_err().key, Some("viewing_witness_judge"));
        // Where the seed asks no judgement, witnesses are recorded as named.
        let k = seed("kitakyushu");
        assert_eq!(k.check_witnesses(&w, "", &officer), Ok(Witnesses::AsNamed));
    }

    #[test]
    fn every_seed_city_names_its_viewing_clause() {
        for (id, rule, print) in [
            ("asahikawa", "ASA-3.4a", true),
            ("kawaguchi", "KAW-2.2.2", false),
            ("kitakyushu", "KIT-5.5", false),
            ("nishiyodogawa", "NIS-7", false),
            ("saku", "SAK-M", false),
        ] {
            let p = seed(id);
            assert_eq!((p.viewing.rule.as_str(), p.viewing.print), (rule, print), "{id}");
            assert!(p.viewing.delay_minutes >= 1 && p.viewing.session_minutes >= 1, "{id}");
        }
    }
}
