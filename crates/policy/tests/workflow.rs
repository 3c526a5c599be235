//! The five workflows and the two emergency paths as pure rules (SPEC.md §4, §5).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use policy::emergency::Order;
use policy::jst;
use policy::profile::{self, Profile};
use policy::workflow::Requester;
use policy::workflow::{Actor, Filing, RequestState as S};

fn seed(id: &str) -> Profile {
    profile::seed(id).unwrap().unwrap()
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

fn docs(d: &[&str]) -> Vec<String> {
    d.iter().map(|s| s.to_string()).collect()
}

/// Walks request → decision → chain → extraction → (report) → ledger with the profile's roles.
fn walk(p: &Profile, requester: &[&str], basis: &str, purpose: &str, documents: &[&str]) {
    let req_roles = roles(requester);
    let d = docs(documents);
    let filer = Actor { account: "req", roles: &req_roles };
    p.check_submit(filer, &Filing { basis, purpose, documents: &d }).unwrap();
    let mut state = S::Submitted;
    if !p.workflow.relayed_by.is_empty() {
        let relay = roles(&[p.workflow.relayed_by[0].as_str()]);
        p.check_relay(Actor { account: "city", roles: &relay }, state).unwrap();
        state = S::Relayed;
    }
    let decider = roles(&[p.workflow.reviewed_by[0].as_str()]);
    p.check_decide(
        Actor { account: "mgr", roles: &decider },
        Requester::new("req", None),
        state,
        true,
        None,
    )
    .unwrap();
    state = S::Approved;
    let chain = &p.workflow.chain;
    let issuer = roles(&[chain[0].roles[0].as_str()]);
    let next = roles(&[chain[1].roles[0].as_str()]);
    p.check_instruct(Actor { account: "mgr", roles: &issuer }, state, Some(basis), &next).unwrap();
    for step in 1..chain.len() - 1 {
        let here = roles(&[chain[step].roles[0].as_str()]);
        let after = roles(&[chain[step + 1].roles[0].as_str()]);
        p.check_relay_instruction(Actor { account: "mid", roles: &here }, step, &after).unwrap();
    }
    let extractor = roles(&[chain[chain.len() - 1].roles[0].as_str()]);
    p.check_extract(Actor { account: "ext", roles: &extractor }, chain.len() - 1, true).unwrap();
    state = if p.needs_report() { S::Reported } else { S::Extracted };
    let writer = roles(&[p.workflow.ledger_written_by[0].as_str()]);
    p.check_ledger(Actor { account: "ext", roles: &writer }, state).unwrap();
}

#[test]
fn every_profile_has_a_complete_path_with_its_own_roles_and_documents() {
    // rule: ASA-3.4c — 申請書 → 承認書 → instruction → 画像利用簿
    walk(
        &seed("asahikawa"),
        &["applicant"],
        "legal_request",
        "criminal_investigation",
        &["application", "written_inquiry"],
    );
    // rule: KAW-2.2.5イ — warrant or inquiry
    walk(
        &seed("kawaguchi"),
        &["applicant"],
        "legal_procedure",
        "legal_procedure",
        &["court_warrant"],
    );
    // rule: KAW-2.2.5イ — 照会等: an inquiry under law other than the police's (a court's
    // 調査嘱託) is the 手続き too.
    walk(
        &seed("kawaguchi"),
        &["applicant"],
        "legal_procedure",
        "legal_procedure",
        &["other_legal_inquiry"],
    );
    // rule: KIT-6.2 — 捜査関係事項照会書 and the manager's review
    walk(
        &seed("kitakyushu"),
        &["applicant"],
        "criminal_investigation",
        "criminal_investigation",
        &["inquiry_letter"],
    );
    // rule: SAK-11 — written request, relayed by the city (SAK-M)
    walk(
        &seed("saku"),
        &["applicant"],
        "written_request",
        "police_cooperation",
        &["written_request"],
    );
    // rule: NIS-10.1, NIS-9 — 照会書 or form 2; manager → operations chief → image clerk
    walk(&seed("nishiyodogawa"), &["agency_head"], "agency_request", "crime_response", &["form2"]);
}

#[test]
fn missing_documents_are_refused_with_the_basis_rule() {
    let p = seed("kitakyushu");
    let r = roles(&["applicant"]);
    let e = p
        .check_submit(
            Actor { account: "a", roles: &r },
            &Filing {
                basis: "criminal_investigation",
                purpose: "criminal_investigation",
                documents: &[],
            },
        )
        .unwrap_err();
    // rule: KIT-6.2 — the clause that requires the 照会書 is cited, not the basis (KIT-6.1(1)).
    assert_eq!(e.rule.as_str(), "KIT-6.2");
    assert!(e.message.contains("捜査関係事項照会書"));
    let p = seed("asahikawa");
    let e = p
        .check_submit(
            Actor { account: "a", roles: &r },
            &Filing {
                basis: "consent",
                purpose: "crime_prevention",
                documents: &docs(&["consent"]),
            },
        )
        .unwrap_err();
    assert!(e.message.contains("申請書"), "the ASA application form is always required: {e}");
    assert_eq!(e.rule.as_str(), "ASA-3.4c");
    let p = seed("nishiyodogawa");
    let h = roles(&["agency_head"]);
    let e = p
        .check_submit(
            Actor { account: "a", roles: &h },
            &Filing { basis: "agency_request", purpose: "crime_response", documents: &[] },
        )
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "NIS-10.1");
}

#[test]
fn purposes_outside_the_closed_list_are_refused() {
    let p = seed("kitakyushu");
    let r = roles(&["applicant"]);
    let e = p
        .check_submit(
            Actor { account: "a", roles: &r },
            &Filing { basis: "imminent_danger", purpose: "marketing", documents: &[] },
        )
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "KIT-2");
    assert_eq!(e.field.as_deref(), Some("purpose"));
}

#[test]
fn segregation_of_duties_and_refusal_reasons() {
    let p = seed("asahikawa");
    let m = roles(&["manager", "applicant"]);
    let e = p
        .check_decide(
            Actor { account: "same", roles: &m },
            Requester::new("same", None),
            S::Submitted,
            true,
            None,
        )
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "PROD-SOD-1");
    let e = p
        .check_decide(
            Actor { account: "mgr", roles: &m },
            Requester::new("req", None),
            S::Submitted,
            false,
            Some("  "),
        )
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "PROD-REFUSE-1");
    assert!(
        p.check_decide(
            Actor { account: "mgr", roles: &m },
            Requester::new("req", None),
            S::Submitted,
            false,
            Some("目的外")
        )
        .is_ok()
    );
    let h = roles(&["handling_officer"]);
    assert!(
        p.check_decide(
            Actor { account: "x", roles: &h },
            Requester::new("req", None),
            S::Submitted,
            true,
            None
        )
        .is_err()
    );
    // rule: PROD-SOD-5 — whoever made the requester's account does not decide; another does.
    let made = Requester::new("req", Some("mgr"));
    let e = p
        .check_decide(Actor { account: "mgr", roles: &m }, made, S::Submitted, true, None)
        .unwrap_err();
    assert_eq!((e.rule.as_str(), e.key), ("PROD-SOD-5", Some("decider_made_requester")));
    assert!(
        p.check_decide(Actor { account: "mgr2", roles: &m }, made, S::Submitted, true, None)
            .is_ok()
    );
    let facts = policy::workflow::RequestFacts {
        state: S::Submitted,
        requester: made,
        basis: "legal_request",
        extractor: None,
    };
    assert!(
        p.request_actions(Actor { account: "mgr", roles: &m }, &facts)
            .iter()
            .all(|a| a.action != policy::workflow::RequestAction::Approve),
        "not offered to whoever made the requester's account"
    );
}

// rule: SAK-M — the city relays police requests to the facility's manager.
#[test]
fn saku_decides_only_relayed_requests() {
    let p = seed("saku");
    let m = roles(&["facility_manager"]);
    let e = p
        .check_decide(
            Actor { account: "m", roles: &m },
            Requester::new("r", None),
            S::Submitted,
            true,
            None,
        )
        .unwrap_err();
    assert!(e.message.contains("relayed"));
    assert!(p.check_relay(Actor { account: "m", roles: &m }, S::Submitted).is_err());
}

// rule: KIT-6.2 — only basis (1) needs the manager's review and permission.
#[test]
fn kitakyushu_bases_2_and_3_go_straight_to_instruction() {
    let p = seed("kitakyushu");
    let m = roles(&["manager"]);
    let h = roles(&["handling_officer"]);
    assert!(
        p.check_instruct(
            Actor { account: "m", roles: &m },
            S::Submitted,
            Some("imminent_danger"),
            &h
        )
        .is_ok()
    );
    assert!(
        p.check_instruct(
            Actor { account: "m", roles: &m },
            S::Submitted,
            Some("criminal_investigation"),
            &h
        )
        .is_err()
    );
    // The instruction must name a handling officer or temporary operator, not a contractor.
    let c = roles(&["om_contractor"]);
    let e = p
        .check_instruct(
            Actor { account: "m", roles: &m },
            S::Approved,
            Some("criminal_investigation"),
            &c,
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("to_account"));
}

// rule: NIS-9.2, NIS-9.4 — the clerk extracts only on the operations chief's instruction.
#[test]
fn nishiyodogawa_chain_has_three_links() {
    let p = seed("nishiyodogawa");
    let m = roles(&["manager"]);
    let clerk = roles(&["image_clerk"]);
    let chief = roles(&["operations_chief"]);
    // The manager cannot instruct the clerk directly.
    let e = p
        .check_instruct(
            Actor { account: "m", roles: &m },
            S::Approved,
            Some("agency_request"),
            &clerk,
        )
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "NIS-9.2");
    assert!(
        p.check_instruct(
            Actor { account: "m", roles: &m },
            S::Approved,
            Some("agency_request"),
            &chief
        )
        .is_ok()
    );
    // The clerk cannot extract on an instruction at step 1 (addressed to the chief).
    assert!(p.check_extract(Actor { account: "c", roles: &clerk }, 1, true).is_err());
    assert!(p.check_extract(Actor { account: "c", roles: &clerk }, 2, true).is_ok());
    // The ledger follows the report (NIS-9.3).
    assert!(p.check_ledger(Actor { account: "c", roles: &clerk }, S::Extracted).is_err());
    assert!(p.check_ledger(Actor { account: "c", roles: &clerk }, S::Reported).is_ok());
}

#[test]
fn extraction_only_from_a_registered_workstation() {
    let p = seed("asahikawa");
    let h = roles(&["handling_officer"]);
    let e = p.check_extract(Actor { account: "h", roles: &h }, 1, false).unwrap_err();
    assert!(e.message.contains("専用パソコン"));
}

fn order<'a>(
    at: &str,
    executor: &'a [String],
    outside: Option<&'a str>,
    delegation: bool,
) -> Order<'a> {
    Order {
        at: jst::parse_rfc3339(at).unwrap(),
        urgency_reason: "強盗事件の犯人追跡",
        outside_reason: outside,
        purpose: "criminal_investigation",
        delegation_in_force: delegation,
        executor_roles: executor,
    }
}

// rule: ASA-3.5b, NIS-11.1 — an emergency power lapses with the period it was given in; the
// executor cannot use it afterwards, nor without a delegation in force (NIS-10.2).
#[test]
fn emergency_orders_lapse_when_their_period_ends() {
    let asa = seed("asahikawa");
    let t = |s: &str| jst::parse_rfc3339(s).unwrap();
    // Saturday 28 November 02:00: lapses at Monday 30 November 08:45 (office hours).
    assert_eq!(
        jst::rfc3339(asa.emergency_expires_at(t("2026-11-28T02:00:00+09:00")).unwrap()),
        "2026-11-30T08:45:00+09:00"
    );
    let given = t("2026-11-28T02:00:00+09:00");
    assert!(asa.check_emergency_extract(given, t("2026-11-30T08:44:00+09:00"), true).is_ok());
    let e = asa.check_emergency_extract(given, t("2026-11-30T10:00:00+09:00"), true).unwrap_err();
    assert_eq!(e.rule.as_str(), "ASA-3.5b");
    assert!(e.state_conflict, "{e:?}");
    // 29 December (year-end closure) at 20:00: through the closure to 4 January 08:45.
    assert_eq!(
        jst::rfc3339(asa.emergency_expires_at(t("2026-12-29T20:00:00+09:00")).unwrap()),
        "2027-01-04T08:45:00+09:00"
    );
    // Nishiyodogawa: an order given at 14:00 with a written reason lapses at 17:30; without a
    // delegation in force nothing is carried out.
    let nis = seed("nishiyodogawa");
    let day = t("2026-12-02T14:00:00+09:00");
    assert_eq!(jst::rfc3339(nis.emergency_expires_at(day).unwrap()), "2026-12-02T17:30:00+09:00");
    let e = nis.check_emergency_extract(day, t("2026-12-02T15:00:00+09:00"), false).unwrap_err();
    assert_eq!(e.rule.as_str(), "NIS-10.2");
}

// rule: ASA-3.5b, NIS-11.1, NIS-11.2 — what each person can do with an emergency order is the
// set of actions whose check passes: the executor extracts while the power lasts, the agency
// files once, the image clerk (Nishiyodogawa only) enters the filed order in the ledger.
#[test]
fn emergency_order_actions_follow_the_checks() {
    use policy::emergency::{OrderAction as A, OrderFacts, OrderState as O};
    let t = |s: &str| jst::parse_rfc3339(s).unwrap();
    let actions = |p: &Profile, r: &[String], f: &OrderFacts, at: &str| -> Vec<A> {
        let who = Actor { account: "x", roles: r };
        p.order_actions(who, f, t(at)).into_iter().map(|a| a.action).collect()
    };
    let asa = seed("asahikawa");
    let (operator, manager) = (roles(&["police_image_operator"]), roles(&["police_image_manager"]));
    // Saturday 28 November 02:00 (lapses Monday 08:45).
    let mut f = OrderFacts {
        state: O::Ordered,
        ordered_at: t("2026-11-28T02:00:00+09:00"),
        actor_executes: true,
        actor_in_agency: true,
        delegation_in_force: false,
        flag_open: false,
    };
    assert_eq!(actions(&asa, &operator, &f, "2026-11-28T03:00:00+09:00"), [A::Extract]);
    // Lapsed on Monday morning: no one's task any more.
    assert!(actions(&asa, &operator, &f, "2026-11-30T09:00:00+09:00").is_empty());
    // Named executor only, and in an executing role.
    f.actor_executes = false;
    assert!(actions(&asa, &operator, &f, "2026-11-28T03:00:00+09:00").is_empty());
    f.actor_executes = true;
    assert!(actions(&asa, &manager, &f, "2026-11-28T03:00:00+09:00").is_empty());
    // Extracted: the agency's manager files (once, for its own agency's order only).
    f.state = O::Extracted;
    assert_eq!(actions(&asa, &manager, &f, "2026-11-30T09:00:00+09:00"), [A::File]);
    f.actor_in_agency = false;
    let e = asa.check_order_filing(Actor { account: "x", roles: &manager }, &f, Some("form3"));
    assert_eq!(e.unwrap_err().rule.as_str(), "ASA-3.5b");
    f.actor_in_agency = true;
    f.state = O::Filed;
    assert!(actions(&asa, &manager, &f, "2026-11-30T09:00:00+09:00").is_empty());
    // The 申請書 goes to the city's manager (管理責任者に申請書を提出), who receives it and enters
    // the extraction in the usage ledger; only then is the order closed (issue 15, item 4).
    let city_manager = roles(&["manager"]);
    f.actor_in_agency = false;
    f.actor_executes = false;
    let who = Actor { account: "m", roles: &city_manager };
    let a = asa.order_actions(who, &f, t("2026-11-30T09:00:00+09:00"));
    assert_eq!((a.len(), a[0].action, a[0].rule.as_str()), (1, A::Ledger, "ASA-3.5b"));
    let e = asa.check_order_ledger(Actor { account: "x", roles: &manager }, O::Filed).unwrap_err();
    assert!(e.message.contains("enters filed orders"), "{e:?}");

    // Nishiyodogawa: without a delegation in force the executor has nothing to do (NIS-10.2).
    let nis = seed("nishiyodogawa");
    let (staff, head, clerk) =
        (roles(&["agency_staff"]), roles(&["agency_head"]), roles(&["image_clerk"]));
    let mut g = OrderFacts {
        state: O::Ordered,
        ordered_at: t("2026-12-05T22:00:00+09:00"),
        actor_executes: true,
        actor_in_agency: true,
        delegation_in_force: false,
        flag_open: false,
    };
    assert!(actions(&nis, &staff, &g, "2026-12-05T22:30:00+09:00").is_empty());
    g.delegation_in_force = true;
    assert_eq!(actions(&nis, &staff, &g, "2026-12-05T22:30:00+09:00"), [A::Extract]);
    g.state = O::Extracted;
    assert_eq!(actions(&nis, &head, &g, "2026-12-07T10:00:00+09:00"), [A::File]);
    // The clerk enters it once filed, under NIS-11.2; not before.
    assert!(actions(&nis, &clerk, &g, "2026-12-07T10:00:00+09:00").is_empty());
    g.state = O::Filed;
    let who = Actor { account: "c", roles: &clerk };
    let a = nis.order_actions(who, &g, t("2026-12-07T11:00:00+09:00"));
    assert_eq!((a.len(), a[0].action, a[0].rule.as_str()), (1, A::Ledger, "NIS-11.2"));
    let e = nis.check_order_ledger(who, O::Extracted).unwrap_err();
    assert!(e.state_conflict && e.rule.as_str() == "NIS-11.2", "{e:?}");
    // PROD-EMERG-1: an order given outside the window waits for the manager's review, in any
    // state, until it is recorded; the clerk and the head have no such step.
    let city_manager = roles(&["manager"]);
    let mgr = Actor { account: "m", roles: &city_manager };
    g.flag_open = true;
    let a = nis.order_actions(mgr, &g, t("2026-12-07T11:00:00+09:00"));
    assert_eq!(
        a.iter().map(|a| (a.action, a.rule.as_str())).collect::<Vec<_>>(),
        [(A::ReviewFlag, "PROD-EMERG-1")]
    );
    assert_eq!(actions(&nis, &clerk, &g, "2026-12-07T11:00:00+09:00"), [A::Ledger]);
    assert!(nis.check_order_flag_review(Actor { account: "h", roles: &head }, &g).is_err());
    g.flag_open = false;
    let e = nis.check_order_flag_review(mgr, &g).unwrap_err();
    assert!(e.state_conflict && e.rule.as_str() == "PROD-EMERG-1", "{e:?}");
    // Asahikawa's closed list never flags: no one reviews.
    f.flag_open = true;
    let e = asa.check_order_flag_review(Actor { account: "m", roles: &city_manager }, &f);
    assert!(e.is_err());
    for s in O::ALL {
        assert_eq!(O::parse(s.as_str()), Some(s));
    }
}

// rule: ASA-3.5b — the police path serves an urgent criminal investigation only.
#[test]
fn asahikawa_police_path_is_for_criminal_investigations_only() {
    let p = seed("asahikawa");
    let chief = roles(&["police_image_manager"]);
    let op = roles(&["police_image_operator"]);
    let a = Actor { account: "chief", roles: &chief };
    let mut o = order("2026-11-28T02:00:00+09:00", &op, None, false);
    assert!(p.check_emergency_order(a, &o).is_ok());
    o.purpose = "protection_of_life";
    let e = p.check_emergency_order(a, &o).unwrap_err();
    assert_eq!((e.rule.as_str(), e.field.as_deref()), ("ASA-3.5b", Some("purpose")));
}

// rule: ASA-3.5b — closed list; refused during office hours on an open day.
#[test]
fn asahikawa_police_path_inside_and_outside_the_window() {
    let p = seed("asahikawa");
    let chief = roles(&["police_image_manager"]);
    let op = roles(&["police_image_operator"]);
    let a = Actor { account: "chief", roles: &chief };
    // Labour Thanksgiving Day, a Monday holiday, 11:00.
    let d =
        p.check_emergency_order(a, &order("2026-11-23T11:00:00+09:00", &op, None, false)).unwrap();
    assert!(!d.flagged && d.moment.national_holiday == Some("勤労感謝の日"));
    assert_eq!(jst::rfc3339(d.filing_due_at.unwrap()), "2026-11-25T00:00:00+09:00");
    // Year-end closure, a Wednesday.
    assert!(
        p.check_emergency_order(a, &order("2026-12-30T14:00:00+09:00", &op, None, false)).is_ok()
    );
    // Tuesday 11:00: refused even with a reason.
    let e = p
        .check_emergency_order(a, &order("2026-11-24T11:00:00+09:00", &op, Some("急ぎ"), false))
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "ASA-3.5b");
    // Tuesday 06:00 (早朝): allowed.
    assert!(
        p.check_emergency_order(a, &order("2026-11-24T06:00:00+09:00", &op, None, false)).is_ok()
    );
    // Only the police chief orders; the operator must be named.
    let ao = Actor { account: "op", roles: &op };
    assert!(
        p.check_emergency_order(ao, &order("2026-11-23T11:00:00+09:00", &op, None, false)).is_err()
    );
    assert!(
        p.check_emergency_order(a, &order("2026-11-23T11:00:00+09:00", &chief, None, false))
            .is_err()
    );
}

// rule: NIS-10.2, NIS-11.1 — delegation first; outside the window only with a reason, flagged.
#[test]
fn nishiyodogawa_agency_path() {
    let p = seed("nishiyodogawa");
    let head = roles(&["agency_head"]);
    let staff = roles(&["agency_staff"]);
    let a = Actor { account: "head", roles: &head };
    let e = p
        .check_emergency_order(a, &order("2026-11-23T22:00:00+09:00", &staff, None, false))
        .unwrap_err();
    assert_eq!(e.rule.as_str(), "NIS-10.2");
    let d = p
        .check_emergency_order(a, &order("2026-11-23T22:00:00+09:00", &staff, None, true))
        .unwrap();
    assert!(!d.flagged);
    // Citizens' holiday 2026-09-22 at noon: inside.
    assert!(
        !p.check_emergency_order(a, &order("2026-09-22T12:00:00+09:00", &staff, None, true))
            .unwrap()
            .flagged
    );
    // A Tuesday at 10:00: needs a reason and is flagged.
    let e = p
        .check_emergency_order(a, &order("2026-11-24T10:00:00+09:00", &staff, None, true))
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("outside_reason"));
    let d = p
        .check_emergency_order(
            a,
            &order("2026-11-24T10:00:00+09:00", &staff, Some("逃走中の被疑者"), true),
        )
        .unwrap();
    assert!(d.flagged);
    // Filing: 照会書 or form 3; the clerk writes form 1 afterwards (NIS-11.2).
    assert!(p.check_emergency_filing(a, "form3").is_ok());
    assert!(p.check_emergency_filing(a, "form2").is_err());
    assert!(p.emergency_needs_ledger_after_filing());
    // Asahikawa too: the manager receives the 申請書 (ASA-3.5b).
    assert!(seed("asahikawa").emergency_needs_ledger_after_filing());
}

#[test]
fn profiles_without_an_emergency_path_refuse_it() {
    for id in ["kawaguchi", "kitakyushu", "saku"] {
        let p = seed(id);
        let r = roles(&["applicant"]);
        assert!(
            p.check_emergency_order(
                Actor { account: "x", roles: &r },
                &order("2026-11-23T22:00:00+09:00", &r, None, true)
            )
            .is_err(),
            "{id}"
        );
    }
}

/// rule: ALL-REC-2 — footage that has left awaits its ledger entry until the request closes; the
/// still under an extraction is offered only in these states.
#[test]
fn only_extracted_and_reported_requests_await_the_ledger() {
    let waiting: Vec<&str> =
        S::ALL.into_iter().filter(|s| s.awaits_ledger()).map(S::as_str).collect();
    assert_eq!(waiting, ["extracted", "reported"]);
}

mod next_actions {
    use super::*;
    use policy::workflow::{RequestAction as A, RequestFacts};

    fn actions(p: &Profile, account: &str, held: &[&str], state: S, basis: &str) -> Vec<A> {
        let r = roles(held);
        p.request_actions(
            Actor { account, roles: &r },
            &RequestFacts {
                state,
                requester: Requester::new("req", None),
                basis,
                extractor: Some("clerk"),
            },
        )
        .into_iter()
        .map(|a| a.action)
        .collect()
    }

    // rule: SAK-M — the city relays first; the facility's manager decides only what was relayed
    // (the web app once offered Approve/Refuse on unrelayed requests, which always ended in 409).
    #[test]
    fn saku_reviewer_decides_only_relayed_requests() {
        let saku = seed("saku");
        let b = saku.bases[0].id.clone();
        assert!(actions(&saku, "mgr", &["facility_manager"], S::Submitted, &b).is_empty());
        assert_eq!(actions(&saku, "city", &["city_liaison"], S::Submitted, &b), vec![A::Relay]);
        assert_eq!(
            actions(&saku, "mgr", &["facility_manager"], S::Relayed, &b),
            vec![A::Approve, A::Refuse]
        );
    }

    // rule: NIS-9.3 — the extractor reports to the operations chief before the form-1 entry
    // (the web app once listed extracted requests as "ledger entries to write").
    #[test]
    fn nishiyodogawa_ledger_only_after_the_report() {
        let nis = seed("nishiyodogawa");
        let b = nis.bases[0].id.clone();
        assert_eq!(actions(&nis, "clerk", &["image_clerk"], S::Extracted, &b), vec![A::Report]);
        assert!(actions(&nis, "other", &["image_clerk"], S::Extracted, &b).is_empty());
        assert_eq!(actions(&nis, "clerk", &["image_clerk"], S::Reported, &b), vec![A::Ledger]);
    }

    // rule: PROD-SOD-1 — the requester never decides their own request, and may withdraw it.
    #[test]
    fn the_requester_is_offered_withdrawal_never_a_decision() {
        let asa = seed("asahikawa");
        let both = ["applicant", "manager"];
        let offered = actions(&asa, "req", &both, S::Submitted, "legal_request");
        assert_eq!(offered, vec![A::Withdraw]);
        assert!(!A::Withdraw.is_task());
        let other = actions(&asa, "mgr", &["manager"], S::Submitted, "legal_request");
        assert_eq!(other, vec![A::Approve, A::Refuse]);
        assert_eq!(
            actions(&asa, "mgr", &["manager"], S::Approved, "legal_request"),
            vec![A::Instruct]
        );
        assert!(actions(&asa, "mgr", &["manager"], S::Closed, "legal_request").is_empty());
    }

    // rule: KIT-6.2 — bases (2) and (3) need no review: the instruction comes straight away.
    #[test]
    fn kitakyushu_instructs_unreviewed_bases_at_once() {
        let kit = seed("kitakyushu");
        let unreviewed = kit.bases.iter().find(|b| !b.review).unwrap().id.clone();
        let reviewed = kit.bases.iter().find(|b| b.review).unwrap().id.clone();
        let mgr = kit.workflow.chain[0].roles[0].clone();
        assert!(actions(&kit, "mgr", &[&mgr], S::Submitted, &unreviewed).contains(&A::Instruct));
        assert!(!actions(&kit, "mgr", &[&mgr], S::Submitted, &reviewed).contains(&A::Instruct));
    }
}

// rule: ASA-3.4, ASA-3.4b — outside management, images go to a third party only on ① consent,
// ② a request under laws (in writing in principle) or ③ an urgent and unavoidable reason, each
// with its documents and the 申請書; no other ground exists.
#[test]
fn asahikawa_provides_images_only_on_the_three_grounds() {
    let p = seed("asahikawa");
    let r = roles(&["applicant"]);
    let who = Actor { account: "a", roles: &r };
    let grounds: Vec<(&str, &str)> =
        p.bases.iter().map(|b| (b.id.as_str(), b.rule.as_str())).collect();
    assert_eq!(
        grounds,
        [
            ("consent", "ASA-3.4b①"),
            ("legal_request", "ASA-3.4b②"),
            ("urgent_protection", "ASA-3.4b③")
        ]
    );
    for (basis, needs) in [
        ("consent", &["application", "consent"][..]),
        ("legal_request", &["application", "written_inquiry"]),
        ("urgent_protection", &["application"]),
    ] {
        let f = |d: &[&str]| {
            p.check_submit(
                who,
                &Filing { basis, purpose: "criminal_investigation", documents: &docs(d) },
            )
        };
        assert!(f(needs).is_ok(), "{basis} with {needs:?}");
        assert!(f(&needs[..needs.len() - 1]).is_err(), "{basis} without its last document");
    }
    let e = p
        .check_submit(
            who,
            &Filing {
                basis: "public_interest",
                purpose: "criminal_investigation",
                documents: &docs(&["application"]),
            },
        )
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("basis"), "{e:?}");
}
