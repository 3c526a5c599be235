//! The five seed profiles against SPEC.md, and the checker on custom profiles.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use policy::hold::{Hold, HoldError};
use policy::jst;
use policy::profile::{self, Permission, Problem, Profile};
use policy::retention::Period;

fn seed(id: &str) -> Profile {
    profile::seed(id).unwrap().unwrap_or_else(|p| panic!("{id}: {p:#?}"))
}

#[test]
fn every_seed_loads_and_passes_the_checker() {
    for id in profile::SEED_IDS {
        let p = seed(id);
        assert_eq!(p.profile.id, id);
        assert!(profile::check(&p).is_empty());
    }
    assert_eq!(profile::seeds().count(), 5);
}

fn role_names(id: &str) -> Vec<String> {
    seed(id).roles.iter().map(|r| r.name_ja.clone()).collect()
}

// SPEC.md §3: each profile names its own roles.
#[test]
fn role_names_are_the_ones_the_rules_use() {
    let has = |id: &str, names: &[&str]| {
        let got = role_names(id);
        for n in names {
            assert!(got.iter().any(|g| g == n), "{id} lacks role {n}; has {got:?}");
        }
    };
    // rule: ASA-3.1, ASA-3.5a
    has(
        "asahikawa",
        &[
            "防犯カメラシステム管理責任者",
            "防犯カメラシステム取扱責任者",
            "防犯カメラシステム取扱者",
            "防犯カメラ画像管理責任者",
            "画像取扱者",
        ],
    );
    // rule: KAW-2.2.2
    has("kawaguchi", &["設置者", "管理責任者"]);
    // rule: KIT-3, KIT-5.2
    has(
        "kitakyushu",
        &[
            "管理責任者",
            "取扱責任者",
            "管理責任者が臨時に指定した者",
            "保守業者（運用保守に係る責任者及びその補助者）",
        ],
    );
    // rule: SAK-M
    has("saku", &["管理責任者", "管理者等"]);
    // rule: NIS-7, NIS-10.3
    has(
        "nishiyodogawa",
        &[
            "防犯カメラ管理責任者",
            "防犯カメラ運用責任者",
            "画像取扱員",
            "捜査機関等の長",
            "捜査機関等事務担当者",
        ],
    );
}

// SPEC.md §7 per-profile retention table.
#[test]
fn retention_matches_the_spec_table() {
    let table = [
        ("asahikawa", Period::Days(14), Period::Days(7), Period::Days(14), "ASA-3.3c"),
        ("kawaguchi", Period::Days(7), Period::Days(7), Period::Days(31), "KAW-2.2.6イ"),
        ("kitakyushu", Period::Days(7), Period::Days(7), Period::Days(7), "KIT-5.6"),
        ("saku", Period::Days(7), Period::Days(7), Period::Months(1), "SAK-9"),
        ("nishiyodogawa", Period::Days(10), Period::Days(9), Period::Days(11), "NIS-6"),
    ];
    for (id, default, floor, ceiling, rule) in table {
        let p = seed(id);
        assert_eq!(p.default_period(), default, "{id}");
        assert_eq!(p.retention.floor.period(), Some(floor), "{id}");
        assert_eq!(p.retention.ceiling.period(), Some(ceiling), "{id}");
        assert_eq!(p.retention.rule.as_str(), rule, "{id}");
        assert_eq!(p.retention.counting, policy::retention::Counting::FromNextDay, "{id}");
    }
    assert_eq!(seed("saku").retention.floor.rule.as_str(), "PROD-RET-1");
    assert_eq!(seed("kawaguchi").retention.ceiling.rule.as_str(), "PROD-RET-2");
    assert_eq!(seed("nishiyodogawa").retention.floor.rule.as_str(), "PROD-RET-3");
}

#[test]
fn only_the_two_granting_profiles_allow_holds() {
    let granted: Vec<_> =
        profile::seeds().filter(|p| p.retention.extension.allowed).map(|p| p.profile.id).collect();
    assert_eq!(granted, ["kawaguchi", "kitakyushu"]);
}

fn hold(role: &str, reason: &str, inquiry: Option<&str>) -> Hold {
    let t = |s: &str| jst::parse_rfc3339(s).unwrap();
    Hold {
        camera: "cam1".into(),
        from: t("2026-11-20T10:00:00+09:00"),
        to: t("2026-11-20T11:00:00+09:00"),
        until: t("2027-02-01T00:00:00+09:00"),
        placed_by_role: role.into(),
        reason: reason.into(),
        inquiry_reference: inquiry.map(Into::into),
        released_at: None,
    }
}

#[test]
fn holds_follow_each_profiles_grant() {
    let now = jst::parse_rfc3339("2026-11-23T10:00:00+09:00").unwrap();
    // rule: KIT-5.6 — manager, with a reason.
    let kit = seed("kitakyushu");
    assert!(kit.check_hold(&hold("manager", "捜査中の事件", None), now).is_ok());
    assert!(matches!(
        kit.check_hold(&hold("manager", " ", None), now),
        Err(HoldError::MissingReason { .. })
    ));
    let e = kit.check_hold(&hold("handling_officer", "x", None), now).unwrap_err();
    assert!(e.to_string().starts_with("KIT-5.6:"), "{e}");
    // rule: KAW-2.2.6イ — only for a legal-procedure inquiry.
    let kaw = seed("kawaguchi");
    let e = kaw.check_hold(&hold("manager", "照会あり", None), now).unwrap_err();
    assert!(
        matches!(e, HoldError::MissingInquiry { .. }) && e.to_string().starts_with("KAW-2.2.6イ:")
    );
    assert!(kaw.check_hold(&hold("manager", "照会あり", Some("川口署照会第12号")), now).is_ok());
    // Not granted elsewhere: the refusal names the profile's retention clause.
    for (id, rule) in [("asahikawa", "ASA-3.3c"), ("saku", "SAK-9"), ("nishiyodogawa", "NIS-6")] {
        let e = seed(id).check_hold(&hold("manager", "x", Some("y")), now).unwrap_err();
        assert!(matches!(e, HoldError::NotGranted { .. }), "{id}");
        assert_eq!(e.rule().map(|r| r.as_str()), Some(rule));
    }
}

#[test]
fn a_hold_pins_exactly_its_camera_and_range() {
    let h = hold("manager", "r", None);
    let t = |s: &str| jst::parse_rfc3339(s).unwrap();
    let normal = t("2026-11-28T00:00:00+09:00");
    let eff = |cam: &str, at: &str| policy::hold::effective_erase_at(cam, t(at), normal, [&h]);
    assert_eq!(eff("cam1", "2026-11-20T10:30:00+09:00"), h.until);
    assert_eq!(eff("cam1", "2026-11-20T11:00:00+09:00"), normal, "range end is exclusive");
    assert_eq!(eff("cam1", "2026-11-20T09:59:59+09:00"), normal);
    assert_eq!(eff("cam2", "2026-11-20T10:30:00+09:00"), normal);
    let mut released = h.clone();
    released.released_at = Some(t("2026-12-01T00:00:00+09:00"));
    assert_eq!(
        policy::hold::effective_erase_at(
            "cam1",
            t("2026-11-20T10:30:00+09:00"),
            normal,
            [&released]
        ),
        t("2026-12-01T00:00:00+09:00")
    );
}

// rule: PROD-CONTRACTOR-1, KIT-5.2 — contractors never export footage.
#[test]
fn no_seed_lets_a_contractor_export_footage() {
    for p in profile::seeds() {
        for r in p.roles.iter().filter(|r| r.organisations.contains(&profile::OrgKind::Contractor))
        {
            assert!(
                !r.permissions.iter().any(|x| x.exports_footage()),
                "{}: {}",
                p.profile.id,
                r.id
            );
        }
    }
    assert!(seed("kitakyushu").allows("om_contractor", Permission::RecorderOperate));
    assert!(!seed("kitakyushu").allows("om_contractor", Permission::FootageExtract));
    assert!(!seed("kitakyushu").allows("nobody", Permission::FootageView), "deny by default");
}

// ---- the checker on custom profiles ----

fn problems(edit: impl Fn(String) -> String) -> Vec<Problem> {
    let text = edit(profile::seed_source("asahikawa").unwrap().to_owned());
    profile::load_str(&text).expect_err("the edited profile must be refused")
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("needle in text") + 1
}

#[test]
fn unknown_role_is_reported_with_its_line() {
    let src = profile::seed_source("asahikawa").unwrap();
    let edited = src.replace("reviewed_by = [\"manager\"]", "reviewed_by = [\"boss\"]");
    let ps = profile::load_str(&edited).unwrap_err();
    let p =
        ps.iter().find(|p| p.path == "workflow.reviewed_by[0]").expect("problem at the reference");
    assert_eq!(p.rule.as_str(), "PROD-PROFILE-1");
    assert!(p.message.contains("unknown role \"boss\""), "{}", p.message);
    assert_eq!(p.location.as_ref().unwrap().line, line_of(&edited, "reviewed_by = [\"boss\"]"));
    assert!(
        p.render("city.toml")
            .starts_with(&format!("city.toml:{}:", line_of(&edited, "reviewed_by = [\"boss\"]")))
    );
}

#[test]
fn floor_above_ceiling_is_reported() {
    let ps = problems(|s| {
        s.replace(
            "floor = { days = 7, rule = \"ASA-3.3c\" }",
            "floor = { days = 21, rule = \"ASA-3.3c\" }",
        )
    });
    let p = ps.iter().find(|p| p.path == "retention.floor").unwrap();
    assert_eq!(p.rule.as_str(), "PROD-PROFILE-2");
    assert!(p.message.contains("above the ceiling"));
    assert!(p.location.is_some());
}

#[test]
fn emergency_path_without_a_filing_deadline_is_reported() {
    let ps = problems(|s| s.replace("due_office_days = 1\n", ""));
    let p = ps.iter().find(|p| p.rule.as_str() == "PROD-FILING-1").unwrap();
    assert_eq!(p.path, "emergency.filing");
    let src = profile::seed_source("asahikawa").unwrap().replace("due_office_days = 1\n", "");
    assert_eq!(p.location.as_ref().unwrap().line, line_of(&src, "[emergency.filing]"));
}

#[test]
fn unknown_permission_and_unknown_field_are_syntax_level_problems_with_lines() {
    let src = profile::seed_source("asahikawa").unwrap();
    let edited = src
        .replace("permissions = [\"emergency.extract\"]", "permissions = [\"emergency.extrac\"]");
    let ps = profile::load_str(&edited).unwrap_err();
    assert_eq!(ps.len(), 1);
    assert!(ps[0].message.contains("emergency.extrac"), "{}", ps[0].message);
    assert_eq!(ps[0].location.as_ref().unwrap().line, line_of(&edited, "emergency.extrac\"]"));
    let edited =
        src.replace("remote_viewing = false", "remote_viewing = false\nremote_view = true");
    let ps = profile::load_str(&edited).unwrap_err();
    assert!(ps[0].message.contains("remote_view"), "{}", ps[0].message);
    assert_eq!(ps[0].location.as_ref().unwrap().line, line_of(&edited, "remote_view = true"));
    let ps = profile::load_str("[profile\nid=").unwrap_err();
    assert_eq!(ps[0].location.as_ref().unwrap().line, 1);
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let ps = problems(|s| {
        s.replace("live_view = false", "live_view = true")
            .replace(
                "permissions = [\"recorder.operate\", \"footage.view\"]",
                "permissions = [\"recorder.operate\", \"footage.extract\"]",
            )
            .replace(
                "ceiling = { days = 14, rule = \"ASA-3.3c\" }",
                "ceiling = { days = 14, months = 1, rule = \"ASA-3.3c\" }",
            )
            .replace("roles = [\"handling_officer\"]", "roles = [\"clerk\"]")
            .replace("rule = \"ASA-3.4a\"\n", "rule = \"asa 3.4a\"\n")
    });
    let rules: Vec<_> = ps.iter().map(|p| (p.rule.as_str().to_owned(), p.path.clone())).collect();
    for (rule, path) in [
        ("ALL-REC-2", "recording.live_view"),
        ("PROD-CONTRACTOR-1", "roles[2].permissions[1]"),
        ("PROD-PROFILE-2", "retention.ceiling"),
        ("PROD-PROFILE-1", "workflow.chain[1].roles[0]"),
        ("PROD-PROFILE-1", "purposes[3].rule"),
    ] {
        assert!(
            rules.iter().any(|(r, p)| r == rule && p == path),
            "missing {rule} at {path}: {rules:#?}"
        );
    }
    assert!(ps.iter().all(|p| p.location.is_some()), "{ps:#?}");
}

#[test]
fn resolved_profile_round_trips_through_json() {
    for p in profile::seeds() {
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["profile"]["id"], p.profile.id.as_str());
        assert!(json["roles"].as_array().unwrap().len() >= 2);
    }
}

// rule: PROD-DUTY-5 — a duty that could never be done or never be owed is refused.
#[test]
fn duties_that_cannot_work_are_reported() {
    // A rolling duty without its interval.
    let ps = problems(|s| s.replacen("every_days = 180\n", "", 1));
    assert!(
        ps.iter().any(|p| p.path.ends_with(".every_days") && p.message.contains("rolling")),
        "{ps:?}"
    );
    // A duty only an action does, claimed as done by a record of another kind of subject.
    let ps = problems(|s| {
        s.replacen("done_by = \"history_submission\"", "done_by = \"signage_check\"", 1)
    });
    assert!(ps.iter().any(|p| p.path.ends_with(".done_by")), "{ps:?}");
    // Nobody holds the permission.
    let ps = problems(|s| {
        s.replacen(
            "performed_with = \"reconciliation.submit\"",
            "performed_with = \"delegation.manage\"",
            1,
        )
    });
    assert!(ps.iter().any(|p| p.path.ends_with(".performed_with")), "{ps:?}");
    // Two duties with one id.
    let ps = problems(|s| s.replacen("id = \"access_review\"", "id = \"monthly_history\"", 1));
    assert!(ps.iter().any(|p| p.path.ends_with(".id")), "{ps:?}");
}

// issue 15, item 7 — a refusal for a missing permission cites the most specific rule of the
// running profile: the clause of the role the person holds (rule: KIT-5.2 for the O&M
// contractor), the clause that says the function is absent, PROD-RBAC-1 only where no seed
// clause applies.
#[test]
fn a_missing_permission_is_refused_with_the_citys_own_clause() {
    use policy::Permission as P;
    let kit = policy::resolve_seed("kitakyushu").unwrap();
    let held = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(kit.denial_rule(&held(&["om_contractor"]), P::FootageExtract).as_str(), "KIT-5.2");
    assert_eq!(kit.denial_rule(&held(&["om_contractor"]), P::RequestSubmit).as_str(), "KIT-5.2");
    assert_eq!(kit.denial_rule(&held(&[]), P::FootageExtract).as_str(), "PROD-RBAC-1");
    let asa = policy::resolve_seed("asahikawa").unwrap();
    let op = asa.role("operator").unwrap().rule.clone();
    assert!(!op.is_product_rule());
    assert_eq!(asa.denial_rule(&held(&["operator"]), P::FootageExtract), &op);
    // No rule of another city in any profile's refusals.
    for p in policy::profile::seeds() {
        let prefix = p.roles[0].rule.prefix().to_owned();
        for r in &p.roles {
            for perm in [P::FootageExtract, P::AccountsAdminister, P::RequestReview] {
                let rule = p.denial_rule(std::slice::from_ref(&r.id), perm);
                assert!(
                    rule.is_product_rule() || rule.prefix() == prefix || rule.prefix() == "ALL",
                    "{}: {} refused {perm:?} citing {rule}",
                    p.profile.id,
                    r.id
                );
            }
        }
    }
}

// rule: PROD-EMERG-1 — an order allowed outside the window is flagged to someone who reviews
// it; a printed form names the office it is addressed to.
#[test]
fn flagged_orders_need_a_reviewer_and_printed_forms_an_addressee() {
    let src = profile::seed_source("nishiyodogawa").unwrap();
    let edited = src.replace("flagged_to = [\"manager\"]", "flagged_to = []").replacen(
        "addressed_to = \"大阪市西淀川区長（管理責任者）\"\n",
        "",
        1,
    );
    let ps = profile::load_str(&edited).unwrap_err();
    assert!(ps.iter().any(|p| p.path == "emergency.flagged_to"), "{ps:?}");
    assert!(ps.iter().any(|p| p.path.ends_with(".addressed_to")), "{ps:?}");
    let edited = src.replace("flagged_to = [\"manager\"]", "flagged_to = [\"image_clerk\"]");
    let ps = profile::load_str(&edited).unwrap_err();
    let p = ps.iter().find(|p| p.path == "emergency.flagged_to[0]");
    let p = p.unwrap_or_else(|| panic!("{ps:?}"));
    assert!(p.message.contains("reconciliation.review"), "{}", p.message);
}

// rule: KIT-5.1 — a recorder stands only where its site meets every condition of its kind;
// cities that set none ask nothing.
#[test]
fn kitakyushu_recorder_sites_meet_every_condition() {
    let kit = profile::seed("kitakyushu").unwrap().unwrap();
    let all = |k: &str| -> Vec<String> {
        let s = kit.recorder_sites.as_ref().unwrap();
        s.kinds
            .iter()
            .find(|x| x.id == k)
            .unwrap()
            .conditions
            .iter()
            .map(|c| c.id.clone())
            .collect()
    };
    let e = kit.check_recorder_site(None, &[]).unwrap_err();
    assert_eq!((e.rule.as_str(), e.field.as_deref()), ("KIT-5.1", Some("site_kind")));
    let mut partial = all("network");
    partial.retain(|c| c != "ups");
    let e = kit.check_recorder_site(Some("network"), &partial).unwrap_err();
    assert!(e.message.contains("無停電電源装置"), "{}", e.message);
    let e = kit.check_recorder_site(Some("network"), &all("standalone")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("site_conditions"));
    let ok = kit.check_recorder_site(Some("standalone"), &all("standalone")).unwrap();
    assert_eq!(ok, Some(("standalone".to_owned(), all("standalone"))));
    let asa = profile::seed("asahikawa").unwrap().unwrap();
    assert_eq!(asa.check_recorder_site(None, &[]).unwrap(), None);
}
