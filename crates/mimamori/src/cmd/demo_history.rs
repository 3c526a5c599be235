//! A few weeks of history for `mimamori demo`, made through the API the way the people would
//! have made it, with the demo's clock set back to each moment: requests in every state, an
//! extension with its reason, and (where the profile has the police emergency path) last month's
//! emergency extractions — one filed late, one never filed — with the monthly reconciliation
//! that found it.
//!
//! Footage extracted in this history predates the simulated cameras, so those extractions carry
//! no evidence package and their ledger entries no data hashes; extractions made in the demo
//! itself do.

use super::demo::Caller;
use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use policy::{Permission, Profile};
use serde_json::{Value, json};
use server::clock::Clock;
use std::collections::HashMap;

/// How far a request of the history goes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Stage {
    Withdrawn,
    Refused,
    Submitted,
    Relayed,
    Approved,
    Instructed,
    Extracted,
    Recorded,
}

/// What the history needs to know of the seeded demo.
pub struct Seeded<'a> {
    /// Role id → login.
    pub logins: HashMap<String, String>,
    /// Organisation kind → device token of its dedicated PC.
    pub enrol: &'a HashMap<String, String>,
    /// Organisation kind → workstation id.
    pub workstations: HashMap<String, i64>,
    /// Organisation kind → organisation id.
    pub orgs: HashMap<String, i64>,
    /// Camera codes.
    pub cameras: Vec<String>,
}

/// How long before the emergency night the delegation (NIS-10.2) is confirmed.
const DELEGATION_BEFORE: SignedDuration = SignedDuration::from_hours(24 * 3);

/// The night of last month's police emergency extractions: a Saturday 02:00 JST five to six weeks
/// before `t0`, so that its month has ended and been reconciled by the demo's now.
fn emergency_night(t0: Timestamp) -> anyhow::Result<Timestamp> {
    for days in 35..42 {
        let d = policy::jst::civil(t0 - hours(24 * days));
        if d.weekday() == jiff::civil::Weekday::Saturday {
            return Ok(policy::jst::at(d.date(), jiff::civil::time(2, 0, 0, 0))?);
        }
    }
    anyhow::bail!("no Saturday 35 to 41 days before {t0}")
}

/// Where the demo's clock starts before seeding: before the first moment the history writes
/// at, whatever weekday `t0` is (the delegation of NIS-10.2 needs the designations made at
/// seeding to exist already), and never later than six weeks back.
pub fn start(t0: Timestamp) -> anyhow::Result<Timestamp> {
    let earliest = emergency_night(t0)? - DELEGATION_BEFORE - hours(24);
    Ok(earliest.min(t0 - hours(24 * 42)))
}

struct History<'a> {
    c: &'a Caller,
    clock: &'a Clock,
    p: &'a Profile,
    s: &'a Seeded<'a>,
    /// The demo's "now": history is placed before it.
    t0: Timestamp,
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// The organisation kind of a role.
fn kind_of(p: &Profile, role: &str) -> String {
    p.role(role).map(|r| super::demo::kind_str(&r.organisations[0])).unwrap_or_default()
}

impl History<'_> {
    /// Sets the demo clock to `ago` before the demo's now.
    fn at(&self, ago: SignedDuration) -> Timestamp {
        let t = self.t0 - ago;
        self.clock.set(t);
        t
    }

    /// A fresh session of the holder of `role` (sessions of an earlier moment may have expired).
    async fn as_role(&self, role: &str) -> anyhow::Result<String> {
        let login = self.s.logins.get(role).with_context(|| format!("no demo login for {role}"))?;
        self.c.login(login, super::demo::DEMO_PASSWORD).await
    }

    /// Some role holding `perm`, preferring `among`.
    fn role_with(&self, among: &[String], perm: Permission) -> Option<String> {
        among.iter().find(|r| self.s.logins.contains_key(*r)).cloned().or_else(|| {
            self.p
                .roles
                .iter()
                .filter(|r| r.permissions.contains(&perm))
                .find(|r| self.s.logins.contains_key(&r.id))
                .map(|r| r.id.clone())
        })
    }

    /// Files a request for 30 minutes of `camera` from `range_ago` before now, and takes it as
    /// far as `stage`.
    async fn request(
        &self,
        summary: &str,
        camera: &str,
        range_ago: SignedDuration,
        stage: Stage,
    ) -> anyhow::Result<()> {
        let p = self.p;
        let wf = &p.workflow;
        let now = self.clock.now();
        let basis = p
            .bases
            .iter()
            .find(|b| b.documents.is_empty() && b.documents_any_of.is_empty())
            .unwrap_or(&p.bases[0]);
        let year = policy::jst::civil(now).year();
        let mut docs: Vec<Value> = basis
            .documents
            .iter()
            .chain(basis.documents_any_of.first())
            // A document's own number, as its issuer writes it (the form's name goes with it).
            .map(|f| json!({ "form": f, "reference": format!("{year}年第{}号", now.as_second() % 1000 + 1) }))
            .collect();
        if let Some(f) = &wf.request_form
            && !docs.iter().any(|d| d["form"] == f.as_str())
        {
            docs.push(json!({ "form": f, "reference": format!("{year}年第{}号", now.as_second() % 1000 + 1) }));
        }
        let from = now - range_ago;
        let requester = self
            .role_with(&wf.requested_by, Permission::RequestSubmit)
            .context("nobody may file requests")?;
        let tok = self.as_role(&requester).await?;
        let r = self
            .c
            .post(
                "/api/v1/requests",
                &tok,
                json!({ "basis": basis.id, "purpose": p.purposes[0].id, "recipient": "中央警察署 生活安全課",
                        "case_summary": summary, "documents": docs, "cameras": [camera],
                        "from": policy::jst::rfc3339(from), "to": policy::jst::rfc3339(from + SignedDuration::from_mins(30)) }),
            )
            .await?;
        let id = r["id"].as_i64().context("request id")?;
        if stage == Stage::Withdrawn {
            self.c.post(&format!("/api/v1/requests/{id}/withdraw"), &tok, json!({})).await?;
            return Ok(());
        }
        if stage == Stage::Submitted {
            return Ok(());
        }
        match wf.relayed_by.iter().find(|r| self.s.logins.contains_key(*r)) {
            Some(relay) => {
                let t = self.as_role(relay).await?;
                self.c.post(&format!("/api/v1/requests/{id}/relay"), &t, json!({})).await?;
            }
            // Without a relaying office the request waits for review as filed.
            None if stage == Stage::Relayed => return Ok(()),
            None => {}
        }
        if stage == Stage::Relayed {
            return Ok(());
        }
        let reviewer = self
            .role_with(&wf.reviewed_by, Permission::RequestReview)
            .context("nobody reviews requests")?;
        let t = self.as_role(&reviewer).await?;
        if stage == Stage::Refused {
            self.c
                .post(
                    &format!("/api/v1/requests/{id}/refuse"),
                    &t,
                    json!({ "reason": "捜査との関連が具体的に示されておらず、提供の必要性が認められないため" }),
                )
                .await?;
            return Ok(());
        }
        self.c.post(&format!("/api/v1/requests/{id}/approve"), &t, json!({})).await?;
        if stage <= Stage::Approved {
            return Ok(());
        }
        // The instruction chain, step by step, each recipient the first the API offers.
        let issuer = self
            .role_with(&[], Permission::InstructionIssue)
            .context("nobody issues instructions")?;
        let mut tok = self.as_role(&issuer).await?;
        let recipients = self.c.get("/api/v1/instructions/recipients?step=1", &tok).await?;
        let first = recipients.as_array().and_then(|a| a.first()).context("no recipient")?;
        let ins = self
            .c
            .post(
                "/api/v1/instructions",
                &tok,
                json!({ "request_id": id, "to_account": first["id"], "note": "指定範囲のみ抽出すること" }),
            )
            .await?;
        let mut holder = (
            first["login"].as_str().unwrap_or("").to_owned(),
            first["role"].as_str().unwrap_or("").to_owned(),
        );
        let mut ins_id = ins["id"].as_i64().context("instruction id")?;
        let chain = wf.chain.len();
        for step in 2..chain {
            tok = self.c.login(&holder.0, super::demo::DEMO_PASSWORD).await?;
            let next =
                self.c.get(&format!("/api/v1/instructions/recipients?step={step}"), &tok).await?;
            let n = next.as_array().and_then(|a| a.first()).context("no recipient")?;
            let relayed = self
                .c
                .post(
                    &format!("/api/v1/instructions/{ins_id}/relay"),
                    &tok,
                    json!({ "to_account": n["id"] }),
                )
                .await?;
            ins_id = relayed["id"].as_i64().unwrap_or(ins_id);
            holder = (
                n["login"].as_str().unwrap_or("").to_owned(),
                n["role"].as_str().unwrap_or("").to_owned(),
            );
        }
        if stage == Stage::Instructed {
            return Ok(());
        }
        // Extraction on the extractor's organisation's dedicated PC.
        tok = self.c.login(&holder.0, super::demo::DEMO_PASSWORD).await?;
        let ws = self.s.enrol.get(&kind_of(p, &holder.1)).cloned().unwrap_or_default();
        // KIT-5.5: the central room's terminal, entered by a recorded entry and left after.
        let entry = match &p.central_room {
            Some(_) => Some(
                self.c
                    .post("/api/v1/room-entries", &tok, json!({ "purpose": "画像の抽出" }))
                    .await?,
            ),
            None => None,
        };
        let x = self
            .c
            .post_on(&format!("/api/v1/instructions/{ins_id}/extract"), &tok, &ws, json!({}))
            .await?;
        if let Some(e) = entry {
            let leave = format!("/api/v1/room-entries/{}/leave", e["id"]);
            self.c.post(&leave, &tok, json!({})).await?;
        }
        if wf.report_to.is_some() {
            // NIS-9.3: the extractor reports to the operations chief before the ledger entry.
            let eid = x["extraction"]["id"].as_i64().context("extraction id")?;
            self.c.post(&format!("/api/v1/extractions/{eid}/report"), &tok, json!({})).await?;
        }
        if stage == Stage::Extracted {
            return Ok(());
        }
        let writer = self
            .role_with(&wf.ledger_written_by, Permission::LedgerWrite)
            .context("nobody writes the ledger")?;
        let t = self.as_role(&writer).await?;
        let day = policy::jst::rfc3339(self.clock.now());
        self.c
            .post(
                "/api/v1/ledger",
                &t,
                json!({ "request_id": id, "handed_over_at": day, "data_hashes": [] }),
            )
            .await?;
        Ok(())
    }

    /// An extension (hold) of `camera`'s footage from `range_ago` before now, with its reason.
    async fn hold(&self, camera: &str, range_ago: SignedDuration) -> anyhow::Result<()> {
        let ext = &self.p.retention.extension;
        if !ext.allowed {
            return Ok(());
        }
        let Some(role) = ext.by.iter().find(|r| self.s.logins.contains_key(*r)) else {
            return Ok(());
        };
        let t = self.as_role(role).await?;
        let now = self.clock.now();
        let from = now - range_ago;
        let mut until = now + hours(24 * 30);
        if !ext.may_exceed_ceiling
            && let Some(ceiling) = self.p.retention.ceiling.period()
        {
            let limit = policy::retention::erase_at(
                from + hours(1) - SignedDuration::from_secs(1),
                ceiling,
                self.p.retention.counting,
            )?;
            until = until.min(limit - SignedDuration::from_mins(1));
        }
        if until <= now {
            return Ok(());
        }
        self.c
            .post(
                "/api/v1/holds",
                &t,
                json!({ "camera": camera, "from": policy::jst::rfc3339(from), "to": policy::jst::rfc3339(from + hours(1)),
                        "until": policy::jst::rfc3339(until),
                        "reason": "警察署からの照会（事件捜査中）により、回答まで保存期間を延長する",
                        "inquiry_reference": "照会-2026-0042" }),
            )
            .await?;
        Ok(())
    }

    /// A complaint sent through the public form `ago` before now; answered and closed when
    /// `answer` is given.
    async fn complaint(
        &self,
        category: &str,
        camera: Option<&str>,
        body: &str,
        answer: Option<&str>,
    ) -> anyhow::Result<()> {
        let c = self
            .c
            .post_public(
                "/api/v1/public/complaints",
                json!({ "category": category, "camera": camera, "body": body, "contact": "電話 0166-00-0000（平日日中）" }),
            )
            .await?;
        let (Some(answer), Some(role)) = (answer, self.role_with(&[], Permission::ComplaintHandle))
        else {
            return Ok(());
        };
        let t = self.as_role(&role).await?;
        let list = self.c.get("/api/v1/complaints", &t).await?;
        let id = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["number"] == c["number"])
            .and_then(|x| x["id"].as_i64())
            .context("the complaint just sent")?;
        self.clock.set(self.clock.now() + hours(24 * 3));
        self.c
            .post(&format!("/api/v1/complaints/{id}/respond"), &t, json!({ "response": answer }))
            .await?;
        self.c.post(&format!("/api/v1/complaints/{id}/close"), &t, json!({})).await?;
        Ok(())
    }

    /// Last month's police emergency path: two orders on a Saturday night, one filed the next
    /// office day, one never filed; a history submitted without the second; the reconciliation
    /// run, leaving its incidents open for the demo's manager.
    async fn emergency(&self) -> anyhow::Result<()> {
        let Some(em) = &self.p.emergency else { return Ok(()) };
        let (Some(orderer), Some(executor)) = (
            em.ordered_by.iter().find(|r| self.s.logins.contains_key(*r)),
            em.executed_by.iter().find(|r| self.s.logins.contains_key(*r)),
        ) else {
            return Ok(());
        };
        let night = emergency_night(self.t0)?;
        let kind = kind_of(self.p, executor);
        let ws = self.s.enrol.get(&kind).cloned().unwrap_or_default();
        if em.delegation_rule.is_some()
            && let (Some(mgr), Some(org)) =
                (self.role_with(&[], Permission::DelegationManage), self.s.orgs.get(&kind))
        {
            self.clock.set(night - DELEGATION_BEFORE);
            let t = self.as_role(&mgr).await?;
            self.c
                .post(
                    "/api/v1/delegations",
                    &t,
                    json!({ "organisation_id": org, "document_ref": "委任-2026-01" }),
                )
                .await?;
        }
        // A purpose the emergency path serves (ASA-3.5b: criminal investigation only).
        let purpose = em.purposes.first().cloned().unwrap_or_else(|| self.p.purposes[0].id.clone());
        let mut orders = Vec::new();
        for (i, (camera, reason)) in [
            (&self.s.cameras[0], "ひったくり事件の被疑者が逃走中"),
            (self.s.cameras.last().unwrap_or(&self.s.cameras[0]), "行方不明者の足取りの確認"),
        ]
        .into_iter()
        .enumerate()
        {
            let at = night + SignedDuration::from_mins(30 * i as i64);
            self.clock.set(at);
            let t = self.as_role(orderer).await?;
            let executors = self.c.get("/api/v1/emergency/executors", &t).await?;
            let ex = executors.as_array().and_then(|a| a.first()).context("no executor")?;
            let o = self
                .c
                .post(
                    "/api/v1/emergency/orders",
                    &t,
                    json!({ "executor_account": ex["id"], "cameras": [camera],
                            "from": policy::jst::rfc3339(at - hours(2)), "to": policy::jst::rfc3339(at - hours(1)),
                            "purpose": purpose, "urgency_reason": reason }),
                )
                .await?;
            let oid = o["id"].as_i64().context("order id")?;
            self.clock.set(at + SignedDuration::from_mins(10));
            let te = self
                .c
                .login(ex["login"].as_str().unwrap_or(""), super::demo::DEMO_PASSWORD)
                .await?;
            self.c
                .post_on(&format!("/api/v1/emergency/orders/{oid}/extract"), &te, &ws, json!({}))
                .await?;
            orders.push((oid, at + SignedDuration::from_mins(10), camera.clone()));
        }
        // The first is filed on the Monday (the next office day); the second never is.
        if let Some(filer) = em.filing.by.iter().find(|r| self.s.logins.contains_key(*r)) {
            self.clock.set(night + hours(24 * 2 + 8));
            let t = self.as_role(filer).await?;
            let form = em.filing.forms.first().cloned().unwrap_or_default();
            self.c
                .post(
                    &format!("/api/v1/emergency/orders/{}/file", orders[0].0),
                    &t,
                    json!({ "form": form, "reference": "署-2026-緊-7" }),
                )
                .await?;
            // Received the same day: the city enters it in the usage ledger (ASA-3.5b, NIS-11.2).
            if let Some(receiver) =
                em.filing.ledger_written_by.iter().find(|r| self.s.logins.contains_key(*r))
            {
                self.clock.set(night + hours(24 * 2 + 10));
                let t = self.as_role(receiver).await?;
                self.c
                    .post(
                        &format!("/api/v1/emergency/orders/{}/ledger", orders[0].0),
                        &t,
                        json!({}),
                    )
                    .await?;
                // NIS-11.2: and reports the entry to the operations chief, which closes it.
                if em.filing.report_to.is_some() {
                    self.c
                        .post(
                            &format!("/api/v1/emergency/orders/{}/report", orders[0].0),
                            &t,
                            json!({}),
                        )
                        .await?;
                }
            }
        }
        // Early next month: the police submit the PC's history, the city reconciles.
        let d = policy::jst::civil(night);
        let month = format!("{:04}-{:02}", d.year(), d.month());
        let first_next = d.date().first_of_month().checked_add(jiff::Span::new().months(1))?;
        let early = policy::jst::at(first_next, jiff::civil::time(10, 0, 0, 0))? + hours(24 * 3);
        let (rec_sub, rec_rev) = (
            em.reconciliation.submitted_by.iter().find(|r| self.s.logins.contains_key(*r)),
            em.reconciliation.reviewed_by.iter().find(|r| self.s.logins.contains_key(*r)),
        );
        if let (Some(sub), Some(rev), Some(ws_id)) =
            (rec_sub, rec_rev, self.s.workstations.get(&kind))
        {
            self.clock.set(early);
            let t = self.as_role(sub).await?;
            // The PC's own history lists only the first extraction.
            let items = json!([{ "extracted_at": policy::jst::rfc3339(orders[0].1), "camera": orders[0].2 }]);
            self.c
                .post(
                    "/api/v1/reconciliation/histories",
                    &t,
                    json!({ "workstation_id": ws_id, "month": month, "items": items }),
                )
                .await?;
            self.clock.set(early + hours(24 * 2));
            let t = self.as_role(rev).await?;
            self.c.post("/api/v1/reconciliation/run", &t, json!({ "month": month })).await?;
        }
        Ok(())
    }
}

impl History<'_> {
    /// A city that keeps its duties (issue 18 item 1): every occurrence of a recurring duty
    /// whose deadline fell before the demo's now is done five days before that deadline, by the
    /// person the profile names — so that, whatever the date, the demo opens with duties due
    /// and none lapsed.
    async fn duties(&self) -> anyhow::Result<()> {
        self.clock.set(self.t0);
        let mut todo: Vec<(Timestamp, String, Value, Value)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut roles: Vec<&String> = self.s.logins.keys().collect();
        roles.sort();
        for role in roles {
            // A role that cannot log in now (a term that ended) does no duty here.
            let Ok(t) = self.as_role(role).await else { continue };
            let Ok(duties) = self.c.get("/api/v1/duties", &t).await else { continue };
            for d in duties.as_array().into_iter().flatten() {
                for o in d["owed"].as_array().into_iter().flatten() {
                    let Some(due) =
                        o["due_at"].as_str().and_then(|x| policy::jst::parse_rfc3339(x).ok())
                    else {
                        continue;
                    };
                    let key = (d["id"].clone(), o["subject"].clone(), o["period"].clone());
                    if o["mine"] == true && due <= self.t0 && seen.insert(key) {
                        todo.push((due, role.clone(), d.clone(), o.clone()));
                    }
                }
            }
        }
        todo.sort_by_key(|(due, ..)| *due);
        for (due, role, d, o) in todo {
            self.clock.set(due - hours(24 * 5));
            let t = self.as_role(&role).await?;
            let period = o["period"].as_str().unwrap_or_default();
            match d["done_by"].as_str() {
                Some("record") => {
                    let path = format!("/api/v1/duties/{}/done", d["id"].as_str().unwrap_or(""));
                    let note = "実施済み（点検・変更の記録）";
                    self.c
                        .post(
                            &path,
                            &t,
                            json!({ "subject": o["subject"], "period": period, "note": note }),
                        )
                        .await?;
                }
                Some("history_submission") => {
                    let ws = o["subject"].as_str().and_then(|x| x.strip_prefix("workstation:"));
                    let ws: i64 = ws.and_then(|x| x.parse().ok()).context("a PC subject")?;
                    self.c
                        .post(
                            "/api/v1/reconciliation/histories",
                            &t,
                            json!({ "workstation_id": ws, "month": period, "items": [] }),
                        )
                        .await?;
                }
                Some("reconciliation_run") => {
                    self.c
                        .post("/api/v1/reconciliation/run", &t, json!({ "month": period }))
                        .await?;
                }
                Some("footage_check") => {
                    // NIS-2: the oldest footage on the camera, found with the retrieval
                    // software, is as old as the profile's period (within the band).
                    let code = o["subject"].as_str().and_then(|x| x.strip_prefix("camera:"));
                    let cams = self.c.get("/api/v1/cameras", &t).await?;
                    let id = cams
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|c| c["code"].as_str() == code)
                        .and_then(|c| c["id"].as_i64())
                        .context("the duty's camera")?;
                    let days = i64::from(self.p.retention.default.days.unwrap_or(10));
                    let today = policy::jst::date(due - hours(24 * 5));
                    let oldest = today.checked_sub(jiff::Span::new().days(days))?;
                    self.c
                        .post(
                            &format!("/api/v1/cameras/{id}/footage-checks"),
                            &t,
                            json!({ "oldest_day": oldest.to_string(), "note": "専用パソコンの取出しソフトで最古の画像を確認" }),
                        )
                        .await?;
                }
                Some("report_publication") => {
                    let fy: i64 = period.trim_start_matches("FY").parse().context("FY period")?;
                    let note = "市ホームページに掲載";
                    self.c
                        .post(
                            "/api/v1/reports/annual/publish",
                            &t,
                            json!({ "fiscal_year": fy, "note": note }),
                        )
                        .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Writes the history, then sets the clock back to `t0` plus the time the writing took.
pub async fn write(
    c: &Caller,
    clock: &Clock,
    p: &Profile,
    s: &Seeded<'_>,
    t0: Timestamp,
    started: Timestamp,
) -> anyhow::Result<()> {
    let h = History { c, clock, p, s, t0 };
    let cams = &s.cameras;
    let cam = |i: usize| cams[i % cams.len()].as_str();
    h.emergency().await?;
    // Complaints: one answered in time, one left open past its deadline (escalated), one new.
    h.at(hours(24 * 30));
    h.complaint(
        "privacy",
        Some(cam(0)),
        "自宅の窓が映っていないか確認してほしい。",
        Some("撮影範囲を確認し、窓は画角に入っていないことをお伝えしました。"),
    )
    .await?;
    h.at(hours(24 * 20));
    h.complaint("signage", None, "表示板が街路樹に隠れて見えにくい。", None).await?;
    h.at(hours(24 * 6));
    h.request("自転車盗難（駅前駐輪場）", cam(0), hours(20), Stage::Recorded).await?;
    h.at(hours(24 * 4));
    h.request("車上荒らし（買物公園）", cam(1), hours(10), Stage::Extracted).await?;
    h.at(hours(24 * 3));
    h.request("傷害事件の目撃状況の確認", cam(0), hours(30), Stage::Instructed).await?;
    h.at(hours(24 * 2 + 3));
    h.hold(cam(0), hours(30)).await?;
    h.at(hours(24 * 2));
    h.request("置き引き（駅前通り）", cam(1), hours(6), Stage::Approved).await?;
    h.at(hours(26));
    h.request("器物損壊の確認", cam(0), hours(5), Stage::Refused).await?;
    h.at(hours(25));
    h.request("落とし物の確認", cam(1), hours(3), Stage::Withdrawn).await?;
    h.at(hours(22));
    h.request("不審者の通報（通学路）", cam(0), hours(12), Stage::Relayed).await?;
    h.at(hours(20));
    h.request("自転車盗難（買物公園）", cam(1), hours(4), Stage::Submitted).await?;
    h.at(hours(6));
    h.complaint("placement", Some(cam(1)), "カメラの設置目的と保存期間を知りたい。", None).await?;
    h.duties().await?;
    clock.set(t0 + Timestamp::now().duration_since(started));
    Ok(())
}
